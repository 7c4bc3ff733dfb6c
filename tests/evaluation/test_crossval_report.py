"""Out-of-fold decisions: thresholds fitted on other folds only, and the report on tiny folds."""

from __future__ import annotations

import numpy as np
import pytest

from privtag.evaluation.crossval_report import (
    crossval_report,
    fold_thresholds,
    per_unit,
    shipped_thresholds,
)

#: Both OPP-115 splits pooled for training, one step per fold, one aggregate.
POOLED = {
    "data.train": ["opp115:train", "opp115:validation"],
    "data.validation": [],
    "train.max_steps": 1,
    "train.aggregates": ["max"],
}


def test_fold_thresholds_never_see_their_own_fold():
    # the folds disagree about what a high score means, so each fold's threshold shows
    # which fold it was fitted on
    scores = np.array([[0.1], [0.3], [0.4], [0.6], [0.7], [0.9]])
    y = np.array([[1], [1], [0], [1], [0], [0]])
    y[3:] = [[0], [1], [1]]
    fold = np.array([0, 0, 0, 1, 1, 1])
    th = fold_thresholds("per_label", scores, y, fold)
    assert 0.6 < th[0][0] < 0.7  # fitted on fold 1: accept 0.7 and 0.9, reject 0.6
    assert th[1][0] == pytest.approx(0.1)  # fitted on fold 0: accept all three
    assert per_unit(th, fold)[:, 0].tolist() == [th[0][0]] * 3 + [th[1][0]] * 3


def test_fit_on_limits_the_units_fitted():
    scores = np.array([[0.2], [0.8], [0.3], [0.9]])
    y = np.array([[1], [1], [1], [1]])
    fold = np.array([0, 0, 1, 1])
    only_high = np.array([False, True, False, True])
    th = fold_thresholds("per_label", scores, y, fold, fit_on=only_high)
    assert th[0][0] == pytest.approx(0.9) and th[1][0] == pytest.approx(0.8)


@pytest.mark.usefixtures("one_torch_thread")
def test_report_on_tiny_folds(tiny_opp115_run, tmp_path):
    recipe, _ = tiny_opp115_run()
    report = crossval_report(recipe, tmp_path / "cv", n_bootstrap=20)
    systems = {(r.system, r.rule) for r in report.rows}
    assert ("privtag (max)", "shrunk + top label") in systems
    assert ("TF-IDF + LR", "global") in systems and ("keyword rules", "fixed") in systems
    assert report.n_policies == 2 and report.n_folds == 2
    for r in report.rows:
        for e in (r.segment, r.sentence):
            assert 0.0 <= e.scores["micro"]["f1"] <= 1.0
            assert e.n_policies == 2
    # the guaranteed label leaves no segment without one
    row = next(r for r in report.rows if r.rule == "per_label + top label")
    assert row.segment.scores["micro"]["f1"] >= 0.0
    assert set(report.lone) >= {"max/per_label", "direct/global"}
    agreement = report.lone["max/per_label"]["agreement"]
    assert 0.0 <= agreement["same_label_set"] <= 1.0
    table = report.to_markdown()
    assert "TF-IDF + LR" in table and "privtag (direct)" in table
    th = shipped_thresholds(recipe, tmp_path / "cv", "max", "shrunk")
    assert len(th["sentence"]) == 12 and len(th["paragraph"]) == 12
    assert all(0 <= t <= 1 for t in th["sentence"])


@pytest.mark.usefixtures("one_torch_thread")
def test_partial_report_uses_only_the_folds_done(tiny_opp115_run, tmp_path):
    import shutil

    from privtag.errors import DataError

    recipe, _ = tiny_opp115_run(**POOLED)
    shutil.rmtree(tmp_path / "cv" / "fold1")  # as if fold 1 had not run yet
    with pytest.raises(DataError, match="--partial"):
        crossval_report(recipe, tmp_path / "cv", n_bootstrap=10)
    # one fold done is not enough: its thresholds need another fold's scores
    with pytest.raises(DataError, match="at least two folds"):
        crossval_report(recipe, tmp_path / "cv", n_bootstrap=10, partial=True)


@pytest.mark.usefixtures("one_torch_thread")
def test_report_on_chosen_folds(tiny_opp115_run, tmp_path):
    from privtag.errors import DataError

    recipe, _ = tiny_opp115_run(**POOLED)
    full = crossval_report(recipe, tmp_path / "cv", n_bootstrap=10)
    chosen = crossval_report(recipe, tmp_path / "cv", n_bootstrap=10, folds=[1, 0])
    assert [r.segment.scores for r in chosen.rows] == [r.segment.scores for r in full.rows]
    with pytest.raises(DataError, match=r"fold\(s\) 3 are not"):
        crossval_report(recipe, tmp_path / "cv", n_bootstrap=10, folds=[0, 3])
    with pytest.raises(DataError, match="at least two folds"):
        crossval_report(recipe, tmp_path / "cv", n_bootstrap=10, folds=[0])


@pytest.mark.usefixtures("one_torch_thread")
def test_a_fold_that_did_not_learn_is_flagged_in_every_report(tiny_opp115_run, tmp_path):
    import json

    recipe, _ = tiny_opp115_run(**POOLED)
    meta_file = tmp_path / "cv" / "fold1" / "fold.json"
    meta = json.loads(meta_file.read_text())
    assert "loss" in meta  # recorded for every fold (None: too few logged steps to tell)
    meta["loss"] = {"first": 0.65, "last": 0.53, "stalled": True}
    meta_file.write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match=r"fold\(s\) 1 did not learn"):
        crossval_report(recipe, tmp_path / "cv", n_bootstrap=10)

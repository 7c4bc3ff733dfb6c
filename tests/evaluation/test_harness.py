"""The evaluation harness on small hand-written datasets and stand-in systems."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, Features, Sequence

from privtag.data import FEATURES, to_dataset
from privtag.errors import ArgumentError, DataError
from privtag.evaluation.baselines import RuleTagger
from privtag.evaluation.harness import (
    System,
    compare,
    confusions,
    evaluate_system,
    paired_difference,
    reference_matrix,
)
from privtag.evaluation.metrics import prf
from privtag.evaluation.tables import plot_f1
from privtag.labels import LABELS, NUM_LABELS


def toy(fixtures):
    rows = [json.loads(line) for line in (fixtures / "eval_toy.jsonl").open(encoding="utf-8")]
    return to_dataset(rows)


class Fixed:
    """A stand-in system: fixed scores per unit, threshold 0.5; records what it was given."""

    def __init__(self, scores, name="fixed", columns=NUM_LABELS, names=LABELS):
        self.scores, self.name, self.columns, self.names = scores, name, columns, names
        self.thresholds = np.full(columns, 0.5)
        self.seen = []

    def predict_proba(self, units):
        single = isinstance(units, str | dict)
        units = [units] if single else list(units)
        self.seen.extend(units)
        out = np.array([self.scores(u) for u in units]).reshape(len(units), self.columns)
        return out[0] if single else out

    def predict(self, units):
        proba = np.atleast_2d(self.predict_proba(units))
        return [[self.names[j] for j in np.flatnonzero(row >= 0.5)] for row in proba]


def nothing(_unit):
    return np.zeros(len(LABELS))


def test_stand_in_and_baseline_follow_the_protocol():
    assert isinstance(Fixed(nothing), System) and isinstance(RuleTagger(), System)


def test_scores_agree_with_the_metric_and_units_carry_context(fixtures):
    ds = toy(fixtures)
    system = Fixed(lambda u: RuleTagger().predict_proba(u["text"]))
    result = evaluate_system(system, ds, data_name="toy", n_bootstrap=200)
    decisions = RuleTagger().predict_proba(list(ds["text"])) >= 0.5
    assert result.scores == prf(decisions, reference_matrix(ds, len(LABELS)))
    assert result.n_units == 48 and result.n_policies == 6
    assert result.units_per_second > 0 and result.seconds >= 0
    assert system.seen[-1]["section"] == ["Officer"] and "previous" in system.seen[-1]


def test_bootstrap_intervals_contain_the_point_estimate_and_are_seeded(fixtures):
    ds = toy(fixtures)
    result = evaluate_system(RuleTagger(), ds, n_bootstrap=500, seed=1)
    for avg in ("micro", "macro", "weighted"):
        lo, hi = result.intervals[f"{avg}_f1"]
        assert lo <= result.scores[avg]["f1"] <= hi and lo < hi
    for label in LABELS:
        lo, hi = result.intervals[f"f1:{label}"]
        assert lo <= result.scores["per_label"][label]["f1"] <= hi
    again = evaluate_system(RuleTagger(), ds, n_bootstrap=500, seed=1)
    assert again.intervals == result.intervals


def test_bootstrap_resamples_policies_not_sentences(fixtures):
    # One policy: every resample is that policy again, so the interval has no width.
    # A bootstrap over sentences would give a wide one on these mixed hits and misses.
    full = toy(fixtures)
    ds = full.select([i for i, p in enumerate(full["policy"]) if p == "acme-toy"])
    result = evaluate_system(RuleTagger(), ds, n_bootstrap=300)
    lo, hi = result.intervals["micro_f1"]
    assert lo == hi == pytest.approx(result.scores["micro"]["f1"])
    assert 0 < result.scores["micro"]["f1"] < 1


def test_paired_difference(fixtures):
    ds = toy(fixtures)
    rules, again, silent = (
        evaluate_system(s, ds, n_bootstrap=300)
        for s in (RuleTagger(), RuleTagger(), Fixed(nothing))
    )
    assert paired_difference(rules, again) == [0.0, 0.0, 0.0]
    diff, lo, hi = paired_difference(rules, silent)
    assert diff == pytest.approx(rules.scores["micro"]["f1"]) and 0 < lo <= diff <= hi
    one = ds.select([i for i, p in enumerate(ds["policy"]) if p == "acme-toy"])
    other = evaluate_system(RuleTagger(), one, n_bootstrap=50)
    assert "few distinct resamples" in other.to_text()
    with pytest.raises(DataError, match="different policies"):
        paired_difference(rules, other)


def test_a_comparison_without_resamples_claims_no_intervals(fixtures):
    ds = toy(fixtures)
    systems = [RuleTagger(), Fixed(nothing, name="silent")]
    none = compare(systems, ds, n_bootstrap=0).to_markdown()
    assert "no intervals (no bootstrap resamples)" in none and "bootstrap interval" not in none
    some = compare(systems, ds, n_bootstrap=20).to_markdown()
    assert "95% bootstrap intervals" in some and "a paired bootstrap interval" in some


def test_a_system_that_predicts_nothing_scores_zero(fixtures):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = evaluate_system(Fixed(nothing), toy(fixtures), n_bootstrap=100)
    assert result.scores["micro"]["f1"] == 0.0 and result.scores["macro"]["f1"] == 0.0
    assert result.intervals["micro_f1"] == [0.0, 0.0]
    assert all(v == [] for v in result.confusions.values())
    assert "micro avg" in result.to_text()


@pytest.mark.parametrize(
    ("system", "message"),
    [
        (
            Fixed(lambda u: np.zeros(10), columns=10),
            r"shape \(2, 10\).*one column per label \(12\)",
        ),
        (Fixed(lambda u: np.ones(12), names=[*LABELS[:-1], "Contact"]), "predicted 'Contact'"),
    ],
)
def test_systems_with_another_label_set_are_refused(fixtures, system, message):
    with pytest.raises(DataError, match=f"label sets differ: system 'fixed' .*{message}"):
        evaluate_system(system, toy(fixtures))


def test_a_system_declaring_other_labels_is_refused(fixtures):
    system = Fixed(nothing)
    system.labels = LABELS[:10]
    with pytest.raises(DataError, match="built for 10 labels"):
        evaluate_system(system, toy(fixtures))


def test_a_dataset_with_other_label_names_is_refused():
    names = [*LABELS[:11], "Other"]
    features = Features({**FEATURES, "labels": Sequence(ClassLabel(names=names))})
    row = {k: to_dataset([{"policy": "p", "unit_id": "1", "text": "t"}])[0][k] for k in FEATURES}
    ds = Dataset.from_list([row], features=features)
    with pytest.raises(DataError, match=r"label sets differ: the dataset has 12 labels .*Other"):
        evaluate_system(RuleTagger(), ds)


def test_an_empty_dataset_is_refused():
    with pytest.raises(DataError, match="no units to evaluate on in empty"):
        evaluate_system(RuleTagger(), to_dataset([]), data_name="empty")


def test_arguments_a_user_gets_wrong_are_named(fixtures):
    from datasets import DatasetDict

    data = toy(fixtures)
    with pytest.raises(
        DataError, match=r"several splits \(test\); evaluate one: dataset\['test'\]"
    ):
        evaluate_system(RuleTagger(), DatasetDict({"test": data}))
    with pytest.raises(
        ArgumentError, match=r"system must have predict\(\) and predict_proba\(\) .*, not NoneType"
    ):
        evaluate_system(None, data)
    with pytest.raises(ArgumentError, match=r"must be a datasets.Dataset .* not a list: "):
        evaluate_system(RuleTagger(), [{"text": "x"}])
    # checked before the system runs (Fixed records every unit it is given)
    system = Fixed(nothing)
    with pytest.raises(ArgumentError, match="n_bootstrap must be an int of at least 0"):
        evaluate_system(system, data, n_bootstrap=-1)
    for bad in (2, 0, float("nan"), "0.9"):
        with pytest.raises(
            ArgumentError, match=r"confidence must be (a level from 0 to 1|strictly between)"
        ):
            evaluate_system(system, data, confidence=bad)
    for setting in ({"seed": "x"}, {"seed": 1.5}, {"top_k": -1}):
        with pytest.raises(ArgumentError, match=f"{next(iter(setting))} must be an int"):
            evaluate_system(system, data, **setting)
    assert system.seen == []
    assert evaluate_system(RuleTagger(), data, n_bootstrap=np.int64(10)).n_units == len(data)


def test_confusions_count_false_positives_next_to_false_negatives():
    a, b, c = (LABELS.index(x) for x in ("Data Retention", "Data Security", "Policy Change"))
    ref = np.zeros((3, 12), dtype=int)
    pred = np.zeros((3, 12), dtype=int)
    ref[0, a] = pred[0, b] = 1  # retention missed, security said instead
    ref[1, a] = pred[1, b] = pred[1, c] = 1  # retention missed, security and change said
    ref[2, b] = pred[2, c] = 1
    out = confusions(pred, ref, LABELS, top_k=3)
    assert out["Data Retention"] == [("Data Security", 2), ("Policy Change", 1)]
    assert out["Data Security"] == [("Policy Change", 1)]
    assert out["Do Not Track"] == []


def test_outputs_json_markdown_text_and_chart(fixtures, tmp_path):
    ds = toy(fixtures)
    comparison = compare(
        [RuleTagger(), Fixed(nothing, name="silent")], ds, data_name="toy", n_bootstrap=100
    )
    rules = comparison.results[0]
    data = json.loads(rules.to_json(tmp_path / "r.json"))
    assert data["system"] == "rules" and set(data["scores"]["per_label"]) == set(LABELS)
    assert json.loads((tmp_path / "r.json").read_text())["n_units"] == 48
    md = rules.to_markdown()
    assert "| label | P | R | F1 | F1 95% CI | support |" in md and "| micro avg |" in md
    text = comparison.to_text()
    assert text.splitlines()[1].split() == ["F1", "(%)", "rules", "silent"]
    assert [line.split("  ")[0] for line in text.splitlines()[3:]][-6:] == [
        "micro avg",
        "macro avg",
        "weighted avg",
        "units/s",
        "silent − this, micro (paired)",
        "silent − this, macro (paired)",
    ]
    assert "| Data Security |" in comparison.to_markdown()
    png = plot_f1(comparison.results, tmp_path / "charts" / "f1.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

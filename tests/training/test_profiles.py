"""Threshold profiles: factors on the tuned thresholds, fitted on annotated sentences."""

from __future__ import annotations

import copy
import doctest
from pathlib import Path

import numpy as np
import pytest

from privtag.data.sources import load_units
from privtag.training import profiles
from privtag.training.profiles import (
    SCALES,
    fit_label_rates,
    fit_label_scales,
    fit_scale,
    tune_profile,
)

VALIDATION = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"


def test_doctest():
    assert doctest.testmod(profiles).failed == 0


def test_fit_scale_lowers_thresholds_that_miss_low_scoring_positives():
    # two labels at 0.8; the positives score 0.5 and 0.45, the negatives 0.1 and 0.3:
    # any factor from 0.4 (0.32 > 0.3) to 0.55 (0.44 < 0.45) decides all four rows right
    y = np.array([[1, 0], [0, 1], [0, 0], [0, 0]])
    s = np.array([[0.5, 0.1], [0.1, 0.45], [0.3, 0.1], [0.1, 0.3]])
    fit = fit_scale(y, [s], np.array([0.8, 0.8]))
    assert fit["scale"] == 0.55  # the largest of the best: nearest to no change
    assert fit["micro_before"] == 0.0 and fit["micro_after"] == 1.0


def test_fit_scale_keeps_the_tuned_thresholds_when_nothing_is_gained():
    y = np.array([[1], [0]])
    s = np.array([[0.99], [0.01]])  # right at every factor tried
    assert fit_scale(y, [s], np.array([0.5]))["scale"] == 1.0


def test_fit_scale_averages_micro_f1_over_the_score_sets():
    y = np.array([[1], [0]])
    right, wrong = np.array([[0.9], [0.1]]), np.array([[0.1], [0.9]])
    fit = fit_scale(y, [right, wrong], np.array([0.5]))
    assert fit["micro_before"] == pytest.approx(0.5)  # 1.0 and 0.0


def test_label_scales_are_each_labels_best_shrunk_toward_the_shared_factor():
    # label 0: 100 positives at 0.3, negatives at 0.05; its own best factor is the largest
    # with 0.8 * f <= 0.3 (0.35). Label 1: 2 positives, its best 0.25. Label 2: none.
    n = 200
    y = np.zeros((n, 3), dtype=int)
    y[:100, 0] = 1
    y[:2, 1] = 1
    s = np.full((n, 3), 0.05)
    s[:100, 0] = 0.3
    s[:2, 1] = 0.2
    got = fit_label_scales(y, [s], np.array([0.8, 0.8, 0.8]), scale=1.0, prior=50.0)
    assert got[0] == pytest.approx((100 * 0.35 + 50 * 1.0) / 150)  # mostly its own
    assert got[1] == pytest.approx((2 * 0.25 + 50 * 1.0) / 52)  # mostly the shared one
    assert got[2] == 1.0  # no positives: the shared factor
    assert np.all(got <= 1.0) and got[0] < got[1]


def test_balanced_factors_decide_each_label_as_often_as_it_was_annotated():
    rng = np.random.default_rng(0)
    y = (rng.random((300, 3)) < [0.3, 0.1, 0.0]).astype(int)
    scores = np.clip(0.35 * y + rng.random((300, 3)) * 0.6, 0, 1)  # positives score higher
    thresholds = np.array([0.9, 0.9, 0.9])
    got = fit_label_rates(y, [scores, scores * 0.9], thresholds, scale=0.5)
    for j in (0, 1):
        decided = np.mean(
            [(s[:, j] >= thresholds[j] * got[j]).sum() for s in (scores, scores * 0.9)]
        )
        assert abs(decided - y[:, j].sum()) <= 2  # counts matched, on a grid of 0.01
    assert got[2] == 0.5  # no positives: the shared factor


def test_a_labels_own_factor_never_raises_its_tuned_threshold():
    # one positive at 0.95, negatives at 0.7 and 0.8, threshold 0.6: matching the count
    # needs a factor above 1.33, which would put the threshold above 0.8 on one positive
    y = np.array([[1], [0], [0]])
    s = np.array([[0.95], [0.7], [0.8]])
    assert fit_label_rates(y, [s], np.array([0.6]), scale=0.5).tolist() == [1.0]
    assert fit_label_rates(y, [s], np.array([0.6]), scale=1.2).tolist() == [1.2]
    f1_fit = fit_label_scales(y, [s], np.array([0.6]), scale=1.0, prior=0.0)
    assert f1_fit.tolist() == [1.0]  # its own best would be 1.35 or more


def test_tune_profile_fits_the_objective_it_is_given(tiny_tagger):
    units = load_units([str(VALIDATION)], "sentence")
    fit = tune_profile(tiny_tagger, units, "counts", [str(VALIDATION)], objective="balanced")
    assert fit["objective"] == "balanced" and len(fit["label_scales"]) == 12
    with pytest.raises(ValueError, match="objective must be one of f1, balanced, not 'recall'"):
        tune_profile(tiny_tagger, units, "x", [str(VALIDATION)], objective="recall")


def test_tune_profile_adds_a_profile_and_leaves_the_tuned_thresholds(tiny_tagger):
    before = copy.deepcopy(tiny_tagger.thresholds)
    tiny_tagger.settings["dtype"] = "bfloat16"
    units = load_units([str(VALIDATION)], "sentence")
    fit = tune_profile(tiny_tagger, units, "modern", [str(VALIDATION)])
    assert fit["scale"] in SCALES
    assert fit["sentences"] == units.num_rows and fit["policies"] == 1
    assert fit["micro_after"] >= fit["micro_before"]
    assert len(fit["label_scales"]) == 12 and all(0 < v <= 1.5 for v in fit["label_scales"])
    assert 0.0 <= fit["micro_label_scales"] <= 1.0
    assert tiny_tagger.thresholds["profiles"]["modern"] is fit
    assert {k: v for k, v in tiny_tagger.thresholds.items() if k != "profiles"} == before
    assert tiny_tagger.settings["dtype"] == "bfloat16"  # scored in float32, then restored


@pytest.mark.parametrize("name", ["default", "auto"])
def test_default_and_auto_cannot_be_profile_names(tiny_tagger, name):
    units = load_units([str(VALIDATION)], "sentence")
    with pytest.raises(ValueError, match=f"cannot be called {name!r}"):
        tune_profile(tiny_tagger, units, name, [str(VALIDATION)])

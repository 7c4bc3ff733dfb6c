"""Per-label threshold tuning (exact on its data) and the F1 figures used while tuning."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from privtag.evaluation.metrics import f1_scores
from privtag.labels import LABELS
from privtag.training import thresholds
from privtag.training.thresholds import tune_thresholds


def f1_at(scores: np.ndarray, y: np.ndarray, t: float) -> float:
    pred = scores >= t
    tp = (pred & y).sum()
    return 2 * tp / (pred.sum() + y.sum())


def test_doctest():
    assert doctest.testmod(thresholds).failed == 0


def test_small_case_by_hand():
    # label 0: the best cut keeps the two top scores (0.9, 0.8), midway to 0.3;
    # label 1: keeps the three positives (0.8, 0.7, 0.6), midway to 0.2
    scores = np.array([[0.9, 0.8], [0.8, 0.2], [0.3, 0.6], [0.1, 0.7]])
    y = np.array([[1, 1], [1, 0], [0, 1], [0, 1]])
    np.testing.assert_allclose(tune_thresholds(scores, y), [0.55, 0.4])


def test_tied_scores_are_taken_together():
    # 0.6 is the score of a positive and of a negative: a threshold cannot split them.
    # Cutting at 0.6 predicts all three (F1 0.8), never "the tied positive only" (F1 1).
    scores = np.array([[0.9], [0.6], [0.6]])
    y = np.array([[1], [1], [0]])
    t = tune_thresholds(scores, y)[0]
    assert t == 0.6
    assert f1_at(scores[:, 0], y[:, 0] > 0, t) == pytest.approx(0.8)


def test_label_without_positives_keeps_the_default():
    scores = np.array([[0.9, 0.2], [0.1, 0.7]])
    y = np.array([[1, 0], [0, 0]])
    out = tune_thresholds(scores, y, default=0.42)
    assert out[1] == 0.42 and out[0] == pytest.approx(0.5)  # midway between 0.9 and 0.1


def test_thresholds_stay_within_floor_and_095():
    scores = np.array([[0.99], [0.98], [0.01], [0.02]])
    y = np.array([[1], [1], [1], [1]])
    # every score outside [0.05, 0.95]: no candidate, the default stays
    assert tune_thresholds(scores, y)[0] == 0.5
    scores = np.array([[0.99], [0.3], [0.01]])
    y = np.array([[1], [0], [1]])
    # the only candidate cut accepts 0.3 and rejects 0.01: midway between them
    assert tune_thresholds(scores, y)[0] == pytest.approx(0.155)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 12).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.sampled_from([0.0, 0.04, 0.1, 0.25, 0.3, 0.5, 0.5, 0.7, 0.9, 0.96, 1.0]),
                min_size=n,
                max_size=n,
            ),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    )
)
def test_tuned_threshold_is_the_best_candidate(case):
    """Exact: no allowed threshold (a score in [floor, 0.95]) gives a higher F1."""
    s, y = np.array(case[0]), np.array(case[1])
    t = tune_thresholds(s[:, None], y[:, None])[0]
    candidates = [c for c in set(s) if 0.05 <= c <= 0.95]
    if not y.any() or not candidates:
        assert t == 0.5
        return
    best = max(f1_at(s, y, c) for c in candidates)
    assert f1_at(s, y, t) == pytest.approx(best)
    # the same decisions as a candidate cut, and never equal to a score it rejects
    accepted = s[s >= t]
    assert min(accepted) in candidates
    below = s[s < t]
    assert not len(below) or t > max(below)


# ---------------------------------------------------------------- F1


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 15), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_f1_scores_match_sklearn(n, k, seed):
    """Micro and macro (over labels with support) F1 as sklearn computes them.

    At least two labels: sklearn reads an (n, 1) matrix as a binary target, not multi-label.
    """
    rng = np.random.default_rng(seed)
    y = rng.random((n, k)) < 0.3
    pred = rng.random((n, k)) < 0.4
    got = f1_scores(y, pred)
    micro = f1_score(y, pred, average="micro", zero_division=0)
    assert got["micro"] == pytest.approx(micro)
    with_support = np.flatnonzero(y.sum(0) > 0)
    if len(with_support):
        macro = f1_score(y, pred, average="macro", labels=with_support, zero_division=0)
        assert got["macro"] == pytest.approx(macro)
    else:
        assert got["macro"] == 0.0


def test_macro_ignores_labels_without_support():
    y = np.array([[1, 0], [0, 0]])
    pred = np.array([[1, 1], [0, 0]])  # label 1: a false positive, but nobody annotated it
    out = f1_scores(y, pred)
    assert out["macro"] == 1.0
    assert out["micro"] == pytest.approx(2 / 3)


def test_per_label_names_and_support():
    y = np.zeros((3, len(LABELS)), dtype=int)
    y[0, 5] = y[1, 5] = 1
    pred = y.copy()
    pred[2, 5] = 1
    out = f1_scores(y, pred, per_label=True)
    assert list(out["per_label"]) == list(LABELS)
    assert out["per_label"]["Data Security"] == {"f1": 0.8, "support": 2}
    assert out["per_label"]["Do Not Track"] == {"f1": 0.0, "support": 0}
    assert list(f1_scores(y[:, :2], pred[:, :2], per_label=True)["per_label"]) == ["0", "1"]


def test_nothing_annotated_nothing_predicted_is_zero():
    z = np.zeros((2, 3))
    assert f1_scores(z, z) == {"micro": 0.0, "macro": 0.0}


def test_threshold_lies_midway_so_small_score_changes_keep_decisions():
    scores = np.array([[0.81], [0.8], [0.2], [0.1]])
    y = np.array([[1], [1], [0], [0]])
    t = tune_thresholds(scores, y)[0]
    assert t == pytest.approx(0.5)
    jitter = np.array([[-0.01], [-0.01], [0.01], [0.01]])
    np.testing.assert_array_equal(scores + jitter >= t, scores >= t)

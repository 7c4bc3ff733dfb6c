"""MultiLabelPRF against scikit-learn, offline, on small hand-made cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_fscore_support

from privtag.evaluation.metrics import MultiLabelPRF, prf
from privtag.labels import LABELS


def sklearn_scores(pred, ref):
    """The same numbers from scikit-learn, zero_division=0, macro over labels with support."""
    out = {}
    per = precision_recall_fscore_support(ref, pred, average=None, zero_division=0)
    out["per_label"] = per
    for avg in ("micro", "weighted"):
        out[avg] = precision_recall_fscore_support(ref, pred, average=avg, zero_division=0)[:3]
    present = np.flatnonzero(np.asarray(ref).reshape(len(ref), -1).sum(0) > 0)
    out["macro"] = (
        precision_recall_fscore_support(
            ref, pred, average="macro", labels=present, zero_division=0
        )[:3]
        if len(present)
        else (0.0, 0.0, 0.0)
    )
    return out


def assert_matches_sklearn(result, pred, ref, names):
    expected = sklearn_scores(np.asarray(pred), np.asarray(ref))
    p, r, f, s = expected["per_label"]
    for j, name in enumerate(names):
        row = result["per_label"][name]
        assert row["precision"] == pytest.approx(p[j])
        assert row["recall"] == pytest.approx(r[j])
        assert row["f1"] == pytest.approx(f[j])
        assert row["support"] == s[j]
    for avg in ("micro", "macro", "weighted"):
        got = [result[avg][k] for k in ("precision", "recall", "f1")]
        assert got == pytest.approx(list(expected[avg]))


# Three labels; "c" never occurs in the references (no support) but is predicted once:
# it is left out of the macro averages (privtag's one convention).
PRED = [[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 0]]
REF = [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 1, 0]]


def test_small_case_by_hand_and_against_sklearn():
    result = MultiLabelPRF(label_names=["a", "b", "c"]).compute(predictions=PRED, references=REF)
    # a: tp 1, fp 1, fn 1; b: tp 2, fp 0, fn 1; c: tp 0, fp 1, fn 0.
    assert result["per_label"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_label"]["b"]["f1"] == pytest.approx(0.8)
    assert result["per_label"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["micro"]["f1"] == pytest.approx(2 * 3 / (2 * 3 + 2 + 2))
    assert result["support"] == 5 and result["n_units"] == 4
    assert result["macro"]["f1"] == pytest.approx((0.5 + 0.8) / 2)  # c has no support
    assert_matches_sklearn(result, PRED, REF, ["a", "b", "c"])


def test_system_that_predicts_nothing_scores_zero_without_warnings():
    ref = np.eye(4, len(LABELS), dtype=int)
    pred = np.zeros_like(ref)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        result = MultiLabelPRF().compute(predictions=pred, references=ref)
    assert result["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert result["macro"]["f1"] == 0.0 and result["weighted"]["f1"] == 0.0
    assert list(result["per_label"]) == list(LABELS)
    assert_matches_sklearn(result, pred, ref, LABELS)


def test_add_batch_equals_one_compute():
    metric = MultiLabelPRF(label_names=["a", "b", "c"])
    metric.add_batch(predictions=PRED[:2], references=REF[:2])
    metric.add_batch(predictions=PRED[2:], references=REF[2:])
    assert metric.compute() == prf(PRED, REF, ["a", "b", "c"])


def test_empty_input_and_wrong_width():
    result = prf([], [], ["a", "b"])
    assert result["n_units"] == 0 and result["micro"]["f1"] == 0.0
    with pytest.raises(ValueError, match="one column per label"):
        prf([[1, 0, 1]], [[1, 0, 1]], ["a", "b"])


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 12).flatmap(  # one column is "binary" to scikit-learn
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.lists(st.integers(0, 1), min_size=2 * n, max_size=2 * n), min_size=1, max_size=15
            ),
        )
    )
)
def test_random_matrices_match_sklearn(case):
    n, rows = case
    pred = np.array([r[:n] for r in rows])
    ref = np.array([r[n:] for r in rows])
    names = [f"l{j}" for j in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own warnings, not ours
        assert_matches_sklearn(prf(pred, ref, names), pred, ref, names)


def test_it_is_an_evaluate_metric():
    import evaluate

    assert issubclass(MultiLabelPRF, evaluate.Metric)
    assert list(MultiLabelPRF(label_names=["a"]).info.features) == ["predictions", "references"]

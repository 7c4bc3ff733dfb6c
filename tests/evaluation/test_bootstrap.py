"""Bootstrap over policies: counts per policy, intervals, determinism."""

from __future__ import annotations

import numpy as np

from privtag.evaluation.bootstrap import bootstrap_intervals, policy_counts

NAMES = ["x", "y"]


def test_policy_counts_are_per_policy_and_label():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    pred = np.array([[1, 1], [0, 0], [1, 1]])
    got = policy_counts(pred, y, ["b", "b", "a"])
    # [tp, fp, fn] per label
    assert got == {"a": [[1, 1], [0, 0], [0, 0]], "b": [[1, 0], [0, 1], [0, 1]]}


def test_perfect_decisions_have_a_point_interval():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    per_policy = policy_counts(y, y, ["a", "a", "b"])
    out = bootstrap_intervals(per_policy, label_names=NAMES, n_bootstrap=50)
    assert out["micro_f1"] == [1.0, 1.0] and out["f1:y"] == [1.0, 1.0]


def test_intervals_vary_with_policies_and_repeat_with_the_seed():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=(60, 2))
    pred = np.where(rng.random((60, 2)) < 0.7, y, 1 - y)  # 70% of decisions right
    policies = [f"p{i % 6}" for i in range(60)]
    per_policy = policy_counts(pred, y, policies)
    a = bootstrap_intervals(per_policy, label_names=NAMES, n_bootstrap=200, seed=3)
    b = bootstrap_intervals(per_policy, label_names=NAMES, n_bootstrap=200, seed=3)
    assert a == b
    lo, hi = a["micro_f1"]
    tp, fp, fn = (sum(np.sum(c[k]) for c in per_policy.values()) for k in range(3))
    point = 2 * tp / (2 * tp + fp + fn)
    assert lo < point < hi and hi - lo < 0.5


def test_a_label_never_seen_has_no_interval():
    y = np.array([[1, 0], [1, 0]])
    per_policy = policy_counts(y, y, ["a", "b"])
    out = bootstrap_intervals(per_policy, label_names=NAMES, n_bootstrap=20)
    assert "f1:x" in out and "f1:y" not in out


def test_no_resamples_means_no_intervals_and_an_unbounded_difference():
    from privtag.evaluation.bootstrap import paired_difference
    from privtag.evaluation.harness import evaluate_decisions
    from privtag.evaluation.tables import diff_text

    y = np.array([[1, 0], [0, 1], [1, 1]])
    per_policy = policy_counts(y, y, ["a", "a", "b"])
    assert bootstrap_intervals(per_policy, label_names=NAMES, n_bootstrap=0) == {}
    kw = {"label_names": NAMES, "n_bootstrap": 0, "system": "s"}
    good = evaluate_decisions(y, y, ["a", "a", "b"], **kw)
    bad = evaluate_decisions(1 - y, y, ["a", "a", "b"], **kw)
    d = paired_difference(good, bad)
    assert d[0] == 1.0 and np.isnan(d[1]) and diff_text(d) == "+100.0"

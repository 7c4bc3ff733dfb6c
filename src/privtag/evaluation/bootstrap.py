"""Confidence intervals by bootstrap over policies.

Sentences of one policy share wording and annotators, so resampling sentences would
pretend there is far more independent evidence than there is and give intervals that
are too narrow. Every resample here draws whole policies, with replacement, and sums
their per-label counts.

Example:
    >>> import numpy as np
    >>> y = np.array([[1, 0], [0, 1], [1, 1]]); p = ["a", "a", "b"]
    >>> per_policy = policy_counts(y, y, p)       # perfect decisions
    >>> bootstrap_intervals(per_policy, label_names=["x", "y"], n_bootstrap=50)["micro_f1"]
    [1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from privtag.errors import ArgumentError, DataError, check_int, check_real
from privtag.evaluation.metrics import counts, scores_from_counts
from privtag.labels import LABELS

AVERAGES = ("micro", "macro", "weighted")


def policy_counts(
    decisions: np.ndarray, references: np.ndarray, policies: Sequence[str]
) -> dict[str, list[list[int]]]:
    """``{policy: [tp, fp, fn]}`` (each a list over labels): what the bootstrap resamples."""
    names, index = np.unique(np.asarray(policies, dtype=object).astype(str), return_inverse=True)
    return {
        name: counts(decisions[index == p], references[index == p]).tolist()
        for p, name in enumerate(names)
    }


def _resample(per_policy: np.ndarray, n_bootstrap: int, seed: int) -> list[np.ndarray]:
    # per_policy: (n_policies, 3, n_labels). Each resample draws as many policies as there
    # are, with replacement; summing counts weighted by how often each policy was drawn is
    # one matrix product, so a thousand resamples take milliseconds.
    n = per_policy.shape[0]
    draws = np.random.default_rng(seed).integers(0, n, size=(n_bootstrap, n))
    times = np.stack([np.bincount(d, minlength=n) for d in draws])  # (B, n_policies)
    return [times @ per_policy[:, k, :] for k in range(3)]  # tp, fp, fn: (B, n_labels) each


def check_bootstrap(n_bootstrap, confidence) -> None:
    """Refuse bootstrap settings that cannot work, before any scoring.

    Raises:
        ArgumentError: ``n_bootstrap`` is not an int of at least 0 (0: no intervals), or
            ``confidence`` not strictly between 0 and 1.
    """
    check_int(n_bootstrap, "n_bootstrap", 0)
    # a level of 0 or 1 gives no interval: strictly between, and the message says so
    if check_real(confidence, "confidence", 0, 1, "a level") in (0, 1):
        raise ArgumentError(
            f"confidence must be strictly between 0 and 1 (e.g. 0.95), not {confidence}"
        )


def bootstrap_intervals(
    per_policy: Mapping[str, Sequence],
    *,
    label_names: Sequence[str] = LABELS,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Percentile intervals for micro/macro/weighted F1 and each label's F1, resampling policies.

    Args:
        per_policy: :func:`policy_counts`' output.

    Returns:
        ``{"micro_f1": [lo, hi], "macro_f1": ..., "weighted_f1": ..., "f1:<label>": ...}``;
        no ``f1:<label>`` entry for a label that is neither in the references nor predicted.
        ``n_bootstrap=0`` asks for no intervals and gives ``{}`` (tables then show none).

    Raises:
        ArgumentError: see :func:`check_bootstrap`.
    """
    check_bootstrap(n_bootstrap, confidence)
    if n_bootstrap == 0:
        return {}
    tp, fp, fn = _resample(np.array([per_policy[p] for p in sorted(per_policy)]), n_bootstrap, seed)
    s = scores_from_counts(tp, fp, fn)
    q = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    out = {f"{a}_f1": np.percentile(s[f"{a}_f1"], q).tolist() for a in AVERAGES}
    # A label's F1 is undefined in a resample with nothing to get right or wrong
    # (tp + fp + fn == 0); those resamples say nothing about the label, so drop them.
    defined = (tp + fp + fn) > 0
    for j, label in enumerate(label_names):
        if defined[:, j].any():
            out[f"f1:{label}"] = np.percentile(s["f1"][defined[:, j], j], q).tolist()
    return out


def paired_difference(a, b, average: str = "micro") -> list[float]:
    """``[a - b, lo, hi]``: F1 difference of two systems on the same data, paired bootstrap.

    ``a`` and ``b`` are :class:`privtag.evaluation.harness.Evaluation` results.

    Both systems are scored on the same resamples of policies, so what the policies have
    in common (some are simply harder) cancels out: the interval is for the difference
    itself, narrower than comparing two separate intervals by eye.

    Raises:
        DataError: the two evaluations were not run on the same policies.

    With ``n_bootstrap=0`` the interval is ``nan`` (nothing was resampled).
    """
    if sorted(a.per_policy) != sorted(b.per_policy):
        raise DataError(f"{a.system} and {b.system} were evaluated on different policies")
    boot = {k: a.settings.get(k, d) for k, d in (("n_bootstrap", 1000), ("seed", 0))}
    conf = a.settings.get("confidence", 0.95)
    if boot["n_bootstrap"] == 0:
        return [a.scores[average]["f1"] - b.scores[average]["f1"], float("nan"), float("nan")]
    diffs = []
    for r in (a, b):
        counts_ = np.array([r.per_policy[p] for p in sorted(r.per_policy)])
        diffs.append(scores_from_counts(*_resample(counts_, **boot))[f"{average}_f1"])
    lo, hi = np.percentile(diffs[0] - diffs[1], [(1 - conf) / 2 * 100, (1 + conf) / 2 * 100])
    return [a.scores[average]["f1"] - b.scores[average]["f1"], float(lo), float(hi)]

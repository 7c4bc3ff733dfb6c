"""Per-label decision thresholds tuned for F1 (scored by privtag.evaluation.metrics, the one F1).

Example:
    >>> import numpy as np
    >>> y = np.array([[1], [0], [1]]); s = np.array([[0.9], [0.4], [0.3]])
    >>> float(tune_thresholds(s, y)[0])                    # accepts all three
    0.3
    >>> y = np.array([[1], [0], [0]])
    >>> float(tune_thresholds(s, y)[0])                    # accepts 0.9, midway to 0.4
    0.65
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np


@contextmanager
def float32_scoring(tagger) -> Iterator[None]:
    """Score in float32 inside the block, whatever ``tagger``'s dtype, then restore it.

    Anything fitted on scores (thresholds, profiles) is then the same on every machine,
    bfloat16-capable or not.
    """
    dtype = tagger.settings.get("dtype", "auto")
    tagger.settings["dtype"] = "float32"
    try:
        yield
    finally:
        tagger.settings["dtype"] = dtype


def tune_thresholds(
    scores: np.ndarray, y: np.ndarray, default: float = 0.5, floor: float = 0.05
) -> np.ndarray:
    """For each label, the threshold that maximises F1 on ``(scores, y)``.

    Candidate cuts are the scores in [floor, 0.95], so the decisions are exactly the
    best for this data. The threshold returned lies midway between the lowest score the
    best cut accepts and the highest it rejects (the accepted score itself when nothing
    lies below): a threshold equal to a tuning score would flip that unit's decision
    under the smallest change of score (bfloat16, float16 weights, another machine).
    A label without positives keeps ``default``.

    Args:
        scores: (n, k) scores in [0, 1].
        y: (n, k) 0/1 gold labels.
        default: the threshold of a label without positives, or whose scores leave no
            cut in [floor, 0.95] (NaN marks them for the caller).

    Returns:
        (k,) thresholds.
    """
    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y) > 0
    out = np.full(scores.shape[1], default, dtype=np.float64)
    for j in range(scores.shape[1]):
        pos = y[:, j].sum()
        if pos == 0:
            continue
        order = np.argsort(-scores[:, j], kind="stable")
        s, hit = scores[order, j], y[order, j]
        tp = np.cumsum(hit)
        predicted = np.arange(1, len(s) + 1)
        f1 = 2 * tp / (predicted + pos)
        # a threshold must take all tied scores together: keep the last index of each run
        last = np.r_[s[1:] != s[:-1], True] & (s >= floor) & (s <= 0.95)
        if not last.any():
            continue
        i = np.flatnonzero(last)[np.argmax(f1[last])]
        out[j] = max((s[i] + s[i + 1]) / 2, floor) if i + 1 < len(s) else s[i]
    return out

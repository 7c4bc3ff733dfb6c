"""The guaranteed label: a unit that no label passes gets the one nearest to passing.

OPP-115 annotators leave almost no paragraph without a label but about a third of
sentences, so a model saved with ``fallback = "paragraph"`` applies this to paragraphs
only (see :meth:`privtag.inference.tagger.Tagger.decisions`). Cross-validation
(:mod:`privtag.evaluation.crossval_report`) scores the same function, so what it measures
is what the tagger does.

Example:
    >>> import numpy as np
    >>> with_fallback(np.array([[0, 0]]), np.array([[0.3, 0.2]]), np.array([0.5, 0.25])).tolist()
    [[False, True]]
"""

from __future__ import annotations

import numpy as np

FALLBACKS = ("none", "paragraph")
_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))``, with ``p`` clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def with_fallback(decisions: np.ndarray, scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Decisions where every unit with no label gets its nearest-to-passing label.

    "Nearest" is on the logit scale, so a label at 0.2 under a threshold of 0.25 is nearer
    than one at 0.3 under 0.5: thresholds differ per label, raw score gaps do not compare.

    Args:
        decisions: (n, k) 0/1; scores: (n, k); thresholds: (k,) or (n, k).

    Returns:
        (n, k) bool, a copy.
    """
    out = np.asarray(decisions, dtype=bool).copy()
    empty = ~out.any(axis=1)
    if empty.any():
        margin = logit(scores) - logit(np.broadcast_to(thresholds, np.shape(scores)))
        out[np.flatnonzero(empty), margin[empty].argmax(axis=1)] = True
    return out

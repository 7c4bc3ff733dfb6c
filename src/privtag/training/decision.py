"""Ways to turn scores into labels, fitted on scores of units a model was not trained on.

Every rule here ends as one threshold per label on the score scale, so a fitted rule is
saved as ``thresholds.json`` like any other, and :meth:`privtag.inference.tagger.Tagger.decisions`
applies it. The rules differ in how much they trust the fitting data:

* ``per_label``: the F1-best threshold of each label (:func:`privtag.training.thresholds.tune_thresholds`).
  Best where a label has many positives; brittle where it has few (a threshold fitted on
  20 sentences can sit at 0.93 and reject everything a new policy says).
* ``global``: one threshold for every label, the best for pooled micro-F1.
* ``shrunk``: each label's threshold pulled toward the global one,
  ``(n * t_label + m * t_global) / (n + m)`` with ``n`` the label's positives and
  ``m`` = :data:`SHRINK_PRIOR` (a label with as many positives as the prior lands
  halfway). Fixed, not tuned: tuning it would need yet another level of held-out data.
* ``platt``: per-label Platt scaling, a logistic regression of the label on the logit
  of its score, then 0.5 on the calibrated probability; that is a threshold on the raw
  score at ``sigmoid(-b / a)``.

:func:`~privtag.inference.fallback.with_fallback` (re-exported here) adds the guaranteed
label: a unit that no label passes gets the label whose score is closest to its
threshold. It lives with inference because a saved model applies it.

Example:
    >>> import numpy as np
    >>> s = np.array([[0.9, 0.2], [0.6, 0.7], [0.1, 0.4]]); y = np.array([[1, 0], [1, 1], [0, 0]])
    >>> fit_thresholds("global", s, y).round(2).tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

import numpy as np

from privtag.errors import DataError
from privtag.extras import require
from privtag.inference.fallback import logit as _logit
from privtag.inference.fallback import with_fallback
from privtag.training.thresholds import tune_thresholds

__all__ = ["RULES", "SHRINK_PRIOR", "fit_thresholds", "global_threshold", "with_fallback"]

RULES = ("per_label", "global", "shrunk", "platt")
#: Positives at which a label's own threshold and the global one weigh the same.
SHRINK_PRIOR = 50.0


def global_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The one threshold that maximises micro-F1 over all labels pooled."""
    t = tune_thresholds(np.asarray(scores).reshape(-1, 1), np.asarray(y).reshape(-1, 1))
    return float(t[0])


def _platt(scores: np.ndarray, y: np.ndarray, default: np.ndarray) -> np.ndarray:
    require("train", "sklearn")
    from sklearn.linear_model import LogisticRegression

    out = default.copy()
    z = _logit(scores)
    for j in range(scores.shape[1]):
        yj = y[:, j] > 0
        if yj.all() or not yj.any():
            continue
        # weak regularisation: two parameters from hundreds of units need little
        lr = LogisticRegression(C=100.0).fit(z[:, j : j + 1], yj)
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a > 0:  # a negative slope would mean the score ranks backwards: keep the default
            out[j] = 1 / (1 + np.exp(b / a))
    return out


def fit_thresholds(rule: str, scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-label thresholds (k,) of ``rule`` fitted on ``scores`` (n, k) and gold ``y`` (n, k).

    Raises:
        DataError: an unknown rule.
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y) > 0
    if rule not in RULES:
        raise DataError(f"decision rule must be one of {', '.join(RULES)}, not {rule!r}")
    if len(scores) == 0:
        return np.full(scores.shape[1], 0.5)
    if rule == "per_label":
        return tune_thresholds(scores, y)
    t_global = global_threshold(scores, y)
    if rule == "global":
        return np.full(scores.shape[1], t_global)
    if rule == "shrunk":
        n = y.sum(0).astype(float)
        own = tune_thresholds(scores, y, default=t_global)
        return (n * own + SHRINK_PRIOR * t_global) / (n + SHRINK_PRIOR)
    return _platt(scores, y, np.full(scores.shape[1], t_global))

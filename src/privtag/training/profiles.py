"""Threshold profiles: factors on the tuned thresholds, fitted for another kind of policy.

A model's thresholds are tuned on the policies it was cross-validated on (OPP-115, 2015).
Today's policies, annotated under ``data/annotations/GUIDELINES.md``, score lower: at
those thresholds the shipped model finds half of their practices or fewer, with
precision near 0.9 (``benchmarks/RESULTS.md``, "Threshold profiles"). Refitting twelve
thresholds freely on a few hundred sentences would fit their noise, so a profile is
fitted in two steps, on the annotated sentences scored both as :meth:`Tagger.tag` scores
them (in their paragraph, with their heading) and as :meth:`Tagger.predict` does (alone):

1. one shared factor, applied to every sentence and paragraph threshold, that gives the
   best mean micro-F1 (:func:`fit_scale`);
2. each label's own best factor, shrunk toward the shared one by its number of positives
   with the prior the ``shrunk`` decision rule uses
   (:data:`privtag.training.decision.SHRINK_PRIOR`): a label seen 10 times keeps about a
   sixth of its own fit (:func:`fit_label_scales`). With ``objective="balanced"`` each
   label's factor is instead the one that decides it as often as it was annotated
   (precision = recall, for unbiased counts; :func:`fit_label_rates`).

The profile is saved in ``thresholds.json`` beside the tuned thresholds, which it leaves
as they are; :meth:`privtag.Tagger.use_thresholds` (``--thresholds NAME``) selects it.

Example:
    >>> import numpy as np
    >>> y = np.array([[1, 0], [1, 0], [0, 1]])
    >>> s = np.array([[0.45, 0.1], [0.8, 0.1], [0.1, 0.4]])
    >>> fit_scale(y, [s], np.array([0.9, 0.9]))["scale"]  # the largest that takes 0.4
    0.4
"""

from __future__ import annotations

import time

import numpy as np

from privtag.data.records import multi_hot
from privtag.evaluation.metrics import f1_scores, label_f1
from privtag.inference.settings import reserved_profile
from privtag.training.decision import SHRINK_PRIOR
from privtag.training.thresholds import float32_scoring

#: The factors tried: from a fifth of each tuned threshold up to half as high again.
SCALES = tuple(round(0.2 + 0.05 * i, 2) for i in range(27))  # 0.20 ... 1.50
#: The factors a ``balanced`` profile tries: finer, since a count can be matched more
#: closely than F1 can be told apart on a few hundred sentences.
FINE_SCALES = tuple(round(0.1 + 0.01 * i, 2) for i in range(141))  # 0.10 ... 1.50
#: What a profile's per-label factors are fitted for (``privtag tune --objective``).
OBJECTIVES = ("f1", "balanced")


def _capped(factors: np.ndarray, scale: float) -> np.ndarray:
    # A label's own factor never raises its threshold (beyond what the shared factor does):
    # the tuned thresholds come from out-of-fold scores of many policies, a profile from a
    # few, where a rare label's fit can land anywhere (Do Not Track, 4 positives in 8
    # policies, asked for a threshold of 0.94). Measured: benchmarks/profile_loo.py.
    return np.minimum(factors, max(1.0, float(scale)))


def fit_scale(
    y: np.ndarray, score_sets: list[np.ndarray], thresholds: np.ndarray
) -> dict[str, float]:
    """The factor of :data:`SCALES` that maximises mean micro-F1 over ``score_sets``.

    Args:
        y: (n, 12) 0/1 gold labels.
        score_sets: (n, 12) score arrays of the same sentences (e.g. in policy, alone).
        thresholds: (12,) the tuned sentence thresholds.

    Returns:
        ``{"scale", "micro_before", "micro_after"}``: the factor (ties go to the one
        nearest 1, the smallest change) and the mean micro-F1 at 1 and at it.
    """
    thresholds = np.asarray(thresholds, dtype=float)

    def micro(scale: float) -> float:
        th = np.clip(thresholds * scale, 0.0, 1.0)
        return float(np.mean([f1_scores(y, s >= th)["micro"] for s in score_sets]))

    by_scale = {s: micro(s) for s in SCALES}  # 1.0 is among them: the tuned thresholds
    best = max(SCALES, key=lambda s: (round(by_scale[s], 9), -abs(s - 1.0)))
    return {"scale": best, "micro_before": by_scale[1.0], "micro_after": by_scale[best]}


def fit_label_scales(
    y: np.ndarray,
    score_sets: list[np.ndarray],
    thresholds: np.ndarray,
    scale: float,
    prior: float = SHRINK_PRIOR,
) -> np.ndarray:
    """Each label's factor: its own F1-best of :data:`SCALES`, shrunk toward ``scale``.

    Args:
        y: (n, 12) 0/1 gold labels.
        score_sets: (n, 12) score arrays of the same sentences (e.g. in policy, alone).
        thresholds: (12,) the tuned sentence thresholds.
        scale: the shared factor (:func:`fit_scale`), which a label with no positives keeps.
        prior: positives at which a label's own factor and the shared one weigh the same.

    Returns:
        (12,) factors ``(n * own + prior * scale) / (n + prior)``, ``n`` each label's
        positives; ``own`` maximises the label's mean F1 over ``score_sets`` (ties go to
        the factor nearest ``scale``). None is above the larger of 1 and ``scale``: a
        profile fitted on a few policies does not raise a label's tuned threshold.

    Example:
        >>> y = np.array([[1, 0], [1, 0], [0, 1]])
        >>> s = np.array([[0.45, 0.1], [0.8, 0.1], [0.1, 0.4]])
        >>> fit_label_scales(y, [s], np.array([0.9, 0.9]), 1.0, prior=2.0).round(2).tolist()
        [0.75, 0.8]
    """
    y = np.asarray(y) > 0
    thresholds = np.asarray(thresholds, dtype=float)
    # (scales, labels): each label's mean F1 over the score sets at every factor
    by_scale = np.array(
        [
            np.mean([label_f1(y, s >= np.clip(thresholds * f, 0.0, 1.0)) for s in score_sets], 0)
            for f in SCALES
        ]
    )
    out = np.full(y.shape[1], float(scale))
    for j in range(y.shape[1]):
        n = int(y[:, j].sum())
        if n == 0:
            continue
        k = max(
            range(len(SCALES)), key=lambda k: (round(by_scale[k, j], 9), -abs(SCALES[k] - scale))
        )
        out[j] = (n * SCALES[k] + prior * scale) / (n + prior)
    return _capped(out, scale)


def fit_label_rates(
    y: np.ndarray, score_sets: list[np.ndarray], thresholds: np.ndarray, scale: float
) -> np.ndarray:
    """Each label's factor that makes it as frequent in the decisions as in the gold.

    The ``balanced`` objective: a label predicted as often as annotators gave it has
    precision equal to recall, so counts over a corpus ("how many policies say they sell
    data") come out unbiased, the goal of quantification rather than classification
    (Forman, "Quantifying counts and costs via classification", Data Mining and Knowledge
    Discovery 17, 2008). Not shrunk: pulling a factor toward the F1-best shared one would
    bring back the imbalance it removes, and a count is a steadier target than an F1 peak
    (``benchmarks/profile_loo.py`` measures it on held-out policies).

    Args:
        y: (n, 12) 0/1 gold labels.
        score_sets: (n, 12) score arrays of the same sentences (e.g. in policy, alone).
        thresholds: (12,) the tuned sentence thresholds.
        scale: the shared factor, which a label with no positives keeps.

    Returns:
        (12,) factors of :data:`FINE_SCALES`: each label's mean number of decisions over
        ``score_sets`` nearest its number of positives (ties go to the one nearest
        ``scale``), at most the larger of 1 and ``scale``, as in :func:`fit_label_scales`.

    Example:
        >>> y = np.array([[1], [1], [0], [0]])
        >>> s = np.array([[0.6], [0.3], [0.2], [0.1]])
        >>> fit_label_rates(y, [s], np.array([0.8]), 1.0).tolist()  # 0.8 x 0.37 = 0.296
        [0.37]
    """
    y = np.asarray(y) > 0
    thresholds = np.asarray(thresholds, dtype=float)
    factors = np.asarray(FINE_SCALES)
    cut = np.clip(thresholds[None, :] * factors[:, None], 0.0, 1.0)  # (factors, labels)
    # (factors, labels): decisions per label at each factor, averaged over the score sets
    decided = np.mean([(s[None, :, :] >= cut[:, None, :]).sum(1) for s in score_sets], 0)
    out = np.full(y.shape[1], float(scale))
    for j in range(y.shape[1]):
        n = int(y[:, j].sum())
        if n:
            miss = np.round(np.abs(decided[:, j] - n), 9)
            out[j] = min(factors[miss == miss.min()], key=lambda f: abs(f - scale))
    return _capped(out, scale)


def profile_scores(tagger, sentences) -> tuple[np.ndarray, list[np.ndarray]]:
    """What a profile is fitted on: ``(y, [in_policy, alone])`` of annotated sentences.

    ``y`` (n, 12) int8 gold labels; the scores (n, 12) of each sentence in its paragraph, as
    ``tag()`` scores it, and alone, as ``predict()`` does, both in float32 so that a fit is
    the same on every machine.
    """
    from privtag.training.paragraph_data import sentence_scores

    with float32_scoring(tagger):
        in_policy = sentence_scores(tagger, sentences)
        alone = tagger.predict_proba(list(sentences["text"]))  # no context: as predict()
    return multi_hot(sentences["labels"], dtype=np.int8), [in_policy, alone]


def tune_profile(tagger, sentences, name: str, sources: list[str], objective: str = "f1") -> dict:
    """Fit threshold profile ``name`` on annotated ``sentences`` and add it to ``tagger``.

    ``sentences`` are sentence units with gold labels
    (:func:`privtag.data.sources.load_units`), scored by :func:`profile_scores`. ``objective`` is what each label's factor is fitted for:
    ``"f1"`` (:func:`fit_label_scales`) or ``"balanced"``, precision equal to recall
    (:func:`fit_label_rates`).

    Returns:
        The profile saved in ``tagger.thresholds["profiles"][name]``: ``scale`` (shared),
        ``label_scales`` (each label's), ``objective``, the sources, the numbers of
        sentences and policies, and mean micro-F1 at the tuned thresholds, at ``scale``
        and at ``label_scales``, on those same sentences.

    Raises:
        ValueError: ``name`` is ``"default"`` (the tuned thresholds themselves) or
            ``"auto"`` (the rule that picks a profile), or an unknown ``objective``.
    """
    if refused := reserved_profile(name):
        raise ValueError(refused)
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")
    y, score_sets = profile_scores(tagger, sentences)
    thresholds = np.asarray(tagger.thresholds["sentence"], dtype=float)
    fit = fit_scale(y, score_sets, thresholds)
    fit_labels = fit_label_rates if objective == "balanced" else fit_label_scales
    per_label = fit_labels(y, score_sets, thresholds, fit["scale"])
    decided = [s >= np.clip(thresholds * per_label, 0.0, 1.0) for s in score_sets]
    profile = {
        **fit,
        "label_scales": [round(float(v), 4) for v in per_label],
        "objective": objective,
        "micro_label_scales": float(np.mean([f1_scores(y, p)["micro"] for p in decided])),
        "fitted_on": sources,
        "sentences": len(y),
        "policies": len(set(sentences["policy"])),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    tagger.thresholds.setdefault("profiles", {})[name] = profile
    return profile

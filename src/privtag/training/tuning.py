"""Picking what decides labels on validation units: the paragraph aggregation and the
per-label thresholds of sentences and paragraphs.

:func:`tune_tagger` runs after :func:`privtag.training.train.train` (and ``privtag tune``
on a saved model): a fast check while developing. The thresholds a shipped model uses
come from out-of-fold scores of a cross-validation run instead
(:mod:`privtag.evaluation.crossval_final`).

Example:
    >>> metrics = tune_tagger(tagger, sentences, segments, ["max", "max+direct"])  # doctest: +SKIP
    >>> tagger.settings["aggregate"], metrics["segment"]["macro"]                  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from privtag.data.records import multi_hot, units_of
from privtag.evaluation.metrics import f1_scores
from privtag.labels import LABELS
from privtag.training.thresholds import float32_scoring, tune_thresholds

try:
    from datasets import Dataset
except ImportError as e:  # an optional dependency: say which extra has it
    from privtag.extras import missing

    raise missing("train", "datasets") from e

__all__ = ["ONE_PASS", "tune_tagger"]


def tune_tagger(
    tagger,
    sentences: Dataset,
    segments: Dataset,
    aggregates: list[str],
    tolerance: float = 0.0,
) -> dict:
    """Pick the paragraph aggregation and per-label thresholds on validation units.

    Sentence thresholds are tuned on ``sentences``. Paragraph thresholds are tuned on the
    segments of several sentences only: a one-sentence segment is scored and decided as
    a sentence (as :meth:`privtag.inference.tagger.Tagger.predict` does), so the segment F1
    returned is the one ``predict`` gets with the saved thresholds. The aggregation with
    the best segment macro-F1 is kept, unless a one-pass aggregation (``max``,
    ``noisy_or``: no second pass over whole paragraphs, about 1.6 times faster) comes
    within ``tolerance`` of it.

    Sets ``tagger.settings["aggregate"]`` and ``tagger.thresholds``; returns per-level
    metrics at the tuned thresholds (tuned on the same data, so optimistic), and under
    ``"kept"`` the labels per level the data cannot tune (no unit has them, or no score
    lies in the range of cuts): they keep the tagger's threshold (re-tuning on data
    without a label must not reset it). Scores are computed in float32
    whatever the tagger's dtype, so tuning gives the same thresholds on every machine.
    """
    with float32_scoring(tagger):
        return _tune(tagger, sentences, segments, aggregates, tolerance)


ONE_PASS = ("max", "noisy_or")


def _tune(tagger, sentences, segments, aggregates, tolerance) -> dict:
    out: dict = {"kept": {}}
    if sentences.num_rows:
        from privtag.training.paragraph_data import sentence_scores

        y = multi_hot(sentences["labels"])
        scores = sentence_scores(tagger, sentences)
        th, kept = _tuned(scores, y, tagger.thresholds.get("sentence"))
        tagger.thresholds["sentence"] = th.tolist()
        out["sentence"] = f1_scores(y, scores >= th, per_label=True)
        out["kept"]["sentence"] = kept
    if segments.num_rows:
        y = multi_hot(segments["labels"])
        all_scores, is_para = tagger.predict_proba_by_aggregate(units_of(segments), aggregates)
        t_sentence = np.asarray(tagger.thresholds["sentence"])
        before = tagger.thresholds.get("paragraph_by_aggregate") or {}
        results, by_aggregate, kept_by = {}, {}, {}
        for a in aggregates:
            scores = all_scores[a]
            # another aggregate's thresholds do not suit this one's scores: none, 0.5
            th, kept_by[a] = _tuned(scores[is_para], y[is_para], before.get(a))
            decide = np.where(is_para[:, None], th[None, :], t_sentence[None, :])
            results[a] = f1_scores(y, scores >= decide, per_label=True)
            out[f"segment[{a}]"] = {"micro": results[a]["micro"], "macro": results[a]["macro"]}
            by_aggregate[a] = th.tolist()
        best = max(aggregates, key=lambda a: results[a]["macro"])
        fast = [a for a in aggregates if a in ONE_PASS]
        if best not in ONE_PASS and fast:
            quick = max(fast, key=lambda a: results[a]["macro"])
            if results[best]["macro"] - results[quick]["macro"] <= tolerance:
                best = quick
        tagger.settings["aggregate"] = best
        tagger.thresholds["paragraph"] = by_aggregate[best]
        # kept so a user can trade speed for accuracy: Tagger.use_aggregate("max+direct")
        tagger.thresholds["paragraph_by_aggregate"] = by_aggregate
        out["segment"] = results[best]
        out["kept"]["segment"] = kept_by[best]
        out["aggregate"] = best
        out["aggregate_tolerance"] = tolerance
        out["multi_sentence_segments"] = int(is_para.sum())
    return out


def _tuned(scores: np.ndarray, y: np.ndarray, old) -> tuple[np.ndarray, list[str]]:
    """Thresholds tuned on ``(scores, y)``, and the labels that kept ``old``'s (0.5 when
    there is none): those the data cannot tune (no positives, or no score in the range
    of cuts), kept exactly, as rounding again could move them by 1e-6."""
    old = np.full(y.shape[1], 0.5) if old is None else np.asarray(old, dtype=np.float64)
    th = tune_thresholds(scores, y, default=np.nan)
    kept = np.isnan(th)
    return np.where(kept, old, _round_down(np.nan_to_num(th))), [
        LABELS[j] for j in np.flatnonzero(kept)
    ]


def _round_down(th: np.ndarray) -> np.ndarray:
    # rounding up could put a threshold above the very score it was tuned to accept
    return np.floor(th * 1e6) / 1e6

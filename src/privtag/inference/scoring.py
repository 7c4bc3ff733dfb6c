"""How a :class:`~privtag.inference.tagger.Tagger` turns units into scores, and scores into labels.

Every text given to :meth:`Tagger.predict_proba <privtag.inference.tagger.Tagger.predict_proba>`
is one unit: it is segmented, and a unit of several sentences is scored as a paragraph
exactly as :meth:`~privtag.inference.tagger.Tagger.tag` scores paragraphs. Sentence scores
use the unit's context (see :mod:`privtag.inference.encoding`); paragraph scores aggregate
the paragraph's sentence scores (``aggregate`` setting: ``max``; ``noisy_or``; ``direct``,
the whole paragraph scored as one unit; or ``max+direct``, the mean of the two). Sentences
and paragraphs have their own per-label thresholds, tuned on validation data and saved
with the model; :func:`tagged_policy` decides a whole policy's scores into its result.

The functions take the tagger as their first argument and the ``Tagger`` binds them as
its private methods (``Tagger._score`` is :func:`score_units`, and so on): the stream,
training and cross-validation call those names, and each function here calls the others
through the tagger, so a tagger that overrides one (a test's stub) is honoured by all.
The ``Tagger`` itself keeps the public API (its directory: :mod:`privtag.inference.persistence`).

Example:
    >>> from privtag.inference.scoring import split_unit
    >>> [s["text"] for s in split_unit("We sell nothing. We keep nothing.")]
    ['We sell nothing.', 'We keep nothing.']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from privtag.errors import ModelLoadError
from privtag.inference.encoding import (
    Unit,
    combine_windows,
    encode,
    unit_previous,
    unit_section,
    unit_text,
)
from privtag.inference.fallback import with_fallback
from privtag.inference.paragraphs import combine_rows, encode_paragraphs
from privtag.inference.results import TaggedParagraph, TaggedPolicy, TaggedSentence
from privtag.inference.settings import AGGREGATES, AUTO_PROFILE, resolve_profile
from privtag.labels import LABELS, NUM_LABELS
from privtag.segmentation.units import sentence_units, unit_sentences

if TYPE_CHECKING:  # only for annotations: the tagger module imports this one
    from privtag.inference.tagger import Tagger
    from privtag.segmentation.document import Document, Paragraph

__all__ = [
    "decisions",
    "document_paragraph_scores",
    "label_names",
    "paragraph_scores",
    "score_paragraphs",
    "score_units",
    "scores_by_aggregate",
    "split_unit",
    "tagged_policy",
]


def score_units(tagger: Tagger, units: Sequence[Unit], max_length: int) -> np.ndarray:
    """Sigmoid scores (n, 12) of units scored as single inputs (windows combined).

    Example:
        >>> score_units(tagger, ["We use cookies."], 128).shape  # doctest: +SKIP
        (1, 12)
    """
    if not units:
        return np.zeros((0, NUM_LABELS), dtype=np.float32)
    s = tagger.settings
    enc = encode(tagger.tokenizer, units, s["context"], max_length, s["context_tokens"])
    return combine_windows(tagger.scorer.score(enc), enc.owner, len(units))


def score_paragraphs(tagger: Tagger, paragraphs: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """``(sentence scores, direct paragraph scores)`` of paragraphs in one pass each.

    ``paragraphs`` are mappings with ``sentences`` (str), ``section`` and
    ``previous`` (see :func:`~privtag.inference.paragraphs.encode_paragraphs`).
    """
    s = tagger.settings
    enc = encode_paragraphs(
        tagger.tokenizer,
        paragraphs,
        s["context"],
        int(s["paragraph_max_length"]),
        s["context_tokens"],
    )
    return combine_rows(tagger.scorer.score(enc), enc, len(paragraphs))


def paragraph_scores(
    tagger: Tagger,
    sentence_scores: list[np.ndarray],
    paragraphs: Sequence[Unit],
    aggregates: Sequence[str] | None = None,
    direct: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Paragraph scores (n, 12) under each aggregation (default: the tagger's own).

    The sentence scores and the direct paragraph pass are computed once and shared
    by every aggregation asked for; ``direct`` is that pass when it is done already
    (one pass per paragraph).

    Raises:
        ModelLoadError: an aggregation that is not one of ``AGGREGATES``.
    """
    aggregates = list(aggregates or [tagger.settings["aggregate"]])
    for how in aggregates:
        if how not in AGGREGATES:
            raise ModelLoadError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {how!r}")
    empty = np.zeros((0, NUM_LABELS), dtype=np.float32)
    groups = sentence_scores or []
    best = np.stack([g.max(axis=0) for g in groups]) if groups else empty
    if direct is None and groups and {"direct", "max+direct"} & set(aggregates):
        direct = tagger._score(paragraphs, int(tagger.settings["paragraph_max_length"]))
    out = {}
    for how in aggregates:
        if how == "max" or not groups:
            out[how] = best
        elif how == "noisy_or":
            out[how] = np.stack([1 - np.prod(1 - g, axis=0) for g in groups])
        elif how == "direct":
            out[how] = direct
        else:
            out[how] = (best + direct) / 2
    return out


def split_unit(unit: Unit) -> list[dict]:
    """Sentences of a unit, each with its context, as ``Tagger.tag`` would see them.

    A unit without a single visible character has no sentences.
    """
    sentences = unit_sentences(unit_text(unit))
    # a unit is one paragraph to the caller: its sentences chain across blank lines
    return sentence_units(sentences, unit_section(unit), unit_previous(unit), False)


def scores_by_aggregate(
    tagger: Tagger, units: Sequence[Unit], aggregates: Sequence[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``Tagger.predict_proba_by_aggregate`` with the number of sentences of each unit.

    Returns:
        ``({aggregate: (n, 12) scores}, sentences per unit)``; a unit of one sentence
        is scored as that sentence, a unit of none scores 0.
    """
    split = [tagger._split(u) for u in units]
    direct_all = None
    if tagger.one_pass:
        sent, direct_all = tagger._score_paragraphs(
            [
                {
                    "sentences": [s["text"] for s in ss],
                    "section": unit_section(u),
                    "previous": unit_previous(u),
                }
                for u, ss in zip(units, split, strict=True)
            ]
        )
    else:
        sent = tagger._score([s for ss in split for s in ss], int(tagger.settings["max_length"]))
    is_para = np.array([len(ss) > 1 for ss in split], dtype=bool)
    single = np.zeros((len(units), NUM_LABELS), dtype=np.float32)
    ends = np.cumsum([len(ss) for ss in split])
    groups, para_units = [], []
    for i, ss in enumerate(split):
        block = sent[ends[i] - len(ss) : ends[i]]
        if len(ss) == 1:
            single[i] = block[0]
        elif len(ss) > 1:
            groups.append(block)
            u = units[i]
            para_units.append({"text": unit_text(u), "section": unit_section(u)})
    direct = direct_all[is_para] if direct_all is not None else None
    out = {}
    by_aggregate = tagger._paragraph_scores(groups, para_units, aggregates, direct)
    for how, scores in by_aggregate.items():
        out[how] = single.copy()
        if groups:
            out[how][is_para] = scores
    return out, np.array([len(ss) for ss in split], dtype=np.int64)


def document_paragraph_scores(
    tagger: Tagger, doc: Document, sent: np.ndarray, direct: np.ndarray | None = None
) -> tuple[list[Paragraph], np.ndarray, np.ndarray]:
    """Scores of ``doc``'s paragraphs that have sentences, given the sentence scores.

    Args:
        tagger: scores under its ``aggregate`` setting.
        doc: the segmented policy.
        sent: its sentence scores (n sentences, 12).
        direct: the direct score of each paragraph with sentences, when one pass made it.

    Returns:
        ``(paragraphs, several sentences or not (bool), scores (n paragraphs, 12))``.
    """
    paras = [p for p in doc.paragraphs if p.last > p.first]
    groups = [sent[p.first : p.last] for p in paras]
    para_units = [{"text": doc.text[p.start : p.end], "section": list(p.section)} for p in paras]
    # a one-sentence paragraph is scored as a sentence, exactly as predict() does
    multi = np.array([p.last - p.first > 1 for p in paras], dtype=bool)
    pscores = np.array([g[0] for g in groups], dtype=np.float32).reshape(-1, NUM_LABELS)
    if multi.any():
        pscores[multi] = tagger._paragraph_scores(
            [g for g, m in zip(groups, multi, strict=True) if m],
            [u for u, m in zip(para_units, multi, strict=True) if m],
            direct=direct[multi] if direct is not None else None,
        )[tagger.settings["aggregate"]]
    return paras, multi, pscores


def decisions(
    tagger: Tagger,
    scores: np.ndarray,
    is_paragraph: np.ndarray,
    paragraph: np.ndarray | None = None,
    profile: str | None = None,
) -> np.ndarray:
    """0/1 decisions (n, 12) of scores (n, 12) at the thresholds of ``profile`` (default:
    the one in use; :meth:`~privtag.inference.tagger.Tagger.decision_thresholds`).

    Row ``i`` uses the paragraph thresholds where ``is_paragraph[i]`` (see
    :meth:`~privtag.inference.tagger.Tagger.predict_proba_by_aggregate`), else the
    sentence thresholds. With the ``fallback`` setting ``"paragraph"``, a row of
    ``paragraph`` (default: ``is_paragraph``) that no label passes gets its
    nearest-to-passing label; :meth:`~privtag.inference.tagger.Tagger.tag` marks every
    paragraph, one-sentence ones included, as cross-validation scores them.

    Example:
        >>> tagger.decisions(np.full((1, 12), 0.9), np.array([False]))  # doctest: +SKIP
        array([[ True,  True, ...]])
    """
    t_s, t_p = tagger.decision_thresholds(profile)
    th = np.where(np.asarray(is_paragraph)[:, None], t_p[None, :], t_s[None, :])
    out = scores >= th
    if tagger.settings.get("fallback", "none") == "paragraph":
        rows = np.flatnonzero(is_paragraph if paragraph is None else paragraph)
        if len(rows):
            out[rows] = with_fallback(out[rows], scores[rows], th[rows])
    return out


def unit_decisions(
    tagger: Tagger, scores: np.ndarray, sizes: np.ndarray, profile: str | None = None
) -> np.ndarray:
    """0/1 decisions (n, 12) of units given without their policy, as ``predict()`` decides.

    ``sizes`` (n,) is each unit's number of sentences. A unit of several sentences is
    decided at the paragraph thresholds of ``profile`` (default: the one in use), a
    one-sentence unit at its sentence thresholds; under ``"auto"`` a one-sentence unit
    gets the model's profile for sentences alone (``{"auto": {"alone": NAME}}``), since
    no policy text says when it was written. A unit without text gets no label.
    """
    requested = profile or tagger.profile
    sizes = np.asarray(sizes)
    is_para = sizes > 1
    longer = resolve_profile(tagger.thresholds, requested)[0]
    out = tagger.decisions(scores, is_para, profile=longer)
    alone = resolve_profile(tagger.thresholds, requested, alone=True)[0]
    ones = np.flatnonzero(sizes == 1)
    if len(ones) and alone != longer:
        out[ones] = tagger.decisions(scores[ones], is_para[ones], profile=alone)
    out[sizes == 0] = False  # even at a threshold of 0
    return out


def label_names(
    tagger: Tagger,
    scores: np.ndarray,
    is_para: np.ndarray,
    paragraph: np.ndarray | None = None,
    profile: str | None = None,
) -> list[list[str]]:
    """The label names of each row that :func:`decisions` accepts."""
    return names_of(tagger.decisions(scores, is_para, paragraph, profile))


def names_of(rows: np.ndarray) -> list[list[str]]:
    """The label names of each row of 0/1 decisions (n, 12)."""
    return [[LABELS[j] for j in np.flatnonzero(row)] for row in rows]


def tagged_policy(
    tagger: Tagger,
    doc: Document,
    sent: np.ndarray,
    direct: np.ndarray | None = None,
    profile: str | None = None,
) -> TaggedPolicy:
    """The tagged policy of ``doc`` given its sentence scores (n sentences, 12), and
    the direct score of each paragraph with sentences when one pass made it, decided
    under threshold ``profile`` (default: the tagger's)."""
    paras, multi, pscores = document_paragraph_scores(tagger, doc, sent, direct)
    requested = profile or tagger.profile
    # a policy of one sentence is a sentence alone: its era cannot be read from it, and
    # predict() on the same sentence must decide as tag() does
    one = len(doc.sentences) == 1
    profile, terms = resolve_profile(tagger.thresholds, requested, doc.text, alone=one)
    s_labels = tagger._labels(sent, np.zeros(len(sent), dtype=bool), profile=profile)
    p_labels = tagger._labels(pscores, multi, np.ones(len(multi), dtype=bool), profile=profile)
    sentences = [
        TaggedSentence.of(s, lab, sc)
        for s, lab, sc in zip(doc.sentences, s_labels, sent, strict=True)
    ]
    paragraphs = [
        TaggedParagraph.of(p, doc.text, lab, sc)
        for p, lab, sc in zip(paras, p_labels, pscores, strict=True)
    ]
    # what decided the labels travels with them, so a report made later can show it
    t_sentence, t_paragraph = tagger.decision_thresholds(profile)
    decided = {
        "aggregate": tagger.settings["aggregate"],
        "fallback": tagger.settings.get("fallback", "none"),
        "profile": profile,
        "thresholds": {"sentence": t_sentence.tolist(), "paragraph": t_paragraph.tolist()},
    }
    if requested == AUTO_PROFILE and tagger.thresholds.get(AUTO_PROFILE):
        # why this profile: the terms the policy uses (a model without a profile for
        # current policies never looks, so it records no reason)
        decided["profile_chosen_by"] = {"rule": AUTO_PROFILE, "gdpr_era_terms": terms}
        if one:
            decided["profile_chosen_by"]["one_sentence"] = True
    return TaggedPolicy(doc, sentences, paragraphs, model=tagger.name, metadata=decided)

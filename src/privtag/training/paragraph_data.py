"""Training data for one pass per paragraph (``model.encoding = "paragraph"``).

Annotated sentences are regrouped into their paragraphs (rows of one policy with the
same ``paragraph`` index, in text order) and encoded with
:func:`~privtag.inference.paragraphs.encode_paragraphs`, the builder ``Tagger.tag``
uses. Every window has a target per score row: the paragraph's own labels (its
segment unit's, else the union of its sentences') for row 0, each sentence's labels
for its row. :class:`SpanCollator` pads windows and builds the pooling weights.

Context dropout (``model.context_dropout = p``) here means: a share ``p`` of paragraphs
lose their heading, and a share ``p`` of sentences are added again as lone windows, as
``Tagger.predict`` sees a sentence given alone.

Example:
    >>> groups = paragraph_groups(sentences)                 # doctest: +SKIP
    >>> [len(rows) for _, rows in groups][:3]                 # doctest: +SKIP
    [1, 4, 2]
"""

from __future__ import annotations

import numpy as np
import torch

from privtag.data.records import unit_targets, units_of
from privtag.inference.paragraphs import encode_paragraphs, span_weights
from privtag.labels import NUM_LABELS

try:
    from datasets import Dataset
except ImportError as e:  # an optional dependency: say which extra has it
    from privtag.extras import missing

    raise missing("train", "datasets") from e

__all__ = [
    "SpanCollator",
    "encode_paragraph_dataset",
    "paragraph_groups",
    "paragraph_units",
    "sentence_scores",
]


def paragraph_groups(sentences: Dataset) -> list[tuple[tuple, list[int]]]:
    """``[((policy, paragraph), row indices in text order)]`` of a sentence dataset.

    A row without a paragraph index (-1) is a paragraph of its own. Groups come in
    order of their first row.
    """
    groups: dict[tuple, list[int]] = {}
    policies, paras = sentences["policy"], sentences["paragraph"]
    for i, (policy, para) in enumerate(zip(policies, paras, strict=True)):
        key = (policy, para) if para >= 0 else (policy, f"row{i}")
        groups.setdefault(key, []).append(i)
    starts = sentences["start"]
    return [(key, sorted(rows, key=lambda i: starts[i])) for key, rows in groups.items()]


def paragraph_units(sentences: Dataset, groups: list[tuple[tuple, list[int]]]) -> list[dict]:
    """One unit per group for :func:`encode_paragraphs`: its sentences and heading path
    (the first sentence's, without the sentence itself, as ``Tagger.tag`` takes it)."""
    texts, sections = sentences["text"], sentences["section"]
    out = []
    for _, rows in groups:
        first = rows[0]
        section = [h for h in sections[first] if h != texts[first]]
        out.append({"sentences": [texts[i] for i in rows], "section": section})
    return out


def encode_paragraph_dataset(
    tokenizer, sentences: Dataset, segments: Dataset, recipe, training: bool = True
) -> Dataset:
    """Paragraph windows of annotated units with a target per score row.

    Args:
        tokenizer: the base encoder's tokenizer.
        sentences: annotated sentence units (with ``policy``, ``paragraph``, ``start``).
        segments: the same policies' segment units, whose labels are the paragraphs'
            targets (a paragraph without one takes the union of its sentences').
        recipe: ``model`` window and context settings, ``data.targets``,
            ``model.context_dropout`` and ``train.seed``.
        training: apply soft targets and context dropout (else 0/1 labels, full context).

    Returns:
        A Dataset with ``input_ids``, ``token_type_ids``, ``spans`` (token ranges per
        row), ``labels`` (rows x 12), ``owner`` (the paragraph of each window), ``length``.
        Rows of a level not in ``data.levels`` have NaN targets and are not trained on.

    With ``teacher`` and ``teacher_paragraph`` columns on ``sentences``
    (:func:`privtag.training.paragraph_distill.with_paragraph_teacher`) and ``training``,
    ``labels`` are 24 per row: gold, then the teacher's score.
    """
    m, d = recipe.model, recipe.data
    soft = training and d.targets == "soft"
    y_sent, y_seg = unit_targets(sentences, soft), unit_targets(segments, soft)
    seg_row = {
        (p, k): i
        for i, (p, k) in enumerate(zip(segments["policy"], segments["paragraph"], strict=True))
        if k >= 0
    }
    groups = paragraph_groups(sentences)
    units = paragraph_units(sentences, groups)
    rows_of = [rows for _, rows in groups]
    para_y = [
        y_seg[seg_row[key]] if key in seg_row else y_sent[rows].max(0) for key, rows in groups
    ]
    if training and "teacher" in sentences.features:
        # distillation (privtag.training.paragraph_distill): every row's target is gold,
        # then the teacher; a paragraph's teacher score is its direct one, a sentence's its
        # score in its paragraph (also when context dropout shows it alone)
        t_sent = np.asarray(sentences["teacher"], dtype=np.float32).reshape(-1, NUM_LABELS)
        t_para = np.asarray(sentences["teacher_paragraph"], dtype=np.float32)
        t_para = t_para.reshape(-1, NUM_LABELS)
        y_sent = np.concatenate([y_sent, t_sent], axis=1)
        para_y = [
            np.concatenate([y, t_para[rows[0]]])
            for y, (_, rows) in zip(para_y, groups, strict=True)
        ]
    if training and m.context_dropout > 0:
        rng = np.random.default_rng(recipe.train.seed)
        for unit, dropped in zip(units, rng.random(len(units)) < m.context_dropout, strict=True):
            if dropped:
                unit["section"] = []
        texts = sentences["text"]
        for i in np.flatnonzero(rng.random(sentences.num_rows) < m.context_dropout):
            units.append({"sentences": [texts[i]]})
            rows_of.append([int(i)])
            para_y.append(y_sent[i])
    enc = encode_paragraphs(tokenizer, units, m.context, m.paragraph_max_length, m.context_tokens)
    sentence_row = [i for rows in rows_of for i in rows]  # numbered as encode_paragraphs does
    para_t = np.asarray(para_y, dtype=np.float32).reshape(-1, y_sent.shape[1])
    return window_dataset(enc, row_targets(enc, para_t, y_sent[sentence_row], d.levels))


def row_targets(enc, paragraphs: np.ndarray, sentences: np.ndarray, levels) -> np.ndarray:
    """The target of each score row of ``enc``: its paragraph's row of ``paragraphs`` for a
    paragraph row, its sentence's row of ``sentences`` (numbered as ``enc`` numbers them)
    for a sentence row; NaN for a level not in ``levels`` (the collator masks it)."""
    rs, rp = np.asarray(enc.row_sentence, dtype=np.int64), np.asarray(enc.row_paragraph)
    targets = np.where((rs < 0)[:, None], paragraphs[rp], sentences[np.maximum(rs, 0)])
    if "segment" not in levels:
        targets[rs < 0] = np.nan
    if "sentence" not in levels:
        targets[rs >= 0] = np.nan
    return targets.astype(np.float32)


def window_dataset(enc, targets: np.ndarray) -> Dataset:
    """The training Dataset of paragraph windows ``enc`` with one target per score row
    (``targets``: (rows, 12), or (rows, 24) gold then teacher), rows in ``enc``'s order."""
    ends = np.cumsum([len(spans) for spans in enc.spans], dtype=np.int64)
    labels = [t.tolist() for t in np.split(targets, ends[:-1])] if len(ends) else []
    return Dataset.from_dict(
        {
            "input_ids": enc.input_ids,
            "token_type_ids": enc.token_type_ids,
            "spans": [[list(s) for s in spans] for spans in enc.spans],
            "labels": labels,
            "owner": enc.owner,
            "length": [len(x) for x in enc.input_ids],
        }
    )


def label_rows(ds: Dataset) -> np.ndarray:
    """Every score row's gold target of a paragraph dataset, stacked: (rows, 12); NaN for
    rows without gold (a level not trained on, corpus paragraphs under distillation)."""
    # each window's labels are nested (rows, width): width 12, or 24 with a teacher
    rows = [np.asarray(x, dtype=np.float32) for x in ds["labels"]]
    if not rows:
        return np.zeros((0, NUM_LABELS), dtype=np.float32)
    return np.concatenate(rows)[:, :NUM_LABELS]


class SpanCollator:
    """Pad paragraph windows into a batch: ids, types, mask, pooling weights, row targets.

    Args:
        pad_token_id: the tokenizer's padding id.
    """

    def __init__(self, pad_token_id: int = 0):
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        n_rows = max(len(f["spans"]) for f in features)
        ids = np.full((len(features), width), self.pad_token_id, dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        cols = len(features[0]["labels"][0])
        distil = cols == 2 * NUM_LABELS  # gold then teacher: NaN halves stay for the loss
        labels = np.full((len(features), n_rows, cols), np.nan if distil else 0, np.float32)
        keep = np.zeros((len(features), n_rows), dtype=np.float32)
        for b, f in enumerate(features):
            n = len(f["input_ids"])
            ids[b, :n], types[b, :n], mask[b, :n] = f["input_ids"], f["token_type_ids"], 1
            y = np.asarray(f["labels"], dtype=np.float32)
            if distil:  # a row counts when it has gold or a teacher score
                labels[b, : len(y)] = y
                keep[b, : len(y)] = ~np.isnan(y).all(1)
            else:  # rows of a level the recipe does not train on have NaN targets
                labels[b, : len(y)] = np.nan_to_num(y)
                keep[b, : len(y)] = ~np.isnan(y).any(1)
        weights = span_weights([[tuple(s) for s in f["spans"]] for f in features], width)
        batch = {
            "input_ids": ids,
            "token_type_ids": types,
            "attention_mask": mask,
            "span_weights": weights,
            "labels": labels,
            "label_mask": keep,
        }
        return {k: torch.from_numpy(v) for k, v in batch.items()}


def sentence_scores(tagger, sentences: Dataset) -> np.ndarray:
    """Scores (n, 12) of annotated sentences as :meth:`Tagger.tag` scores them in their
    policy: each with its context, or in one pass over its paragraph."""
    if not tagger.one_pass:
        return tagger._score(units_of(sentences), int(tagger.settings["max_length"]))
    groups = paragraph_groups(sentences)
    scores, _ = tagger._score_paragraphs(paragraph_units(sentences, groups))
    out = np.zeros_like(scores)
    out[[i for _, rows in groups for i in rows]] = scores
    return out

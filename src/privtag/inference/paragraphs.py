"""One pass per paragraph: each token encoded once, each sentence scored from its own tokens.

With the ``encoding = "paragraph"`` setting a model reads a whole paragraph at a time.
Its sentences are packed, in order, into windows
``[CLS] s1 s2 ... sk [SEP] heading [SEP] previous [SEP]`` (the context as in
:mod:`privtag.inference.encoding`), and each window has several score rows: row 0
pools every paragraph token of the window (the paragraph's direct score) and each
sentence's row pools that sentence's own tokens. So every sentence sees its whole
paragraph as context, the paragraph is scored in the same pass, and no token is
encoded twice. With ``encoding = "sentence"`` (older models) each sentence is its own
window with its heading and previous sentence, and a paragraph is a second pass.

A paragraph longer than a window goes on in the next window, whose context is the
heading and the end of the sentence before it; a sentence longer than a window is cut
into overlapping windows of its own, as :func:`~privtag.inference.encoding.encode`
cuts a unit. A sentence or paragraph over several windows takes the max of their rows.

Example:
    >>> enc = encode_paragraphs(tokenizer, [{"sentences": ["We keep logs.", "We sell
    ...     nothing."], "section": ["Data"]}], "section", 64, 24)   # doctest: +SKIP
    >>> enc.spans                                                      # doctest: +SKIP
    [[(1, 11), (1, 5), (5, 11)]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from privtag.inference.encoding import (
    Encoded,
    context_ids,
    context_texts,
    split_windows,
    token_ids,
    window,
    window_budget,
)
from privtag.labels import NUM_LABELS
from privtag.segmentation.document import Document

__all__ = [
    "ENCODINGS",
    "ParagraphEncoded",
    "combine_rows",
    "document_paragraphs",
    "encode_paragraphs",
]

#: How a model reads text: a window per sentence, or one pass per paragraph.
ENCODINGS = ("sentence", "paragraph")


@dataclass
class ParagraphEncoded(Encoded):
    """:class:`Encoded` windows of paragraphs with one score row per span.

    ``row_sentence[r]`` is the sentence (numbered across all paragraphs, in order) of
    score row ``r``, or -1 for a paragraph row; ``row_paragraph[r]`` its paragraph.
    Rows follow the windows in order and, in a window, its spans.
    """

    row_sentence: list[int] | None = None
    row_paragraph: list[int] | None = None
    n_sentences: int = 0


def document_paragraphs(doc: Document) -> list[dict]:
    """The paragraphs of ``doc`` that hold sentences, as units for :func:`encode_paragraphs`.

    Paragraph ``p`` holds ``doc.sentences[p.first:p.last]``, so the sentences come out in
    document order. Its heading path is its first sentence's, without the sentence itself
    (a heading is not its own section).
    """
    out = []
    for p in doc.paragraphs:
        if p.last > p.first:
            sentences = doc.sentences[p.first : p.last]
            first = sentences[0]
            section = [h for h in first.section if h != first.text]
            out.append({"sentences": [s.text for s in sentences], "section": section})
    return out


def encode_paragraphs(
    tokenizer,
    paragraphs: Sequence[Mapping],
    context: str = "section",
    max_length: int = 256,
    context_tokens: int = 24,
) -> ParagraphEncoded:
    """Encode paragraphs into windows with one span per sentence (see the module docstring).

    Args:
        tokenizer: a Hugging Face tokenizer of a BERT-style encoder.
        paragraphs: mappings with ``sentences`` (a list of str, in order) and optionally
            ``section`` (heading path, outermost first) and ``previous`` (the sentence
            before the paragraph, context for its first window).
        context: one of :data:`~privtag.inference.encoding.CONTEXTS`.
        max_length: tokens per window, special tokens included.
        context_tokens: the most tokens of context per window (at most half the window).

    Returns:
        :class:`ParagraphEncoded`; a paragraph without sentences has no window.
    """
    context_tokens = window_budget(context, max_length, context_tokens)
    out = ParagraphEncoded([], [], [], [], [], [])
    texts = [s for p in paragraphs for s in p["sentences"]]
    out.n_sentences = len(texts)
    if not texts:
        return out
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    use_prev = "previous" in context
    parts = [
        context_texts(p.get("section") or [], p.get("previous") or "", context) for p in paragraphs
    ]
    tok = token_ids(tokenizer, (*texts, *(h for h, _ in parts), *(b for _, b in parts)))
    n, k = len(texts), len(paragraphs)
    sent_ids, head_ids, before_ids = tok[:n], tok[n : n + k], tok[n + k :]
    first = 0
    for p, para in enumerate(paragraphs):
        ids = [
            sent_ids[first + j] or [tokenizer.unk_token_id] for j in range(len(para["sentences"]))
        ]
        windows = _windows(
            ids, head_ids[p], before_ids[p], use_prev, context_tokens, max_length, sep
        )
        for pieces, ctx in windows:
            _emit(out, p, [(first + j, piece) for j, piece in pieces], ctx, cls, sep)
        first += len(ids)
    return out


def _windows(ids, heading, before, use_prev, budget, max_length, sep):
    """``(pieces, context)`` of each window of one paragraph whose sentences have token
    ``ids``: pieces are ``(sentence index, its tokens in the window)``, in order."""
    j, previous = 0, before
    while j < len(ids):
        ctx = context_ids(heading, previous if use_prev else [], budget, sep)
        room = max_length - 2 - (len(ctx) + 1 if ctx else 0)
        if len(ids[j]) > room:  # a sentence longer than a window: windows of its own
            for piece in split_windows(ids[j], room):
                yield [(j, piece)], ctx
            previous, j = ids[j], j + 1
            continue
        pieces, used = [], 0
        while j < len(ids) and used + len(ids[j]) <= room:
            pieces.append((j, ids[j]))
            used += len(ids[j])
            j += 1
        yield pieces, ctx
        previous = pieces[-1][1]


def _emit(out: ParagraphEncoded, p: int, sentences: list, ctx: list[int], cls: int, sep: int):
    text = [t for _, ids in sentences for t in ids]
    ids, types = window(cls, sep, text, ctx)
    spans, at = [(1, 1 + len(text))], 1
    out.row_sentence.append(-1)
    out.row_paragraph.append(p)
    for s, piece in sentences:
        spans.append((at, at + len(piece)))
        at += len(piece)
        out.row_sentence.append(s)
        out.row_paragraph.append(p)
    out.input_ids.append(ids)
    out.token_type_ids.append(types)
    out.owner.append(p)
    out.spans.append(spans)


def combine_rows(
    scores: np.ndarray, enc: ParagraphEncoded, n_paragraphs: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(sentence scores (n_sentences, 12), paragraph scores (n_paragraphs, 12))`` from
    the rows a scorer returned for ``enc``: each the max of its rows (logits or
    probabilities alike); a paragraph or sentence without rows gets 0."""
    scores = np.asarray(scores)
    rs = np.asarray(enc.row_sentence, dtype=np.int64)
    rp = np.asarray(enc.row_paragraph, dtype=np.int64)
    sent = np.full((enc.n_sentences, NUM_LABELS), -np.inf, dtype=np.float32)
    para = np.full((n_paragraphs, NUM_LABELS), -np.inf, dtype=np.float32)
    is_s = rs >= 0
    np.maximum.at(sent, rs[is_s], scores[is_s])
    np.maximum.at(para, rp[~is_s], scores[~is_s])
    sent[~np.isfinite(sent).all(1)] = 0
    para[~np.isfinite(para).all(1)] = 0
    return sent, para


def span_weights(spans: Sequence[Sequence[tuple[int, int]]], width: int) -> np.ndarray:
    """Mean-pooling weights (windows, rows, width) of ``spans``: each row averages its span.

    Rows past a window's own spans are all zero (padding).
    """
    rows = max(len(s) for s in spans)
    w = np.zeros((len(spans), rows, width), dtype=np.float32)
    for i, window_spans in enumerate(spans):
        for r, (a, b) in enumerate(window_spans):
            w[i, r, a:b] = 1.0 / max(1, b - a)
    return w

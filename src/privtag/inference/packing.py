"""Packed batches: several paragraph windows share one row of a forward pass, no padding.

Length-sorted batches of paragraph windows still pad about a fifth of their tokens (the
seed and corpus policies of ``benchmarks/bench_tag.py``: 161,522 real tokens in 203,722),
and the encoder's cost is per token. Packing puts several windows end to end in one row
of ``capacity`` tokens (first fit, longest first), and keeps them apart with a
block-diagonal attention mask: a token attends only to the tokens of its own window, and
positions restart at 0 with each window. Each window is then encoded exactly as if it
were alone (in float32 the scores equal the padded path's; ``tests/inference``), and
each span is pooled from its own tokens as before.

This needs an encoder whose forward takes ``position_ids`` and a 4-D boolean mask (BERT
in transformers 5 does); :class:`~privtag.inference.backends.TorchScorer` falls back to
padded batches for any other.

Example:
    >>> enc = Encoded([[101, 7, 102], [101, 8, 9, 102]], [[0, 0, 0], [0, 0, 0, 0]],
    ...               [0, 1], [[(1, 2)], [(1, 3)]])
    >>> batch = next(packed_batches(enc, capacity=8, budget=8))
    >>> batch.input_ids.tolist()
    [[101, 8, 9, 102, 101, 7, 102]]
    >>> batch.position_ids.tolist()
    [[0, 1, 2, 3, 0, 1, 2]]
    >>> batch.rows.tolist()  # output rows of the pooled spans, in pooled order
    [1, 0]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from privtag.inference.encoding import Encoded
from privtag.inference.paragraphs import span_weights

__all__ = ["PackedBatch", "pack_rows", "packed_batches"]


@dataclass
class PackedBatch:
    """One forward pass of packed windows (``rows`` wide ``width`` tokens).

    Attributes:
        input_ids, token_type_ids, position_ids: (rows, width) int64; padding is 0.
        window: (rows, width) int64, which window of the row each token belongs to
            (-1 for padding); :meth:`attention_mask` is built from it.
        span_weights: (rows, spans, width) float32, each span's mean-pooling weights.
        valid: (rows, spans) bool, the spans that exist (rows hold different counts).
        rows: (n_valid,) int64, the output row of each valid span, in ``valid`` order.
    """

    input_ids: np.ndarray
    token_type_ids: np.ndarray
    position_ids: np.ndarray
    window: np.ndarray
    span_weights: np.ndarray
    valid: np.ndarray
    rows: np.ndarray

    def attention_mask(self) -> np.ndarray:
        """(rows, 1, width, width) bool: True where a token may attend to another.

        A padding token attends to itself only, so that no softmax row is empty (an
        all-masked row would give NaN, which later matrix products would spread).
        """
        w = self.window
        same = (w[:, :, None] == w[:, None, :]) & (w[:, :, None] >= 0)
        same |= np.eye(w.shape[1], dtype=bool)[None]
        return same[:, None]


def pack_rows(lengths: list[int], capacity: int) -> list[list[int]]:
    """Windows grouped into rows of at most ``capacity`` tokens, longest first, first fit.

    A window longer than ``capacity`` gets a row of its own.

    Example:
        >>> pack_rows([5, 3, 2, 6], capacity=8)
        [[3, 2], [0, 1]]
    """
    rows: list[list[int]] = []
    free: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        n = lengths[i]
        for r, room in enumerate(free):
            if n <= room:
                rows[r].append(i)
                free[r] -= n
                break
        else:
            rows.append([i])
            free.append(max(0, capacity - n))
    return rows


def packed_batches(encoded: Encoded, capacity: int, budget: int) -> Iterator[PackedBatch]:
    """Windows with spans packed into rows of ``capacity`` tokens, ``budget`` tokens a pass.

    Args:
        encoded: windows with ``spans`` (one pass per paragraph).
        capacity: tokens per row; the longest window sets it when it is longer.
        budget: tokens per forward pass; each pass holds ``max(1, budget // capacity)`` rows.

    Yields:
        :class:`PackedBatch` es; together their ``rows`` cover every span once.
    """
    lengths = [len(x) for x in encoded.input_ids]
    if not lengths:
        return
    capacity = max(capacity, max(lengths))
    per_pass = max(1, budget // capacity)
    starts = np.cumsum([0, *(len(s) for s in encoded.spans)])
    rows = pack_rows(lengths, capacity)
    for b in range(0, len(rows), per_pass):
        group = rows[b : b + per_pass]
        width = max(sum(lengths[i] for i in row) for row in group)
        most = max(sum(len(encoded.spans[i]) for i in row) for row in group)
        ids = np.zeros((len(group), width), dtype=np.int64)
        types, positions = np.zeros_like(ids), np.zeros_like(ids)
        window = np.full_like(ids, -1)
        spans: list[list[tuple[int, int]]] = []  # each row's spans, at their row offsets
        valid = np.zeros((len(group), most), dtype=bool)
        out = np.zeros((len(group), most), dtype=np.int64)
        for r, row in enumerate(group):
            at, row_spans, dest = 0, [], []
            for j, i in enumerate(row):
                n = lengths[i]
                ids[r, at : at + n] = encoded.input_ids[i]
                types[r, at : at + n] = encoded.token_type_ids[i]
                positions[r, at : at + n] = np.arange(n)
                window[r, at : at + n] = j
                row_spans += [(at + s, at + e) for s, e in encoded.spans[i]]
                dest += range(starts[i], starts[i + 1])
                at += n
            valid[r, : len(dest)] = True
            out[r, : len(dest)] = dest
            spans.append(row_spans)
        weights = span_weights(spans, width)  # (rows, most, width): most spans of any row
        yield PackedBatch(ids, types, positions, window, weights, valid, out[valid])

"""Scorers: the seam where a model computes scores (torch today; ONNX, GPU, remote next).

A :class:`Scorer` takes tokenized windows (:class:`~privtag.inference.encoding.Encoded`)
and returns one row of 12 sigmoid scores per window, or per span when the windows
carry spans (one pass per paragraph: :mod:`privtag.inference.paragraphs`); everything before (segmentation,
units, encoding) and after (combining windows, aggregation, thresholds) is shared by
every backend. :class:`TorchScorer` is the PyTorch implementation.

Example:
    >>> scorer = TorchScorer(model, batch_size=16)          # doctest: +SKIP
    >>> scorer.score(encode(tokenizer, ["We keep logs."])).shape  # doctest: +SKIP
    (1, 12)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from privtag.errors import ModelLoadError
from privtag.inference.encoding import Encoded
from privtag.inference.packing import packed_batches
from privtag.inference.paragraphs import span_weights
from privtag.labels import NUM_LABELS

__all__ = [
    "BACKENDS",
    "Scorer",
    "TorchScorer",
    "padded_batches",
    "resolve_device",
    "score_spans",
    "span_batches",
]

#: Backend names :meth:`~privtag.inference.tagger.Tagger.from_pretrained` accepts.
BACKENDS = ("torch", "onnx", "onnx-int8")


@runtime_checkable
class Scorer(Protocol):
    """Tokenized windows in, sigmoid scores out: ``score(encoded) -> (rows, 12)``.

    A row per window, or per span when ``encoded.spans`` is set (windows in order).
    """

    def score(self, encoded: Encoded) -> np.ndarray: ...


def resolve_device(device: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"auto"`` (cuda when available) as a torch device.

    Raises:
        ModelLoadError: ``cuda`` asked for on a machine without it, or an unknown name.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("device 'cuda' is not available here; use device='cpu' or 'auto'")
    if device not in ("cpu", "cuda"):
        raise ModelLoadError(f"device must be one of cpu, cuda, auto, not {device!r}")
    return torch.device(device)


class TorchScorer:
    """Score windows with a PyTorch model, in length-sorted batches.

    Args:
        model: a :class:`~privtag.inference.model.PrivtagClassifier` (moved to ``device``).
        batch_size: windows per forward pass.
        dtype: ``torch.bfloat16`` computes under autocast (weights stay float32).
        device: ``"cpu"``, ``"cuda"`` or ``"auto"``.
        pack_tokens: windows with spans (one pass per paragraph) are packed end to end
            into rows of ``pack_capacity`` tokens, this many tokens a pass
            (:mod:`privtag.inference.packing`); 0 pads length-sorted batches of
            ``batch_size`` windows instead. Only a BERT encoder packs.
        pack_capacity: tokens per packed row (the model's ``paragraph_max_length``).
    """

    def __init__(
        self,
        model,
        batch_size: int = 16,
        dtype: torch.dtype = torch.float32,
        device="cpu",
        pack_tokens: int = 0,
        pack_capacity: int = 256,
    ):
        self.device = resolve_device(device) if isinstance(device, str) else device
        on = next(model.parameters()).device
        self.model = model if on == self.device else model.to(self.device)
        self.batch_size = int(batch_size)
        self.dtype = dtype
        self.pack_tokens = int(pack_tokens)
        self.pack_capacity = int(pack_capacity)

    @torch.inference_mode()
    def score(self, encoded: Encoded) -> np.ndarray:
        """Sigmoid scores of ``encoded`` in its order: (windows, 12), or (spans, 12)."""
        self.model.eval()
        fast = self.dtype == torch.bfloat16

        def run(ids, types, mask, weights=None, positions=None):
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            if weights is not None:
                feed["span_weights"] = weights
            if positions is not None:
                feed["position_ids"] = positions
            feed = {k: torch.from_numpy(v).to(self.device) for k, v in feed.items()}
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=fast):
                logits = self.model(**feed).logits
            return torch.sigmoid(logits.float()).cpu().numpy()

        if encoded.spans is not None:
            packed = None
            if self.pack_tokens and self.model.config.model_type == "bert":
                packed = (
                    (
                        b.rows,
                        b.valid,
                        b.input_ids,
                        b.token_type_ids,
                        b.attention_mask(),
                        b.span_weights,
                        b.position_ids,
                    )
                    for b in packed_batches(encoded, self.pack_capacity, self.pack_tokens)
                )
            return score_spans(run, encoded, self.batch_size, packed)
        scores = np.zeros((len(encoded), NUM_LABELS), dtype=np.float32)
        for idx, ids, types, mask in padded_batches(encoded, self.batch_size):
            scores[idx] = run(ids, types, mask)
        return scores


def score_spans(run, encoded: Encoded, batch_size: int, batches=None) -> np.ndarray:
    """Scores (spans, 12) of windows with spans, in span order, for any backend.

    ``batches`` yields ``(rows, valid, *inputs)`` (default: :func:`span_batches`, padded);
    ``run(*inputs) -> (batch, rows, 12)`` scores one batch.
    """
    scores = np.zeros((sum(len(s) for s in encoded.spans), NUM_LABELS), dtype=np.float32)
    for rows, valid, *inputs in batches or span_batches(encoded, batch_size):
        scores[rows] = run(*inputs)[valid]
    return scores


def padded_batches(
    encoded: Encoded, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Length-sorted batches of ``encoded`` as contiguous int64 arrays, for any backend.

    Yields:
        ``(idx, input_ids, token_type_ids, attention_mask)``: ``idx`` are the windows of
        the batch (positions in ``encoded``), the arrays are (len(idx), longest) padded
        with zeros.
    """
    # sorted by length, a batch pads least
    order = np.argsort([len(x) for x in encoded.input_ids], kind="stable")
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        width = max(len(encoded.input_ids[i]) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros_like(ids)
        for r, i in enumerate(idx):
            n = len(encoded.input_ids[i])
            ids[r, :n] = encoded.input_ids[i]
            types[r, :n] = encoded.token_type_ids[i]
            mask[r, :n] = 1
        yield idx, ids, types, mask


def span_batches(encoded: Encoded, batch_size: int):
    """:func:`padded_batches` of windows with spans, plus their pooling weights.

    Yields:
        ``(rows, valid, input_ids, token_type_ids, attention_mask, span_weights)``:
        ``span_weights`` (batch, most spans, width) averages each span's tokens;
        ``valid`` (batch, most spans) marks real spans, and ``rows`` gives their
        positions in the output (windows in order, spans in order).
    """
    starts = np.cumsum([0, *(len(s) for s in encoded.spans)])
    for idx, ids, types, mask in padded_batches(encoded, batch_size):
        spans = [encoded.spans[i] for i in idx]
        weights = span_weights(spans, ids.shape[1])
        valid = weights.any(axis=2)  # a padding row pools nothing; every span holds a token
        rows = np.concatenate([starts[i] + np.arange(len(encoded.spans[i])) for i in idx])
        yield rows, valid, ids, types, mask, weights

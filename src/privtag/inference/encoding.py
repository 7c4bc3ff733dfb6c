"""Turn units (a sentence or paragraph, with its context) into model inputs.

A unit is a ``str`` or a mapping with ``text`` and optionally ``section`` (heading
path) and ``previous`` (the sentence before it in its paragraph). The context is
encoded as BERT's second segment: ``[CLS] unit [SEP] heading [SEP] previous [SEP]``,
with at most ``context_tokens`` tokens of context (the heading first, then the end of
the previous sentence, which is what refers to the unit), and never more than half
the window, so the unit's own tokens always have room.

Nothing is truncated silently: a unit longer than the window is split into windows
of ``max_length`` tokens overlapping by a quarter, each with the same context; the
caller combines the windows' scores (:func:`combine_windows`, a max: a practice
stated in any part of a unit is stated by the unit).

Example:
    >>> enc = encode(tokenizer, [{"text": "We use cookies.", "section": ["Cookies"]}],
    ...              context="section", max_length=64)          # doctest: +SKIP
    >>> enc.owner                                              # doctest: +SKIP
    [0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from privtag.segmentation.units import (
    Unit,
    UnitError,
    check_units,
    clean_text,
    unit_previous,
    unit_section,
    unit_text,
)

__all__ = [
    "CONTEXTS",
    "MIN_LENGTH",
    "Encoded",
    "Unit",
    "UnitError",
    "check_units",
    "clean_text",
    "combine_windows",
    "encode",
    "unit_previous",
    "unit_section",
    "unit_text",
]

CONTEXTS = ("none", "section", "previous", "section+previous")
#: The shortest window: [CLS], one token of text, [SEP], and one more for context.
MIN_LENGTH = 4


def context_texts(
    section: Sequence[str], previous: str, mode: str, own: str = ""
) -> tuple[str, str]:
    """``(heading, previous sentence)`` a window of context ``mode`` reads ('' when unused).

    The heading is the innermost of ``section`` that is not the text itself (``own``):
    a heading is not its own section.
    """
    heading = ""
    if "section" in mode:
        kept = [h for h in section if h != own]
        heading = kept[-1] if kept else ""
    return heading, previous if "previous" in mode else ""


def window_budget(context: str, max_length: int, context_tokens: int) -> int:
    """The most context tokens a window of ``max_length`` takes, after checking both.

    The context takes at most half the window: a long context with a short
    ``max_length`` left no room for the text (windows without a single token of it).

    Raises:
        ValueError: an unknown ``context`` or a ``max_length`` below :data:`MIN_LENGTH`.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(CONTEXTS)}, not {context!r}")
    if max_length < MIN_LENGTH:
        raise ValueError(
            f"max_length must be at least {MIN_LENGTH} ([CLS], text, [SEP], context), "
            f"not {max_length}"
        )
    return max(0, min(context_tokens, (max_length - 3) // 2))


def token_ids(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, without special tokens, in one tokenizer call.

    A text may run past the encoder's length: its ids are cut into windows afterwards, so
    the tokenizer's warning about indexing errors ("Token indices sequence length is
    longer than ...") would be a false alarm, and is not asked for (``verbose=False``).
    """
    return tokenizer(
        [clean_text(t) for t in texts],
        add_special_tokens=False,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,
    )["input_ids"]


@dataclass
class Encoded:
    """Model inputs for windows of units: ``owner[i]`` is the unit of window ``i``.

    ``spans`` is None when each window is scored once, by the mean of its unit's tokens
    (:func:`encode`). Otherwise ``spans[i]`` lists the token ranges ``(start, end)`` of
    window ``i`` that are each pooled into a row of scores, in order
    (:func:`privtag.inference.paragraphs.encode_paragraphs`): a scorer then returns one
    row per span, windows in order.
    """

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    owner: list[int]
    spans: list[list[tuple[int, int]]] | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def encode(
    tokenizer,
    units: Sequence[Unit],
    context: str = "none",
    max_length: int = 128,
    context_tokens: int = 48,
) -> Encoded:
    """Encode units into windows (see the module docstring).

    Args:
        tokenizer: a Hugging Face tokenizer of a BERT-style encoder.
        units: texts or mappings with ``text``, ``section``, ``previous``.
        context: one of :data:`CONTEXTS`.
        max_length: tokens per window, special tokens included.
        context_tokens: the most tokens of context per window (at most half the window).

    Returns:
        :class:`Encoded` with one or more windows per unit.
    """
    context_tokens = window_budget(context, max_length, context_tokens)
    if not units:
        return Encoded([], [], [])
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    texts = [unit_text(u) for u in units]
    parts = [context_texts(unit_section(u), unit_previous(u), context, unit_text(u)) for u in units]
    tok = token_ids(tokenizer, (*texts, *(h for h, _ in parts), *(p for _, p in parts)))
    n = len(texts)
    text_ids, head_ids, prev_ids = tok[:n], tok[n : 2 * n], tok[2 * n :]
    out = Encoded([], [], [])
    for i in range(n):
        ctx = context_ids(head_ids[i], prev_ids[i], context_tokens, sep)
        room = max_length - 2 - (len(ctx) + 1 if ctx else 0)
        for win in split_windows(text_ids[i] or [tokenizer.unk_token_id], room):
            ids, types = window(cls, sep, win, ctx)
            out.input_ids.append(ids)
            out.token_type_ids.append(types)
            out.owner.append(i)
    return out


def context_ids(heading: list[int], previous: list[int], budget: int, sep: int) -> list[int]:
    """The context tokens of a window: the heading's first tokens (a third of ``budget``
    at most), then ``[SEP]`` and the end of the previous sentence, in ``budget`` tokens."""
    ctx = heading[: budget // 3] if heading else []
    room_prev = budget - len(ctx) - (1 if ctx else 0)
    if previous and room_prev > 0:
        ctx = ([*ctx, sep] if ctx else []) + previous[-room_prev:]
    return ctx


def split_windows(ids: list[int], room: int) -> list[list[int]]:
    """``ids`` in pieces of at most ``room`` tokens, overlapping by a quarter (one piece
    when it fits)."""
    if len(ids) <= room:
        return [ids]
    step = max(1, room - room // 4)
    return [ids[s : s + room] for s in range(0, max(1, len(ids) - room + step), step)]


def window(cls: int, sep: int, text: list[int], ctx: list[int]) -> tuple[list[int], list[int]]:
    """``([CLS] text [SEP] ctx [SEP], token types)``: the text is segment 0, the context 1."""
    first = [cls, *text, sep]
    second = [*ctx, sep] if ctx else []
    return first + second, [0] * len(first) + [1] * len(second)


def combine_windows(scores: np.ndarray, owner: Sequence[int], n_units: int) -> np.ndarray:
    """Per-unit scores: the max over each unit's windows. ``scores`` is (windows, labels).

    Works for logits as well as probabilities; a unit without windows gets 0.
    """
    scores = np.asarray(scores)
    owner = np.asarray(owner, dtype=np.int64)
    dtype = scores.dtype if np.issubdtype(scores.dtype, np.floating) else np.float64
    out = np.full((n_units, scores.shape[1]), -np.inf, dtype=dtype)
    np.maximum.at(out, owner, scores)
    out[np.bincount(owner, minlength=n_units) == 0] = 0
    return out

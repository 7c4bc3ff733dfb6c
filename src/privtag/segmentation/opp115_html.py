"""Blocks of an OPP-115 sanitized policy, read with a small tag scanner.

Not lxml, as web pages are (:mod:`privtag.segmentation.markup`): OPP-115's annotations
point into the source file by character, so every character must keep its offset there,
and its ``|||`` segment separators must stay segment boundaries.
"""

from __future__ import annotations

import re

from privtag.segmentation.blocks import Block, Builder
from privtag.segmentation.sentences import SENTENCE_STARTERS

_OPP_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)[^>]*>")
_OPP_BREAK = {"br", "li", "ul", "ol", "blockquote", "p", "div"}


def read_opp115(text: str) -> tuple[list[Block], list[tuple[int, int]]]:
    """Blocks of an OPP-115 sanitized policy and the source span of each ``|||`` segment.

    Each block's ``segment`` is the index of its segment. Empty segments give no
    block; the returned spans (one per segment, empty ones included) let callers
    keep segment ids aligned with paragraph indices.

    Example:
        >>> blocks, spans = read_opp115("<strong>Data</strong> <br> We keep logs.|||")
        >>> [(b.kind, b.text, b.segment) for b in blocks], spans
        ([('heading', 'Data', 0), ('body', 'We keep logs.', 0)], [(0, 40), (43, 43)])
    """
    b = Builder(text)
    seg_spans = []
    start = 0
    for part in text.split("|||"):
        seg_spans.append((start, start + len(part)))
        start += len(part) + 3
    for seg_id, (s, e) in enumerate(seg_spans):
        b.paragraph_break()
        n0 = len(b.blocks)
        _read_opp_segment(b, text, s, e)
        for blk in b.blocks[n0:]:
            blk.segment = seg_id
    return b.blocks, seg_spans


def _read_opp_segment(b: Builder, text: str, s: int, e: int) -> None:
    pos = s
    item, strong, strong_only = False, 0, True
    for m in _OPP_TAG.finditer(text, s, e):
        _opp_text(b, text, pos, m.start(), strong, strong_only and not item)
        if text[pos : m.start()].strip() and not strong:
            strong_only = False
        pos = m.end()
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag == "strong" or tag == "b":
            strong = max(strong + (-1 if closing else 1), 0)
        elif tag in _OPP_BREAK:
            _flush_opp(b, item, strong_only)
            strong_only = True
            if tag == "li":
                item = not closing
    _opp_text(b, text, pos, e, strong, strong_only and not item)
    if text[pos:e].strip() and not strong:
        strong_only = False
    _flush_opp(b, item, strong_only)


def _opp_text(b: Builder, text: str, a: int, z: int, strong: int, strong_only: bool) -> None:
    chunk = text[a:z]
    if not chunk.strip():
        return
    if not strong and strong_only and not b.empty:
        # a bold run-in title: "<strong>Cookies</strong> We use ..." (see markup._HtmlWalker)
        nxt = chunk.split(None, 1)[0]
        last = b.last_char()
        if (
            nxt[:1].isupper()
            and b.word_count() <= 12
            and last not in ".!?,;"
            and (last == ":" or nxt.lower().strip("\"'“(") in SENTENCE_STARTERS)
        ):
            b.flush("heading")
    b.add_span(a, z)


def _flush_opp(b: Builder, item: bool, strong_only: bool) -> None:
    if item:
        b.flush("list_item")
    elif strong_only and not b.empty and b.word_count() <= 15 and b.last_char() not in ".;,":
        b.flush("heading")
    else:
        b.flush("body")

"""Blocks: the unit of layout every reader produces, and the builder that collects them.

A :class:`Block` is a heading, a list item, a table cell or a run of body text, with
*runs* mapping its characters back to the source string. :class:`Builder` collapses
white space while remembering offsets; :class:`Dropped` counts what a reader left out.
The format readers (:mod:`privtag.segmentation.plaintext`, :mod:`privtag.segmentation.markup`,
:mod:`privtag.segmentation.opp115_html`) and :mod:`privtag.segmentation.readers` share them
from here, so no reader imports another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Characters that render as nothing: removed from words (they never split one). Not the
#: zero-width (non-)joiners U+200C and U+200D: they are part of how a word is written
#: (Persian "نیم‌فاصله", an emoji family) and stay in it. The bidirectional marks and
#: embeddings (U+200E/F, U+202A-E, U+2066-9, U+061C), which pages copied from a
#: right-to-left site carry, are removed too: kept, "email.\u200e We" was no sentence end.
INVISIBLE = (
    "\u200b\u2060\ufeff\u00ad"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)
_INVISIBLE_TABLE = dict.fromkeys(map(ord, INVISIBLE), None)
# A gap that is not exactly one plain space between two visible characters: only
# these break a run, so a long line costs a handful of regex matches, not one per word.
_IRREGULAR = re.compile(rf"(?! (?![\s{INVISIBLE}]))[\s{INVISIBLE}]+")
_EDGE = re.compile(rf"[\s{INVISIBLE}]*")

_SURROGATE = re.compile("[\ud800-\udfff]")


def visible_ends(text: str) -> tuple[str, str]:
    """The first and last characters of ``text`` that are not :data:`INVISIBLE` ("" for
    none): whether a piece starts or ends with a space, an invisible character (U+200B)
    neither is nor hides one. Both readers glue pieces across markup by them.

    Example:
        >>> visible_ends("\u200b partners\u200b")
        (' ', 's')
    """
    return text.lstrip(INVISIBLE)[:1], text.rstrip(INVISIBLE)[-1:]


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate (``"\\ud800"``) replaced by U+FFFD.

    Such code points cannot be encoded as UTF-8, so a tokenizer fails on them; the
    replacement keeps the length, so offsets into the text stay valid.

    Example:
        >>> clean_text("a\\ud800b") == "a\\ufffdb"
        True
    """
    return _SURROGATE.sub("\ufffd", text)


@dataclass(slots=True)
class Block:
    """A unit of layout. ``runs`` are ``(offset in text, offset in source, length)``."""

    kind: str  # "heading" | "list_item" | "body"
    text: str
    level: int = 0  # heading level 1..6 (0 for non-headings)
    new_paragraph: bool = True
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    segment: int = -1  # OPP-115 segment index (-1 for other formats)
    # A heading that titles a collapsible panel (<details>' <summary>, an accordion's
    # toggle): the number of the panel's scope (the element whose end ends it; 0: no
    # panel). Its section ends with the scope, not at the next heading of its level.
    panel: int = 0
    closes: tuple[int, ...] = ()  # scopes that end just before this block


@dataclass(slots=True)
class Dropped:
    """Text a reader left out of a policy, by reason.

    Attributes:
        reason: ``"non-text"`` (scripts, styles, the page head: never page text),
            ``"comment"`` (a Markdown file's ``<!-- ... -->`` lines: never shown),
            ``"image text"`` (images' alt text, Markdown's or HTML's: not shown),
            ``"form control"`` (buttons, menus of options), ``"link list"`` (navigation:
            text that is almost all links) or ``"furniture"`` (page headers, footers,
            menus, banners and dialogs holding no policy text).
        chars: non-white-space characters left out.
        blocks: elements left out.
        examples: the text of the first few elements left out (up to
            :data:`EXAMPLE_CHARS` characters each; none for ``"non-text"``), so a user can
            see what went without reading the page's source.
    """

    reason: str
    chars: int
    blocks: int
    examples: list[str] = field(default_factory=list)


#: How many elements :class:`Dropped` quotes per reason, and how much of each.
EXAMPLES, EXAMPLE_CHARS = 3, 120


def quote(text: str) -> str:
    """``text`` as :class:`Dropped` quotes it: white space collapsed, cut at
    :data:`EXAMPLE_CHARS` with "...".

    Example:
        >>> quote("Home\\n   About")
        'Home About'
    """
    text = " ".join(text.split())
    return text[:EXAMPLE_CHARS] + ("..." if len(text) > EXAMPLE_CHARS else "")


#: Reasons that are never page text: a warning about dropped text leaves them out.
#: Words a line of prose may stop on where the sentence goes on (a hard wrap, a ``<br>``)
#: and a title or a finished sentence does not; each reader adds its own few.
CONNECTORS = frozenset(
    str.split("a an and as at by for from in into of on or than that the to with")
)

NON_TEXT = "non-text"
#: Markdown's HTML comments (``<!-- ... -->``): never shown, so never policy text.
COMMENT = "comment"
#: An image's alt text (``![alt](src)``, ``<img alt=...>``): not shown on the page, so not
#: a sentence, but recorded so that no text a user gave is left out without a word.
IMAGE_TEXT = "image text"


class Builder:
    """Collects white-space-collapsed text into blocks, remembering where it came from.

    Example:
        >>> b = Builder("We  keep\\nlogs.")
        >>> b.add_span(0, 14)
        >>> b.flush().text, b.blocks[0].runs
        ('We keep logs.', [(0, 0, 2), (3, 4, 4), (8, 9, 5)])
    """

    def __init__(self, source: str):
        self.source = source
        self.blocks: list[Block] = []
        self.links: list[str] = []
        self.comments: list[str] = []  # Markdown comments left out, as written
        self.images: list[str] = []  # Markdown images' alt texts, left out
        self._parts: list[str] = []
        self._runs: list[tuple[int, int, int]] = []
        self._len = 0
        self._pending_paragraph = True
        self._pending_closes: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the open block has no text yet."""
        return self._len == 0

    def last_char(self) -> str:
        """The last character of the open block ("" when empty)."""
        return self._parts[-1][-1:] if self._parts else ""

    def last_word(self) -> str:
        """The last word of the open block ("" when empty)."""
        return self._parts[-1].rsplit(" ", 1)[-1] if self._parts else ""

    def add_span(self, start: int, end: int, glue: bool = False) -> None:
        """Add the words of ``source[start:end]``; ``glue`` joins the first word to the last."""
        src = self.source
        start = _EDGE.match(src, start, end).end()
        while end > start and (src[end - 1].isspace() or src[end - 1] in INVISIBLE):
            end -= 1
        pos = start
        for m in _IRREGULAR.finditer(src, start, end):
            self._add(src[pos : m.start()], pos, glue)
            # a gap of only invisible characters joins its neighbours ("co\u00adop")
            glue = not any(c.isspace() for c in m.group())
            pos = m.end()
        if pos < end:
            self._add(src[pos:end], pos, glue)

    def add_text(self, text: str, glue: bool = False) -> None:
        """Add words that have no place in the source (e.g. decoded HTML)."""
        words = text.translate(_INVISIBLE_TABLE).split()
        if words:
            self._add(" ".join(words), None, glue)

    def _add(self, chunk: str, src: int | None, glue: bool) -> None:
        if not chunk:
            return
        if self._len and not glue:
            self._parts.append(" ")
            self._len += 1
        if src is not None:
            if self._runs:
                off, s0, n = self._runs[-1]
                # adjacent in both strings, or one source space that stayed one space:
                # extend the run instead of starting a new one
                if off + n == self._len and s0 + n == src:
                    self._runs[-1] = (off, s0, n + len(chunk))
                    src = None
                elif off + n == self._len - 1 and self.source[s0 + n : src] == " ":
                    self._runs[-1] = (off, s0, n + 1 + len(chunk))
                    src = None
            if src is not None:
                self._runs.append((self._len, src, len(chunk)))
        self._parts.append(chunk)
        self._len += len(chunk)

    def paragraph_break(self) -> None:
        """Make the next block start a new paragraph."""
        self._pending_paragraph = True

    def close_panel(self, scope: int) -> None:
        """End the sections of a panel scope before the next block (see ``Block.panel``)."""
        self._pending_closes += (scope,)

    def flush(self, kind: str = "body", level: int = 0) -> Block | None:
        """Close the open block (if it has text) as ``kind``; returns it."""
        blk = None
        if self._len:
            blk = Block(kind, "".join(self._parts), level, self._pending_paragraph, self._runs)
            blk.closes, self._pending_closes = self._pending_closes, ()
            self.blocks.append(blk)
            self._pending_paragraph = False
        self._parts, self._runs, self._len = [], [], 0
        return blk

    def word_count(self) -> int:
        """Words in the open block."""
        return sum(p.count(" ") for p in self._parts) + 1 if self._len else 0

"""Turn a policy as a user has it (a path, bytes or a string) into a list of text blocks.

A *block* is the smallest unit of layout: a heading, a list item, a table cell or a
run of body text. Blocks carry a flag that says whether they start a new paragraph,
so :mod:`privtag.segmentation.document` can rebuild paragraphs and split blocks into sentences.

Four formats are read:

* ``text``: paragraphs separated by blank lines; short unpunctuated lines, ALL-CAPS
  lines and numbered section titles are headings; bulleted or numbered lines (and
  lines indented with no-break spaces, a bullet lost in conversion) are list items.
* ``markdown``: as ``text``, plus ``#`` and underlined headings, ``-``/``*``/``+``
  bullets, block quotes, pipe tables (each cell a block, each row a paragraph),
  emphasis and links (link targets are kept in the document metadata). Comments and
  images' alt text are no sentences; both are reported, by reason (:class:`Dropped`).
* ``html``: real web pages. Scripts, styles and form controls are dropped, and so is
  page furniture (menus, headers, footers, banners, dialogs) judged by its content:
  link lists go, and so does short text with nothing about privacy or data; policy
  text stays wherever it is, hidden content (accordions, tabs) included. What is left
  out is reported, by reason (:class:`Dropped`), images' alt text too. Headings, paragraphs, list items and
  table cells become blocks. A block made only of bold text is a heading. A ``<br>``
  ends a line, except inside a sentence: after a line with no closing punctuation, text
  that goes on in lower case continues the same sentence.
* ``opp115``: OPP-115's sanitized HTML, where ``|||`` separates the annotated
  segments. Every segment becomes exactly one paragraph (so paragraph *i* is
  segment *i*), and every character keeps its offset in the source file, which is
  what span annotations point into.

The format readers live in :mod:`privtag.segmentation.plaintext` (text, Markdown),
:mod:`privtag.segmentation.markup` (HTML) and :mod:`privtag.segmentation.opp115_html`
(OPP-115), on the block builder of :mod:`privtag.segmentation.blocks`; decoding and
loading files are :mod:`privtag.segmentation.loading`'s. This module holds format
detection, the archive provenance note and the registry of readers.

For ``text``, ``markdown`` and ``opp115`` each block records *runs* mapping its
characters back to the source string; generic HTML, whose parser rewrites the
source, does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from privtag.errors import PolicyReadError
from privtag.segmentation import markup, opp115_html, plaintext
from privtag.segmentation.blocks import (
    COMMENT,
    EXAMPLES,
    IMAGE_TEXT,
    NON_TEXT,
    Block,
    Builder,
    Dropped,
    quote,
)

# decoding and loading have their own module; their names stay importable from here
from privtag.segmentation.loading import (  # noqa: F401
    MAX_BYTES,
    POLICY_TYPES,
    decode,
    decode_with_notes,
    load,
    max_bytes_default,
)

#: The formats privtag reads itself; :func:`formats` adds any registered later.
FORMATS = ("text", "markdown", "html", "opp115")
__all__ = [
    "COMMENT",
    "FORMATS",
    "IMAGE_TEXT",
    "NON_TEXT",
    "Block",
    "Builder",
    "Dropped",
    "decode",
    "detect_format",
    "formats",
    "load",
    "read_blocks",
    "register_reader",
]

#: First line of archived policies: "The following text is extracted and transformed from ..."
_PROVENANCE = re.compile(
    # possessive runs: a line of many tabs or spaces must not backtrack between them
    r"^[ \t]*+>?[ \t]*+(?P<marks>[*_]*+)[ \t]*+The following text is extracted and transformed from\b"
    r"[^\n]*?(?:\.(?=[\s*_]|$)|(?=[*_ \t]*$))(?:[ \t]*Please check the\b[^\n]*?\breproduction\.)?",
    re.I | re.M,
)

# The white-space runs are possessive or stay on one line, and "<"/"[" end a tag or link:
# with plain backtracking 2,000 blank lines cost hours (the provenance line, above) and a
# 20 kB head of blank lines or "[" seconds (super-linear in the run).
# Opening tags of a page's blocks (a closing tag would count each element twice).
# Inline tags (a, span, b) are no evidence either way: Markdown holds links as <a> too.
_BLOCK_TAGS = (
    r"p|div|html|body|h[1-6]|li|ul|ol|dl|dt|dd|table|tr|td|th|nav|main|section|"
    r"article|header|footer|blockquote|pre|form|script|style|noscript|iframe|object|template"
)
_HTML_BLOCKS = re.compile(rf"<(?:{_BLOCK_TAGS})\b[^<>]*>", re.I)
# A line that ends in <br>: text laid out by <br> line breaks instead of blank lines.
_BR_LINE = re.compile(r"<br\s*/?>[ \t]*$", re.I | re.M)
_NONBLANK = re.compile(r"^[ \t]*\S", re.M)
# A line that opens on a tag (a page's lines do; text's own lines do not)
_TAG_LINE = re.compile(r"^[ \t]*<", re.M)
_MD_SIGNS = re.compile(
    r"^#{1,6}\s+\S|\[[^\[\]\n]+\]\([^)\s\[]+\)|^[^\S\n]*+[-*+]\s+\S|\*\*\S"
    r"|^[^\S\n]*+\|?.*\|\s*-{3,}",
    re.M,
)


#: How a web page starts: a doctype, ``<html>`` or an XML declaration.
_PAGE_START = re.compile(r"\s*<(!doctype|html|\?xml)", re.I)
# A fragment that is one element: it opens with a block tag and closes that tag at its end.
_OPENS_BLOCK = re.compile(rf"\s*+<({_BLOCK_TAGS})\b[^<>]*>", re.I)


def detect_format(text: str, path: str | None = None) -> str:
    """Guess the format of a policy: its file name first, then its content.

    A ``.md``/``.markdown`` file is Markdown and a ``.txt`` file text or Markdown,
    whatever tags they hold, unless it starts as a page (a page saved under that name:
    read as markup it would be tagged as raw tags and scripts); a
    ``.html``/``.htm``/``.xhtml`` file is HTML. Other text is HTML when it starts as a page
    (doctype, ``<html>``), is one block element (``<p>...</p>``), holds at least two block
    elements and more of them than Markdown signs, or, without Markdown, is laid out by
    ``<br>`` (most lines end in one). Markdown with a few links or ``<br>`` stays
    Markdown. OPP-115's format is chosen only by its ``|||`` segment separators (with its
    ``<br>``, ``<li>`` or ``<strong>`` tags), in a file of any other name.

    Example:
        >>> detect_format("# Privacy\\n\\nWe keep logs.")
        'markdown'
    """
    head = text[:20000]
    for reader in _READERS.values():
        if reader.format not in FORMATS and reader.sniff and reader.sniff(head, path):
            return reader.format
    suffix = Path(path).suffix.lower() if path else ""
    if suffix in {".md", ".markdown"} and not _PAGE_START.match(head):
        return "markdown"
    # possessive: a start of many blank lines or tabs costs linear time, not quadratic
    tags = {t.lower() for t in re.findall(r"<\s*+/?\s*+([a-zA-Z][a-zA-Z0-9]*)", head)}
    if "|||" in head and tags & {"br", "li", "strong"}:
        return "opp115"
    if suffix in {".html", ".htm", ".xhtml"}:
        return "html"
    if _PAGE_START.match(head):
        return "html"
    # Markdown may hold some HTML (a <br>, a link): text is a page when its block elements
    # outnumber Markdown's own signs (headings, list items, links), or, with no Markdown
    # sign at all, when it is laid out by <br>: most of its lines end in one. Signs are
    # counted only for text with tags: a full count costs more than the rest of reading
    # a short policy, and plain text needs only the first sign.
    if suffix != ".txt":
        if _one_element(text):
            return "html"
        blocks, br_lines = len(_HTML_BLOCKS.findall(head)), len(_BR_LINE.findall(head))
        if blocks >= 2 or br_lines:
            signs = len(_MD_SIGNS.findall(head))
            if not signs and br_lines >= 2 and 2 * br_lines >= len(_NONBLANK.findall(head)):
                blocks += br_lines
            if blocks >= 2 and blocks > signs and not _mostly_bare(head):
                return "html"
    return "markdown" if _MD_SIGNS.search(head) else "text"


def _mostly_bare(head: str) -> bool:
    """Whether most lines of ``head`` are text outside any tag line: text or Markdown
    holding a few HTML blocks ("When It Applies" / ... / "<div>Extra</div>"), whose line
    structure reading it as a page would lose. A page's own lines open on a tag, or hold
    the text of one between its tag lines."""
    lines = len(_NONBLANK.findall(head))
    tagged = len(_TAG_LINE.findall(head))
    return lines - tagged >= 5 and lines - tagged >= 3 * tagged


def _one_element(text: str) -> bool:
    """Whether ``text`` is one block element, as ``<p>We keep logs.</p>`` (a pasted fragment).

    Two block elements already make a page (below); one alone would otherwise be read as
    text, its tags kept in the sentence.
    """
    m = _OPENS_BLOCK.match(text)
    if not m:
        return False
    # only the end is read: the rest of the element may be any size
    close = re.search(r"</\s*([a-zA-Z][a-zA-Z0-9]*)\s*>\s*\Z", text[-200:])
    return bool(close) and close.group(1).lower() == m.group(1).lower()


def extract_provenance(text: str) -> tuple[str, str | None]:
    """Split off an archive provenance note; returns ``(text without it, note)``.

    The note is the sentence "The following text is extracted and transformed from
    ..." and the "Please check the ... reproduction." that may follow it; any other
    sentence on its line stays in the text. The note is blanked with spaces, not
    removed, so the offsets of the rest of the text stay those of the source.

    Example:
        >>> extract_provenance("The following text is extracted and transformed from x.\\nHi.")[1]
        'The following text is extracted and transformed from x.'
    """
    m = _PROVENANCE.search(text[:2000])
    if not m:
        return text, None
    start, end = m.start(), m.end()
    rest = text[end : text.find("\n", end) if "\n" in text[end:] else len(text)]
    marks = m.group("marks")
    if marks and rest.strip() == marks:  # "*...*": the closing emphasis goes with it
        end += len(rest)
    note = re.sub(r"[*_>]|\[([^\]]*)\]\([^)]*\)", lambda x: x.group(1) or "", m.group()).strip()
    return text[:start] + " " * (end - start) + text[end:], note


# --------------------------------------------------------------------------- registry

#: What a reader returns: blocks, OPP-115-style segment spans (or None), metadata.
Read = Callable[[str], tuple[list[Block], list[tuple[int, int]] | None, dict]]


@dataclass(frozen=True)
class Reader:
    """A format's reader: ``read(text)`` gives blocks; ``sniff(text, path)`` claims a text."""

    format: str
    read: Read
    sniff: Callable[[str, str | None], bool] | None = None


_READERS: dict[str, Reader] = {}


def register_reader(
    format: str, read: Read, sniff: Callable[[str, str | None], bool] | None = None
) -> None:
    """Make ``segment(..., format=format)`` use ``read``; ``sniff`` lets detection pick it.

    A sniffer of a format registered after privtag's own is asked before the built-in
    detection (:func:`detect_format`), in order of registration. Registering a known
    format again replaces its reader.

    Example:
        >>> register_reader("shout", lambda t: read_blocks(t.lower(), "text"))
        >>> "shout" in formats()
        True
        >>> _ = _READERS.pop("shout")
    """
    if not isinstance(format, str) or not format.strip():
        raise ValueError(f"a reader's format must be a non-empty str, not {format!r}")
    _READERS[format] = Reader(format, read, sniff)


def formats() -> tuple[str, ...]:
    """Every format :func:`read_blocks` reads: privtag's own, then registered ones."""
    return tuple(_READERS)


def read_blocks(text: str, format: str) -> tuple[list[Block], list[tuple[int, int]] | None, dict]:
    """Blocks of a policy in ``format``; OPP-115 segment spans (else None); metadata.

    ``text`` must already have ``\\n`` line ends.

    Raises:
        PolicyReadError: no reader is registered for ``format``.
    """
    reader = _READERS.get(format)
    if reader is None:
        raise PolicyReadError(f"unknown format {format!r}; use one of {', '.join(formats())}")
    return reader.read(text)


def _read_plain(text: str, markdown: bool) -> tuple[list[Block], None, dict]:
    meta: dict = {}
    stripped, note = extract_provenance(text)
    if note:
        meta["provenance"] = note
    builder = Builder(stripped)
    blocks = plaintext.read_lines(stripped, markdown, builder)
    if builder.links:
        meta["links"] = builder.links
    dropped = [
        Dropped(
            reason,
            sum(len("".join(t.split())) for t in texts),
            len(texts),
            [quote(t) for t in texts[:EXAMPLES]],
        )
        for reason, texts in ((COMMENT, builder.comments), (IMAGE_TEXT, builder.images))
        if texts
    ]
    if dropped:
        meta["dropped"] = dropped
    return blocks, None, meta


def _read_html(text: str) -> tuple[list[Block], None, dict]:
    blocks, meta = markup.read_html(text)
    return blocks, None, meta


def _read_opp115(text: str) -> tuple[list[Block], list[tuple[int, int]], dict]:
    blocks, segments = opp115_html.read_opp115(text)
    return blocks, segments, {}


register_reader("text", lambda text: _read_plain(text, False))
register_reader("markdown", lambda text: _read_plain(text, True))
register_reader("html", _read_html)
register_reader("opp115", _read_opp115)

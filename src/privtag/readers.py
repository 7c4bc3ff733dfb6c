"""Turn a policy as a user has it (a path, bytes or a string) into a list of text blocks.

A *block* is the smallest unit of layout: a heading, a list item, a table cell or a
run of body text. Blocks carry a flag that says whether they start a new paragraph,
so :mod:`privtag.segment` can rebuild paragraphs and split blocks into sentences.

Four formats are read:

* ``text``: paragraphs separated by blank lines; short unpunctuated lines, ALL-CAPS
  lines and numbered section titles are headings; bulleted or numbered lines (and
  lines indented with no-break spaces, a bullet lost in conversion) are list items.
* ``markdown``: as ``text``, plus ``#`` and underlined headings, ``-``/``*``/``+``
  bullets, block quotes, pipe tables (each cell a block, each row a paragraph),
  emphasis and links (link targets are kept in the document metadata).
* ``html``: real web pages. ``script``, ``style``, navigation, header, footer and
  similar page furniture are dropped; headings, paragraphs, list items and table
  cells become blocks. A block made only of bold text is a heading.
* ``opp115``: OPP-115's sanitized HTML, where ``|||`` separates the annotated
  segments. Every segment becomes exactly one paragraph (so paragraph *i* is
  segment *i*), and every character keeps its offset in the source file, which is
  what span annotations point into.

The format readers live in :mod:`privtag.plaintext` (text, Markdown) and
:mod:`privtag.markup` (HTML, OPP-115); this module holds what they share: decoding,
loading, format detection and the block builder.

For ``text``, ``markdown`` and ``opp115`` each block records *runs* mapping its
characters back to the source string; generic HTML, whose parser rewrites the
source, does not.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from privtag.errors import PolicyReadError

FORMATS = ("text", "markdown", "html", "opp115")

#: First line of archived policies: "The following text is extracted and transformed from ..."
_PROVENANCE = re.compile(
    r"^(?>\s*)>?(?>\s*)[*_]*+\s*+The following text is extracted and transformed from\b.*$",
    re.I | re.M,
)
#: Characters that render as nothing: removed from words (they never split one).
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE_TABLE = dict.fromkeys(map(ord, INVISIBLE), None)
# A gap that is not exactly one plain space between two visible characters: only
# these break a run, so a long line costs a handful of regex matches, not one per word.
_IRREGULAR = re.compile(rf"(?! (?![\s{INVISIBLE}]))[\s{INVISIBLE}]+")
_EDGE = re.compile(rf"[\s{INVISIBLE}]*")


@dataclass(slots=True)
class Block:
    """A unit of layout. ``runs`` are ``(offset in text, offset in source, length)``."""

    kind: str  # "heading" | "list_item" | "body"
    text: str
    level: int = 0  # heading level 1..6 (0 for non-headings)
    new_paragraph: bool = True
    runs: list[tuple[int, int, int]] = field(default_factory=list)
    segment: int = -1  # OPP-115 segment index (-1 for other formats)


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
        self._parts: list[str] = []
        self._runs: list[tuple[int, int, int]] = []
        self._len = 0
        self._pending_paragraph = True

    @property
    def empty(self) -> bool:
        """True when the open block has no text yet."""
        return self._len == 0

    def last_char(self) -> str:
        """The last character of the open block ("" when empty)."""
        return self._parts[-1][-1:] if self._parts else ""

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

    def flush(self, kind: str = "body", level: int = 0) -> Block | None:
        """Close the open block (if it has text) as ``kind``; returns it."""
        blk = None
        if self._len:
            blk = Block(kind, "".join(self._parts), level, self._pending_paragraph, self._runs)
            self.blocks.append(blk)
            self._pending_paragraph = False
        self._parts, self._runs, self._len = [], [], 0
        return blk

    def word_count(self) -> int:
        """Words in the open block."""
        return sum(p.count(" ") for p in self._parts) + 1 if self._len else 0


# --------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (a .docx?)",
    b"\xd0\xcf\x11\xe0": "an old Word/Office file",
    b"\x7fELF": "a program",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}
_TEXT_BYTES = bytes([9, 10, 11, 12, 13, *range(32, 256)])
_DECLARED = re.compile(
    rb"""(?:<meta[^>]{0,200}?charset|<\?xml[^>]{0,100}?encoding)\s*=\s*["']?([\w.:-]+)""", re.I
)


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode policy bytes; returns ``(text, encoding)``.

    BOMs (UTF-8, UTF-16, UTF-32) are honoured; otherwise UTF-8 is tried, then a
    charset an HTML/XML file declares, then Windows-1252 (the usual encoding of older
    policies; it reads Latin-1 text the same way), then Latin-1, which never fails.
    UTF-16 without a BOM is recognised by its zero bytes.

    Raises:
        PolicyReadError: if the bytes look binary (a PDF, an archive, NUL or control bytes).

    Example:
        >>> decode("caf\\u00e9 \\u2019".encode("cp1252"))
        ('café ’', 'cp1252')
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    for sig, what in _SIGNATURES.items():
        if data.startswith(sig):
            raise PolicyReadError(
                f"{name}: is {what}, not a policy; convert it to text or HTML first"
            )
    sample = data[:65536]
    if b"\x00" in sample:
        enc = _utf16_without_bom(sample)
        if enc:
            return data.decode(enc, errors="replace"), enc
    # control bytes other than tab, newlines, form feed (counted in C, not per byte in Python)
    controls = len(sample.translate(None, _TEXT_BYTES))
    if sample and controls / len(sample) > 0.01:
        raise PolicyReadError(
            f"{name}: looks like a binary file, not a policy; give a text, Markdown or HTML file"
        )
    candidates = ["utf-8"]
    declared = _DECLARED.search(sample[:4096])
    if declared:
        # an unknown charset name is ignored
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            candidates.append(codecs.lookup(declared.group(1).decode("ascii")).name)
    candidates.append("cp1252")
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _utf16_without_bom(sample: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a zero in every other byte: odd positions for LE.
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def load(source: str | bytes | Path) -> tuple[str, dict]:
    """Read ``source`` into a string.

    A :class:`~pathlib.Path` is always a file. A ``str`` is a file if it names one
    that exists, or if it is one short line ending in .txt/.md/.markdown/.html/.htm
    that looks like a path (no spaces, or a ``/``); otherwise it is the policy text.

    Returns:
        ``(text, metadata)`` where metadata has ``path`` (or None) and ``encoding``.

    Raises:
        PolicyReadError: a missing file, a directory, an unreadable or binary file.

    Example:
        >>> load("We keep logs.")
        ('We keep logs.', {'path': None, 'encoding': None})
    """
    if isinstance(source, bytes | bytearray):
        text, enc = decode(bytes(source))
        return text, {"path": None, "encoding": enc}
    path = source if isinstance(source, Path) else _as_path(source)
    if path is None:
        return source, {"path": None, "encoding": None}
    if not path.exists():
        raise PolicyReadError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise PolicyReadError(f"{path}: is a directory; give a policy file inside it")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PolicyReadError(
            f"{path}: cannot be read ({e.strerror}); check its permissions"
        ) from e
    text, enc = decode(data, str(path))
    return text, {"path": str(path), "encoding": enc}


def _as_path(s: str) -> Path | None:
    # A policy text is never a path: only short one-line strings are looked up.
    if "\n" in s or len(s) > 4096 or not s.strip():
        return None
    p = Path(s)
    try:
        if p.exists():
            return p
    except (OSError, ValueError):
        return None
    pathlike = " " not in s.strip() or "/" in s or "\\" in s
    if pathlike and p.suffix.lower() in {".txt", ".md", ".markdown", ".html", ".htm"}:
        return p
    return None


# The white-space runs are possessive or stay on one line, and "<"/"[" end a tag or link:
# with plain backtracking 2,000 blank lines cost hours (the provenance line, above) and a
# 20 kB head of blank lines or "[" seconds (super-linear in the run).
_HTML_TAGS = re.compile(r"</?(?:p|div|html|body|h[1-6]|li|ul|span|table|td|br|a)\b[^<>]*>", re.I)
_MD_SIGNS = re.compile(
    r"^#{1,6}\s+\S|\[[^\[\]\n]+\]\([^)\s\[]+\)|^[^\S\n]*+[-*+]\s+\S|\*\*\S"
    r"|^[^\S\n]*+\|?.*\|\s*-{3,}",
    re.M,
)


_OPP115_TAGS = {"br", "strong", "ul", "ol", "li", "blockquote", "b"}


def detect_format(text: str, path: str | None = None) -> str:
    """Guess the format of a policy from its content, then its file name.

    Example:
        >>> detect_format("# Privacy\\n\\nWe keep logs.")
        'markdown'
    """
    head = text[:20000]
    tags = {t.lower() for t in re.findall(r"<\s*+/?\s*+([a-zA-Z][a-zA-Z0-9]*)", head)}
    # OPP-115's sanitized files use a handful of tags, and "|||" between segments
    # (a policy of one segment has none)
    if tags & {"br", "li", "strong"} and ("|||" in head or tags <= _OPP115_TAGS):
        return "opp115"
    suffix = Path(path).suffix.lower() if path else ""
    if suffix in {".html", ".htm", ".xhtml"}:
        return "html"
    if re.match(r"\s*<(!doctype|html|\?xml)", head, re.I) or len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    if suffix in {".md", ".markdown"}:
        return "markdown"
    return "markdown" if _MD_SIGNS.search(head) else "text"


def extract_provenance(text: str) -> tuple[str, str | None]:
    """Split off an archive provenance note; returns ``(text without it, note)``.

    The note's line is blanked with spaces, not removed, so the offsets of the
    rest of the text stay those of the source.

    Example:
        >>> extract_provenance("The following text is extracted and transformed from x.\\nHi.")[1]
        'The following text is extracted and transformed from x.'
    """
    m = _PROVENANCE.search(text[:2000])
    if not m:
        return text, None
    note = re.sub(r"[*_>]|\[([^\]]*)\]\([^)]*\)", lambda x: x.group(1) or "", m.group()).strip()
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :], note


def read_blocks(text: str, format: str) -> tuple[list[Block], list[tuple[int, int]] | None, dict]:
    """Blocks of a policy in ``format``; OPP-115 segment spans (else None); metadata.

    ``text`` must already have ``\\n`` line ends.
    """
    from privtag import markup, plaintext

    if format == "opp115":
        blocks, segments = markup.read_opp115(text)
        return blocks, segments, {}
    if format == "html":
        blocks, meta = markup.read_html(text)
        return blocks, None, meta
    meta: dict = {}
    stripped, note = extract_provenance(text)
    if note:
        meta["provenance"] = note
    builder = Builder(stripped)
    blocks = plaintext.read_lines(stripped, format == "markdown", builder)
    if builder.links:
        meta["links"] = builder.links
    return blocks, None, meta


_MOVED = {
    "read_lines": "plaintext",
    "looks_like_heading": "plaintext",
    "read_html": "markup",
    "read_opp115": "markup",
}


def __getattr__(name: str):
    # The format readers moved to privtag.plaintext and privtag.markup; the old names
    # still resolve here (imported lazily: those modules import this one).
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"privtag.{_MOVED[name]}"), name)
    if name == "_Builder":
        return Builder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Turn a policy as a user has it (a path, bytes or a string) into a list of text blocks.

A *block* is the smallest unit of layout: a heading, a list item, a table cell or a
run of body text. Blocks carry a flag that says whether they start a new paragraph,
so :mod:`privtag.segment` can rebuild paragraphs and split blocks into sentences.

Four formats are read:

* ``text``: paragraphs separated by blank lines; short unpunctuated lines, ALL-CAPS
  lines and numbered section titles are headings; bulleted or numbered lines are
  list items.
* ``markdown``: as ``text``, plus ``#`` headings, ``-``/``*``/``+`` bullets, block
  quotes, emphasis and links (link targets are kept in the document metadata).
* ``html``: real web pages. ``script``, ``style``, navigation, header, footer and
  similar page furniture are dropped; headings, paragraphs, list items and table
  cells become blocks. A block made only of bold text is a heading.
* ``opp115``: OPP-115's sanitized HTML, where ``|||`` separates the annotated
  segments. Every segment becomes exactly one paragraph (so paragraph *i* is
  segment *i*), and every character keeps its offset in the source file, which is
  what span annotations point into.

For ``text``, ``markdown`` and ``opp115`` each block records *runs* mapping its
characters back to the source string; generic HTML, whose parser rewrites the
source, does not.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from privtag.errors import PolicyReadError

FORMATS = ("text", "markdown", "html", "opp115")

#: First line of archived policies: "The following text is extracted and transformed from ..."
_PROVENANCE = re.compile(
    r"^\s*>?\s*[*_]*\s*The following text is extracted and transformed from\b.*$", re.I | re.M
)
_WS = re.compile(r"\S+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


@dataclass
class Block:
    """A unit of layout. ``runs`` are ``(offset in text, offset in source, length)``."""

    kind: str  # "heading" | "list_item" | "body"
    text: str
    level: int = 0  # heading level 1..6 (0 for non-headings)
    new_paragraph: bool = True
    runs: list[tuple[int, int, int]] = field(default_factory=list)


class _Builder:
    """Collects whitespace-collapsed tokens into blocks, remembering where they came from."""

    def __init__(self, source: str):
        self.source = source
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._runs: list[tuple[int, int, int]] = []
        self._len = 0
        self._pending_paragraph = True

    def add_span(self, start: int, end: int, glue: bool = False) -> None:
        """Add the words of ``source[start:end]``; ``glue`` joins the first word to the last."""
        for m in _WS.finditer(self.source, start, end):
            self._add(m.group(), m.start(), glue)
            glue = False

    def add_text(self, text: str, glue: bool = False) -> None:
        """Add words that have no place in the source (e.g. decoded HTML)."""
        for m in _WS.finditer(text):
            self._add(m.group(), None, glue)
            glue = False

    def _add(self, word: str, src: int | None, glue: bool) -> None:
        word = word.translate(_INVISIBLE)
        if not word:
            return
        if self._len and not glue:
            self._parts.append(" ")
            self._len += 1
        if src is not None:
            if self._runs:
                off, s0, n = self._runs[-1]
                # One source space became one space here: extend the run, keeping
                # a 20 MB single line to a handful of runs.
                if off + n == self._len - 1 and self.source[s0 + n : src] == " ":
                    self._runs[-1] = (off, s0, n + 1 + len(word))
                    self._parts.append(word)
                    self._len += len(word)
                    return
                if off + n == self._len and s0 + n == src:
                    self._runs[-1] = (off, s0, n + len(word))
                    self._parts.append(word)
                    self._len += len(word)
                    return
            self._runs.append((self._len, src, len(word)))
        self._parts.append(word)
        self._len += len(word)

    def paragraph_break(self) -> None:
        self._pending_paragraph = True

    def flush(self, kind: str = "body", level: int = 0) -> None:
        if self._len:
            self.blocks.append(
                Block(kind, "".join(self._parts), level, self._pending_paragraph, self._runs)
            )
            self._pending_paragraph = False
        self._parts, self._runs, self._len = [], [], 0


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode policy bytes; returns ``(text, encoding)``.

    BOMs (UTF-8, UTF-16) are honoured; otherwise UTF-8 is tried, then Windows-1252
    (the usual encoding of older policies), then Latin-1, which never fails.

    Raises:
        PolicyReadError: if the bytes look binary (NUL bytes or many control bytes).
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    sample = data[:65536]
    controls = sum(b < 9 or 13 < b < 32 for b in sample)
    if b"\x00" in sample or (sample and controls / len(sample) > 0.02):
        raise PolicyReadError(
            f"{name}: looks like a binary file, not a policy; give a text, Markdown or HTML file"
        )
    for enc in ("utf-8", "cp1252"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def load(source: str | bytes | Path) -> tuple[str, dict]:
    """Read ``source`` into a string. A ``str`` that names an existing file is read as a path.

    Returns:
        ``(text, metadata)`` where metadata has ``path`` (or None) and ``encoding``.
    """
    if isinstance(source, bytes):
        text, enc = decode(source)
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
        raise PolicyReadError(f"{path}: cannot be read ({e.strerror})") from e
    text, enc = decode(data, str(path))
    return text, {"path": str(path), "encoding": enc}


def _as_path(s: str) -> Path | None:
    # A policy text is never a path: only short one-line strings are looked up.
    if "\n" in s or len(s) > 4096 or not s.strip():
        return None
    p = Path(s)
    try:
        if p.exists() or p.suffix.lower() in {".txt", ".md", ".markdown", ".html", ".htm"}:
            return p
    except OSError:
        return None
    return None


def detect_format(text: str, path: str | None = None) -> str:
    """Guess the format of a policy from its file name, then its content."""
    head = text[:20000]
    if "|||" in head and re.search(r"<(br|li|strong)\b", head, re.I):
        return "opp115"
    suffix = Path(path).suffix.lower() if path else ""
    if suffix in {".html", ".htm", ".xhtml"}:
        return "html"
    if suffix in {".md", ".markdown"}:
        return "markdown"
    tags = len(re.findall(r"</?(p|div|html|body|h[1-6]|li|span|table|br|a)\b[^>]*>", head, re.I))
    if tags >= 3 or re.match(r"\s*<(!doctype|html)", head, re.I):
        return "html"
    md = re.search(r"^#{1,6}\s+\S|\[[^\]\n]+\]\([^)\s]+\)|^\s*[-*+]\s+\S|\*\*\S", head, re.M)
    return "markdown" if md else "text"


# --------------------------------------------------------------------------- text / markdown

_BULLET = re.compile(r"[ \t]*(?:[-*+•●▪◦‣·–](?=\s)|(?=\(?[0-9]{1,3}[.)]\s)|(?=\(?[a-zA-Z][.)]\s)|(?=\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)]\s))")
_MD_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})[ \t]+")
_MD_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_MD_RULE = re.compile(r"[ \t]*(?:[-*_][ \t]*){3,}$")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_MD_EMPH = re.compile(r"(?<![\w*])(\*{1,3}|_{1,3})(?=\S)|(?<=\S)(\*{1,3}|_{1,3})(?![\w*])")
_SECTION_NUMBER = re.compile(r"\(?(?:[0-9]{1,2}(?:\.[0-9]{1,2})*|[IVX]{1,5}|[A-Z])[.)]?\s+\S")


def _looks_like_heading(line: str, alone: bool) -> bool:
    """A short title line: ALL CAPS, a numbered section title, or unpunctuated and alone.

    A line that is not alone (text follows without a blank line) must also be a
    numbered section title or in Title Case, so hard-wrapped prose is not a heading.
    """
    s = line.strip().strip("*_#").strip()
    if not s or len(s) > 90 or not (s[0].isupper() or s[0].isdigit() or s[0] in "(\"'"):
        return False
    words = s.split()
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters) and len(words) <= 12:
        return True
    if s[-1] in ".,;:!" or len(words) > 12:
        return False
    numbered = bool(_SECTION_NUMBER.match(s)) and len(words) <= 10
    if s[-1] == "?":
        return alone or numbered
    if alone:
        return True
    long_words = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    title = bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words)
    return (numbered or title) and len(words) <= 10


def read_lines(text: str, markdown: bool, builder: _Builder | None = None) -> list[Block]:
    """Blocks of a plain-text or Markdown policy (see the module docstring).

    A file with (almost) no blank lines is read in *line mode*: each line that ends
    a sentence closes its paragraph, and list items join the paragraph that leads
    into them.
    """
    b = builder or _Builder(text)
    links: list[str] = []
    spans = [(m.start(), m.end()) for m in re.finditer(r"^.*$", text, re.M)]
    nonblank = [bool(text[s:e].strip()) for s, e in spans]
    line_mode = sum(nonblank) >= 8 and (len(spans) - sum(nonblank)) < 0.05 * sum(nonblank)
    item = False  # the open block is a list item

    def close(paragraph: bool) -> None:
        nonlocal item
        b.flush("list_item" if item else "body")
        item = False
        if paragraph:
            b.paragraph_break()

    for i, (s, e) in enumerate(spans):
        if not nonblank[i]:
            close(True)
            continue
        line = text[s:e]
        lead = 0
        if markdown:
            if _MD_RULE.match(line):
                close(True)
                continue
            q = _MD_QUOTE.match(line)
            if q:
                lead = q.end()
            h = _MD_HEADING.match(line, lead)
            if h:
                close(True)
                _add_inline(b, text, s + h.end(), e, markdown, links)
                b.flush("heading", len(h.group(1)))
                b.paragraph_break()
                continue
        body = line[lead:]
        prev_blank = i == 0 or not nonblank[i - 1]
        next_blank = i + 1 >= len(spans) or not nonblank[i + 1]
        after_stop = b._len == 0 or _ends_sentence(b)
        if (prev_blank or line_mode or after_stop) and _looks_like_heading(
            body, alone=prev_blank and next_blank
        ):
            close(True)
            _add_inline(b, text, s + lead, e, markdown, links)
            b.flush("heading", 0)
            b.paragraph_break()
            continue
        bullet = _BULLET.match(line, lead)
        if bullet and line[bullet.end():].strip():
            lead_in = b._parts and b._parts[-1].endswith(":")
            close(line_mode and not item and not lead_in)
            item = True
            _add_inline(b, text, s + bullet.end(), e, markdown, links)
            continue
        if item and line[:1] not in " \t":
            close(line_mode)
        elif b._len and after_stop:
            # the previous line ended a sentence: lines are units (line mode: paragraphs)
            close(line_mode)
        _add_inline(b, text, s + lead, e, markdown, links)
    close(False)
    if links:
        b.links = links  # type: ignore[attr-defined]
    return b.blocks


def _ends_sentence(b: _Builder) -> bool:
    return bool(b._parts) and b._parts[-1][-1:] in {".", "!", "?", ":", ";"}


def _add_inline(b: _Builder, text: str, start: int, end: int, markdown: bool, links: list) -> None:
    if not markdown:
        b.add_span(start, end)
        return
    # Drop Markdown markup (emphasis markers, link targets) but keep its words.
    cut: list[tuple[int, int]] = []
    for m in _MD_LINK.finditer(text, start, end):
        cut.append((m.start(), m.start(1) if m.group()[0] == "[" else m.start(1)))
        cut.append((m.end(1), m.end()))
        links.append(m.group(2))
    for m in _MD_EMPH.finditer(text, start, end):
        cut.append(m.span())
    if not cut:
        b.add_span(start, end)
        return
    cut.sort()
    pos, glue = start, False
    for a, z in cut:
        if a < pos:
            continue
        b.add_span(pos, a, glue)
        glue = a > start and not text[a - 1].isspace() and z < end and not text[z].isspace()
        pos = z
    b.add_span(pos, end, glue)


# --------------------------------------------------------------------------- OPP-115

_OPP_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)[^>]*>")


def read_opp115(text: str) -> tuple[list[Block], list[tuple[int, int]]]:
    """Blocks of an OPP-115 sanitized policy and the source span of each ``|||`` segment.

    Every segment yields at least one block flagged ``new_paragraph`` only if it has
    text; empty segments are reported through the returned spans so callers can keep
    segment ids aligned with paragraph indices.
    """
    b = _Builder(text)
    seg_spans = []
    start = 0
    for part in text.split("|||"):
        seg_spans.append((start, start + len(part)))
        start += len(part) + 3
    seg_blocks: list[tuple[int, Block]] = []
    for seg_id, (s, e) in enumerate(seg_spans):
        b.paragraph_break()
        n0 = len(b.blocks)
        _read_opp_segment(b, text, s, e)
        for blk in b.blocks[n0:]:
            seg_blocks.append((seg_id, blk))
    for seg_id, blk in seg_blocks:
        blk.segment = seg_id  # type: ignore[attr-defined]
    return b.blocks, seg_spans


def _read_opp_segment(b: _Builder, text: str, s: int, e: int) -> None:
    pos = s
    kind, strong, strong_only = "body", 0, True
    for m in _OPP_TAG.finditer(text, s, e):
        chunk = text[pos : m.start()]
        if chunk.strip():
            if not strong:
                strong_only = False
            b.add_span(pos, m.start())
        pos = m.end()
        closing, tag = m.group(1) == "/", m.group(2).lower()
        if tag == "strong":
            strong += -1 if closing else 1
            strong = max(strong, 0)
        elif tag in {"br", "li", "ul", "ol", "blockquote", "p", "div"}:
            _flush_opp(b, kind, strong_only)
            strong_only = True
            if tag == "li":
                kind = "body" if closing else "list_item"
    if text[pos:e].strip():
        if not strong:
            strong_only = False
        b.add_span(pos, e)
    _flush_opp(b, kind, strong_only)


def _flush_opp(b: _Builder, kind: str, strong_only: bool) -> None:
    if b._len and strong_only and kind == "body" and len(b._parts) <= 40:
        b.flush("heading", 0)
    else:
        b.flush(kind)


# --------------------------------------------------------------------------- HTML

_DROP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside",
         "form", "button", "select", "svg", "iframe", "object", "canvas", "head", "title",
         "menu"}
_BLOCK = {"p", "div", "section", "article", "main", "blockquote", "pre", "address", "dl",
          "dt", "dd", "ul", "ol", "table", "tr", "tbody", "thead", "tfoot", "figure",
          "figcaption", "hr", "center", "details", "summary", "body", "html"}
_BOLD = {"strong", "b"}
_BOILERPLATE = re.compile(r"\b(nav|navbar|menu|breadcrumb|cookie-banner|site-header|site-footer|footer|header|sidebar|skip-link)\b", re.I)


def read_html(text: str) -> tuple[list[Block], dict]:
    """Blocks of a web page, and metadata (``title``, ``links``)."""
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(text, "lxml")
    meta: dict = {"title": soup.title.get_text(" ", strip=True) if soup.title else None}
    root = soup.body or soup
    b = _Builder("")
    state = {"bold_only": True}

    def flush(kind: str = "body", level: int = 0) -> None:
        if kind == "body" and state["bold_only"] and b._len and len(b._parts) <= 40:
            kind = "heading"
        b.flush(kind, level)
        state["bold_only"] = True

    def walk(node, bold: bool) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if child.strip():
                    if not bold:
                        state["bold_only"] = False
                    b.add_text(str(child), glue=bool(b._parts) and not str(child)[:1].isspace()
                               and not b._parts[-1].endswith(" "))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            attrs = " ".join([*child.get("class", []), child.get("id", "") or "",
                              child.get("role", "") or ""])
            if name in _DROP or (attrs.strip() and _BOILERPLATE.search(attrs)
                                 and name in {"div", "section", "ul"}):
                continue
            if name == "br":
                flush()
            elif name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                flush()
                b.paragraph_break()
                walk(child, True)
                b.flush("heading", int(name[1]))
                b.paragraph_break()
                state["bold_only"] = True
            elif name == "li":
                flush()
                walk(child, bold)
                b.flush("list_item")
                state["bold_only"] = True
            elif name in {"td", "th"}:
                flush()
                walk(child, bold or name == "th")
                flush()
            elif name in _BLOCK:
                flush()
                if name in {"p", "div", "section", "article", "table", "ul", "ol", "dl",
                            "blockquote", "pre", "hr"}:
                    b.paragraph_break()
                walk(child, bold)
                flush()
                if name in {"p", "section", "article", "table", "ul", "ol", "blockquote"}:
                    b.paragraph_break()
            else:
                walk(child, bold or name in _BOLD)

    walk(root, False)
    flush()
    meta["links"] = [a.get("href") for a in root.find_all("a") if a.get("href")]
    return b.blocks, meta


def extract_provenance(text: str) -> tuple[str, str | None]:
    """Split off an archive provenance note; returns ``(text without it, note)``.

    The note's line is blanked with spaces, not removed, so the offsets of the
    rest of the text stay those of the source.
    """
    m = _PROVENANCE.search(text[:2000])
    if not m:
        return text, None
    note = re.sub(r"[*_>]|\[([^\]]*)\]\([^)]*\)", lambda x: x.group(1) or "", m.group()).strip()
    return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :], note

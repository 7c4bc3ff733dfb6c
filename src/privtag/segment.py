"""Segment a policy into sections, paragraphs and sentences with character offsets.

:func:`segment` reads a policy (see :mod:`privtag.readers` for the formats), joins its
blocks into one *normalized text* (blocks of a paragraph joined by ``"\\n"``,
paragraphs by ``"\\n\\n"``, runs of white space collapsed), and splits every block
into sentences. Each :class:`Sentence` satisfies ``doc.text[s.start:s.end] == s.text``
and every non-white-space character of ``doc.text`` lies in exactly one sentence.

Why our own rules rather than a library: sentence boundaries in policies are
decided mostly by layout (headings, list items, table cells), which the readers
already give; inside a block, a short list of rules (terminal punctuation followed by
a capital, minus abbreviations, initials, URLs, e-mail addresses and decimals; a
missing space after a full stop) covers legal prose. Compared on the hand-checked
gold boundaries of the five seed policies (``benchmarks/bench_segment.py``), the
rules were both the most accurate and the fastest of the candidates measured there;
see ``benchmarks/RESULTS.md`` for the figures.

Example:
    >>> doc = segment("# Privacy\\n\\nWe collect your e-mail, e.g. at sign-up. We use it.")
    >>> [(s.kind, s.text) for s in doc.sentences]
    [('heading', 'Privacy'), ('body', 'We collect your e-mail, e.g. at sign-up.'), ('body', 'We use it.')]
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from privtag import readers
from privtag.errors import PolicyReadError

#: Sentences longer than this are cut on a word boundary (run-on text with no punctuation).
MAX_SENTENCE_CHARS = 1000

_ABBREVIATIONS = frozenset(
    """inc ltd co corp llc llp plc pvt pty gmbh ag bv sa nv e.g i.e eg ie etc al vs v no nos
    art arts sec secs para paras ch cl fig p pp mr mrs ms dr prof st jr sr u.s u.s.a u.k e.u
    jan feb mar apr jun jul aug sep sept oct nov dec approx dept est min max ref incl
    viz cf resp tel ph"""
    .split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then
# either white space or (missing space) a capital followed by a lower-case letter.
_BOUNDARY = re.compile(
    r"(?:[.!?]+|…)[\"'”’)\]]*(?:\s+(?=[\"'“‘(\[]?[A-Z0-9•])|(?=[A-Z][a-z]))"
)
_WORD_BEFORE = re.compile(r"(\S+)$")


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``text == document.text[start:end]``.

    Attributes:
        id: ``"s<index>"``, unique within its document.
        paragraph: index into ``Document.paragraphs``.
        section: the headings above it, outermost first (a heading includes itself).
        kind: ``"heading"``, ``"list_item"`` or ``"body"``.
    """

    id: str
    text: str
    start: int
    end: int
    paragraph: int
    section: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph: ``document.text[start:end]``, holding ``sentences[first:last]``."""

    index: int
    start: int
    end: int
    first: int
    last: int
    section: tuple[str, ...]


@dataclass
class Document:
    """A segmented policy. See :func:`segment`."""

    text: str
    paragraphs: list[Paragraph]
    sentences: list[Sentence]
    format: str
    metadata: dict = field(default_factory=dict)
    _runs: list[tuple[int, int, int]] = field(default_factory=list, repr=False)

    def paragraph_sentences(self, index: int) -> list[Sentence]:
        """The sentences of paragraph ``index``."""
        p = self.paragraphs[index]
        return self.sentences[p.first : p.last]

    def source_offset(self, offset: int) -> int | None:
        """Offset in the source string of the character at ``offset`` of ``text``.

        Known for text, Markdown and OPP-115 input; None for generic HTML and for
        characters the segmenter inserted (paragraph breaks, collapsed spaces).
        """
        i = bisect.bisect_right(self._runs, (offset, float("inf"), 0)) - 1
        if i < 0:
            return None
        off, src, n = self._runs[i]
        return src + offset - off if offset < off + n else None

    def to_dict(self) -> dict:
        """A JSON-ready dict: text, format, metadata, paragraphs and sentences."""
        return {
            "text": self.text,
            "format": self.format,
            "metadata": self.metadata,
            "paragraphs": [asdict(p) for p in self.paragraphs],
            "sentences": [asdict(s) for s in self.sentences],
        }


def segment(
    source: str | bytes | Path,
    format: str | None = None,
    *,
    max_sentence_chars: int = MAX_SENTENCE_CHARS,
) -> Document:
    """Read and segment a policy.

    Args:
        source: policy text, raw bytes, or a path (a ``str`` naming an existing file,
            or ending in .txt/.md/.html, is read as a path).
        format: ``"text"``, ``"markdown"``, ``"html"`` or ``"opp115"``; detected when None.
        max_sentence_chars: longer sentences are cut on a word boundary.

    Returns:
        A :class:`Document`. For ``opp115`` input, paragraph *i* is segment *i*
        (empty segments give empty paragraphs, so ids stay aligned).

    Raises:
        PolicyReadError: missing file, directory, binary data, unknown format, or a
            policy with no text at all.
    """
    raw, meta = readers.load(source)
    name = meta["path"] or "<text>"
    if format is None:
        format = readers.detect_format(raw, meta["path"])
    elif format not in readers.FORMATS:
        raise PolicyReadError(
            f"{name}: unknown format {format!r}; use one of {', '.join(readers.FORMATS)}"
        )
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    meta["format"] = format
    segments = None
    if format == "opp115":
        blocks, segments = readers.read_opp115(raw)
    elif format == "html":
        blocks, html_meta = readers.read_html(raw)
        meta.update(html_meta)
    else:
        stripped, note = readers.extract_provenance(raw)
        if note:
            meta["provenance"] = note
        builder = readers._Builder(stripped)
        blocks = readers.read_lines(stripped, format == "markdown", builder)
        if getattr(builder, "links", None):
            meta["links"] = builder.links
    if not blocks and segments is None:
        raise PolicyReadError(f"{name}: the policy has no text; give a non-empty policy")
    doc = _build(blocks, segments, max_sentence_chars)
    doc.format = format
    doc.metadata = meta
    return doc


def _build(blocks, segments, max_chars: int) -> Document:
    parts: list[str] = []
    runs: list[tuple[int, int, int]] = []
    sentences: list[Sentence] = []
    paragraphs: list[Paragraph] = []
    headings: list[tuple[int, str]] = []  # (level, text) stack
    pos = 0
    para_start = para_first = 0
    open_para = False

    def close_para(end: int) -> None:
        paragraphs.append(
            Paragraph(len(paragraphs), para_start, end, para_first, len(sentences),
                      sentences[para_first].section if len(sentences) > para_first
                      else tuple(h for _, h in headings))
        )

    cur_seg = -1
    for blk in blocks:
        if segments is not None:
            seg = blk.segment
            new_para = seg != cur_seg
        else:
            new_para = blk.new_paragraph or not open_para
        if new_para and open_para:
            close_para(pos)
            open_para = False
        if segments is not None and new_para:
            # one paragraph per OPP-115 segment, empty ones included
            while len(paragraphs) < seg:
                paragraphs.append(Paragraph(len(paragraphs), pos, pos, len(sentences),
                                            len(sentences), tuple(h for _, h in headings)))
            cur_seg = seg
        if parts:
            sep = "\n\n" if new_para else "\n"
            parts.append(sep)
            pos += len(sep)
        if new_para:
            para_start, para_first, open_para = pos, len(sentences), True
        if blk.kind == "heading":
            # headings without a level (plain text, bold HTML) sit below every Markdown level
            level = blk.level or 7
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, blk.text))
        section = tuple(h for _, h in headings)
        for s, e in split_sentences(blk.text, max_chars, heading=blk.kind == "heading"):
            sentences.append(Sentence(f"s{len(sentences)}", blk.text[s:e], pos + s, pos + e,
                                      len(paragraphs), section, blk.kind))
        runs.extend((pos + off, src, n) for off, src, n in blk.runs)
        parts.append(blk.text)
        pos += len(blk.text)
    if open_para:
        close_para(pos)
    if segments is not None:
        while len(paragraphs) < len(segments):
            paragraphs.append(Paragraph(len(paragraphs), pos, pos, len(sentences),
                                        len(sentences), tuple(h for _, h in headings)))
    return Document("".join(parts), paragraphs, sentences, "", {}, runs)


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS,
                    heading: bool = False) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of one block of text.

    Spans cover every non-white-space character, in order, without overlap; each is
    stripped of surrounding white space and at most ``max_chars`` long.

    Example:
        >>> t = "Acme Inc. keeps logs.We delete them after 30 days."
        >>> [t[s:e] for s, e in split_sentences(t)]
        ['Acme Inc. keeps logs.', 'We delete them after 30 days.']
    """
    cuts = [0]
    if not heading:
        for m in _BOUNDARY.finditer(text):
            if _is_boundary(text, m):
                cuts.append(m.end())
    cuts.append(len(text))
    spans = []
    for a, z in zip(cuts, cuts[1:], strict=False):
        while a < z and text[a].isspace():
            a += 1
        while z > a and text[z - 1].isspace():
            z -= 1
        if a >= z:
            continue
        while z - a > max_chars:
            cut = text.rfind(" ", a + max_chars // 2, a + max_chars)
            cut = cut if cut > a else a + max_chars
            spans.append((a, cut))
            a = cut
            while a < z and text[a].isspace():
                a += 1
        spans.append((a, z))
    return spans


def _is_boundary(text: str, m: re.Match) -> bool:
    start = m.start()
    if text[start] == "?" or text[start] == "!":
        return True
    w = _WORD_BEFORE.search(text, 0, start + 1)
    word = w.group(1) if w else ""
    core = word.rstrip(".").lstrip("(\"'“‘[").lower()
    gap = m.group()[len(m.group().rstrip()) :] if m.group()[-1:].isspace() else ""
    if not gap:
        # no space after the stop ("purposes.I agree"): only after a plain word
        if not re.fullmatch(r"[a-z]{2,}[)\"'”’]?", word.rstrip(".")[-12:] or "x") or "@" in word \
                or "/" in word:
            return False
        nxt = text[m.end() : m.end() + 12]
        if re.match(r"[A-Z][a-z]*\.(?:[a-z]|\s|$)|[A-Z][a-z]+(?:\.com|\.org|\.net)", nxt):
            return False
    if core in _ABBREVIATIONS or core.replace(".", "") in {"eg", "ie", "us", "usa", "uk"}:
        return False
    if len(core) == 1 and core.isalpha():  # an initial: "J. Smith", "(a)."
        return False
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", core):  # "u.s", "a.m"
        return False
    if "@" in word or "://" in word or word.lower().startswith("www."):
        # inside a URL or address the stop is part of it unless it ends the word
        return text[start : m.end()].rstrip()[-1:] in ".!?…\"'”’)]" and bool(gap)
    return True


def iter_jsonl(doc: Document):
    """Yield one JSON line per sentence (id, offsets, paragraph, section, kind, text)."""
    for s in doc.sentences:
        yield json.dumps(asdict(s), ensure_ascii=False)

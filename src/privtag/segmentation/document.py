"""Segment a policy into sections, paragraphs and sentences with character offsets.

:func:`segment` reads a policy (see :mod:`privtag.segmentation.readers` for the formats), joins its
blocks into one *normalized text* (blocks of a paragraph joined by ``"\\n"``,
paragraphs by ``"\\n\\n"``, runs of white space collapsed), and splits every block
into sentences. Each :class:`Sentence` satisfies ``doc.text[s.start:s.end] == s.text``
and every non-white-space character of ``doc.text`` lies in exactly one sentence.

Why our own rules (:mod:`privtag.segmentation.sentences`) rather than a library. Sentence boundaries
in policies are decided first by layout (headings, list items, table cells, ``|||``
segments), which the readers give; a library sees layout only as newlines. Inside the
blocks, three splitters were compared by ``benchmarks/bench_segment.py`` (figures of
2026-11-22 in ``benchmarks/RESULTS.md``; pysbd 0.3.4, blingfire 0.1.8):

* Hand-checked gold boundaries of the five seed policies (344 boundaries): our rules
  F1 1.000, pysbd 0.993 (it splits "Pvt. | Ltd." and heading lines, misses
  "purposes.I agree"), blingfire 0.980 inside our blocks and 0.737 on the whole text
  (it cuts "1. | Consent and Scope", misses "etc. Transfers"). Caveat: our rules were
  corrected while reading these same policies, so 1.000 is a development-set figure.
* OPP-115, 95 policies, no gold: inside the same blocks we and pysbd agree on 10,843
  boundaries. Of the 20 only we find, 18 are true boundaries and 2 are our cuts of
  sentences longer than 1,000 characters. Of the 269 only pysbd finds, 127 split inline
  enumerations "(a) ...; (b) ..." (one sentence by our convention), 81 cut a list
  marker off its item, and of the other 61, checked by hand, 4 are boundaries we miss
  (sentences opening with lower-case "reddit", a stray full stop); the rest are pysbd
  errors (inside URLs at "?", "2000 Duke St., 4th Floor", "Time Inc. Privacy Notice").
* Speed of the splitter alone (CPU time, one core): ours 18.4 MB/s, blingfire 8.8 MB/s,
  pysbd 0.31 MB/s. With pysbd the whole pipeline could not reach the 2 MB/s target (ours
  runs at 9.5 MB/s on OPP-115); blingfire is fast but the least accurate, and both
  would be new dependencies.

Example:
    >>> doc = segment("# Privacy\\n\\nWe collect your e-mail, e.g. at sign-up. We use it.")
    >>> [(s.kind, s.text) for s in doc.sentences]
    [('heading', 'Privacy'), ('body', 'We collect your e-mail, e.g. at sign-up.'), ('body', 'We use it.')]
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from privtag.errors import ArgumentError, PolicyReadError, PolicyTypeError, check_int
from privtag.segmentation import language, loading, readers
from privtag.segmentation.sentences import MAX_SENTENCE_CHARS, split_sentences, split_with_titles

_NOT_PAGE_TEXT = (readers.NON_TEXT, readers.COMMENT, readers.IMAGE_TEXT)
#: Warn when more than this share of a page's text is left out as furniture.
DROPPED_WARNING = 0.05

__all__ = [
    "DROPPED_WARNING",
    "MAX_SENTENCE_CHARS",
    "Document",
    "Paragraph",
    "Sentence",
    "iter_jsonl",
    "segment",
    "segment_file",
    "split_sentences",
]


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    #: what the reader left out of the page, by reason (HTML only)
    dropped: list[readers.Dropped] = field(default_factory=list)
    #: problems the reader worked around (repaired bytes, much text dropped): show them
    warnings: list[str] = field(default_factory=list)

    @property
    def dropped_share(self) -> float:
        """Share of the page's text (characters, white space aside) left out as furniture.

        Scripts, styles, the page head, Markdown comments and images' alt text are not page
        text and do not count.

        Example:
            >>> round(segment("<nav><a href=/>Home</a></nav><p>We keep logs.</p>").dropped_share, 2)
            0.27
        """
        lost = sum(d.chars for d in self.dropped if d.reason not in _NOT_PAGE_TEXT)
        kept = len(self.text) - sum(map(self.text.count, " \n"))
        return lost / (lost + kept) if lost else 0.0

    def paragraph_sentences(self, index: int) -> list[Sentence]:
        """The sentences of paragraph ``index``."""
        p = self.paragraphs[index]
        return self.sentences[p.first : p.last]

    def source_offset(self, offset: int) -> int | None:
        """Offset in the source string of the character at ``offset`` of ``text``.

        Known for text, Markdown and OPP-115 input; None for generic HTML and for
        characters the segmenter inserted (paragraph breaks, collapsed spaces).

        Raises:
            ArgumentError: ``offset`` is not an int from 0 to ``len(text)`` (the end).

        Example:
            >>> doc = segment("Title\\n\\nWe  keep logs.", format="text")
            >>> doc.text, doc.source_offset(doc.text.index("keep"))
            ('Title\\n\\nWe keep logs.', 11)
        """
        # an offset outside the text would read as "inserted by the segmenter"
        offset = check_int(offset, "offset", 0)
        if offset > len(self.text):
            raise ArgumentError(
                f"offset {offset} is past the end of the text ({len(self.text)} characters)"
            )
        i = bisect.bisect_right(self._runs, (offset, float("inf"), 0)) - 1
        if i < 0:
            return None
        off, src, n = self._runs[i]
        return src + offset - off if offset < off + n else None

    def source_span(self, start: int, end: int) -> tuple[int | None, int | None]:
        """``(source_start, source_end)`` of ``text[start:end]`` in the source as given,
        or ``(None, None)`` where that is not known (see :meth:`source_offset`).

        Example:
            >>> doc = segment("Title\\n\\nWe  keep logs.", format="text")
            >>> s = doc.sentences[1]
            >>> doc.source_span(s.start, s.end)
            (7, 21)
        """
        if end <= start:  # an empty span has no character to map
            return None, None
        first, last = self.source_offset(start), self.source_offset(end - 1)
        if first is None or last is None:
            return None, None
        return first, last + 1

    def source_fields(self, start: int, end: int) -> dict:
        """``{"source_start": ..., "source_end": ...}`` of ``text[start:end]``: what every
        JSON or table row of a sentence or paragraph carries (see :meth:`source_span`)."""
        first, last = self.source_span(start, end)
        return {"source_start": first, "source_end": last}

    def to_dict(self) -> dict:
        """A JSON-ready dict: text, format, metadata, paragraphs and sentences."""
        return {
            "text": self.text,
            "format": self.format,
            "metadata": self.metadata,
            "dropped": [asdict(d) for d in self.dropped],
            "warnings": self.warnings,
            "paragraphs": [asdict(p) for p in self.paragraphs],
            "sentences": [asdict(s) for s in self.sentences],
        }


def segment(
    source: str | bytes | Path,
    format: str | None = None,
    *,
    max_sentence_chars: int = MAX_SENTENCE_CHARS,
    max_bytes: int | None = None,
    name: str | None = None,
) -> Document:
    """Read and segment a policy.

    Args:
        source: policy text (a ``str`` is always text: one that names a file is read as
            text, with a :class:`~privtag.errors.PathAsTextWarning`), raw bytes, or a
            :class:`~pathlib.Path` to read (see :func:`privtag.segmentation.loading.load`).
        format: ``"text"``, ``"markdown"``, ``"html"`` or ``"opp115"``; detected when None.
        max_sentence_chars: longer sentences are cut on a word boundary.
        max_bytes: refuse policy files larger than this (default 50 MB, or
            ``$PRIVTAG_MAX_BYTES``).
        name: what errors and warnings call a policy given as text or bytes (default
            ``<text>``, ``<bytes>``); a file is named by its path.

    Returns:
        A :class:`Document`. For ``opp115`` input, paragraph *i* is segment *i*
        (empty segments give empty paragraphs, so ids stay aligned). Its ``warnings``
        say when bytes were repaired or over :data:`DROPPED_WARNING` of an HTML page's
        text was left out (``dropped`` says what and why).

    Raises:
        PolicyReadError: missing, non-regular or too large file, directory, binary
            data, unknown format, or a policy with no text at all (empty, white space
            only, or markup only).
        PolicyTypeError: ``source`` or ``format`` of a wrong type (None, a number).
        ArgumentError: ``max_sentence_chars`` is not an int of at least 20.

    Example:
        >>> doc = segment("PRIVACY\\n\\nWe keep logs. See www.example.com.")
        >>> [(s.kind, s.text) for s in doc.sentences]
        [('heading', 'PRIVACY'), ('body', 'We keep logs.'), ('body', 'See www.example.com.')]
    """
    if not (format is None or isinstance(format, str)):
        raise PolicyTypeError(f"format must be a str or None, not {type(format).__name__}")
    raw, meta = loading.load(source, max_bytes, name=name)
    name = meta["path"] or name or ("<text>" if isinstance(source, str) else "<bytes>")
    page_as_text = False
    if format is None:
        format = readers.detect_format(raw, meta["path"])
        suffix = Path(meta["path"]).suffix.lower() if meta["path"] else ""
        page_as_text = format == "html" and suffix in (".txt", ".md", ".markdown")
    elif format not in readers.formats():
        if format.lower() not in readers.formats():
            raise PolicyReadError(
                f"{name}: unknown format {format!r}; use one of {', '.join(readers.formats())}"
            )
        format = format.lower()  # "HTML" is html
    max_sentence_chars = check_int(max_sentence_chars, "max_sentence_chars", 20)
    # Same-length replacements only, so offsets into the source stay valid.
    raw = raw.replace("\r\n", " \n").replace("\r", "\n")
    meta["format"] = format
    blocks, segments, extra = readers.read_blocks(raw, format)
    meta.update(extra)
    dropped, warnings = extra.pop("dropped", []), meta.pop("warnings", [])
    meta.pop("dropped", None)
    doc = _build(blocks, segments, max_sentence_chars)
    if not doc.sentences:
        what = {
            "html": "no text outside scripts, styles and navigation",
            "opp115": "no text in any segment",
        }.get(format, "no text")
        raise PolicyReadError(f"{name}: the policy has {what}; give a non-empty policy")
    doc.format = format
    doc.metadata = meta
    doc.dropped, doc.warnings = dropped, warnings
    if page_as_text:
        as_is = ("plain text", "text") if suffix == ".txt" else ("Markdown", "markdown")
        doc.warnings.append(
            f"{name}: a {suffix} file that starts as a web page was read as HTML (its tags "
            f"and scripts are not policy text); to read it as {as_is[0]}, pass --format "
            f"{as_is[1]} (format={as_is[1]!r})"
        )
    share = doc.dropped_share
    if share > DROPPED_WARNING:
        why = ", ".join(
            f"{d.reason} {d.chars:,}" for d in dropped if d.reason not in _NOT_PAGE_TEXT
        )
        doc.warnings.append(
            f"{name}: {share:.0%} of the page's text was left out as page furniture "
            f"(characters: {why}); each reason's first texts are in Document.dropped "
            '("dropped" in privtag tag --json); if policy text is among them, save the '
            "policy's part of the page as text or Markdown and tag that"
        )
    if format != "opp115":  # OPP-115 is English by construction
        paragraphs = [doc.text[p.start : p.end] for p in doc.paragraphs]
        note = language.language_note(doc.text, name, paragraphs)
        if note:
            doc.warnings.append(note)
    return doc


def segment_argument(path: Path, format: str | None = None) -> Document:
    """The policy a command's argument names: a file, or ``-`` for stdin (named
    ``<stdin>`` in errors and warnings).

    Example:
        >>> segment_argument(Path("data/policies/zarget.md")).format  # doctest: +SKIP
        'markdown'
    """
    return segment(loading.policy_source(path), format, name=loading.argument_name(path))


def segment_file(path: str | Path, format: str | None = None, **kwargs) -> Document:
    """Read and segment the policy file at ``path`` (a ``str`` here is a file name).

    Takes the keyword arguments of :func:`segment`.

    Example:
        >>> segment_file("data/policies/zarget.md").format  # doctest: +SKIP
        'markdown'
    """
    if not isinstance(path, str | os.PathLike):
        raise PolicyTypeError(f"a policy file must be a str or a Path, not {type(path).__name__}")
    if not str(path).strip():  # Path("") is ".", the current folder
        raise PolicyReadError("the policy file name is empty; give the path of a policy file")
    return segment(Path(path), format, **kwargs)


def _build(blocks: list[readers.Block], segments: list | None, max_chars: int) -> Document:
    """Join blocks into the normalized text, paragraphs and sentences (OPP-115: one
    paragraph per segment in ``segments``, empty ones included)."""
    parts: list[str] = []
    runs: list[tuple[int, int, int]] = []
    sentences: list[Sentence] = []
    paragraphs: list[Paragraph] = []
    headings: list[tuple[int, str, int]] = []  # (level, text, panel scope or 0) stack
    section: tuple[str, ...] = ()
    pos = 0
    para_start = para_first = 0
    open_para = False

    def close_para(end: int) -> None:
        first_section = sentences[para_first].section if len(sentences) > para_first else section
        paragraphs.append(
            Paragraph(len(paragraphs), para_start, end, para_first, len(sentences), first_section)
        )

    def push_heading(level: int, text: str, panel: int = 0) -> tuple[str, ...]:
        # an open panel's title stays whatever the level of a heading inside the panel (or
        # inside its title: <summary><h3>Cookies</h3><h4>What they are</h4></summary>)
        while headings and headings[-1][0] >= level and not headings[-1][2]:
            headings.pop()
        headings.append((level, text, panel))
        return tuple(h for _, h, _ in headings)

    def close_panel(scope: int) -> tuple[str, ...]:
        # the panel's title and every heading inside the panel end with its scope
        for i, h in enumerate(headings):
            if h[2] == scope:
                del headings[i:]
                break
        return tuple(h for _, h, _ in headings)

    cur_seg = -1
    for blk in blocks:
        if segments is not None:
            new_para = blk.segment != cur_seg
        else:
            new_para = blk.new_paragraph or not open_para
        if new_para and open_para:
            close_para(pos)
            open_para = False
        if segments is not None and new_para:
            # one paragraph per OPP-115 segment, empty ones included
            while len(paragraphs) < blk.segment:
                paragraphs.append(
                    Paragraph(len(paragraphs), pos, pos, len(sentences), len(sentences), section)
                )
            cur_seg = blk.segment
        if parts:
            sep = "\n\n" if new_para else "\n"
            parts.append(sep)
            pos += len(sep)
        if new_para:
            para_start, para_first, open_para = pos, len(sentences), True
        for scope in blk.closes:
            section = close_panel(scope)
        if blk.kind == "heading":
            # headings without a level (plain text, bold HTML) sit below every Markdown level
            section = push_heading(blk.level or 7, blk.text, blk.panel)
        text = blk.text
        for s, e, title in split_with_titles(text, max_chars, heading=blk.kind == "heading"):
            kind = blk.kind
            if title:  # an ALL-CAPS run-in title: "PRIVACY POLICY We collect ..."
                kind, section = "heading", push_heading(7, text[s:e])
            sentences.append(
                Sentence(
                    f"s{len(sentences)}",
                    text[s:e],
                    pos + s,
                    pos + e,
                    len(paragraphs),
                    section,
                    kind,
                )
            )
        runs.extend((pos + off, src, n) for off, src, n in blk.runs)
        parts.append(text)
        pos += len(text)
    if open_para:
        close_para(pos)
    if segments is not None:
        while len(paragraphs) < len(segments):
            paragraphs.append(
                Paragraph(len(paragraphs), pos, pos, len(sentences), len(sentences), section)
            )
    return Document("".join(parts), paragraphs, sentences, "", {}, runs)


def iter_jsonl(doc: Document):
    """Yield one JSON line per sentence: id, text, ``start``/``end`` in the normalised
    text, paragraph, section, kind, and ``source_start``/``source_end`` in the text as
    given (null for generic HTML, see :meth:`Document.source_span`): a user of the JSON
    lines has no ``doc.text``, so the offsets into the file are the ones to use.

    Example:
        >>> next(iter_jsonl(segment("# Data\\n\\nWe  keep logs.", format="markdown")))
        '{"id": "s0", "text": "Data", "start": 0, "end": 4, "paragraph": 0, "section": ["Data"], "kind": "heading", "source_start": 2, "source_end": 6}'
    """
    for s in doc.sentences:
        yield json.dumps({**asdict(s), **doc.source_fields(s.start, s.end)}, ensure_ascii=False)

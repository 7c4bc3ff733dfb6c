"""Blocks of HTML policies: web pages as found on real sites.

Web pages are parsed with lxml (forgiving: unclosed tags and stray ``<`` are read the
way browsers read them) and walked without recursion, so deeply nested pages are fine;
what of a page is furniture or hidden, and whether it stays, is judged in
:mod:`privtag.segmentation.furniture`. OPP-115's sanitized HTML has its own reader,
:mod:`privtag.segmentation.opp115_html`.
"""

from __future__ import annotations

import itertools
import re

from privtag.segmentation.blocks import (
    CONNECTORS,
    EXAMPLES,
    IMAGE_TEXT,
    NON_TEXT,
    Block,
    Builder,
    Dropped,
    clean_text,
    quote,
    visible_ends,
)
from privtag.segmentation.furniture import (
    HEADING_TAGS,
    NON_TEXT_TAGS,
    candidate,
    in_sentence,
    measure,
    measure_candidates,
    skipped_control,
    verdict,
    visible_text,
)
from privtag.segmentation.headings import all_caps, looks_like_heading, numbered
from privtag.segmentation.sentences import SENTENCE_STARTERS

_PARAGRAPH = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "address",
    "dl",
    "ul",
    "ol",
    "table",
    "figure",
    "hr",
    "center",
    "details",
    "form",
    "fieldset",
    "header",
    "footer",
    "body",
    "html",
}
_BLOCK = _PARAGRAPH | {
    "button",  # an accordion or tab toggle: the title of the panel it opens
    "dt",
    "dd",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "figcaption",
    "summary",
    "legend",
}
_BOLD = {"strong", "b"}
# what titles the panel it opens: an accordion's button, a <details> element's <summary>
_TITLES = {"button", "summary"}


# A line ending in one of these ended where its <br> is: a sentence, a title ("Contact:"),
# an item of a list laid out by <br> ("Name;").
_LINE_END = ".!?:;\u3002\uff01\uff1f"
_CLOSING = "\"'\u201d\u2019)]"
# Words a sentence does not stop on: a line ending in one goes on after its <br>.
_CONNECTORS = CONNECTORS | {"our", "such", "your", "we", "you", "may", "will", "can", "is", "are"}


def _mid_sentence(b: Builder) -> bool:
    """Whether the open line stops mid-sentence: no closing punctuation, and a comma, a
    word such as "and" or "the", or at least four words before the ``<br>`` (a short
    line, "name" or "Acme Inc", is a line of a list or an address)."""
    word = b.last_word().rstrip(_CLOSING)
    if not word or word[-1] in _LINE_END:
        return False
    return word[-1] == "," or word.lower() in _CONNECTORS or b.word_count() >= 4


def _continues(text: str) -> bool:
    """Whether text after a ``<br>`` goes on with the sentence before it: it starts with a
    lower-case letter ("name,<br>email address and ..."), not a new line's capital."""
    first = text.lstrip().lstrip("\"'\u201c\u2018(")[:1]
    return first.islower()


class _HtmlWalker:
    """Turns an lxml tree into blocks; see :func:`read_html`."""

    def __init__(self) -> None:
        self.b = Builder("")
        self.counts: dict = {}  # from measure_candidates
        # reason -> [characters, elements, the first elements' texts]
        self.dropped_by: dict[str, list] = {}
        self.bold = 0  # depth of open <b>/<strong>
        self.bold_only = True  # all text of the open block so far is bold
        self.in_list = 0
        self.in_cell = 0
        self.in_main = 0
        self.in_heading = 0  # depth of open <h1>-<h6>
        # per open panel title (<summary>, a toggle button): the index of its first block
        self.titles: list[int] = []
        # the element a panel title's section ends with (<details> for its <summary>, the
        # panel after a toggle) -> its scope number, once the title made a heading (see
        # Block.panel)
        self.scopes: dict = {}
        self.plain: list[int] = []  # indexes of body blocks outside lists and tables
        self.space = True  # white space since the last text added
        # a <br> inside a sentence ("your name,<br>email address and<br>phone number"):
        # the block stays open until the next text says whether the sentence goes on
        self.soft_break = False

    def text(self, t: str | None) -> None:
        if not t:
            return
        if not t.strip():
            self.space = True
            return
        b = self.b
        if self.soft_break:
            self.soft_break = False
            if not _continues(t):
                self.flush()  # the <br> ended a line after all
            self.space = True
        if not self.bold and not b.empty and self.bold_only and not self.in_list:
            self._split_run_in_title(t)
        if not self.bold:
            self.bold_only = False
        first, last = visible_ends(t)  # (&#8203; neither is nor hides a space)
        b.add_text(t, glue=not self.space and not first.isspace())
        if last:
            self.space = last.isspace()

    def _split_run_in_title(self, following: str) -> None:
        # "<b>Cookies:</b> We use ..." or "<b>Your choices</b> You may ...": the bold
        # title is a heading of its own, never glued to the sentence after it.
        nxt = following.split(None, 1)[0] if following.strip() else ""
        if not nxt[:1].isupper() or self.b.word_count() > 12 or self.b.last_char() in ".!?,;":
            return
        if self.b.last_char() == ":" or nxt.lower().strip("\"'“(") in SENTENCE_STARTERS:
            self.b.flush("heading")
            self.space = True

    def flush(self, kind: str = "body", level: int = 0) -> None:
        b = self.b
        if kind == "body":
            if self.in_list:
                kind = "list_item"
            elif (
                self.bold_only
                and not self.in_cell
                and not b.empty
                and b.word_count() <= 15
                and b.last_char() not in ".;,"
            ):
                kind = "heading"
        if kind == "body" and not self.in_cell and not b.empty:
            self.plain.append(len(b.blocks))  # the index the block gets
        b.flush(kind, level)
        self.bold_only = True
        self.space = True
        self.soft_break = False

    def walk(self, root) -> None:
        # (element, None) = enter, (element, tag) = leave it as read on entering: no
        # recursion on deep pages, and a button's reading is decided once
        stack: list[tuple] = [(root, None)]
        while stack:
            el, leaving = stack.pop()
            if leaving is not None:
                self.leave(el, leaving)
                self.text(el.tail)
                continue
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if tag in ("div", "span", "p") and el.get("role") == "heading":
                tag = _aria_heading(el)  # an app's heading: <div role=heading aria-level=2>
            if tag == "button" and (self.in_heading or in_sentence(el)):
                tag = "span"  # read inline: its words belong to the heading or sentence
            if not tag or self.dropped(el, tag):  # comments, processing instructions, furniture
                self._end_scope(el)  # a panel dropped as furniture ends too
                self.text(el.tail)
                continue
            self.enter(tag)
            self.text(el.text)
            stack.append((el, tag))
            stack.extend((child, None) for child in reversed(el))

    def dropped(self, el, tag: str) -> bool:
        if tag == "img" and (alt := el.get("alt") or "").strip():
            examples = self._tally(IMAGE_TEXT, measure(alt)[0])
            if len(examples) < EXAMPLES:
                examples.append(quote(alt))
        if tag in NON_TEXT_TAGS:
            return self._drop(el, NON_TEXT)
        if skipped_control(el, tag):
            return self._drop(el, "form control")
        kind = candidate(el, tag, self.in_main > 0)
        if kind is None:
            return False
        if el not in self.counts:
            # counted when first met, nested candidates with it: text outside furniture
            # is never counted, text inside it once
            self.counts.update(measure_candidates(el))
        counts = self.counts[el]
        reason = verdict(counts, kind)
        return reason is not None and self._drop(el, reason, counts[0])

    def _drop(self, el, reason: str, chars: int | None = None) -> bool:
        if chars is None:
            chars = measure(el.text_content())[0]
        examples = self._tally(reason, chars)
        if chars and reason != NON_TEXT and len(examples) < EXAMPLES:
            # a control's own words: visible_text leaves the skipped control out
            shown = " ".join(el.itertext()) if reason == "form control" else visible_text(el)
            examples.append(quote(shown))
        return True

    def _tally(self, reason: str, chars: int) -> list[str]:
        """Count one element left out for ``reason``; returns the reason's examples."""
        tally = self.dropped_by.setdefault(reason, [0, 0, []])
        tally[0] += chars
        tally[1] += 1
        return tally[2]

    def dropped_report(self) -> list[Dropped]:
        """What was left out, by reason, most characters first."""
        return sorted(
            (Dropped(r, c, n, ex) for r, (c, n, ex) in self.dropped_by.items()),
            key=lambda d: (-d.chars, d.reason),
        )

    def enter(self, tag: str) -> None:
        b = self.b
        if tag == "br":
            if self.soft_break:  # <br><br> after words: a blank line
                self.flush()
                b.paragraph_break()
            elif not b.empty and not self.bold_only and _mid_sentence(b):
                self.soft_break = True  # a line that stops mid-sentence
            else:
                empty = b.empty
                self.flush()
                if empty:  # <br><br>: a blank line
                    b.paragraph_break()
        elif tag in HEADING_TAGS:
            self.flush()
            b.paragraph_break()
            self.bold += 1
            self.in_heading += 1
        elif tag == "li":
            self.flush()
            self.in_list += 1
        elif tag in {"td", "th"}:
            self.flush()
            self.in_cell += 1
        elif tag == "tr":
            self.flush()
            b.paragraph_break()
        elif tag in _BLOCK:
            self.flush()
            if tag in _PARAGRAPH:
                b.paragraph_break()
        elif tag in _BOLD:
            self.bold += 1
        if tag in {"main", "article"}:
            self.in_main += 1
        if tag in _TITLES:
            self.titles.append(len(b.blocks))

    def leave(self, el, tag: str) -> None:
        b = self.b
        if tag in HEADING_TAGS:
            self.bold -= 1
            self.in_heading -= 1
            b.flush("heading", int(tag[1]))
            b.paragraph_break()
            self.bold_only, self.space, self.soft_break = True, True, False
        elif tag == "li":
            self.flush("list_item")
            self.in_list -= 1
        elif tag in {"td", "th"}:
            self.flush()
            self.in_cell -= 1
        elif (
            tag in _TITLES
            and not self.in_heading  # inside <h2>: the heading flushes, with its level
            and b.word_count() <= 15
            and b.last_char() not in ".;,"
        ):
            b.flush("heading")  # the title of the panel it opens
            self.bold_only, self.space, self.soft_break = True, True, False
        elif tag in _BLOCK or tag == "tr":
            self.flush()
            if tag in _PARAGRAPH or tag == "tr":
                b.paragraph_break()
        elif tag in _BOLD:
            self.bold -= 1
        elif tag == "a" and el is not None and el.get("href"):
            b.links.append(el.get("href"))
        if tag in {"main", "article"}:
            self.in_main -= 1
        if tag in _TITLES:
            start, scope = self.titles.pop(), _panel_of(el, tag)
            for blk in b.blocks[start:]:
                if blk.kind == "heading" and scope is not None:  # a bold title, an <h3>: any
                    blk.panel = self.scopes.setdefault(scope, len(self.scopes) + 1)
        self._end_scope(el)

    def _end_scope(self, el) -> None:
        """End the section of the panel title whose scope ``el`` is (see Block.panel)."""
        if self.scopes and el in self.scopes:
            self.b.close_panel(self.scopes.pop(el))


_TARGETS = ("data-target", "data-bs-target", "aria-controls")


def _panel_of(title, tag: str):
    """The element whose end ends a panel title's section: a <summary>'s <details>, or the
    element after a toggle button (the panel it opens); None when there is none."""
    if title is None:
        return None
    if tag == "summary":
        return title.getparent()
    # the elements that hold text after the toggle, then after its wrapper (a card's
    # header); not a script beside it
    after = [
        sib
        for anchor in (title, title.getparent())
        if anchor is not None
        for sib in itertools.islice(anchor.itersiblings(), 4)
        if isinstance(sib.tag, str) and sib.tag.lower() not in NON_TEXT_TAGS
    ]
    # the one the toggle names (Bootstrap's data-target, ARIA's aria-controls), else the
    # first: only one that comes after it, whose end the walker will meet
    names = {(title.get(a) or "").strip().removeprefix("#") for a in _TARGETS}
    named = [sib for sib in after if sib.get("id") in names - {""}]
    return (named or after or [None])[0]


def read_html(text: str) -> tuple[list[Block], dict]:
    """Blocks of a web page, and metadata (``title``, ``links``).

    Example:
        >>> blocks, meta = read_html("<nav>Home</nav><h2>Data</h2><p>We keep logs.</p>")
        >>> [(b.kind, b.text) for b in blocks]
        [('heading', 'Data'), ('body', 'We keep logs.')]
    """
    import lxml.html
    from lxml import etree

    meta: dict = {"title": None, "links": [], "dropped": []}
    if not text.strip():
        return [], meta
    # lxml refuses a str that declares its encoding; the bytes are decoded already
    text = _XML_DECLARATION.sub("", text, count=1)
    # libxml2 stops reading at a lone surrogate and drops everything after "</html>";
    # a browser shows both (U+FFFD for the surrogate), and so must we
    text = _DOCUMENT_END.sub(" ", clean_text(text))
    # huge_tree: a 20 MB page is one text node longer than libxml2's default limit
    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True)
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        doc = None
    if doc is None or any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # libxml2 gives up past 2,048 nested elements (thousands of unclosed tags) and
        # drops the text: read such a page as a flat stream of tags instead
        return _read_tag_soup(text), meta
    title = doc.find(".//title")
    if title is not None:
        meta["title"] = " ".join(title.text_content().split()) or None
    # the whole document, head included, so what is left out adds up to text_content()
    w = _HtmlWalker()
    w.walk(doc)
    w.flush()
    _plain_titles(w.b.blocks, w.plain)
    meta["links"] = w.b.links
    meta["dropped"] = w.dropped_report()
    return w.b.blocks, meta


def _plain_titles(blocks: list[Block], plain: list[int]) -> None:
    """Make a heading of each body block in ``plain`` that is a paragraph of its own and
    a title by the text reader's stricter rule (:func:`looks_like_heading` of a line
    that is not alone: ALL CAPS, numbered, or in Title Case): a page that styles its
    titles with CSS ("<p class=title>YOUR CHOICES</p>") has no <h2> or <b> to say so,
    and its sentences had no section. The text reader's looser rule for a line alone
    would take a web page's unpunctuated lines ("Click here to opt out") for titles.
    Lines split by ``<br>`` are never titles here (an address: "Acme Inc<br>12 Main
    Street"), nor three or more such paragraphs in a row, nor those after a paragraph
    that ends on a colon (an address written one <p> a line, after "Write to us at:")."""
    titles = []
    for i in plain:
        blk = blocks[i]
        alone = blk.new_paragraph and (i + 1 == len(blocks) or blocks[i + 1].new_paragraph)
        if alone and looks_like_heading(blk.text, alone=False):
            titles.append(i)
    for run in _runs(titles):
        after_colon = run[0] > 0 and blocks[run[0] - 1].text.endswith(":")
        # an address is in Title Case; titles in capitals or numbered are titles however
        # many follow each other (a logo line before "PRIVACY POLICY" / "1. WHAT WE ...")
        address = len(run) >= 3 and not any(
            all_caps(blocks[i].text) or numbered(blocks[i].text) for i in run
        )
        # titles head text: cells of a table built of <div>s are followed by none
        after = run[-1] + 1
        heads_text = after < len(blocks) and blocks[after].kind != "heading"
        if heads_text and not address and not after_colon:
            for i in run:
                blocks[i].kind = "heading"


def _aria_heading(el) -> str:
    """``h1``-``h6`` for an element with ``role=heading``, by its ``aria-level`` (ARIA's
    default is 2)."""
    level = (el.get("aria-level") or "2").strip()
    return f"h{min(max(int(level), 1), 6)}" if level.isdigit() else "h2"


def _runs(indexes: list[int]) -> list[list[int]]:
    """Sorted ``indexes`` in runs of consecutive numbers: [1, 2, 5] -> [[1, 2], [5]]."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*>")
# An end tag of the body or page is only a hint: browsers put what follows in the body.
_DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.I)


# A tag holds no "<": an unclosed one fails at the next "<", so "<a<a<a..." is read in
# linear time (it would scan to the end of the page once per "<a" otherwise). Only code
# is dropped: <noscript> and <template> may hold policy text, and without a tree the
# reader cannot judge furniture, so their text is kept like the rest. A doctype, a
# processing instruction or a CDATA section outside SVG/MathML is a comment to a browser
# (and to the tree reader): dropped, not read as text.
_SOUP = re.compile(
    r"<!--.*?(?:-->|$)|<[!?][^<>]*>|<(script|style)\b.*?(?:</\1\s*>|$)"
    r"|<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>|[^<]+|<",
    re.S | re.I,
)


def _read_tag_soup(text: str) -> list[Block]:
    """Blocks of a page too deeply nested for a tree: tags as a flat stream of events.

    Scripts, styles and comments are dropped; block tags, headings, list items and
    cells still delimit units. Page furniture (nav, footer) cannot be told apart
    without a tree, so it is kept.
    """
    from html import unescape

    w = _HtmlWalker()
    run: list[str] = []  # text between two tags arrives in pieces ("<", "a" for "<a<a")
    for m in _SOUP.finditer(text):
        if not m.group(3) and not m.group(1) and not m.group().startswith(("<!", "<?")):
            run.append(m.group())
            continue
        if run:  # one call per run of text, not per piece: "<a<a<a..." stays fast
            w.text(unescape("".join(run)))
            run.clear()
        if m.group(3):
            tag = m.group(3).lower()
            if m.group(2):
                w.leave(None, tag)
                w.bold, w.in_list, w.in_cell = max(w.bold, 0), max(w.in_list, 0), max(w.in_cell, 0)
            else:
                w.enter(tag)
    if run:
        w.text(unescape("".join(run)))
    w.flush()
    return w.b.blocks


def __getattr__(name: str):
    # read_opp115 lived here until 2026-11-30 (privtag 0.2.0): the old path keeps working
    if name == "read_opp115":
        import warnings

        from privtag.errors import MovedModuleWarning
        from privtag.segmentation import opp115_html

        warnings.warn(
            "privtag.segmentation.markup.read_opp115 moved to "
            "privtag.segmentation.opp115_html; import it from there (the old path goes in "
            "privtag 0.3)",
            MovedModuleWarning,
            stacklevel=2,
        )
        return opp115_html.read_opp115
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

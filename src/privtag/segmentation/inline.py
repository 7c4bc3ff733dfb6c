"""Markdown's inline markup: what :mod:`privtag.segmentation.plaintext` cuts from a line.

Emphasis markers, link targets, HTML tags, backslash escapes and entities go; the words
they mark stay, with the character offsets of the source, so every character of a
policy still lands in one sentence. Each pattern is linear on any input (the comments
say how).
"""

from __future__ import annotations

import bisect
import html
import re
import sys

from privtag.segmentation.blocks import Builder, visible_ends

__all__ = ["MD_TAG", "add_inline", "tag_as_words"]

# Neither a link's text nor its target holds a "[", nor an autolink a "<": so each try
# stops at the next opener and a line of "[" or "<" costs linear time, not quadratic.
# A target may hold one level of balanced parentheses: .../wiki/Cookie_(computing)
_MD_LINK = re.compile(r"(!?)\[([^\[\]\n]*)\]\(((?:[^()\s\[]|\([^()\s\[]*\))*)(?:\s+\"[^\"]*\")?\)")
# "[text][ref]" and "[text][]": a link whose target is defined elsewhere; "[^1]" marks a
# footnote ("[^1]:" opens its text): markup, as a link target is
_MD_REFLINK = re.compile(r"\[([^\[\]\n]*)\]\[([^\[\]\n^]*)\]")
_MD_FOOTNOTE = re.compile(r"\[\^[^\[\]\s]{1,20}\]:?")
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+|[^<>\s@]+@[^<>\s@]+)>")
MD_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>\n]*)?/?>")
# Only HTML's own elements are markup: "<Company Name>" is a placeholder to keep.
_HTML_ELEMENTS = frozenset(
    str.split(
        """a abbr b bdi bdo big blockquote br center cite code del dfn div em font h1 h2 h3 h4
    h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strike strong sub sup table
    tbody td tfoot th thead tr tt u ul dl dt dd section article aside header footer nav main
    figure figcaption details summary caption noscript"""
    )
)
# Tags that end a line when rendered: their words never glue across them.
_BREAKING = frozenset(
    str.split(
        """br p div hr li ul ol dl dt dd table tbody thead tfoot tr td th h1 h2 h3 h4 h5 h6
    blockquote pre section article aside header footer nav main figure figcaption details
    summary caption center"""
    )
)
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A backslash escape: the backslash goes, the character after it stays and opens no markup.
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_MD_CODE = re.compile(r"`[^`\n]+`")
_NEXT_LINE = re.compile(r"\r?\n[ \t]*+\S")
# Paired emphasis ("*a*", "**a**text", "_a_") and code ticks; a lone "_ga" or "5*3" stays.
_MD_EMPH = re.compile(
    r"(?<![\w*])(\*{1,3})(?=[^\s*])(?:.*?[^\s*])?\1(?!\*)"
    r"|(?<![\w_])(_{1,3})(?=[^\s_])(?:.*?[^\s_])?\2(?![\w_])"
    r"|`[^`\n]+`"
)
_EMPH_OPEN = re.compile(r"(?<![\w*])\*{1,3}(?=[^\s*])|(?<![\w_])_{1,3}(?=[^\s_])|`")


def tag_as_words(m: re.Match) -> str:
    """For ``MD_TAG.sub`` on a line judged as a title: an HTML element's tag becomes a
    space, a placeholder ("<Company Name>") its words."""
    return " " if m.group(1).lower() in _HTML_ELEMENTS else m.group()[1:-1]


def add_inline(
    b: Builder, text: str, start: int, end: int, markdown: bool, glue: bool = False
) -> None:
    """Add ``text[start:end]`` to ``b``: as it is, or, for Markdown, without its inline
    markup (emphasis, links, tags, escapes, entities), which is cut around its words.
    ``glue`` joins its first word to the block's last (a word hyphenated across lines)."""
    if not markdown:
        b.add_span(start, end, glue)
        return
    # Drop Markdown markup (emphasis markers, link targets, tags) but keep its words.
    # Inside a code span everything is literal, and an escaped character opens nothing.
    escaped: set[int] = set()
    cut: list[tuple[int, int]] = []
    for m in _MD_ESCAPE.finditer(text, start, end):
        cut.append((m.start(), m.start() + 1))
        escaped.add(m.start(1))
    # a backslash that ends a line within a paragraph is a hard line break (CommonMark):
    # markup, as "  " is; at the end of a paragraph it is a backslash
    if text[end - 1 : end] == "\\" and end - 1 not in escaped and _NEXT_LINE.match(text, end):
        cut.append((end - 1, end, " "))
    code = [m.span() for m in _MD_CODE.finditer(text, start, end) if m.start() not in escaped]
    if code:
        cut = [c for c in cut if not _inside(code, c[0])]
        escaped = {i for i in escaped if not _inside(code, i)}

    def markup(matches):
        return (m for m in matches if m.start() not in escaped and not _inside(code, m.start()))

    for m in markup(_MD_LINK.finditer(text, start, end)):
        if m.group(1):  # an image: its alt text is not policy text (Document.dropped has it)
            cut.append(m.span())
            if m.group(2).strip():
                b.images.append(m.group(2))
            continue
        cut.append((m.start(), m.start(2)))
        cut.append((m.end(2), m.end()))
        b.links.append(m.group(3))
    for m in markup(_MD_REFLINK.finditer(text, start, end)):
        cut.append((m.start(), m.start(1)))
        cut.append((m.end(1), m.end()))
    for m in markup(_MD_FOOTNOTE.finditer(text, start, end)):
        cut.append(m.span())
    for m in markup(_MD_AUTOLINK.finditer(text, start, end)):
        cut.append((m.start(), m.start(1)))
        cut.append((m.end(1), m.end()))
        b.links.append(m.group(1))
    for m in markup(MD_TAG.finditer(text, start, end)):
        name = m.group(1)
        if name.lower() in _HTML_ELEMENTS and (name.islower() or name.isupper()):
            cut.append((m.start(), m.end(), " " if name.lower() in _BREAKING else None))
    for m in markup(_ENTITY.finditer(text, start, end)):
        char = html.unescape(m.group())
        if char != m.group():  # an unknown name stays as written
            cut.append((m.start(), m.end(), char))
    for m in markup(_emphasis(text, start, end)):
        width = len(m.group(1) or m.group(2) or "`")  # cut the delimiters, keep the words
        cut.append((m.start(), m.start() + width))
        cut.append((m.end() - width, m.end()))
    if not cut:
        b.add_span(start, end, glue)
        return
    # (start, end[, replacement]): no replacement joins the words around the markup,
    # " " separates them, other text (a decoded entity) takes the markup's place
    cut.sort(key=lambda c: c[:2])
    pos, last = start, ""  # last: the last character kept ("" when nothing yet)
    for a, z, *repl in [*cut, (end, end)]:
        if a < pos:
            continue
        # "**bold**text" renders as "boldtext": glue pieces that touch across markup; a
        # decoded entity may itself be invisible (&#8203;)
        if a > pos:
            first, final = visible_ends(text[pos:a])
            b.add_span(pos, a, glue=_joins(last, first or text[pos]) or (glue and not last))
            last = final or last
        if repl and repl[0]:
            first, final = visible_ends(repl[0])
            b.add_text(repl[0], glue=_joins(last, first or repl[0][0]) or (glue and not last))
            last = final or last
        pos = max(pos, z)


def _inside(spans: list[tuple[int, int]], i: int) -> bool:
    """Whether offset ``i`` lies strictly inside one of ``spans`` (sorted, not overlapping)."""
    k = bisect.bisect_right(spans, (i, sys.maxsize)) - 1
    return k >= 0 and spans[k][0] < i < spans[k][1] - 1


def _joins(last: str, nxt: str) -> bool:
    return bool(last) and not last.isspace() and not nxt.isspace()


def _emphasis(text: str, start: int, end: int):
    """The matches of ``_MD_EMPH.finditer(text, start, end)``, found in linear time.

    A ``*``/``_`` opener that finds no closer proves that no later opener of the same
    delimiter on its line finds one (the later one's closers are a subset), so those
    are not tried: "*a *a *a ..." no longer searches the rest of the line per "*".
    """
    pos = start
    dead: dict[str, int] = {}  # delimiter -> end of the line on which it found no closer
    for o in _EMPH_OPEN.finditer(text, start, end):
        a, delim = o.start(), o.group()
        if a < pos or a < dead.get(delim, -1):
            continue
        m = _MD_EMPH.match(text, a, end)
        if m:
            yield m
            pos = m.end()
        elif delim != "`":  # a backtick fails only when another one follows it at once
            eol = text.find("\n", a, end)
            dead[delim] = end if eol < 0 else eol

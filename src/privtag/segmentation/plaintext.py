"""Blocks of a plain-text or Markdown policy (see :mod:`privtag.segmentation.readers` for the formats).

A policy is read line by line. A line is a heading, a list item, a table row, or a
piece of body text; body lines join the block above them unless that block ended a
sentence (hard-wrapped prose stays one block, while a line that ends with a full
stop, colon or semicolon closes its block so the next line starts a new unit).
"""

from __future__ import annotations

import bisect
import re

from privtag.segmentation.blocks import Block, Builder
from privtag.segmentation.headings import (
    address_line,
    all_caps,
    in_broken_lines,
    looks_like_heading,
)
from privtag.segmentation.inline import add_inline

_BULLET = re.compile(
    r"[ \t]*(?:[-*+•●▪◦‣·–](?=\s)"
    r"|(?=\(?[0-9]{1,3}[.)]\s)|(?=\(?[a-zA-Z][.)]\s)|(?=\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)]\s))"
)
# A bullet symbol and words: a list item, never a title ("* Your Choices" in Title Case)
_SYMBOL_ITEM = re.compile(r"[ \t]*[-*+•●▪◦‣·–][ \t]+\S")
# A bullet that HTML-to-text conversion turned into an indent of no-break spaces.
_NBSP_INDENT = re.compile(r"[ \t]*\u00a0[\s\u00a0]*(?=\S)")
_MD_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})[ \t]+")
_MD_SETEXT = re.compile(r"[ \t]{0,3}(=+|-+)[ \t]*$")
_MD_QUOTE = re.compile(r"[ \t]{0,3}(?:>[ \t]?)+")
_MD_RULE = re.compile(r"[ \t]*(?:[-*_][ \t]*){3,}$")
# A code fence's marker line ("```", "```python", "~~~"): markup; the lines between are
# read as text (a policy quoting a setting), but the markers are not sentences.
_MD_FENCE = re.compile(r"[ \t]{0,3}(?:`{3,}[^`]*|~{3,}.*)$")
# A link reference definition is a label, one destination and an optional title, and
# nothing else on its line: "[Note]: We sell your data." is prose, and is kept.
_MD_LINKDEF = re.compile(
    r"[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(?:<[^<>\n]*>|[^\s<]\S*)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$"
)
_MD_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_NUMBERED_ITEM = re.compile(r"[ \t]*\(?([0-9]{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]\s+\S")


# a collapsible panel written as HTML inside Markdown (GitHub's <details><summary>): its
# tags open a line, as an HTML block does ("`<details>`" in a sentence is no panel)
_MD_DETAILS = re.compile(r"^[ \t]{0,3}<(/?)details\b[^<>\n]*>", re.IGNORECASE | re.MULTILINE)
_NONBLANK_LINE = re.compile(r"^[^\n]*\S[^\n]*$", re.M)


def _line_spans(text: str) -> tuple[list[tuple[int, int]], list[bool]]:
    """``(spans, nonblank)``: each non-blank line, and one empty span per run of blank lines.

    A run of blank lines acts as one (only its first closes a paragraph), so it gets one
    entry: a page of a million blank lines costs one step, not a million.
    """
    spans: list[tuple[int, int]] = []
    nonblank: list[bool] = []
    pos = 0
    for m in _NONBLANK_LINE.finditer(text):
        # a blank line lies in between: at the start, any text; later, two line ends
        if (not spans and m.start() > 0) or (spans and text.count("\n", pos, m.start()) >= 2):
            spans.append((pos, pos))
            nonblank.append(False)
        spans.append(m.span())
        nonblank.append(True)
        pos = m.end()
    if not spans or "\n" in text[pos:]:
        spans.append((pos, pos))
        nonblank.append(False)
    return spans, nonblank


def read_lines(text: str, markdown: bool, builder: Builder | None = None) -> list[Block]:
    """Blocks of a plain-text or Markdown policy.

    A file with (almost) no blank lines is read in *line mode*: each line that ends
    a sentence closes its paragraph, and list items join the paragraph that leads
    into them.

    Args:
        text: the policy with ``\\n`` line ends.
        markdown: read Markdown markup (headings, quotes, tables, links, emphasis).
        builder: collects the blocks (and ``links``); a new one when None.

    Returns:
        The blocks, in order.

    Example:
        >>> [(b.kind, b.text) for b in read_lines("Data\\n\\n- a name.\\n- an e-mail.", False)]
        [('heading', 'Data'), ('list_item', 'a name.'), ('list_item', 'an e-mail.')]
    """
    b = builder or Builder(text)
    spans, nonblank = _line_spans(text)
    n_text = sum(nonblank)
    n_blank = text.count("\n") + 1 - n_text  # every blank line, not one per run
    line_mode = n_text >= 8 and n_blank < 0.05 * n_text
    item = False  # the open block is a list item
    table = False  # inside a Markdown pipe table
    skip = -1  # index of a setext underline already used
    comment_end = -1  # where the open Markdown <!-- comment --> ends ("-->"), or -1
    fence: str | None = None  # the marker of the open code fence ("```" or "~~~")
    last_close = text.rfind("-->") if markdown else -1
    lines_of_comment: list[str] = []
    title_blocks: dict[int, bool] = {}  # first line of a paragraph -> all lines short titles
    firsts: list[int] = []  # each line's paragraph's first line (one pass, not per line)
    for i, filled in enumerate(nonblank):
        firsts.append(firsts[-1] if i and filled and nonblank[i - 1] else i)

    def close(paragraph: bool) -> None:
        nonlocal item
        b.flush("list_item" if item else "body")
        item = False
        if paragraph:
            b.paragraph_break()

    for i, (s, e) in enumerate(spans):
        if not nonblank[i]:
            if i == 0 or nonblank[i - 1]:  # the rest of a run of blank lines changes nothing
                close(True)
                table = False
            continue
        if i == skip:
            continue
        # trailing blanks say nothing ("A. " is the "A." of a CRLF file, whose "\r" became
        # a space): without them a line reads the same with either line end
        line = text[s:e].rstrip(" \t")
        lead = 0
        if markdown:
            if fence is not None:  # inside a code fence: literal lines, no markup
                if _MD_FENCE.match(line) and line.strip().startswith(fence):
                    fence = None
                    close(True)
                else:
                    close(False)
                    b.add_span(s, e)
                continue
            fenced = _MD_FENCE.match(line)
            if fenced:
                fence = line.strip()[:3]  # closed by the same character
                close(True)
                continue
            # an HTML comment is never shown: its lines are left out, and reported. Only
            # a comment that closes: "<!-- TODO" with no "-->" after it would hide the
            # rest of the policy, so it stays text ("<!-- x --> text" stays text too)
            if comment_end < 0 and line.lstrip().startswith("<!--"):
                at = s + line.index("<!--")
                # "<!-->" closes itself; past the last "-->" nothing closes (no scan: linear)
                shut = text.find("-->", at + 2) if at <= last_close else -1
                if shut >= 0 and not (shut < e and text[shut + 3 : e].strip()):
                    comment_end = shut
            if comment_end >= 0:
                lines_of_comment.append(text[s : min(e, comment_end + 3)])
                close(True)
                if comment_end < e:  # it closes on this line
                    b.comments.append("\n".join(lines_of_comment))  # once: += is quadratic
                    lines_of_comment = []
                    if text[comment_end + 3 : e].strip():  # text after a comment of lines
                        add_inline(b, text, comment_end + 3, e, markdown)
                    comment_end = -1
                continue
            if table or (
                line.count("|") and i + 1 < len(spans) and _MD_TABLE_RULE.match(text, *spans[i + 1])
            ):
                if "|" in line:
                    close(True)
                    table = True
                    if not _MD_TABLE_RULE.match(line):
                        _add_row(b, text, s, e)
                    continue
                table = False
            if _MD_LINKDEF.match(line):
                continue
            if _MD_RULE.match(line):
                close(True)
                continue
            q = _MD_QUOTE.match(line)
            if q:
                lead = q.end()
            h = _MD_HEADING.match(line, lead)
            underline = (
                i + 1 < len(spans)
                and not item
                and _MD_SETEXT.match(text, *spans[i + 1])
                and len(line.strip()) <= 120
            )
            if h or underline:
                close(True)
                add_inline(b, text, s + (h.end() if h else lead), e, True)
                level = (
                    len(h.group(1))
                    if h
                    else (1 if "=" in text[spans[i + 1][0] : spans[i + 1][1]] else 2)
                )
                b.flush("heading", level)
                b.paragraph_break()
                skip = -1 if h else i + 1
                continue
        body = line[lead:]
        prev_blank = i == 0 or not nonblank[i - 1]
        next_blank = i + 1 >= len(spans) or not nonblank[i + 1]
        after_stop = b.empty or b.last_char() in ".!?:;"
        nxt = "" if next_blank else text[spans[i + 1][0] : spans[i + 1][1]]
        in_list = _in_numbered_list(
            text, spans, nonblank, i, _item_kind(_NUMBERED_ITEM.match(body))
        )
        if (
            (prev_blank or line_mode or after_stop)
            and not in_list
            and not _SYMBOL_ITEM.match(line, lead)
            and not _goes_on(nxt)
            and looks_like_heading(
                body,
                alone=prev_blank and next_blank,
                caps_follow=(
                    # asked only of a line in capitals: the next line's letters are counted
                    not next_blank and all_caps(body) and all_caps(nxt, 0.6)
                ),
            )
            # last: only a line that would be a heading pays for it
            and not (markdown and in_broken_lines(text, spans, nonblank, i))
            and not address_line(body, nxt)
        ):
            wraps = _title_wraps(body, text, spans, nonblank, i)  # one title on two lines
            if (
                wraps
                or (prev_blank and next_blank)
                or line_mode
                or not _lines_of_titles(text, spans, nonblank, firsts[i], title_blocks)
            ):
                close(True)
                add_inline(b, text, s + lead, e, markdown)
                if wraps:
                    add_inline(b, text, *spans[i + 1], markdown)
                    skip = i + 1
                b.flush("heading", 0)
                b.paragraph_break()
                continue
        bullet = _BULLET.match(line, lead) or _NBSP_INDENT.match(line, lead)
        if bullet and line[bullet.end() :].strip():
            lead_in = b.last_char() == ":"
            close(line_mode and not item and not lead_in)
            item = True
            add_inline(b, text, s + bullet.end(), e, markdown)
            continue
        if item and line[:1] not in " \t":
            # a lower-case line after an item that stops mid-sentence carries the item on
            # (a hard-wrapped item; CommonMark's lazy continuation)
            if not (_goes_on(line) and b.last_char() not in ".!?:;"):
                close(line_mode)
        elif not b.empty and after_stop:
            # the previous line ended a sentence: lines are units (line mode: paragraphs)
            close(line_mode)
        add_inline(b, text, s + lead, e, markdown, glue=_hyphenated(b, body))
    close(False)
    if not line_mode:
        _mark_paragraph_lists(b.blocks)
    if markdown:
        _mark_panels(text, b.blocks)
    return b.blocks


def _mark_panels(text: str, blocks: list[Block]) -> None:
    """Set ``Block.panel``/``closes`` for each ``<details>`` element: a heading that opens
    one (its summary) titles a section that ends at ``</details>``, not at the next
    heading (a sentence after the panel is not under its title)."""
    scope = 0  # each <details> a scope of its own
    starts: list[int] = []  # each block's first source offset (sorted: blocks are in order)
    for blk in blocks:
        starts.append(blk.runs[0][1] if blk.runs else (starts[-1] if starts else -1))
    opened: list[int] = []
    for m in _MD_DETAILS.finditer(text):
        if not m.group(1):
            opened.append(m.end())
            continue
        if not opened:  # a close with no open: nothing to end
            continue
        start = opened.pop()
        first = bisect.bisect_left(starts, start)
        if (
            first < len(blocks)
            and starts[first] < m.start()
            and blocks[first].kind == "heading"
            and "<summary" in text[start : starts[first]].lower()  # a title, not a heading
        ):
            scope += 1
            blocks[first].panel = scope
            after = bisect.bisect_left(starts, m.end())
            if after < len(blocks):
                blocks[after].closes += (scope,)


# Words a title does not end on: its next line goes on with it ("MODIFICATION OF THESE" /
# "TERMS OF USE")
_OPEN_TITLE_END = frozenset(
    str.split(
        """a an and as at by for from in into of on or the to with these this your our its
        their we you they how what why when where which who"""
    )
)


def _title_wraps(title: str, text: str, spans: list, nonblank: list[bool], i: int) -> bool:
    """Whether title line ``i`` is wrapped: it ends on a word a title does not end on, and
    the next line is the rest of a title in the same case, with no title after it (two
    headings, the second over the text, split one title in two)."""
    last = i + 1 >= len(spans) or not nonblank[i + 1]  # no line of the paragraph follows
    if last or title.split()[-1].lower() not in _OPEN_TITLE_END:
        return False
    rest = text[spans[i + 1][0] : spans[i + 1][1]].strip()
    after = text[spans[i + 2][0] : spans[i + 2][1]] if i + 2 < len(spans) else ""
    return (
        all_caps(title) == all_caps(rest)
        and not _BULLET.match(rest)
        and looks_like_heading(rest, alone=False)
        and not (after.strip() and looks_like_heading(after, alone=False))
    )


def _lines_of_titles(
    text: str, spans: list, nonblank: list[bool], first: int, cache: dict[int, bool]
) -> bool:
    """Whether the paragraph that starts at line ``first`` is three or more lines that
    would each be a title (two, if one holds a digit), and nothing else: an address
    ("Acme Ltd" / "23564 Springfield" / "Germany"), a signature or a list of links, not
    titles, each of which headed the next line and the last the text below. Two lines
    without a number may be one title wrapped ("HOW WE USE" / "YOUR INFORMATION"): they
    stay headings. Cached per paragraph: each is read once."""
    if first not in cache:
        last = first
        while last + 1 < len(spans) and nonblank[last + 1]:
            last += 1
        lines = [text[s:e].strip() for s, e in spans[first : last + 1]]
        cache[first] = (
            len(lines) >= 3 or (len(lines) == 2 and any(c.isdigit() for c in "".join(lines)))
        ) and all(
            not _BULLET.match(line) and looks_like_heading(line, alone=False) for line in lines
        )
    return cache[first]


def _goes_on(following: str) -> bool:
    """Whether the next line of a paragraph carries on a sentence: its first word is a
    word in lower case and it is no list item ("Cookies" / "set by ad networks are ..."
    is one wrapped sentence, not a title over it; "Data" / "a) your name" is a title
    over its list; "General" / "zTrenz invites ..." or "Statistics" / "example.com
    collects ..." a title over a sentence that opens on a name)."""
    line = following.lstrip(" \t>")
    first = line.split(None, 1)[0].rstrip(",;:") if line.strip() else ""
    return first.isalpha() and first.islower() and not _BULLET.match(line)


def _item_kind(m: re.Match | None) -> str | None:
    """What numbers a list item: "1" (digits), "a" (lower case: letters and roman), "A"."""
    if m is None:
        return None
    mark = m.group(1)
    return "1" if mark.isdigit() else "a" if mark.islower() else "A"


def _in_numbered_list(text: str, spans: list, nonblank: list[bool], i: int, kind) -> bool:
    """Whether line ``i``, an item numbered by ``kind``, has a neighbour numbered alike:
    the line before or after it, past up to eight lines indented deeper than it (an
    item's continuation, or its own sub-items: "1. Providers" / "   a. hosting").
    "3. CHILDREN" after "(c) your IP address." is a title, not the list's next item."""
    if kind is None:
        return False
    own = _indent(text, spans[i][0])
    for step in (-1, 1):
        k = i + step
        for _ in range(8):
            if not (0 <= k < len(spans) and nonblank[k]):
                break
            if _indent(text, spans[k][0]) <= own:  # a line at the item's own depth decides
                m = _NUMBERED_ITEM.match(text, *spans[k])
                if m and _item_kind(m) == kind:
                    return True
                break
            k += step
    return False


def _indent(text: str, start: int) -> int:
    """Columns of white space a line opens with (a tab counts as four)."""
    n = 0
    for c in text[start : start + 40]:
        if c == " ":
            n += 1
        elif c == "\t":
            n += 4
        else:
            break
    return n


_SUSPENDED = frozenset(("and", "or", "to", "nor", "as"))


def _hyphenated(b: Builder, line: str) -> bool:
    """Whether the open block ends on a word cut by a hyphen ("third-") and ``line`` goes
    on with the rest of it ("party"): a hard wrap that "third- party" would misread. The
    hyphen stays ("opt-out", "third-party"): a line end cannot tell it from a soft one."""
    word = b.last_word()
    rest = line.lstrip()
    following = rest.split(None, 1)[0] if rest else ""
    return (
        len(word) > 1
        and word[-1] == "-"
        and word[-2].isalpha()
        and rest[:1].islower()
        # a suspended hyphen keeps its space: "short- and long-term", "first- or third-party"
        and following.rstrip(",;") not in _SUSPENDED
    )


def _mark_paragraph_lists(blocks: list[Block]) -> None:
    """Make list items of paragraphs that a lead-in colon introduces as a list.

    Converted pages often lose their bullets: "... in the following circumstances:"
    then one paragraph per item. A paragraph after the lead-in is an item when the one
    before it ended with ";" (the list goes on), or when it opens like the first item
    (both with an -ing word, or both with "To").
    """
    paras: list[list[Block]] = []
    for blk in blocks:
        if blk.new_paragraph or not paras:
            paras.append([])
        paras[-1].append(blk)
    for i, para in enumerate(paras[:-1]):
        if para[-1].kind == "heading" or not para[-1].text.endswith(":"):
            continue
        following = paras[i + 1 : i + 12]
        items: list[list[Block]] = []
        first_shape = _opening_shape(following[0][0].text)
        for k, nxt in enumerate(following):
            if any(blk.kind != "body" for blk in nxt):
                break
            shape = _opening_shape(nxt[0].text)
            if items:
                ok = items[-1][-1].text.endswith((";", "; and", "; or")) or (
                    shape is not None and shape == first_shape
                )
            else:  # the first item: a ";" ends it, or the next paragraph opens alike
                ok = nxt[-1].text.endswith(";") or (
                    shape is not None
                    and k + 1 < len(following)
                    and _opening_shape(following[k + 1][0].text) == shape
                )
            if not ok:
                break
            items.append(nxt)
        if len(items) >= 2:
            for item in items:
                for blk in item:
                    blk.kind = "list_item"


def _opening_shape(text: str) -> str | None:
    word = text.split(None, 1)[0] if text.strip() else ""
    if word.endswith("ing") and word[:1].isupper():
        return "ing"
    return "to" if word == "To" else None


def _add_row(b: Builder, text: str, s: int, e: int) -> None:
    # One table row: a paragraph whose cells are blocks. The outer pipes are optional.
    cells, pos = [], s
    for m in re.finditer(r"(?<!\\)\|", text[s:e]):
        cells.append((pos, s + m.start()))
        pos = s + m.end()
    cells.append((pos, e))
    for a, z in cells:
        if text[a:z].strip():
            add_inline(b, text, a, z, True)
            b.flush("body")
    b.paragraph_break()

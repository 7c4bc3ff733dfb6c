"""Split one block of policy text into sentences with our own rules.

Why own rules rather than a library, with the figures: see :mod:`privtag.segmentation.document`.

A *candidate* boundary is terminal punctuation (``.``, ``!``, ``?``, an ellipsis),
optionally followed by closing quotes or brackets, then white space and something
that can open a sentence (a capital, a digit, an opening quote or bracket, a
``•`` or dash bullet, a list marker such as "(c)" or "ii)", a URL, or a lower-case brand such as "zTrenz"); or, with no space at all,
a capital after a plain lower-case word ("purposes.We"). A candidate after a full
stop is rejected when the stop belongs to

* an abbreviation that never ends a sentence (e.g., i.e., cf., Mr., Dr.),
* a numbered reference (No. 5, Art. 6, Sec. 3, Oct. 1),
* a company or place (Inc., Ltd., Co., U.S., U.K.) -- unless a typical sentence
  opener follows ("... Acme Inc. We collect"),
* an initial ("J. Smith") or a list marker at the start of a sentence ("1.", "iv."),
* a URL, domain or e-mail address ("www.Example.com").

Decimals and money ("$1.50") never match, because a digit follows the stop with no
space. A run of ALL-CAPS words opening a sentence and followed by ordinary text
("PRIVACY POLICY We collect ...") is cut off as a heading. A sentence longer than
the maximum is cut after its last semicolon or comma in the second half of the
allowed length, else on the last space (run-on text with no punctuation).
"""

from __future__ import annotations

import itertools
import re

#: Sentences longer than this are cut on a word boundary (run-on text with no punctuation).
MAX_SENTENCE_CHARS = 1000

# Abbreviations whose full stop never ends a sentence.
_NEVER_END = frozenset(
    str.split(
        """e.g eg i.e ie cf viz vs v mr mrs ms messrs dr prof rev hon gen sen rep gov
    approx esp incl resp a.k.a aka"""
    )
)
# Abbreviations that introduce a number: not an end before a number, an end otherwise.
_NUMBERED = frozenset(
    str.split(
        """no nos nr art arts sec secs ss para paras ch chap cl fig figs p pp vol vols ref
    tel ph fax ext jan feb mar apr jun jul aug sep sept oct nov dec op pt pts"""
    )
)
# Abbreviations that often end a sentence too: an end only before a sentence opener.
# The last row cites laws: "Cal. Civ. Code § 1798.83", "Cal. Bus. & Prof. Code".
_SOMETIMES_END = frozenset(
    str.split(
        """inc ltd co corp llc llp lp plc pvt pty gmbh ag bv sa nv kg sarl srl spa ab oy
    u.s u.s.a u.k e.u u.n d.c al jr sr st a.m p.m dept est min max sq ave blvd rd
    cal civ bus pen stat ann"""
    )
)
#: Words that open a sentence (capitalised in the text). The HTML reader also uses them:
#: after a bold run-in title ("<b>Cookies</b> We use ...") they show that the title is a
#: heading, not the sentence's subject.
SENTENCE_STARTERS = frozenset(
    str.split(
        """we you your our us the this these that those if in for to it its they their please
    any all when where such as by each some most no upon at on from with under unless
    although because before after during while however also additionally"""
    )
)
# ... and, after a stop, these too (too common inside a title to mark its end there)
_OPENERS = SENTENCE_STARTERS | frozenset(str.split("i a an there here what which who how why"))
_ROMAN = re.compile(r"[ivxlc]{1,6}")
_MARKER = re.compile(r"\(?(?:[0-9]{1,3}(?:\.[0-9]{1,3})*|[a-z]|[ivx]{1,5})\)?")


def _upper_letters() -> str:
    """A character class body of every upper- and title-case letter below U+2000 (Latin,
    Greek, Cyrillic, Armenian, ...), as ranges: ``A-ZÀ-ÖØ-Þ...``. ``re`` has no ``\\p{Lu}``,
    and "Ümlaut", "Élément" or "Åsa" open a sentence as "Umlaut" does."""
    chars = [c for c in map(chr, range(0x41, 0x2000)) if c.isupper() or c.istitle()]
    runs: list[list[str]] = []
    for c in chars:
        if runs and ord(c) == ord(runs[-1][-1]) + 1:
            runs[-1][-1] = c
        else:
            runs.append([c, c])
    return "".join(a if a == b else f"{a}-{b}" for a, b in runs)


_UP = _upper_letters()
# Linear on any input: the runs of stops, closers and spaces are possessive (giving one
# back can never help: the next character would then be a stop, closer or space, which
# nothing after them accepts), and a run is tried only from its first character (a try
# from inside a run ends where the try from its start ended, and fails the same way; the
# look-behind comes after the first character so the engine still scans for it fast).
# Plain backtracking made "1,500 dots" take 34 s and "20,000 ?" 12 s.
_CANDIDATE = re.compile(
    r"[.!?…](?<![.!?][.!?])[.!?]*+[\"'”’)\]]*+"
    rf"(?:\s++(?=[\"'“‘(\[]?(?:[{_UP}0-9•]|[a-z]+[A-Z])|[-–—]\s+[{_UP}]|https?://|www\.|\(?[a-z]{{1,4}}\)\s)"
    rf"|(?=[{_UP}](?:[^\W\d_{_UP}]|\s)))"  # no space: "it.Über alles", not "Inc.ABC"
    r"|\s(?<!\s\s)\s*+(?=•\s)"  # an inline bullet starts an item
)
_WORD_START = re.compile(r"[,;/(\[]|-(?=[a-z]\.)")
_NEXT_WORD = re.compile(r"\s*[\"'“‘(\[]?([^\s.,;:!?\"'”’)\]]*)")
# An ALL-CAPS title opening a sentence, followed by ordinary capitalised text.
_CAPS_TITLE = re.compile(
    r"((?:\(?[0-9IVX]{1,4}[.)]\s+)?[A-Z][A-Z'’&/-]*(?:\s+(?:[A-Z][A-Z'’&/,-]*|&|[0-9]+))*)"
    r"\s+(?=[A-Z][a-z]+[\s,’']+[a-z])"
)


def split_sentences(
    text: str, max_chars: int = MAX_SENTENCE_CHARS, heading: bool = False
) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of one block of text.

    Spans cover every non-white-space character, in order, without overlap; each is
    stripped of surrounding white space and at most ``max_chars`` long. A heading is
    one span (cut only when longer than ``max_chars``).

    Example:
        >>> t = "Acme Inc. keeps logs.We delete them after 30 days."
        >>> [t[s:e] for s, e in split_sentences(t)]
        ['Acme Inc. keeps logs.', 'We delete them after 30 days.']
    """
    return [(s, e) for s, e, _ in split_with_titles(text, max_chars, heading)]


def split_with_titles(
    text: str, max_chars: int = MAX_SENTENCE_CHARS, heading: bool = False
) -> list[tuple[int, int, bool]]:
    """As :func:`split_sentences`, flagging ALL-CAPS run-in titles: ``(start, end, is_title)``."""
    cuts = [0]
    titles = set()
    if not heading:
        last = 0
        caps = _CAPS_TITLE.match(text, _skip_space(text, 0))
        if caps and _is_title(caps.group(1)):
            titles.add(0)  # titles are keyed by the cut that opens their span
            cuts.append(caps.end(1))
            last = caps.end(1)
        for m in _CANDIDATE.finditer(text):
            if m.start() < last or not _is_boundary(text, m, last):
                continue
            cuts.append(m.end())
            last = m.end()
            caps = _CAPS_TITLE.match(text, last)
            if caps and _is_title(caps.group(1)):
                titles.add(last)
                cuts.append(caps.end(1))
                last = caps.end(1)
    cuts.append(len(text))
    spans = []
    for a, z in itertools.pairwise(cuts):
        title = a in titles
        a = _skip_space(text, a)
        while z > a and text[z - 1].isspace():
            z -= 1
        if a >= z:
            continue
        while z - a > max_chars:
            cut = _run_on_cut(text, a + max_chars // 2, a + max_chars)
            spans.append((a, cut, False))
            a = _skip_space(text, cut)
        spans.append((a, z, title))
    return spans


def _skip_space(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isspace():
        i += 1
    return i


def _run_on_cut(text: str, lo: int, hi: int) -> int:
    """Where to cut an over-long sentence inside ``text[lo:hi]``: after its last "; ",
    else its last ", ", else before its last white space, else at ``hi`` (one huge word).
    The character before ``lo`` must not be white space (the sentence starts there)."""
    for sep in ("; ", ", "):
        k = text.rfind(sep, lo, hi)
        if k >= 0:
            return k + 1
    for i in range(hi - 1, lo - 1, -1):
        if text[i].isspace():
            while text[i - 1].isspace():  # the span must not end in white space
                i -= 1
            return i
    return hi


def _is_title(caps: str) -> bool:
    letters = sum(c.isalpha() for c in caps)
    words = caps.split()
    return (
        letters >= 4 and len(words) <= 12 and len(caps) <= 100 and (len(words) >= 2 or letters >= 5)
    )


def _is_boundary(text: str, m: re.Match, sentence_start: int) -> bool:
    """Whether candidate ``m`` ends a sentence; ``sentence_start`` is where this one began."""
    stop = m.start()
    ch = text[stop]
    if ch.isspace():  # an inline bullet
        return True
    j = stop
    lo = max(sentence_start, stop - 80)
    while j > lo and not text[j - 1].isspace():
        j -= 1
    token = text[j:stop]
    if ch in "!?":
        return token.lower() != "yahoo"
    if ch == "…" or text.startswith("..", stop):
        return True
    # the word the stop ends: "Service,P.O." -> "p.o", "Non-U.S." -> "u.s"
    core = _WORD_START.split(token.lstrip("(\"'“‘[").lower())[-1]
    gap = m.group()[-1:].isspace()
    nxt = _NEXT_WORD.match(text, m.end()).group(1)
    if not gap:
        # no space after the stop ("purposes.We"): only after a plain lower-case word,
        # and not inside a domain name ("example.Com/privacy", "www.Example.com")
        word = token.rstrip(")\"'”’")
        if not (len(word) >= 2 and word.isalpha() and word.islower()) or core == "www":
            return False  # (any lower-case script: "données.Élément", "данные.Мы")
        after = text[m.end() : m.end() + 40]
        return not re.match(r"[A-Za-z0-9-]+(?:\.[A-Za-z]|/)", after)
    if core in _NEVER_END:
        return False
    if core in _NUMBERED:
        return not (nxt[:1].isdigit() or _ROMAN.fullmatch(nxt.lower() or "-"))
    if core in _SOMETIMES_END or re.fullmatch(r"(?:[a-z]\.)+[a-z]", core):
        return nxt.lower() in _OPENERS
    if len(core) == 1 and core.isalpha():  # an initial: "J. Smith"
        return False
    if _MARKER.fullmatch(core):
        k = j
        while k > sentence_start and text[k - 1].isspace():
            k -= 1
        if k == sentence_start or text[k - 1] in ";:":
            return False  # a list marker: "1. We collect", "; 2. To comply"
    if "@" in token or "://" in token or core.startswith("www."):
        return True  # the stop ends the address: inner dots never get here
    return True

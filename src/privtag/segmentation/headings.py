"""Which lines of a plain-text or Markdown policy are headings.

A heading heads every sentence below it (the model reads the section path as context),
so a line taken for a title wrongly costs more than the line: these rules keep prose,
disclaimers in capitals, labels with values ("Effective date: 1 May 2024") and address
lines split by Markdown hard breaks out of the section path. Used by
:mod:`privtag.segmentation.plaintext`.
"""

from __future__ import annotations

import itertools
import re

from privtag.segmentation.blocks import CONNECTORS
from privtag.segmentation.inline import MD_TAG, tag_as_words
from privtag.segmentation.sentences import split_sentences

__all__ = [
    "address_line",
    "all_caps",
    "caps_sentence",
    "in_broken_lines",
    "looks_like_heading",
    "numbered",
]

# a "<br>" ending a line (searched in the line's last characters only: see hard_break)
_MD_BR_END = re.compile(r"<br[ \t]*/?>\Z", re.I)
# a section's number: "2", "2.1", "(3)", "IV.", "B)"; the one pattern both rules below use
_NUMBER = r"\(?(?:[0-9]{1,2}(?:\.[0-9]{1,2})*|[IVX]{1,5}|[A-Z])[.)]?"
_SECTION_NUMBER = re.compile(_NUMBER + r"\s+\S")


# Words a wrapped line of prose may end on and a title does not.
_CONNECTORS = CONNECTORS | {"nor", "under", "without"}


# "Effective date: 1 May 2024", "Contact: privacy@example.com": a label and its value is
# a statement, not a title ("Section 2: How We Use Data" is one: no value after the colon)
# A date: "May 9, 2023", "9 May 2023", "January 2023", "2023-05-09", "19.01.2023"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?:19|20)\d\d\b"
# a numeric date has a four-digit year, or slashes ("19.01.2023", "5/9/23"; not "2.1.23")
_DATE = re.compile(
    rf"\b{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?{_YEAR}"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}"
    r"|\b(?:19|20)\d\d-\d\d-\d\d\b|\b\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d\d\b"
    r"|\b\d{1,2}/\d{1,2}/\d\d\b",
    re.IGNORECASE,
)
_LABEL_VALUE = re.compile(r":\s+[^:]*(?:\d|@|https?:|www\.)")
# ... unless what comes before the colon numbers a part of the document
_PART_LABEL = re.compile(
    r"(?:(?:section|article|part|appendix|annex|schedule|chapter|exhibit|clause)\s+\w{1,6}"
    rf"|{_NUMBER})$",
    re.I,
)


def _words(line: str) -> str:
    """A line as the rules judge it: tags read as words, emphasis and heading marks off."""
    return MD_TAG.sub(tag_as_words, line).strip().strip("*_#").strip()


def looks_like_heading(line: str, alone: bool, caps_follow: bool = False) -> bool:
    """A short title line: ALL CAPS, a numbered section title, or unpunctuated and alone.

    A line that is not alone (text follows without a blank line) must also be a
    numbered section title or in Title Case, so hard-wrapped prose is not a heading; a
    line that is alone but long must be in Title Case, so a lead-in such as "To opt out,
    visit" is not one either, nor a date line ("Last updated May 9, 2023"), nor a label
    with its value ("Effective date: 1 May 2024",
    "Contact: privacy@example.com"), which would head the text below. Nor is the first
    line of hard-wrapped capitals (a disclaimer): an ALL CAPS line ending on a comma, or,
    when the next line is in capitals too (``caps_follow``: most of its letters), on "OF",
    "TO", "IN" and the like, or one as long as a wrapped line (50 characters or more),
    unnumbered, open at its end, that states something ("WE MAY TRANSFER YOUR DATA ...").

    Example:
        >>> looks_like_heading("2. Information We Collect", alone=False)
        True
        >>> looks_like_heading("PROVIDED AS IS WITHOUT WARRANTY OF", False, caps_follow=True)
        False
    """
    # judged on its words: a "<br>" ending a line of Markdown is not the end of a title,
    # and a "<Company Name>" placeholder is words (add_inline keeps it as text)
    s = _words(line)
    if not s or len(s) > 90 or not (s[0].isupper() or s[0].isdigit() or s[0] in "(\"'"):
        return False
    words = s.split()
    # a date line ("May 9, 2023", "Last updated 19.01.2023") heads nothing: read as a
    # title, it became the section of every sentence up to the next heading
    # ... unless the date only qualifies a title in brackets ("Your California Privacy
    # Rights (Effective January 2020)")
    date = _DATE.search(s)
    if date and not _SECTION_NUMBER.match(s) and not _qualifies(s, date.start()):
        return False
    # a sentence of two words or more ends on a full stop inside it: wrapped prose
    # ("INFORMATION IS PROVIDED AS IS. ACME AND/OR"); a title may ask inside ("Questions?
    # Contact Us") and open on a number ("16. Changes", "Section 2. How We Use Data")
    spans = split_sentences(s)
    if len(spans) > 1 and s[spans[0][1] - 1] == ".":
        first = s[: spans[0][1] - 1].strip()
        if len(first.split()) > 1 and not _PART_LABEL.match(first):
            return False
    if all_caps(s) and len(words) <= 12:
        if s[-1] in ",;" or (caps_follow and words[-1].lower() in _CONNECTORS):
            return False
        # the first line of a statement wrapped in capitals: as long as a wrapped line,
        # open at its end, and capitals follow ("WE MAY TRANSFER YOUR DATA TO SERVERS
        # OUTSIDE YOUR" / "COUNTRY."); a title is shorter, or does not state
        if (
            caps_follow
            and len(s) >= _WRAPPED
            and s[-1] not in ".!?:"
            and not _SECTION_NUMBER.match(s)
            and _states(words)
        ):
            return False
        return not caps_sentence(s, words)
    if s[-1] in ".,;:!" or len(words) > 12:
        return False
    value = _LABEL_VALUE.search(s)
    if value and not _PART_LABEL.match(s[: value.start()].strip()):
        return False
    numbered = (
        bool(_SECTION_NUMBER.match(s))
        and len(words) <= 10
        and not (len(words) > 1 and words[1][:1].islower())
    )
    if s[-1] == "?":
        return alone or numbered
    long_words = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    title = bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.6 * len(long_words)
    if alone:
        return len(words) <= 8 or title or numbered
    return (numbered or title) and len(words) <= 10


# Words that make a line in capitals a statement rather than a title: a subject or "please"
# first, or a finite verb anywhere ("YOUR USE OF THE SITE IS AT YOUR OWN RISK.")
_CAPS_OPENERS = frozenset(str.split("WE YOU I IT THEY PLEASE"))
_CAPS_VERBS = frozenset(
    str.split("IS ARE WAS WERE MAY WILL SHALL CAN CANNOT DO DOES MUST SHOULD WOULD COULD HAVE HAS")
)
#: Characters from which a line in capitals reads as one wrapped at a fixed width.
_WRAPPED = 50
# a title may ask ("HOW WE USE IT.", "YOUR CHOICES AND HOW YOU CAN USE THEM.")
_CAPS_QUESTION = frozenset(str.split("HOW WHAT WHEN WHY WHERE WHO WHICH WHOSE"))


def numbered(line: str) -> bool:
    """Whether ``line`` opens on a section number ("2. Data", "1.1 Scope", "(iv) Rights").

    Example:
        >>> numbered("1.1 Scope"), numbered("Scope")
        (True, False)
    """
    return bool(_SECTION_NUMBER.match(line))


def _qualifies(s: str, at: int) -> bool:
    """Whether offset ``at`` of title ``s`` is inside brackets after two words or more."""
    opened = s.rfind("(", 0, at)
    return opened > 0 and ")" not in s[opened:at] and len(s[:opened].split()) >= 2


def caps_sentence(s: str, words: list[str]) -> bool:
    """Whether a line in capitals is a sentence: an unnumbered statement of five words or
    more, ending on a full stop, that opens on a subject, or holds a finite verb and does
    not ask (a question word first, or after "AND").

    Capitals after a capital heading ("DISCLAIMER" then "WE MAKE NO WARRANTIES ...")
    were read as a second heading, and headed the text below. A title ending on a full
    stop ("COMPLIANCE WITH GOVERNING LAW.", "2. HOW WE COLLECT DATA.") stays a title.

    Example:
        >>> line = "WE MAKE NO WARRANTIES ABOUT THE SERVICE."
        >>> caps_sentence(line, line.split())
        True
        >>> line = "PRIVACY POLICY AND AFFIRMATION OF AGE."
        >>> caps_sentence(line, line.split())
        False
    """
    if s[-1] not in ".!" or len(words) < 5 or _SECTION_NUMBER.match(s):
        return False
    return _states(words)


def _states(words: list[str]) -> bool:
    # words in capitals that make a statement: a subject first, or a finite verb and no
    # question (a title that asks puts its question word first, or after a noun and "AND")
    bare = [w.strip(".,;:!?()\"'") for w in words]
    if bare[0] in _CAPS_OPENERS:
        return True
    asks = bare[0] in _CAPS_QUESTION or any(
        a == "AND" and b in _CAPS_QUESTION for a, b in itertools.pairwise(bare)
    )
    return not asks and bool(_CAPS_VERBS.intersection(bare))


def all_caps(s: str, share: float = 1.0) -> bool:
    """Whether ``s`` has at least three letters, and at least ``share`` of them capitals.

    Every line of a policy is asked: ``str.isupper`` (in C) turns most away first.
    """
    if share >= 1 and not s.isupper():
        return False
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= share * len(letters)


def hard_break(line: str) -> int:
    """Where a Markdown hard line break ("<br>", a backslash, two spaces or more) ends
    ``line``, or -1. No regular expression scans the line: a run of spaces in the middle
    of a long line cost a backtracking search quadratic time.

    Example:
        >>> hard_break("Acme<br> "), hard_break("Acme  "), hard_break("Acme "), hard_break("")
        (4, 4, -1, -1)
    """
    bare = line.rstrip(" \t")
    if len(line) - len(bare) >= 2:
        return len(bare)
    if bare.endswith("\\"):
        return len(bare) - 1
    tail = bare[-16:]
    m = _MD_BR_END.search(tail)
    return len(bare) - len(tail) + m.start() if m else -1


def broken_off(text: str, s: int, e: int) -> str:
    """The words of line ``text[s:e]`` before the Markdown hard line break that ends it,
    or ``""`` if none does (or no words come before it).

    Example:
        >>> broken_off("Acme Inc.<br>", 0, 13), broken_off("<br>", 0, 4), broken_off("Acme", 0, 4)
        ('Acme Inc.', '', '')
    """
    line = text[s:e]
    at = hard_break(line)
    return line[:at].strip() if at >= 0 and MD_TAG.sub("", line[:at]).strip() else ""


def in_broken_lines(text: str, spans: list, nonblank: list[bool], i: int) -> bool:
    """Whether line ``i`` of Markdown is one of a paragraph's lines split by hard breaks.

    Such lines are an address or a signature ("Acme Inc.  " / "12 Main Street  " /
    "Springfield"), not titles, though each is short and in Title Case: read as
    headings, they headed the sentences below them. A line is one if the line before it
    ends in a hard break (and is no sentence: "... our Website.  " then "Transfer of
    Customer Information" is a title), or if it and the next line both end in one and
    the next is no sentence (the first line of a block: "Aggregate Information  " then
    sentences stays a title). A line all in bold ("**Contact**<br>") may be a title.
    """

    before = broken_off(text, *spans[i - 1]) if i > 0 and nonblank[i - 1] else ""
    own = broken_off(text, *spans[i])
    mine = own or text[spans[i][0] : spans[i][1]].strip()
    if mine.startswith(("**", "__")) and mine.endswith(("**", "__")):
        return False
    if before:  # unless that line is a sentence
        return not (before[-1] in ".!?" and len(before.split()) >= 5)
    after = broken_off(text, *spans[i + 1]) if i + 1 < len(spans) and nonblank[i + 1] else ""
    return bool(own and after and after[-1] not in ".!?")


_DIGITS = re.compile(r"\d")
_ADDRESS_PART = re.compile(r"\d|,|@")
_ITEM_START = re.compile(r"[-*+\u2022]\s|\(?(?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]\s")
# section numbers a title opens with: "8.", "2.1.", "2.2 ", "(3)", "IV.", "4\\." (escaped)
_LEADING_NUMBER = re.compile(
    r"(?:\(?\d{1,3}(?:\\?\.\d{1,3})+\\?[.)]?\s+|\(?(?:\d{1,3}|[IVX]{1,5})\\?[.)]\s*)+"
)


def address_line(line: str, following: str) -> bool:
    """Whether ``line`` is a line of a postal address ("123 Main Street", "Springfield, IL
    62701"), not a title: it holds a number past any section number it opens with, and
    the line after it is another short line that is no sentence (the rest of the address,
    an e-mail). Read as headings, address lines headed the contact details below them; a
    title with a number ("Children Under 13") has a sentence after it.

    Example:
        >>> address_line("123 Main Street", "Springfield, IL 62701")
        True
        >>> address_line("Children Under 13", "We do not knowingly collect data from children.")
        False
    """
    # judged on its words, past markup and every section number it opens with ("**8.
    # Marketing**", "4\\. Links", "2. 1. Data We Collect", "5.Children's Privacy")
    words = _words(line)
    rest = words[m.end() :] if (m := _LEADING_NUMBER.match(words)) else words
    nxt = following.strip()
    if not (_DIGITS.search(rest) and nxt and len(nxt.split()) < 8 and nxt[-1] not in ".!?:"):
        return False
    if _ITEM_START.match(nxt):  # a list under a title ("Children Under 13" / "- We ...")
        return False
    # the next line is the rest of an address (a number, a comma, an e-mail), or this
    # line ends one ("Dallas, TX 75231" / "United States")
    return bool(_ADDRESS_PART.search(nxt)) or "," in rest

"""Is this policy English? A check cheap enough to run on every policy read.

privtag's model and rules were trained on English policies only. A German, French or
Japanese policy still gets tags, and they look plausible, but they are noise; a file in
a legacy Cyrillic or Japanese encoding that was read as Windows-1252 is noise too.
Neither fails, so without a warning a user would never know.

The check counts English function words. They make up about a quarter of the words of
any English prose, policies included, and almost none of another language's (a few
short words such as "in" or "a" are shared, so they are not counted). A policy whose
words hold few of them, or whose letters are mostly outside the Latin alphabets, is
reported; so is an English policy with whole paragraphs in another language (a policy
followed by its translation).

The thresholds were set by ``benchmarks/bench_language.py`` on OPP-115, the corpus and
hand-written non-English fixtures (figures in ``benchmarks/RESULTS.md``).

Example:
    >>> english_share("We collect your name and share it with our partners")
    0.6
    >>> print(language_note("Wir erheben Ihre Adresse und geben sie weiter. " * 9, "p.md"))
    p.md: does not read as English (0% of its words are common English words, ...
"""

from __future__ import annotations

import re

#: Words frequent in English prose and rare as words of other Latin-script languages.
ENGLISH_WORDS = frozenset(
    str.split(
        """the and of to we you your our or for that with are be by this may which will from
    us have any such these other when if can not it is as"""
    )
)
#: Function words of German, French, Spanish, Italian, Portuguese, Dutch, the Nordic
#: languages and Polish that are not English words, abbreviations or parts of place
#: names ("die", "de", "la", "los", "il", "del", "et", "com", "en", "es", single letters
#: are left out: "Des Moines, IA", "et seq.", "Via del Corso" are English policy text).
#: A list of English names or menu items has few English function words but none of
#: these either, so it is not reported.
FOREIGN_WORDS = frozenset(
    str.split(
        """der das und ist wir sie nicht von zu ihre ihr ihnen werden wird auf für eine
    einer ein dem oder auch sind le les nous vous votre vos une pour dans sur pas qui que
    du aux sont avec ces el nosotros sus para por como di che non sono gli della dei delle
    nel alla tuo tua tuoi nostro nostra nostri questi questo quando anche degli dal nella
    não um seus suas seu sua nosso nossa estes também pelo pela aos het een wij uw niet
    zijn voor dat och för som är på og ikke nie się że jest oraz lub"""
    )
)
#: A text with fewer words than this cannot be judged (a heading, one sentence).
MIN_WORDS = 8
#: Paragraphs are judged from this many words: an English policy quotes short foreign
#: phrases (a French company's address: "12 rue de la Paix") that are not its language.
PARAGRAPH_WORDS = 15
#: Below this share of :data:`ENGLISH_WORDS` a text may not be English ...
MIN_SHARE = 0.08
#: ... and is reported if at least this share of its words are :data:`FOREIGN_WORDS`,
#: and at least ``FOREIGN_DISTINCT`` different ones.
FOREIGN_SHARE, FOREIGN_DISTINCT = 0.1, 2
#: A paragraph of at least ``PARAGRAPH_WORDS`` words below this English share (and with
#: ``FOREIGN_SHARE``) is in another language.
PARAGRAPH_SHARE = 0.03
#: Above this share of letters outside the Latin alphabets the script is not English.
MAX_OTHER_SCRIPT = 0.3


_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’«»„"


def _words(text: str) -> list[str]:
    # str.split, strip and isalpha run in C; "e-mail" and "2024" are not counted
    words = (w.strip(_PUNCTUATION) for w in text.lower().split())
    return [w for w in words if w.isalpha()]


def _foreign(words: list[str], below: float, least: int = MIN_WORDS) -> float | None:
    """The English share of ``words`` if they read as another Latin-script language
    (at least ``least`` words, English share under ``below``, :data:`FOREIGN_SHARE` of
    foreign function words)."""
    if len(words) < least:
        return None
    english = sum(w in ENGLISH_WORDS for w in words) / len(words)
    if english >= below:
        return None
    foreign = [w for w in words if w in FOREIGN_WORDS]
    # distinct words too: place names ("Las Vegas", "Los Angeles") repeat two or three
    if len(foreign) < FOREIGN_SHARE * len(words) or len(set(foreign)) < FOREIGN_DISTINCT:
        return None
    return english


def english_share(text: str) -> float | None:
    """The share of ``text``'s words that are :data:`ENGLISH_WORDS`; None if it has none.

    Example:
        >>> english_share("Nous collectons votre adresse e-mail.")
        0.0
    """
    words = _words(text)
    if not words:
        return None
    return sum(w in ENGLISH_WORDS for w in words) / len(words)


def other_script_share(text: str) -> float:
    """The share of ``text``'s letters that are not Latin (see :data:`_OTHER_SCRIPT`).

    Greek, Cyrillic, Hebrew, Arabic, Indic, Thai, Chinese, Japanese and Korean text is
    almost all such letters; English has none, and emoji, symbols and box drawing are
    not letters, so they do not count.
    """
    letters = len(_LETTER.findall(text))
    return len(_OTHER_SCRIPT.findall(text)) / letters if letters else 0.0


_LETTER = re.compile(r"[^\W\d_]")
#: Letters of the scripts from Greek (U+0370) to Hangul and CJK, bar Latin Extended
#: Additional (Vietnamese); counted in C by the regex engine, not per character
_OTHER_SCRIPT = re.compile(r"[^\W\d_\u0000-\u036f\u1e00-\u1eff\u2000-\u2bff]")
#: Paragraphs are judged by their script from this many letters.
PARAGRAPH_LETTERS = 20


def language_note(text: str, name: str, paragraphs: list[str] | None = None) -> str | None:
    """A warning naming ``name`` if ``text`` (or some of its ``paragraphs``) is not English.

    Args:
        text: the policy's normalized text.
        name: the file name or ``"<text>"``, for the message.
        paragraphs: the policy's paragraph texts, to find paragraphs in another language
            inside an English policy; None to judge the whole text only.

    Returns:
        None when the text reads as English or is too short to judge.
    """
    # English text holds no letter of another script: one scan in C says so, and the
    # letters are counted only when there is one
    scripts = _OTHER_SCRIPT.search(text) is not None
    other = other_script_share(text) if scripts else 0.0
    if other > MAX_OTHER_SCRIPT:
        return (
            f"{name}: does not read as English ({other:.0%} of its letters are not Latin "
            "letters); privtag's model knows English policies only, so these "
            "tags are unreliable: tag an English version of the policy"
        )
    words = _words(text)
    share = _foreign(words, MIN_SHARE)
    if share is not None:
        return (
            f"{name}: does not read as English ({share:.0%} of its words are common English "
            "words, against 30-45% in most English policies); privtag's model knows English "
            "policies only, so these tags are unreliable: tag an English version of the policy"
        )
    # a paragraph in another language needs FOREIGN_DISTINCT foreign words or letters of
    # another script: without them in the whole text, no paragraph is read again
    if not scripts and len(FOREIGN_WORDS.intersection(words)) < FOREIGN_DISTINCT:
        return None
    foreign = [
        i
        for i, p in enumerate(paragraphs or [])
        if (
            scripts
            and len(_LETTER.findall(p)) >= PARAGRAPH_LETTERS
            and other_script_share(p) > MAX_OTHER_SCRIPT
        )
        or _foreign(_words(p), PARAGRAPH_SHARE, PARAGRAPH_WORDS) is not None
    ]
    if foreign:
        shown = ", ".join(str(i) for i in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        return (
            f"{name}: {len(foreign)} paragraph(s) do not read as English (paragraph id "
            f"{shown}); their tags are unreliable: privtag's model knows English only"
        )
    return None

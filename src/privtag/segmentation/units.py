"""Units: what a model scores, built from segmented text (pure text, no torch).

A unit is a ``str`` or a mapping with ``text`` and optionally ``section`` (heading
path) and ``previous`` (the sentence before it in its paragraph). This module is THE
one builder of units: :func:`previous_texts` is the one rule for "the previous
sentence of the same paragraph", used by :func:`sentence_units` (``Tagger.tag``),
OPP-115's records and the annotation reader, so what a model is trained on is what
it sees at inference. :func:`unit_sentences` splits one text given to
``Tagger.predict`` into sentences, and :func:`clean_document` makes a document safe
to tokenize and write as UTF-8. It lives in :mod:`privtag.segmentation` because
:mod:`privtag.data` (below inference) builds training units with it.

Example:
    >>> [s.text for s in unit_sentences("We keep logs. We delete them.")]
    ['We keep logs.', 'We delete them.']
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence

from privtag.errors import PolicyReadError, UnitError
from privtag.segmentation.blocks import clean_text
from privtag.segmentation.document import Document, Sentence, segment
from privtag.segmentation.readers import extract_provenance

Unit = str | Mapping
_ONE = "a str or a mapping with a str 'text' (and optional 'section', 'previous')"


def unit_text(unit: Unit) -> str:
    """The text of a unit.

    Raises:
        UnitError: the unit is not a str or a mapping with a str ``text``.
    """
    if isinstance(unit, str):
        return unit
    if isinstance(unit, Mapping) and isinstance(unit.get("text"), str):
        return unit["text"]
    if isinstance(unit, Mapping):
        got = "has no 'text'" if "text" not in unit else f"'text' is {type(unit['text']).__name__}"
        raise UnitError(f"the unit mapping {got}; a unit must be {_ONE}")
    raise UnitError(f"a unit must be {_ONE}, not {type(unit).__name__}")


def unit_section(unit: Unit) -> list[str]:
    """The heading path of a unit, outermost first; a str is a path of one heading.

    Raises:
        UnitError: ``section`` is not None, a str or a list of str.
    """
    section = None if isinstance(unit, str) else unit.get("section")
    if _missing(section) or not section:
        return []
    if isinstance(section, str):
        return [section]
    if isinstance(section, Sequence) and all(isinstance(h, str) for h in section):
        return list(section)
    raise UnitError(
        f"a unit's 'section' must be a list of headings (str), outermost first, not {section!r:.60}"
    )


def _missing(value) -> bool:
    """None, or pandas' missing values (NaN, pd.NA) that df.to_dict('records') gives."""
    return (
        value is None
        or (isinstance(value, float) and value != value)
        or (type(value).__name__ == "NAType")
    )


def unit_previous(unit: Unit) -> str:
    """The sentence before a unit ('' when none).

    Raises:
        UnitError: ``previous`` is not None or a str.
    """
    previous = None if isinstance(unit, str) else unit.get("previous")
    if _missing(previous):
        return ""
    if isinstance(previous, str):
        return previous
    raise UnitError(f"a unit's 'previous' must be a str, not {type(previous).__name__}")


def check_units(units: object) -> tuple[list[Unit], bool]:
    """``(units as a list, whether one unit was given)``, every unit checked.

    Raises:
        UnitError: naming the index and type of the first bad unit, or the type given.

    Example:
        >>> check_units("We use cookies.")
        (['We use cookies.'], True)
    """
    if hasattr(units, "columns"):  # a DataFrame iterates over its column names
        raise UnitError(
            f"expected {_ONE}, or a list of them, not a {type(units).__name__}: give its "
            "text column (df['text']), or df.to_dict('records') for units with a section"
        )
    if getattr(units, "ndim", None) == 0 and hasattr(units, "item"):  # np.array("a sentence")
        units = units.item()
    if isinstance(units, set | frozenset):
        raise UnitError(
            f"expected units in an order, not a {type(units).__name__} (its results could not "
            "be matched to it); pass list(...) of them"
        )
    if isinstance(units, str | Mapping):
        batch, single = [units], True
    elif isinstance(units, bytes | bytearray | memoryview) or not isinstance(units, Iterable):
        hint = (
            "; decode bytes, or give files to Tagger.tag"
            if isinstance(units, bytes | bytearray)
            else "; a file is a policy: tag it with Tagger.tag_file()"
            if isinstance(units, os.PathLike)
            else ""
        )
        raise UnitError(f"expected {_ONE}, or a list of them, not {type(units).__name__}{hint}")
    else:
        batch, single = list(units), False
    for i, unit in enumerate(batch):
        try:
            unit_text(unit)
            unit_section(unit)
            unit_previous(unit)
        except UnitError as e:
            raise UnitError(f"unit {i}: {e}" if not single else str(e)) from None
    return batch, single


def unit_sentences(text: str) -> list[Sentence]:
    """The sentences of a unit's text, segmented as a plain-text paragraph.

    A unit is text, never a file: a str with a line break is never looked up as a
    path nor checked for binary data (see :func:`privtag.segmentation.loading.load`). A text with no
    visible character has no sentences; a provenance note (which the segmenter leaves
    out of a policy) is a sentence of a unit.
    """
    if not text.strip():
        return []
    try:
        sentences = segment(text + "\n", format="text").sentences
    except PolicyReadError:  # a str in a given format: only "no text" is left
        sentences = []
    _, note = extract_provenance(text)
    return [Sentence("s-1", note, 0, len(note), 0, (), "body"), *sentences] if note else sentences


def _clean(value):
    """``value`` (a str, or lists, tuples and dicts of them) with lone surrogates replaced."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def clean_document(doc: Document) -> Document:
    """``doc`` with every lone surrogate replaced by U+FFFD (same length: offsets hold).

    A str policy may hold them (e.g. text decoded with ``surrogateescape``); the
    tokenizer and any UTF-8 output would fail on them.
    """
    if clean_text(doc.text) == doc.text:
        return doc
    text = clean_text(doc.text)
    return dataclasses.replace(
        doc,
        text=text,
        sentences=[
            dataclasses.replace(s, text=text[s.start : s.end], section=_clean(s.section))
            for s in doc.sentences
        ],
        paragraphs=[dataclasses.replace(p, section=_clean(p.section)) for p in doc.paragraphs],
        metadata=_clean(doc.metadata),
    )


def previous_texts(sentences: Sequence[Sentence], previous: str = "") -> list[str]:
    """The previous sentence of each sentence in its paragraph ('' for a paragraph's first).

    ``previous`` is the one before the first sentence (a unit's own context).

    Example:
        >>> doc = segment("We keep logs. We delete them.\\n\\nWe sell nothing.")
        >>> previous_texts(doc.sentences)
        ['', 'We keep logs.', '']
    """
    out, para = [], None
    for s in sentences:
        if para is not None and s.paragraph != para:
            previous = ""
        out.append(previous)
        para, previous = s.paragraph, s.text
    return out


def sentence_units(
    sentences: Sequence[Sentence],
    section: Sequence[str] = (),
    previous: str = "",
    per_paragraph: bool = True,
) -> list[dict]:
    """Model units for sentences: text, heading path (``section`` first), previous sentence.

    The previous sentence starts from ``previous`` and, with ``per_paragraph``, is reset
    at each new paragraph. A heading is not its own section.
    """
    if per_paragraph:
        prevs = previous_texts(sentences, previous)
    else:  # one paragraph to the caller: the chain runs across blank lines
        prevs = [previous, *(s.text for s in sentences[:-1])][: len(sentences)]
    return [
        {
            "text": s.text,
            "section": [*section, *(h for h in s.section if h != s.text)],
            "previous": prev,
        }
        for s, prev in zip(sentences, prevs, strict=True)
    ]

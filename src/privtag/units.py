"""Units from segmented text: what the tagger scores, sentence by sentence.

:func:`unit_sentences` splits one text given to ``Tagger.predict`` into sentences,
:func:`sentence_units` gives every sentence of a document its context (heading path,
previous sentence) as ``Tagger.tag`` sees it, and :func:`clean_document` makes a
document safe to tokenize and write as UTF-8.

Example:
    >>> [s.text for s in unit_sentences("We keep logs. We delete them.")]
    ['We keep logs.', 'We delete them.']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from privtag.errors import PolicyReadError
from privtag.inputs import clean_text
from privtag.readers import extract_provenance
from privtag.segment import Document, Sentence, segment


def unit_sentences(text: str) -> list[Sentence]:
    """The sentences of a unit's text, segmented as a plain-text paragraph.

    A unit is text, never a file: a str with a line break is never looked up as a
    path nor checked for binary data (see :func:`privtag.readers.load`). A text with no
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
    out, para = [], None
    for s in sentences:
        if per_paragraph and para is not None and s.paragraph != para:
            previous = ""
        para = s.paragraph
        out.append(
            {
                "text": s.text,
                "section": [*section, *(h for h in s.section if h != s.text)],
                "previous": previous,
            }
        )
        previous = s.text
    return out

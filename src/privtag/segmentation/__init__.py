"""Segmentation: a policy (text, bytes or a file) into a :class:`Document` of sentences.

This package owns reading (:mod:`~privtag.segmentation.loading`: files and decoding;
:mod:`~privtag.segmentation.readers`: format detection and a registry of format readers,
:func:`register_reader`), the readers themselves (:mod:`~privtag.segmentation.plaintext`
with :mod:`~privtag.segmentation.inline` for Markdown's inline markup,
:mod:`~privtag.segmentation.markup` with :mod:`~privtag.segmentation.furniture`,
:mod:`~privtag.segmentation.opp115_html`, on :mod:`~privtag.segmentation.blocks`), sentence rules
(:mod:`~privtag.segmentation.sentences`), the :class:`Document` with its offsets
(:mod:`~privtag.segmentation.document`) and the one builder of model units
(:mod:`~privtag.segmentation.units`). It imports no torch, transformers or datasets.

Example:
    >>> [s.text for s in segment("We keep logs. We delete them.").sentences]
    ['We keep logs.', 'We delete them.']
"""

from privtag.segmentation.document import Document, Paragraph, Sentence, segment, segment_file
from privtag.segmentation.readers import FORMATS, formats, register_reader

__all__ = [
    "FORMATS",
    "Document",
    "Paragraph",
    "Sentence",
    "formats",
    "register_reader",
    "segment",
    "segment_file",
]

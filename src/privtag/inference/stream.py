"""Tag a stream of policies: sentences batched across policies, repeated ones scored once.

:meth:`privtag.inference.tagger.Tagger.tag_many` is the public entry; the results are
those of :meth:`~privtag.inference.tagger.Tagger.tag` on each policy.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from privtag.errors import (
    PolicyReadError,
    PolicyReadWarning,
    SkippedPolicyWarning,
    outside_stacklevel,
)
from privtag.inference.encoding import unit_previous, unit_section, unit_text
from privtag.inference.paragraphs import document_paragraphs
from privtag.inference.results import TaggedPolicy
from privtag.labels import NUM_LABELS
from privtag.segmentation.document import Document
from privtag.segmentation.units import sentence_units

__all__ = ["position", "tag_stream", "warn_read", "warn_skipped"]


def tag_stream(
    tagger,
    sources: Iterable[str | bytes | Path | Document],
    format: str | None,
    sentences_per_batch: int,
    cache_size: int,
    skip: bool = False,
) -> Iterator[TaggedPolicy | None]:
    """:meth:`Tagger.tag_many <privtag.inference.tagger.Tagger.tag_many>` of ``tagger``
    (which checks the arguments); ``skip`` is its ``errors="skip"``."""
    cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
    group: list[tuple[Document | None, list[dict]]] = []
    pending = 0
    # one pass per paragraph: a paragraph (its sentences and heading) is the cached unit
    tag_group = _tag_paragraph_group if tagger.one_pass else _tag_group
    for i, source in enumerate(sources):
        try:
            doc = tagger._document(source, format)
        except PolicyReadError as e:
            if skip:
                # its place is kept (None), so results still line up with the sources
                warn_skipped(i, e)
                group.append((None, []))
                continue
            # the policies read before it are tagged and yielded first: nothing done is lost
            yield from tag_group(tagger, group, cache, cache_size)
            raise type(e)(f"{position(i)}: {e}") from e
        warn_read(doc)
        units = document_paragraphs(doc) if tagger.one_pass else sentence_units(doc.sentences)
        group.append((doc, units))
        pending += len(doc.sentences)
        if pending >= sentences_per_batch:
            yield from tag_group(tagger, group, cache, cache_size)
            group, pending = [], 0
    yield from tag_group(tagger, group, cache, cache_size)


def position(i: int) -> str:
    """How a message names the ``i``-th of several policies a caller gave."""
    return f"policy {i} of those given (counting from 0)"


def warn_read(doc: Document) -> None:
    """Each caveat of how ``doc`` was read as a :class:`PolicyReadWarning`: in Python the
    tags of a German policy (none) would otherwise look like a policy that states nothing."""
    for note in doc.warnings:
        warnings.warn(note, PolicyReadWarning, stacklevel=outside_stacklevel())


def warn_skipped(i: int, error: Exception) -> None:
    """Warn that the ``i``-th of several policies was skipped, and why."""
    warnings.warn(
        f"{position(i)} skipped: {error}", SkippedPolicyWarning, stacklevel=outside_stacklevel()
    )


def _tag_group(
    tagger, group: list[tuple[Document | None, list[dict]]], cache: OrderedDict, cache_size: int
) -> Iterator[TaggedPolicy | None]:
    """Score the sentences of ``group`` not in ``cache`` in one pass, then tag each."""

    def score(units: list[dict]) -> list[np.ndarray]:
        return list(tagger._score(units, int(tagger.settings["max_length"])))

    for doc, rows in _cached(group, _unit_key, score, cache, cache_size):
        if doc is None:  # a skipped source
            yield None
            continue
        yield tagger._tagged(doc, np.array(rows, dtype=np.float32).reshape(-1, NUM_LABELS))


def _tag_paragraph_group(
    tagger, group: list[tuple[Document | None, list[dict]]], cache: OrderedDict, cache_size: int
) -> Iterator[TaggedPolicy | None]:
    """:func:`_tag_group` for one pass per paragraph: each new paragraph scored once.

    A paragraph's cached value is ``(its sentences' scores, its direct score)``.
    """

    def score(paragraphs: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
        sent, direct = tagger._score_paragraphs(paragraphs)
        ends = np.cumsum([len(p["sentences"]) for p in paragraphs], dtype=np.int64)
        starts = ends - [len(p["sentences"]) for p in paragraphs]
        return [(sent[a:z], direct[i]) for i, (a, z) in enumerate(zip(starts, ends, strict=True))]

    for doc, blocks in _cached(group, _paragraph_key, score, cache, cache_size):
        if doc is None:  # a skipped source
            yield None
            continue
        rows = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros((0, NUM_LABELS))
        paras = np.array([b[1] for b in blocks], dtype=np.float32).reshape(-1, NUM_LABELS)
        yield tagger._tagged(doc, rows.astype(np.float32), paras)


def _cached(
    group: list[tuple[Document, list[dict]]],
    key: Callable[[dict], tuple],
    score: Callable[[list[dict]], list],
    cache: OrderedDict,
    cache_size: int,
) -> Iterator[tuple[Document, list]]:
    """``(doc, value of each of its units)`` for a group, scoring only units not cached.

    The units of the whole group that are not in ``cache`` are scored together, once
    each (``score`` returns one value per unit); the new values enter the cache, least
    recently used out, once the group is done.
    """
    keys = [[key(u) for u in units] for _, units in group]
    todo: dict[tuple, dict] = {}
    for ks, (_, units) in zip(keys, group, strict=True):
        for k, u in zip(ks, units, strict=True):
            if k not in cache:
                todo.setdefault(k, u)
    new = dict(zip(todo, score(list(todo.values())), strict=True))
    for ks, (doc, _) in zip(keys, group, strict=True):
        values = []
        for k in ks:
            value = new.get(k)
            if value is None:
                value = cache[k]
                cache.move_to_end(k)
            values.append(value)
        yield doc, values
    for k, value in new.items():
        cache[k] = value
    while len(cache) > cache_size:
        cache.popitem(last=False)


def _paragraph_key(paragraph: dict) -> tuple:
    """A paragraph unit as a cache key: its sentences and its heading path."""
    return (tuple(paragraph["sentences"]), tuple(paragraph.get("section") or ()))


def _unit_key(unit: dict) -> tuple:
    """A sentence unit as a cache key: its text and every piece of context it may use."""
    return (unit_text(unit), tuple(unit_section(unit)), unit_previous(unit))

"""Taggers for batch runs and diffs, made by a picklable factory (one per worker).

``--model`` takes what ``privtag evaluate`` takes: a fine-tuned model directory (the
default), ``rules`` (the keyword baseline) or ``tfidf:DIR``. The two baselines only
score units; :class:`SystemTagger` gives them :meth:`tag`, so they yield a
:class:`privtag.inference.results.TaggedPolicy` like the fine-tuned :class:`privtag.Tagger`.

Example:
    >>> from privtag.evaluation.baselines import RuleTagger
    >>> policy = SystemTagger(RuleTagger()).tag(b"We share your e-mail with advertisers.")
    >>> policy.sentences[0].labels
    ['Third Party Sharing/Collection']
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from privtag.inference.results import TaggedParagraph, TaggedPolicy, TaggedSentence
from privtag.inference.settings import is_baseline
from privtag.labels import LABELS
from privtag.segmentation.document import Document, segment


class SystemTagger:
    """Tag whole policies with a unit-level system (``predict_proba`` and ``thresholds``).

    Sentences are scored alone; a paragraph's score is the max of its sentences' and its
    labels the union of theirs.
    """

    def __init__(self, system):
        self.system = system
        self.name = getattr(system, "name", type(system).__name__)

    def tag(self, source: str | bytes | Path | Document, format: str | None = None) -> TaggedPolicy:
        doc = source if isinstance(source, Document) else segment(source, format=format)
        scores = np.asarray(self.system.predict_proba([s.text for s in doc.sentences]))
        scores = scores.reshape(len(doc.sentences), len(LABELS))
        hits = scores >= np.asarray(self.system.thresholds)
        sentences = [
            TaggedSentence.of(s, [LABELS[j] for j in np.flatnonzero(h)], sc)
            for s, h, sc in zip(doc.sentences, hits, scores, strict=True)
        ]
        paragraphs = []
        for p in doc.paragraphs:
            if p.last > p.first:
                block = scores[p.first : p.last].max(axis=0)
                union = hits[p.first : p.last].any(axis=0)
                paragraphs.append(
                    TaggedParagraph(
                        p.index,
                        p.start,
                        p.end,
                        doc.text[p.start : p.end],
                        [LABELS[j] for j in np.flatnonzero(union)],
                        {n: round(float(v), 4) for n, v in zip(LABELS, block, strict=True)},
                    )
                )
        return TaggedPolicy(doc, sentences, paragraphs, model=self.name)


def load_tagger(
    model: str | None = None,
    aggregate: str | None = None,
    dtype: str | None = None,
    thresholds: str | None = None,
):
    """A tagger (``tag(source) -> TaggedPolicy``) from a ``--model`` value (``None``: the default model directory).

    Module-level, so ``functools.partial(load_tagger, ...)`` pickles for Ray actors.
    """
    if is_baseline(model):
        from privtag.evaluation.benchmark import load_system

        return SystemTagger(load_system(model, thresholds))  # which refuses a profile
    from privtag.inference.tagger import Tagger

    return Tagger.load(model, aggregate=aggregate, dtype=dtype, thresholds=thresholds)


def model_fingerprint(model: str | None) -> str:
    """What identifies a model for resuming: its path and a hash of its settings files."""
    if model == "rules":
        return "rules"
    if model is None:
        from privtag.inference.tagger import default_model_dir

        path = default_model_dir()
    else:
        path = Path(model.split(":", 1)[1] if model.startswith("tfidf:") else model)
    digest = hashlib.sha256()
    for f in sorted(path.glob("*.json")) if path.is_dir() else []:
        digest.update(f.name.encode() + f.read_bytes())
    return f"{path.resolve()}#{digest.hexdigest()[:16]}"

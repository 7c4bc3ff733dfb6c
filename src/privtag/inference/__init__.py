"""Inference: a saved model applied to units and policies.

This package owns the typed inference settings and model-directory checks
(:mod:`~privtag.inference.settings`), tokenizing units into windows
(:mod:`~privtag.inference.encoding`), the :class:`~privtag.inference.backends.Scorer`
seam with its torch implementation (:mod:`~privtag.inference.backends`), the
classifier (:mod:`~privtag.inference.model`), its weight files
(:mod:`~privtag.inference.weights`), a model directory's files
(:mod:`~privtag.inference.persistence`), the
:class:`Tagger` (:mod:`~privtag.inference.tagger`) and what it returns
(:mod:`~privtag.inference.results`). It sits on :mod:`privtag.segmentation` and
never imports training, evaluation or ``datasets``. Names load on first use (torch).

Example:
    >>> from privtag.inference import Tagger                  # doctest: +SKIP
    >>> Tagger.from_pretrained().predict("We sell your data.")  # doctest: +SKIP
"""

import importlib

_HOME = {
    "Tagger": "tagger",
    "TaggedPolicy": "results",
    "TaggedSentence": "results",
    "TaggedParagraph": "results",
    "InferenceSettings": "settings",
    "Scorer": "backends",
    "TorchScorer": "backends",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"privtag.inference.{_HOME[name]}"), name)
    raise AttributeError(f"module 'privtag.inference' has no attribute {name!r}")

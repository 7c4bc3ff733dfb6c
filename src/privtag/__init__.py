"""privtag: tag every sentence of a privacy policy with the data practices it states.

The packages follow the pipeline, imports pointing one way: :mod:`privtag.segmentation`
(a policy to a Document; no torch) <- :mod:`privtag.data` (annotated units) <-
:mod:`privtag.inference` (the Tagger) <- :mod:`privtag.training` <-
:mod:`privtag.evaluation`, with the commands (:mod:`privtag.cli`) on top. This module
is the public API and stays light: names that need torch or datasets load on first use.

Example:
    >>> from privtag import Tagger
    >>> tagger = Tagger.from_pretrained()                          # doctest: +SKIP
    >>> tagger.predict("We may share your data with advertisers.")  # doctest: +SKIP
    ['Third Party Sharing/Collection']
    >>> policy = tagger.tag_file("data/policies/zarget.md")         # doctest: +SKIP
    >>> print(policy.table())                                     # doctest: +SKIP
"""

import sys

from privtag import _compat
from privtag.errors import (
    AnnotationError,
    ArgumentError,
    DataError,
    LabelError,
    ModelLoadError,
    MovedModuleWarning,
    PathAsTextWarning,
    PolicyReadError,
    PolicyReadWarning,
    PolicyTypeError,
    PrivtagError,
    SkippedPolicyWarning,
    UnitError,
)
from privtag.labels import LABELS, TAXONOMY
from privtag.segmentation import Document, Paragraph, Sentence, segment, segment_file

__version__ = "0.2.0"
__all__ = [
    "LABELS",
    "TAXONOMY",
    "AnnotationError",
    "ArgumentError",
    "DataError",
    "Document",
    "LabelError",
    "ModelLoadError",
    "MovedModuleWarning",
    "Paragraph",
    "PathAsTextWarning",
    "PolicyReadError",
    "PolicyReadWarning",
    "PolicyTypeError",
    "PrivtagError",
    "Recipe",
    "Sentence",
    "SkippedPolicyWarning",
    "TaggedPolicy",
    "Tagger",
    "UnitError",
    "diff",
    "evaluate_system",
    "load_annotations",
    "load_opp115",
    "segment",
    "segment_file",
    "tag",
    "train",
]

# The names below pull in torch, transformers or datasets: import them on first use so
# that `import privtag` (and `privtag segment`) stays fast.
_LAZY = {
    "Tagger": "privtag.inference.tagger",
    "TaggedPolicy": "privtag.inference.results",
    "Recipe": "privtag.training.recipe",
    "train": "privtag.training.train",
    "load_annotations": "privtag.data",
    "load_opp115": "privtag.data.opp115",
    "evaluate_system": "privtag.evaluation.harness",
    "diff": "privtag.policy_diff",  # not privtag/diff.py: importing it would shadow the function
    "tag": "privtag.inference.shortcut",
}


_compat.install(sys.modules[__name__])


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'privtag' has no attribute {name!r}")

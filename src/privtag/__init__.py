"""privtag: tag every sentence of a privacy policy with the data practices it states.

Example:
    >>> from privtag import Tagger
    >>> tagger = Tagger.load()                                   # doctest: +SKIP
    >>> tagger.predict("We may share your data with advertisers.")  # doctest: +SKIP
    ['Third Party Sharing/Collection']
    >>> policy = tagger.tag("data/policies/zarget.md")            # doctest: +SKIP
    >>> print(policy.table())                                     # doctest: +SKIP
"""

from privtag.errors import AnnotationError, DataError, ModelLoadError, PolicyReadError, PrivtagError
from privtag.labels import LABELS, TAXONOMY
from privtag.segment import Document, Paragraph, Sentence, segment

__version__ = "0.1.0"
__all__ = [
    "LABELS",
    "TAXONOMY",
    "AnnotationError",
    "DataError",
    "Document",
    "ModelLoadError",
    "Paragraph",
    "PolicyReadError",
    "PrivtagError",
    "Recipe",
    "Sentence",
    "TaggedPolicy",
    "Tagger",
    "diff",
    "evaluate_system",
    "load_annotations",
    "load_opp115",
    "segment",
    "train",
]

# The names below pull in torch, transformers or datasets: import them on first use so
# that `import privtag` (and `privtag segment`) stays fast.
_LAZY = {
    "Tagger": "privtag.tagger",
    "TaggedPolicy": "privtag.results",
    "Recipe": "privtag.config",
    "train": "privtag.train",
    "load_annotations": "privtag.data",
    "load_opp115": "privtag.opp115",
    "evaluate_system": "privtag.evaluation",
    "diff": "privtag.policy_diff",  # not privtag/diff.py: importing it would shadow the function
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'privtag' has no attribute {name!r}")

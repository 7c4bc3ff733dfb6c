"""Old import paths (privtag 0.1's flat modules) kept working for one release.

privtag 0.2 moved its modules into subpackages. Rather than one shim file per old
module, a single meta-path finder maps every old name in :data:`ALIASES` to the
module that replaced it: ``import privtag.tagger`` gives the very module object
``privtag.inference.tagger`` (so monkeypatching either name patches both) and warns
once with a :class:`privtag.errors.MovedModuleWarning` (a ``FutureWarning``, so Python
shows it, at the user's import line) naming the new path. Old names go in 0.3.

Example:
    >>> import importlib
    >>> import privtag.segmentation.document as new
    >>> importlib.import_module("privtag.segment") is new     # warns the first time only
    True
    >>> ALIASES["privtag.tagger"]
    'privtag.inference.tagger'
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

from privtag.errors import MovedModuleWarning

#: Old module -> its new home.
ALIASES = {
    "privtag.segment": "privtag.segmentation.document",
    "privtag.readers": "privtag.segmentation.readers",
    "privtag.plaintext": "privtag.segmentation.plaintext",
    "privtag.markup": "privtag.segmentation.markup",
    "privtag.sentences": "privtag.segmentation.sentences",
    "privtag.units": "privtag.segmentation.units",
    "privtag.annotations": "privtag.data.annotations",
    "privtag.importers": "privtag.data.importers",
    "privtag.opp115": "privtag.data.opp115",
    "privtag.datareport": "privtag.data.stats",
    "privtag.inputs": "privtag.inference.encoding",
    "privtag.modelfiles": "privtag.inference.settings",
    "privtag.model": "privtag.inference.model",
    "privtag.tagger": "privtag.inference.tagger",
    "privtag.results": "privtag.inference.results",
    "privtag.config": "privtag.training.recipe",
    "privtag.train": "privtag.training.train",
    "privtag.thresholds": "privtag.training.thresholds",
    "privtag.decision": "privtag.training.decision",
    "privtag.metrics": "privtag.evaluation.metrics",
    "privtag.bootstrap": "privtag.evaluation.bootstrap",
    "privtag.report": "privtag.evaluation.tables",
    "privtag.baselines": "privtag.evaluation.baselines",
    "privtag.benchmark": "privtag.evaluation.benchmark",
    "privtag.crossval": "privtag.evaluation.crossval",
    "privtag.crossval_report": "privtag.evaluation.crossval_report",
}
#: Names an old module had that now live in another module: given to the module the old
#: name opens when it is first imported (privtag 0.2.0's inference/model.py held the
#: weight files' functions, now inference/weights.py's).
_MOVED_NAMES = {
    "privtag.model": (
        "privtag.inference.weights",
        ("COMPACT_FILE", "COMPACT_META", "FROZEN", "load_model", "save_compact", "weights_hash"),
    ),
}
#: Old module names that are also functions of the package: the attribute stays the
#: function when the old module is imported (``privtag.segment`` is :func:`segment`).
_FUNCTIONS = {"segment", "train"}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self):
        self._specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname in ALIASES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = ALIASES[spec.name]
        warnings.warn(
            f"{spec.name} moved to {new}; import it from there ({spec.name} goes in privtag 0.3)",
            MovedModuleWarning,
            stacklevel=2,  # the import system's own frames are skipped: the user's import line
        )
        module = importlib.import_module(new)
        if spec.name in _MOVED_NAMES:
            home, names = _MOVED_NAMES[spec.name]
            moved = importlib.import_module(home)
            for name in names:
                if not hasattr(module, name):
                    setattr(module, name, getattr(moved, name))
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamped the old name's spec on the shared module: restore it
        old = next(k for k, v in self._specs.items() if v.name == module.__name__)
        module.__spec__ = self._specs[old]


class _Package(types.ModuleType):
    """The ``privtag`` package: importing an old module never hides a same-named function."""

    def __setattr__(self, name, value):
        if name in _FUNCTIONS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def install(package: types.ModuleType) -> None:
    """Put the alias finder first on ``sys.meta_path`` (once) and guard ``package``."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
    package.__class__ = _Package

"""Data: annotated units for training and evaluation, from every source privtag reads.

This package owns the annotation format (:mod:`~privtag.data.annotation_format`) and
its validator (:mod:`~privtag.data.annotations`), importers of other tools' exports
(:mod:`~privtag.data.importers`: Label Studio, doccano), the OPP-115 corpus
(:mod:`~privtag.data.opp115`), the records every source becomes
(:mod:`~privtag.data.records`: ``FEATURES``, splits, multi-hot labels), source strings
(:mod:`~privtag.data.sources`) and the data report (:mod:`~privtag.data.stats`).
It sits on :mod:`privtag.segmentation` and imports nothing of inference or training.
The names below load on first use (they import ``datasets``).

Example:
    >>> from privtag.data import load_units                      # doctest: +SKIP
    >>> load_units(["data/annotations"], "sentence").num_rows    # doctest: +SKIP
"""

import importlib

_NAMES = {
    "records": (
        "FEATURES",
        "SPLITS",
        "as_dataset_dict",
        "multi_hot",
        "policy_split",
        "sentences_to_segments",
        "split_dataset",
        "to_dataset",
        "units_of",
    ),
    "sources": ("LEVELS", "load_annotations", "load_source", "load_units"),
}
_HOME = {name: module for module, names in _NAMES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"privtag.data.{_HOME[name]}"), name)
    raise AttributeError(f"module 'privtag.data' has no attribute {name!r}")

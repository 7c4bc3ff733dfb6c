"""Evaluation: how good a tagger is, and how sure we are of it.

This package owns the one F1 (:mod:`~privtag.evaluation.metrics`), bootstrap intervals
over policies (:mod:`~privtag.evaluation.bootstrap`), the harness that scores any
system on any units (:mod:`~privtag.evaluation.harness`), the one table formatter
(:mod:`~privtag.evaluation.tables`), baselines (:mod:`~privtag.evaluation.baselines`),
the benchmark (:mod:`~privtag.evaluation.benchmark`) and cross-validation by policy
(:mod:`~privtag.evaluation.crossval`, :mod:`~privtag.evaluation.crossval_report`). It
may import every package below it. The harness's names (privtag 0.1's
``privtag.evaluation`` module) resolve here on first use.

Example:
    >>> from privtag.evaluation import evaluate_system      # doctest: +SKIP
"""

import importlib


def __getattr__(name: str):
    if not name.startswith("__"):
        harness = importlib.import_module("privtag.evaluation.harness")
        if hasattr(harness, name):
            return getattr(harness, name)
    raise AttributeError(f"module 'privtag.evaluation' has no attribute {name!r}")

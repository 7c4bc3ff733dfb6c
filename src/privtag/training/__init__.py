"""Training: from a recipe and data sources to a saved model directory.

This package owns the recipe (:mod:`~privtag.training.recipe`: one typed dataclass per
section, typos rejected), fine-tuning (:mod:`~privtag.training.train`), the aggregation
and thresholds picked on validation (:mod:`~privtag.training.tuning`), per-label thresholds
(:mod:`~privtag.training.thresholds`) and decision rules fitted on validation scores
(:mod:`~privtag.training.decision`). It may import inference (to tune and evaluate
what it trains) and data, and scores with :mod:`privtag.evaluation.metrics` (the one
F1); nothing below it imports it. Names load on first use (torch, datasets).

Example:
    >>> from privtag.training import Recipe, train          # doctest: +SKIP
    >>> train(Recipe.load("train/default.toml"))              # doctest: +SKIP
"""

import importlib

_HOME = {
    "Recipe": "recipe",
    "RecipeError": "recipe",
    "train": "train",
    "tune_tagger": "tuning",
    "tune_thresholds": "thresholds",
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"privtag.training.{_HOME[name]}"), name)
    raise AttributeError(f"module 'privtag.training' has no attribute {name!r}")

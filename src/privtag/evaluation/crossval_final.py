"""The model to ship after cross-validation: trained on every pooled policy, decided as measured.

A cross-validation run (:mod:`privtag.evaluation.crossval`) says how a recipe does on
policies it never saw, for every paragraph aggregation and decision rule
(:mod:`privtag.evaluation.crossval_report`). The model users get is then trained the same
way as each fold, on all the run's policies at once (no validation split, no epoch
selection: the folds had none either), and decided by the row the run measured:

* the aggregation and rule are the run's best model row by segment macro-F1 (then
  micro), unless given;
* thresholds are that rule fitted on the out-of-fold scores of all the run's policies,
  so no threshold rests on a handful of validation sentences;
* the run's figures for that row travel in ``training.json`` under ``crossval``: they
  are the model's expected performance on unseen policies, not a score on its own
  training data.

Example:
    >>> tagger = train_final(recipe, "runs/cv")              # doctest: +SKIP
    >>> tagger.metadata["crossval"]["segment"]["macro"]      # doctest: +SKIP
"""

from __future__ import annotations

import copy
import platform
import time
from collections.abc import Callable
from pathlib import Path

from privtag.errors import DataError
from privtag.evaluation.crossval import LEVELS, check_run_recipe, load_pool
from privtag.evaluation.crossval_report import (
    CrossvalReport,
    Row,
    crossval_report,
    load_out_of_fold,
    oof_thresholds,
)
from privtag.training.decision import RULES
from privtag.training.recipe import Recipe

_FALLBACK = " + top label"


def parse_rule(rule: str) -> tuple[str, bool]:
    """``"shrunk + top label"`` -> ``("shrunk", True)``.

    Raises:
        DataError: an unknown rule.
    """
    fallback = rule.endswith(_FALLBACK)
    base = rule[: -len(_FALLBACK)] if fallback else rule
    if base not in RULES:
        known = ", ".join([*RULES, *(r + _FALLBACK for r in RULES)])
        raise DataError(f"decision rule {rule!r} is not one of: {known}")
    return base, fallback


def choose_row(report: CrossvalReport, aggregate: str | None, rule: str | None) -> Row:
    """The model row to ship: the given aggregation and rule, else the best segment macro-F1.

    Raises:
        DataError: no model row matches.
    """
    rows = [r for r in report.rows if r.system.startswith("privtag (")]
    if aggregate:
        rows = [r for r in rows if r.system == f"privtag ({aggregate})"]
    if rule:
        rows = [r for r in rows if r.rule == rule]
    if not rows:
        raise DataError(
            f"the run has no model row for aggregate {aggregate or 'any'} and rule "
            f"{rule or 'any'}; see `privtag crossval --report-only` for its rows"
        )
    return max(
        rows, key=lambda r: (r.segment.scores["macro"]["f1"], r.segment.scores["micro"]["f1"])
    )


def _figures(row: Row) -> dict:
    out = {"vs_tfidf": row.vs_tfidf}
    for lvl in LEVELS:
        e = getattr(row, lvl)
        out[lvl] = {a: e.scores[a]["f1"] for a in ("micro", "macro")}
        out[lvl]["intervals"] = {a: e.intervals.get(f"{a}_f1") for a in ("micro", "macro")}
    return out


def train_final(
    recipe: Recipe,
    run: str | Path,
    aggregate: str | None = None,
    rule: str | None = None,
    n_bootstrap: int = 1000,
    echo: Callable[[str], None] = print,
    force: bool = False,
):
    """Train on every policy of ``run`` and save the tagger to ``recipe.train.output_dir``.

    Args:
        recipe: the recipe the run cross-validated (checked against the run's record).
        run: a finished cross-validation folder (all folds scored).
        aggregate: paragraph aggregation (default: the best row's).
        rule: decision rule as the report names it, e.g. ``"shrunk"`` or
            ``"per_label + top label"`` (default: the best row's).
        n_bootstrap: policy resamples for the figures recorded with the model.

    Returns:
        The :class:`privtag.inference.tagger.Tagger`, saved.

    Raises:
        DataError: an unfinished run, a run of another recipe, or an unknown rule.
    """
    import torch
    from datasets import concatenate_datasets
    from transformers import set_seed

    from privtag.inference.model import base_tokenizer
    from privtag.inference.tagger import Tagger
    from privtag.training.train import _versions, check_output_dir, fit_model, training_set

    started = time.time()
    recipe.check()
    check_output_dir(recipe.train.output_dir, force)
    run = Path(run)
    if not run.is_dir():
        raise DataError(
            f"--crossval {run}: no such run folder; run `privtag crossval RECIPE -o {run}` first"
        )
    checked = check_run_recipe(recipe, run)
    if not checked:
        echo(f"note: {run} records no recipe (an older run); it is trusted to match this one")
    if rule:
        parse_rule(rule)
    report = crossval_report(recipe, run, n_bootstrap=n_bootstrap)
    row = choose_row(report, aggregate, rule)
    agg = row.system[len("privtag (") : -1]
    base_rule, fallback = parse_rule(row.rule)
    echo(
        f"shipping {row.system}, {row.rule}: cross-validated segment micro/macro-F1 "
        f"{row.segment.scores['micro']['f1']:.3f}/{row.segment.scores['macro']['f1']:.3f}"
    )
    aggregates = [
        a for a in recipe.train.aggregates if f"privtag ({a})" in {r.system for r in report.rows}
    ]
    oof = load_out_of_fold(recipe, run)[0].subset()[0]
    by_aggregate = {a: oof_thresholds(oof, a, base_rule) for a in aggregates}

    r = copy.deepcopy(recipe)
    set_seed(r.train.seed)
    pool, extras = load_pool(r)
    units = {
        lvl: concatenate_datasets([pool[lvl], extras[lvl]]) if extras[lvl].num_rows else pool[lvl]
        for lvl in LEVELS
    }
    tokenizer = base_tokenizer(r.model.base)
    echo(
        f"training on {len(set(units['segment']['policy']))} policies "
        f"({units['sentence'].num_rows} sentences, {units['segment'].num_rows} segments)"
    )
    trainer = fit_model(r, tokenizer, training_set(tokenizer, units, r), None)
    # no dtype: a load-time choice of each machine, as Tagger.save knows
    settings = r.model.tagger_settings()
    settings.update(aggregate=agg, fallback="paragraph" if fallback else "none")
    thresholds = {
        "sentence": by_aggregate[agg]["sentence"],
        "paragraph": by_aggregate[agg]["paragraph"],
        "paragraph_by_aggregate": {a: t["paragraph"] for a, t in by_aggregate.items()},
    }
    tagger = Tagger(trainer.model.eval(), tokenizer, settings, thresholds)
    tagger.metadata = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "recipe": r.to_dict(),
        "data": {
            lvl: {"units": ds.num_rows, "policies": len(set(ds["policy"]))}
            for lvl, ds in units.items()
        },
        "crossval": {
            "run": str(run),
            "recipe_checked": checked,
            "n_folds": report.n_folds,
            "n_policies": report.n_policies,
            "aggregate": agg,
            "decision": row.rule,
            "chosen_by": "given" if (aggregate or rule) else "best segment macro-F1 of the run",
            "thresholds_from": f"out-of-fold scores of {report.n_policies} policies",
            **_figures(row),
            "lone": report.lone.get(f"{agg}/{base_rule}"),
        },
        "epochs_run": trainer.state.epoch,
        "train_seconds": round(time.time() - started, 1),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
        "versions": _versions(),
    }
    tagger.save(r.train.output_dir, compact=r.train.compact)
    return tagger

"""Cross-validation by policy: the protocol behind every model decision and headline figure.

The OPP-115 policies a recipe names (``opp115:train`` and ``opp115:validation``: 95 here)
are pooled and dealt into K folds by policy, so no policy has sentences on both sides.
For each fold, a model is trained with the recipe on the other folds (plus the recipe's
non-OPP-115 training sources, which are never scored) for the recipe's epochs, with no
epoch selection, since there is no data left to select on. It then scores its held-out
policies. The scores are saved per fold, so an interrupted run resumes at the next
fold (and inside a fold at the last epoch checkpoint).

:mod:`privtag.evaluation.crossval_report` then turns the out-of-fold scores into decisions: the
thresholds used on fold *k* are fitted on the out-of-fold scores of the other folds only,
so nothing is tuned on the units it is scored on. The shipped model's thresholds are
fitted the same way on all folds' out-of-fold scores.

Run it with ``privtag crossval train/default.toml --folds 5 --output runs/cv``.

Example:
    >>> policy_folds(["a", "b", "c", "d"], 2, seed=0, sizes={"a": 5, "b": 1, "c": 4, "d": 2})
    [['a', 'b'], ['c', 'd']]
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from privtag.data.records import to_dataset, units_of
from privtag.data.sources import is_opp115, load_units
from privtag.errors import DataError
from privtag.training.recipe import Recipe

log = logging.getLogger("privtag.evaluation.crossval")

FOLDS_FILE = "folds.json"
SCORES_FILE = "scores.npz"
UNITS_FILE = "units.json"
LEVELS = ("sentence", "segment")


def policy_folds(
    policies: Sequence[str], n_folds: int, seed: int, sizes: Mapping[str, int] | None = None
) -> list[list[str]]:
    """Deal policies into ``n_folds`` folds of similar size; deterministic given ``seed``.

    Policies are shuffled by ``seed``, then placed largest first (by ``sizes``, e.g. units
    per policy) into the fold with the fewest units so far, so folds hold similar amounts
    of data. Each fold's policies are returned sorted.

    Raises:
        DataError: fewer policies than folds, or fewer than 2 folds.
    """
    names = sorted(set(policies))
    if n_folds < 2:
        raise DataError(f"--folds must be at least 2, not {n_folds}")
    if len(names) < n_folds:
        raise DataError(f"{len(names)} policies cannot fill {n_folds} folds; use fewer folds")
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    if sizes:
        order.sort(key=lambda p: -sizes.get(p, 0))  # stable: ties keep the shuffled order
    folds: list[list[str]] = [[] for _ in range(n_folds)]
    load = np.zeros(n_folds)
    for p in order:
        # fewest units first, then fewest policies, then the lowest index
        k = min(range(n_folds), key=lambda i: (load[i], len(folds[i]), i))
        folds[k].append(p)
        load[k] += (sizes or {}).get(p, 1)
    return [sorted(f) for f in folds]


def _split_sources(recipe: Recipe) -> tuple[list[str], list[str]]:
    opp = [s for s in [*recipe.data.train, *recipe.data.validation] if is_opp115(s)]
    extra = [s for s in recipe.data.train if not is_opp115(s)]
    ignored = [s for s in recipe.data.validation if not is_opp115(s)]
    if ignored:
        raise DataError(
            f"data.validation {ignored[0]!r}: cross-validation scores OPP-115 policies only, "
            "so it would be ignored; move it to data.train (trained on in every fold) or "
            "leave it out of data.validation"
        )
    if not opp:
        raise DataError(
            "cross-validation pools the recipe's opp115:<split> sources, and it names none; "
            "`privtag crossval` folds OPP-115's policies only: for your own annotations, "
            "train on some policies and `privtag evaluate` on the others"
        )
    return sorted(set(opp)), extra


def load_pool(recipe: Recipe) -> tuple[dict, dict]:
    """``(pool, extra)``: the scored OPP-115 units and the train-only units, per level."""
    d = recipe.data
    opp, extra = _split_sources(recipe)
    pool = {lvl: load_units(opp, lvl, d.opp115, d.vote) for lvl in LEVELS}
    extras = {
        lvl: load_units(extra, lvl, policies=d.policies) if extra else to_dataset([])
        for lvl in LEVELS
    }
    return pool, extras


#: What a run records of its recipe, to refuse training a final model on another one.
RECIPE_FILE = "recipe.json"
#: recipe.json's record of the base encoder's weights (not a recipe setting)
ENCODER_KEY = "encoder"


def encoder_fingerprint(base: str | None) -> dict:
    """``{"base", "sha256"}`` of the base encoder (:func:`privtag.inference.weights.weights_hash`).

    A run records it because a path says nothing of what it holds: an encoder adapted
    again in place (``runs/dapt/encoder``) would pass a check of the recipe alone, and the
    run's out-of-fold thresholds would then ship with weights they were never fitted to.

    Raises:
        DataError: the encoder directory or its weights are missing.
    """
    from privtag.errors import ModelLoadError
    from privtag.inference.model import base_encoder_path
    from privtag.inference.weights import weights_hash

    try:
        return {"base": base, "sha256": weights_hash(base_encoder_path(base))}
    except (ModelLoadError, OSError) as e:
        raise DataError(f"model.base = {base!r}: cannot read its weights ({e})") from e


def run_recipe(recipe: Recipe) -> dict:
    """The recipe fields that decide a fold's model (not where or whether it resumes)."""
    d = recipe.to_dict()
    d["train"] = {k: v for k, v in d["train"].items() if k not in ("output_dir", "resume")}
    return d


def check_run_recipe(recipe: Recipe, run: Path) -> bool:
    """``False`` when ``run`` records no recipe (older runs); raise when it records another.

    Also raises when the run recorded its base encoder's fingerprint
    (:func:`encoder_fingerprint`) and the encoder at ``model.base`` now holds other weights.

    Raises:
        DataError: naming the first setting that differs and what to do.
    """
    path = run / RECIPE_FILE
    if not path.is_file():
        return False
    saved = json.loads(path.read_text(encoding="utf-8"))
    encoder = saved.pop(ENCODER_KEY, None)  # runs made before it was recorded have none
    mine = json.loads(json.dumps(run_recipe(recipe)))  # tuples as lists, as saved
    # a setting added since the run was made was, in effect, at its default then
    defaults = json.loads(json.dumps(run_recipe(Recipe())))
    for section in sorted(set(saved) | set(mine)):
        a, b = saved.get(section, {}), mine.get(section, {})
        for key in sorted(set(a) | set(b)):
            if (section, key) == ("train", "teacher") and "{fold}" in str(a.get(key)):
                continue  # each fold had its own teacher; the final model has the full one
            old = a.get(key, defaults.get(section, {}).get(key))
            if old != b.get(key):
                raise DataError(
                    f"{path}: the run used {section}.{key} = {old!r}, this recipe has "
                    f"{b.get(key)!r}; pass the run's recipe and --set options, or run "
                    "cross-validation again for this recipe"
                )
    if encoder and encoder_fingerprint(recipe.model.base)["sha256"] != encoder["sha256"]:
        raise DataError(
            f"{path}: the base encoder at model.base = {recipe.model.base!r} holds other "
            "weights than the run was made with (SHA-256 differs); restore that encoder, "
            "or run cross-validation again on this one"
        )
    return True


def _folds_file(output: Path, folds: list[list[str]], n_folds: int, seed: int) -> list[list[str]]:
    path = output / FOLDS_FILE
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["folds"] != folds:
            raise DataError(
                f"{path}: this run's folds differ from the saved ones (another --folds, "
                "--seed or data); use another --output, or delete the folder to start over"
            )
    else:
        output.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"n_folds": n_folds, "seed": seed, "folds": folds}, indent=1)
        path.write_text(text + "\n", encoding="utf-8")
    return folds


def fold_of(policies: Sequence[str], folds: list[list[str]]) -> np.ndarray:
    """The fold index of each unit's policy (-1 for a policy in no fold)."""
    where = {p: k for k, f in enumerate(folds) for p in f}
    return np.array([where.get(p, -1) for p in policies], dtype=int)


def run_crossval(
    recipe: Recipe,
    output: str | Path,
    n_folds: int = 5,
    seed: int | None = None,
    only: Sequence[int] | None = None,
    keep_checkpoints: bool = False,
    keep_models: bool = False,
    echo: Callable[[str], None] = print,
) -> Path:
    """Train and score every fold not done yet; returns ``output``.

    Args:
        recipe: the recipe under test (its ``train.output_dir`` is replaced per fold).
        output: the run folder: ``folds.json``, then ``fold<k>/scores.npz`` and
            ``fold<k>/units.json`` per fold.
        n_folds: K.
        seed: the fold assignment seed (default: the recipe's ``train.seed``).
        only: fold indices to run (default: all).
        keep_checkpoints: keep each fold's Trainer checkpoints (hundreds of MB each).
        keep_models: save each fold's model in ``fold<k>/model`` (a tagger, float32,
            about 90 MB): a teacher for distilling a student under the same folds, since
            it never saw the fold's held-out policies.

    Raises:
        DataError: no OPP-115 source, too few policies, or folds that differ from a
            previous run in ``output``.
    """
    recipe.check()  # a recipe built in code is checked as a loaded one is
    from datasets import concatenate_datasets
    from transformers import set_seed

    # score_fold's and a distilled fold's (see below)
    import privtag.inference.tagger
    import privtag.training.paragraph_distill  # noqa: F401
    from privtag.inference.model import base_tokenizer
    from privtag.training.train import fit_model, loss_check, training_set

    # A run takes hours: every module a fold needs is imported now, not at its end, when
    # the source tree may hold other code (a crash at scoring cost a fold's training once).
    output = Path(output)
    seed = recipe.train.seed if seed is None else seed
    pool, extras = load_pool(recipe)
    sizes: dict[str, int] = {}
    for p in pool["segment"]["policy"]:
        sizes[p] = sizes.get(p, 0) + 1
    folds = _folds_file(output, policy_folds(sizes, n_folds, seed, sizes), n_folds, seed)
    # resuming with other --set options would mix two recipes' folds in one report
    if not check_run_recipe(recipe, output):
        record = {**run_recipe(recipe), ENCODER_KEY: encoder_fingerprint(recipe.model.base)}
        text = json.dumps(record, indent=1)
        (output / RECIPE_FILE).write_text(text + "\n", encoding="utf-8")
    tokenizer = base_tokenizer(recipe.model.base)
    unit_folds = {lvl: fold_of(pool[lvl]["policy"], folds) for lvl in LEVELS}
    for k in only if only is not None else range(n_folds):
        fold_dir = output / f"fold{k}"
        if (fold_dir / SCORES_FILE).exists():
            echo(f"fold {k}: done already ({fold_dir / SCORES_FILE})")
            continue
        started = time.time()
        r = copy.deepcopy(recipe)
        r.train.output_dir = str(fold_dir)
        r.train.resume = True
        set_seed(r.train.seed)
        train_units = {}
        for lvl in LEVELS:
            keep = np.flatnonzero(unit_folds[lvl] != k)
            parts = [pool[lvl].select(keep)]
            if extras[lvl].num_rows:
                parts.append(extras[lvl])
            train_units[lvl] = concatenate_datasets(parts)
        echo(
            f"fold {k}: training on {len(sizes) - len(folds[k])} policies "
            f"({train_units['sentence'].num_rows} sentences, "
            f"{train_units['segment'].num_rows} segments), scoring {len(folds[k])}"
        )
        trainer = fit_model(r, tokenizer, training_set(tokenizer, train_units, r, fold=k), None)
        held = {lvl: pool[lvl].select(np.flatnonzero(unit_folds[lvl] == k)) for lvl in LEVELS}
        tagger = score_fold(trainer.model.eval(), tokenizer, r, held, fold_dir)
        if keep_models:
            tagger.save(fold_dir / "model")  # its dtype is not saved: a load-time choice
        meta = {"fold": k, "policies": folds[k], "seconds": round(time.time() - started, 1)}
        meta["loss"] = loss_check(trainer.state.log_history)  # a stalled fold is flagged
        (fold_dir / "fold.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        if not keep_checkpoints:
            shutil.rmtree(fold_dir / "checkpoints", ignore_errors=True)
        echo(f"fold {k}: scored in {meta['seconds'] / 60:.1f} min")
    return output


def tagger_settings(recipe: Recipe) -> dict:
    """A tagger's settings from the recipe's model section; scores in float32."""
    # thresholds are fitted on these scores: float32 gives the same on every machine
    return {**recipe.model.tagger_settings(), "dtype": "float32"}


def score_fold(model, tokenizer, recipe: Recipe, held: Mapping, fold_dir: Path):
    """Score a fold's held-out units every way the report compares, and save the scores.

    Saved arrays: ``sentence`` (with context, as :meth:`Tagger.tag` scores), ``lone:<agg>``
    (the sentence text alone, as :meth:`Tagger.predict` scores it) with ``lone_is_para``,
    ``segment:<agg>`` for each of the recipe's aggregates, with ``segment_is_para``.

    Returns:
        The fold's :class:`~privtag.inference.tagger.Tagger` (the run keeps it with
        ``keep_models``).
    """
    from privtag.inference.tagger import Tagger
    from privtag.training.paragraph_data import sentence_scores

    tagger = Tagger(model, tokenizer, tagger_settings(recipe))
    aggregates = list(recipe.train.aggregates)
    sent, seg = held["sentence"], held["segment"]
    arrays = {"sentence": sentence_scores(tagger, sent)}  # as tag() scores them
    lone, lone_para = tagger.predict_proba_by_aggregate(list(sent["text"]), aggregates)
    arrays.update({f"lone:{a}": v for a, v in lone.items()}, lone_is_para=lone_para)
    scores, is_para = tagger.predict_proba_by_aggregate(units_of(seg), aggregates)
    arrays.update({f"segment:{a}": v for a, v in scores.items()}, segment_is_para=is_para)
    fold_dir.mkdir(parents=True, exist_ok=True)
    units = {
        lvl: {"policy": list(ds["policy"]), "unit_id": list(ds["unit_id"])}
        for lvl, ds in (("sentence", sent), ("segment", seg))
    }
    (fold_dir / UNITS_FILE).write_text(json.dumps(units) + "\n", encoding="utf-8")
    # written last: its presence marks the fold as done
    tmp = fold_dir / "scores.tmp.npz"
    np.savez_compressed(tmp, **arrays)
    tmp.replace(fold_dir / SCORES_FILE)
    return tagger

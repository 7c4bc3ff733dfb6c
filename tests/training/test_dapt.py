"""Domain-adaptive pretraining: the tied MLM head, masking, corpus reading, resume."""

from __future__ import annotations

import json

import pytest
import torch

from corpus_helpers import POLICY, write_corpus
from corpus_helpers import dapt_recipe as _recipe
from privtag.errors import DataError
from privtag.training.dapt import (
    corpus_units,
    dapt,
    iter_corpus,
    length_batches,
    mlm_loss,
    mlm_model,
    spread_per_policy,
)
from privtag.training.recipe import RecipeError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_mlm_head_is_tied_to_frozen_word_embeddings(tiny_encoder):
    model = mlm_model(str(tiny_encoder))
    emb = model.get_input_embeddings().weight
    decoder = model.get_output_embeddings()
    assert decoder.weight.data_ptr() == emb.data_ptr()  # one matrix, not a copy
    assert not emb.requires_grad and decoder.bias.requires_grad
    trainable = mlm_model(str(tiny_encoder), freeze_embeddings=False)
    assert trainable.get_input_embeddings().weight.requires_grad


def test_collator_masks_and_only_masked_positions_count(tiny_encoder):
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling

    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    model = mlm_model(str(tiny_encoder)).eval()
    rows = [{"input_ids": tok(t)["input_ids"]} for t in (POLICY, "We sell data.")]
    torch.manual_seed(3)
    batch = DataCollatorForLanguageModeling(tok, mlm_probability=0.3)(rows)
    labels, ids = batch["labels"], batch["input_ids"]
    masked = labels != -100
    assert masked.any() and not masked.all()
    special = torch.isin(labels, torch.tensor([tok.cls_token_id, tok.sep_token_id]))
    assert not special.any()  # [CLS]/[SEP] are never hidden
    assert not masked[batch["attention_mask"] == 0].any()  # nor padding
    # the head-on-masked-positions loss is the usual MLM loss over all positions
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=batch["attention_mask"], labels=labels).loss
        ours = mlm_loss(model, batch)
    assert float(ours) == pytest.approx(float(full), rel=1e-5)
    # an unmasked position's label is ignored whatever the token
    other = dict(batch, labels=torch.where(masked, labels, torch.full_like(labels, -100)))
    with torch.no_grad():
        assert float(mlm_loss(model, other)) == pytest.approx(float(ours), rel=1e-6)


def test_corpus_is_streamed_sampled_and_bad_lines_named(tmp_path):
    path = write_corpus(tmp_path / "c.jsonl.gz", 40)
    assert len(list(iter_corpus(path))) == 40
    some = [d["id"] for d in iter_corpus(path, sample=0.5, seed=1)]
    assert 8 < len(some) < 32 and some == [d["id"] for d in iter_corpus(path, 0.5, 1)]
    sentences = list(corpus_units(path, "sentence"))
    assert sentences[1]["previous"] == sentences[0]["text"]
    assert all(len(u["text"].split()) >= 4 for u in sentences)  # headings left out
    assert any(u["section"] == ["Privacy Policy", "Choices"] for u in sentences)
    paragraphs = list(corpus_units(path, "segment"))
    assert len(paragraphs) < len(sentences)
    ids = [d["id"] for d in iter_corpus(path)]
    kept = [d["id"] for d in iter_corpus(path, exclude={ids[0], ids[7]})]
    assert kept == ids[1:7] + ids[8:]  # an excluded policy is never read, by any stage
    assert all(u["policy"] != ids[0] for u in corpus_units(path, "segment", exclude={ids[0]}))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n')
    with pytest.raises(DataError, match="corpus_per_policy"):
        list(spread_per_policy(paragraphs, -1))
    with pytest.raises(DataError, match=r"bad.jsonl:2: .*'text'"):
        list(iter_corpus(bad))
    with pytest.raises(DataError, match="no such corpus"):
        list(iter_corpus(tmp_path / "missing.jsonl"))


def test_length_batches_group_similar_lengths():
    lengths = [5, 50, 6, 51, 7, 52, 8, 53]
    batches = length_batches(lengths, 2, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert all(abs(lengths[b[0]] - lengths[b[-1]]) <= 3 for b in batches)
    assert batches == length_batches(lengths, 2, seed=0)


def test_dapt_saves_an_encoder_and_resumes_to_the_same_weights(tiny_encoder, tmp_path):
    from safetensors.torch import load_file

    corpus = write_corpus(tmp_path / "c.jsonl.gz")
    straight = dapt(_recipe(tiny_encoder, corpus, tmp_path / "a"))
    # the run left a checkpoint at step 2: resuming it replays steps 3 and 4 only
    assert json.loads((tmp_path / "a/checkpoint/state.json").read_text())["step"] == 2
    resumed = dapt(_recipe(tiny_encoder, corpus, tmp_path / "a", **{"train.resume": "true"}))
    a, b = load_file(straight / "model.safetensors"), load_file(resumed / "model.safetensors")
    before = load_file(tiny_encoder / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    key = "embeddings.word_embeddings.weight"
    assert torch.equal(a[key], before[key])  # frozen: the compact model stays small
    layer = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(a[layer], before[layer])
    assert (straight / "tokenizer.json").is_file()
    with pytest.raises(RecipeError, match="mlm_probability must be a number between 0 and 1"):
        dapt(_recipe(tiny_encoder, corpus, tmp_path / "x", **{"train.mlm_probability": 1.5}))


def test_spread_per_policy_caps_each_policy_and_keeps_its_ends():
    units = [{"policy": p, "i": i} for p, n in (("a", 7), ("b", 2), ("c", 1)) for i in range(n)]
    kept = list(spread_per_policy(units, 3))
    assert [(u["policy"], u["i"]) for u in kept] == [
        ("a", 0),
        ("a", 3),
        ("a", 6),
        ("b", 0),
        ("b", 1),
        ("c", 0),
    ]
    assert list(spread_per_policy(units, 0)) == units  # no cap
    assert [u["i"] for u in spread_per_policy(units, 1)] == [0, 0, 0]

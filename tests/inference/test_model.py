"""The classifier: mean pooling over the unit's tokens, BCE loss, the dtype it runs in.

Its weight files (full and compact saving, checks at load) are tested in test_weights.py.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from transformers import AutoTokenizer, BertConfig

from classifier_helpers import TEXTS, batch, logits_of, multi_hot
from privtag.errors import ModelLoadError
from privtag.inference.model import (
    BASE_PACKAGE,
    DTYPES,
    EmulatedBfloat16Warning,
    PrivtagClassifier,
    base_encoder_path,
    base_tokenizer,
    inference_dtype,
    native_bf16,
    warn_if_emulated,
)
from privtag.labels import ID2LABEL, LABEL2ID, LABELS, NUM_LABELS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# ---------------------------------------------------------------- base encoder


def test_from_base_loads_the_packaged_minilm():
    model = PrivtagClassifier.from_base()
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6
    assert model.config.num_labels == NUM_LABELS
    assert [model.config.id2label[i] for i in range(NUM_LABELS)] == list(LABELS)
    assert model.config.problem_type == "multi_label_classification"
    # the package's name, not this machine's path to it, is what a saved model records
    assert model.config.privtag_base == BASE_PACKAGE
    tok = AutoTokenizer.from_pretrained(base_encoder_path())
    out = model.eval()(*batch(tok, ["We keep logs."]))
    assert out.logits.shape == (1, NUM_LABELS) and out.loss is None


def test_base_encoder_path(tmp_path, tiny_encoder):
    assert base_encoder_path(tiny_encoder) == tiny_encoder
    packaged = base_encoder_path()
    assert (packaged / "model.safetensors").is_file()
    assert base_encoder_path(BASE_PACKAGE) == packaged == base_encoder_path("minilm")
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        base_encoder_path(tmp_path)


def test_a_half_copied_encoder_is_refused_before_any_work(tmp_path, tiny_encoder):
    import shutil

    # config only: transformers would fail deep inside with a traceback
    (tmp_path / "config.json").write_bytes((tiny_encoder / "config.json").read_bytes())
    with pytest.raises(ModelLoadError, match=r"without weights \(none of model\.safetensors, "):
        base_encoder_path(tmp_path)
    # weights are enough for a base that gives a compact model its embeddings
    shutil.copy(tiny_encoder / "model.safetensors", tmp_path)
    assert base_encoder_path(tmp_path) == tmp_path
    # but training reads its tokenizer: without one every word would read as [UNK]
    with pytest.raises(ModelLoadError, match=r"without tokenizer files .*\[UNK\]"):
        base_tokenizer(tmp_path)
    shutil.copy(tiny_encoder / "tokenizer.json", tmp_path)
    assert base_tokenizer(tmp_path).tokenize("We share data.") == ["we", "share", "data", "."]


# ---------------------------------------------------------------- forward and pooling


def test_forward_shapes_and_loss(model, inputs):
    y = multi_hot([labels for _, labels in TEXTS])
    ids, mask, types = inputs
    out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=y)
    assert out.logits.shape == (len(TEXTS), NUM_LABELS)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, y)
    assert torch.allclose(out.loss, expected)


def test_padding_does_not_change_the_scores(model, tokenizer, inputs):
    together = logits_of(model, inputs)
    for i, (text, _) in enumerate(TEXTS):
        alone = logits_of(model, batch(tokenizer, [text]))
        assert torch.allclose(alone[0], together[i], atol=1e-5)


def tiny_config(**extra) -> BertConfig:
    return BertConfig(
        vocab_size=200,
        hidden_size=16,
        num_hidden_layers=0,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=NUM_LABELS,
        id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID),
        **extra,
    )


@pytest.mark.parametrize("pool_context", [False, True])
def test_only_the_units_tokens_are_averaged(pool_context):
    """Without attention layers a token's state is its own: context changes the score
    only when context tokens are pooled."""
    torch.manual_seed(0)
    model = PrivtagClassifier(tiny_config(pool_context=pool_context)).eval()
    unit = torch.tensor([[101, 7, 8, 9, 102]])
    with_ctx = torch.tensor([[101, 7, 8, 9, 102, 50, 51, 102]])
    types = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1]])
    a = model(input_ids=unit, attention_mask=torch.ones_like(unit)).logits
    b = model(
        input_ids=with_ctx, attention_mask=torch.ones_like(with_ctx), token_type_ids=types
    ).logits
    assert torch.allclose(a, b, atol=1e-6) is not pool_context


def test_pos_weight_weighs_positives():
    weights = [float(i + 1) for i in range(NUM_LABELS)]
    torch.manual_seed(0)
    model = PrivtagClassifier(tiny_config(pos_weight=weights)).eval()
    ids = torch.tensor([[101, 7, 8, 102], [101, 9, 10, 102]])
    y = torch.zeros((2, NUM_LABELS))
    y[0, 3] = y[1, 7] = 1
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=y)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        out.logits, y, pos_weight=torch.tensor(weights)
    )
    assert torch.allclose(out.loss, expected)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(out.logits, y)
    assert not torch.allclose(out.loss, plain)


def test_from_base_keeps_pos_weight(tiny_encoder):
    weights = [2.0] * NUM_LABELS
    model = PrivtagClassifier.from_base(tiny_encoder, pos_weight=weights).eval()
    assert model.config.pos_weight == weights
    ids = torch.tensor([[101, 2057, 2224, 102]])
    mask = torch.ones_like(ids)
    y = torch.zeros((1, NUM_LABELS))
    y[0, 0] = 1
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=y)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        out.logits, y, pos_weight=torch.tensor(weights)
    )
    assert torch.allclose(out.loss, expected), (out.loss, expected)


def test_a_few_steps_lower_the_loss(model, inputs):
    y = multi_hot([labels for _, labels in TEXTS])
    ids, mask, types = inputs

    def loss() -> float:
        model.eval()
        with torch.no_grad():
            return model(
                input_ids=ids, attention_mask=mask, token_type_ids=types, labels=y
            ).loss.item()

    before = loss()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    model.train()
    for _ in range(5):
        opt.zero_grad()
        model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=y).loss.backward()
        opt.step()
    after = loss()
    assert after < 0.9 * before, (before, after)


def test_inference_dtype_names():
    assert inference_dtype("float32") is torch.float32
    assert inference_dtype("bfloat16") is torch.bfloat16
    # auto never picks emulated bfloat16, which is slower than float32
    assert inference_dtype("auto") is (torch.bfloat16 if native_bf16() else torch.float32)
    with pytest.raises(ModelLoadError, match="dtype must be one of auto, float32, bfloat16"):
        inference_dtype("float16")
    assert DTYPES == ("auto", "float32", "bfloat16")


@pytest.mark.parametrize("native", [False, True])
def test_explicit_bfloat16_warns_only_where_it_is_emulated(monkeypatch, native):
    import privtag.inference.model as model_module

    monkeypatch.setattr(model_module, "native_bf16", lambda: native)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_if_emulated("bfloat16", "train.dtype")
        warn_if_emulated("auto")  # auto never picks emulated bfloat16: nothing to say
        warn_if_emulated("float32")
    got = [w for w in seen if issubclass(w.category, EmulatedBfloat16Warning)]
    if native:
        assert got == []
    else:
        assert len(got) == 1
        assert "train.dtype = 'auto'" in str(got[0].message)


def test_loading_in_emulated_bfloat16_warns(monkeypatch, trained_tiny, tiny_encoder):
    import privtag.inference.model as model_module
    from privtag.inference.tagger import Tagger

    monkeypatch.setattr(model_module, "native_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(EmulatedBfloat16Warning, match="dtype = 'auto'"):
        Tagger.from_pretrained(trained_tiny, base=tiny_encoder, dtype="bfloat16")

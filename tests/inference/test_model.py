"""The classifier: mean pooling over the unit's tokens, BCE loss, full and compact saving."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, BertConfig

from privtag.errors import ModelLoadError
from privtag.inference.encoding import encode
from privtag.inference.model import (
    BASE_PACKAGE,
    COMPACT_FILE,
    COMPACT_META,
    DTYPES,
    FROZEN,
    EmulatedBfloat16Warning,
    PrivtagClassifier,
    base_encoder_path,
    inference_dtype,
    load_model,
    native_bf16,
    save_compact,
    warn_if_emulated,
)
from privtag.labels import ID2LABEL, LABEL2ID, LABELS, NUM_LABELS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXTS = [
    ("We collect your e-mail address.", ["First Party Collection/Use"]),
    ("We share it with advertisers.", ["Third Party Sharing/Collection"]),
    ("You can opt out at any time.", ["User Choice/Control"]),
    ("We keep logs for a year and encrypt them.", ["Data Retention", "Data Security"]),
]


def batch(tokenizer, units, context="none", max_length=48):
    """Padded tensors (ids, mask, types) for ``units`` (one window each)."""
    enc = encode(tokenizer, units, context=context, max_length=max_length)
    assert len(enc) == len(units)
    width = max(map(len, enc.input_ids))
    ids = torch.zeros((len(enc), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    for r, (x, t) in enumerate(zip(enc.input_ids, enc.token_type_ids, strict=True)):
        ids[r, : len(x)], types[r, : len(x)], mask[r, : len(x)] = (
            torch.tensor(x),
            torch.tensor(t),
            1,
        )
    return ids, mask, types


def multi_hot(label_lists):
    y = torch.zeros((len(label_lists), NUM_LABELS))
    for i, names in enumerate(label_lists):
        y[i, [LABEL2ID[n] for n in names]] = 1
    return y


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder):
    """The tiny encoder's tokenizer (the packaged MiniLM's)."""
    return AutoTokenizer.from_pretrained(tiny_encoder)


@pytest.fixture
def model(tiny_encoder):
    """A classifier on the tiny encoder with a fresh head (seeded), in eval mode."""
    torch.manual_seed(3)
    return PrivtagClassifier.from_base(tiny_encoder).eval()


@pytest.fixture
def inputs(tokenizer):
    """(ids, mask, types) of TEXTS."""
    return batch(tokenizer, [t for t, _ in TEXTS])


def logits_of(model, inputs):
    ids, mask, types = inputs
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits


def max_diff(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


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


# ---------------------------------------------------------------- saving and loading


def test_save_pretrained_then_load_model_is_identical(model, inputs, tmp_path):
    model.save_pretrained(tmp_path)
    loaded = load_model(tmp_path)
    assert not loaded.training
    assert torch.equal(logits_of(loaded, inputs), logits_of(model, inputs))


def test_compact_round_trip_within_float16(model, inputs, tmp_path, tiny_encoder):
    save_compact(model, tmp_path)
    stored = load_file(str(tmp_path / COMPACT_FILE))
    assert not set(FROZEN) & set(stored)
    assert {v.dtype for v in stored.values()} == {torch.float16}
    assert json.loads((tmp_path / COMPACT_META).read_text()) == {
        "base": str(tiny_encoder),
        "omitted": list(FROZEN),
        "dtype": "float16",
    }
    loaded = load_model(tmp_path)  # the base recorded in compact.json
    # the omitted embeddings come from the base exactly
    assert torch.equal(
        loaded.bert.embeddings.word_embeddings.weight, model.bert.embeddings.word_embeddings.weight
    )
    a, b = torch.sigmoid(logits_of(model, inputs)), torch.sigmoid(logits_of(loaded, inputs))
    diff = max_diff(a, b)
    assert diff < 1e-3, f"compact scores differ by up to {diff:.2e}"


def test_compact_model_remembers_its_base(model, inputs, tmp_path):
    save_compact(model, tmp_path)
    loaded = load_model(tmp_path)
    assert max_diff(logits_of(loaded, inputs), logits_of(model, inputs)) < 1e-2


# ---------------------------------------------------------------- load errors


@pytest.fixture
def saved(model, tmp_path):
    """A full save of ``model`` in tmp_path/full."""
    model.save_pretrained(tmp_path / "full")
    return tmp_path / "full"


def test_missing_directory_or_config(tmp_path, saved):
    with pytest.raises(ModelLoadError, match=r"no config\.json; is this a privtag model"):
        load_model(tmp_path / "nowhere")
    (saved / "config.json").unlink()
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        load_model(saved)


def test_unreadable_config(saved):
    (saved / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"config\.json: unreadable"):
        load_model(saved)


def test_missing_weights(saved):
    (saved / "model.safetensors").unlink()
    with pytest.raises(
        ModelLoadError,
        match=r"no weights \(model.safetensors or "
        r"compact.safetensors\)",
    ):
        load_model(saved)


@pytest.mark.parametrize(
    "id2label",
    [
        {str(i): f"label {i}" for i in range(NUM_LABELS)},  # another label set
        {str(i): LABELS[(i + 1) % NUM_LABELS] for i in range(NUM_LABELS)},  # another order
        {str(i): LABELS[i] for i in range(NUM_LABELS - 1)},  # one label fewer
    ],
)
def test_wrong_label_set(saved, id2label):
    cfg = json.loads((saved / "config.json").read_text())
    cfg["id2label"] = id2label
    cfg["label2id"] = {v: int(k) for k, v in id2label.items()}
    (saved / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="are not privtag's 12 labels; retrain"):
        load_model(saved)


@pytest.mark.parametrize("keep", [0, 8, 100, 0.5])
def test_truncated_weights(saved, keep):
    f = saved / "model.safetensors"
    data = f.read_bytes()
    f.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(ModelLoadError, match="the weights cannot be read"):
        load_model(saved)


def test_truncated_compact_weights(model, tmp_path, tiny_encoder):
    save_compact(model, tmp_path)
    f = tmp_path / COMPACT_FILE
    f.write_bytes(f.read_bytes()[:-1000])
    with pytest.raises(ModelLoadError, match="the weights cannot be read"):
        load_model(tmp_path, base=tiny_encoder)


def test_compact_file_without_some_weights(model, tmp_path, tiny_encoder):
    save_compact(model, tmp_path)
    f = tmp_path / COMPACT_FILE
    state = load_file(str(f))
    del state["classifier.weight"]
    save_file(state, str(f))
    with pytest.raises(ModelLoadError, match=r"missing weights \['classifier.weight'\]"):
        load_model(tmp_path, base=tiny_encoder)


def test_compact_with_a_base_that_lacks_the_embeddings(model, tmp_path, tiny_encoder):
    save_compact(model, tmp_path / "m")
    base = tmp_path / "base"
    shutil.copytree(tiny_encoder, base)
    state = load_file(str(base / "model.safetensors"))
    del state["embeddings.word_embeddings.weight"]
    save_file(state, str(base / "model.safetensors"))
    with pytest.raises(ModelLoadError, match=r"base encoder has no embeddings\.word_embeddings"):
        load_model(tmp_path / "m", base=base)


def test_compact_keeps_trained_embeddings(model, inputs, tmp_path, tiny_encoder):
    with torch.no_grad():  # a trained change (a constant shift would vanish in LayerNorm)
        weight = model.bert.embeddings.word_embeddings.weight
        weight.add_(torch.randn(weight.shape, generator=torch.Generator().manual_seed(0)))
    save_compact(model, tmp_path)
    loaded = load_model(tmp_path, base=tiny_encoder)
    diff = max_diff(logits_of(loaded, inputs), logits_of(model, inputs))
    assert diff < 1e-2, f"compact scores differ by up to {diff:.2e}"


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


# ---------------------------------------------------------------- issue 16: config vs weights


def edit_config(directory, **changes):
    cfg = json.loads((directory / "config.json").read_text())
    cfg.update(changes)
    (directory / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # one layer more than the weights hold: it would load with random weights
        ({"num_hidden_layers": 3}, r"missing weights \['bert.encoder.layer.2."),
        ({"num_hidden_layers": 1}, r"weights config.json does not describe \['bert.encoder.layer"),
        (
            {"intermediate_size": 128},
            r"6 of another shape, e.g. \S+ is \[64\] where config.json says \[128\]",
        ),
    ],
)
def test_weights_must_match_the_config(saved, changes, message):
    edit_config(saved, **changes)
    with pytest.raises(ModelLoadError, match=message) as e:
        load_model(saved)
    assert str(e.value).startswith(f"{saved / 'model.safetensors'}: ")
    assert "come from different models; save the model again" in str(e.value)


def test_a_left_over_tensor_is_refused(saved):
    f = saved / "model.safetensors"
    state = load_file(str(f))
    state["classifier.extra"] = torch.zeros(3)
    save_file(state, str(f), metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match=r"does not describe \['classifier.extra'\]"):
        load_model(saved)


def test_compact_weights_must_match_the_config(model, tmp_path, tiny_encoder):
    save_compact(model, tmp_path)
    f = tmp_path / COMPACT_FILE
    state = load_file(str(f))
    state["bert.encoder.layer.9.output.dense.bias"] = torch.zeros(32, dtype=torch.float16)
    save_file(state, str(f))
    with pytest.raises(ModelLoadError, match=r"does not describe \['bert.encoder.layer.9"):
        load_model(tmp_path, base=tiny_encoder)
    save_compact(model, tmp_path)
    edit_config(tmp_path, num_hidden_layers=3)
    with pytest.raises(ModelLoadError, match=f"{COMPACT_FILE}: missing weights"):
        load_model(tmp_path, base=tiny_encoder)


def test_compact_embeddings_from_a_base_of_another_shape_are_refused(model, tmp_path, tiny_encoder):
    from transformers import BertModel

    save_compact(model, tmp_path / "m")
    other = tmp_path / "other_base"
    config = BertConfig.from_pretrained(tiny_encoder)
    config.hidden_size, config.num_attention_heads, config.intermediate_size = 16, 2, 32
    BertModel(config).save_pretrained(other)
    with pytest.raises(ModelLoadError) as e:
        load_model(tmp_path / "m", base=other)
    msg = str(e.value)
    assert msg.startswith(str(other / "model.safetensors"))
    assert "word_embeddings.weight is [30522, 16] where config.json says [30522, 32]" in msg
    assert "pass the base encoder the model was trained on (--base)" in msg


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "a JSON list where an object of settings is expected"),
        ('{"num_hidden_layers": "abc"}', "num_hidden_layers"),
        ('"text"', "a JSON str where an object"),
    ],
)
def test_config_of_the_wrong_shape_is_one_line(saved, content, message):
    (saved / "config.json").write_text(content)
    with pytest.raises(ModelLoadError, match=message) as e:
        load_model(saved)
    assert "\n" not in str(e.value) and str(saved / "config.json") in str(e.value)


def test_id2label_as_a_list_is_one_line(saved):
    edit_config(saved, id2label=list(LABELS))
    with pytest.raises(ModelLoadError) as e:
        load_model(saved)
    assert "\n" not in str(e.value) and str(saved) in str(e.value)

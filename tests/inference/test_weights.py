"""A classifier's weight files: full and compact saving, and the checks at load."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import BertConfig

from classifier_helpers import logits_of, max_diff
from privtag.errors import ModelLoadError
from privtag.inference.weights import COMPACT_FILE, COMPACT_META, FROZEN, load_model, save_compact
from privtag.labels import LABELS, NUM_LABELS

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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

"""A model directory: the checks before loading, and a write that reads back as it was."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from privtag.errors import ModelLoadError
from privtag.inference.persistence import (
    REQUIRED_FILES,
    SETTINGS_FILE,
    model_directory,
    read_model_directory,
    write_model_directory,
)
from privtag.inference.weights import COMPACT_FILE, COMPACT_META

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def copy(trained_tiny, tmp_path):
    out = tmp_path / "model"
    shutil.copytree(trained_tiny, out, ignore=shutil.ignore_patterns("checkpoints"))
    return out


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_a_missing_file_is_named_before_anything_loads(copy, name):
    (copy / name).unlink()
    with pytest.raises(ModelLoadError, match=f"{copy}: missing {name}; .*incomplete"):
        model_directory(copy)


@pytest.mark.parametrize("bad", ["", "  ", 3])
def test_an_empty_or_non_path_name_is_refused(bad):
    with pytest.raises(ModelLoadError, match=r"empty|named by its directory"):
        model_directory(bad)


def test_the_default_is_the_environment_model(copy, monkeypatch, tmp_path):
    monkeypatch.setenv("PRIVTAG_MODEL", str(copy))
    assert model_directory(None) == copy
    # a directory the user never typed is named by the variable, with its own fix
    monkeypatch.setenv("PRIVTAG_MODEL", str(tmp_path / "gone"))
    with pytest.raises(
        ModelLoadError, match=r"^\$PRIVTAG_MODEL=\S*gone: no such model directory; fix or unset"
    ):
        model_directory(None)
    (tmp_path / "half").mkdir()
    monkeypatch.setenv("PRIVTAG_MODEL", str(tmp_path / "half"))
    with pytest.raises(ModelLoadError, match=r"^\$PRIVTAG_MODEL=\S*half: missing "):
        model_directory(None)
    # named explicitly, a path is named as given
    with pytest.raises(ModelLoadError, match=r"^\S*gone: no such model directory; give"):
        model_directory(tmp_path / "gone")


def test_write_then_read_gives_the_same_tagger_parts(copy, tiny_encoder, tmp_path):
    model, tok, settings, table, meta = read_model_directory(copy, tiny_encoder, dtype="float32")
    table = {**table, "profiles": {"p": {"scale": 0.5}}}
    out = write_model_directory(tmp_path / "again", model, tok, settings, table, meta, "p")
    saved = json.loads((out / SETTINGS_FILE).read_text())
    # this machine's dtype stays behind; the profile in use is kept
    assert "dtype" not in saved and saved["profile"] == "p"
    model2, _, settings2, table2, meta2 = read_model_directory(out, tiny_encoder)
    assert table2 == table and meta2 == json.loads(json.dumps(meta, default=str))
    assert settings2["profile"] == "p"
    a, b = model.state_dict(), model2.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_full_save_over_a_compact_one_removes_the_compact_files(copy, tiny_encoder, tmp_path):
    model, tok, settings, table, meta = read_model_directory(copy, tiny_encoder)
    out = write_model_directory(tmp_path / "m", model, tok, settings, table, meta, compact=True)
    assert (out / COMPACT_FILE).is_file() and not (out / "model.safetensors").exists()
    write_model_directory(out, model, tok, settings, table, meta)
    # a compact file left behind would be loaded instead of the new full weights
    assert not (out / COMPACT_FILE).exists() and not (out / COMPACT_META).exists()
    assert (out / "model.safetensors").is_file()


def test_saving_onto_a_file_is_refused_and_the_file_kept(copy, tiny_encoder, tmp_path):
    from privtag.errors import OutputError

    model, tok, settings, table, meta = read_model_directory(copy, tiny_encoder)
    policy = tmp_path / "policy.md"
    policy.write_text("We keep logs.")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_model_directory(policy, model, tok, settings, table, meta)
    assert policy.read_text() == "We keep logs."

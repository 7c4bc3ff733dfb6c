"""Scoring backends agree with torch float32; tag_many agrees with tag; ONNX files are never stale."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from privtag.errors import ModelLoadError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SENTENCES = [
    "We collect your email address when you sign up.",
    "We may share your data with advertisers and analytics partners.",
    "You can opt out of marketing emails at any time.",
    "You may request deletion of your account.",
    "We keep server logs for thirty days.",
    "Your data is encrypted in transit and at rest.",
    "We will notify you of changes to this policy.",
    "We do not respond to Do Not Track signals.",
    "Children under 13 may not use the service.",
    "Contact privacy@example.com with questions.",
]

#: Largest score difference each backend may show against torch float32 (tiny model);
#: a label may differ only where the float32 score is this close to its threshold.
TOLERANCE = {"bfloat16": 0.03, "onnx": 1e-4, "onnx-int8": 0.05}


def _onnx():
    return pytest.importorskip(
        "onnxruntime", reason="onnxruntime is not installed (pip install 'privtag[onnx]')"
    )


@pytest.fixture
def model_dir(trained_tiny, tmp_path, monkeypatch):
    """A private copy of the tiny model, and a private ONNX cache."""
    monkeypatch.setenv("PRIVTAG_CACHE", str(tmp_path / "cache"))
    return shutil.copytree(trained_tiny, tmp_path / "model")


def _load(model_dir, tiny_encoder, **kwargs):
    from privtag.inference.tagger import Tagger

    return Tagger.from_pretrained(model_dir, base=tiny_encoder, **kwargs)


def _check_agrees(reference, other, tolerance: float) -> None:
    ref = reference.predict_proba(SENTENCES)
    got = other.predict_proba(SENTENCES)
    assert np.abs(got - ref).max() <= tolerance
    t = np.asarray(reference.thresholds["sentence"])
    sure = np.abs(ref - t) > tolerance
    assert ((got >= t) == (ref >= t))[sure].all()


@pytest.mark.filterwarnings("ignore::privtag.inference.model.EmulatedBfloat16Warning")
def test_bfloat16_agrees_with_float32(model_dir, tiny_encoder):
    reference = _load(model_dir, tiny_encoder, dtype="float32")
    _check_agrees(reference, _load(model_dir, tiny_encoder, dtype="bfloat16"), 0.03)


def test_bfloat16_warns_for_torch_only_where_emulated(model_dir, tiny_encoder, monkeypatch):
    import warnings

    import privtag.inference.model as model_module

    _onnx()
    monkeypatch.setattr(model_module, "native_bf16", lambda: False)
    monkeypatch.setattr(model_module.torch.cuda, "is_available", lambda: False)
    with pytest.warns(model_module.EmulatedBfloat16Warning):
        _load(model_dir, tiny_encoder, dtype="bfloat16")
    with warnings.catch_warnings():
        warnings.simplefilter("error", model_module.EmulatedBfloat16Warning)
        _load(model_dir, tiny_encoder, dtype="bfloat16", backend="onnx")  # never computes it


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_agrees_with_torch_float32(model_dir, tiny_encoder, backend):
    _onnx()
    from privtag.inference.onnx_backend import OnnxScorer

    reference = _load(model_dir, tiny_encoder, dtype="float32")
    tagger = _load(model_dir, tiny_encoder, backend=backend)
    assert isinstance(tagger.scorer, OnnxScorer)
    _check_agrees(reference, tagger, TOLERANCE[backend])
    # windows of different lengths in one batch: the padding must not leak into scores
    long = " ".join(SENTENCES)
    assert (
        np.abs(tagger.predict_proba(long) - reference.predict_proba(long)).max()
        <= (TOLERANCE[backend])
    )


def test_missing_onnx_is_exported_to_a_cache_keyed_by_the_weights(model_dir, tiny_encoder):
    _onnx()
    from privtag.inference.onnx_backend import cache_dir, weights_hash

    assert not list(model_dir.glob("*.onnx"))
    tagger = _load(model_dir, tiny_encoder, backend="onnx")
    digest = weights_hash(model_dir, tiny_encoder)
    assert tagger.scorer.path == cache_dir() / "onnx" / digest[:16] / "model.onnx"
    assert json.loads(tagger.scorer.path.with_suffix(".json").read_text())["weights_sha256"] == (
        digest
    )
    # other weights, another key: the old export is never used for them
    meta = json.loads((model_dir / "config.json").read_text())
    meta["privtag_note"] = "changed"
    (model_dir / "config.json").write_text(json.dumps(meta))
    assert _load(model_dir, tiny_encoder, backend="onnx").scorer.path != tagger.scorer.path


def test_stale_onnx_in_the_model_dir_is_refused_then_rebuilt(model_dir, tiny_encoder):
    _onnx()
    from privtag.inference.onnx_backend import export_onnx, weights_hash

    path = export_onnx(model_dir, base=tiny_encoder)
    assert _load(model_dir, tiny_encoder, backend="onnx").scorer.path == path
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({"weights_sha256": "0" * 64}))
    with pytest.raises(ModelLoadError, match=r"stale ONNX model.*privtag export-onnx"):
        _load(model_dir, tiny_encoder, backend="onnx")
    sidecar.unlink()
    with pytest.raises(ModelLoadError, match=r"model\.json is missing or unreadable"):
        _load(model_dir, tiny_encoder, backend="onnx")
    export_onnx(model_dir, base=tiny_encoder)
    recorded = json.loads(sidecar.read_text())["weights_sha256"]
    assert recorded == weights_hash(model_dir, tiny_encoder)
    assert _load(model_dir, tiny_encoder, backend="onnx").scorer.path == path


def test_unknown_backend_is_one_line(model_dir, tiny_encoder):
    with pytest.raises(ModelLoadError, match="backend must be one of torch, onnx, onnx-int8"):
        _load(model_dir, tiny_encoder, backend="tensorrt")


def _policy(name: str) -> str:
    return (
        f"# {name} privacy policy\n\n"
        "We collect your email address when you sign up. We keep server logs for thirty "
        "days.\n\n"
        f"## Sharing\n\nWe may share your data with {name}'s advertisers. "
        "You can opt out of marketing emails at any time.\n\n"
        "## Contact\n\nContact privacy@example.com with questions.\n"
    )


def test_tag_many_equals_tag_one_by_one(tiny_tagger):
    tiny_tagger.settings["dtype"] = "float32"
    # repeated boilerplate (cache hits) and groups split mid-stream
    sources = [_policy(n) for n in ("Acme", "Zenith", "Acme", "Orbit", "Zenith")]
    one = [tiny_tagger.tag(s) for s in sources]
    many = list(tiny_tagger.tag_many(iter(sources), sentences_per_batch=7, cache_size=4))
    assert len(many) == len(one)
    for a, b in zip(one, many, strict=True):
        assert a.to_json() == b.to_json()
    assert list(tiny_tagger.tag_many([])) == []


def test_int8_made_another_way_is_rebuilt_in_the_cache(model_dir, tiny_encoder):
    _onnx()
    from privtag.inference.onnx_backend import INT8_SCHEME

    path = _load(model_dir, tiny_encoder, backend="onnx-int8").scorer.path
    sidecar = path.with_suffix(".json")
    made = json.loads(sidecar.read_text())
    assert made["quantization"] == INT8_SCHEME
    sidecar.write_text(json.dumps({**made, "quantization": "every linear layer"}))
    assert _load(model_dir, tiny_encoder, backend="onnx-int8").scorer.path == path
    assert json.loads(sidecar.read_text()) == made


def test_cli_export_onnx_writes_both_files(model_dir):
    _onnx()
    from typer.testing import CliRunner

    from privtag.cli import app

    result = CliRunner().invoke(app, ["export-onnx", str(model_dir), "--int8"])
    assert result.exit_code == 0, result.output
    assert (model_dir / "model.onnx").is_file() and (model_dir / "model.int8.onnx").is_file()
    # both files it writes are named, not the int8 one alone
    assert f"{model_dir / 'model.onnx'} (float32) and {model_dir / 'model.int8.onnx'} (int8)" in (
        " ".join(result.output.split())
    )


def test_cli_export_onnx_never_overwrites_another_folder_or_a_file(model_dir, tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "model.onnx").write_text("my own")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    for out, words in [
        (mine, "is not empty; pass --force"),
        (a_file, "is a file, not a directory"),
        (model_dir / "sub", "inside the input"),
    ]:
        result = CliRunner().invoke(app, ["export-onnx", str(model_dir), "--output", str(out)])
        assert result.exit_code != 0 and words in str(result.exception), result.output
    assert (mine / "model.onnx").read_text() == "my own" and a_file.read_text() == "notes"


def test_cli_export_onnx_of_a_folder_without_a_model_is_a_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    result = CliRunner().invoke(app, ["export-onnx", str(tmp_path)])
    # a PrivtagError, which privtag's entry point prints on one line (not a usage panel)
    assert result.exit_code != 0 and isinstance(result.exception, ModelLoadError)
    assert "missing privtag.json; the model directory is incomplete" in str(result.exception)


def test_cli_export_onnx_of_a_model_without_weights_writes_nothing(model_dir, tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    bare = tmp_path / "bare"
    bare.mkdir()
    for f in model_dir.iterdir():
        if f.suffix == ".json":
            (bare / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["export-onnx", str(bare), "--output", str(out)])
    assert result.exit_code != 0 and isinstance(result.exception, ModelLoadError)
    assert "model.safetensors: missing" in str(result.exception)
    assert not out.exists()


def test_an_onnx_export_folder_given_as_a_model_says_what_it_is(model_dir, tiny_encoder, tmp_path):
    _onnx()
    from privtag.inference.onnx_backend import export_onnx

    out = tmp_path / "exported"
    export_onnx(model_dir, output=out, base=tiny_encoder)
    with pytest.raises(ModelLoadError, match=r"an ONNX export .*give that one with --backend onnx"):
        _load(out, tiny_encoder, backend="onnx")

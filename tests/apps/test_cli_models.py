"""The model commands of the CLI: privtag tag, export and train (tiny models only)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.cli.models import COMPACT_NOTE
from privtag.errors import ModelLoadError, PolicyReadError
from privtag.inference.tagger import Tagger
from privtag.inference.weights import COMPACT_FILE
from privtag.segmentation.document import segment
from privtag.training.recipe import RecipeError

pytestmark = pytest.mark.usefixtures("one_torch_thread")

POLICY = """# Shop Privacy

We collect your name when you order. We keep it for a year.

## Contact

Write to privacy@shop.example with questions.
"""
#: runs privtag's console entry point (privtag.cli:main) in a fresh interpreter
MAIN = [
    sys.executable,
    "-c",
    "import sys; from privtag.cli import main; sys.argv[0] = 'privtag'; main()",
]


@pytest.fixture
def policy_file(tmp_path):
    """A small Markdown policy in tmp_path/shop.md."""
    path = tmp_path / "shop.md"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_tag_and_segment_read_a_policy_from_stdin_given_as_dash(policy_file, trained_tiny):
    from_stdin = CliRunner().invoke(
        app, ["tag", "-", "--model", str(trained_tiny), "--json"], input=POLICY.encode()
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    from_file = CliRunner().invoke(
        app, ["tag", str(policy_file), "--model", str(trained_tiny), "--json"]
    )
    sentences = [json.loads(r.stdout)["sentences"] for r in (from_stdin, from_file)]
    assert sentences[0] == sentences[1]
    # a bad policy on stdin is named so, not as the bytes or text it was read as
    empty = CliRunner().invoke(app, ["tag", "-", "--model", str(trained_tiny)], input=b"  \n")
    assert str(empty.exception).startswith("<stdin>: the policy has no text")
    twice = CliRunner().invoke(app, ["tag", "-", "-", "--model", str(trained_tiny)], input=b"x")
    assert "given more than once" in str(twice.exception) and not twice.stdout
    binary = CliRunner().invoke(app, ["segment", "-"], input=b"\x00\x01\x02\x03abc\x00\x00")
    assert str(binary.exception).startswith("<stdin>: looks like binary data")
    seg = CliRunner().invoke(app, ["segment", "-"], input=POLICY.encode())
    assert (
        seg.exit_code == 0
        and seg.stdout == CliRunner().invoke(app, ["segment", str(policy_file)]).stdout
    )


def test_tag_json(policy_file, trained_tiny):
    result = CliRunner().invoke(
        app, ["tag", str(policy_file), "--model", str(trained_tiny), "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # one policy per line
    data = json.loads(lines[0])
    doc = segment(policy_file)
    assert [s["text"] for s in data["sentences"]] == [s.text for s in doc.sentences]
    assert data["model"] == trained_tiny.name
    assert len(data["summary"]) == 12
    expected = Tagger.load(trained_tiny).tag(policy_file).to_dict()
    assert [s["labels"] for s in data["sentences"]] == [s["labels"] for s in expected["sentences"]]


def test_tag_with_a_baseline_as_batch_and_diff_do(policy_file):
    # the keyword baseline beside a model, from the same command users tag with
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    result = CliRunner().invoke(app, ["tag", str(policy_file), "--model", "rules", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = SystemTagger(RuleTagger()).tag(policy_file).to_dict()
    assert got["model"] == "rules"
    assert [s["labels"] for s in got["sentences"]] == [s["labels"] for s in expected["sentences"]]
    assert any(s["labels"] for s in got["sentences"])
    # options of an encoder are refused, not ignored
    for option in (["--dtype", "float32"], ["--backend", "onnx"], ["--aggregate", "max"]):
        refused = CliRunner().invoke(app, ["tag", str(policy_file), "--model", "rules", *option])
        assert refused.exit_code != 0
        assert f"{option[0]} applies to a fine-tuned model" in str(refused.exception)


def test_a_model_folder_named_rules_is_reached_by_a_path(
    policy_file, trained_tiny, tmp_path, monkeypatch
):
    # "./rules" was read as "rules", the baseline: a folder of that name could not be chosen
    shutil.copytree(trained_tiny, tmp_path / "rules")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["tag", str(policy_file), "--model", "./rules", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decision"]  # a fine-tuned model's decision settings
    baseline = CliRunner().invoke(app, ["tag", str(policy_file), "--model", "rules", "--json"])
    assert json.loads(baseline.stdout)["decision"] == {}


def test_tag_dtype_option(policy_file, trained_tiny):
    runner = CliRunner()
    args = ["tag", str(policy_file), "--model", str(trained_tiny), "--json", "--dtype"]
    result = runner.invoke(app, [*args, "float32"])
    assert result.exit_code == 0, result.output
    expected = Tagger.load(trained_tiny, dtype="float32").tag(policy_file).to_dict()
    got = json.loads(result.stdout)
    assert [s["scores"] for s in got["sentences"]] == [s["scores"] for s in expected["sentences"]]
    result = runner.invoke(app, [*args, "float8"])
    assert "dtype must be one of auto, float32, bfloat16" in str(result.exception)


def test_tag_table_for_several_files(policy_file, trained_tiny, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("We never sell your data. Ask us anything.", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["tag", str(policy_file), str(other), "--model", str(trained_tiny)]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"== {policy_file}" in out and f"== {other}" in out
    for text in (
        "We collect your name when you order.",
        "We never sell your data.",
        "Write to privacy@shop.example with questions.",
    ):
        assert text in out
    assert "strongest evidence" in out


def test_tag_missing_model_is_a_one_line_error(policy_file, tmp_path):
    missing = tmp_path / "no_model"
    proc = subprocess.run(
        [*MAIN, "tag", str(policy_file), "--model", str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"privtag: error: {missing}: no such model directory; give the directory of a "
        "trained model (`privtag train RECIPE` writes one), or none for the shipped model"
    ]


def test_tag_errors_are_privtag_errors(policy_file, trained_tiny, tmp_path):
    """main() prints PrivtagError subclasses on one line; the app raises them."""
    runner = CliRunner()
    result = runner.invoke(app, ["tag", str(tmp_path / "absent.md"), "--model", str(trained_tiny)])
    assert isinstance(result.exception, PolicyReadError)
    (broken := tmp_path / "broken").mkdir()
    result = runner.invoke(app, ["tag", str(policy_file), "--model", str(broken)])
    assert "missing privtag.json" in str(result.exception)


def test_export_writes_a_compact_model(trained_tiny, tiny_encoder, tmp_path):
    out = tmp_path / "compact"
    result = CliRunner().invoke(app, ["export", str(trained_tiny), str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"compact model written to {out}" + COMPACT_NOTE
    assert (out / COMPACT_FILE).is_file() and not (out / "model.safetensors").exists()
    texts = ["We collect your name.", "We keep it for a year. Write to us."]
    full = Tagger.load(trained_tiny).predict_proba(texts)
    compact = Tagger.load(out, base=tiny_encoder).predict_proba(texts)
    diff = float(np.abs(full - compact).max())
    assert diff < 1e-3, f"exported model differs by up to {diff:.2e}"


def write_recipe(recipe, path):
    """``recipe`` as a TOML file (JSON literals of its values are TOML literals)."""
    lines = []
    for table, values in recipe.to_dict().items():
        lines.append(f"[{table}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items() if v is not None]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_train_command(tiny_recipe, tmp_path):
    out = tmp_path / "run"
    recipe = write_recipe(
        tiny_recipe(tmp_path / "ignored", **{"train.max_steps": 1}), tmp_path / "tiny.toml"
    )
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(recipe),
            "--set",
            f"train.output_dir={out}",
            "--set",
            "train.aggregates=max",
            "--export",
            str(tmp_path / "exported"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(x.startswith("validation sentence: micro-F1 ") for x in lines)
    assert any(x.startswith("validation segment: micro-F1 ") for x in lines)
    assert f"saved to {out}" in lines
    assert f"compact model written to {tmp_path / 'exported'}" + COMPACT_NOTE in lines
    meta = json.loads((out / "training.json").read_text())
    assert meta["recipe"]["train"]["max_steps"] == 1
    assert meta["recipe"]["train"]["aggregates"] == ["max"]
    assert (tmp_path / "exported" / COMPACT_FILE).is_file()
    # exporting again over it (--force) replaces the weights but keeps the model card
    (tmp_path / "exported" / "MODEL_CARD.md").write_text("# card\n")
    (tmp_path / "exported" / "stale.bin").write_text("x")
    again = CliRunner().invoke(app, ["export", str(out), str(tmp_path / "exported"), "--force"])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "exported" / "MODEL_CARD.md").read_text() == "# card\n"
    assert not (tmp_path / "exported" / "stale.bin").exists()


def test_train_command_rejects_unknown_settings(tiny_recipe, tmp_path):
    recipe = write_recipe(tiny_recipe(tmp_path), tmp_path / "tiny.toml")
    result = CliRunner().invoke(app, ["train", str(recipe), "--set", "train.epoch=1"])
    assert isinstance(result.exception, RecipeError)
    assert "unknown setting 'train.epoch'; did you mean 'train.epochs'? valid settings: " in str(
        result.exception
    )
    assert not (tmp_path / "config.json").exists()


def test_train_opp115_path_is_kept_verbatim(tiny_recipe, tmp_path):
    out = tmp_path / "run"
    corpus = tmp_path / "op\\p115"
    recipe = write_recipe(
        tiny_recipe(out, **{"train.max_steps": 1, "train.aggregates": ["max"]}),
        tmp_path / "tiny.toml",
    )
    result = CliRunner().invoke(app, ["train", str(recipe), "--opp115", str(corpus)])
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "training.json").read_text())
    assert meta["recipe"]["data"]["opp115"] == str(corpus)


def test_train_base_option_sets_the_encoder(tiny_recipe, tiny_encoder, tmp_path):
    recipe = tiny_recipe(tmp_path / "ignored", **{"train.max_steps": 1})
    recipe.model.base = "a-directory-that-does-not-exist"
    path = write_recipe(recipe, tmp_path / "tiny.toml")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "train",
            str(path),
            "--base",
            str(tiny_encoder),
            "--set",
            f"train.output_dir={out}",
            "--set",
            "train.aggregates=max",
        ],
    )
    assert result.exit_code == 0, result.output
    assert Tagger.load(out).metadata["recipe"]["model"]["base"] == str(tiny_encoder)


def test_evaluate_at_a_threshold_profile(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    model = tmp_path / "m"
    shutil.copytree(trained_tiny, model, ignore=shutil.ignore_patterns("checkpoints"))
    th = json.loads((model / "thresholds.json").read_text())
    th["profiles"] = {"low": {"scale": 0.2}}
    (model / "thresholds.json").write_text(json.dumps(th))
    runs = {}
    for profile in (None, "low"):
        out = tmp_path / f"{profile}.json"
        args = ["evaluate", "--model", str(model), "--data", str(data), "--json", str(out)]
        result = CliRunner().invoke(app, args + (["--thresholds", profile] if profile else []))
        assert result.exit_code == 0, result.output
        runs[profile] = json.loads(out.read_text())["results"][0]
    # thresholds at a fifth of the tuned ones take more labels: recall rises
    assert runs["low"]["scores"]["micro"]["recall"] > runs[None]["scores"]["micro"]["recall"]
    assert runs["low"]["system"] == "m (thresholds low)" and runs[None]["system"] == "m"
    result = CliRunner().invoke(
        app, ["evaluate", "--model", "rules", "--data", str(data), "--thresholds", "low"]
    )
    assert isinstance(result.exception, ModelLoadError)

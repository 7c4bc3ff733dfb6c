"""Commands that write files check every target before the work and never touch an input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.errors import DataError, OutputError, PrivtagError

MODEL_DATA = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"


@pytest.fixture
def data(tmp_path) -> Path:
    """A copy of the model_data fixtures (annotations and their policies) in tmp_path/data."""
    return Path(shutil.copytree(MODEL_DATA, tmp_path / "data"))


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_evaluate_never_overwrites_its_input(data):
    annotations = data / "validation" / "quill.jsonl"
    before = annotations.read_bytes()
    for option in ("--json", "--markdown"):
        result = run("evaluate", "--model", "rules", "--data", annotations, option, annotations)
        assert isinstance(result.exception, OutputError)
        assert str(result.exception) == (
            f"{option} {annotations} is an input of this command; write it elsewhere"
        )
    # with --force too, and when the data is given as its directory
    result = run(
        "evaluate", "--model", "rules", "--data", data / "validation", "--json", annotations,
        "--force",
    )  # fmt: skip
    assert "is inside the input" in str(result.exception)
    assert annotations.read_bytes() == before


def test_evaluate_checks_outputs_before_reading_data(tmp_path):
    """The data does not exist: an output error shows the check came first."""
    (adir := tmp_path / "adir").mkdir()
    missing = tmp_path / "nothing.jsonl"
    cases = {
        ("--json", tmp_path / "no" / "r.json"): "the directory .*no does not exist",
        ("--json", adir): "is a directory; give a file name",
        ("--chart", adir): r"the file name must end in \.png or \.svg",
        ("--chart", tmp_path / "r.txt"): r"the file name must end in \.png or \.svg",
    }
    for (option, target), message in cases.items():
        result = run("evaluate", "--model", "rules", "--data", missing, option, target)
        assert isinstance(result.exception, OutputError), result.output
        assert re.search(message, str(result.exception)), str(result.exception)
    assert [p.name for p in tmp_path.iterdir()] == ["adir"]  # nothing written
    # and without outputs the same command fails on the data itself
    result = run("evaluate", "--model", "rules", "--data", missing)
    assert isinstance(result.exception, PrivtagError)
    assert not isinstance(result.exception, OutputError)
    assert "file not found" in str(result.exception)


def test_evaluate_replaces_existing_outputs_only_with_force(data, tmp_path):
    out = tmp_path / "r.json"
    out.write_text("keep me")
    args = ["evaluate", "--model", "rules", "--data", data / "validation", "--bootstrap", "5"]
    result = run(*args, "--json", out)
    assert isinstance(result.exception, OutputError)
    assert "already exists; pass --force to replace it" in str(result.exception)
    assert out.read_text() == "keep me"
    chart = tmp_path / "f1.png"
    result = run(*args, "--json", out, "--chart", chart, "--force")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["results"][0]["system"] == "rules"
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "f1.png", "r.json"]


def test_data_report_markdown_is_checked_first(data, tmp_path):
    report = tmp_path / "report.md"
    report.write_text("old report")
    base = ["data-report", "--opp115", tmp_path / "no_opp115", "--annotations", data / "train"]
    result = run(*base, "--markdown", report)
    assert "already exists; pass --force" in str(result.exception)
    result = run(*base, "--markdown", data / "train" / "lumen.jsonl", "--force")
    assert "is inside the input" in str(result.exception)
    assert report.read_text() == "old report"


def test_benchmark_checks_its_outputs_before_the_corpus(tmp_path):
    base = ["benchmark", "--opp115", tmp_path / "no_opp115"]
    result = run(*base, "--out", tmp_path / "missing" / "RESULTS.md")
    assert "does not exist; create it first" in str(result.exception)
    (tfidf := tmp_path / "tfidf").mkdir()
    (tfidf / "old").write_text("x")
    result = run(*base, "--no-write", "--tfidf-out", tfidf)
    assert "is not empty; pass --force" in str(result.exception)
    # only a Markdown file gets a benchmark section
    (notes := tmp_path / "notes.txt").write_text("mine\n")
    result = run(*base, "--out", notes)
    assert "the file name must end in .md or .markdown" in str(result.exception)
    assert notes.read_text() == "mine\n"
    # an existing results file is the one the benchmark updates: no --force needed
    (results := tmp_path / "RESULTS.md").write_text("# Results\n")
    result = run(*base, "--out", results)
    assert isinstance(result.exception, DataError)  # got past the output checks
    assert "OPP-115 not found" in str(result.exception)


def test_train_export_is_checked_before_training(tmp_path, data):
    recipe = tmp_path / "r.toml"
    # no training data: training itself would fail with a DataError
    recipe.write_text(
        f'[data]\ntrain = ["{tmp_path / "none.jsonl"}"]\n'
        f'[train]\noutput_dir = "{tmp_path / "run"}"\n'
    )
    (full := tmp_path / "exported").mkdir()
    (full / "weights").write_text("x")
    cases = {
        full: "is not empty; pass --force",
        tmp_path / "run": "would write the same place",
        tmp_path / "run" / "compact": "would write the same place",
        recipe: "is an input of this command",
        tmp_path / "no" / "model": "does not exist; create it first",
    }
    for target, message in cases.items():
        result = run("train", recipe, "--export", target)
        assert isinstance(result.exception, OutputError), (target, result.output)
        assert message in str(result.exception)
    result = run("train", recipe, "--set", f'data.train=["{data / "train"}"]', "--export", data)
    assert "holds the input" in str(result.exception)
    # the run's folder is made with its parents (runs/ need not exist on a fresh clone)
    result = run("train", recipe, "--set", f'train.output_dir="{tmp_path / "new" / "run"}"')
    assert not isinstance(result.exception, OutputError), result.output
    # the run's own folder may hold files (a resumed run), but never the recipe's inputs
    for run_dir in (data, data / "train" / "run"):
        result = run(
            "train", recipe, "--set", f'data.train=["{data / "train"}"]',
            "--set", f'train.output_dir="{run_dir}"',
        )  # fmt: skip
        assert isinstance(result.exception, OutputError), result.output
        assert "train.output_dir" in str(result.exception)
    assert (full / "weights").read_text() == "x"
    assert not (tmp_path / "run").exists()  # training never started


def test_export_and_tune_outputs(trained_tiny, tmp_path, data):
    (full := tmp_path / "full").mkdir()
    (full / "stale").write_text("x")
    result = run("export", trained_tiny, full)
    assert "OUT" in str(result.exception) and "is not empty; pass --force" in str(result.exception)
    result = run("export", trained_tiny, full, "--force")
    assert result.exit_code == 0, result.output
    assert not (full / "stale").exists() and (full / "privtag.json").is_file()
    result = run("export", trained_tiny, trained_tiny / "sub", "--force")
    assert "is inside the input" in str(result.exception)
    result = run("tune", trained_tiny, "--data", data / "validation", "--out", trained_tiny)
    assert "is an input of this command" in str(result.exception)


def test_tune_in_place_keeps_files_it_does_not_write(trained_tiny, tmp_path, data):
    model = Path(shutil.copytree(trained_tiny, tmp_path / "model"))
    (model / "MODEL_CARD.md").write_text("card")
    result = run("tune", model, "--data", data / "validation", "--force")
    assert result.exit_code == 0, result.output
    assert (model / "MODEL_CARD.md").read_text() == "card"
    meta = json.loads((model / "training.json").read_text())
    assert meta["tuned"]["on"] == [str(data / "validation")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "model"]

"""privtag tune: re-tuning a model, fitting threshold profiles, and refusing bad values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.errors import ModelLoadError
from privtag.inference.tagger import Tagger
from privtag.labels import LABEL2ID

pytestmark = pytest.mark.usefixtures("one_torch_thread")

POLICY = """# Shop Privacy

We collect your name when you order. We keep it for a year.

## Contact

Write to privacy@shop.example with questions.
"""


def test_tune_rewrites_thresholds_and_records_the_data(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    out = tmp_path / "tuned"
    result = CliRunner().invoke(
        app, ["tune", str(trained_tiny), "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "sentence: micro-F1" in result.output and "aggregate:" in result.output
    tuned = Tagger.load(out)
    assert tuned.metadata["tuned"]["on"] == [str(data)]
    assert set(tuned.thresholds["paragraph_by_aggregate"]) >= {"max", "direct"}
    assert (
        tuned.thresholds["paragraph"]
        == (tuned.thresholds["paragraph_by_aggregate"][tuned.settings["aggregate"]])
    )


def test_retuning_on_data_without_a_label_keeps_its_threshold(trained_tiny, tmp_path):
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"
    data = tmp_path / "data"
    data.mkdir()
    gone = "Data Security"
    with (data / "quill.jsonl").open("w") as f:
        for line in (fixtures / "validation" / "quill.jsonl").read_text().splitlines():
            record = json.loads(line)
            record["labels"] = [lab for lab in record["labels"] if lab != gone]
            f.write(json.dumps(record) + "\n")
    before = Tagger.load(trained_tiny).thresholds["sentence"][LABEL2ID[gone]]
    out = tmp_path / "tuned"
    args = ["tune", str(trained_tiny), "--data", str(data), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--policies", str(fixtures / "policies")])
    assert result.exit_code == 0, result.output
    # it was reset to 0.5 before: a label the data lacks stopped being decided as trained
    assert Tagger.load(out).thresholds["sentence"][LABEL2ID[gone]] == before != 0.5
    kept = next(line for line in result.output.splitlines() if line.startswith("sentence thr"))
    assert kept.startswith("sentence thresholds kept, as the tuning data's sentences cannot")
    assert kept.endswith(f": {gone}") or f": {gone}, " in kept or f", {gone}" in kept
    assert "a development figure, not a result" in result.output


def test_tuning_on_policies_the_model_trained_on_warns(trained_tiny, tmp_path):
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"
    result = CliRunner().invoke(
        app,
        [
            "tune",
            str(trained_tiny),
            "--data",
            str(fixtures / "train"),
            "--out",
            str(tmp_path / "t"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "trained on 2 of these policies (lumen, northwind): thresholds fitted" in (result.output)


def test_tune_profile_fits_a_profile_that_tag_thresholds_uses(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    out = tmp_path / "profiled"
    result = CliRunner().invoke(
        app,
        ["tune", str(trained_tiny), "--profile", "modern", "--data", str(data), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (
        "profile 'modern' (f1): shared scale" in result.output
        and "(per label)" in result.output
        and "--thresholds modern" in result.output
    )
    tuned, before = Tagger.load(out), Tagger.load(trained_tiny)
    assert tuned.thresholds["profiles"]["modern"]["fitted_on"] == [str(data)]
    assert tuned.thresholds["sentence"] == before.thresholds["sentence"]  # kept as tuned
    policy = tmp_path / "shop.md"
    policy.write_text(POLICY)
    result = CliRunner().invoke(
        app, ["tag", str(policy), "--model", str(out), "--json", "--thresholds", "modern"]
    )
    assert result.exit_code == 0, result.output
    tagged = json.loads(result.stdout.splitlines()[0])
    assert tagged["decision"]["profile"] == "modern"
    result = CliRunner().invoke(
        app, ["tag", str(policy), "--model", str(out), "--thresholds", "legal"]
    )
    assert isinstance(result.exception, ModelLoadError)
    assert "no threshold profile 'legal' (it has: auto, default, modern)" in str(result.exception)


def test_tune_objective_is_checked_before_any_work(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    args = ["tune", str(trained_tiny), "--data", str(data), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, [*args, "--profile", "p", "--objective", "recall"])
    words = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert result.exit_code == 2 and "must be one of f1, balanced, not 'recall'" in words
    result = CliRunner().invoke(app, [*args, "--objective", "balanced"])
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "--objective is for fitting a threshold profile" in words
    assert not (tmp_path / "o").exists()
    result = CliRunner().invoke(app, [*args, "--profile", "counts", "--objective", "balanced"])
    assert result.exit_code == 0 and "profile 'counts' (balanced)" in result.output, result.output
    saved = json.loads((tmp_path / "o" / "thresholds.json").read_text())["profiles"]["counts"]
    assert saved["objective"] == "balanced"


def test_tune_profile_in_place_keeps_other_files_and_retune_drops_profiles(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    model = tmp_path / "m"
    shutil.copytree(trained_tiny, model, ignore=shutil.ignore_patterns("checkpoints"))
    (model / "MODEL_CARD.md").write_text("card")
    result = CliRunner().invoke(
        app, ["tune", str(model), "--profile", "cur", "--data", str(data), "--auto", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert "--thresholds auto now gives 'cur'" in result.output
    assert (model / "MODEL_CARD.md").read_text() == "card"
    saved = json.loads((model / "thresholds.json").read_text())
    assert "cur" in saved["profiles"] and saved["auto"] == {"gdpr_era": "cur"}
    # --alone adds the profile of sentences scored alone, keeping the rule --auto wrote
    args = ["tune", str(model), "--profile", "one", "--data", str(data), "--alone", "--force"]
    result = CliRunner().invoke(app, args)
    assert "--thresholds auto now gives 'one' to sentences scored alone" in result.output
    saved = json.loads((model / "thresholds.json").read_text())
    assert saved["auto"] == {"gdpr_era": "cur", "alone": "one"}
    # a model saved with that profile in use (privtag.json "profile") ...
    Tagger.load(model, thresholds="cur").save_pretrained(model)
    assert json.loads((model / "privtag.json").read_text())["profile"] == "cur"
    # re-tuning changes the thresholds a profile was fitted on: the profile goes, saying so,
    # and so does the rule that named it (and the use of it: the model still loads)
    # in place only with --force, which the refusal asks for, naming what would go
    result = CliRunner().invoke(app, ["tune", str(model), "--data", str(data)])
    words = " ".join(result.output.replace("│", " ").split())
    assert (
        result.exit_code == 2 and "dropping its threshold profiles cur, one: add --force" in words
    )
    assert "cur" in json.loads((model / "thresholds.json").read_text())["profiles"]
    result = CliRunner().invoke(app, ["tune", str(model), "--data", str(data), "--force"])
    assert result.exit_code == 0, result.output
    assert "threshold profiles dropped (fitted on the old thresholds): cur, one" in result.output
    assert "add --auto --alone to make it the one --thresholds auto uses" in result.output
    saved = json.loads((model / "thresholds.json").read_text())
    assert "profiles" not in saved and "auto" not in saved
    assert "profile" not in json.loads((model / "privtag.json").read_text())
    assert Tagger.load(model).profile == "auto"  # still a valid model


@pytest.mark.parametrize(
    "args, words",
    [
        (["--profile", " "], "give the profile a name"),
        (["--aggregate-tolerance", "-1"], "must be a macro-F1 difference from 0 to 1, not -1.0"),
        (["--aggregate-tolerance", "nan"], "must be a macro-F1 difference from 0 to 1, not nan"),
    ],
)
def test_tune_refuses_empty_and_impossible_values(trained_tiny, tmp_path, args, words):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app, ["tune", str(trained_tiny), "--data", str(data), "--out", str(out), *args]
    )
    assert result.exit_code == 2 and words in " ".join(result.output.replace("│", " ").split())
    assert not out.exists()


def test_tune_profile_needs_data(trained_tiny, tmp_path):
    result = CliRunner().invoke(
        app, ["tune", str(trained_tiny), "--profile", "modern", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code != 0 and "--profile needs --data" in result.output


def test_tune_auto_needs_profile(trained_tiny, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data" / "validation"
    args = ["tune", str(trained_tiny), "--data", str(data), "--auto", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, args)
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "--auto names the profile fitted by --profile" in words
    result = CliRunner().invoke(app, [*args[:-3], "--alone", *args[-2:]])
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "--alone names the profile fitted by --profile" in words
    assert not (tmp_path / "o").exists()

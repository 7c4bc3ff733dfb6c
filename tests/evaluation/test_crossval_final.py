"""The model to ship after cross-validation: the run's best row, its out-of-fold thresholds."""

from __future__ import annotations

import json

import pytest

from privtag.errors import DataError
from privtag.evaluation.crossval import RECIPE_FILE, run_crossval
from privtag.evaluation.crossval_final import choose_row, parse_rule, train_final
from privtag.evaluation.crossval_report import crossval_report, shipped_thresholds
from privtag.inference.tagger import Tagger


def test_parse_rule_knows_the_report_names():
    assert parse_rule("shrunk") == ("shrunk", False)
    assert parse_rule("per_label + top label") == ("per_label", True)
    with pytest.raises(DataError, match="'median' is not one of: per_label, global"):
        parse_rule("median")


@pytest.fixture
def tiny_run(tiny_opp115_run):
    return tiny_opp115_run("final")


@pytest.mark.usefixtures("one_torch_thread")
def test_final_model_is_decided_as_the_run_measured(tiny_run, tmp_path):
    recipe, run = tiny_run
    assert (run / RECIPE_FILE).is_file()
    report = crossval_report(recipe, run, n_bootstrap=20)
    best = choose_row(report, None, None)
    model_rows = [r for r in report.rows if r.system.startswith("privtag")]
    assert best.segment.scores["macro"]["f1"] == max(
        r.segment.scores["macro"]["f1"] for r in model_rows
    )
    train_final(recipe, run, "direct", "shrunk + top label", n_bootstrap=20, echo=lambda s: None)
    tagger = Tagger.from_pretrained(recipe.train.output_dir)
    assert tagger.settings["aggregate"] == "direct"
    assert tagger.settings["fallback"] == "paragraph"
    expected = shipped_thresholds(recipe, run, "direct", "shrunk")
    assert tagger.thresholds["sentence"] == pytest.approx(expected["sentence"])
    assert tagger.thresholds["paragraph"] == pytest.approx(expected["paragraph"])
    assert set(tagger.thresholds["paragraph_by_aggregate"]) == {"max", "direct"}
    cv = tagger.metadata["crossval"]
    assert cv["decision"] == "shrunk + top label" and cv["n_policies"] == 2
    assert cv["recipe_checked"] is True and 0 <= cv["segment"]["macro"] <= 1
    # trained on every policy of the run, none held out
    assert tagger.metadata["data"]["segment"]["policies"] == 2


@pytest.mark.usefixtures("one_torch_thread")
def test_final_model_refuses_a_run_of_another_recipe(tiny_run):
    recipe, run = tiny_run
    recipe.model.context_dropout = 0.5
    with pytest.raises(DataError, match=r"model.context_dropout = 0.0, this recipe has 0.5"):
        train_final(recipe, run, echo=lambda s: None)
    # resuming the run with the other recipe is refused the same way
    with pytest.raises(DataError, match="context_dropout"):
        run_crossval(recipe, run, n_folds=2, echo=lambda s: None)
    saved = json.loads((run / RECIPE_FILE).read_text())
    assert saved["model"]["context_dropout"] == 0.0


def test_final_model_refuses_a_run_folder_that_does_not_exist(tiny_run, tmp_path):
    recipe, _ = tiny_run
    with pytest.raises(DataError, match="no such run folder; run `privtag crossval RECIPE"):
        train_final(recipe, tmp_path / "nowhere", echo=lambda s: None)


def test_cli_decision_needs_a_crossval_run(tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    recipe = tmp_path / "r.toml"
    recipe.write_text('[data]\ntrain = ["opp115:train"]\n')
    result = CliRunner().invoke(app, ["train", str(recipe), "--decision", "shrunk"])
    assert (
        result.exit_code == 2 and "--decision and --aggregate need --crossval RUN" in result.output
    )


@pytest.mark.usefixtures("one_torch_thread")
def test_run_recipe_check_knows_new_settings_and_fold_teachers(tiny_run):
    from privtag.evaluation.crossval import check_run_recipe

    recipe, run = tiny_run
    path = run / RECIPE_FILE
    saved = json.loads(path.read_text())
    # a run made before model.layers existed was, in effect, at its default (0: all)
    del saved["model"]["layers"]
    saved["train"]["teacher"] = ["runs/cv-teacher/fold{fold}/model"]
    path.write_text(json.dumps(saved))
    recipe.train.teacher = ["runs/teacher"]  # the final model's teacher saw every policy
    assert check_run_recipe(recipe, run) is True
    recipe.model.layers = 3
    with pytest.raises(DataError, match=r"model.layers = 0, this recipe has 3"):
        check_run_recipe(recipe, run)
    recipe.model.layers = 0
    saved["train"]["teacher"] = ["runs/teacher-a"]  # no {fold}: the same teacher is required
    path.write_text(json.dumps(saved))
    with pytest.raises(DataError, match=r"train\.teacher"):
        check_run_recipe(recipe, run)


@pytest.mark.usefixtures("one_torch_thread")
def test_run_refuses_a_base_encoder_changed_in_place(tiny_run, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    from privtag.evaluation.crossval import ENCODER_KEY, check_run_recipe, encoder_fingerprint

    recipe, run = tiny_run
    path = run / RECIPE_FILE
    saved = json.loads(path.read_text())
    assert saved[ENCODER_KEY] == encoder_fingerprint(recipe.model.base)
    # the same path, other weights: as if the encoder were adapted again where it was
    moved = tmp_path / "encoder"
    shutil.copytree(recipe.model.base, moved)
    saved[ENCODER_KEY] = encoder_fingerprint(str(moved))
    recipe.model.base = str(moved)
    saved["model"]["base"] = str(moved)
    path.write_text(json.dumps(saved))
    assert check_run_recipe(recipe, run) is True
    weights = load_file(moved / "model.safetensors")
    name = next(iter(weights))
    weights[name] = weights[name] + 1
    save_file(weights, moved / "model.safetensors")
    with pytest.raises(DataError, match=r"holds other weights than the run was made with"):
        check_run_recipe(recipe, run)
    with pytest.raises(DataError, match="other weights"):
        train_final(recipe, run, echo=lambda s: None)

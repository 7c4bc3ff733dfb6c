"""Fine-tuning with train(recipe): loss, determinism, data checks, tuning, saved metadata."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from privtag.data import load_units
from privtag.data.annotations import read_annotations
from privtag.errors import DataError
from privtag.inference.model import PrivtagClassifier
from privtag.inference.tagger import AGGREGATES, Tagger
from privtag.inference.weights import load_model
from privtag.labels import LABELS, NUM_LABELS
from privtag.training.recipe import RecipeError
from privtag.training.train import train
from privtag.training.trainer import pos_weights

pytestmark = pytest.mark.usefixtures("one_torch_thread")

MODEL_DATA = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"


def bce(tagger, ds) -> float:
    """Mean binary cross-entropy of ``tagger``'s sentence scores on the units of ``ds``."""
    units = [
        {"text": t, "section": s, "previous": p}
        for t, s, p in zip(ds["text"], ds["section"], ds["previous"], strict=True)
    ]
    p = np.clip(tagger._score(units, tagger.settings["max_length"]), 1e-7, 1 - 1e-7)
    y = np.zeros_like(p)
    for i, row in enumerate(ds["labels"]):
        y[i, row] = 1
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


# ---------------------------------------------------------------- training


def test_training_lowers_the_loss(tiny_recipe, tiny_tagger, tiny_encoder, tmp_path):
    recipe = tiny_recipe(tmp_path)
    units = load_units(recipe.data.train, "sentence")
    torch.manual_seed(recipe.train.seed)
    untrained = Tagger(
        PrivtagClassifier.from_base(tiny_encoder).eval(),
        tiny_tagger.tokenizer,
        tiny_tagger.settings,
    )
    before, after = bce(untrained, units), bce(tiny_tagger, units)
    assert after < 0.8 * before, f"training loss {before:.3f} -> {after:.3f}"


def test_same_seed_same_weights(tiny_recipe, trained_tiny, tmp_path):
    again = train(tiny_recipe(tmp_path / "again"))
    first = load_model(trained_tiny).state_dict()
    second = again.model.state_dict()
    assert first.keys() == second.keys()
    different = [k for k in first if not torch.equal(first[k], second[k])]
    assert not different, f"weights differ between two runs with the same seed: {different}"
    assert again.thresholds == json.loads((trained_tiny / "thresholds.json").read_text())


def test_another_seed_other_weights(tiny_recipe, trained_tiny, tmp_path):
    other = train(tiny_recipe(tmp_path, **{"train.seed": 8, "train.max_steps": 2}))
    first = load_model(trained_tiny).state_dict()["classifier.weight"]
    assert not torch.equal(first, other.model.state_dict()["classifier.weight"])


def test_output_directory_and_metadata(trained_tiny, tiny_tagger, tiny_recipe):
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "privtag.json",
        "thresholds.json",
        "training.json",
    ):
        assert (trained_tiny / name).is_file(), name
    meta = json.loads((trained_tiny / "training.json").read_text())
    assert meta == json.loads(json.dumps(tiny_tagger.metadata))
    assert meta["recipe"] == json.loads(json.dumps(tiny_recipe(trained_tiny).to_dict()))
    assert meta["data"]["sentence"]["train"] == {"units": 33, "policies": 2}
    assert meta["data"]["sentence"]["validation"] == {"units": 20, "policies": 1}
    assert meta["data"]["segment"]["train"] == {"units": 24, "policies": 2}
    assert meta["train_windows"] == 33 + 24
    assert meta["eval_history"] and "eval_macro_f1" in meta["eval_history"][-1]
    assert set(meta["versions"]) >= {"privtag", "torch", "transformers", "datasets", "python"}
    v = meta["validation"]
    assert v["aggregate"] in AGGREGATES and v["aggregate"] == tiny_tagger.settings["aggregate"]
    assert {f"segment[{a}]" for a in AGGREGATES} <= set(v)
    assert v["segment"]["macro"] == max(v[f"segment[{a}]"]["macro"] for a in AGGREGATES)
    assert set(v["sentence"]["per_label"]) == set(LABELS)


def test_a_finished_model_is_replaced_only_with_force(tiny_recipe, trained_tiny, tmp_path):
    import shutil

    from privtag.errors import OutputError

    done = shutil.copytree(trained_tiny, tmp_path / "done")
    before = (done / "model.safetensors").read_bytes()
    with pytest.raises(OutputError, match="holds a trained model; pass --force"):
        train(tiny_recipe(done, **{"train.max_steps": 1}))
    assert (done / "model.safetensors").read_bytes() == before  # refused before any work
    assert not (trained_tiny / "checkpoints").exists()  # a finished run keeps no pickles


def test_a_folder_of_other_files_is_written_into_only_with_force(tiny_recipe, tmp_path):
    from privtag.errors import OutputError
    from privtag.training.train import check_output_dir

    mine = tmp_path / "myproj"
    mine.mkdir()
    (mine / "config.json").write_text('{"my": "project settings"}')
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"holds files a training run does not write \("):
        train(tiny_recipe(mine, **{"train.max_steps": 1}))
    assert (mine / "config.json").read_text() == '{"my": "project settings"}'
    check_output_dir(mine, force=True)  # --force writes among them
    # an unfinished run's checkpoints, or an empty folder, are a run's own
    (run := tmp_path / "run" / "checkpoints").mkdir(parents=True)
    check_output_dir(run.parent)
    check_output_dir(tmp_path / "new")


def test_train_counts_the_policy_texts_beside_the_annotations_as_inputs(tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    shutil.copytree(MODEL_DATA, tmp_path / "d")
    result = CliRunner().invoke(
        app,
        ["train", "train/default.toml", "--set", f'data.train=["{tmp_path}/d/train"]',
         "--set", f'data.validation=["{tmp_path}/d/validation"]',
         "--set", f"train.output_dir={tmp_path}/d/policies/run"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "is inside the input" in str(result.exception) and "policies" in str(result.exception)
    assert not (tmp_path / "d" / "policies" / "run").exists()


# ---------------------------------------------------------------- bad data


def test_label_without_examples_is_named_in_a_warning(tiny_recipe, tmp_path, caplog):
    only = MODEL_DATA / "train" / "lumen.jsonl"
    present = {x for r in read_annotations([only]) for x in r["labels"]}
    absent = [x for x in LABELS if x not in present]
    assert absent
    recipe = tiny_recipe(
        tmp_path,
        **{
            "data.train": [str(only)],
            "data.levels": ["sentence"],
            "train.select_on": "sentence",
            "train.max_steps": 1,
            "train.aggregates": ["max"],
        },
    )
    with caplog.at_level(logging.WARNING, logger="privtag.training.train"):
        train(recipe)
    warnings = [
        r
        for r in caplog.records
        if r.name == "privtag.training.train" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert message.startswith("no training examples for: ")
    for name in absent:
        assert name in message
    for name in present:
        assert name not in message


def test_all_labels_present_no_warning(tiny_recipe, tmp_path, caplog):
    recipe = tiny_recipe(tmp_path, **{"data.validation": []})
    with (
        caplog.at_level(logging.WARNING, logger="privtag.training.train"),
        pytest.raises(DataError, match="no validation units at level 'segment' in \\[\\]"),
    ):
        train(recipe)
    assert not [r for r in caplog.records if r.name == "privtag.training.train"]


def test_empty_training_data(tiny_recipe, tmp_path):
    with pytest.raises(
        DataError,
        match=r"no training units in \[\] at levels "
        r"\['sentence', 'segment'\]; check data.train",
    ):
        train(tiny_recipe(tmp_path, **{"data.train": []}))
    empty = tmp_path / "annotations" / "empty.jsonl"
    empty.parent.mkdir()
    empty.write_text("")
    with pytest.raises(DataError, match=r"no annotation records in .*empty\.jsonl"):
        train(tiny_recipe(tmp_path / "out", **{"data.train": [str(empty)]}))


@pytest.mark.parametrize(
    ("setting", "value", "error", "message"),
    [
        ("data.levels", ["sentences"], RecipeError,
         "recipe: data.levels must be a non-empty list of: sentence, segment, not ['sentences']"),
        # a recipe changed in code is checked as a loaded one is (Recipe.check)
        ("train.aggregates", ["mean"], RecipeError,
         "recipe: train.aggregates must be a non-empty list of: max, noisy_or"),
        ("train.pos_weight", "log", RecipeError,
         "recipe: train.pos_weight must be none or sqrt, not 'log'"),
    ],
)  # fmt: skip
def test_bad_recipe_values(tiny_recipe, tmp_path, setting, value, error, message):
    recipe = tiny_recipe(tmp_path)
    section, _, key = setting.partition(".")
    setattr(getattr(recipe, section), key, value)
    with pytest.raises(error, match="^" + message.replace("[", r"\[")):
        train(recipe)


# ---------------------------------------------------------------- units


def test_load_units_sentences_and_paragraphs(tiny_recipe, tmp_path):
    recipe = tiny_recipe(tmp_path)
    sents = load_units(recipe.data.train, "sentence")
    paras = load_units(recipe.data.train, "segment")
    assert sents.num_rows == 33 and paras.num_rows == 24
    assert sorted(set(sents["policy"])) == ["lumen", "northwind"]
    # a paragraph unit: its sentences joined, the union of their labels
    row = next(r for r in paras if r["text"].startswith("We keep game progress"))
    assert row["text"] == (
        "We keep game progress for two years after your last login. "
        "All data is encrypted in transit and at rest."
    )
    assert [LABELS[i] for i in row["labels"]] == ["Data Retention", "Data Security"]
    assert row["section"] == ["Northwind Games Privacy Policy", "Retention and security"]
    with pytest.raises(DataError, match="no data sources"):
        load_units([], "sentence")


def test_load_units_from_opp115(opp115_dir, tiny_recipe, tmp_path):
    recipe = tiny_recipe(tmp_path, **{"data.opp115": str(opp115_dir)})
    ds = load_units(
        ["opp115:validation", str(MODEL_DATA / "validation")], "segment", recipe.data.opp115
    )
    assert len(set(ds["policy"])) == 11
    assert set(ds["source"]) >= {"opp115"}


def test_pos_weight():
    y = np.zeros((10, NUM_LABELS))
    y[:1, 0] = 1  # 1 positive, 9 negatives
    y[:5, 1] = 1  # 5 and 5
    w = pos_weights(y, "sqrt", 2.5)
    assert w[0] == 2.5 and w[1] == 1.0 and w[2] == 2.5  # capped; no positives: capped too
    assert pos_weights(y, "none", 2.5) is None


def test_select_on_must_be_a_level(tiny_recipe, tmp_path):
    with pytest.raises(RecipeError, match=r"train\.select_on must be sentence or segment"):
        train(tiny_recipe(tmp_path, **{"train.select_on": "paragraph"}))


def test_units_without_a_paragraph_are_not_merged(tmp_path):

    export = Path(__file__).resolve().parents[1] / "fixtures" / "data_exports" / "doccano.jsonl"
    sentences = load_units([f"doccano:{export}"], "sentence")
    assert set(sentences["paragraph"]) == {-1}
    segments = load_units([f"doccano:{export}"], "segment")
    assert segments.num_rows == sentences.num_rows


def test_loss_check_tells_a_run_that_learned_from_one_that_did_not():
    from privtag.training.train import loss_check

    logs = lambda xs: [{"loss": x} for x in xs] + [{"eval_loss": 9.0}]  # noqa: E731
    # healthy runs of the shipped recipes end at 0.28-0.47 of their first logged loss
    assert loss_check(logs([0.59, 0.30, 0.20, 0.18] + [0.16] * 6 + [0.17]))["stalled"] is False
    assert loss_check(logs([0.56, 0.40, 0.30] + [0.26] * 7 + [0.25]))["stalled"] is False
    # mpnet-base at 5e-5 collapsed to the label priors
    flat = loss_check(logs([0.65, 0.54, 0.54, 0.52] + [0.53] * 6 + [0.52]))
    assert flat == {"first": 0.65, "last": 0.5267, "stalled": True}
    assert loss_check(logs([0.65, 0.54, 0.53] * 3)) is None  # too few logs to tell


def test_a_policy_in_both_training_and_validation_is_refused_before_training(tiny_recipe, tmp_path):
    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"
    recipe = tiny_recipe(
        tmp_path / "out",
        **{"data.train": [str(data / "train"), str(data / "validation" / "quill.jsonl")]},
    )
    with pytest.raises(DataError, match=r"1 policies are also in data.train \(quill\)"):
        train(recipe)
    assert not (tmp_path / "out" / "model.safetensors").exists()

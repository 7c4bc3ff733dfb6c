"""Cross-validation by policy: fold dealing, the fold run on tiny fixtures, resumption."""

from __future__ import annotations

import json

import numpy as np
import pytest

from privtag.errors import DataError
from privtag.evaluation.crossval import SCORES_FILE, UNITS_FILE, fold_of, policy_folds, run_crossval


def test_policy_folds_partition_every_policy_once():
    names = [f"p{i}" for i in range(23)]
    sizes = {p: (i * 7) % 11 + 1 for i, p in enumerate(names)}
    folds = policy_folds(names, 5, seed=3, sizes=sizes)
    flat = [p for f in folds for p in f]
    assert sorted(flat) == sorted(names)  # no policy lost, none in two folds
    assert len(flat) == len(set(flat))
    loads = [sum(sizes[p] for p in f) for f in folds]
    assert max(loads) - min(loads) <= max(sizes.values())  # balanced by units


def test_policy_folds_deterministic_and_seeded():
    names = [f"p{i}" for i in range(20)]
    assert policy_folds(names, 4, seed=1) == policy_folds(names, 4, seed=1)
    assert policy_folds(names, 4, seed=1) != policy_folds(names, 4, seed=2)


def test_policy_folds_refuses_too_few_policies():
    with pytest.raises(DataError, match="cannot fill 3 folds"):
        policy_folds(["a", "b"], 3, seed=0)
    with pytest.raises(DataError, match="at least 2"):
        policy_folds(["a", "b"], 1, seed=0)


def test_fold_of_maps_units_to_their_policy_fold():
    assert fold_of(["b", "a", "z"], [["a"], ["b"]]).tolist() == [1, 0, -1]


@pytest.mark.usefixtures("one_torch_thread")
def test_run_crossval_scores_each_policy_out_of_fold_and_resumes(tiny_recipe, fixtures, tmp_path):
    opp = fixtures / "opp115_small"
    recipe = tiny_recipe(
        tmp_path / "unused",
        **{
            "data.train": ["opp115:train"],
            "data.validation": ["opp115:validation"],
            "data.opp115": str(opp),
            "train.max_steps": 2,
        },
    )
    out = tmp_path / "cv"
    lines: list[str] = []
    run_crossval(recipe, out, n_folds=2, echo=lines.append)
    folds = json.loads((out / "folds.json").read_text())["folds"]
    assert sorted(p for f in folds for p in f) == ["1_alpha.example", "2_beta.example"]
    for k in range(2):
        units = json.loads((out / f"fold{k}" / UNITS_FILE).read_text())
        # a fold scores exactly its own policies: never one it was trained on
        assert set(units["sentence"]["policy"]) == set(folds[k])
        arrays = np.load(out / f"fold{k}" / SCORES_FILE)
        n = len(units["sentence"]["policy"])
        assert arrays["sentence"].shape == (n, 12)
        assert arrays["lone:max"].shape == (n, 12)
        assert arrays["segment:direct"].shape == (len(units["segment"]["policy"]), 12)
        assert not (out / f"fold{k}" / "checkpoints").exists()
    lines.clear()
    run_crossval(recipe, out, n_folds=2, echo=lines.append)  # resumes: nothing left to do
    assert sum("done already" in line for line in lines) == 2
    saved = json.loads((out / "folds.json").read_text())
    saved["folds"] = saved["folds"][::-1]  # as if an earlier run had dealt them otherwise
    (out / "folds.json").write_text(json.dumps(saved))
    with pytest.raises(DataError, match="folds differ"):
        run_crossval(recipe, out, n_folds=2, echo=lines.append)


@pytest.mark.filterwarnings("ignore::privtag.inference.model.EmulatedBfloat16Warning")
@pytest.mark.usefixtures("one_torch_thread")
def test_bfloat16_training_runs_and_rejects_unknown_dtype(tiny_recipe, tmp_path):
    from privtag.training.train import train

    tagger = train(
        tiny_recipe(tmp_path / "bf16", **{"train.dtype": "bfloat16", "train.max_steps": 2})
    )
    assert tagger.predict_proba("We use cookies.").shape == (12,)
    from privtag.training.recipe import RecipeError

    with pytest.raises(RecipeError, match=r"train\.dtype"):
        train(tiny_recipe(tmp_path / "x", **{"train.dtype": "fp8"}))


def test_cli_refuses_a_fold_outside_the_folds(tmp_path):
    from typer.testing import CliRunner

    from privtag.cli import app

    for fold in ("5", "-1"):
        result = CliRunner().invoke(
            app, ["crossval", "train/default.toml", "--folds", "5", "--fold", fold,
                  "-o", str(tmp_path / "cv")],
        )  # fmt: skip
        words = " ".join(result.output.replace("│", " ").split())
        assert result.exit_code == 2 and "is not a fold of --folds 5: give 0 to 4" in words
        assert not (tmp_path / "cv").exists()


def test_sources_crossval_would_ignore_are_refused(tiny_recipe, tmp_path):
    from privtag.errors import DataError
    from privtag.evaluation.crossval import _split_sources

    recipe = tiny_recipe(tmp_path, **{"data.train": ["opp115:train"]})
    recipe.data.validation = ["opp115:validation", "data/annotations/zarget.jsonl"]
    with pytest.raises(DataError, match=r"'data/annotations/zarget\.jsonl': cross-validation"):
        _split_sources(recipe)
    recipe.data.validation = ["opp115"]  # no colon: all of OPP-115, still a pooled source
    assert _split_sources(recipe) == (["opp115", "opp115:train"], [])
    # own annotations only: what to do instead is named
    recipe.data.train, recipe.data.validation = ["data/annotations/zarget.jsonl"], []
    with pytest.raises(
        DataError, match=r"names none; `privtag crossval` folds OPP-115's .* evaluate"
    ):
        _split_sources(recipe)

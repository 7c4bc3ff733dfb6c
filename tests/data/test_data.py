"""privtag.data: loading annotations as datasets, features, splits and sources."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from datasets import ClassLabel, DatasetDict, Sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from annotation_helpers import ACME, SMALL, acme_rows, write_jsonl
from privtag.data import (
    FEATURES,
    SPLITS,
    load_annotations,
    load_source,
    load_units,
    policy_split,
    split_dataset,
    to_dataset,
)
from privtag.data.annotations import parse_annotations, read_annotations
from privtag.errors import AnnotationError, DataError
from privtag.labels import LABELS

# ---------------------------------------------------------------- valid files


def test_fixture_files_are_valid():
    records, problems = parse_annotations(SMALL / "annotations")
    assert problems == []
    assert len(records) == 15 + 12 + 7


def test_loader_features_and_columns():
    dd = load_annotations(SMALL / "annotations")
    assert isinstance(dd, DatasetDict) and list(dd) == list(SPLITS)
    for ds in dd.values():
        assert ds.features == FEATURES
        assert ds.features["labels"] == Sequence(ClassLabel(names=list(LABELS)))
    assert sum(len(ds) for ds in dd.values()) == 34


def test_loader_fills_context_from_the_segmenter():
    rows = {r["unit_id"]: r for r in to_records(load_annotations(ACME, split="all")["all"])}
    s6 = rows["s6"]
    assert s6["previous"] == rows["s5"]["text"]  # same paragraph
    assert rows["s5"]["previous"] == ""  # first of its paragraph
    assert s6["paragraph"] == rows["s5"]["paragraph"] != rows["s4"]["paragraph"]
    assert s6["source"] == "annotations:acme.jsonl"
    assert s6["section"] == ["Acme Widgets Privacy Notice", "What we collect"]
    assert s6["labels"] == [LABELS.index("First Party Collection/Use")]
    assert json.loads(rows["s0"]["attributes"]) == {"note": "heading"}
    assert rows["s1"]["attributes"] == "{}"


def to_records(ds) -> list[dict]:
    return [ds[i] for i in range(len(ds))]


def test_csv_and_jsonl_load_the_same(tmp_path):
    rows = acme_rows()
    path = write_jsonl(tmp_path, [], name="unused.jsonl").with_name("acme.csv")
    path.parent.joinpath("unused.jsonl").unlink()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(
            f,
            fieldnames=[
                "policy",
                "sentence_id",
                "start",
                "end",
                "text",
                "labels",
                "section",
                "note",
            ],
        )
        w.writeheader()
        for r in rows:
            w.writerow({**r, "labels": ";".join(r["labels"]), "section": " > ".join(r["section"])})
    from_csv = read_annotations(path)
    from_jsonl = read_annotations(ACME)
    strip = [{k: v for k, v in r.items() if k != "source"} for r in from_csv]
    assert strip == [{k: v for k, v in r.items() if k != "source"} for r in from_jsonl]


def test_split_argument_puts_everything_in_one_split():
    dd = load_annotations(SMALL / "annotations", split="test")
    assert list(dd) == ["test"] and len(dd["test"]) == 34


def test_default_split_keeps_policies_whole():
    dd = load_annotations(SMALL / "annotations", seed=13)
    policies = [set(dd[s]["policy"]) for s in SPLITS]
    assert all(policies)  # three policies, 0.8/0.1/0.1: one each, none empty
    assert not (policies[0] & policies[1] or policies[0] & policies[2] or policies[1] & policies[2])


# ---------------------------------------------------------------- splits


def test_policy_split_sizes():
    split = policy_split([f"p{i}" for i in range(10)], seed=1)
    counts = {s: list(split.values()).count(s) for s in SPLITS}
    assert counts == {"train": 8, "validation": 1, "test": 1}
    five = list(policy_split("abcde", seed=1).values())
    assert sorted(five.count(s) for s in SPLITS) == [1, 1, 3]
    assert set(policy_split(["only"]).values()) == {"train"}
    with pytest.raises(DataError):
        policy_split(["a"], fractions=(1.0, 0.0))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=40),
    st.integers(0, 2**32),
    st.randoms(),
)
def test_policy_split_is_a_deterministic_partition(policies, seed, rnd):
    split = policy_split(policies, seed=seed)
    assert set(split) == set(policies) and set(split.values()) <= set(SPLITS)
    shuffled = list(policies)
    rnd.shuffle(shuffled)
    assert policy_split(shuffled, seed=seed) == split  # same seed, any order: same split


@pytest.mark.filterwarnings("ignore:.*cannot fill:UserWarning")  # few policies, on purpose
@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=30), st.integers(0, 99))
def test_split_dataset_never_puts_a_policy_in_two_splits(policies, seed):
    ds = to_dataset(
        [
            {"policy": p, "unit_id": str(i), "text": "t", "labels": []}
            for i, p in enumerate(policies)
        ]
    )
    dd = split_dataset(ds, seed=seed)
    seen = [set(dd[s]["policy"]) for s in SPLITS]
    assert sum(len(dd[s]) for s in SPLITS) == len(policies)
    assert all(not (seen[i] & seen[j]) for i in range(3) for j in range(i + 1, 3))
    assert [list(split_dataset(ds, seed=seed)[s]["unit_id"]) for s in SPLITS] == [
        list(dd[s]["unit_id"]) for s in SPLITS
    ]


# ---------------------------------------------------------------- sources and CLI


def test_load_source_privtag_files():
    assert len(load_source(str(ACME), split="train")["train"]) == 15
    assert sum(map(len, load_source(str(SMALL / "annotations")).values())) == 34
    # a relative path names the folder it was read from (a recipe's are not its own folder's)
    with pytest.raises(DataError) as caught:
        load_source("nonsense")
    assert str(caught.value) == (
        f"data source 'nonsense': no such file or folder (read from {Path.cwd()}); check the path"
    )
    with pytest.raises(DataError, match=r"unknown data source 'notes\.txt'"):
        load_source("notes.txt")


def test_load_source_opp115(opp115_dir):
    dd = load_source("opp115:all", opp115_root=opp115_dir)
    name = next(iter(dd))
    one = load_source(f"opp115:{name}", opp115_root=opp115_dir)
    assert list(one) == [name] and one[name].features == FEATURES
    with pytest.raises(DataError, match="no split"):
        load_source("opp115:nosuch", opp115_root=opp115_dir)


def test_load_units_refuses_a_file_given_twice_and_reads_opp115_without_a_colon(tmp_path):
    with pytest.raises(DataError, match="given twice, so its units would count twice"):
        load_units([str(ACME), str(ACME)])
    with pytest.raises(DataError, match=r"in .* and .*, so its units would count twice"):
        load_units([str(SMALL / "annotations"), str(ACME)])
    with pytest.raises(DataError, match="no such OPP-115 directory"):  # "opp115" is "opp115:all"
        load_units(["opp115"], opp115=tmp_path / "none")


def test_load_units_reads_policy_texts_from_the_folder_given(tmp_path):
    import shutil

    (tmp_path / "anns").mkdir()
    shutil.copy(ACME, tmp_path / "anns" / ACME.name)
    with pytest.raises(AnnotationError, match="name the folder of policy texts"):
        load_units([str(tmp_path / "anns")])
    assert len(load_units([str(tmp_path / "anns")], policies=SMALL / "policies")) == 15


def test_a_split_left_empty_is_said():
    ds = to_dataset([{"policy": p, "unit_id": "s0", "text": "t", "labels": []} for p in "ab"])
    with pytest.warns(UserWarning, match="2 policies cannot fill 3 splits: validation, test"):
        dd = split_dataset(ds)
    assert len(dd["train"]) == 2 and len(dd["validation"]) == len(dd["test"]) == 0


def test_sources_are_checked_together_as_validate_checks_them(tmp_path):
    from annotation_helpers import ACME, SMALL
    from privtag.data.sources import load_units
    from privtag.errors import AnnotationError

    lines = ACME.read_text().splitlines(keepends=True)
    (a := tmp_path / "a").mkdir()
    (b := tmp_path / "b").mkdir()
    (a / "acme_1.jsonl").write_text("".join(lines[:5]))
    (b / "acme_2.jsonl").write_text("".join(lines[5:]))
    pol = SMALL / "policies"
    # one policy split over two sources is whole
    units = load_units([str(a / "acme_1.jsonl"), str(b / "acme_2.jsonl")], policies=pol)
    assert units.num_rows == len(lines) and set(units["policy"]) == {"acme"}
    # the same policy annotated in two sources is a duplicate, not twice the data
    (b / "acme_2.jsonl").write_text("".join(lines))
    with pytest.raises(AnnotationError, match="duplicate"):
        load_units([str(a / "acme_1.jsonl"), str(b / "acme_2.jsonl")], policies=pol)


def test_a_file_named_twice_to_validate_is_one_problem(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl
    from privtag.data.annotations import validate_annotations

    path = write_jsonl(tmp_path, acme_rows())
    problems = validate_annotations([path.parent, path])
    assert problems == [f"{path}:1: file: given twice (also as {path}); give each file once"]

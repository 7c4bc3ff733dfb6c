"""privtag's annotation format: loading, validation (one test per kind of problem), splits, CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from datasets import ClassLabel, DatasetDict, Sequence
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from privtag.cli import app
from privtag.data import (
    FEATURES,
    SPLITS,
    load_annotations,
    load_source,
    parse_annotations,
    policy_split,
    read_annotations,
    split_dataset,
    to_dataset,
    validate_annotations,
)
from privtag.errors import AnnotationError, DataError
from privtag.labels import LABELS

SMALL = Path(__file__).resolve().parent / "fixtures" / "data_small"
ACME = SMALL / "annotations" / "acme.jsonl"


def acme_rows() -> list[dict]:
    return [json.loads(x) for x in ACME.read_text().splitlines()]


def write_jsonl(tmp_path: Path, rows: list, name: str = "acme.jsonl") -> Path:
    """Rows (dicts, or raw strings written as is) in tmp/annotations/, policies in tmp/policies/."""
    shutil.copytree(SMALL / "policies", tmp_path / "policies", dirs_exist_ok=True)
    (tmp_path / "annotations").mkdir(exist_ok=True)
    path = tmp_path / "annotations" / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def only(problems: list[str], where: str) -> str:
    """The single problem starting with ``where`` (FILE:LINE: field)."""
    hits = [p for p in problems if p.startswith(where)]
    assert len(hits) == 1, problems
    return hits[0]


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
        w = csv.DictWriter(f, fieldnames=["policy", "sentence_id", "start", "end", "text",
                                          "labels", "section", "note"])
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


# ---------------------------------------------------------------- one test per problem


def test_unknown_label_suggests_the_nearest(tmp_path):
    rows = acme_rows()
    rows[5]["labels"] = ["First Party Collection/Use", "Data Securty"]
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:6: labels:")
    assert "unknown label 'Data Securty'" in msg and "did you mean 'Data Security'?" in msg


def test_unknown_label_far_from_any_lists_the_valid_ones(tmp_path):
    rows = acme_rows()
    rows[2]["labels"] = ["zzz"]
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:3: labels:")
    assert "use one of:" in msg and "Do Not Track" in msg


def test_short_label_ids_are_accepted(tmp_path):
    rows = acme_rows()
    rows[5]["labels"] = ["first_party", "data_security"]
    path = write_jsonl(tmp_path, rows)
    assert validate_annotations(path) == []
    assert read_annotations(path)[5]["labels"] == ["first_party", "data_security"]


def test_offsets_that_do_not_match_say_where_the_text_is(tmp_path):
    rows = acme_rows()
    good = dict(rows[6])
    rows[6]["start"] += 3
    rows[6]["end"] += 3
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:7: start:")
    assert "does not match the policy text" in msg
    assert f"set start to {good['start']} and end to {good['end']}" in msg


def test_text_not_in_the_policy_points_to_the_segmenter(tmp_path):
    rows = acme_rows()
    rows[6]["text"] = "X" * len(rows[6]["text"])
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:7: start:")
    assert "privtag segment" in msg and "--json" in msg


def test_end_must_match_the_text_length(tmp_path):
    rows = acme_rows()
    rows[3]["end"] += 1
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:4: end:")
    assert "set end = start + length of text" in msg


def test_duplicate_ids_name_the_first(tmp_path):
    rows = acme_rows()
    rows[4]["sentence_id"] = "s1"
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:5: sentence_id:")
    assert "duplicate id 's1'" in msg and f"first at {path}:2" in msg and "its own id" in msg


def test_duplicate_ids_across_files(tmp_path):
    rows = acme_rows()
    first = write_jsonl(tmp_path, rows[:8], name="a.jsonl")
    second = write_jsonl(tmp_path, rows[7:], name="b.jsonl")
    problems = validate_annotations([first, second])
    assert f"first at {first}:8" in only(problems, f"{second}:1: sentence_id:")


def test_overlapping_records(tmp_path):
    rows = acme_rows()
    text = rows[5]["text"] + " " + rows[6]["text"]
    rows[6] = {**rows[6], "sentence_id": "s6b"}
    rows.insert(7, {**rows[5], "sentence_id": "both", "end": rows[5]["start"] + len(text),
                    "text": text})
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert any(p.startswith(f"{path}:") and "overlaps the record at" in p for p in problems)


def test_record_spanning_two_sentences(tmp_path):
    rows = acme_rows()
    second = rows.pop(6)
    rows[5]["text"] += " " + second["text"]
    rows[5]["end"] = second["end"]
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    msg = only(problems, f"{path}:6: start:")
    assert "spans 2 sentences of the segmenter (s5 193:275, s6 276:330)" in msg
    assert "split it into one record per sentence" in msg and "privtag segment" in msg
    assert len(problems) == 1  # s6 is covered, if wrongly: not also reported as missing


def test_record_that_is_part_of_a_sentence(tmp_path):
    rows = acme_rows()
    rows[5]["text"] = rows[5]["text"][:10]
    rows[5]["end"] = rows[5]["start"] + 10
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:6: start:")
    assert "is only part of sentence s5 (193:275)" in msg and "make it the whole sentence" in msg


def test_empty_text(tmp_path):
    rows = acme_rows()
    rows[2]["text"] = "  "
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    msg = only(problems, f"{path}:3: text:")
    assert "empty text" in msg and "delete the line" in msg
    assert len(problems) == 1  # its sentence is not also reported as missing


def test_wrong_types(tmp_path):
    rows = acme_rows()
    rows[1]["start"] = "29"
    rows[2]["labels"] = "Introductory/Generic"
    rows[3]["section"] = [1, 2]
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert "an integer" in only(problems, f"{path}:2: start: wrong type")
    assert "a list of label names" in only(problems, f"{path}:3: labels: wrong type")
    assert "a list of headings" in only(problems, f"{path}:4: section: wrong type")
    assert len(problems) == 3


def test_missing_and_misspelt_fields(tmp_path):
    rows = acme_rows()
    rows[4]["lables"] = rows[4].pop("labels")
    del rows[6]["section"]
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert "rename it to 'labels'" in only(problems, f"{path}:5: lables:")
    assert "add it: a list of label names" in only(problems, f"{path}:5: labels: missing")
    assert "add it: a list of headings" in only(problems, f"{path}:7: section: missing")


def test_invalid_json(tmp_path):
    rows = acme_rows()
    lines: list = [json.dumps(r) for r in rows]
    lines[3] = lines[3][:-1]  # drop the closing brace
    lines[8] = "[1, 2]"
    path = write_jsonl(tmp_path, lines)
    problems = validate_annotations(path)
    assert "invalid JSON" in only(problems, f"{path}:4: json:")
    assert "one complete JSON object per line" in problems[0]
    assert "expected a JSON object" in only(problems, f"{path}:9: json:")


def test_sentence_without_a_record(tmp_path):
    rows = acme_rows()
    dropped = rows.pop(8)
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:9: sentence_id:")
    assert f"sentence {dropped['sentence_id']}" in msg and "has no record" in msg
    assert "add a record for it before this line" in msg


def test_last_sentence_without_a_record(tmp_path):
    rows = acme_rows()[:-1]
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:{len(rows)}: sentence_id:")
    assert "after this line" in msg


def test_policy_file_not_found_is_reported_once(tmp_path):
    rows = [{**r, "policy": "nosuch"} for r in acme_rows()]
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    msg = only(problems, f"{path}:1: policy:")
    assert "no policy file nosuch.md/.txt/.html" in msg and "add the policy text there" in msg
    assert len(problems) == 1


def test_policies_dir_argument(tmp_path):
    shutil.copy(ACME, tmp_path / "acme.jsonl")  # no policies/ next to it
    assert validate_annotations(tmp_path / "acme.jsonl", SMALL / "policies") == []
    assert validate_annotations(tmp_path / "acme.jsonl", tmp_path)[0].endswith(
        "add the policy text there, or pass the right policies directory")


def test_missing_file_and_wrong_extension(tmp_path):
    assert validate_annotations(tmp_path / "none.jsonl")[0].startswith(
        f"{tmp_path / 'none.jsonl'}:1: file: file not found")
    (tmp_path / "x.json").write_text("[]")
    assert "use .jsonl or .csv" in validate_annotations(tmp_path / "x.json")[0]
    assert "no .jsonl or .csv files" in validate_annotations([tmp_path])[0]


def test_csv_problems_have_csv_line_numbers(tmp_path):
    path = write_jsonl(tmp_path, [], name="unused.jsonl").with_name("acme.csv")
    rows = acme_rows()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["policy", "sentence_id", "start", "end", "text",
                                          "labels", "section"])
        w.writeheader()
        for r in rows:
            w.writerow({**{k: v for k, v in r.items() if k != "note"},
                        "labels": ";".join(r["labels"]), "section": " > ".join(r["section"])})
    text = path.read_text().splitlines()
    text[3] = text[3].replace(",59,", ",abc,")  # row of s2 is line 4
    text[6] = text[6].replace("First Party Collection/Use", "First Party Colection")
    path.write_text("\n".join(text) + "\n")
    problems = validate_annotations(path)
    assert "an integer" in only(problems, f"{path}:4: start: wrong type")
    assert "did you mean 'First Party Collection/Use'" in only(problems, f"{path}:7: labels:")
    path.write_text("policy,text\nacme,Hello\n")
    assert "missing column(s)" in only(validate_annotations(path), f"{path}:1: columns:")


def test_all_problems_in_a_file_are_reported_at_once(tmp_path):
    rows = acme_rows()
    rows[1]["labels"] = ["Data Securty"]
    rows[4]["sentence_id"] = "s0"
    rows[9]["start"] = "oops"
    rows[12]["text"] = ""
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert [p.split(": ")[0] for p in problems] == [f"{path}:{n}" for n in (2, 5, 10, 13)]
    with pytest.raises(AnnotationError) as e:
        load_annotations(path)
    assert e.value.problems == problems
    assert all(p in str(e.value) for p in problems)


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
@given(st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=40),
       st.integers(0, 2**32), st.randoms())
def test_policy_split_is_a_deterministic_partition(policies, seed, rnd):
    split = policy_split(policies, seed=seed)
    assert set(split) == set(policies) and set(split.values()) <= set(SPLITS)
    shuffled = list(policies)
    rnd.shuffle(shuffled)
    assert policy_split(shuffled, seed=seed) == split  # same seed, any order: same split


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=30), st.integers(0, 99))
def test_split_dataset_never_puts_a_policy_in_two_splits(policies, seed):
    ds = to_dataset([{"policy": p, "unit_id": str(i), "text": "t", "labels": []}
                     for i, p in enumerate(policies)])
    dd = split_dataset(ds, seed=seed)
    seen = [set(dd[s]["policy"]) for s in SPLITS]
    assert sum(len(dd[s]) for s in SPLITS) == len(policies)
    assert all(not (seen[i] & seen[j]) for i in range(3) for j in range(i + 1, 3))
    assert [list(split_dataset(ds, seed=seed)[s]["unit_id"]) for s in SPLITS] == \
        [list(dd[s]["unit_id"]) for s in SPLITS]


# ---------------------------------------------------------------- sources and CLI


def test_load_source_privtag_files():
    assert len(load_source(str(ACME), split="train")["train"]) == 15
    assert sum(map(len, load_source(str(SMALL / "annotations")).values())) == 34
    with pytest.raises(DataError, match="unknown data source"):
        load_source("nonsense")


def test_load_source_opp115(opp115_dir):
    dd = load_source("opp115:all", opp115_root=opp115_dir)
    name = next(iter(dd))
    one = load_source(f"opp115:{name}", opp115_root=opp115_dir)
    assert list(one) == [name] and one[name].features == FEATURES
    with pytest.raises(DataError, match="no split"):
        load_source("opp115:nosuch", opp115_root=opp115_dir)


def test_cli_validate_ok_and_failed(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(SMALL / "annotations")])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "OK: 34 records in 3 files"
    bad = SMALL / "invalid" / "several.jsonl"
    failed = runner.invoke(app, ["validate", str(ACME), str(bad)])
    assert failed.exit_code == 1
    lines = failed.output.strip().splitlines()
    assert lines[-1] == "FAILED: 4 problem(s) in 2 files"
    assert all(x.startswith(f"{bad}:") for x in lines[:-1])
    alone = runner.invoke(app, ["validate", str(ACME), "--policies", str(tmp_path)])
    assert alone.exit_code == 1 and "no policy file acme" in alone.output

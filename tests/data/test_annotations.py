"""privtag.data.annotations: validation, one test per kind of problem, and the validate CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotation_helpers import ACME, SMALL, acme_rows, only, write_jsonl
from privtag.cli import app
from privtag.data import (
    load_annotations,
)
from privtag.data.annotations import read_annotations, validate_annotations
from privtag.errors import AnnotationError, DataError

# ---------------------------------------------------------------- one test per problem


@pytest.mark.parametrize("paths", [None, 5, [None], ["a.jsonl", 3]])
def test_annotations_given_as_neither_path_nor_list_of_paths_are_named(paths):
    with pytest.raises(DataError, match="annotations are given as a file or folder path"):
        load_annotations(paths)


def test_annotation_paths_from_a_generator_are_read_once(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match=rf"no annotation records in {empty}; give files"):
        read_annotations(p for p in [empty])


@pytest.mark.parametrize(
    "given, hint",
    [
        ("Retention", "did you mean 'Data Retention'?"),  # the display name, not the id
        ("data_securty", "did you mean 'Data Security'?"),
        ("Other", "splits OPP-115's Other into 'Introductory/Generic', 'Practice not covered'"),
    ],
)
def test_label_hints_name_what_files_use(given, hint):
    from privtag.data.annotation_format import suggest_label

    assert hint in suggest_label(given)


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


def test_a_duplicate_of_a_row_with_another_problem_is_still_named(tmp_path):
    rows = acme_rows()
    rows[1]["labels"] = "Data Security"  # line 2: a string, not a list
    rows[4]["sentence_id"] = rows[1]["sentence_id"]  # line 5 reuses its id
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert "a list" in only(problems, f"{path}:2: labels:")
    assert f"first at {path}:2" in only(problems, f"{path}:5: sentence_id:")


@pytest.mark.parametrize("document", ["array", "object"])
def test_a_pretty_printed_json_file_is_one_problem_not_one_per_line(tmp_path, document):
    rows = acme_rows()
    text = json.dumps(rows if document == "array" else rows[0], indent=2)
    path = write_jsonl(tmp_path, [text])
    problems = validate_annotations(path)
    what, jq = (
        ("a JSON array", "'.[]'") if document == "array" else ("JSON objects over many lines", ".")
    )
    assert problems == [f"{path}:1: file: {what}, not JSON Lines; write one record per line "
                        f"into a new file (e.g. jq -c {jq} acme.jsonl > fixed.jsonl)"]  # fmt: skip


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
    rows.insert(
        7, {**rows[5], "sentence_id": "both", "end": rows[5]["start"] + len(text), "text": text}
    )
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


def test_a_row_with_a_wrong_section_or_label_still_has_its_offsets_checked(tmp_path):
    # every problem at once: a wrong section hid wrong offsets until it was fixed
    rows = acme_rows()
    good = dict(rows[6])
    rows[6]["start"] += 2
    rows[6]["end"] += 2
    rows[6]["section"] = "Acme Widgets Privacy Notice"
    rows[4]["labels"] = ["Fist Party"]
    rows[4]["end"] += 4
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert "wrong type" in only(problems, f"{path}:7: section:")
    at = only(problems, f"{path}:7: start:")
    assert f"set start to {good['start']} and end to {good['end']}" in at
    assert "unknown label" in only(problems, f"{path}:5: labels:")
    assert "set end = start + length of text" in only(problems, f"{path}:5: end:")
    assert not any("has no record" in p for p in problems)  # their rows claim them
    assert len(problems) == 4


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
    # the sentences of those lines are not also reported as lacking a record: adding one,
    # as that would advise, would duplicate the line once it is fixed
    assert not any("has no record" in p for p in problems)
    assert len(problems) == 2


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
    assert "no policy file nosuch.md/.txt/.html/.htm" in msg and "--policies DIR" in msg
    assert len(problems) == 1


def test_policies_dir_argument(tmp_path):
    shutil.copy(ACME, tmp_path / "acme.jsonl")  # no policies/ next to it
    assert validate_annotations(tmp_path / "acme.jsonl", SMALL / "policies") == []
    assert validate_annotations(tmp_path / "acme.jsonl", tmp_path)[0].endswith(
        "name the folder of policy texts (--policies DIR; data.policies in a recipe), or keep "
        "them in policies/ inside or beside the annotations' folder"
    )


def test_policy_texts_in_a_policies_folder_inside_the_annotations_folder_are_found(tmp_path):
    (flat := tmp_path / "flat").mkdir()
    shutil.copy(ACME, flat / "acme.jsonl")
    shutil.copytree(SMALL / "policies", flat / "policies")
    assert validate_annotations(flat / "acme.jsonl") == []


def test_missing_file_and_wrong_extension(tmp_path):
    assert validate_annotations(tmp_path / "none.jsonl")[0].startswith(
        f"{tmp_path / 'none.jsonl'}:1: file: file not found"
    )
    (tmp_path / "x.json").write_text("[]")
    assert "use .jsonl or .csv" in validate_annotations(tmp_path / "x.json")[0]
    assert "no .jsonl or .csv files" in validate_annotations([tmp_path])[0]


def test_csv_problems_have_csv_line_numbers(tmp_path):
    path = write_jsonl(tmp_path, [], name="unused.jsonl").with_name("acme.csv")
    rows = acme_rows()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(
            f, fieldnames=["policy", "sentence_id", "start", "end", "text", "labels", "section"]
        )
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    **{k: v for k, v in r.items() if k != "note"},
                    "labels": ";".join(r["labels"]),
                    "section": " > ".join(r["section"]),
                }
            )
    text = path.read_text().splitlines()
    text[3] = text[3].replace(",59,", ",abc,")  # row of s2 is line 4
    text[6] = text[6].replace("First Party Collection/Use", "First Party Colection")
    path.write_text("\n".join(text) + "\n")
    problems = validate_annotations(path)
    assert "an integer" in only(problems, f"{path}:4: start: wrong type")
    assert "did you mean 'First Party Collection/Use'" in only(problems, f"{path}:7: labels:")
    path.write_text("policy,text\nacme,Hello\n")
    assert "missing 5 columns: sentence_id" in only(
        validate_annotations(path), f"{path}:1: columns:"
    )
    path.write_text("policy,sentence_id,start,end,text,label,section\n")
    problem = only(validate_annotations(path), f"{path}:1: columns:")
    assert "missing 1 column: labels; rename 'label' to 'labels'; the header" in problem


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


def test_cli_validate_ok_and_failed(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(SMALL / "annotations")])
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip() == "OK: 34 records in 3 files"
    bad = SMALL / "invalid" / "several.jsonl"
    failed = runner.invoke(app, ["validate", str(ACME), str(bad)])
    assert failed.exit_code == 1
    lines = failed.output.strip().splitlines()
    assert lines[-1] == "FAILED: 4 problems in 2 files"
    assert all(x.startswith(f"{bad}:") for x in lines[:-1])
    alone = runner.invoke(app, ["validate", str(ACME), "--policies", str(tmp_path)])
    assert alone.exit_code == 1 and "no policy file acme" in alone.output


def test_cli_validate_a_missing_path_is_bad_input_not_a_problem(tmp_path):
    import subprocess
    import sys

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "privtag.cli", "validate", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    missing = run(str(tmp_path / "nothere.jsonl"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.splitlines() == [
        f"privtag: error: {tmp_path / 'nothere.jsonl'}: no such file or directory; check the path"
    ]
    # one problem is one line; several are listed under a count
    with pytest.raises(AnnotationError) as e:
        load_annotations(tmp_path / "nothere.jsonl")
    assert str(e.value) == (
        f"a problem in the annotations: {tmp_path / 'nothere.jsonl'}:1: file: file not found; "
        "check the path"
    )
    export = tmp_path / "ls.json"
    export.write_text("[]")
    imported = run(f"labelstudio:{export}")
    assert (
        imported.returncode == 2
        and "a labelstudio: export is checked when --data" in imported.stderr
    )


# ---------------------------------------------------------------- issue 16: misread or missed


def test_line_separators_inside_strings_are_text_not_line_ends(tmp_path):
    rows = acme_rows()
    rows[1]["note"] = "first\u2028second\u2029third\x85fourth\x1cfifth"
    rows[7]["note"] = "a later line keeps its number"
    rows[7]["labels"] = ["Data Securty"]
    path = tmp_path / "annotations" / "acme.jsonl"
    write_jsonl(tmp_path, [])
    # what json.dumps(ensure_ascii=False) writes: the separators raw inside the string
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    problems = validate_annotations(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:8: labels: unknown label 'Data Securty'")
    assert read_annotations(write_jsonl(tmp_path, acme_rows()))  # the plain file still reads


def test_wrong_type_and_unknown_label_on_one_line_are_both_reported(tmp_path):
    rows = acme_rows()
    rows[2]["start"] = "12"
    rows[2]["labels"] = ["Data Securty"]
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)
    assert only(problems, f"{path}:3: start:").startswith(f"{path}:3: start: wrong type")
    assert "unknown label 'Data Securty'" in only(problems, f"{path}:3: labels:")


@pytest.mark.parametrize("content", ["", "\n\n", "   \n"])
def test_a_file_without_records_is_a_problem(tmp_path, content):
    path = write_jsonl(tmp_path, [])
    path.write_text(content)
    msg = only(validate_annotations(path), f"{path}:1: file:")
    assert "no records" in msg and "add one record per sentence" in msg


def test_an_empty_csv_file_is_a_problem(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("policy,sentence_id,start,end,text,labels,section\n")
    assert "no records" in only(validate_annotations(path, SMALL / "policies"), f"{path}:1: file:")


@pytest.mark.parametrize(
    "labels", [["Data Security", "Data Security"], ["Data Security", "data_security"]]
)
def test_a_label_listed_twice_is_a_problem(tmp_path, labels):
    rows = acme_rows()
    rows[4]["labels"] = labels
    path = write_jsonl(tmp_path, rows)
    msg = only(validate_annotations(path), f"{path}:5: labels:")
    assert "'Data Security' is listed twice" in msg and "list each label once" in msg


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("p" * 300, "invalid policy name"),
        ("acme\x00", "invalid policy name"),
        ("ac\nme", "invalid policy name"),
        ("é" * 180, "no policy file"),  # under 200 characters, but 360 bytes: no such file
    ],
)
def test_a_policy_name_that_cannot_be_a_file_name_is_a_problem(tmp_path, name, problem):
    rows = acme_rows()
    for r in rows:
        r["policy"] = name
    path = write_jsonl(tmp_path, rows)
    problems = validate_annotations(path)  # not OSError (name too long), ValueError (NUL)
    assert problem in only(problems, f"{path}:1: policy:")


def test_reading_skips_empty_files_but_not_when_all_are_empty(tmp_path):
    from privtag.data.annotations import PassedOverWarning
    from privtag.errors import DataError

    path = write_jsonl(tmp_path, acme_rows())
    empty = path.with_name("empty.jsonl")
    empty.write_text("")
    with pytest.warns(PassedOverWarning, match=r"empty\.jsonl: no records, skipped"):
        assert read_annotations([empty, path]) == read_annotations(path)
    with pytest.raises(DataError, match=r"no annotation records in .*empty\.jsonl"):
        read_annotations(empty)


def test_policies_of_a_subfolder_are_its_mirror_under_policies(tmp_path):
    # data/annotations/modern/x.jsonl is checked against data/policies/modern/x.*
    (tmp_path / "annotations" / "modern").mkdir(parents=True)
    shutil.copytree(SMALL / "policies", tmp_path / "policies" / "modern")
    shutil.copy(ACME, tmp_path / "annotations" / "modern" / "acme.jsonl")
    assert validate_annotations(tmp_path / "annotations" / "modern" / "acme.jsonl") == []
    # the repository's own subfolder, from any working directory
    repo = Path(__file__).resolve().parents[2] / "data" / "annotations" / "modern"
    if any(repo.glob("*.jsonl")):
        assert validate_annotations(sorted(repo.glob("*.jsonl"))) == []


def test_files_and_subfolders_an_annotation_folder_does_not_read_are_named(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl
    from privtag.data.annotation_format import passed_over
    from privtag.data.annotations import PassedOverWarning, read_annotations

    path = write_jsonl(tmp_path, acme_rows())
    folder = path.parent
    (folder / "cedar.json").write_text(path.read_text())
    (folder / "dune.jsonl.txt").write_text(path.read_text())
    (folder / "README.md").write_text("notes")  # guidelines and notes are not named
    (folder / "sub").mkdir()
    (folder / "sub" / "elm.jsonl").write_text(path.read_text())
    notes = passed_over([folder])
    assert [n.split(":")[0] for n in notes] == [
        str(folder / "cedar.json"),
        str(folder / "dune.jsonl.txt"),
        str(folder / "sub"),
    ]
    with pytest.warns(PassedOverWarning) as got:
        assert len(read_annotations([folder])) == len(acme_rows())
    # reading warns of the misnamed files; a subfolder is named by `privtag validate`
    assert sorted(str(w.message) for w in got) == notes[:2]


def test_labels_joined_by_a_comma_are_told_to_use_a_semicolon(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl
    from privtag.data.annotations import validate_annotations

    rows = acme_rows()
    rows[0]["labels"] = ["First Party Collection/Use, Third Party Sharing/Collection"]
    rows[1]["labels"] = ["Frist Party Collection/Use"]
    problems = validate_annotations([write_jsonl(tmp_path, rows)])
    joined = [p for p in problems if ":1: labels" in p]
    assert len(joined) == 1 and "separate labels with ';'" in joined[0]
    typo = [p for p in problems if ":2: labels" in p]
    assert len(typo) == 1 and "did you mean 'First Party Collection/Use'" in typo[0]


def test_a_section_must_be_the_heading_path_and_an_empty_one_is_filled_in(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl
    from privtag.data.annotations import parse_annotations

    rows = acme_rows()
    k = next(i for i, r in enumerate(rows) if r["section"])
    right = rows[k]["section"]
    rows[k]["section"] = ["Totally", "Wrong heading"]
    records, problems = parse_annotations([write_jsonl(tmp_path, rows)])
    assert len(problems) == 1 and f":{k + 1}: section: ['Totally', 'Wrong heading']" in problems[0]
    rows[k]["section"] = []
    records, problems = parse_annotations([write_jsonl(tmp_path, rows)])
    assert problems == [] and records[k]["section"] == right


def test_the_label_with_a_comma_in_its_name_is_told_apart_when_labels_are_joined(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl
    from privtag.data.annotations import validate_annotations

    rows = acme_rows()
    rows[0]["labels"] = ["User Access, Edit and Deletion, Data Security"]
    (problem,) = validate_annotations([write_jsonl(tmp_path, rows)])
    assert "separate labels with ';'" in problem


def test_a_policy_with_two_text_files_is_named_not_guessed(tmp_path):
    path = write_jsonl(tmp_path, acme_rows())
    policies = tmp_path / "policies"  # written beside the annotations
    original = next(policies.glob("acme.*"))
    other = ".txt" if original.suffix != ".txt" else ".md"
    original.with_suffix(other).write_text("Totally different text.")
    problems = validate_annotations(path, policies)
    assert len(problems) == 1 and "policy 'acme' has 2 text files" in problems[0]
    assert problems[0].endswith("keep the one its offsets were taken from")


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_policies_folder_that_is_not_one_is_one_error(tmp_path, kind):
    from privtag.errors import DataError

    path = write_jsonl(tmp_path, acme_rows())
    given = tmp_path / "nowhere" if kind == "missing" else path
    what = "no such folder" if kind == "missing" else "is a file, not a folder"
    with pytest.raises(DataError, match=f"{what}; give the folder"):
        validate_annotations(path, given)


def test_offsets_beyond_the_text_say_so(tmp_path):
    rows = acme_rows()
    rows[-1] = {**rows[-1], "start": 10_000, "end": 10_000 + len(rows[-1]["text"])}
    problems = validate_annotations(write_jsonl(tmp_path, rows), SMALL / "policies")
    assert any("beyond the end of" in p and "characters)" in p for p in problems), problems

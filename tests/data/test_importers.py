"""Label Studio and doccano: importing their exports, exporting for them, and round trips."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from privtag.data import FEATURES, SPLITS, load_source, to_dataset
from privtag.data.annotations import read_annotations
from privtag.data.importers import (
    labelstudio_config,
    read_doccano,
    read_labelstudio,
    to_doccano_lines,
    to_labelstudio_tasks,
    write_doccano,
    write_labelstudio,
)
from privtag.errors import AnnotationError, DataError
from privtag.labels import LABELS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPORTS = FIXTURES / "data_exports"
SMALL = FIXTURES / "data_small"
KEPT = ("policy", "unit_id", "text", "labels", "section", "start", "end", "paragraph", "previous")


def comparable(records: list[dict]) -> list[dict]:
    """Rows as to_dataset stores them, without the source column (it names the file)."""
    ds = to_dataset(records)
    return [{k: ds[i][k] for k in KEPT} for i in range(len(ds))]


# ---------------------------------------------------------------- Label Studio


def test_read_labelstudio_export():
    with pytest.warns(UserWarning, match="1 of 4 tasks have no annotation"):
        records = read_labelstudio(EXPORTS / "labelstudio.json")
    by_id = {r["unit_id"]: r for r in records}
    assert sorted(by_id) == ["s1", "s4", "s5"]  # the unlabelled task 104 is left out, said
    # the later of two annotations wins; the rating control is not a label
    assert by_id["s4"]["labels"] == ["First Party Collection/Use", "Data Retention"]
    assert by_id["s4"]["section"] == ["Delta Shop Privacy", "Retention"]
    assert (by_id["s4"]["start"], by_id["s4"]["end"]) == (120, 161)
    assert by_id["s4"]["previous"] == "Orders are stored in our shop database."
    # a cancelled annotation is skipped even when it is the latest; short ids are accepted
    assert by_id["s5"]["labels"] == ["Privacy contact information"]
    # policy from the task's meta; taxonomy results
    assert by_id["s1"]["policy"] == "echo"
    assert by_id["s1"]["labels"] == ["First Party Collection/Use"]
    assert by_id["s1"]["start"] == -1  # no offsets given
    assert all(r["source"] == "labelstudio:labelstudio.json" for r in records)
    assert to_dataset(records).features == FEATURES


@pytest.mark.filterwarnings("ignore:.*tasks have no annotation:UserWarning")  # task 104
def test_read_labelstudio_predictions_and_from_name():
    records = read_labelstudio(EXPORTS / "labelstudio.json", use_predictions=True)
    by_id = {r["unit_id"]: r for r in records}
    assert by_id["s2"]["labels"] == ["Introductory/Generic"]
    only_other = read_labelstudio(EXPORTS / "labelstudio.json", from_name="nothing")
    assert all(r["labels"] == [] for r in only_other)


def test_labelstudio_unknown_labels_name_the_task(tmp_path):
    tasks = json.loads((EXPORTS / "labelstudio.json").read_text())
    tasks[0]["annotations"][1]["result"][0]["value"]["choices"] = ["Data Retension"]
    tasks[1]["annotations"][1]["result"][0]["value"]["choices"] = ["Marketing"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(AnnotationError) as e:
        read_labelstudio(path)
    first, second = e.value.problems
    assert first.startswith(f"{path}: task 101 (#0): labels: unknown label 'Data Retension'")
    assert "did you mean 'Data Retention'?" in first
    assert second.startswith(f"{path}: task 102 (#1): labels: unknown label 'Marketing'")


def test_labelstudio_other_problems(tmp_path):
    tasks = json.loads((EXPORTS / "labelstudio.json").read_text())
    tasks[0]["data"]["unit_id"] = "s5"  # now a duplicate of task 102
    tasks[2]["data"] = {"sentence": "text under another key"}
    tasks[3]["annotations"] = [{"result": [{"type": "choices", "value": {"choices": []}}]}]
    tasks[3]["data"]["start"] = "12"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(AnnotationError) as e:
        read_labelstudio(path)
    text = "\n".join(e.value.problems)
    assert "task 103 (#2): data.text: missing" in text
    assert "task 104 (#3): start: expected an integer" in text
    assert "task 102 (#1): unit_id: duplicate id 's5'" in text
    path.write_text("[{")
    with pytest.raises(AnnotationError, match="invalid JSON"):
        read_labelstudio(path)
    with pytest.raises(DataError, match="not found"):
        read_labelstudio(tmp_path / "none.json")


def test_labelstudio_span_labels_are_a_problem_not_an_empty_label_set(tmp_path):
    task = {
        "id": 1,
        "data": {"text": "We keep logs.", "policy": "p", "unit_id": "s0"},
        "annotations": [{"result": [{"type": "labels", "value": {"labels": ["Retention"]}}]}],
    }
    (path := tmp_path / "spans.json").write_text(json.dumps([task]))
    with pytest.raises(AnnotationError, match="holds span labels"):
        read_labelstudio(path)


def test_labelstudio_round_trip(tmp_path):
    records = read_annotations(SMALL / "annotations")
    write_labelstudio(records, tmp_path / "tasks.json")
    back = read_labelstudio(tmp_path / "tasks.json")
    assert comparable(back) == comparable(records)
    assert {r["source"] for r in back} == {"labelstudio:tasks.json"}


def test_labelstudio_pre_annotations_round_trip(tmp_path):
    records = read_annotations(SMALL / "annotations" / "acme.jsonl")
    write_labelstudio(records, tmp_path / "pre.json", labels_as="predictions")
    with pytest.warns(UserWarning, match="15 of 15 tasks have no annotation"):
        assert read_labelstudio(tmp_path / "pre.json") == []  # nothing annotated yet
    back = read_labelstudio(tmp_path / "pre.json", use_predictions=True)
    assert comparable(back) == comparable(records)
    bare = to_labelstudio_tasks(records, labels_as=None)
    assert "annotations" not in bare[0] and bare[0]["data"]["text"] == records[0]["text"]
    with pytest.raises(DataError):
        to_labelstudio_tasks(records, labels_as="drafts")


def test_labelstudio_config_names_every_label():
    root = ET.fromstring(labelstudio_config())
    choices = root.find("Choices")
    assert choices.get("name") == "practices" and choices.get("choice") == "multiple"
    assert [c.get("value") for c in choices] == list(LABELS)


# ---------------------------------------------------------------- doccano


def test_read_doccano_export():
    records = read_doccano(EXPORTS / "doccano.jsonl")
    by_id = {r["unit_id"]: r for r in records}
    assert by_id["s4"]["labels"] == ["First Party Collection/Use", "Data Retention"]
    assert by_id["s4"]["section"] == ["Delta Shop Privacy", "Retention"]
    assert by_id["s1"]["policy"] == "echo"  # from "meta", with sentence_id as the id
    assert by_id["s2"]["labels"] == []
    assert by_id["s5"]["start"] == -1
    assert to_dataset(records).features == FEATURES


def test_doccano_problems_name_the_line(tmp_path):
    lines = (EXPORTS / "doccano.jsonl").read_text().splitlines()
    lines[0] = lines[0].replace('"first_party"', '"first party collection"')
    lines[1] = lines[1].replace('"unit_id": "s5"', '"unit_id": "s4"')
    lines[4] = json.dumps({"id": 11, "text": "Spans.", "label": [[0, 5, "ORG"]]})
    lines.append("{not json")
    path = tmp_path / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AnnotationError) as e:
        read_doccano(path)
    problems = e.value.problems
    assert problems[0].startswith(f"{path}:1 (id 7): labels: unknown label")
    assert "did you mean 'First Party Collection/Use'?" in problems[0]
    assert any(p.startswith(f"{path}:5: label: holds spans") for p in problems)
    assert any(p.startswith(f"{path}:6: json: invalid JSON") for p in problems)
    assert any(p.startswith(f"{path}:2: unit_id: duplicate id 's4'") for p in problems)


def test_doccano_label_as_a_string_is_one_problem(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "We keep logs.", "label": "Data Retention"}))
    with pytest.raises(AnnotationError) as e:
        read_doccano(path)
    assert e.value.problems == [
        f"{path}:1: label: 'Data Retention' is not a list; write the labels as a list, "
        'e.g. ["Data Retention"]'
    ]


@pytest.mark.parametrize("reader", [read_doccano, read_labelstudio])
def test_an_export_that_cannot_be_read_is_named(tmp_path, reader):
    (latin := tmp_path / "x.json").write_bytes('[{"text": "caf\u00e9"}]'.encode("cp1252"))
    for path in (tmp_path, latin):
        with pytest.raises(DataError, match="cannot read it as a JSON"):
            reader(path)


def test_doccano_round_trip(tmp_path):
    records = read_annotations(SMALL / "annotations")
    write_doccano(records, tmp_path / "export.jsonl")
    back = read_doccano(tmp_path / "export.jsonl")
    assert comparable(back) == comparable(records)
    unlabelled = [json.loads(x) for x in to_doccano_lines(records, with_labels=False)]
    assert all(x["label"] == [] for x in unlabelled)


def test_policy_defaults_to_the_file_name(tmp_path):
    path = tmp_path / "foxtrot.jsonl"
    path.write_text(json.dumps({"text": "We use cookies.", "label": ["first_party"]}) + "\n")
    assert read_doccano(path)[0]["policy"] == "foxtrot"
    assert read_doccano(path, default_policy="golf")[0]["policy"] == "golf"


# ---------------------------------------------------------------- as data sources


@pytest.mark.filterwarnings("ignore:.*tasks have no annotation:UserWarning")  # task 104
@pytest.mark.parametrize("spec", ["labelstudio:labelstudio.json", "doccano:doccano.jsonl"])
@pytest.mark.filterwarnings("ignore:.*cannot fill:UserWarning")  # 2 policies, on purpose
def test_load_source_tools(spec):
    kind, name = spec.split(":")
    dd = load_source(f"{kind}:{EXPORTS / name}")
    assert list(dd) == list(SPLITS)
    split_of = {p: s for s in SPLITS for p in dd[s]["policy"]}
    assert set(split_of) == {"delta", "echo"}  # two policies: each whole in one split
    one = load_source(f"{kind}:{EXPORTS / name}", split="test")
    assert list(one) == ["test"] and one["test"].features == FEATURES


def test_doccano_items_without_a_label_are_counted_in_a_warning(tmp_path):
    path = tmp_path / "export.jsonl"
    lines = [
        {"id": 1, "text": "We sell data.", "label": ["Third Party Sharing/Collection"]},
        {"id": 2, "text": "Hello there.", "label": []},
        {"id": 3, "text": "Welcome.", "label": []},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.warns(UserWarning, match=r"export.jsonl: 2 of 3 items have no label"):
        records = read_doccano(path)
    assert len(records) == 3  # kept: an empty list may be a decision

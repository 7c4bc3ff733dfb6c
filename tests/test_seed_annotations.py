"""The seed annotations (data/annotations/<policy>.jsonl) cover the current segmentation.

Every sentence the segmenter finds in a seed policy must have exactly one record, in
document order, with the segmenter's id, offsets, text and section, and labels that are
display names from privtag.labels. If the segmenter changes, these tests fail until the
annotations are regenerated (see data/annotations/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from privtag.labels import LABELS
from privtag.segment import segment

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "data" / "policies"
ANNOTATIONS = ROOT / "data" / "annotations"
SEEDS = sorted(p for p in POLICIES.iterdir() if p.suffix in (".md", ".txt") and p.stem != "README")
REQUIRED = ("policy", "sentence_id", "start", "end", "text", "labels", "section")
ALLOWED = (*REQUIRED, "note")


def _records(policy: str) -> list[dict]:
    path = ANNOTATIONS / f"{policy}.jsonl"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_five_seed_policies_are_annotated():
    assert [p.stem for p in SEEDS] == ["contetra", "trustzone", "zarget", "ztrenz", "zzservers"]
    jsonl = sorted(p.stem for p in ANNOTATIONS.glob("*.jsonl"))
    assert jsonl == [p.stem for p in SEEDS]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_one_record_per_sentence(path: Path):
    doc = segment(path)
    records = _records(path.stem)
    got = [(r.get("sentence_id"), r.get("start"), r.get("end")) for r in records]
    want = [(s.id, s.start, s.end) for s in doc.sentences]
    missing = sorted(set(want) - set(got), key=want.index)
    extra = [g for g in got if g not in set(want)]
    assert not missing and not extra, (
        f"{path.stem}: annotations do not match the segmenter; sentences without a record: "
        f"{missing[:5]}, records without a sentence: {extra[:5]}"
    )
    assert got == want, f"{path.stem}: records are duplicated or out of document order"
    for r, s in zip(records, doc.sentences, strict=True):
        assert r["policy"] == path.stem
        assert r["text"] == s.text == doc.text[r["start"] : r["end"]], s.id
        assert r["section"] == list(s.section), s.id


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_record_fields_and_labels(path: Path):
    for r in _records(path.stem):
        where = f"{path.stem} {r.get('sentence_id')}"
        assert all(k in r for k in REQUIRED), f"{where}: missing {set(REQUIRED) - set(r)}"
        assert set(r) <= set(ALLOWED), f"{where}: unknown fields {set(r) - set(ALLOWED)}"
        assert isinstance(r["labels"], list), where
        unknown = [x for x in r["labels"] if x not in LABELS]
        assert not unknown, f"{where}: not label names: {unknown}"
        assert len(set(r["labels"])) == len(r["labels"]), f"{where}: repeated label"
        if "note" in r:
            assert isinstance(r["note"], str) and r["note"].strip(), where


def test_every_label_is_used_somewhere():
    used = {x for p in SEEDS for r in _records(p.stem) for x in r["labels"]}
    assert used == set(LABELS), f"never used: {set(LABELS) - used}"

"""The seed and modern annotations cover the current segmentation.

Seed: data/annotations/<policy>.jsonl for data/policies/<policy>.{md,txt}. Modern check set:
data/annotations/modern/<policy>.jsonl for data/policies/modern/<policy>.md. Every sentence
the segmenter finds must have exactly one record, in document order, with the segmenter's
id, offsets, text and section, and labels that are display names from privtag.labels. If the
segmenter changes, these tests fail until the annotations are regenerated (see
data/annotations/README.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from privtag.data.annotations import parse_annotations
from privtag.labels import LABELS
from privtag.segmentation.document import segment

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "data" / "policies"
ANNOTATIONS = ROOT / "data" / "annotations"
SEEDS = sorted(p for p in POLICIES.iterdir() if p.suffix in (".md", ".txt") and p.stem != "README")
MODERN_POLICIES = POLICIES / "modern"
MODERN_ANNOTATIONS = ANNOTATIONS / "modern"
MODERN = sorted(p for p in MODERN_POLICIES.glob("*.md") if p.stem != "ATTRIBUTION")
# the modern development set: current policies for fitting (threshold profiles, training)
DEV_POLICIES = POLICIES / "modern-dev"
DEV_ANNOTATIONS = ANNOTATIONS / "modern-dev"
DEV = sorted(p for p in DEV_POLICIES.glob("*.md") if p.stem != "ATTRIBUTION")
# the modern training set: current policies to train on
TRAIN_POLICIES = POLICIES / "modern-train"
TRAIN_ANNOTATIONS = ANNOTATIONS / "modern-train"
TRAIN = sorted(p for p in TRAIN_POLICIES.glob("*.md") if p.stem != "ATTRIBUTION")
#: each set of current policies: (policies, annotations, file names)
CURRENT = {
    "check": (MODERN_POLICIES, MODERN_ANNOTATIONS, ["betterstack", "commentcamarche", "wire"]),
    "dev": (DEV_POLICIES, DEV_ANNOTATIONS, ["mozilla", "protonvpn", "qobuz"]),
    "train": (
        TRAIN_POLICIES,
        TRAIN_ANNOTATIONS,
        ["arweave", "mullvad", "olvid", "sourcehut", "theregister", "tildes", "wordpress"],
    ),
}
REQUIRED = ("policy", "sentence_id", "start", "end", "text", "labels", "section")
ALLOWED = (*REQUIRED, "note")


def _records(policy: str, folder: Path = ANNOTATIONS) -> list[dict]:
    path = folder / f"{policy}.jsonl"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_five_seed_policies_are_annotated():
    assert [p.stem for p in SEEDS] == ["contetra", "trustzone", "zarget", "ztrenz", "zzservers"]
    jsonl = sorted(p.stem for p in ANNOTATIONS.glob("*.jsonl"))
    assert jsonl == [p.stem for p in SEEDS]


def _annotations_dir(path: Path) -> Path:
    folders = {
        MODERN_POLICIES: MODERN_ANNOTATIONS,
        DEV_POLICIES: DEV_ANNOTATIONS,
        TRAIN_POLICIES: TRAIN_ANNOTATIONS,
    }
    return folders.get(path.parent, ANNOTATIONS)


@pytest.mark.parametrize("path", SEEDS + MODERN + DEV + TRAIN, ids=lambda p: p.stem)
def test_one_record_per_sentence(path: Path):
    doc = segment(path)
    records = _records(path.stem, _annotations_dir(path))
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


@pytest.mark.parametrize("path", SEEDS + MODERN + DEV + TRAIN, ids=lambda p: p.stem)
def test_record_fields_and_labels(path: Path):
    for r in _records(path.stem, _annotations_dir(path)):
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


@pytest.mark.parametrize("which", CURRENT)
def test_modern_sets_are_attributed_policies(which: str):
    policies, annotations, names = CURRENT[which]
    files = sorted(p for p in policies.glob("*.md") if p.stem != "ATTRIBUTION")
    assert [p.stem for p in files] == names
    assert sorted(p.stem for p in annotations.glob("*.jsonl")) == names
    attribution = (policies / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Open Data Commons Attribution License v1.0" in attribution
    assert all(f"`{p.name}`" in attribution for p in files)


@pytest.mark.parametrize("which", CURRENT)
def test_modern_sets_validate(which: str):
    policies, annotations, _ = CURRENT[which]
    records, problems = parse_annotations([annotations], policies)
    assert problems == []
    files = [p for p in policies.glob("*.md") if p.stem != "ATTRIBUTION"]
    assert len(records) == sum(len(segment(p).sentences) for p in files)


def test_the_modern_sets_share_no_policy():
    def ids(folder: Path) -> set[str]:
        text = (folder / "ATTRIBUTION.md").read_text(encoding="utf-8")
        return set(re.findall(r"`(opentermsarchive:[^`]+)`", text))

    sets = [ids(policies) for policies, _, _ in CURRENT.values()]
    assert all(sets) and sum(map(len, sets)) == len(set().union(*sets))
    names = [n for _, _, ns in CURRENT.values() for n in ns]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("path", MODERN + DEV + TRAIN, ids=lambda p: p.stem)
def test_modern_records_cover_every_character(path: Path):
    # Whatever the segmenter leaves between two sentences must be whitespace, so that no
    # text of a current policy escapes annotation.
    doc = segment(path)
    covered = [False] * len(doc.text)
    for r in _records(path.stem, _annotations_dir(path)):
        covered[r["start"] : r["end"]] = [True] * (r["end"] - r["start"])
    uncovered = [i for i, c in enumerate(covered) if not c and not doc.text[i].isspace()]
    assert not uncovered, f"{path.stem}: text outside any record at {uncovered[:5]}"

"""OPP-115 importer: votes, Other types, errant spans, span projection onto sentences.

The ``mini_opp115`` fixture is a two-policy corpus in OPP-115's file formats (invented
text; OPP-115 itself is research-only and never copied here). Tests on the real corpus
use the ``opp115_dir`` fixture and skip without it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from privtag.data.opp115 import (
    load_opp115,
    load_policies,
    policy_records,
    read_policy,
    read_split,
    resolve_root,
)
from privtag.errors import DataError
from privtag.labels import LABEL2ID, LABELS

FP, TP, UC = ("First Party Collection/Use", "Third Party Sharing/Collection", "User Choice/Control")
IG, PNC, CI = "Introductory/Generic", "Practice not covered", "Privacy contact information"

MINI = "1_mini.example"
TINY = "2_tiny.example"
#: the segments of MINI (segment 2 is empty, as some OPP-115 segments are)
SEGMENTS = [
    "<strong>Mini Example Privacy Policy</strong><br>\n"
    "Mini Example runs a recipe website. This policy explains what we do with data.",
    "We collect your email address when you register.\nWe use cookies to remember your  "
    "preferences.",
    "",
    "<ul><li>We may share your email address with advertising partners.</li>\n"
    "<li>You can opt out at any time by writing to us.</li></ul>",
    "Contact us at privacy@mini.example or by post.",
]
#: the sentences the segmenter finds in MINI, by segment
SENTENCES = {
    0: [
        "Mini Example Privacy Policy",
        "Mini Example runs a recipe website.",
        "This policy explains what we do with data.",
    ],
    1: [
        "We collect your email address when you register.",
        "We use cookies to remember your preferences.",
    ],
    3: [
        "We may share your email address with advertising partners.",
        "You can opt out at any time by writing to us.",
    ],
    4: ["Contact us at privacy@mini.example or by post."],
}


def span(segment: int, phrase: str, value: str, newline: str = "\n") -> dict:
    """An attribute whose span selects ``phrase`` (first occurrence) in a MINI segment."""
    raw = SEGMENTS[segment].replace("\n", newline)
    start = raw.index(phrase.replace("\n", newline))
    end = start + len(phrase.replace("\n", newline))
    return {
        "selectedText": raw[start:end],
        "startIndexInSegment": start,
        "endIndexInSegment": end,
        "value": value,
    }


def no_span(value: str) -> dict:
    return {
        "selectedText": "null",
        "startIndexInSegment": -1,
        "endIndexInSegment": -1,
        "value": value,
    }


def mini_rows(nl: str) -> list[tuple]:
    """(annotation id, annotator, segment, category, attributes) of MINI's practices."""

    def sp(segment: int, phrase: str, value: str) -> dict:
        return span(segment, phrase, value, nl)

    return [
        # segment 0: A and B say Introductory; C's "Other: Other" gives no label
        (101, "A", 0, "Other", {"Other Type": sp(0, "Mini Example runs a recipe website.", IG)}),
        (102, "B", 0, "Other", {"Other Type": sp(0, "Mini Example Privacy Policy", IG)}),
        (103, "C", 0, "Other", {"Other Type": sp(0, SEGMENTS[0], "Other")}),
        # segment 1: First Party by all three (C without a span); Third Party by C only
        (
            201,
            "A",
            1,
            FP,
            {
                "Personal Information Type": sp(1, "email address", "Contact"),
                "Purpose": no_span("Unspecified"),
            },
        ),
        (
            202,
            "B",
            1,
            FP,
            {
                "Personal Information Type": sp(1, "email address", "Contact"),
                "Collection Mode": sp(1, "cookies", "Implicit"),
            },
        ),
        (203, "C", 1, TP, {"Third Party Entity": sp(1, "cookies to remember", "Unnamed")}),
        (204, "C", 1, FP, {"Personal Information Type": no_span("Unspecified")}),
        # segment 3: Third Party by A and B (B's span is listed as errant); User Choice by
        # A (a span reaching 3 characters into the first item), B (a 3-character span:
        # too short) and C
        (301, "A", 3, TP, {"Third Party Entity": sp(3, "advertising partners", "Unnamed")}),
        (302, "B", 3, TP, {"Third Party Entity": sp(3, "advertising partners", "Unnamed")}),
        (303, "C", 3, UC, {"Choice Type": sp(3, "opt out at any time", "Opt-out")}),
        (304, "B", 3, UC, {"Choice Type": sp(3, "You", "Opt-out")}),
        (305, "A", 3, UC, {"Choice Type": sp(3, "rs.</li>\n<li>You can opt", "Opt-out")}),
        # segment 4: contact by A and B (B's span is the whole segment); C: not covered
        (401, "A", 4, "Other", {"Other Type": sp(4, "Contact us at privacy@mini.example", CI)}),
        (402, "B", 4, "Other", {"Other Type": sp(4, SEGMENTS[4], CI)}),
        (403, "C", 4, "Other", {"Other Type": sp(4, "by post", PNC)}),
        # a category outside the taxonomy is ignored
        (404, "C", 4, "Unknown Practice", {"Other Type": sp(4, "by post", CI)}),
    ]


def write_corpus(root: Path, newline: str = "\n") -> Path:
    """Write MINI and TINY in OPP-115's formats under ``root`` (lines end with ``newline``)."""
    for sub in ("annotations", "sanitized_policies", "documentation/errant_span_indexes"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    html = "|||".join(SEGMENTS).replace("\n", newline)
    (root / "sanitized_policies" / f"{MINI}.html").write_bytes(html.encode("utf-8"))
    (root / "sanitized_policies" / f"{TINY}.html").write_text(
        "We keep server logs for thirty days.", encoding="utf-8"
    )
    rows = [
        (
            i,
            "batch_1",
            who,
            1,
            seg,
            cat,
            json.dumps(attrs),
            "2026-01-01",
            "http://mini.example/privacy",
        )
        for i, who, seg, cat, attrs in mini_rows(newline)
    ]
    with open(root / "annotations" / f"{MINI}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    retention = json.dumps(
        {
            "Retention Period": {
                "selectedText": "thirty days",
                "startIndexInSegment": 24,
                "endIndexInSegment": 35,
                "value": "Limited",
            }
        }
    )
    with open(root / "annotations" / f"{TINY}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [(9001, "b", who, 2, 0, "Data Retention", retention, "", "") for who in ("A", "B")]
        )
    (root / "documentation" / "errant_span_indexes" / "errant_span_indexes_block_1.csv").write_text(
        "302,1_Third Party Entity\r\n9999,2_Purpose\r\n", encoding="utf-8"
    )
    (root / "split.json").write_text(
        json.dumps({"train": [MINI, "99_absent.example"], "validation": [TINY], "test": []})
    )
    return root


@pytest.fixture
def mini(tmp_path) -> Path:
    """A two-policy OPP-115-format corpus (invented text) in tmp_path/opp115."""
    return write_corpus(tmp_path / "opp115")


def by_unit(records: list[dict]) -> dict[str, set[str]]:
    return {r["text"]: set(r["labels"]) for r in records}


# ---------------------------------------------------------------- the mini corpus


def test_segments_are_paragraphs_and_sentences_are_found(mini):
    policy = read_policy(mini, MINI)
    html = (mini / "sanitized_policies" / f"{MINI}.html").read_text(encoding="utf-8")
    assert len(policy.doc.paragraphs) == len(SEGMENTS) == html.count("|||") + 1
    for seg, texts in SENTENCES.items():
        assert [s.text for s in policy.doc.paragraph_sentences(seg)] == texts
    assert policy.doc.paragraph_sentences(2) == []
    assert set(policy.practices) == {0, 1, 3, 4}


def test_segment_votes(mini):
    policy = read_policy(mini, MINI)
    majority = policy_records(policy, "segment", "majority")
    union = policy_records(policy, "segment", "union")
    assert [r["paragraph"] for r in majority] == [0, 1, 3, 4]  # the empty segment: no unit
    assert [set(r["labels"]) for r in majority] == [{IG}, {FP}, {TP, UC}, {CI}]
    assert [set(r["labels"]) for r in union] == [{IG}, {FP, TP}, {TP, UC}, {CI, PNC}]
    assert [r["unit_id"] for r in union] == ["seg0", "seg1", "seg3", "seg4"]
    assert union[1]["text"] == " ".join(SENTENCES[1])
    for r in union:
        assert r["text"] == policy.doc.text[r["start"] : r["end"]]


def test_other_type_maps_to_three_labels_and_other_to_none(mini):
    policy = read_policy(mini, MINI)
    labels = {(p.annotator, p.label) for seg in (0, 4) for p in policy.practices[seg]}
    assert labels == {("A", IG), ("B", IG), ("A", CI), ("B", CI), ("C", PNC)}
    # C's "Other Type: Other" on segment 0 and the unknown category left nothing
    assert [p.annotator for p in policy.practices[0]] == ["A", "B"]
    assert len(policy.practices[4]) == 3


def test_attributes_are_kept_per_label(mini):
    policy = read_policy(mini, MINI)
    seg1 = policy_records(policy, "segment", "union")[1]
    assert json.loads(seg1["attributes"]) == {
        FP: {
            "Personal Information Type": ["Contact", "Unspecified"],
            "Purpose": ["Unspecified"],
            "Collection Mode": ["Implicit"],
        },
        TP: {"Third Party Entity": ["Unnamed"]},
    }


def test_errant_and_missing_spans_are_skipped(mini):
    policy = read_policy(mini, MINI)
    spans = {(p.annotator, p.label): p.spans for p in policy.practices[3]}
    assert spans[("B", TP)] == []  # 302 Third Party Entity is errant
    assert spans[("A", TP)] == [
        (SEGMENTS[3].index("advertising"), SEGMENTS[3].index("advertising") + 20)
    ]
    c_fp = [p for p in policy.practices[1] if p.annotator == "C" and p.label == FP]
    assert c_fp[0].spans == []  # index -1: no span
    assert c_fp[0].attributes == {"Personal Information Type": "Unspecified"}


EXPECTED_SENTENCES = {
    # sentence: (majority labels, union labels)
    "Mini Example Privacy Policy": (set(), {IG}),  # B's span is the heading
    "Mini Example runs a recipe website.": (set(), {IG}),
    "This policy explains what we do with data.": (set(), set()),  # nobody selected it
    "We collect your email address when you register.": ({FP}, {FP}),  # A and B
    "We use cookies to remember your preferences.": (set(), {FP, TP}),  # B; C
    "We may share your email address with advertising partners.": (set(), {TP}),  # B errant
    "You can opt out at any time by writing to us.": ({UC}, {UC}),  # A (7 chars) and C
    "Contact us at privacy@mini.example or by post.": ({CI}, {CI, PNC}),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_span_projection_onto_sentences(tmp_path, newline):
    """Exact sentence labels; the same with Windows line ends (regression: the segment
    offsets came from Path.read_text, which drops the \\r the annotators' offsets count)."""
    root = write_corpus(tmp_path / "opp115", newline)
    policy = read_policy(root, MINI)
    majority = by_unit(policy_records(policy, "sentence", "majority"))
    union = by_unit(policy_records(policy, "sentence", "union"))
    assert {t: (majority[t], union[t]) for t in union} == EXPECTED_SENTENCES


def test_sentence_records(mini):
    policy = read_policy(mini, MINI)
    records = policy_records(policy, "sentence", "union")
    assert [r["unit_id"] for r in records] == [s.id for s in policy.doc.sentences]
    assert [r["previous"] for r in records[:4]] == [
        "",
        "Mini Example Privacy Policy",
        "Mini Example runs a recipe website.",
        "",
    ]
    assert records[1]["section"] == ["Mini Example Privacy Policy"]
    for r in records:
        assert r["text"] == policy.doc.text[r["start"] : r["end"]]
        assert r["source"] == "opp115"
    last = json.loads(records[-1]["attributes"])
    assert last == {CI: {"Other Type": [CI]}, PNC: {"Other Type": [PNC]}}


def test_load_opp115_splits(mini):
    with pytest.warns(UserWarning, match=r"split.json: 1 listed policies have no annotations"):
        dd = load_opp115(mini, level="segment", vote="majority")
    assert set(dd) == {"train", "validation", "test"}
    assert set(dd["train"]["policy"]) == {MINI}  # 99_absent is not in the directory
    assert dd["test"].num_rows == 0
    tiny = dd["validation"]
    assert tiny.num_rows == 1 and tiny[0]["labels"] == [LABEL2ID["Data Retention"]]
    assert tiny.features["labels"].feature.names == list(LABELS)
    with pytest.warns(UserWarning, match="99_absent"):
        sentences = load_opp115(mini, level="sentence", vote="union", splits=["validation"])
    assert list(sentences) == ["validation"]
    assert [LABELS[i] for i in sentences["validation"][0]["labels"]] == ["Data Retention"]
    with pytest.warns(UserWarning, match="they are left out"):
        assert read_split(mini) == {"train": [MINI], "validation": [TINY], "test": []}


@pytest.mark.parametrize("content", ['{"train": ["a"', '["a", "b"]', '{"train": "a"}'])
def test_a_broken_split_json_is_named(mini, tmp_path, content):
    import shutil

    copy = Path(shutil.copytree(mini, tmp_path / "opp"))
    (copy / "split.json").write_text(content)
    with pytest.raises(DataError, match=r"split\.json: (not valid JSON|expected an object)"):
        read_split(copy)


def test_bad_arguments_and_directories(mini, tmp_path):
    with pytest.raises(DataError, match="level must be 'segment' or 'sentence', not 'word'"):
        load_opp115(mini, level="word")
    with pytest.raises(DataError, match="vote must be one of majority, union, not 'all'"):
        load_opp115(mini, vote="all")
    with pytest.raises(DataError, match="no split dev; it has train, validation, test"):
        load_opp115(mini, splits=["dev"])
    with pytest.raises(DataError, match="no annotations/ inside"):
        resolve_root(tmp_path)
    (mini / "split.json").unlink()
    with pytest.raises(DataError, match=r"split\.json: missing"):
        load_opp115(mini)


def test_missing_policy_file_and_malformed_row(mini):
    (mini / "sanitized_policies" / f"{TINY}.html").unlink()
    with pytest.raises(
        DataError, match=f"{TINY}.html: missing; the OPP-115 directory is incomplete"
    ):
        read_policy(mini, TINY)
    with open(mini / "annotations" / f"{MINI}.csv", "a", newline="", encoding="utf-8") as f:
        csv.writer(f).writerow([1, "b", "A", 1, 0, FP, "{not json"])
    with pytest.raises(DataError, match=f"{MINI}.csv:17: malformed annotation row"):
        read_policy(mini, MINI)


# ---------------------------------------------------------------- the real corpus


@pytest.fixture(scope="module")
def policies(opp115_dir):
    """Every OPP-115 policy on this machine, segmented (about a second)."""
    return load_policies(opp115_dir)


def test_every_segment_is_a_paragraph(policies, opp115_dir):
    assert len(policies) >= 95
    for name, policy in policies.items():
        html = (opp115_dir / "sanitized_policies" / f"{name}.html").read_text(encoding="utf-8")
        assert len(policy.doc.paragraphs) == html.count("|||") + 1, name
        assert len(policy.segment_starts) == len(policy.doc.paragraphs), name


def test_majority_labels_are_union_labels(policies):
    for name, policy in policies.items():
        for level in ("segment", "sentence"):
            majority = policy_records(policy, level, "majority")
            union = policy_records(policy, level, "union")
            assert [r["unit_id"] for r in majority] == [r["unit_id"] for r in union]
            for m, u in zip(majority, union, strict=True):
                assert set(m["labels"]) <= set(u["labels"]), (name, m["unit_id"])


@pytest.mark.parametrize("vote", ["union", "majority"])
def test_sentence_labels_are_segment_labels(policies, vote):
    kept = 0
    for name, policy in policies.items():
        segments = {
            r["paragraph"]: set(r["labels"]) for r in policy_records(policy, "segment", vote)
        }
        for r in policy_records(policy, "sentence", vote):
            assert set(r["labels"]) <= segments[r["paragraph"]], (name, r["unit_id"])
            kept += bool(r["labels"])
    assert kept > 1000  # the projection keeps labels, not only the inclusion


def test_span_offsets_index_the_raw_segment(opp115_dir):
    """What the projection relies on: startIndexInSegment counts characters of the raw
    segment HTML (checked against selectedText; a few spans are known to be errant)."""
    same = total = 0
    for f in sorted((opp115_dir / "annotations").glob("*.csv"))[:30]:
        html = (opp115_dir / "sanitized_policies" / f"{f.stem}.html").read_bytes().decode()
        segments = html.split("|||")
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for v in json.loads(row[6]).values():
                    s, e = v.get("startIndexInSegment", -1), v.get("endIndexInSegment", -1)
                    if s is not None and s >= 0 and e > s:
                        total += 1
                        same += segments[int(row[4])][s:e] == v.get("selectedText")
    assert total > 1000 and same / total > 0.95, (same, total)


def test_load_opp115_on_the_corpus(opp115_dir):
    dd = load_opp115(opp115_dir, level="segment", splits=["train", "validation"])
    assert len(set(dd["train"]["policy"])) == 85
    assert len(set(dd["validation"]["policy"])) == 10
    assert not set(dd["train"]["policy"]) & set(dd["validation"]["policy"])

"""The data report: exact counts on small fixtures, the CLI command, and the real corpus.

``fixtures/opp115_small`` is invented text in OPP-115's layout: two policies (one train,
one validation), three annotators, chosen so that projection keeps some segment labels and
loses others for a known reason:

=========  ========================================  ==================  =================
segment    practices (annotators A, B, C)            majority segment    majority sentence
=========  ========================================  ==================  =================
alpha 0    Introductory/Generic by A, B, C           Intro               s0 Intro
alpha 1    First Party: A, B span s1, C spans s2     First Party         s1 First Party
alpha 2    Third Party: A spans s3, B spans s4;      Third Party,        s4 User Choice
           User Choice: A, B span s4; Security: C    User Choice         (Third Party lost)
alpha 3    Retention by A, B, no span                Retention           none (lost)
alpha 4    Security by A, B; B's span is errant      Security            none (lost)
alpha 5    Other Type "Other" by A, B                none                none
beta 0     Audiences: A, B span s1; Intro: C (s0)    Audiences           s1 Audiences
beta 1     contact by A, B, C (s3); "Other" by C     contact             s3 contact
=========  ========================================  ==================  =================
"""

from __future__ import annotations

import doctest
import json
import shutil
import sys

import pytest
from typer.testing import CliRunner

from privtag.cli import app, main
from privtag.data import stats as datareport
from privtag.data.opp115 import load_opp115
from privtag.data.stats import build_report, count_units, kept_by_projection
from privtag.labels import LABEL2ID, LABELS, NUM_LABELS


def _vec(**by_id: int) -> tuple[int, ...]:
    """Per-label counts from short label ids, e.g. ``_vec(first_party=1)``."""
    from privtag.labels import LABEL_IDS

    out = [0] * NUM_LABELS
    for key, n in by_id.items():
        out[LABEL_IDS.index(key)] = n
    return tuple(out)


@pytest.fixture(scope="module")
def opp_small(fixtures):
    return fixtures / "opp115_small"


@pytest.fixture(scope="module")
def seeds_small(fixtures, tmp_path_factory):
    """data_small's annotations, with two labels removed so that "(no label)" and the
    paragraph union are both exercised."""
    d = tmp_path_factory.mktemp("seeds")
    shutil.copytree(fixtures / "data_small" / "annotations", d / "annotations")
    shutil.copytree(fixtures / "data_small" / "policies", d / "policies")
    for name, text in [
        ("cobalt", "Cobalt Notes stores the notes you write."),
        ("acme", "We never sell your personal information."),
    ]:
        f = d / "annotations" / f"{name}.jsonl"
        rows = [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
        hit = [r for r in rows if r["text"] == text]
        assert len(hit) == 1, text
        hit[0]["labels"] = []
        f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d / "annotations"


def test_doctests():
    assert doctest.testmod(datareport).failed == 0


def test_opp115_counts_majority(opp_small):
    r = build_report(opp_small, None)
    by = {c.name: c for c in r.counts}
    assert list(by) == [
        "OPP-115 train, segment",
        "OPP-115 train, sentence",
        "OPP-115 validation, segment",
        "OPP-115 validation, sentence",
    ]
    seg, sent = by["OPP-115 train, segment"], by["OPP-115 train, sentence"]
    assert (seg.policies, seg.units, seg.unlabelled) == (1, 6, 1)
    assert seg.per_label == _vec(
        introductory=1,
        first_party=1,
        third_party=1,
        user_choice=1,
        data_retention=1,
        data_security=1,
    )
    assert (sent.policies, sent.units, sent.unlabelled) == (1, 8, 5)
    assert sent.per_label == _vec(introductory=1, first_party=1, user_choice=1)
    vseg, vsent = by["OPP-115 validation, segment"], by["OPP-115 validation, sentence"]
    assert (vseg.policies, vseg.units, vseg.unlabelled) == (1, 2, 0)
    assert vseg.per_label == _vec(specific_audiences=1, contact=1)
    assert (vsent.units, vsent.unlabelled) == (4, 2)
    assert vsent.per_label == _vec(specific_audiences=1, contact=1)


def test_opp115_kept_majority(opp_small):
    train, val, total = build_report(opp_small, None).kept
    assert [k.name for k in (train, val, total)] == ["train", "validation", "all"]
    assert (sum(train.segment), sum(train.kept)) == (6, 3) and train.share() == 0.5
    # lost: Third Party (annotators spanned different sentences), Retention (no span),
    # Security (one of the two spans is listed as errant)
    assert train.kept == _vec(introductory=1, first_party=1, user_choice=1)
    assert val.share() == 1.0
    assert total.segment == tuple(a + b for a, b in zip(train.segment, val.segment, strict=True))
    assert total.share() == 5 / 8
    assert total.share(LABEL2ID["Third Party Sharing/Collection"]) == 0.0
    assert total.share(LABEL2ID["Do Not Track"]) is None  # no segment has it: nothing to keep


def test_opp115_union(opp_small):
    r = build_report(opp_small, None, vote="union")
    by = {c.name: c for c in r.counts}
    assert by["OPP-115 train, segment"].per_label == _vec(
        introductory=1,
        first_party=1,
        third_party=1,
        user_choice=1,
        data_retention=1,
        data_security=2,
    )
    sent = by["OPP-115 train, sentence"]
    assert sent.per_label == _vec(
        introductory=1, first_party=2, third_party=2, user_choice=1, data_security=2
    )
    assert sent.unlabelled == 2
    assert by["OPP-115 validation, segment"].per_label == _vec(
        specific_audiences=1, introductory=1, contact=1
    )
    train, val, total = r.kept
    # only Retention, which no annotator gave a span, is lost
    assert (sum(train.segment), sum(train.kept)) == (7, 6) and val.share() == 1.0
    assert (
        total.segment[LABEL2ID["Data Retention"]] == 1
        and total.kept[LABEL2ID["Data Retention"]] == 0
    )


def test_seed_counts(seeds_small):
    r = build_report(None, seeds_small)
    assert r.kept == []
    sent, para = r.counts
    assert (sent.name, para.name) == ("seed, sentence", "seed, paragraph")
    assert (sent.policies, sent.units, sent.unlabelled) == (3, 34, 2)
    assert sent.per_label == _vec(
        first_party=4,
        third_party=2,
        user_choice=1,
        user_access=1,
        data_retention=1,
        data_security=2,
        policy_change=1,
        do_not_track=1,
        specific_audiences=2,
        introductory=17,
        contact=1,
    )
    # acme's sharing paragraph keeps Third Party through its other sentence; cobalt's
    # one-sentence paragraph becomes unlabelled
    assert (para.policies, para.units, para.unlabelled) == (3, 25, 1)
    assert para.per_label == _vec(
        first_party=3,
        third_party=2,
        user_choice=1,
        user_access=1,
        data_retention=1,
        data_security=1,
        policy_change=1,
        do_not_track=1,
        specific_audiences=1,
        introductory=15,
        contact=1,
    )


def test_helpers_on_plain_rows():
    c = count_units("x", [("p", [0, 0, 3]), ("q", [])])
    assert (c.policies, c.units, c.unlabelled, c.per_label[0], c.per_label[3]) == (2, 2, 1, 1, 1)
    # a sentence in another paragraph or policy does not keep a segment's label
    k = kept_by_projection(
        "x",
        [{"policy": "p", "paragraph": 0, "labels": [2]}],
        [
            {"policy": "p", "paragraph": 1, "labels": [2]},
            {"policy": "q", "paragraph": 0, "labels": [2]},
        ],
    )
    assert k.kept == (0,) * NUM_LABELS and k.share() == 0.0


def test_text_and_markdown(opp_small, seeds_small):
    r = build_report(opp_small, seeds_small)
    text = r.to_text()
    assert text.splitlines()[0] == "Data report (majority vote, at least 2 of 3 annotators)"
    rows, kept = _tables(text)
    assert rows["Introductory/Generic"] == ["1", "1", "0", "0", "17", "15"]
    assert rows["(no label)"] == ["1", "5", "0", "2", "2", "1"]
    assert rows["units"] == ["6", "8", "2", "4", "34", "25"]
    assert kept["all labels"] == ["8", "5", "50.0%", "100.0%", "62.5%"]
    assert kept["Data Retention"] == ["1", "0", "0.0%", "-", "0.0%"]
    assert kept["Do Not Track"] == ["0", "0", "-", "-", "-"]
    assert all(label in text for label in LABELS)
    md = r.to_markdown()
    assert (
        "| label | OPP-115 train, segment | OPP-115 train, sentence | OPP-115 validation, "
        "segment | OPP-115 validation, sentence | seed, sentence | seed, paragraph |"
    ) in md
    assert "| Third Party Sharing/Collection | 1 | 0 | 0 | 0 | 2 | 2 |" in md
    assert "| all labels | 8 | 5 | 50.0% | 100.0% | 62.5% |" in md
    # aggregate numbers only: no policy text reaches the report
    for out in (text, md):
        assert "advertisers" not in out and "encryption" not in out


def test_bad_arguments(opp_small, tmp_path):
    from privtag.errors import DataError

    with pytest.raises(DataError, match="vote must be one of"):
        build_report(opp_small, None, vote="most")
    with pytest.raises(DataError, match="nothing to report"):
        build_report(None, None)
    with pytest.raises(DataError, match="not an OPP-115 directory"):
        build_report(tmp_path, None)


def test_cli_data_report(opp_small, seeds_small, tmp_path):
    md = tmp_path / "data.md"
    res = CliRunner().invoke(
        app,
        [
            "data-report",
            "--opp115",
            str(opp_small),
            "--annotations",
            str(seeds_small),
            "--vote",
            "union",
            "--markdown",
            str(md),
        ],
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("Data report (union, at least 1 annotator)\n")
    assert res.output.rstrip().endswith(f"wrote {md}")
    rows, kept = _tables(res.output)
    assert rows["Data Security"][:4] == ["2", "2", "0", "0"]
    assert kept["all labels"] == ["10", "9", "85.7%", "100.0%", "90.0%"]
    written = md.read_text()
    assert (
        written.startswith("`privtag ") and "| Data Retention | 1 | 0 | 0 | 0 | 1 | 1 |" in written
    )


def _tables(text: str) -> tuple[dict, dict]:
    """The counts and projection tables of ``to_text()``: label -> cells."""
    counts, _, kept = text.partition("Segment labels kept")
    return tuple(
        {x[:36].rstrip(): x[36:].split() for x in part.splitlines()} for part in (counts, kept)
    )


def _run_main(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["privtag", *args])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_cli_errors_one_line_exit_2(opp_small, tmp_path, monkeypatch, capsys):
    code, out, err = _run_main(
        ["data-report", "--opp115", str(opp_small), "--vote", "most"], monkeypatch, capsys
    )
    assert (
        code == 2
        and out == ""
        and err.strip() == ("privtag: error: vote must be one of majority, union, not 'most'")
    )
    code, out, err = _run_main(
        ["data-report", "--opp115", str(tmp_path), "--annotations", str(tmp_path)],
        monkeypatch,
        capsys,
    )
    assert code == 2 and out == "" and "not an OPP-115 directory" in err


def test_real_corpus(opp115_dir):
    r = build_report(opp115_dir, None)
    by = {c.name: c for c in r.counts}
    assert by["OPP-115 train, segment"].policies == 85
    assert by["OPP-115 validation, sentence"].policies == 10
    for split in ("train", "validation"):
        seg, sent = by[f"OPP-115 {split}, segment"], by[f"OPP-115 {split}, sentence"]
        assert sent.units > seg.units and sent.unlabelled > seg.unlabelled
    total = r.kept[-1]
    assert sum(total.segment) > 3000 and 0.9 < total.share() <= 1.0
    assert all(k <= s for k, s in zip(total.kept, total.segment, strict=True))
    # same vote at both levels: a sentence never carries a label its segment lacks
    segs = load_opp115(opp115_dir, level="segment", splits=["validation"])["validation"]
    sents = load_opp115(opp115_dir, level="sentence", splits=["validation"])["validation"]
    seg_labels = {
        (p, i): set(lab)
        for p, i, lab in zip(segs["policy"], segs["paragraph"], segs["labels"], strict=True)
    }
    for p, i, lab in zip(sents["policy"], sents["paragraph"], sents["labels"], strict=True):
        assert set(lab) <= seg_labels[p, i]

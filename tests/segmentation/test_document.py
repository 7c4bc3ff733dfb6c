"""The segmenter: sentence rules, document invariants, seed policies, OPP-115, bad input, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from privtag.cli import main
from privtag.errors import PolicyReadError
from privtag.segmentation import loading, segment
from privtag.segmentation.blocks import INVISIBLE
from privtag.segmentation.document import Document, iter_jsonl, split_sentences

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ["ztrenz.md", "zzservers.txt", "contetra.txt", "trustzone.md", "zarget.md"]


def split(text: str, **kw) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, **kw)]


# --------------------------------------------------------------------------- sentence rules


@pytest.mark.parametrize(
    "text, expected",
    [
        # abbreviations
        (
            "Acme Inc. is based in Ohio. Acme Ltd. and Foo Co. are not.",
            ["Acme Inc. is based in Ohio.", "Acme Ltd. and Foo Co. are not."],
        ),
        ("We are Acme Inc. We sell tools.", ["We are Acme Inc.", "We sell tools."]),
        (
            "Data stays in the U.S. Department of Commerce rules apply.",
            ["Data stays in the U.S. Department of Commerce rules apply."],
        ),
        (
            "We store data in the U.S. Please note this.",
            ["We store data in the U.S.", "Please note this."],
        ),
        (
            "We work with you. We use it, e.g. Google Analytics, i.e. Tools, etc. to help.",
            ["We work with you.", "We use it, e.g. Google Analytics, i.e. Tools, etc. to help."],
        ),
        (
            "We use processors etc. Transfers are covered.",
            ["We use processors etc.", "Transfers are covered."],
        ),
        (
            "See No. 5 and Art. 6 of the GDPR. No. We do not.",
            ["See No. 5 and Art. 6 of the GDPR.", "No.", "We do not."],
        ),
        (
            "Effective Oct. 1, 2015. Mr. J. Smith is our officer.",
            ["Effective Oct. 1, 2015.", "Mr. J. Smith is our officer."],
        ),
        (
            "Write to Non-U.S. Users Desk, P.O. Box 6000. Thanks.",
            ["Write to Non-U.S. Users Desk, P.O. Box 6000.", "Thanks."],
        ),
        # decimals and money
        (
            "Fees are $1.50 or 2.5% of 1,000.00 USD. Version 2. We changed it.",
            ["Fees are $1.50 or 2.5% of 1,000.00 USD.", "Version 2.", "We changed it."],
        ),
        # URLs and e-mail addresses
        (
            "Visit www.Example.com/Privacy.html or https://x.example/a.b?c=d. Mail a.b@c.example. Done.",
            [
                "Visit www.Example.com/Privacy.html or https://x.example/a.b?c=d.",
                "Mail a.b@c.example.",
                "Done.",
            ],
        ),
        (
            "It is positive for users. https://support.example/x explains more.",
            ["It is positive for users.", "https://support.example/x explains more."],
        ),
        # ellipses, quotes and parentheses
        (
            "We wait... Then we act. We said “stop.” Then we did.",
            ["We wait...", "Then we act.", "We said “stop.”", "Then we did."],
        ),
        (
            'Yes (cookies are small files (if you allow).) We use them. "Really?" she asked.',
            [
                "Yes (cookies are small files (if you allow).)",
                "We use them.",
                '"Really?" she asked.',
            ],
        ),
        # list markers
        ("1. We collect names. 2. We keep logs.", ["1. We collect names.", "2. We keep logs."]),
        (
            "We may: (a) share it; (b) sell it. i) We never do. • Item one • Item two",
            ["We may: (a) share it; (b) sell it.", "i) We never do.", "• Item one", "• Item two"],
        ),
        (
            "We share data. - See more at: http://x.example/p",
            ["We share data.", "- See more at: http://x.example/p"],
        ),
        # missing space after a full stop
        (
            "We keep logs.We delete them.I agree to that.",
            ["We keep logs.", "We delete them.", "I agree to that."],
        ),
        (
            "Trust.Zone and Amazon.Com/Help are sites.",
            ["Trust.Zone and Amazon.Com/Help are sites."],
        ),
        # lower-case brands and "us."
        (
            "It is ours to keep with us. zTrenz collects data.",
            ["It is ours to keep with us.", "zTrenz collects data."],
        ),
        # ALL-CAPS headings run into the text
        (
            "PRIVACY POLICY We collect data. YOUR RIGHTS You may ask.",
            ["PRIVACY POLICY", "We collect data.", "YOUR RIGHTS", "You may ask."],
        ),
        ("GDPR Compliance matters here.", ["GDPR Compliance matters here."]),
        ("Questions? Contact us! Now.", ["Questions?", "Contact us!", "Now."]),
    ],
)
def test_split_rules(text, expected):
    assert split(text) == expected


def test_headings_are_never_split():
    assert split("Privacy policy. Trust.Zone - The One!", heading=True) == [
        "Privacy policy. Trust.Zone - The One!"
    ]


def test_run_on_text_is_cut_on_word_boundaries():
    text = " ".join(f"word{i}" for i in range(3000))  # no punctuation at all
    parts = split(text, max_chars=200)
    assert all(len(p) <= 200 for p in parts) and " ".join(parts) == text
    clauses = "We collect data from you, " * 40
    assert all(p.endswith(",") for p in split(clauses, max_chars=300)[:-1])


def test_one_huge_word_is_cut_at_the_maximum():
    assert [len(p) for p in split("x" * 2500, max_chars=1000)] == [1000, 1000, 500]


# --------------------------------------------------------------------------- invariants


def check_document(doc: Document, max_chars: int = 1000) -> None:
    """Offsets, coverage, paragraph bookkeeping: what every Document must satisfy."""
    covered = bytearray(len(doc.text))
    prev_end = 0
    for i, s in enumerate(doc.sentences):
        assert s.id == f"s{i}"
        assert doc.text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip() and len(s.text) <= max_chars
        assert s.start >= prev_end
        prev_end = s.end
        assert s.kind in {"heading", "list_item", "body"}
        p = doc.paragraphs[s.paragraph]
        assert p.first <= i < p.last and p.start <= s.start and s.end <= p.end
        covered[s.start : s.end] = b"\x01" * (s.end - s.start)
    lost = [i for i, ch in enumerate(doc.text) if not ch.isspace() and not covered[i]]
    assert not lost, f"characters outside every sentence: {lost[:5]}"
    assert [p.index for p in doc.paragraphs] == list(range(len(doc.paragraphs)))
    assert sum(p.last - p.first for p in doc.paragraphs) == len(doc.sentences)


def check_source_offsets(doc: Document, source: str) -> None:
    for i, ch in enumerate(doc.text):
        j = doc.source_offset(i)
        assert j is None or source[j] == ch


_CHARS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r")
_PIECES = st.sampled_from(
    [
        "We keep logs.",
        "Acme Inc. sells",
        "e.g. names",
        "U.S.",
        "$1.50",
        "www.x.example.",
        "a@b.example",
        "...",
        "“quoted.”",
        "(a)",
        "1.",
        "i)",
        "•",
        "- ",
        "* ",
        "# ",
        "## ",
        "> ",
        "PRIVACY POLICY",
        "**bold**",
        "_em_",
        "[link](http://x.example)",
        "| a | b |",
        "|---|---|",
        "\n",
        "\n\n",
        " ",
        "  ",
        "\u00a0",
        "\u200b",
        "\u200e",
        "\u202b",
        "\t",
        "zTrenz",
        "us.",
        "We",
        "?",
        "!",
        ":",
    ]
)
_TEXTS = st.lists(st.one_of(_PIECES, st.text(_CHARS, max_size=12)), max_size=40).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS, st.sampled_from(["text", "markdown"]), st.integers(40, 400))
def test_text_and_markdown_invariants(source, fmt, max_chars):
    assume(loading._as_path(source) is None)  # "/" or "." names a directory, not a policy
    try:
        doc = segment(source, format=fmt, max_sentence_chars=max_chars)
    except PolicyReadError:
        assert not source.strip(
            " \t\n\u00a0\u3000\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029" + INVISIBLE
        ) or not doc_text_possible(source)
        return
    check_document(doc, max_chars)
    check_source_offsets(doc, source)
    if fmt == "text":
        check_nothing_lost(doc, source)


def doc_text_possible(source: str) -> bool:
    # markdown can legitimately be all markup ("---", "|---|"); text only bullets/invisibles
    return bool(re.sub(rf"[\s{INVISIBLE}\u200c\u200d*_#>|\-+•:]", "", source))


def check_nothing_lost(doc: Document, source: str) -> None:
    """Plain text: every visible source character is in the document, bar dropped bullets."""
    kept = set()
    for _off, src, n in doc._runs:
        kept.update(range(src, src + n))
    for j, ch in enumerate(source):
        if ch.isspace() or ch in INVISIBLE + "\u200c\u200d" or j in kept:
            continue
        line_start = source.rfind("\n", 0, j) + 1
        assert ch in "-*+•●▪◦‣·–" and not source[line_start:j].strip(), (j, ch, source)


_HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<h2>",
        "</h2>",
        "<ul><li>",
        "</li>",
        "</ul>",
        "<br>",
        "<b>",
        "</b>",
        "<strong>",
        "<table><tr><td>",
        "</td><td>",
        "</td></tr></table>",
        "<nav>",
        "</nav>",
        "<script>",
        "</script>",
        "<!-- c -->",
        "&amp;",
        "&nbsp;",
        "<",
        ">",
        "<p class=x",
        "We keep logs.",
        "Acme Inc. sells",
        "PRIVACY",
        "U.S. Please",
        " ",
        "\n",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HTML_PIECES, st.text(_CHARS, max_size=10)), max_size=40).map("".join))
def test_html_invariants(source):
    try:
        doc = segment(source, format="html")
    except PolicyReadError as e:
        assert "no text" in str(e)
        return
    check_document(doc)


@pytest.mark.parametrize(
    "name",
    [
        "segment_page.html",
        "segment_notes.md",
        "segment_legal.txt",
        "segment_cp1252.txt",
        "segment_latin1.txt",
    ],
)
def test_fixture_invariants(fixtures, name):
    doc = segment(fixtures / name)
    check_document(doc)
    if not name.endswith(".html"):
        check_source_offsets(
            doc,
            doc.metadata
            and Path(fixtures / name)
            .read_bytes()
            .decode(doc.metadata["encoding"])
            .replace("\r", "\n"),
        )


def test_legal_text_fixture(fixtures):
    doc = segment(fixtures / "segment_legal.txt")
    got = [(s.kind, s.text) for s in doc.sentences]
    assert got[:5] == [
        ("heading", "PRIVACY POLICY"),
        ("body", "Last revised: Mar. 3, 2023."),
        ("body", 'ACME CORP. ("Acme") runs acme.example.'),
        ("body", "We collect data as described in Sec. 2 below."),
        ("body", "We never sell it."),
    ]
    assert ("list_item", "(b) usage data, e.g. pages viewed;") in got
    assert ("list_item", "anything else you send us.") in got
    assert ("heading", "YOUR RIGHTS") in got
    rights = next(s for s in doc.sentences if s.text.startswith("You may ask"))
    assert rights.section == ("YOUR RIGHTS",)


def test_markdown_fixture_sections_paragraphs_and_metadata(fixtures):
    doc = segment(fixtures / "segment_notes.md")
    assert doc.format == "markdown"
    assert doc.metadata["provenance"].startswith("The following text is extracted")
    assert not any("extracted and transformed" in s.text for s in doc.sentences)
    assert "https://paybridge.example" in doc.metadata["links"]
    by_text = {s.text: s for s in doc.sentences}
    assert by_text[
        "We keep invoices for 6 years, as Art. 5 of the Accounting Act requires."
    ].section == ("Lumen Widgets Privacy Policy", "Retention")
    lead_in = by_text["We collect:"]
    assert lead_in.kind == "body" and by_text["your name;"].kind == "list_item"
    assert by_text["Fraud checks."].paragraph == by_text["Paybridge"].paragraph  # a table row
    p = doc.paragraphs[lead_in.paragraph]
    assert doc.paragraph_sentences(p.index)[0] is lead_in


def test_encodings_are_decoded(fixtures):
    assert (
        segment(fixtures / "segment_cp1252.txt").sentences[0].text.startswith("Café Lumière “Café”")
    )
    assert "Daten über Sie" in segment(fixtures / "segment_latin1.txt").text
    bom = "\ufeffWe keep logs. We delete them.".encode("utf-8")
    assert [s.text for s in segment(bom).sentences] == ["We keep logs.", "We delete them."]


def test_crlf_keeps_source_offsets():
    src = "Title\r\n\r\nWe keep logs.\r\nWe delete them."
    doc = segment(src, format="text")
    check_source_offsets(doc, src)
    assert [s.text for s in doc.sentences] == ["Title", "We keep logs.", "We delete them."]


def test_an_offset_outside_the_text_is_refused_not_read_as_inserted():
    from privtag.errors import ArgumentError

    doc = segment("Title\n\nWe  keep logs.", format="text")
    assert doc.source_offset(len(doc.text) - 1) == 20
    for bad in ("3", -1, len(doc.text) + 1, 2.0):
        with pytest.raises(ArgumentError, match="offset"):
            doc.source_offset(bad)
    assert doc.source_span(0, 0) == (None, None)  # an empty span maps to nothing


def test_to_dict_and_jsonl_round_trip():
    doc = segment("# T\n\nWe keep logs.")
    d = json.loads(json.dumps(doc.to_dict()))
    assert d["sentences"][1]["text"] == "We keep logs." and d["format"] == "markdown"
    assert json.loads(next(iter(iter_jsonl(doc))))["kind"] == "heading"


def test_jsonl_lines_carry_offsets_into_the_file_as_given():
    # a user of `privtag segment --json` has no normalised text: start/end alone were of no use
    src = "# Data\n\n- **Account data**, such as  your name.\n"
    lines = [json.loads(line) for line in iter_jsonl(segment(src, format="markdown"))]
    item = lines[1]
    assert item["text"] == "Account data, such as your name."
    assert src[item["source_start"] : item["source_end"]] == "Account data**, such as  your name."
    page = segment("<p>We keep logs.</p>", format="html")
    assert json.loads(next(iter_jsonl(page)))["source_start"] is None


# --------------------------------------------------------------------------- seed policies


@pytest.mark.parametrize("name", SEEDS)
def test_seed_policies_match_the_gold(name):
    doc = segment(ROOT / "data" / "policies" / name)
    check_document(doc)
    gold = [
        json.loads(x)
        for x in (ROOT / "benchmarks" / "gold" / f"{name.rsplit('.', 1)[0]}.jsonl")
        .read_text("utf-8")
        .splitlines()
    ]

    def starts(texts):
        out, n = set(), 0
        for t in texts:
            out.add(n)
            n += len("".join(t.split()))
        return out - {0}

    pred, want = starts([s.text for s in doc.sentences]), starts([g["text"] for g in gold])
    tp = len(pred & want)
    f1 = 2 * tp / (len(pred) + len(want))
    assert f1 >= 0.98, (name, sorted(pred ^ want)[:5])


def test_seed_provenance_is_metadata_not_sentences():
    for name in ("ztrenz.md", "trustzone.md", "zarget.md"):
        doc = segment(ROOT / "data" / "policies" / name)
        assert "extracted and transformed" in doc.metadata["provenance"]
        assert all("extracted and transformed" not in s.text for s in doc.sentences)


# --------------------------------------------------------------------------- OPP-115 (read from its path)


def test_opp115_every_policy(opp115_dir):
    files = sorted((opp115_dir / "sanitized_policies").glob("*.html"))
    assert len(files) >= 90
    for f in files:
        raw = f.read_text("utf-8")
        # detected by its "|||" separators; a policy of one segment has none to show
        doc = segment(f, format=None if "|||" in raw else "opp115")
        assert doc.format == "opp115"
        segs = raw.split("|||")
        assert len(doc.paragraphs) == len(segs), f.name
        bounds = [0]
        for part in segs:
            bounds.append(bounds[-1] + len(part) + 3)
        check_document(doc)
        for s in doc.sentences:
            a, z = doc.source_offset(s.start), doc.source_offset(s.end - 1)
            assert bounds[s.paragraph] <= a <= z < bounds[s.paragraph + 1] - 3, (f.name, s.id)
        for p in doc.paragraphs:  # paragraph i holds exactly the words of segment i
            seg_words = re.sub(r"<[^>]*>", " ", segs[p.index]).split()
            assert doc.text[p.start : p.end].split() == seg_words, (f.name, p.index)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("source", ["", "   \n\t\n  ", b"", b"\xef\xbb\xbf  \n", "\u200b\u00a0"])
def test_empty_input_is_an_error(source):
    with pytest.raises(PolicyReadError, match="no text"):
        segment(source)


def test_markup_only_input_is_an_error():
    with pytest.raises(PolicyReadError, match="no text outside scripts"):
        segment("<html><script>x()</script><nav>Home</nav></html>")
    with pytest.raises(PolicyReadError, match="no text in any segment"):
        segment("<br>|||<br>", format="opp115")


def test_bad_paths_and_formats(tmp_path):
    with pytest.raises(PolicyReadError, match="no such file"):
        segment(tmp_path / "nope.txt")
    with pytest.raises(PolicyReadError, match="is a directory"):
        segment(tmp_path)
    (tmp_path / "x.bin").write_bytes(bytes(range(256)) * 64)
    with pytest.raises(PolicyReadError, match="binary"):
        segment(tmp_path / "x.bin")
    with pytest.raises(PolicyReadError, match="unknown format 'pdf'"):
        segment("We keep logs.", format="pdf")


def test_malformed_html_is_read():
    doc = segment(
        "<p>We keep <b>logs.<p>We delete < them & 2<3 <div>Unclosed <i>forever", format="html"
    )
    check_document(doc)
    assert [s.text for s in doc.sentences] == [
        "We keep logs.",
        "We delete < them & 2<3",
        "Unclosed forever",
    ]


def test_very_deep_html_is_not_lost():
    doc = segment("<div>" * 3000 + "<p>We keep logs.</p>" + "<span>" * 3000 + "We delete them.")
    assert [s.text for s in doc.sentences] == ["We keep logs.", "We delete them."]


def test_two_megabyte_single_line():
    unit = "We keep logs for 30 days at Acme Inc. and never sell them, e.g. to brokers. "
    text = (unit * (2_000_000 // len(unit) + 1))[:2_000_000]
    assert "\n" not in text
    doc = segment(text)
    check_document(doc)
    assert len(doc.sentences) == text.count(" e.g. to brokers.") + 1
    runon = "word " * 400_000  # 2 MB on one line, no punctuation at all
    doc = segment(runon, max_sentence_chars=1000)
    assert max(len(s.text) for s in doc.sentences) <= 1000
    assert sum(len(s.text.split()) for s in doc.sentences) == 400_000


# --------------------------------------------------------------------------- CLI


def run_cli(args: list[str], monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["privtag", *args])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_cli_segment_prints_sentences(fixtures, monkeypatch, capsys):
    code, out, _ = run_cli(["segment", str(fixtures / "segment_legal.txt")], monkeypatch, capsys)
    assert code in (0, None)
    first = out.splitlines()[0].split("\t")
    assert first == ["0:14", "heading", "PRIVACY POLICY", "PRIVACY POLICY"]
    code, out, _ = run_cli(
        ["segment", "--json", "--format", "text", str(fixtures / "segment_notes.md")],
        monkeypatch,
        capsys,
    )
    rows = [json.loads(x) for x in out.splitlines()]
    # forced to plain text, the Markdown "#" stays in the text
    assert rows[0]["text"] == "# Lumen Widgets Privacy Policy" and rows[0]["kind"] == "heading"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "empty.txt").write_text("  \n") and d / "empty.txt", "no text"),
        (lambda d: (d / "b.bin").write_bytes(b"\x00\x01\x02" * 99) and d / "b.bin", "binary"),
        (lambda d: (d / "p.pdf").write_bytes(b"%PDF-1.4\n...") and d / "p.pdf", "is a PDF"),
    ],
)
def test_cli_bad_input_one_line_exit_2(tmp_path, monkeypatch, capsys, make, message):
    code, out, err = run_cli(["segment", str(make(tmp_path))], monkeypatch, capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_cli_unknown_format(fixtures, monkeypatch, capsys):
    code, _, err = run_cli(
        ["segment", "--format", "docx", str(fixtures / "segment_legal.txt")], monkeypatch, capsys
    )
    assert code == 2 and "unknown format 'docx'" in err and len(err.strip().splitlines()) == 1


def test_cli_entry_point_subprocess(tmp_path):
    # the installed console script, end to end
    exe = Path(sys.executable).with_name("privtag")
    r = subprocess.run(
        [str(exe), "segment", str(tmp_path / "none.md")], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().startswith("privtag: error:") and "no such file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("module", ["readers", "markup", "plaintext", "segment", "sentences"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"privtag.{module}"))
    assert result.attempted > 0 and result.failed == 0

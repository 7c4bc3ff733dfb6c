"""Segmentation stays linear on adversarial input (issue 16) and keeps its invariants.

The inputs below are the ones that once took seconds to hours (runs of dots, of "?",
blank lines before the text, lines of Markdown openers); each is built at a size the
old code was slow at and the new code segments at once. No timing is asserted: a
regression shows as a visibly hanging test.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privtag import segment
from privtag.errors import PolicyReadError
from privtag.segmentation.sentences import split_sentences, split_with_titles
from test_document import check_document


def check_spans(text: str, spans: list[tuple[int, int]], max_chars: int = 1000) -> None:
    """Valid offsets, in order, no overlap, stripped, and every non-space character once."""
    covered = 0
    prev = 0
    for a, z in spans:
        assert prev <= a < z <= len(text)
        assert not text[a].isspace() and not text[z - 1].isspace()
        assert z - a <= max_chars
        assert not text[prev:a].strip()  # only white space between sentences
        covered += sum(not c.isspace() for c in text[a:z])
        prev = z
    assert not text[prev:].strip()
    assert covered == sum(not c.isspace() for c in text)


# --------------------------------------------------------------------------- properties

_RUN_CHARS = st.sampled_from([*".!?…\"'”’)]([-*#|<>_`:;,•", " ", "\n", "\t", "\u00a0"])
_RUNS = st.builds(lambda c, n: c * n, _RUN_CHARS, st.integers(1, 300))
_WORDS = st.sampled_from(
    ["We", "collect", "data.", "Acme Inc.", "e.g.", "U.S.", "1.", "(a)", "ZTRENZ", "www.x.com"]
)
_MIXES = st.lists(st.one_of(_RUNS, _WORDS, st.just(" ")), max_size=30).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MIXES, st.integers(20, 400), st.booleans())
def test_split_sentences_invariants_on_punctuation_mixes(text, max_chars, heading):
    spans = split_sentences(text, max_chars, heading)
    check_spans(text, spans, max_chars)
    assert [(a, z) for a, z, _ in split_with_titles(text, max_chars, heading)] == spans


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MIXES, st.sampled_from(["text", "markdown"]))
def test_segment_invariants_on_punctuation_mixes(text, fmt):
    if not text.strip(" \t\n\u00a0*#|>-_`"):
        return  # nothing to segment (or markup only): covered by test_segment's error tests
    try:  # bytes: a str such as "." or ".." would name a directory
        doc = segment(text.encode("utf-8"), format=fmt)
    except PolicyReadError as e:  # only "no text" may be refused
        assert "no text" in str(e), e
        return
    check_document(doc)


# --------------------------------------------------------------------------- reproductions


def test_run_of_dots_after_a_sentence():
    # was 34 s (cubic in the dots)
    doc = segment("We collect data.\n\n" + "." * 1500, format="text")
    check_document(doc)
    assert [len(s.text) for s in doc.sentences] == [16, 1000, 500]


def test_run_of_dots_after_a_word():
    # was 61 s
    spans = split_sentences("word" + "." * 2000)
    check_spans("word" + "." * 2000, spans)
    assert [z - a for a, z in spans] == [1000, 1000, 4]


@pytest.mark.parametrize("mark", ["?", "!", "?!.", "…", '?"'])
def test_runs_of_terminal_marks(mark):
    # "?" * 20,000 was 12.6 s (quadratic)
    text = mark * (20_000 // len(mark))
    spans = split_sentences(text)
    check_spans(text, spans)
    assert len(spans) == 20


def test_marks_still_end_sentences():
    text = "We keep logs!!!!!! We delete them?????? Why…… We do.\u201d\u201d Then. .. . \u2022 Item"
    assert [text[a:z] for a, z in split_sentences(text)] == [
        "We keep logs!!!!!!",
        "We delete them??????",
        "Why……",
        "We do.\u201d\u201d",
        "Then. .. .",
        "\u2022 Item",
    ]


@pytest.mark.parametrize(
    "text, first",
    [
        ("We share it. Ümlaut is here.", "We share it."),
        ("Nous collectons des données. Élément suivant.", "Nous collectons des données."),
        ("Мы собираем данные. Мы делимся ими.", "Мы собираем данные."),
        ("Our DPO is in Sweden. Åsa Berg answers requests.", "Our DPO is in Sweden."),
        ("Ο υπεύθυνος είναι εδώ. Η εταιρεία απαντά.", "Ο υπεύθυνος είναι εδώ."),
        ("We share it.Über alles.", "We share it."),  # no space, as "it.Then" splits
        ("Nous collectons des données.Élément suivant.", "Nous collectons des données."),
        ("Мы собираем данные.Мы делимся ими.", "Мы собираем данные."),
    ],
)
def test_a_capital_letter_outside_a_to_z_starts_a_sentence(text, first):
    spans = split_sentences(text)
    assert len(spans) == 2 and text[spans[0][0] : spans[0][1]] == first


def test_a_cited_code_of_law_is_one_sentence():
    # "Cal. Civ. Code" was three sentences in every CCPA / Shine-the-Light clause
    text = (
        "You may ask under Cal. Civ. Code § 1798.83. We reply in 30 days. "
        "See Cal. Bus. & Prof. Code § 22575. Cal. Pen. Code § 637 applies too."
    )
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "You may ask under Cal. Civ. Code § 1798.83.",
        "We reply in 30 days.",
        "See Cal. Bus. & Prof. Code § 22575.",
        "Cal. Pen. Code § 637 applies too.",
    ]


def test_no_space_and_two_capitals_is_not_a_boundary():
    assert len(split_sentences("See Inc.ABC Corp now. Ok.")) == 2


@pytest.mark.parametrize(
    "lead",
    [
        "\n" * 2000,
        " \n" * 2000,
        "\t" * 20_000,
        "\t" * 200_000,  # the provenance pattern once backtracked between runs of tabs
        "\u00a0" * 20_000,
        "\n\n" + " " * 20_000,
    ],
)
def test_white_space_before_the_text(lead):
    # 2,000 blank lines made the provenance search take hours; tabs, seconds
    doc = segment(lead + "We collect data. We keep it.")
    check_document(doc)
    assert [s.text for s in doc.sentences] == ["We collect data.", "We keep it."]


@pytest.mark.parametrize(
    "line",
    ["[" * 20_000, "<" * 20_000, "*a " * 7000, "_a " * 7000, "[a](x" * 4000, "<http:" * 3000],
)
def test_lines_of_markdown_openers(line):
    # each opener used to scan the rest of the line: quadratic
    doc = segment("We collect data.\n\n" + line, format="markdown")
    check_document(doc)
    assert doc.sentences[0].text == "We collect data."
    # none of them is markup (no closer): every character is kept
    assert "".join(s.text for s in doc.sentences[1:]).replace(" ", "") == line.replace(" ", "")


def test_markdown_markup_is_still_read():
    doc = segment(
        "We *keep* _logs_ and [a link](http://x.example) <a@b.example>.", format="markdown"
    )
    assert doc.sentences[0].text == "We keep logs and a link a@b.example."
    assert doc.metadata["links"] == ["http://x.example", "a@b.example"]


def test_ten_thousand_item_list_and_deep_nesting():
    items = "".join(f"- We collect item {i}.\n" for i in range(10_000))
    doc = segment("Data we collect:\n\n" + items, format="markdown")
    check_document(doc)
    assert sum(s.kind == "list_item" for s in doc.sentences) == 10_000
    nested = "".join("  " * d + f"- item {d}.\n" for d in range(500))
    doc = segment(nested, format="markdown")
    check_document(doc)
    assert len(doc.sentences) == 500
    doc = segment("> " * 5000 + "We keep logs.", format="markdown")
    assert [s.text for s in doc.sentences] == ["We keep logs."]
    doc = segment("<div>" * 5000 + "We keep logs." + "</div>" * 5000, format="html")
    assert [s.text for s in doc.sentences] == ["We keep logs."]


def test_long_runs_of_layout_characters():
    for ch in "-*#|)(.":
        text = "We collect data. " + ch * 30_000
        spans = split_sentences(text)
        check_spans(text, spans)
        # no capital follows the stop: not a boundary, the run joins the sentence
        assert text[: spans[0][1]] == "We collect data. " + ch * 983
    text = "We collect data. " + "1." * 15_000
    spans = split_sentences(text)
    check_spans(text, spans)
    assert text[: spans[0][1]] == "We collect data."

"""What Tagger.tag returns: summary, with_label, JSON, DataFrame and table views."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from privtag.errors import ArgumentError
from privtag.inference.results import TaggedParagraph, TaggedPolicy, TaggedSentence
from privtag.labels import LABEL_IDS, LABELS
from privtag.segmentation.document import segment

POLICY = """# Café Privacy

We collect your e-mail address when you order. We keep it for one year.

## Sharing

We share orders with the bakery that delivers them.
"""
# per sentence: {label: score} of the labels it carries, in taxonomy order as the
# Tagger gives them (other labels score 0.1)
TAGS = [
    {"Introductory/Generic": 0.91},  # s0 heading
    {"First Party Collection/Use": 0.8},  # s1
    {"First Party Collection/Use": 0.65, "Data Retention": 0.7},  # s2
    {"Third Party Sharing/Collection": 0.6},  # s3 heading
    {"Third Party Sharing/Collection": 0.95},  # s4
]


@pytest.fixture
def policy() -> TaggedPolicy:
    """A tagged policy built by hand from TAGS (no model involved)."""
    doc = segment(POLICY)
    assert [s.text for s in doc.sentences][1] == "We collect your e-mail address when you order."
    sentences = []
    for s, tags in zip(doc.sentences, TAGS, strict=True):
        scores = [tags.get(name, 0.1) for name in LABELS]
        sentences.append(TaggedSentence.of(s, list(tags), scores))
    p = doc.paragraphs[1]
    paragraphs = [
        TaggedParagraph(
            p.index,
            p.start,
            p.end,
            doc.text[p.start : p.end],
            ["First Party Collection/Use", "Data Retention"],
            dict.fromkeys(LABELS, 0.5),
        )
    ]
    return TaggedPolicy(doc, sentences, paragraphs, model="tiny")


def test_sentence_of_keeps_the_sentence_and_rounds_scores():
    doc = segment("We keep logs.")
    t = TaggedSentence.of(doc.sentences[0], ["Data Retention"], np.full(12, 1 / 3))
    assert (t.id, t.text, t.start, t.end) == ("s0", "We keep logs.", 0, 13)
    assert t.scores == dict.fromkeys(LABELS, 0.3333)
    with pytest.raises(ValueError):
        TaggedSentence.of(doc.sentences[0], [], np.zeros(11))


def test_summary_counts(policy):
    rows = {r["label"]: r for r in policy.summary()}
    assert [r["label"] for r in policy.summary()] == list(LABELS)
    fp = rows["First Party Collection/Use"]
    assert (fp["sentences"], fp["paragraphs"]) == (2, 1)
    assert fp["evidence"] == "We collect your e-mail address when you order." and fp["score"] == 0.8
    tp = rows["Third Party Sharing/Collection"]
    assert (tp["sentences"], tp["paragraphs"], tp["score"]) == (2, 0, 0.95)
    assert rows["Data Retention"]["paragraphs"] == 1
    assert rows["Do Not Track"] == {
        "label": "Do Not Track",
        "sentences": 0,
        "paragraphs": 0,
        "evidence": None,
        "score": None,
    }
    assert sum(r["sentences"] for r in rows.values()) == sum(len(t) for t in TAGS)


def test_with_label_by_name_or_id_strongest_first(policy):
    hits = policy.with_label("third_party")
    assert [s.id for s in hits] == ["s4", "s3"]
    assert policy.with_label("First Party Collection/Use") == policy.with_label("first_party")
    assert policy.with_label("contact") == []
    with pytest.raises(KeyError, match="unknown label"):
        policy.with_label("cookies")


def test_to_json_round_trips(policy):
    text = policy.to_json()
    assert "\n" not in text  # one policy per line (privtag tag --json)
    assert "Café" in text  # not escaped
    data = json.loads(text)
    assert data == json.loads(json.dumps(policy.to_dict()))
    assert data["model"] == "tiny"
    assert [s["text"] for s in data["sentences"]] == [s.text for s in policy.sentences]
    assert data["sentences"][2]["labels"] == ["First Party Collection/Use", "Data Retention"]
    assert data["sentences"][2]["scores"]["Data Retention"] == 0.7
    assert data["sentences"][3]["section"] == ["Café Privacy", "Sharing"]
    assert data["paragraphs"][0]["text"].startswith("We collect")
    assert data["summary"] == policy.summary()
    assert data["source"]["format"] == "markdown"
    assert json.loads(policy.to_json(indent=2)) == data


def test_to_json_leaves_out_links():
    doc = segment("# P\n\nSee [our partners](https://example.com/partners).")
    assert doc.metadata.get("links")
    sentences = [TaggedSentence.of(s, [], np.zeros(12)) for s in doc.sentences]
    data = json.loads(TaggedPolicy(doc, sentences, []).to_json())
    assert "links" not in data["source"]


def test_to_dataframe_columns(policy):
    df = policy.to_dataframe()
    assert list(df.columns) == [
        "id",
        "paragraph",
        "start",
        "end",
        "kind",
        "section",
        "text",
        "labels",
        *LABEL_IDS,
    ]
    assert len(df) == len(policy.sentences)
    row = df.iloc[3]
    assert row["section"] == "Café Privacy > Sharing" and row["kind"] == "heading"
    assert row["third_party"] == 0.6 and row["do_not_track"] == 0.1
    assert df["text"].tolist() == [s.text for s in policy.sentences]


def test_to_dataframe_of_no_sentences_still_has_the_columns(policy):
    """Regression: a policy without sentences gave a DataFrame without any column."""
    empty = TaggedPolicy(policy.document, [], [])
    df = empty.to_dataframe()
    assert len(df) == 0
    assert list(df.columns) == list(policy.to_dataframe().columns)


def test_table_has_every_sentence_and_the_summary(policy):
    table = policy.table(width=100)
    for s in policy.sentences:
        assert s.text in table
    lines = table.splitlines()
    s2 = next(x for x in lines if "We keep it for one year." in x)
    assert s2.split()[0] == "2" and s2.rstrip().endswith("first_party, data_retention")
    assert lines[lines.index(s2) + 1] == ""  # a blank line between paragraphs
    fp = next(x for x in lines if x.startswith("First Party Collection/Use"))
    assert fp.split()[3:5] == ["2", "1"] and "We collect your e-mail" in fp
    dnt = next(x for x in lines if x.startswith("Do Not Track"))
    assert dnt.split()[-2:] == ["0", "0"]


@pytest.mark.parametrize("width", [0, -5, 12.5, True])
def test_table_refuses_a_width_that_is_not_a_positive_int(policy, width):
    with pytest.raises(
        ArgumentError, match=r"width \(None: the terminal.s\) must be an int of at least 1"
    ):
        policy.table(width=width)


def test_table_wraps_long_sentences_without_losing_words():
    text = "We collect " + ", ".join(f"data item number {i}" for i in range(30)) + "."
    doc = segment(text)
    sentences = [TaggedSentence.of(s, [], np.zeros(12)) for s in doc.sentences]
    table = TaggedPolicy(doc, sentences, []).table(width=80)
    body = table.split("\n\nlabel")[0]
    assert " ".join(body.split()[5:]).replace(" -", "").split() == text.split()
    assert max(len(x) for x in body.splitlines()) <= 80


def test_highlight_outlines_the_tagged_sentences(policy):
    styler = policy.highlight("Data Retention")
    assert list(styler.data.columns) == ["id", "text", "data_retention"]
    assert styler.data["data_retention"].tolist() == [0.1, 0.1, 0.7, 0.1, 0.1]
    html = styler.to_html()
    assert "We keep it for one year." in html
    # CSS blocks: "#T_<uuid>_row<i>_col2, ... { ...; outline: ...; }"
    outlined = [
        int(row)
        for block in html.split("}")
        if "outline: 3px solid black" in block
        for row in re.findall(r"_row(\d+)_col2", block)
    ]
    assert [styler.data.iloc[r]["id"] for r in outlined] == ["s2"]  # tagged Data Retention


def test_the_json_holds_the_text_its_offsets_index_and_the_spans_in_the_source():
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    source = "# Privacy *Policy*\r\n\r\nWe  collect your **email**. We keep it.\r\n"
    data = SystemTagger(RuleTagger()).tag(source.encode(), format="markdown").to_dict()
    spans = [
        (data["text"][s["start"] : s["end"]], source[s["source_start"] : s["source_end"]])
        for s in data["sentences"]
    ]
    assert spans == [
        ("Privacy Policy", "Privacy *Policy"),  # first to last character of the sentence
        ("We collect your email.", "We  collect your **email**."),
        ("We keep it.", "We keep it."),
    ]


def test_highlight_never_puts_policy_text_in_as_markup():
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    evil = b"We share your data with advertisers. <img src=x onerror=alert(1)>"
    page = SystemTagger(RuleTagger()).tag(evil, format="text").highlight("third_party")
    html = page._repr_html_() if hasattr(page, "_repr_html_") else page.to_html()
    assert "<img" not in html and "&lt;img" in html


def test_the_json_and_the_report_say_what_the_reader_left_out():
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    links = " ".join(f"<a href=x>Link {i}</a>" for i in range(40))
    page = f"<html><body><nav>{links}</nav><p>We collect your email.</p></body></html>"
    policy = SystemTagger(RuleTagger()).tag(page.encode(), format="html")
    data = policy.to_dict()
    assert data["warnings"] and "page furniture" in data["warnings"][0]
    assert data["dropped"] and data["dropped"][0]["chars"] > 0
    assert "page furniture" in policy.to_html()


@pytest.mark.parametrize("label", ["bogus", None, 5])
def test_a_label_that_is_not_one_is_a_privtag_error(label):
    from privtag import LabelError, PrivtagError
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    policy = SystemTagger(RuleTagger()).tag(b"We sell data.", format="text")
    with pytest.raises(LabelError) as e:
        policy.with_label(label)
    assert isinstance(e.value, PrivtagError) and isinstance(e.value, KeyError)
    assert "valid labels are" in str(e.value) or "named by a str" in str(e.value)
    assert not str(e.value).startswith("'")  # not KeyError's quoted message


def test_a_report_of_a_model_that_is_not_a_tagger_is_refused():
    from privtag import ArgumentError
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    policy = SystemTagger(RuleTagger()).tag(b"We sell data.", format="text")
    with pytest.raises(ArgumentError, match="model must be the Tagger"):
        policy.to_html("model")
    with pytest.raises(ArgumentError, match="weak_margin"):
        policy.to_html(weak_margin="x")


def test_a_tagged_sentence_is_frozen_and_hashable():
    from privtag.batch.taggers import SystemTagger
    from privtag.evaluation.baselines import RuleTagger

    tagger = SystemTagger(RuleTagger())
    a = tagger.tag(b"We collect email. We share it.", format="text").sentences
    b = tagger.tag(b"We collect email. We share it.", format="text").sentences
    assert len(set(a) | set(b)) == 2 and a[0] == b[0] and hash(a[0]) == hash(b[0])

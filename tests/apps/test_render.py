"""The HTML evidence report: every sentence once, every label, nothing external, text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.errors import OutputError
from privtag.inference.results import TaggedParagraph, TaggedPolicy, TaggedSentence
from privtag.labels import LABEL_IDS, LABELS, NUM_LABELS
from privtag.render import label_summary, render_html
from privtag.render.assets import initials
from privtag.segmentation.document import segment

POLICY = """# Our policy

We collect your e-mail address when you sign up.
We share it with advertisers & "partners" <b>only</b>.

## Keeping data

We keep logs for a while. <script>window.pwned = 1</script> Nothing else happens.
"""

#: keyword -> (label index, score): a scorer that needs no model
RULES = {"collect": (0, 0.9), "share": (1, 0.95), "keep": (4, 0.45), "policy": (9, 0.8)}


def fake_tag(text: str, threshold: float = 0.5) -> TaggedPolicy:
    """``text`` tagged by :data:`RULES` at one threshold for every label."""
    doc = segment(text.encode(), format="text")
    sentences = []
    for s in doc.sentences:
        scores = [0.05] * NUM_LABELS
        for word, (j, score) in RULES.items():
            if word in s.text.lower():
                scores[j] = score
        labels = [name for name, v in zip(LABELS, scores, strict=True) if v >= threshold]
        sentences.append(TaggedSentence.of(s, labels, scores))
    paragraphs = []
    for p in doc.paragraphs:
        group = sentences[p.first : p.last]
        best = {name: max(s.scores[name] for s in group) for name in LABELS}
        labels = [name for name in LABELS if best[name] >= threshold]
        paragraphs.append(TaggedParagraph(p.index, p.start, p.end, "", labels, best))
    return TaggedPolicy(doc, sentences, paragraphs, model="fake")


INFO = {
    "name": "fake",
    "privtag": "0.1.0",
    "thresholds": {"sentence": dict.fromkeys(LABELS, 0.5), "paragraph": dict.fromkeys(LABELS, 0.5)},
}


class Page(HTMLParser):
    """Collects tags with their attributes, the text of every sentence, and ids."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.sentences: dict[str, str] = {}
        self._stack: list[str | None] = []  # per open span: the sentence id whose text it is

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "span":
            parent = self._stack[-1] if self._stack else None
            if "s" in (a.get("class") or "").split():
                self._stack.append(f"sentence:{a['id']}")
            elif a.get("class") == "t" and parent and parent.startswith("sentence:"):
                sid = parent.removeprefix("sentence:")
                self.sentences[sid] = self.sentences.get(sid, "")
                self._stack.append(f"text:{sid}")
            else:
                self._stack.append(None)

    def handle_endtag(self, tag):
        if tag == "span" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._stack and self._stack[-1] and self._stack[-1].startswith("text:"):
            sid = self._stack[-1].removeprefix("text:")
            self.sentences[sid] += data


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_every_sentence_once_every_label_and_no_external_url():
    policy = fake_tag(POLICY)
    html = render_html(policy, INFO)
    page = parse(html)
    assert page.sentences == {s.id: s.text for s in policy.sentences}
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "element ids must be unique"
    assert [a["id"] for t, a in page.tags if t == "article"] == [f"label-{i}" for i in LABEL_IDS]
    assert [a["value"] for t, a in page.tags if a.get("name") == "show"] == ["all", *LABEL_IDS]
    for label in LABELS:
        assert html.count(f'title="{label}"') >= 3  # badges: summary, filter, meanings
    links = [(t, a.get("src") or a.get("href")) for t, a in page.tags if "src" in a or "href" in a]
    assert links, "the evidence links are there"
    assert all(url.startswith("#") for _, url in links), links
    assert not any(t in ("script", "link", "img", "iframe") for t, _ in page.tags)


def test_policy_markup_is_shown_as_text():
    policy = fake_tag(POLICY)
    html = render_html(policy, INFO)
    assert "<script>" not in html and "<b>only</b>" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "advertisers &amp; &quot;partners&quot; &lt;b&gt;only&lt;/b&gt;" in html
    # and the report's own policy forbids scripts should one ever slip through
    csp = [a["content"] for t, a in parse(html).tags if a.get("http-equiv")]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_policy_text_is_bidi_isolated_from_the_reports_own_text():
    # right-to-left words at the end of a policy sentence must not reorder the report's
    # "score 0.19, sentence 2" beside it: quotes and sentence texts are isolates (the
    # bidirectional controls themselves are invisible characters the reader removes)
    html = render_html(fake_tag("We do not sell your data to \u05e9\u05dc\u05d5\u05dd.\n"), INFO)
    assert "\u05e9\u05dc\u05d5\u05dd" in html  # kept as written
    assert re.search(r"(?:^|[}\s])q,\.s>\.t\{unicode-bidi:isolate\}", html)
    assert '<span class="t">We do not sell' in html


def test_statuses_and_evidence_link_to_sentences():
    policy = fake_tag(POLICY)
    rows = {r["id"]: r for r in label_summary(policy, INFO)}
    assert rows["third_party"]["status"] == "addressed"
    assert rows["third_party"]["sentences"] == 1
    assert rows["data_retention"]["status"] == "weak evidence"  # 0.45, threshold 0.5
    assert rows["data_retention"]["evidence"][0]["tagged"] is False
    assert rows["do_not_track"]["status"] == "not addressed"
    assert rows["do_not_track"]["evidence"] == []
    # a higher threshold turns the weak evidence into nothing
    strict = {**INFO, "thresholds": {"sentence": dict.fromkeys(LABELS, 0.9)}}
    rows = {r["id"]: r for r in label_summary(policy, strict)}
    assert rows["data_retention"]["status"] == "not addressed"

    html = render_html(policy, INFO)
    share = next(s for s in policy.sentences if "share" in s.text)
    assert f'<a href="#{share.id}">score 0.95, sentence {share.id[1:]}</a>' in html
    assert re.search(r'id="label-data_retention" data-status="weak evidence"', html)
    assert (
        "Weak evidence</strong>: no sentence reaches the threshold 0.50; the best scores 0.45"
        in (html)
    )
    assert 'data-status="not addressed"' in html


def test_sentences_carry_label_classes_initials_and_scores():
    policy = fake_tag(POLICY)
    html = render_html(policy, INFO)
    share = next(s for s in policy.sentences if "share" in s.text)
    tag = re.search(rf'<span class="([^"]+)" id="{share.id}"', html).group(1).split()
    assert tag == ["s", "l-third_party", "tagged", "c-third_party"]
    assert "Third Party Sharing/Collection: 0.95" in html
    assert f'title="{LABELS[1]}">TP</abbr>' in html
    assert len({initials(i) for i in LABEL_IDS}) == NUM_LABELS


def test_without_model_info_the_report_says_thresholds_are_assumed():
    policy = fake_tag(POLICY)
    html = policy.to_html()
    assert html == render_html(policy)
    assert "The thresholds were not recorded with this result; 0.5 is assumed." in html
    assert "Privacy policy report: pasted text" in html
    # the model's name follows a colon: a model directory called "model" read "model model"
    assert "paragraphs · model: fake." in html


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.md"
    path.write_text(POLICY)
    return path


def test_report_command_writes_through_outputs(policy_file, trained_tiny, tmp_path):
    out = tmp_path / "report.html"
    args = ["report", str(policy_file), "-o", str(out), "--model", str(trained_tiny)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    page = parse(out.read_text())
    assert len(page.sentences) == len(segment(policy_file).sentences)
    assert "thresholds used" in out.read_text().lower()

    out.write_text("keep me")
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, OutputError)
    assert "already exists; pass --force to replace it" in str(result.exception)
    assert out.read_text() == "keep me"
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0
    assert out.read_text().startswith("<!doctype html>")

    result = CliRunner().invoke(app, ["report", str(policy_file), "-o", str(policy_file)])
    assert isinstance(result.exception, OutputError)
    assert policy_file.read_text() == POLICY


def test_a_tagged_policy_remembers_the_thresholds_that_tagged_it(tiny_tagger, policy_file):
    from pathlib import Path

    tiny_tagger.thresholds["sentence"] = [0.123] * NUM_LABELS
    policy = tiny_tagger.tag(Path(policy_file))
    html = policy.to_html()  # no tagger passed: the policy's own record is used
    assert "0.5 is assumed" not in html
    assert "0.123" in html
    assert policy.metadata["thresholds"]["sentence"] == [0.123] * NUM_LABELS


def test_a_policy_recording_its_decision_overrides_the_models_thresholds():
    # under --thresholds auto a policy's thresholds depend on the policy: the summary and
    # the page use what the policy records, not what the model would use for units alone
    policy = fake_tag(POLICY, threshold=0.4)
    policy.metadata = {
        "profile": "modern",
        "profile_chosen_by": {"rule": "auto", "gdpr_era_terms": ["GDPR", "legal basis"]},
        "thresholds": {"sentence": [0.4] * NUM_LABELS, "paragraph": [0.4] * NUM_LABELS},
    }
    rows = {r["id"]: r for r in label_summary(policy, INFO)}
    assert rows["data_retention"]["threshold"] == 0.4  # the policy's, not INFO's 0.5
    assert rows["data_retention"]["status"] == "addressed"
    html = render_html(policy, INFO)
    assert "threshold profile: modern (auto: the policy names GDPR, legal basis)" in html
    policy.metadata["profile_chosen_by"]["gdpr_era_terms"] = []
    policy.metadata["profile"] = "default"
    assert "default (auto: no term of today&#x27;s privacy laws)" in render_html(policy, INFO)


def test_report_reads_a_policy_from_stdin_given_as_dash(policy_file, trained_tiny, tmp_path):
    outs = [tmp_path / "file.html", tmp_path / "stdin.html"]
    model = ["--model", str(trained_tiny)]
    from_file = CliRunner().invoke(app, ["report", str(policy_file), "-o", str(outs[0]), *model])
    assert from_file.exit_code == 0, from_file.output
    piped = CliRunner().invoke(app, ["report", "-", "-o", str(outs[1]), *model], input=POLICY)
    assert piped.exit_code == 0, piped.output
    pages = [parse(p.read_text()) for p in outs]
    assert pages[1].sentences == pages[0].sentences and pages[1].sentences

"""privtag diff: alignment of two versions and the per-label changes, on an edited seed policy.

The tagger is the keyword baseline wrapped to tag whole policies: deterministic and
fast, so the test checks the alignment and bookkeeping, not the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from privtag.batch.taggers import SystemTagger
from privtag.cli import app
from privtag.errors import ArgumentError
from privtag.evaluation.baselines import RuleTagger
from privtag.policy_diff import align, diff

SEED = Path(__file__).resolve().parents[2] / "data" / "policies" / "zarget.md"
RETENTION = (
    "We retain personal data we process for as long as an account is active or as needed "
    "to provide the Service."
)
SHARING = "We may sell your e-mail address and browsing history to advertising partners."
EDITED_FROM = "Additionally, you retain all rights of ownership to your personal data we collect."
EDITED_TO = "Additionally, you keep all rights of ownership to the personal data we collect."


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> tuple[Path, Path]:
    """The seed policy and a hand-edited copy: a sharing sentence added, a retention
    sentence removed, one sentence reworded (so that it no longer mentions retaining)."""
    old_text = SEED.read_text(encoding="utf-8")
    assert RETENTION in old_text and EDITED_FROM in old_text
    new_text = old_text.replace(RETENTION, "").replace(EDITED_FROM, EDITED_TO)
    anchor = old_text.split("\n\n")[3]
    new_text = new_text.replace(anchor, anchor + "\n\n" + SHARING, 1)
    d = tmp_path_factory.mktemp("versions")
    (d / "old.md").write_text(old_text, encoding="utf-8")
    (d / "new.md").write_text(new_text, encoding="utf-8")
    return d / "old.md", d / "new.md"


@pytest.fixture(scope="module")
def result(versions):
    return diff(*versions, SystemTagger(RuleTagger()))


def test_added_sharing_and_removed_retention_sentences(result):
    sharing = result.label("Third Party Sharing/Collection")
    assert [s.text for s in sharing.added] == [SHARING]
    assert sharing.removed == []
    retention = result.label("Data Retention")
    assert RETENTION in [s.text for s in retention.removed]
    assert retention.added == []
    assert retention.status == "addressed"  # other retention sentences remain
    # the reworded sentence is matched as edited, and it lost the retention label
    assert [(p.old.text, p.new.text) for p in retention.lost] == [(EDITED_FROM, EDITED_TO)]
    assert 0.6 < retention.lost[0].similarity < 1
    counts = result.counts()
    assert (counts["added"], counts["removed"], counts["edited"]) == (1, 1, 1)
    unchanged = [x.label for x in result.labels if not x.changed]
    assert "Do Not Track" in unchanged


def test_alignment_handles_moves_and_keeps_new_order():
    tagger = SystemTagger(RuleTagger())
    old = tagger.tag(b"Alpha one here.\n\nBeta two here.\n\nGamma three here.")
    new = tagger.tag(b"Gamma three here.\n\nAlpha one here.\n\nDelta is new.")
    pairs = align(old.sentences, new.sentences)
    assert [(p.kind, p.new.text if p.new else p.old.text) for p in pairs] == [
        ("same", "Gamma three here."),
        ("same", "Alpha one here."),
        ("removed", "Beta two here."),
        ("added", "Delta is new."),
    ]


def test_status_change_and_renderers_escape_policy_text():
    tagger = SystemTagger(RuleTagger())
    old = tagger.tag(b"We keep your data for 30 days.\n\nHello <script>alert(1)</script>.")
    new = tagger.tag(b"Hello <script>alert(2)</script>.")
    d = diff(old, new)
    assert d.label("data_retention").status == "addressed -> not addressed"
    text = d.to_text()
    assert "Data Retention" in text and "addressed -> not addressed" in text
    page = d.to_html()
    assert "<script>" not in page and "&lt;script&gt;" in page
    data = json.loads(d.to_json())
    assert data["labels"][4]["removed"] == ["We keep your data for 30 days."]


@pytest.mark.parametrize("value", ["-1", "2", "nan"])
def test_cli_refuses_a_threshold_outside_0_to_1(versions, value):
    result = CliRunner().invoke(
        app, ["diff", *map(str, versions), "--model", "rules", "--threshold", value]
    )
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "must be a similarity from 0 to 1" in words


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"threshold": 2}, "threshold must be a similarity from 0 to 1, not 2"),
        ({"threshold": float("nan")}, "threshold must be a similarity from 0 to 1, not nan"),
        ({"threshold": "0.5"}, "threshold must be a similarity from 0 to 1, not '0.5'"),
        ({"threshold": 1.5}, "threshold must be a similarity from 0 to 1, not 1.5"),
        ({"names": ("old",)}, r"names must be two names, .* not \('old',\)"),
        ({"names": "ab"}, "names must be two names"),
    ],
)
def test_diff_checks_its_arguments_at_the_call(versions, settings, message):
    with pytest.raises(ArgumentError, match=message):
        diff(*versions, SystemTagger(RuleTagger()), **settings)


def test_a_label_that_is_not_a_str_is_named(result):
    with pytest.raises(KeyError, match="a label is named by a str"):
        result.label(None)


def test_cli_writes_json_and_html(versions, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "diff",
            *map(str, versions),
            "--model",
            "rules",
            "--json",
            str(tmp_path / "d.json"),
            "--html",
            str(tmp_path / "d.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Third Party Sharing/Collection" in result.output
    data = json.loads((tmp_path / "d.json").read_text())
    sharing = next(x for x in data["labels"] if x["label"] == "Third Party Sharing/Collection")
    assert sharing["added"] == [SHARING]
    assert SHARING in (tmp_path / "d.html").read_text()


def test_privtag_diff_is_the_function_even_after_the_cli_loaded():
    import privtag
    import privtag.cli  # imports the command's module, privtag.policy_diff

    assert privtag.diff is diff


def test_under_auto_both_versions_are_decided_at_the_same_thresholds(tiny_tagger):
    # the later version names the GDPR; deciding it alone with the profile for current
    # policies would report labels that the thresholds, not the text, changed
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    old = "# Privacy\n\nWe collect your e-mail address. We share it with partners.\n"
    new = old + "We rely on legitimate interests under the GDPR.\n"
    d = diff(old.encode(), new.encode(), tiny_tagger)
    assert [p.metadata["profile"] for p in (d.old, d.new)] == ["low", "low"]
    assert d.old.metadata["profile_chosen_by"] == {
        "rule": "auto",
        "gdpr_era_terms": [],  # its own text names none: it follows the later version
        "versions_terms": ["GDPR", "legitimate interest"],
    }
    assert d.new.metadata["profile_chosen_by"]["gdpr_era_terms"] == ["GDPR", "legitimate interest"]
    assert d.to_dict()["profiles"] == {"old": "low", "new": "low"}
    # the terminal says so: the older version alone would be decided otherwise
    assert (
        "note: both versions were decided at threshold profile 'low', as a version names "
        "GDPR, legitimate interest (a version tagged alone may be decided otherwise"
    ) in d.to_text()
    assert tiny_tagger.profile == "auto"  # the tagger is not switched
    unchanged = [p for p in d.pairs if p.kind == "same"]
    assert unchanged and all(p.old.labels == p.new.labels for p in unchanged)
    # alone, the older version would have been decided at the tuned thresholds
    assert tiny_tagger.tag(old.encode()).metadata["profile"] == "default"


def test_a_version_tagged_before_sets_the_profile_of_the_other(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    old = "# Privacy\n\nWe collect your e-mail address. We share it with partners.\n"
    new = old + "We rely on legitimate interests under the GDPR.\n"
    tagged_old = tiny_tagger.tag(old.encode())  # decided alone: the tuned thresholds
    d = diff(tagged_old, new.encode(), tiny_tagger)
    assert [p.metadata["profile"] for p in (d.old, d.new)] == ["default", "default"]
    # two versions tagged apart, at different profiles: the diff says so
    d = diff(tagged_old, tiny_tagger.tag(new.encode()), tiny_tagger)
    assert d.to_dict()["profiles"] == {"old": "default", "new": "low"}
    assert "note: the versions were decided with different threshold profiles" in d.to_text()


def test_a_diff_gives_the_rules_reason_exactly_when_the_rule_chose(tiny_tagger):
    old = "# Privacy\n\nWe collect your e-mail address. We share it with partners.\n"
    new = old + "We rely on legitimate interests under the GDPR.\n"
    # a model without a profile for current policies never looks, so it gives no reason
    d = diff(old.encode(), new.encode(), tiny_tagger)
    assert [p.metadata["profile"] for p in (d.old, d.new)] == ["default", "default"]
    assert all("profile_chosen_by" not in p.metadata for p in (d.old, d.new))
    assert d.profile_note() is None  # each decided as it would be alone
    # both name the GDPR: each alone would be decided at the same profile; nothing to say
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    both = diff(new.encode(), (new + "We may update it.\n").encode(), tiny_tagger)
    assert [p.metadata["profile"] for p in (both.old, both.new)] == ["low", "low"]
    assert both.profile_note() is None
    del tiny_tagger.thresholds["profiles"], tiny_tagger.thresholds["auto"]
    # a partner tagged before profiles were recorded sets none: the rule chooses, and says so
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    tagged_old = tiny_tagger.tag(old.encode())
    del tagged_old.metadata["profile"]
    d = diff(tagged_old, new.encode(), tiny_tagger)
    assert d.new.metadata["profile"] == "low"
    assert d.new.metadata["profile_chosen_by"]["gdpr_era_terms"] == ["GDPR", "legitimate interest"]


def test_alignment_scores_at_most_a_few_pairs_per_sentence(monkeypatch):
    # template sentences share most words pairwise: every pair used to be scored (a
    # quadratic number of quadratic ratio() calls: minutes for 40 KB)
    from difflib import SequenceMatcher
    from types import SimpleNamespace

    import privtag.policy_diff as pd_

    calls = []

    class Counting(SequenceMatcher):
        def ratio(self):
            calls.append(1)
            return super().ratio()

    monkeypatch.setattr(pd_, "SequenceMatcher", Counting)
    line = "We may share your {} information with vendor {} when you use service {}."
    old = [SimpleNamespace(text=line.format(w, k, 100 + k)) for k in range(60) for w in ["a"]]
    new = [SimpleNamespace(text=line.format("a", k, 900 + k)) for k in range(60)]
    pairs = pd_.align(old, new)
    assert len(calls) <= pd_.CANDIDATES * len(old)
    # every edit still finds its own partner: vendor k stays vendor k
    edited = [p for p in pairs if p.kind == "edited"]
    assert len(edited) == 60 and all(p.old.text.split()[7] == p.new.text.split()[7] for p in edited)


def test_a_label_moved_only_by_its_context_is_told_apart_from_an_edit():
    import dataclasses

    tagger = SystemTagger(RuleTagger())
    old = tagger.tag(b"We do not sell your data. You can delete your account at any time.")
    new = tagger.tag(b"We sell your data. You can delete your account at any time.")
    # a one-pass model reads each sentence in its paragraph: the unchanged second
    # sentence gains a label because the first one changed
    moved = dataclasses.replace(new.sentences[1], labels=["Data Security"])
    new = dataclasses.replace(new, sentences=[new.sentences[0], moved])
    d = diff(old, new)
    security = d.label("Data Security")
    assert [p.kind for p in security.gained] == ["same"] and security.context_only
    assert not d.label("Third Party Sharing/Collection").context_only
    text = d.to_text()
    assert "not addressed -> addressed (text unchanged)" in text
    assert "=+ You can delete your account" in text
    # the edit is shown in the terminal, old and new, though no label moved with it
    assert "was We do not sell your data." in text and "now We sell your data." in text
    assert json.loads(d.to_json())["labels"][5]["context_only"] is True
    assert "text unchanged; relabelled in its new context" in d.to_html()


def test_the_html_diff_carries_the_note_on_threshold_profiles():
    import dataclasses

    tagger = SystemTagger(RuleTagger())
    old = tagger.tag(b"We keep your data for 30 days.")
    new = tagger.tag(b"Under the GDPR you may ask us to delete your data.")
    old = dataclasses.replace(old, metadata={**old.metadata, "profile": "default"})
    new = dataclasses.replace(new, metadata={**new.metadata, "profile": "modern-balanced"})
    d = diff(old, new)
    assert "different threshold profiles (default, modern-balanced)" in d.to_text()
    assert "different threshold profiles (default, modern-balanced)" in d.to_html()
    with pytest.raises(ArgumentError, match="tagger must be a Tagger"):
        diff(b"We sell data.", b"We keep data.", "model")


def test_diff_reads_one_version_from_stdin_given_as_dash(versions):
    old, new = versions
    args = ["diff", "-", str(new), "--model", "rules"]
    piped = CliRunner().invoke(app, args, input=old.read_bytes())
    assert piped.exit_code == 0, piped.output
    files = CliRunner().invoke(app, ["diff", str(old), str(new), "--model", "rules"])
    assert piped.output.startswith(f"<stdin> -> {new}: ")
    assert piped.output.replace("<stdin>", str(old)) == files.output
    twice = CliRunner().invoke(app, ["diff", "-", "-", "--model", "rules"], input=b"x")
    assert twice.exit_code == 2 and "stdin holds one version" in twice.output

"""tag_many (privtag.inference.stream): its arguments, and a bad policy in the stream."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from privtag.errors import ArgumentError, PolicyReadError, PolicyTypeError, SkippedPolicyWarning

GOOD = "We collect your email address. We share it with advertisers."


@pytest.mark.parametrize("one", ["Cookies", b"We use cookies.", Path("policy.md"), None, 5])
def test_one_policy_or_no_iterable_is_refused_at_the_call(tiny_tagger, one):
    # "Cookies" was read as seven one-letter policies
    with pytest.raises(PolicyTypeError, match=r"tag_many takes many policies .* tag\(\)"):
        tiny_tagger.tag_many(one)


@pytest.mark.parametrize(
    "setting, value",
    [("sentences_per_batch", 0), ("sentences_per_batch", None), ("cache_size", -1)],
)
def test_batch_and_cache_sizes_are_checked_at_the_call(tiny_tagger, setting, value):
    with pytest.raises(ArgumentError, match=rf"{setting} must be an int of at least"):
        tiny_tagger.tag_many([GOOD], **{setting: value})


def test_a_bad_policy_is_named_and_the_ones_before_it_are_yielded(tiny_tagger):
    sources = [GOOD, "We keep logs for a year.", "   ", GOOD]
    got = []
    with pytest.raises(
        PolicyReadError, match=r"^policy 2 of those given \(counting from 0\): .*no text"
    ):
        for policy in tiny_tagger.tag_many(sources):
            got.append(policy)
    assert [p.document.text for p in got] == sources[:2]
    assert got[0].to_json() == tiny_tagger.tag(GOOD).to_json()


def test_errors_skip_yields_none_in_place_and_goes_on(tiny_tagger):
    sources = [GOOD, "   ", "We keep logs for a year.", 5]
    with pytest.warns(SkippedPolicyWarning) as caught:
        got = list(tiny_tagger.tag_many(iter(sources), errors="skip", sentences_per_batch=1))
    assert [p is None for p in got] == [False, True, False, True]
    assert [str(w.message).split(" skipped")[0] for w in caught] == [
        "policy 1 of those given (counting from 0)",
        "policy 3 of those given (counting from 0)",
    ]
    assert got[2].to_json() == tiny_tagger.tag(sources[2]).to_json()
    with pytest.raises(ArgumentError, match="errors must be"):
        tiny_tagger.tag_many([GOOD], errors="warn")


def test_zero_cache_still_tags_like_tag(tiny_tagger):
    many = list(tiny_tagger.tag_many([GOOD, GOOD], cache_size=np.int64(0)))  # NumPy ints too
    assert [p.to_json() for p in many] == [tiny_tagger.tag(GOOD).to_json()] * 2


GERMAN = (
    "Wir erheben Ihre E-Mail-Adresse. Wir geben Ihre Daten an Werbepartner weiter. "
    "Sie koennen der Verarbeitung jederzeit widersprechen."
)


def test_reading_caveats_reach_python_as_warnings(tiny_tagger):
    from privtag.errors import PolicyReadWarning

    # no labels on a German policy must not look like a policy that states nothing
    with pytest.warns(PolicyReadWarning, match="does not read as English") as one:
        policy = tiny_tagger.tag(GERMAN)
    assert [str(w.message) for w in one] == policy.document.warnings
    with pytest.warns(PolicyReadWarning) as many:
        list(tiny_tagger.tag_many([GOOD, GERMAN]))
    assert len(many) == 1 and "does not read as English" in str(many[0].message)


def test_the_cli_prints_each_reading_caveat_once(trained_tiny, tmp_path):
    import subprocess
    import sys

    # a real process: main() is where the CLI turns the Python warning off
    path = tmp_path / "de.txt"
    path.write_text(GERMAN)
    run = subprocess.run(
        [sys.executable, "-c", "from privtag.cli import main; main()", "tag", str(path),
         "--model", str(trained_tiny)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("does not read as English") == 1, run.stderr

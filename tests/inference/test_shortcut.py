"""privtag.tag: one call, one policy in and one result out; a list in, a list out."""

from __future__ import annotations

import pytest

import privtag
from privtag.errors import (
    ArgumentError,
    ModelLoadError,
    PolicyReadError,
    PolicyTypeError,
    SkippedPolicyWarning,
)
from privtag.inference import shortcut

POLICY = "# Privacy\n\nWe share your e-mail address with advertisers. We keep logs."


@pytest.fixture
def fresh_cache(monkeypatch):
    monkeypatch.setattr(shortcut, "_TAGGERS", {})


def test_one_policy_gives_one_result_and_a_list_a_list_in_order(trained_tiny, fresh_cache):
    one = privtag.tag(POLICY, model=trained_tiny)
    assert isinstance(one, privtag.TaggedPolicy)
    assert [s.text for s in one.sentences] == [
        "Privacy",
        "We share your e-mail address with advertisers.",
        "We keep logs.",
    ]
    many = privtag.tag([POLICY, "We keep logs."], model=trained_tiny)
    assert isinstance(many, list) and len(many) == 2
    assert [s.labels for s in many[0].sentences] == [s.labels for s in one.sentences]
    assert [s.text for s in many[1].sentences] == ["We keep logs."]
    # any iterable of policies is several: a generator gives a list too
    lazy = privtag.tag((p for p in [POLICY, "We keep logs."]), model=trained_tiny)
    assert [[s.labels for s in p.sentences] for p in lazy] == [
        [s.labels for s in p.sentences] for p in many
    ]


def test_the_model_is_loaded_once_per_process(trained_tiny, fresh_cache, monkeypatch):
    from privtag.inference.tagger import Tagger

    loads = []
    real = Tagger.from_pretrained.__func__
    monkeypatch.setattr(
        Tagger, "from_pretrained", classmethod(lambda cls, m: loads.append(m) or real(cls, m))
    )
    privtag.tag(POLICY, model=trained_tiny)
    privtag.tag("We keep logs.", model=str(trained_tiny))  # the same model, spelt otherwise
    monkeypatch.setenv("PRIVTAG_MODEL", str(trained_tiny))  # and as the default
    privtag.tag("We keep logs.")
    assert loads == [trained_tiny.resolve()]


def test_wrong_inputs_are_named(trained_tiny, fresh_cache):
    with pytest.raises(PolicyTypeError, match="not a set; pass list"):
        privtag.tag({POLICY}, model=trained_tiny)
    # refused before any model is looked for: a file's lines or a dict's keys are no policies
    import io

    with pytest.raises(PolicyTypeError, match="not an open file"):
        privtag.tag(io.StringIO("We keep logs.\nWe sell nothing."), model="no/such/model")
    with pytest.raises(PolicyTypeError, match=r"privtag.tag takes policies, not a dict"):
        privtag.tag({"a": POLICY}, model="no/such/model")
    # named by its place in the list, not by a function the caller did not call
    with pytest.raises(PolicyReadError, match=r"^1 of the 2 policies given .*: policy 1: "):
        privtag.tag(["We keep logs.", ""], model=trained_tiny)
    with pytest.raises(ModelLoadError, match="not 123"):
        privtag.tag("We keep logs.", model=123)
    as_bytes = privtag.tag(bytearray(b"We keep logs."), model=trained_tiny)
    assert [s.text for s in as_bytes.sentences] == ["We keep logs."]


def test_every_bad_policy_is_named_before_the_model_loads(
    trained_tiny, tmp_path, fresh_cache, monkeypatch
):
    from privtag.inference.tagger import Tagger

    loads = []
    monkeypatch.setattr(Tagger, "from_pretrained", classmethod(lambda cls, m: loads.append(m)))
    gone = tmp_path / "gone.html"
    with pytest.raises(PolicyReadError) as caught:
        privtag.tag(["We keep logs.", gone, "   ", "We sell nothing."], model=trained_tiny)
    message = str(caught.value)
    assert message.startswith("2 of the 4 policies given cannot be read")
    assert "policy 1: " in message and "gone.html" in message
    assert "policy 2: " in message and 'errors="skip"' in message
    assert "policy 0" not in message and "policy 3" not in message
    assert loads == []  # nothing was loaded, nothing tagged
    # a wrong model is named first, before any policy is read
    with pytest.raises(ModelLoadError, match="no such model directory"):
        privtag.tag(["We keep logs.", gone], model=tmp_path / "no-model")
    # nothing left to tag: no model is loaded for it
    with pytest.warns(SkippedPolicyWarning):
        assert privtag.tag(["", gone], model=trained_tiny, errors="skip") == [None, None]
    assert privtag.tag([], model=trained_tiny) == [] and loads == []
    # every one bad: skipping would tag nothing, so it is not offered
    with pytest.raises(PolicyReadError, match=r"Fix or drop them$"):
        privtag.tag(["", gone], model=trained_tiny)


def test_errors_skip_tags_the_others_and_keeps_their_places(trained_tiny, fresh_cache):
    good = [POLICY, "We keep logs."]
    with pytest.warns(SkippedPolicyWarning, match=r"^policy 1 of those given .* skipped: "):
        got = privtag.tag([good[0], "", good[1]], model=trained_tiny, errors="skip")
    assert got[1] is None
    alone = privtag.tag(good, model=trained_tiny)
    assert [p.to_json() for p in (got[0], got[2])] == [p.to_json() for p in alone]
    with pytest.raises(ArgumentError, match='errors must be "raise" or "skip", not \'ignore\''):
        privtag.tag(good, model=trained_tiny, errors="ignore")

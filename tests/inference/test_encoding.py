"""Model inputs: context as the second segment, long units split into overlapping windows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privtag.inference.encoding import (
    CONTEXTS,
    UnitError,
    check_units,
    clean_text,
    combine_windows,
    encode,
    unit_section,
    unit_text,
)


@pytest.fixture(scope="module")
def tokenizer():
    """The packaged MiniLM's tokenizer (no model weights are loaded)."""
    from transformers import AutoTokenizer

    from privtag.inference.model import base_encoder_path

    return AutoTokenizer.from_pretrained(base_encoder_path())


class WordTokenizer:
    """A stand-in tokenizer: one token per white-space word, ``w<n>`` -> id ``1000 + n``.

    Fast enough for hypothesis, and every token maps back to its word.
    """

    cls_token_id, sep_token_id, unk_token_id = 1, 2, 3

    def __call__(self, texts, **_):
        return {"input_ids": [[1000 + int(w[1:]) for w in t.split()] for t in texts]}


def words(n: int, start: int = 0) -> str:
    return " ".join(f"w{i}" for i in range(start, start + n))


def text_of(ids, types):
    """The unit's tokens of a window: first segment without [CLS] and [SEP]."""
    first = [i for i, t in zip(ids, types, strict=True) if t == 0]
    assert first[0] == WordTokenizer.cls_token_id and first[-1] == WordTokenizer.sep_token_id
    return first[1:-1]


def test_short_unit_is_one_window_cls_text_sep(tokenizer):
    enc = encode(tokenizer, ["We use cookies."], max_length=32)
    expected = tokenizer("We use cookies.")["input_ids"]  # [CLS] ... [SEP]
    assert enc.input_ids == [expected]
    assert enc.token_type_ids == [[0] * len(expected)]
    assert enc.owner == [0] and len(enc) == 1


def test_context_is_second_segment_with_token_type_1(tokenizer):
    unit = {
        "text": "We use cookies.",
        "section": ["Privacy", "Cookies"],
        "previous": "This section is about tracking.",
    }
    enc = encode(tokenizer, [unit], context="section+previous", max_length=64)
    tokens = tokenizer.convert_ids_to_tokens(enc.input_ids[0])
    types = enc.token_type_ids[0]
    assert tokens == [
        "[CLS]",
        "we",
        "use",
        "cookies",
        ".",
        "[SEP]",
        "cookies",
        "[SEP]",
        "this",
        "section",
        "is",
        "about",
        "tracking",
        ".",
        "[SEP]",
    ]
    assert types == [0] * 6 + [1] * 9


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("none", []),
        ("section", ["cookies", "[SEP]"]),
        ("previous", ["before", ".", "[SEP]"]),
        ("section+previous", ["cookies", "[SEP]", "before", ".", "[SEP]"]),
    ],
)
def test_context_modes(tokenizer, context, expected):
    unit = {"text": "Hi.", "section": ["Cookies"], "previous": "Before."}
    enc = encode(tokenizer, [unit], context=context, max_length=64)
    tokens = tokenizer.convert_ids_to_tokens(enc.input_ids[0])
    assert tokens == ["[CLS]", "hi", ".", "[SEP]", *expected]


def test_plain_string_has_no_context_and_heading_is_not_its_own_context(tokenizer):
    heading = {"text": "Cookies", "section": ["Cookies"], "previous": ""}
    enc = encode(tokenizer, ["Hi.", heading], context="section+previous", max_length=64)
    assert enc.token_type_ids[0] == [0] * 4
    assert tokenizer.convert_ids_to_tokens(enc.input_ids[1]) == ["[CLS]", "cookies", "[SEP]"]


def test_context_keeps_heading_start_and_end_of_previous():
    tok = WordTokenizer()
    unit = {"text": words(3), "section": [words(20, 100)], "previous": words(50, 200)}
    enc = encode(tok, [unit], context="section+previous", max_length=128, context_tokens=30)
    second = [i for i, t in zip(enc.input_ids[0], enc.token_type_ids[0], strict=True) if t == 1]
    heading = [1000 + i for i in range(100, 110)]  # context_tokens // 3 tokens of the heading
    previous = [1000 + i for i in range(231, 250)]  # the end of the previous sentence
    assert second == [*heading, 2, *previous, 2]
    assert len(second) - 2 <= 30


def test_unknown_context_mode_is_rejected(tokenizer):
    with pytest.raises(ValueError, match="section\\+previous"):
        encode(tokenizer, ["Hi."], context="heading")


def test_empty_text_is_one_unknown_token_and_no_units_no_windows(tokenizer):
    enc = encode(tokenizer, [""])
    assert enc.input_ids == [
        [tokenizer.cls_token_id, tokenizer.unk_token_id, tokenizer.sep_token_id]
    ]
    assert len(encode(tokenizer, [])) == 0


def test_unit_text():
    assert unit_text("a") == "a"
    assert unit_text({"text": "b", "section": ["x"]}) == "b"


@pytest.mark.parametrize("unit", [{"text": None}, {"text": 3}, {"section": ["x"]}, None, b"a"])
def test_unit_text_refuses_what_is_not_text(unit):
    # {"text": None} was scored as the text "None"
    with pytest.raises(UnitError, match="a str or a mapping with a str 'text'"):
        unit_text(unit)


def test_a_string_section_is_a_path_of_one_heading(tokenizer):
    assert unit_section({"text": "a", "section": "Cookies"}) == ["Cookies"]
    assert unit_section({"text": "a", "section": None}) == unit_section("a") == []
    as_str = encode(tokenizer, [{"text": "We use cookies.", "section": "Cookies"}], "section")
    as_list = encode(tokenizer, [{"text": "We use cookies.", "section": ["Cookies"]}], "section")
    assert as_str == as_list
    with pytest.raises(UnitError, match="'section' must be a list of headings"):
        unit_section({"text": "a", "section": [1, 2]})


def test_check_units_names_the_bad_index():
    assert check_units(["a", {"text": "b"}]) == (["a", {"text": "b"}], False)
    assert check_units({"text": "b"}) == ([{"text": "b"}], True)
    assert check_units(iter(["a"])) == (["a"], False)
    with pytest.raises(UnitError, match=r"^unit 2: a unit must be .*, not NoneType$"):
        check_units(["a", "b", None])


def test_lone_surrogates_are_replaced_before_tokenizing(tokenizer):
    text = "We \ud800 sell \udfff data."
    assert clean_text(text) == "We \ufffd sell \ufffd data." and len(clean_text(text)) == len(text)
    assert clean_text("caf\u00e9 \U0001f600") == "caf\u00e9 \U0001f600"  # valid text is kept
    unit = {"text": text, "section": ["A\udc80"], "previous": "\ud83d"}
    clean = {"text": clean_text(text), "section": ["A\ufffd"], "previous": "\ufffd"}
    assert encode(tokenizer, [unit], "section+previous") == encode(
        tokenizer, [clean], "section+previous"
    )


# ---------------------------------------------------------------- windows


def test_long_unit_gets_overlapping_windows_covering_every_token(tokenizer):
    text = " ".join(f"Sentence number {i} says we keep logs." for i in range(40))
    unit = {"text": text, "section": ["Logs"], "previous": "Before this."}
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    enc = encode(tokenizer, [unit], context="section+previous", max_length=64, context_tokens=16)
    assert len(ids) > 64 and len(enc) >= 5
    assert enc.owner == [0] * len(enc)
    pieces = []
    for win, types in zip(enc.input_ids, enc.token_type_ids, strict=True):
        assert len(win) <= 64
        n0 = types.count(0)
        assert win[0] == tokenizer.cls_token_id and win[n0 - 1] == tokenizer.sep_token_id
        pieces.append(win[1 : n0 - 1])
        assert tokenizer.decode(win[n0:]).startswith("logs [SEP] before this.")  # same context
    # windows are consecutive slices of the text's tokens that overlap and reach its end
    pos = []
    for piece in pieces:
        at = next(s for s in range(len(ids)) if ids[s : s + len(piece)] == piece)
        pos.append((at, at + len(piece)))
    assert pos[0][0] == 0 and pos[-1][1] == len(ids)
    for (a0, z0), (a1, _) in itertools.pairwise(pos):
        assert a0 < a1 < z0, f"windows {pos} do not overlap"


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 300),
    max_length=st.integers(4, 80),
    context_tokens=st.integers(0, 64),
    head=st.integers(0, 30),
    prev=st.integers(0, 60),
)
def test_windows_never_drop_a_token(n, max_length, context_tokens, head, prev):
    tok = WordTokenizer()
    unit = {
        "text": words(n),
        "section": [words(head, 1000)] if head else [],
        "previous": words(prev, 2000),
    }
    enc = encode(
        tok,
        [unit, "w7"],
        context="section+previous",
        max_length=max_length,
        context_tokens=context_tokens,
    )
    assert all(len(x) <= max_length for x in enc.input_ids), [len(x) for x in enc.input_ids]
    assert enc.owner == sorted(enc.owner) and set(enc.owner) == {0, 1}
    seen = set()
    for ids, types, owner in zip(enc.input_ids, enc.token_type_ids, enc.owner, strict=True):
        assert types == sorted(types)  # unit first, then context
        piece = text_of(ids, types)
        assert piece, "a window without any token of its unit"
        if owner == 0:
            seen.update(piece)
    assert seen == ({1000 + i for i in range(n)} if n else {WordTokenizer.unk_token_id})


def test_context_never_takes_the_units_room():
    """Regression: max_length 16 with 48 context tokens gave windows without the unit's text."""
    tok = WordTokenizer()
    unit = {"text": words(5), "section": [words(20, 100)], "previous": words(60, 200)}
    enc = encode(tok, [unit], context="section+previous", max_length=16, context_tokens=48)
    assert len(enc) == 1
    assert text_of(enc.input_ids[0], enc.token_type_ids[0]) == [1000 + i for i in range(5)]


@pytest.mark.parametrize("max_length", [0, 2, 3])
def test_too_small_window_is_rejected(max_length):
    with pytest.raises(ValueError, match="max_length"):
        encode(WordTokenizer(), ["w1"], max_length=max_length)


# ---------------------------------------------------------------- combining windows


def test_combine_windows_takes_the_max_per_unit():
    scores = np.array([[0.1, 0.9], [0.7, 0.2], [0.3, 0.3], [0.05, 0.6]], dtype=np.float32)
    out = combine_windows(scores, [0, 0, 1, 2], 3)
    expected = np.array([[0.7, 0.9], [0.3, 0.3], [0.05, 0.6]], dtype=np.float32)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32


def test_combine_windows_of_negative_scores_is_still_the_max():
    """Regression: the result started at 0, so logits (all negative) came out as 0."""
    logits = np.array([[-1.0, -2.0], [-3.0, -0.5], [-4.0, -4.0]])
    np.testing.assert_array_equal(
        combine_windows(logits, [0, 0, 1], 2), [[-1.0, -0.5], [-4.0, -4.0]]
    )


@given(st.lists(st.integers(0, 4), min_size=1, max_size=20), st.integers(0, 2**31 - 1))
def test_combine_windows_matches_a_loop(owner, seed):
    owner = sorted(owner)
    scores = np.random.default_rng(seed).normal(size=(len(owner), 3))
    out = combine_windows(scores, owner, max(owner) + 1)
    for u in range(max(owner) + 1):
        rows = scores[[i for i, o in enumerate(owner) if o == u]]
        expected = rows.max(0) if len(rows) else np.zeros(3)
        np.testing.assert_array_equal(out[u], expected)


def test_contexts_constant():
    assert CONTEXTS == ("none", "section", "previous", "section+previous")


def test_a_text_longer_than_the_encoder_is_tokenized_without_a_false_alarm(tokenizer):
    # its ids are cut into windows afterwards: the tokenizer's "indexing errors" warning
    # reached the terminal of `privtag tag` on any paragraph over 512 tokens
    import logging

    from privtag.inference.encoding import token_ids

    # a tokenizer warns once per instance: a fresh one, whatever ran before this test
    tokenizer = type(tokenizer).from_pretrained(tokenizer.name_or_path)
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    log = logging.getLogger("transformers.tokenization_utils_base")
    log.addHandler(handler)
    try:
        (ids,) = token_ids(tokenizer, ["We keep your data. " * 200])
    finally:
        log.removeHandler(handler)
    assert len(ids) > tokenizer.model_max_length
    assert not [m for m in seen if "longer than the specified maximum" in m]

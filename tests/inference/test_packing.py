"""Packed paragraph windows: rows, masks, positions, and scores equal to padded batches."""

from __future__ import annotations

import numpy as np
import pytest

from privtag.errors import ModelLoadError
from privtag.inference.encoding import Encoded
from privtag.inference.packing import pack_rows, packed_batches
from privtag.inference.settings import InferenceSettings

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _encoded(lengths: list[int]) -> Encoded:
    """Windows of the given lengths; each has spans (1, 2) and, when long enough, (2, n-1)."""
    ids, spans = [], []
    for w, n in enumerate(lengths):
        ids.append([101, *range(1000 + 10 * w, 1000 + 10 * w + n - 2), 102])
        spans.append([(1, 2)] + ([(2, n - 1)] if n > 3 else []))
    return Encoded(ids, [[0] * len(x) for x in ids], list(range(len(ids))), spans)


def test_rows_hold_every_window_once_within_capacity():
    lengths = [5, 3, 2, 6, 9, 1, 4, 4, 7]
    rows = pack_rows(lengths, capacity=8)
    assert sorted(i for row in rows for i in row) == list(range(len(lengths)))
    for row in rows:  # a window longer than a row sits alone
        assert sum(lengths[i] for i in row) <= 8 or len(row) == 1
    assert [4] in rows


def test_a_batch_keeps_windows_apart_and_restarts_positions():
    enc = _encoded([4, 3, 5])
    batches = list(packed_batches(enc, capacity=8, budget=8))
    first = batches[0]
    # the longest window (5) opens the first row; the 3-token one fits after it
    assert first.input_ids[0].tolist() == enc.input_ids[2] + enc.input_ids[1]
    assert first.position_ids[0].tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    mask = first.attention_mask()[0, 0]
    assert mask[:5, :5].all() and mask[5:, 5:].all()
    assert not mask[:5, 5:].any() and not mask[5:, :5].any()
    # every span lands in exactly one output row, across all batches
    rows = np.concatenate([b.rows for b in batches])
    assert sorted(rows.tolist()) == list(range(sum(len(s) for s in enc.spans)))


def test_padding_tokens_attend_only_to_themselves():
    enc = _encoded([5, 2])
    batch = next(packed_batches(enc, capacity=5, budget=10))  # two rows: 5 and 2 tokens
    mask = batch.attention_mask()
    assert batch.window[1].tolist() == [0, 0, -1, -1, -1]
    assert mask[1, 0, 3].tolist() == [False, False, False, True, False]


def test_packed_scores_equal_padded_scores(paragraph_tagger_f32):
    from privtag.inference.backends import TorchScorer
    from privtag.inference.paragraphs import document_paragraphs, encode_paragraphs
    from privtag.segmentation.document import segment

    tagger = paragraph_tagger_f32
    text = "\n\n".join(
        " ".join(f"We keep record {i}.{j} for {j} days." for j in range(1 + i % 4))
        for i in range(9)
    )
    s = tagger.settings
    enc = encode_paragraphs(
        tagger.tokenizer,
        document_paragraphs(segment(text)),
        s["context"],
        s["paragraph_max_length"],
        s["context_tokens"],
    )
    padded = TorchScorer(tagger.model, batch_size=4).score(enc)
    # a small budget makes several passes of several rows, each row several windows
    packed = TorchScorer(tagger.model, pack_tokens=96, pack_capacity=48).score(enc)
    assert packed.shape == padded.shape
    np.testing.assert_allclose(packed, padded, atol=1e-5)


def test_the_tagger_packs_by_default_and_pack_tokens_is_checked(paragraph_tagger_f32):
    assert paragraph_tagger_f32.scorer.pack_tokens == InferenceSettings().pack_tokens > 0
    with pytest.raises(ModelLoadError, match="pack_tokens must be an integer of at least 0"):
        InferenceSettings.from_dict({"pack_tokens": -1})


@pytest.fixture
def paragraph_tagger_f32(trained_tiny_paragraph, tiny_encoder):
    from privtag.inference.tagger import Tagger

    return Tagger.from_pretrained(trained_tiny_paragraph, base=tiny_encoder, dtype="float32")


@pytest.mark.filterwarnings("ignore::privtag.inference.model.EmulatedBfloat16Warning")
def test_the_default_path_agrees_with_padded_float32(trained_tiny_paragraph, tiny_encoder):
    """bfloat16 autocast over packed windows (the default) against the float32 reference."""
    from privtag.inference.tagger import Tagger

    policy = "\n\n".join(
        f"We collect your email address {i}. We share it with partners for {i} days."
        for i in range(6)
    )
    ref = Tagger.from_pretrained(trained_tiny_paragraph, base=tiny_encoder, dtype="float32")
    ref.settings["pack_tokens"] = 0
    got = Tagger.from_pretrained(trained_tiny_paragraph, base=tiny_encoder, dtype="bfloat16")
    assert got.scorer.pack_tokens > 0
    a, b = ref.tag(policy), got.tag(policy)
    for x, y in zip(a.sentences + a.paragraphs, b.sentences + b.paragraphs, strict=True):
        assert list(y.scores.values()) == pytest.approx(list(x.scores.values()), abs=0.03)

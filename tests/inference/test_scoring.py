"""The scoring functions the Tagger binds: splitting units, per-paragraph scores, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from privtag.inference.scoring import document_paragraph_scores, scores_by_aggregate, split_unit
from privtag.inference.tagger import Tagger
from privtag.labels import NUM_LABELS
from privtag.segmentation.document import segment

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_split_unit_chains_context_across_blank_lines():
    unit = {"text": "We sell nothing.\n\nWe keep nothing.", "section": ["Data"], "previous": "Hi."}
    assert split_unit(unit) == [
        {"text": "We sell nothing.", "section": ["Data"], "previous": "Hi."},
        {"text": "We keep nothing.", "section": ["Data"], "previous": "We sell nothing."},
    ]
    assert split_unit(" \u200b ") == []


def test_one_sentence_paragraphs_take_their_sentence_score(tiny_tagger):
    doc = segment("We sell nothing.\n\nWe collect your name. We keep it for a year.")
    sent = np.linspace(0, 1, 3 * NUM_LABELS, dtype=np.float32).reshape(3, NUM_LABELS)
    tiny_tagger.settings["aggregate"] = "max"
    paras, multi, scores = document_paragraph_scores(tiny_tagger, doc, sent)
    assert [p.last - p.first for p in paras] == [1, 2] and multi.tolist() == [False, True]
    np.testing.assert_array_equal(scores, [sent[0], sent[1:].max(0)])


def test_an_overridden_score_is_used_by_every_function(tiny_tagger):
    class Fixed(Tagger):
        def _score(self, units, max_length):  # the same score for every unit
            return np.full((len(units), NUM_LABELS), 0.25, dtype=np.float32)

    fixed = Fixed(tiny_tagger.model, tiny_tagger.tokenizer, {"aggregate": "max+direct"})
    out, sizes = scores_by_aggregate(fixed, ["We collect your name. We keep it."], ["max+direct"])
    assert sizes.tolist() == [2]
    np.testing.assert_allclose(out["max+direct"], 0.25)  # sentences and direct pass alike

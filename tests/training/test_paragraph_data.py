"""Training data for one pass per paragraph: row targets, context dropout, collation, loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from privtag.data.records import to_dataset
from privtag.labels import LABELS, NUM_LABELS
from privtag.training.paragraph_data import (
    SpanCollator,
    encode_paragraph_dataset,
    label_rows,
    paragraph_groups,
)
from privtag.training.recipe import Recipe

pytestmark = pytest.mark.usefixtures("one_torch_thread")

COLLECT, SHARE, CHOICE = LABELS[0], LABELS[1], LABELS[2]


def _sentence(policy, para, start, text, labels, votes=None):
    return {
        "policy": policy,
        "unit_id": f"{policy}-{start}",
        "text": text,
        "labels": labels,
        "paragraph": para,
        "start": start,
        "end": start + len(text),
        "section": ["Data"],
        "votes": votes,
    }


@pytest.fixture
def units():
    """Two paragraphs of policy a (rows out of text order) and one of policy b."""
    sentences = to_dataset(
        [
            _sentence("a", 0, 20, "We share it.", [SHARE]),
            _sentence("a", 0, 0, "We collect email.", [COLLECT]),
            _sentence("a", 1, 40, "You may opt out.", [CHOICE]),
            _sentence("b", 0, 0, "We collect logs.", [COLLECT], votes=[2 / 3] + [0.0] * 11),
        ]
    )
    segments = to_dataset(
        [
            {"policy": "a", "unit_id": "s0", "text": "x", "labels": [COLLECT], "paragraph": 0},
            {"policy": "b", "unit_id": "s0", "text": "x", "labels": [], "paragraph": 0},
        ]
    )
    return sentences, segments


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from privtag.inference.model import base_encoder_path

    return AutoTokenizer.from_pretrained(base_encoder_path())


def _recipe(**model):
    r = Recipe()
    r.model.encoding = "paragraph"
    r.model.paragraph_max_length = 64
    r.model.context_tokens = 16
    for k, v in model.items():
        setattr(r.model, k, v)
    return r


def test_groups_are_paragraphs_of_one_policy_in_text_order(units):
    sentences, _ = units
    assert paragraph_groups(sentences) == [(("a", 0), [1, 0]), (("a", 1), [2]), (("b", 0), [3])]


def test_each_row_has_its_target_paragraph_rows_take_the_segment_labels(units, tokenizer):
    sentences, segments = units
    ds = encode_paragraph_dataset(tokenizer, sentences, segments, _recipe(), training=False)
    assert ds.num_rows == 3 and [len(s) for s in ds["spans"]] == [3, 2, 2]
    first = np.asarray(ds["labels"][0])
    # the segment's own labels (collection only), not the union of its sentences'
    assert np.flatnonzero(first[0]).tolist() == [0]
    assert np.flatnonzero(first[1]).tolist() == [0]  # "We collect email." comes first
    assert np.flatnonzero(first[2]).tolist() == [1]
    # a paragraph without a segment unit takes the union of its sentences' labels
    assert np.flatnonzero(np.asarray(ds["labels"][1])[0]).tolist() == [2]
    assert label_rows(ds).shape == (7, NUM_LABELS)


def test_soft_targets_use_the_votes_in_training_only(units, tokenizer):
    sentences, segments = units
    recipe = _recipe()
    recipe.data.targets = "soft"
    soft = encode_paragraph_dataset(tokenizer, sentences, segments, recipe)
    hard = encode_paragraph_dataset(tokenizer, sentences, segments, recipe, training=False)
    assert soft["labels"][2][1][0] == pytest.approx(2 / 3)
    assert hard["labels"][2][1][0] == 1.0


def test_context_dropout_adds_lone_sentences_and_drops_headings(units, tokenizer):
    sentences, segments = units
    full = encode_paragraph_dataset(tokenizer, sentences, segments, _recipe(context_dropout=1.0))
    assert full.num_rows == 3 + 4  # every sentence again, alone
    lone = full.select(range(3, 7))
    assert all(len(s) == 2 and s[0] == s[1] for s in lone["spans"])  # paragraph = sentence
    assert all(set(t) == {0} for t in full["token_type_ids"])  # no heading anywhere
    none = encode_paragraph_dataset(tokenizer, sentences, segments, _recipe(context_dropout=0.0))
    assert none.num_rows == 3 and any(1 in t for t in none["token_type_ids"])


def test_a_level_left_out_of_the_recipe_gets_no_target(units, tokenizer):
    sentences, segments = units
    recipe = _recipe()
    recipe.data.levels = ["sentence"]
    ds = encode_paragraph_dataset(tokenizer, sentences, segments, recipe, training=False)
    batch = SpanCollator(tokenizer.pad_token_id)([ds[0], ds[2]])
    assert batch["label_mask"].tolist() == [[0, 1, 1], [0, 1, 0]]  # paragraph rows off
    assert not torch.isnan(batch["labels"]).any()
    rows = label_rows(ds)
    assert np.isnan(rows).any(1).sum() == 3  # one paragraph row per window


def test_teacher_half_of_lone_sentences_is_their_score_in_the_paragraph(units, tokenizer):
    sentences, segments = units
    t_sent = np.arange(sentences.num_rows, dtype=np.float32)[:, None] / 10 + np.zeros(NUM_LABELS)
    taught = sentences.add_column("teacher", t_sent.tolist()).add_column(
        "teacher_paragraph", (t_sent + 0.5).tolist()
    )
    # context dropout 1: every paragraph loses its heading and every sentence comes again alone
    ds = encode_paragraph_dataset(tokenizer, taught, segments, _recipe(context_dropout=1.0))
    windows = [np.asarray(x, dtype=np.float32) for x in ds["labels"]]
    assert all(w.shape[1] == 2 * NUM_LABELS for w in windows)
    lone = windows[-sentences.num_rows :]  # appended after the paragraphs, in row order
    for i, w in enumerate(lone):
        assert np.allclose(w[:, NUM_LABELS:], t_sent[i])  # both rows: the in-paragraph score
    first = windows[0]  # paragraph a/0: rows 1 then 0 in text order
    assert np.allclose(first[0, NUM_LABELS:], t_sent[1] + 0.5)
    assert np.allclose(first[1:, NUM_LABELS:], t_sent[[1, 0]])
    # without training (validation) the teacher is not read
    plain = encode_paragraph_dataset(tokenizer, taught, segments, _recipe(), training=False)
    assert np.asarray(plain["labels"][0]).shape[1] == NUM_LABELS


def test_collator_pads_windows_rows_and_masks_padding_rows(units, tokenizer):
    sentences, segments = units
    ds = encode_paragraph_dataset(tokenizer, sentences, segments, _recipe(), training=False)
    batch = SpanCollator(tokenizer.pad_token_id)([ds[0], ds[2]])
    assert batch["span_weights"].shape == (2, 3, batch["input_ids"].shape[1])
    assert batch["label_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].shape == (2, 3, NUM_LABELS)
    assert torch.allclose(batch["span_weights"].sum(-1), batch["label_mask"])


def test_padding_rows_add_nothing_to_the_loss(tiny_encoder):
    from privtag.inference.model import PrivtagClassifier

    torch.manual_seed(0)
    model = PrivtagClassifier.from_base(tiny_encoder).eval()
    ids = torch.tensor([[101, 2057, 2562, 102]])
    weights = torch.tensor([[[0, 0.5, 0.5, 0], [0, 1.0, 0, 0], [0, 0, 0, 0]]])
    labels = torch.zeros((1, 3, NUM_LABELS))
    labels[0, 0, 0] = 1
    garbage = labels.clone()
    garbage[0, 2] = 1  # a padding row's target: must not count
    common = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "span_weights": weights}
    mask = torch.tensor([[1.0, 1.0, 0.0]])
    with torch.no_grad():
        a = model(**common, labels=labels, label_mask=mask)
        b = model(**common, labels=garbage, label_mask=mask)
        logits = a.logits[0, :2]
        expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels[0, :2])
    assert a.loss == pytest.approx(b.loss.item()) and a.loss == pytest.approx(expected.item())


def test_crossval_scores_folds_of_a_paragraph_model(tiny_opp115_run):
    _, run = tiny_opp115_run(**{"model.encoding": "paragraph"})
    import json

    for k in (0, 1):
        scores = np.load(run / f"fold{k}" / "scores.npz")
        units = json.loads((run / f"fold{k}" / "units.json").read_text())
        assert scores["sentence"].shape == (len(units["sentence"]["unit_id"]), NUM_LABELS)
        assert scores["segment:direct"].shape == (len(units["segment"]["unit_id"]), NUM_LABELS)
        assert (scores["sentence"] > 0).all()  # every sentence scored, none left at 0
    saved = json.loads((run / "recipe.json").read_text())
    assert saved["model"]["encoding"] == "paragraph"

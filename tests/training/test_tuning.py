"""Picking the aggregation and thresholds on validation units, on scores fixed in advance."""

from __future__ import annotations

import numpy as np
import pytest

from privtag.data.records import to_dataset
from privtag.labels import LABELS, NUM_LABELS
from privtag.training.tuning import tune_tagger


class StubTagger:
    """Scores fixed in advance: tune_tagger needs only _score, settings and thresholds."""

    one_pass = False  # a window per sentence: scored by _score

    def __init__(self, scores):
        self.scores = np.asarray(scores, dtype=np.float32)
        self.settings = {"max_length": 16, "aggregate": "max"}
        self.thresholds = {"sentence": [0.5] * NUM_LABELS, "paragraph": [0.5] * NUM_LABELS}

    def _score(self, units, max_length):
        return self.scores[: len(units)]


def sentence_units(labels: list[list[str]]):
    return to_dataset(
        [
            {"policy": "p", "unit_id": f"s{i}", "text": f"Sentence {i}.", "labels": x}
            for i, x in enumerate(labels)
        ]
    )


def test_tune_tagger_sets_sentence_thresholds():
    scores = np.full((4, NUM_LABELS), 0.1)
    scores[:, 0] = [0.9, 0.8, 0.3, 0.2]  # label 0: best cut accepts 0.8, threshold midway to 0.3
    ds = sentence_units([[LABELS[0]], [LABELS[0]], [], []])
    stub = StubTagger(scores)
    stub.thresholds["sentence"][1] = 0.287612  # as a trained model's
    out = tune_tagger(stub, ds, to_dataset([]), ["max"])
    assert stub.thresholds["sentence"][0] == pytest.approx(0.55)
    # no positives: each keeps the threshold it had, exactly (not reset to 0.5)
    assert stub.thresholds["sentence"][1:] == [0.287612] + [0.5] * (NUM_LABELS - 2)
    assert stub.thresholds["paragraph"] == [0.5] * NUM_LABELS  # no segments: untouched
    assert out["sentence"]["macro"] == 1.0 and set(out) == {"sentence", "kept"}
    assert out["kept"] == {"sentence": list(LABELS[1:])}


def test_a_label_whose_scores_leave_no_cut_keeps_its_threshold_too():
    # positives, but every score outside [0.05, 0.95]: no threshold can be tuned there
    scores = np.full((3, NUM_LABELS), 0.5)
    scores[:, 0] = [0.99, 0.02, 0.01]
    stub = StubTagger(scores)
    stub.thresholds["sentence"][0] = 0.287612
    out = tune_tagger(stub, sentence_units([[LABELS[0]], [], []]), to_dataset([]), ["max"])
    assert stub.thresholds["sentence"][0] == 0.287612 and LABELS[0] in out["kept"]["sentence"]


def test_tuning_scores_in_float32_and_restores_the_dtype():
    seen = []

    class Recording(StubTagger):
        def _score(self, units, max_length):
            seen.append(self.settings["dtype"])
            return super()._score(units, max_length)

    stub = Recording(np.full((2, NUM_LABELS), 0.3))
    stub.settings["dtype"] = "bfloat16"
    tune_tagger(stub, sentence_units([[LABELS[0]], []]), to_dataset([]), ["max"])
    assert seen == ["float32"]  # the same thresholds on machines with and without bfloat16
    assert stub.settings["dtype"] == "bfloat16"


class StubParagraphs(StubTagger):
    """Segment scores fixed in advance per aggregate, with which segments are paragraphs."""

    def __init__(self, by_aggregate, is_para):
        super().__init__(np.zeros((0, NUM_LABELS)))
        self.by_aggregate = {a: np.asarray(v, dtype=np.float32) for a, v in by_aggregate.items()}
        self.is_para = np.asarray(is_para, dtype=bool)

    def predict_proba_by_aggregate(self, units, aggregates):
        return {a: self.by_aggregate[a] for a in aggregates}, self.is_para


def label0_scores(column):
    scores = np.full((len(column), NUM_LABELS), 0.1)
    scores[:, 0] = column
    return scores


def test_paragraph_thresholds_are_tuned_on_multi_sentence_segments_only():
    # segment 0 is one sentence: decided by the sentence threshold (0.5), never by the
    # paragraph one, so tuning must not lower the paragraph threshold to reach it
    gold = sentence_units([[LABELS[0]], [LABELS[0]], [], []])
    stub = StubParagraphs({"max": label0_scores([0.2, 0.7, 0.3, 0.1])}, [False, True, True, True])
    out = tune_tagger(stub, to_dataset([]), gold, ["max"])
    # accepts 0.7, rejects 0.3 (tuned on all four, it would accept 0.2 and sit at 0.15)
    assert stub.thresholds["paragraph"][0] == pytest.approx(0.5, abs=1e-5)
    # the reported F1 is what predict() gets: segment 0 missed at the 0.5 sentence threshold
    assert out["segment"]["per_label"][LABELS[0]]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["multi_sentence_segments"] == 3


@pytest.mark.parametrize(("tolerance", "kept"), [(0.0, "max+direct"), (0.5, "max")])
def test_aggregate_tolerance_prefers_one_pass_aggregates(tolerance, kept):
    gold = sentence_units([[LABELS[0]], [LABELS[0]], [], []])
    paras = [True] * 4
    scores = {
        "max": label0_scores([0.9, 0.2, 0.5, 0.1]),  # F1 0.67 on label 0
        "max+direct": label0_scores([0.9, 0.8, 0.3, 0.1]),  # F1 1.0
    }
    stub = StubParagraphs(scores, paras)
    out = tune_tagger(stub, to_dataset([]), gold, ["max", "max+direct"], tolerance)
    assert out["aggregate"] == stub.settings["aggregate"] == kept
    assert out["segment[max+direct]"]["macro"] > out["segment[max]"]["macro"]
    assert stub.thresholds["paragraph"] == stub.thresholds["paragraph_by_aggregate"][kept]


def test_saved_thresholds_predict_what_was_tuned():
    scores = np.full((3, NUM_LABELS), 0.1)
    scores[:, 0] = [0.9, 0.123456, 0.05]
    ds = sentence_units([[LABELS[0]], [LABELS[0]], []])
    stub = StubTagger(scores)
    out = tune_tagger(stub, ds, to_dataset([]), ["max"])
    assert out["sentence"]["per_label"][LABELS[0]]["f1"] == 1.0
    predicted = stub.scores >= np.asarray(stub.thresholds["sentence"], dtype=np.float32)
    assert predicted[:, 0].tolist() == [True, True, False], stub.thresholds["sentence"][0]

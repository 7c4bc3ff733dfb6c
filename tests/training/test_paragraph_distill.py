"""Distillation for one pass per paragraph: teacher scores per row, corpus paragraphs,
the masked loss over rows, a distilled student trained and cross-validated."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from privtag.errors import DataError
from privtag.labels import LABELS, NUM_LABELS
from privtag.training.paragraph_data import SpanCollator, encode_paragraph_dataset, label_rows
from privtag.training.paragraph_distill import (
    corpus_paragraphs,
    encode_corpus_dataset,
    load_paragraph_teacher,
    teacher_scores,
    teacher_specs,
    with_paragraph_teacher,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def teacher(trained_tiny_paragraph, tiny_encoder):
    from privtag.inference.tagger import Tagger

    return [Tagger.load(trained_tiny_paragraph, base=tiny_encoder, dtype="float32")]


@pytest.fixture
def corpus(tmp_path):
    from corpus_helpers import write_corpus

    return write_corpus(tmp_path / "c.jsonl.gz", 4)


def _sentences():
    from privtag.data.records import to_dataset

    rows = [
        ("a", 0, 0, "We collect your email.", ["First Party Collection/Use"]),
        ("a", 0, 30, "We share it with partners.", ["Third Party Sharing/Collection"]),
        ("a", 1, 70, "You may opt out.", ["User Choice/Control"]),
    ]
    return to_dataset(
        [
            {"policy": p, "unit_id": f"{p}{s}", "text": t, "labels": y, "paragraph": k,
             "start": s, "section": ["Your data"]}
            for p, k, s, t, y in rows
        ]
    )  # fmt: skip


def test_teacher_scores_are_the_teachers_tag_scores(teacher):
    from privtag.inference.paragraphs import document_paragraphs
    from privtag.segmentation.document import segment

    text = "# Data\n\nWe collect your email. We share it.\n\nYou may opt out of emails."
    tagger = teacher[0]
    doc = segment(text, format="markdown")
    sent, para = teacher_scores(teacher, document_paragraphs(doc))
    tagged = tagger.tag(doc)
    got = np.array([[s.scores[label] for label in LABELS] for s in tagged.sentences])
    assert np.allclose(sent, got, atol=6e-5)  # tag() rounds scores to 4 decimals
    assert para.shape == (len(document_paragraphs(doc)), NUM_LABELS)
    # two members that are the same model average to that model
    twice = teacher_scores(teacher * 2, document_paragraphs(doc))
    assert np.allclose(twice[0], sent, atol=1e-6) and np.allclose(twice[1], para, atol=1e-6)


def test_rows_get_gold_then_teacher(teacher, tiny_recipe, tmp_path):
    from privtag.data.records import to_dataset
    from privtag.training.paragraph_data import paragraph_groups, paragraph_units

    recipe = tiny_recipe(tmp_path, **{"model.encoding": "paragraph"})
    sentences = _sentences()
    taught = with_paragraph_teacher(teacher, sentences)
    groups = paragraph_groups(sentences)
    sent, para = teacher_scores(teacher, paragraph_units(sentences, groups))
    assert np.allclose(taught["teacher"], sent, atol=1e-6)  # rows already in text order
    assert np.allclose(taught["teacher_paragraph"][1], para[0], atol=1e-6)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(recipe.model.base)
    ds = encode_paragraph_dataset(tok, taught, to_dataset([]), recipe)
    rows = np.concatenate([np.asarray(x, dtype=np.float32) for x in ds["labels"]])
    assert rows.shape[1] == 2 * NUM_LABELS
    # window 0: paragraph row (gold: union of its sentences; teacher: direct score), then
    # one row per sentence (gold labels; teacher: the sentence in its paragraph)
    assert np.allclose(rows[0, NUM_LABELS:], para[0], atol=1e-6)
    assert rows[0, :NUM_LABELS].sum() == 2
    assert np.allclose(rows[1, NUM_LABELS:], sent[0], atol=1e-6)
    assert np.allclose(rows[2, NUM_LABELS:], sent[1], atol=1e-6)
    assert label_rows(ds).shape == (len(rows), NUM_LABELS)  # the gold half


def test_corpus_paragraphs_have_teacher_rows_only(teacher, tiny_recipe, corpus, tmp_path):
    from transformers import AutoTokenizer

    paragraphs = corpus_paragraphs(corpus, 5)
    assert len(paragraphs) == 5 and paragraphs[0]["policy"] == "doc0"
    assert all(sum(len(s.split()) for s in p["sentences"]) >= 4 for p in paragraphs)
    assert corpus_paragraphs(corpus, 0) == []
    capped = corpus_paragraphs(corpus, 5, per_policy=1)  # the budget spread over policies
    assert [p["policy"] for p in capped] == sorted({p["policy"] for p in capped})
    assert len(capped) == min(5, len({p["policy"] for p in corpus_paragraphs(corpus, 10**6)}))
    recipe = tiny_recipe(tmp_path, **{"model.encoding": "paragraph"})
    tok = AutoTokenizer.from_pretrained(recipe.model.base)
    sent, para = teacher_scores(teacher, paragraphs)
    ds = encode_corpus_dataset(tok, paragraphs, sent, para, recipe)
    rows = np.concatenate([np.asarray(x, dtype=np.float32) for x in ds["labels"]])
    assert np.isnan(rows[:, :NUM_LABELS]).all()
    assert np.isfinite(rows[:, NUM_LABELS:]).all()
    assert len(rows) == len(paragraphs) + len(sent)  # one row per paragraph and sentence


def test_collator_and_loss_keep_rows_with_gold_or_teacher():
    from privtag.training.distill import distill_loss

    nan = [float("nan")] * NUM_LABELS
    gold_row = [1.0] + [0.0] * (NUM_LABELS - 1) + [0.5] * NUM_LABELS
    corpus_row = nan + [0.25] * NUM_LABELS
    features = [
        {"input_ids": [1, 2, 3], "token_type_ids": [0, 0, 0], "spans": [[1, 3], [1, 2]],
         "labels": [gold_row, corpus_row]},
        {"input_ids": [1, 2], "token_type_ids": [0, 0], "spans": [[1, 2]], "labels": [corpus_row]},
    ]  # fmt: skip
    batch = SpanCollator()(features)
    assert batch["labels"].shape == (2, 2, 2 * NUM_LABELS)
    assert batch["label_mask"].tolist() == [[1.0, 1.0], [1.0, 0.0]]
    rows = batch["label_mask"].bool()
    logits = torch.zeros(2, 2, NUM_LABELS)
    loss = distill_loss(logits[rows], batch["labels"][rows], alpha=0.5)
    # logits 0: BCE is log 2 against any target in (0, 1); gold row 0.5*(gold+teacher),
    # corpus rows 0.5*teacher only; mean over the 3 real rows
    log2 = float(np.log(2))
    assert float(loss) == pytest.approx((0.5 * log2 + 0.5 * log2 + 2 * 0.5 * log2) / 3, abs=1e-5)


def test_teacher_must_read_one_pass_and_fold_paths(trained_tiny, tmp_path):
    with pytest.raises(DataError, match="one pass per paragraph"):
        load_paragraph_teacher([str(trained_tiny)])
    with pytest.raises(DataError, match="at least one"):
        load_paragraph_teacher([])
    assert teacher_specs(["runs/cv/fold{fold}/model"], 3) == ["runs/cv/fold3/model"]
    with pytest.raises(DataError, match="only cross-validation"):
        teacher_specs(["runs/cv/fold{fold}/model"], None)


def test_distilled_student_trains_and_is_cross_validated(
    tiny_recipe, tiny_opp115_run, trained_tiny_paragraph, corpus, tmp_path
):
    from privtag.inference.tagger import Tagger
    from privtag.training.train import train

    settings = {
        "model.encoding": "paragraph",
        "model.layers": 1,
        "data.corpus": corpus,
        "data.corpus_sample": 1.0,
        "data.corpus_units": 6,
        "train.teacher": [str(trained_tiny_paragraph)],
        "train.distill_alpha": 0.5,
    }
    student = tiny_recipe(tmp_path / "student", **settings)
    tagger = train(student)
    assert tagger.model.config.num_hidden_layers == 1
    losses = [h["loss"] for h in tagger.metadata["loss_history"]]
    assert not (tmp_path / "student/checkpoints").exists()  # torch pickles: gone when done
    assert losses and np.isfinite(losses).all()
    again = Tagger.load(tmp_path / "student")
    assert again.model.config.num_hidden_layers == 1 and again.one_pass
    student.train.distill_alpha = 1.0
    student.train.output_dir = str(tmp_path / "student2")  # not over the finished student
    with pytest.raises(DataError, match="distill_alpha"):
        train(student)
    # under cross-validation: teachers kept per fold, then a student reading fold{k}'s
    paragraph = {"model.encoding": "paragraph"}
    tiny_opp115_run("t", run="cv-t", keep_models=True, **paragraph)
    assert (tmp_path / "cv-t/fold1/model/config.json").is_file()
    fold_teacher = {"train.teacher": [str(tmp_path / "cv-t/fold{fold}/model"), "tfidf"]}
    tiny_opp115_run("s", run="cv-s", **{**paragraph, **settings, **fold_teacher})
    with np.load(tmp_path / "cv-s/fold1/scores.npz") as z:
        assert np.isfinite(z["sentence"]).all()


def test_layers_beyond_the_base_are_refused(tiny_recipe, tmp_path):
    from privtag.training.train import train

    with pytest.raises(DataError, match="has 2 layers"):
        train(tiny_recipe(tmp_path, **{"model.layers": 3}))


def test_tfidf_member_scores_each_level_with_its_own_model(teacher):
    from privtag.data.records import to_dataset
    from privtag.training.paragraph_distill import TfidfMember

    words = ["email address", "partners share", "opt out choice", "contact us mail"]
    rows = [
        {"policy": f"p{i}", "unit_id": str(i), "text": f"{words[i % 4]} number {i}",
         "labels": [LABELS[i % 4]]}
        for i in range(16)
    ]  # fmt: skip
    units = {"sentence": to_dataset(rows), "segment": to_dataset(rows[::-1])}
    member = load_paragraph_teacher(["tfidf"], units, seed=3)[0]
    assert isinstance(member, TfidfMember)
    paragraphs = [{"sentences": ["We share with partners.", "Opt out here."]}]
    sent, para = member.score_paragraphs(paragraphs)
    assert np.allclose(sent, member.sentence.predict_proba(paragraphs[0]["sentences"]))
    assert np.allclose(
        para, member.segment.predict_proba(["We share with partners. Opt out here."])
    )
    mixed = teacher_scores([teacher[0], member], paragraphs)
    alone = teacher_scores(teacher, paragraphs)
    assert np.allclose(mixed[0], (alone[0] + sent) / 2, atol=1e-6)
    with pytest.raises(DataError, match="fitted on training units"):
        load_paragraph_teacher(["tfidf"])


def test_changed_training_labels_refit_a_tfidf_member_on_resume(monkeypatch, tiny_recipe, tmp_path):
    # "tfidf" names a member fitted on the gold units: a resumed run whose labels changed
    # read the old member's saved scores, as its name alone did not change
    from transformers import AutoTokenizer

    import privtag.training.paragraph_distill as pd

    fits = []
    fit = pd.TfidfMember.fit.__func__
    monkeypatch.setattr(
        pd.TfidfMember,
        "fit",
        classmethod(lambda cls, u, seed=0: fits.append(1) or fit(cls, u, seed)),
    )
    recipe = tiny_recipe(
        tmp_path,
        **{
            "model.encoding": "paragraph",
            "train.teacher": [pd.TFIDF_MEMBER],
            "train.distill_alpha": 0.5,
        },
    )
    tok = AutoTokenizer.from_pretrained(recipe.model.base)
    gold = _sentences()
    first = pd.teach(tok, {"sentence": gold, "segment": gold}, recipe)[0]["sentence"]
    again = pd.teach(tok, {"sentence": gold, "segment": gold}, recipe)[0]["sentence"]
    assert len(fits) == 1  # resumed: the saved scores are read back
    assert np.array_equal(np.asarray(first["teacher"]), np.asarray(again["teacher"]))
    relabelled = gold.map(lambda row, i: {"labels": row["labels"] if i else [2]}, with_indices=True)
    pd.teach(tok, {"sentence": relabelled, "segment": relabelled}, recipe)
    assert len(fits) == 2

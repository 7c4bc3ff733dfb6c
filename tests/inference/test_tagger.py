"""The Tagger API: single string vs list, per-level thresholds, paragraphs, save and load."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from privtag import UnitError
from privtag.errors import ModelLoadError, PathAsTextWarning, PrivtagError
from privtag.inference.model import PrivtagClassifier
from privtag.inference.tagger import AGGREGATES, Tagger
from privtag.inference.weights import COMPACT_FILE
from privtag.labels import LABELS, NUM_LABELS
from privtag.segmentation.document import segment

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SENTENCE = "We share your e-mail address with advertising partners."
PARAGRAPH = "We collect your name. We keep it for a year. You can ask us to delete it."
# headings, a list, a run-in title, a line-broken paragraph: paragraphs of every shape
POLICY = """# Shop Privacy

We collect your name. We keep it for a year.

## Cookies

- We use cookies to log you in.
- Partners set cookies for ads. They may track you.

PAYMENT DATA We never store card numbers. A processor handles them.

Sharing with others
We share orders with couriers. Couriers delete them after delivery.

Contact: write to privacy@shop.example. We answer in a week.
"""
TEXTS = [SENTENCE, PARAGRAPH, "Cookies.", "We sell nothing."]


def tag_units(doc) -> list[dict]:
    """The sentences of ``doc`` as units with the context Tagger.tag gives them."""
    units, prev = [], ""
    for i, s in enumerate(doc.sentences):
        if i == 0 or s.paragraph != doc.sentences[i - 1].paragraph:
            prev = ""
        units.append(
            {"text": s.text, "section": [h for h in s.section if h != s.text], "previous": prev}
        )
        prev = s.text
    return units


# ---------------------------------------------------------------- single vs list


def test_predict_one_string_gives_label_names(tiny_tagger):
    labels = tiny_tagger.predict(SENTENCE)
    assert isinstance(labels, list) and all(isinstance(x, str) for x in labels)
    assert labels == [x for x in LABELS if x in labels]  # taxonomy order, no duplicates


def test_predict_a_list_gives_a_list_of_lists(tiny_tagger):
    out = tiny_tagger.predict(TEXTS)
    assert len(out) == len(TEXTS) and all(isinstance(x, list) for x in out)
    assert out[0] == tiny_tagger.predict(SENTENCE)
    assert out[1] == tiny_tagger.predict(PARAGRAPH)
    assert tiny_tagger.predict((SENTENCE,)) == [out[0]]
    assert tiny_tagger.predict([]) == []


def test_predict_proba_shapes(tiny_tagger):
    one = tiny_tagger.predict_proba(SENTENCE)
    many = tiny_tagger.predict_proba(TEXTS)
    assert one.shape == (NUM_LABELS,) and many.shape == (len(TEXTS), NUM_LABELS)
    assert one.dtype == many.dtype == np.float32
    assert ((many >= 0) & (many <= 1)).all()
    np.testing.assert_allclose(many[0], one, atol=1e-6)
    assert tiny_tagger.predict_proba([]).shape == (0, NUM_LABELS)
    mapping = {"text": SENTENCE, "section": ["Sharing"], "previous": ""}
    assert tiny_tagger.predict_proba(mapping).shape == (NUM_LABELS,)
    assert tiny_tagger.predict_proba([mapping, SENTENCE]).shape == (2, NUM_LABELS)


def test_blank_text_scores_zero_and_gets_no_label(tiny_tagger):
    assert (tiny_tagger.predict_proba("   ") == 0).all()
    assert tiny_tagger.predict(["", SENTENCE])[0] == []


def test_predict_applies_each_levels_thresholds(tiny_tagger):
    scores = tiny_tagger.predict_proba(TEXTS)
    # sentences take every label, paragraphs none
    tiny_tagger.thresholds = {"sentence": [0.0] * NUM_LABELS, "paragraph": [1.01] * NUM_LABELS}
    out = tiny_tagger.predict(TEXTS)
    assert out[0] == out[2] == out[3] == list(LABELS)
    assert out[1] == []
    # per label: one threshold below and one above each score
    t = np.where(np.arange(NUM_LABELS) % 2 == 0, 0.0, 1.01)
    tiny_tagger.thresholds = {"sentence": t.tolist(), "paragraph": (1.01 - t).tolist()}
    out = tiny_tagger.predict(TEXTS)
    assert out[0] == list(LABELS[::2]) and out[1] == list(LABELS[1::2])
    # any thresholds: exactly the labels whose score reaches them
    tiny_tagger.thresholds = {
        "sentence": [float(np.median(scores))] * NUM_LABELS,
        "paragraph": [float(scores[1].mean())] * NUM_LABELS,
    }
    out = tiny_tagger.predict(TEXTS)
    for i, row in enumerate(scores):
        th = tiny_tagger.thresholds["paragraph" if i == 1 else "sentence"]
        assert out[i] == [LABELS[j] for j in range(NUM_LABELS) if row[j] >= th[j]]


# ---------------------------------------------------------------- paragraphs as in tag()


@pytest.mark.parametrize("aggregate", AGGREGATES)
def test_paragraph_scores_match_tag(tiny_tagger, aggregate):
    tiny_tagger.settings["aggregate"] = aggregate
    doc = segment(POLICY)
    tagged = tiny_tagger.tag(doc)
    # paragraphs of several sentences (predict_proba scores one sentence as a sentence)
    paras = [
        p
        for p in tagged.paragraphs
        if doc.paragraphs[p.index].last - doc.paragraphs[p.index].first > 1
    ]
    assert len(paras) == 5
    units = [{"text": p.text, "section": list(doc.paragraphs[p.index].section)} for p in paras]
    got = tiny_tagger.predict_proba(units)
    expected = np.array([[p.scores[x] for x in LABELS] for p in paras])
    np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=aggregate)
    assert tiny_tagger.predict(units) == [p.labels for p in paras]


def test_a_plain_paragraph_scores_the_same_as_in_a_plain_policy(tiny_tagger):
    tagged = tiny_tagger.tag(PARAGRAPH + "\n\nWe sell nothing.")
    p = tagged.paragraphs[0]
    assert p.text == PARAGRAPH
    np.testing.assert_allclose(
        tiny_tagger.predict_proba(PARAGRAPH), [p.scores[x] for x in LABELS], atol=1e-5
    )


def test_sentences_score_the_same_as_in_tag(tiny_tagger):
    doc = segment(POLICY)
    tagged = tiny_tagger.tag(doc)
    got = tiny_tagger.predict_proba(tag_units(doc))
    expected = np.array([[s.scores[x] for x in LABELS] for s in tagged.sentences])
    np.testing.assert_allclose(got, expected, atol=1e-4)  # tag() rounds to 4 decimals


def test_aggregates_relate_as_documented(tiny_tagger):
    sentences = [s.text for s in segment(PARAGRAPH).sentences]
    per_sentence = tiny_tagger.predict_proba(
        [{"text": s, "previous": p} for s, p in zip(sentences, ["", *sentences], strict=False)]
    )
    got = {}
    for a in AGGREGATES:
        tiny_tagger.settings["aggregate"] = a
        got[a] = tiny_tagger.predict_proba(PARAGRAPH)
    np.testing.assert_allclose(got["max"], per_sentence.max(0), atol=1e-6)
    np.testing.assert_allclose(got["noisy_or"], 1 - np.prod(1 - per_sentence, axis=0), atol=1e-6)
    direct = tiny_tagger._score([PARAGRAPH], tiny_tagger.settings["paragraph_max_length"])[0]
    np.testing.assert_allclose(got["direct"], direct, atol=1e-6)
    np.testing.assert_allclose(got["max+direct"], (got["max"] + direct) / 2, atol=1e-6)
    assert (got["noisy_or"] >= got["max"] - 1e-6).all()


def test_unknown_aggregate_is_reported(tiny_tagger):
    tiny_tagger.settings["aggregate"] = "mean"
    with pytest.raises(ModelLoadError, match="aggregate must be one of max, noisy_or"):
        tiny_tagger.predict_proba(PARAGRAPH)


def test_long_sentence_is_scored_over_windows(tiny_tagger):
    text = "We collect " + ", ".join(f"detail number {i}" for i in range(30)) + "."
    assert len(segment(text).sentences) == 1
    enc_len = len(tiny_tagger.tokenizer(text)["input_ids"])
    assert enc_len > 2 * tiny_tagger.settings["max_length"]
    score = tiny_tagger.predict_proba(text)
    assert score.shape == (NUM_LABELS,) and ((score >= 0) & (score <= 1)).all()


# ---------------------------------------------------------------- tag()


def test_a_str_is_always_policy_text(tiny_tagger, tmp_path):
    path = tmp_path / "shop.md"
    path.write_text(POLICY, encoding="utf-8")
    with pytest.warns(PathAsTextWarning, match="tag_file") as caught:
        policy = tiny_tagger.tag(str(path))
    assert [s.text for s in policy.sentences] == [str(path)]
    # reported at the caller's line (a DeprecationWarning from inside privtag was hidden)
    assert issubclass(PathAsTextWarning, FutureWarning)
    assert [w.filename for w in caught] == [__file__]
    with pytest.warns(PathAsTextWarning) as caught:
        list(tiny_tagger.tag_many([str(path)]))
    assert [w.filename for w in caught] == [__file__]
    assert tiny_tagger.predict(str(path)) == tiny_tagger.predict(str(path) + " ")  # never read


def test_tag_accepts_text_path_bytes_and_documents(tiny_tagger, tmp_path):
    path = tmp_path / "shop.md"
    path.write_text(POLICY, encoding="utf-8")
    doc = segment(POLICY)
    results = [
        tiny_tagger.tag(POLICY),
        tiny_tagger.tag(path),
        tiny_tagger.tag_file(str(path)),
        tiny_tagger.tag(POLICY.encode()),
        tiny_tagger.tag(doc),
    ]
    for r in results:
        assert [s.text for s in r.sentences] == [s.text for s in doc.sentences]
        assert r.model == tiny_tagger.name
    for r in results[1:]:
        assert [s.scores for s in r.sentences] == [s.scores for s in results[0].sentences]


def test_tag_labels_follow_each_levels_thresholds(tiny_tagger):
    doc = segment(POLICY)
    units = tag_units(doc)
    scores = tiny_tagger.predict_proba(units)
    # thresholds at the median score of each label: some sentences carry it, some not
    median = np.median(scores, axis=0).tolist()
    tiny_tagger.thresholds = {"sentence": median, "paragraph": [0.5] * NUM_LABELS}
    tagged = tiny_tagger.tag(doc)
    expected = [[x for j, x in enumerate(LABELS) if row[j] >= median[j]] for row in scores]
    assert [s.labels for s in tagged.sentences] == expected
    assert sum(map(len, expected)) >= len(units) * NUM_LABELS // 2
    n_sentences = {p.index: p.last - p.first for p in doc.paragraphs}
    assert any(n > 1 for n in n_sentences.values())
    for p in tagged.paragraphs:
        # a one-sentence paragraph is a sentence, as in predict(); longer ones use their own
        cut = [0.5] * NUM_LABELS if n_sentences[p.index] > 1 else median
        assert p.labels == [x for j, x in enumerate(LABELS) if p.scores[x] >= cut[j]]


# ---------------------------------------------------------------- save and load


def test_saved_tagger_has_settings_thresholds_and_metadata(tiny_tagger, trained_tiny):
    settings = json.loads((trained_tiny / "privtag.json").read_text())
    assert settings["labels"] == list(LABELS)
    assert settings["context"] == "section+previous" and settings["max_length"] == 48
    assert settings["aggregate"] in AGGREGATES
    th = json.loads((trained_tiny / "thresholds.json").read_text())
    assert len(th["sentence"]) == len(th["paragraph"]) == 12
    assert {a: len(v) for a, v in th["paragraph_by_aggregate"].items()} == dict.fromkeys(
        AGGREGATES, 12
    )
    assert tiny_tagger.thresholds == th
    assert tiny_tagger.metadata["recipe"]["train"]["max_steps"] == 8
    assert tiny_tagger.name == trained_tiny.name


def test_full_save_then_load_is_identical(tiny_tagger, tmp_path):
    tiny_tagger.thresholds["sentence"][3] = 0.123
    tiny_tagger.metadata["note"] = "saved by a test"
    tiny_tagger.save(tmp_path / "full")
    again = Tagger.load(tmp_path / "full")
    np.testing.assert_array_equal(again.predict_proba(TEXTS), tiny_tagger.predict_proba(TEXTS))
    assert again.predict(TEXTS) == tiny_tagger.predict(TEXTS)
    assert again.settings == tiny_tagger.settings
    assert again.thresholds == tiny_tagger.thresholds
    assert again.metadata["note"] == "saved by a test"
    assert again.name == "full"


def test_compact_save_then_load_agrees_within_float16(tiny_tagger, tmp_path, tiny_encoder):
    out = tiny_tagger.save(tmp_path / "compact", compact=True)
    assert (out / COMPACT_FILE).is_file() and not (out / "model.safetensors").exists()
    again = Tagger.load(out, base=tiny_encoder)
    a, b = tiny_tagger.predict_proba(TEXTS), again.predict_proba(TEXTS)
    diff = float(np.abs(a - b).max())
    assert diff < 1e-3, f"compact predictions differ from full ones by up to {diff:.2e}"
    assert again.thresholds == tiny_tagger.thresholds


def test_compact_save_replaces_a_full_save(tiny_tagger, tmp_path, tiny_encoder):
    tiny_tagger.save(tmp_path)
    tiny_tagger.save(tmp_path, compact=True)
    assert not (tmp_path / "model.safetensors").exists()
    assert Tagger.load(tmp_path, base=tiny_encoder).predict(TEXTS) == tiny_tagger.predict(TEXTS)


def test_full_save_replaces_a_compact_save(tiny_tagger, tmp_path, tiny_encoder):
    tiny_tagger.save(tmp_path, compact=True)
    fresh = Tagger(
        PrivtagClassifier.from_base(tiny_encoder),
        tiny_tagger.tokenizer,
        tiny_tagger.settings,
        tiny_tagger.thresholds,
    )
    fresh.save(tmp_path)
    again = Tagger.load(tmp_path, base=tiny_encoder)
    diff = float(np.abs(again.predict_proba(TEXTS) - fresh.predict_proba(TEXTS)).max())
    assert diff == 0, f"loaded scores differ from the saved model's by {diff:.3f}"


def test_default_model_dir_from_environment(trained_tiny, monkeypatch):
    monkeypatch.setenv("PRIVTAG_MODEL", str(trained_tiny))
    assert Tagger.load().name == trained_tiny.name


def test_from_pretrained_order_argument_then_environment_then_shipped(
    trained_tiny, tmp_path, monkeypatch
):
    from privtag.inference.settings import SHIPPED_MODEL_DIR
    from privtag.inference.tagger import default_model_dir

    monkeypatch.delenv("PRIVTAG_MODEL", raising=False)
    assert default_model_dir() == SHIPPED_MODEL_DIR
    assert (SHIPPED_MODEL_DIR / "privtag.json").is_file()
    monkeypatch.setenv("PRIVTAG_MODEL", str(tmp_path / "nowhere"))
    assert Tagger.from_pretrained(trained_tiny).name == trained_tiny.name  # argument first
    with pytest.raises(ModelLoadError, match="nowhere: no such model directory"):
        Tagger.from_pretrained()
    with pytest.raises(ModelLoadError, match="model directory '' is empty"):
        Tagger.from_pretrained("")
    (a_file := tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelLoadError, match=r"notes\.txt: a file, not a model directory"):
        Tagger.from_pretrained(a_file)
    assert Tagger.load == Tagger.from_pretrained and Tagger.save is Tagger.save_pretrained


class _Constant:
    """A stand-in backend: the Scorer seam takes anything with score(encoded)."""

    def score(self, encoded):
        return np.full((len(encoded), 12), 0.25, dtype=np.float32)


def test_a_scorer_plugs_in_and_device_is_a_setting(trained_tiny):
    from privtag.inference.backends import Scorer, TorchScorer

    tagger = Tagger.from_pretrained(trained_tiny, device="cpu")
    assert tagger.settings["device"] == "cpu" and isinstance(tagger.scorer, TorchScorer)
    assert isinstance(_Constant(), Scorer)
    tagger.scorer = _Constant()
    assert np.allclose(tagger.predict_proba(TEXTS), 0.25)
    with pytest.raises(ModelLoadError, match="device must be one of cpu, cuda, auto"):
        Tagger.from_pretrained(trained_tiny, device="tpu")


def test_a_device_this_machine_lacks_is_named_at_load(trained_tiny, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelLoadError, match="device 'cuda' is not available here"):
        Tagger.from_pretrained(trained_tiny, device="cuda")  # not at the first predict()


# ---------------------------------------------------------------- load errors


@pytest.fixture
def copy(trained_tiny, tmp_path):
    """A copy of the trained tiny model directory (without its checkpoints)."""
    out = tmp_path / "model"
    shutil.copytree(trained_tiny, out, ignore=shutil.ignore_patterns("checkpoints"))
    return out


def test_missing_model_directory(tmp_path):
    with pytest.raises(ModelLoadError) as e:
        Tagger.load(tmp_path / "nowhere")
    assert str(e.value) == (
        f"{tmp_path / 'nowhere'}: no such model directory; give the directory of a trained "
        "model (`privtag train RECIPE` writes one), or none for the shipped model"
    )


@pytest.mark.parametrize(
    "name",
    ["privtag.json", "thresholds.json", "config.json", "tokenizer.json", "model.safetensors"],
)
def test_directory_without_a_file(copy, name):
    (copy / name).unlink()
    with pytest.raises(ModelLoadError, match=f"missing {name}|no weights") as e:
        Tagger.load(copy)
    assert str(copy) in str(e.value) and "incomplete" in str(e.value)


def test_wrong_label_set_in_config(copy):
    cfg = json.loads((copy / "config.json").read_text())
    cfg["id2label"] = {str(i): f"practice {i}" for i in range(NUM_LABELS)}
    cfg["label2id"] = {f"practice {i}": i for i in range(NUM_LABELS)}
    (copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelLoadError, match="are not privtag's 12 labels; retrain it"):
        Tagger.load(copy)


def test_wrong_label_set_in_settings(copy):
    settings = json.loads((copy / "privtag.json").read_text())
    settings["labels"] = settings["labels"][:10]
    (copy / "privtag.json").write_text(json.dumps(settings))
    with pytest.raises(ModelLoadError, match="labels differ from privtag's 12 labels"):
        Tagger.load(copy)


def test_wrong_number_of_thresholds(copy):
    th = json.loads((copy / "thresholds.json").read_text())
    th["paragraph"] = th["paragraph"][:11]
    (copy / "thresholds.json").write_text(json.dumps(th))
    with pytest.raises(ModelLoadError, match="'paragraph' needs 12 thresholds, one per label"):
        Tagger.load(copy)


def test_corrupted_weights(copy):
    f = copy / "model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    with pytest.raises(
        ModelLoadError,
        match=r"the weights cannot be read .*; re-train or "
        r"re-download the model",
    ):
        Tagger.load(copy)


@pytest.mark.parametrize("name", ["privtag.json", "thresholds.json", "training.json"])
def test_corrupt_json_file(copy, name):
    (copy / name).write_text("{broken")
    with pytest.raises(ModelLoadError, match=name):
        Tagger.load(copy)


def test_use_aggregate_switches_to_the_thresholds_tuned_for_it(trained_tiny, tiny_encoder):
    tagger = Tagger.load(trained_tiny, base=tiny_encoder)
    tuned = tagger.thresholds["paragraph_by_aggregate"]
    assert set(tuned) == set(AGGREGATES)
    other = next(a for a in AGGREGATES if a != tagger.settings["aggregate"])
    switched = Tagger.load(trained_tiny, base=tiny_encoder, aggregate=other)
    assert switched.settings["aggregate"] == other
    assert switched.thresholds["paragraph"] == tuned[other]


def test_use_aggregate_without_tuned_thresholds_is_refused(tiny_tagger):
    tiny_tagger.thresholds.pop("paragraph_by_aggregate")
    other = next(a for a in AGGREGATES if a != tiny_tagger.settings["aggregate"])
    with pytest.raises(
        ModelLoadError, match=f"no paragraph thresholds tuned for aggregate '{other}'"
    ):
        tiny_tagger.use_aggregate(other)


def test_scores_by_aggregate_match_one_aggregate_at_a_time(tiny_tagger):
    units = [POLICY.split("\n\n")[1], "We use cookies."]
    together, is_para = tiny_tagger.predict_proba_by_aggregate(units, AGGREGATES)
    for a in AGGREGATES:
        tiny_tagger.settings["aggregate"] = a
        np.testing.assert_allclose(together[a], tiny_tagger.predict_proba(units), atol=1e-6)
    assert is_para.tolist() == [len(segment(units[0].encode(), format="text").sentences) > 1, False]


# ---------------------------------------------------------------- dtype


@pytest.mark.filterwarnings("ignore::privtag.inference.model.EmulatedBfloat16Warning")
def test_bfloat16_scores_are_close_to_float32(trained_tiny, tiny_encoder):
    exact = Tagger.load(trained_tiny, base=tiny_encoder, dtype="float32")
    fast = Tagger.load(trained_tiny, base=tiny_encoder, dtype="bfloat16")
    assert exact.dtype == torch.float32 and fast.dtype == torch.bfloat16
    a, b = exact.predict_proba(TEXTS), fast.predict_proba(TEXTS)
    assert b.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=0.03)
    assert not np.array_equal(a, b)  # bfloat16 really was used


@pytest.mark.filterwarnings("ignore::privtag.inference.model.EmulatedBfloat16Warning")
def test_saving_a_bfloat16_tagger_keeps_float32_weights(trained_tiny, tiny_encoder, tmp_path):
    fast = Tagger.load(trained_tiny, base=tiny_encoder, dtype="bfloat16")
    out = fast.save(tmp_path / "resaved")
    assert "dtype" not in json.loads((out / "privtag.json").read_text())  # a load-time choice
    again = Tagger.load(out, base=tiny_encoder, dtype="float32")
    exact = Tagger.load(trained_tiny, base=tiny_encoder, dtype="float32")
    np.testing.assert_array_equal(again.predict_proba(TEXTS), exact.predict_proba(TEXTS))


def test_unknown_dtype_is_refused_at_load(trained_tiny, tiny_encoder):
    with pytest.raises(ModelLoadError, match="dtype must be one of auto, float32, bfloat16"):
        Tagger.load(trained_tiny, base=tiny_encoder, dtype="half")


def test_decisions_use_paragraph_thresholds_on_paragraph_rows(tiny_tagger):
    tiny_tagger.thresholds["sentence"] = [0.6] * NUM_LABELS
    tiny_tagger.thresholds["paragraph"] = [0.4] * NUM_LABELS
    scores = np.full((2, NUM_LABELS), 0.5)
    got = tiny_tagger.decisions(scores, np.array([False, True]))
    assert not got[0].any() and got[1].all()


def test_paragraph_fallback_gives_an_empty_paragraph_its_nearest_label(tiny_tagger):
    tiny_tagger.thresholds = {"sentence": [0.9] * NUM_LABELS, "paragraph": [0.9] * NUM_LABELS}
    scores = np.full((3, NUM_LABELS), 0.1)
    scores[:, 4] = 0.2
    is_para = np.array([False, True, False])
    assert not tiny_tagger.decisions(scores, is_para).any()  # fallback "none" by default
    tiny_tagger.settings["fallback"] = "paragraph"
    got = tiny_tagger.decisions(scores, is_para)
    # only the paragraph row gets a label, and it is the one nearest its threshold
    assert got.sum() == 1 and got[1, 4]
    # tag() marks every paragraph, one-sentence ones included; sentences never get one
    tagged = tiny_tagger.tag(segment(POLICY))
    assert all(p.labels for p in tagged.paragraphs)
    assert all(len(p.labels) == 1 for p in tagged.paragraphs)
    assert not any(s.labels for s in tagged.sentences)
    assert tagged.metadata["fallback"] == "paragraph"


def test_fallback_setting_is_checked_at_load():
    from privtag.errors import ModelLoadError
    from privtag.inference.settings import InferenceSettings

    assert InferenceSettings.from_dict({"fallback": "paragraph"}).fallback == "paragraph"
    with pytest.raises(ModelLoadError, match="fallback must be one of none, paragraph"):
        InferenceSettings.from_dict({"fallback": "sentence"})


# ---------------------------------------------------------------- issue 16: bad units


PROVENANCE = (
    "> *The following text is extracted and transformed from the example.com privacy policy "
    "that was archived on 2017-05-17. Please check the [original snapshot on the Wayback "
    "Machine](https://web.archive.org/web/2017/https://example.com/privacy) for the most "
    "accurate reproduction.*\n"
)
# looked like binary files, or had no sentence, to a policy reader: each aborted a batch
ODD_TEXTS = [
    "We share \x08your data.",
    "\x1b[1mWe share your data.\x1b[0m",
    "%PDF-1.4 We share your data.",
    "GIF89a We share your data.",
    "PK\x03\x04 We share your data.",
    "\x00\x01\x02\x03 We share your data.",
    PROVENANCE,
    PROVENANCE + "We share your data.",
    "notes.md",  # a unit is text, never a file name
]


def test_odd_texts_never_abort_a_batch(tiny_tagger):
    batch = [SENTENCE, "\u200b", *ODD_TEXTS, "", " \n\t "]
    labels = tiny_tagger.predict(batch)
    scores = tiny_tagger.predict_proba(batch)
    assert len(labels) == len(batch) and scores.shape == (len(batch), NUM_LABELS)
    assert labels[0] == tiny_tagger.predict(SENTENCE)
    for i, text in enumerate(batch):
        visible = any(c.isprintable() and not c.isspace() for c in text.replace("\u200b", ""))
        assert (scores[i] > 0).all() == visible, (i, text)
        assert visible or labels[i] == []
    # the provenance note is a sentence of the unit, not dropped
    assert tiny_tagger.predict_proba_by_aggregate([PROVENANCE + SENTENCE], ["max"])[1][0]


def test_a_unit_without_text_gets_no_label_even_at_threshold_zero(tiny_tagger):
    tiny_tagger.thresholds["sentence"] = [0.0] * NUM_LABELS
    assert tiny_tagger.predict(["", "\u200b", SENTENCE]) == [[], [], list(LABELS)]


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (None, "expected a str or a mapping with a str 'text'.*, or a list of them, not NoneType"),
        (3, "or a list of them, not int"),
        (b"We use cookies.", "not bytes; decode bytes, or give files to Tagger.tag"),
        ([SENTENCE, None], "^unit 1: a unit must be a str or a mapping .*, not NoneType$"),
        ([SENTENCE, 7], "^unit 1: a unit must be .*not int$"),
        ({"text": None}, "^the unit mapping's 'text' is NoneType|'text' is NoneType"),
        ([{"section": ["A"]}], "^unit 0: the unit mapping has no 'text'"),
        ([{"text": "Hi.", "section": 5}], "^unit 0: a unit's 'section' must be a list"),
        ([{"text": "Hi.", "previous": 5}], "^unit 0: a unit's 'previous' must be a str"),
        ({SENTENCE, "We keep logs."}, "in an order, not a set .*; pass list"),
    ],
)
def test_units_of_the_wrong_type_are_named(tiny_tagger, units, message):
    for method in (tiny_tagger.predict, tiny_tagger.predict_proba):
        with pytest.raises(UnitError, match=message) as e:
            method(units)
        assert isinstance(e.value, PrivtagError) and isinstance(e.value, TypeError)
    with pytest.raises(UnitError):
        tiny_tagger.predict_proba_by_aggregate(units, ["max"])


def test_units_from_pandas_and_numpy_read_as_written(tiny_tagger):
    import numpy as np
    import pandas as pd

    # df.to_dict("records") gives NaN for a missing section or previous sentence
    df = pd.DataFrame({"text": [SENTENCE, SENTENCE], "section": ["Cookies", None]})
    records = df.to_dict("records")
    assert tiny_tagger.predict(records) == tiny_tagger.predict(
        [{"text": SENTENCE, "section": ["Cookies"]}, SENTENCE]
    )
    assert tiny_tagger.predict({"text": SENTENCE, "previous": pd.NA}) == tiny_tagger.predict(
        SENTENCE
    )
    # a 0-d array holds one sentence
    assert tiny_tagger.predict(np.array(SENTENCE)) == tiny_tagger.predict(SENTENCE)


def test_a_string_section_is_one_heading(tiny_tagger):
    one = tiny_tagger.predict_proba({"text": SENTENCE, "section": "Sharing"})
    listed = tiny_tagger.predict_proba({"text": SENTENCE, "section": ["Sharing"]})
    letters = tiny_tagger.predict_proba({"text": SENTENCE, "section": list("Sharing")})
    np.testing.assert_array_equal(one, listed)
    assert not np.array_equal(one, letters)


def test_lone_surrogates_are_replaced_keeping_offsets(tiny_tagger):
    bad, good = (
        "We sell \ud800 data. We keep \udcff logs.",
        "We sell \ufffd data. We keep \ufffd logs.",
    )
    np.testing.assert_array_equal(tiny_tagger.predict_proba(bad), tiny_tagger.predict_proba(good))
    assert tiny_tagger.predict([bad, {"text": "Hi.", "section": ["\udc80"], "previous": bad}])
    policy = tiny_tagger.tag("# Pri\ud800vacy\n\n" + bad)
    clean = tiny_tagger.tag("# Pri\ufffdvacy\n\n" + good)
    assert policy.document.text == clean.document.text
    assert [s.text for s in policy.sentences] == [s.text for s in clean.sentences]
    assert all(s.text == policy.document.text[s.start : s.end] for s in policy.sentences)
    assert policy.sentences[1].section == ("Pri\ufffdvacy",)
    policy.to_json().encode("utf-8")  # no UnicodeEncodeError on output


# ---------------------------------------------------------------- issue 16: silently wrong model


def test_empty_model_path_is_an_error_not_the_default(monkeypatch, trained_tiny):
    monkeypatch.setenv("PRIVTAG_MODEL", str(trained_tiny))
    for empty in ("", "  "):
        with pytest.raises(ModelLoadError, match="model directory '' is empty"):
            Tagger.load(empty)


def edit(path, change):
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("thresholds.json", lambda d: {**d, "sentence": [float("nan")] * 12}, "is nan"),
        ("thresholds.json", lambda d: {**d, "paragraph": [1.5] * 12}, "is 1.5"),
        ("thresholds.json", lambda d: {**d, "sentence": [-0.1] * 12}, "is -0.1"),
        ("thresholds.json", lambda d: {**d, "sentence": ["0.5"] * 12}, "is '0.5'"),
        ("thresholds.json", lambda d: {**d, "sentence": [True] * 12}, "is True"),
        ("thresholds.json", lambda d: {**d, "sentence": 0.5}, "'sentence' needs 12 thresholds"),
        (
            "thresholds.json",
            lambda d: {**d, "paragraph_by_aggregate": {"max": [2.0] * 12}},
            "'paragraph_by_aggregate.max' threshold of 'First Party Collection/Use' is 2.0",
        ),
        ("thresholds.json", lambda d: list(d), "holds a JSON list where an object is expected"),
        ("thresholds.json", lambda d: {**d, "profiles": [0.5]}, "'profiles' must be an object"),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0}}},
            "threshold profile 'm' needs a 'scale' .* above 0 and at most 2.0",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5, "label_scales": [0.5] * 11}}},
            "threshold profile 'm' needs a 'scale' \\(and, if it has them, 12 'label_scales'\\)",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5, "label_scales": [0.5] * 11 + [3]}}},
            "threshold profile 'm' needs",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"default": {"scale": 0.5}}},
            "may not be called 'default' or 'auto'",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"auto": {"scale": 0.5}}},
            "may not be called 'default' or 'auto'",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5}}, "auto": {"gdpr_era": "modern"}},
            "'auto' must be .*one of the model's profiles \\(m\\).*privtag tune MODEL .*--auto",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "auto": "m"},
            "'auto' must be .*\\(it has none\\)",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5}}, "auto": {"gdpr_era": ["m"]}},
            "'auto' must be .*not \\{'gdpr_era': \\['m'\\]\\}",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5}}, "auto": {"lone": "m"}},
            '\'auto\' must be \\{"gdpr_era": NAME, "alone": NAME\\} \\(either or both\\)',
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5}}, "auto": {"alone": "x"}},
            "'auto' must be .*one of the model's profiles \\(m\\).*--auto \\[--alone\\]",
        ),
        (
            "thresholds.json",
            lambda d: {**d, "profiles": {"m": {"scale": 0.5}}, "auto": {}},
            "'auto' must be .*not \\{\\}",
        ),
        ("privtag.json", lambda d: list(d), "holds a JSON list where an object is expected"),
        ("training.json", lambda d: [d], "holds a JSON list where an object is expected"),
        ("privtag.json", lambda d: {**d, "max_length": 2}, "max_length must be an integer from 4"),
        ("privtag.json", lambda d: {**d, "max_length": 1000}, "to 512 .*not 1000"),
        ("privtag.json", lambda d: {**d, "paragraph_max_length": "abc"}, "not 'abc'"),
        ("privtag.json", lambda d: {**d, "batch_size": 0}, "batch_size must be an integer of"),
        ("privtag.json", lambda d: {**d, "context_tokens": -1}, "context_tokens must be"),
        ("privtag.json", lambda d: {**d, "context": "heading"}, "context must be one of none"),
        ("privtag.json", lambda d: {**d, "aggregate": ["max"]}, "aggregate must be one of max"),
    ],
)
def test_bad_settings_and_thresholds_are_one_line_naming_file_and_field(
    copy, tiny_encoder, name, change, message
):
    edit(copy / name, change)
    with pytest.raises(ModelLoadError, match=message) as e:
        Tagger.load(copy, base=tiny_encoder)
    msg = str(e.value)
    assert msg.startswith(f"{copy / name}: ") and "\n" not in msg
    assert msg.endswith("save or download the model again")


def test_a_broken_tokenizer_is_one_line(copy, tiny_encoder):
    (copy / "tokenizer.json").write_text('{"version": "1.0", "model": [')
    with pytest.raises(ModelLoadError) as e:
        Tagger.load(copy, base=tiny_encoder)
    msg = str(e.value)
    assert msg.startswith(f"{copy / 'tokenizer.json'}: unreadable") and "\n" not in msg


def test_a_config_that_disagrees_with_the_weights_is_refused(copy, tiny_encoder):
    edit(copy / "config.json", lambda d: {**d, "num_hidden_layers": 3})
    with pytest.raises(ModelLoadError, match=r"missing weights \['bert.encoder.layer.2"):
        Tagger.load(copy, base=tiny_encoder)


# ---------------------------------------------------------------- threshold profiles

PROFILE_POLICY = """# Privacy

We collect your e-mail address when you sign up. We share it with our payment processor.
You can unsubscribe from our e-mails at any time. Write to privacy@example.com with questions.
"""


def test_a_threshold_profile_scales_every_decision_and_is_recorded(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    base = tiny_tagger.tag(PROFILE_POLICY)
    low = tiny_tagger.use_thresholds("low").tag(PROFILE_POLICY)
    t_s, t_p = tiny_tagger.decision_thresholds()
    assert np.allclose(t_s, 0.5 * np.asarray(tiny_tagger.thresholds["sentence"]))
    assert np.allclose(t_p, 0.5 * np.asarray(tiny_tagger.thresholds["paragraph"]))
    assert low.metadata["profile"] == "low" and base.metadata["profile"] == "default"
    assert low.metadata["thresholds"]["sentence"] == pytest.approx(t_s.tolist())
    for b, lo in zip(base.sentences, low.sentences, strict=True):
        assert set(b.labels) <= set(lo.labels)  # lower thresholds only add labels
        for name, t in zip(LABELS, t_s, strict=True):
            if abs(lo.scores[name] - t) > 1e-4:  # scores are rounded to 4 places
                assert (name in lo.labels) == (lo.scores[name] > t), (lo.text, name)
    assert (
        tiny_tagger.use_thresholds("default").tag(PROFILE_POLICY).metadata["profile"] == "default"
    )


def test_a_profile_with_label_scales_gives_each_label_its_own_factor(tiny_tagger):
    factors = [0.3 + 0.05 * j for j in range(12)]
    tiny_tagger.thresholds["profiles"] = {"mixed": {"scale": 0.5, "label_scales": factors}}
    t_s, t_p = tiny_tagger.use_thresholds("mixed").decision_thresholds()
    assert np.allclose(t_s, np.asarray(factors) * tiny_tagger.thresholds["sentence"])
    assert np.allclose(t_p, np.asarray(factors) * tiny_tagger.thresholds["paragraph"])
    tagged = tiny_tagger.tag(PROFILE_POLICY)
    assert tagged.metadata["thresholds"]["paragraph"] == pytest.approx(t_p.tolist())


def test_an_unknown_profile_is_refused_naming_those_the_model_has(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"modern": {"scale": 0.6}}
    with pytest.raises(
        ModelLoadError, match=r"no threshold profile 'legal' \(it has: auto, default, mo"
    ):
        tiny_tagger.use_thresholds("legal")
    assert tiny_tagger.profile == "auto"
    # a typo gets the name meant first, and still the recipe for a new profile of that name
    with pytest.raises(ModelLoadError, match=r"'modrn': did you mean 'modern'\?") as e:
        tiny_tagger.use_thresholds("modrn")
    assert "privtag tune MODEL --profile modrn" in str(e.value)
    # an empty name is refused too, not taken for the default
    for call in (tiny_tagger.use_thresholds, lambda p: tiny_tagger.predict("x", thresholds=p)):
        with pytest.raises(ModelLoadError, match="a threshold profile needs a name: one of auto"):
            call(" ")


@pytest.mark.parametrize("name", [5, ["model"]])
def test_a_model_named_by_something_else_than_a_path_is_named(name):
    with pytest.raises(ModelLoadError, match="a model is named by its directory"):
        Tagger.from_pretrained(name)


def test_a_profile_is_saved_with_the_model_and_selected_at_load(copy, tiny_encoder):
    edit(copy / "thresholds.json", lambda d: {**d, "profiles": {"modern": {"scale": 0.6}}})
    plain = Tagger.load(copy, base=tiny_encoder)
    modern = Tagger.load(copy, base=tiny_encoder, thresholds="modern")
    assert plain.profile == "auto" and modern.profile == "modern"
    assert np.allclose(modern.decision_thresholds()[0], 0.6 * plain.decision_thresholds()[0])
    with pytest.raises(ModelLoadError, match="no threshold profile 'other'"):
        Tagger.load(copy, base=tiny_encoder, thresholds="other")
    with pytest.raises(ModelLoadError, match="a threshold profile needs a name"):
        Tagger.load(copy, base=tiny_encoder, thresholds="")


def test_save_pretrained_keeps_the_profile_in_use(copy, tiny_encoder, tmp_path):
    edit(copy / "thresholds.json", lambda d: {**d, "profiles": {"modern": {"scale": 0.6}}})
    modern = Tagger.load(copy, base=tiny_encoder).use_thresholds("modern")
    saved = Tagger.load(modern.save_pretrained(tmp_path / "m"), base=tiny_encoder)
    assert saved.profile == "modern"
    assert np.allclose(saved.decision_thresholds()[0], modern.decision_thresholds()[0])
    # an explicit choice at load still wins, and saving under "auto" clears it again
    again = Tagger.load(tmp_path / "m", base=tiny_encoder, thresholds="auto")
    assert again.profile == "auto"
    again.save_pretrained(tmp_path / "m")
    assert Tagger.load(tmp_path / "m", base=tiny_encoder).profile == "auto"
    # thresholds that would not load again are refused before anything is written...
    modern.thresholds.pop("profiles")
    with pytest.raises(ModelLoadError, match="no threshold profile 'modern'"):
        modern.save_pretrained(tmp_path / "n")
    assert not (tmp_path / "n").exists()
    # ...and a saved profile that a hand edit left dangling loads as 'auto', with a warning
    edit(tmp_path / "m" / "privtag.json", lambda d: {**d, "profile": "legal"})
    with pytest.warns(UserWarning, match=r"privtag.json: the saved profile 'legal' is not among"):
        assert Tagger.load(tmp_path / "m", base=tiny_encoder).profile == "auto"


GDPR_POLICY = PROFILE_POLICY + "We process your data on the legal basis of the GDPR.\n"


def test_auto_gives_a_policy_under_todays_laws_the_models_profile_and_says_why(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    assert tiny_tagger.profile == "auto"
    current, older = tiny_tagger.tag(GDPR_POLICY), tiny_tagger.tag(PROFILE_POLICY)
    assert current.metadata["profile"] == "low" and older.metadata["profile"] == "default"
    assert current.metadata["profile_chosen_by"] == {
        "rule": "auto",
        "gdpr_era_terms": ["GDPR", "legal basis"],
    }
    assert older.metadata["profile_chosen_by"]["gdpr_era_terms"] == []
    low = tiny_tagger.decision_thresholds("low")[0]
    assert current.metadata["thresholds"]["sentence"] == pytest.approx(low.tolist())
    explicit = tiny_tagger.use_thresholds("low").tag(GDPR_POLICY)
    assert [s.labels for s in current.sentences] == [s.labels for s in explicit.sentences]
    assert "profile_chosen_by" not in explicit.metadata  # chosen by the user, not the rule
    # tag_many decides each policy by its own text, as tag() does
    tiny_tagger.use_thresholds("auto")
    many = list(tiny_tagger.tag_many([GDPR_POLICY, PROFILE_POLICY]))
    assert [m.metadata["profile"] for m in many] == ["low", "default"]


def test_auto_keeps_the_tuned_thresholds_for_units_alone(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    # a sentence alone does not say when its policy was written, even one naming the GDPR
    text = "We process your data on the legal basis of the GDPR."
    scores = tiny_tagger.predict_proba(text)
    tuned = np.asarray(tiny_tagger.thresholds["sentence"])
    want = [name for name, x, t in zip(LABELS, scores, tuned, strict=True) if x >= t]
    assert tiny_tagger.predict(text) == want
    assert np.allclose(tiny_tagger.decision_thresholds()[0], tuned)


def test_tag_takes_a_profile_for_one_policy(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    low = tiny_tagger.tag(PROFILE_POLICY, thresholds="low")
    assert low.metadata["profile"] == "low" and "profile_chosen_by" not in low.metadata
    assert low.metadata["thresholds"]["sentence"] == pytest.approx(
        tiny_tagger.decision_thresholds("low")[0].tolist()
    )
    assert tiny_tagger.profile == "auto"  # the tagger's own is untouched
    assert tiny_tagger.tag(PROFILE_POLICY).metadata["profile"] == "default"
    with pytest.raises(ModelLoadError, match="no threshold profile 'legal'"):
        tiny_tagger.tag(PROFILE_POLICY, thresholds="legal")


def test_predict_takes_a_profile_for_one_call_and_matches_tag(tiny_tagger):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "low"}
    policy = tiny_tagger.tag(GDPR_POLICY)
    assert policy.metadata["profile"] == "low"
    sentence = policy.sentences[-1]
    scores = tiny_tagger.predict_proba(sentence.text)
    low = tiny_tagger.decision_thresholds("low")[0]
    want = [name for name, x, t in zip(LABELS, scores, low, strict=True) if x >= t]
    assert want != tiny_tagger.predict(sentence.text)  # the profile decides this sentence
    assert tiny_tagger.predict(sentence.text, thresholds=policy.metadata["profile"]) == want
    assert tiny_tagger.predict([sentence.text], thresholds="low") == [want]
    assert tiny_tagger.profile == "auto"  # the tagger's own is untouched
    assert tiny_tagger.predict(sentence.text) == tiny_tagger.predict(sentence.text, "default")
    with pytest.raises(ModelLoadError, match="no threshold profile 'legal'"):
        tiny_tagger.predict(sentence.text, thresholds="legal")


def test_predict_gives_a_sentence_alone_the_models_alone_profile_and_a_paragraph_the_tuned(
    tiny_tagger,
):
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    sentence = GDPR_POLICY.strip().splitlines()[-1]
    paragraph = "We keep your data. We sell nothing."
    before = tiny_tagger.predict([sentence, paragraph, ""])
    assert before == tiny_tagger.predict([sentence, paragraph, ""], thresholds="default")
    tiny_tagger.thresholds["auto"] = {"alone": "low"}
    sentence_low, paragraph_auto, empty = tiny_tagger.predict([sentence, paragraph, ""])
    assert sentence_low == tiny_tagger.predict(sentence, thresholds="low") != before[0]
    assert paragraph_auto == before[1]  # several sentences: the tuned thresholds
    assert empty == []  # no text, no label, whatever the thresholds
    # "default" turns it off, and tag() does not use it: a policy's era is read from its text
    assert tiny_tagger.predict(sentence, thresholds="default") == before[0]
    assert tiny_tagger.tag(GDPR_POLICY).metadata["profile"] == "default"
    labels, scores = tiny_tagger.predict_with_scores([sentence, paragraph])
    assert labels == [sentence_low, paragraph_auto]
    assert np.allclose(scores, tiny_tagger.predict_proba([sentence, paragraph]))


def test_tag_decides_a_policy_of_one_sentence_as_predict_decides_the_sentence(tiny_tagger):
    from privtag.render.summary import profile_text

    # "low" decides every label at a hundredth of its threshold: labels to compare
    tiny_tagger.thresholds["profiles"] = {"low": {"scale": 0.01}, "high": {"scale": 2.0}}
    tiny_tagger.thresholds["auto"] = {"gdpr_era": "high", "alone": "low"}
    # one naming the GDPR too: predict() cannot read an era from one sentence, nor can tag()
    for text in ("We keep your data.", "We process your data on the legal basis of the GDPR."):
        tagged = tiny_tagger.tag(text)
        assert len(tagged.sentences) == 1
        assert tagged.metadata["profile"] == "low"
        assert tagged.metadata["profile_chosen_by"]["one_sentence"] is True
        assert "a sentence alone" in profile_text(tagged.metadata)
        labels = tiny_tagger.predict(text, thresholds="low")
        assert labels and tagged.sentences[0].labels == labels
        assert labels != tiny_tagger.predict(text, thresholds="default")
    # two sentences are a policy again, read for its era
    assert tiny_tagger.tag("We keep your data. We sell nothing.").metadata["profile"] == "default"
    assert tiny_tagger.tag(GDPR_POLICY).metadata["profile"] == "high"


def test_a_model_without_a_profile_for_current_policies_records_no_reason(tiny_tagger):
    # it never looks for the terms, so it must not say it found none
    tagged = tiny_tagger.tag(GDPR_POLICY)
    assert tagged.metadata["profile"] == "default"
    assert "profile_chosen_by" not in tagged.metadata


def test_a_dataframe_or_a_dict_is_refused_not_read_for_its_keys(tiny_tagger):
    from pathlib import Path

    import pandas as pd

    from privtag.errors import PolicyTypeError, UnitError

    df = pd.DataFrame({"text": ["We sell data.", "We use cookies.", "We keep logs."]})
    with pytest.raises(UnitError, match=r"df\['text'\]"):
        tiny_tagger.predict(df)
    with pytest.raises(PolicyTypeError, match=r"df\['text'\]"):
        tiny_tagger.tag_many(df)
    with pytest.raises(PolicyTypeError, match=r"policies.values\(\)"):
        tiny_tagger.tag_many({"acme": "We sell your data."})
    assert len(tiny_tagger.predict(df["text"])) == 3  # a column works
    with pytest.raises(UnitError, match=r"tag_file\(\)"):
        tiny_tagger.predict(Path("policy.md"))
    with pytest.raises(PolicyTypeError, match=r"tag_many\(\)"):
        tiny_tagger.tag(["We sell data."])

"""One pass per paragraph: windows and spans, pooling, and the tagger that reads paragraphs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from privtag.errors import ModelLoadError
from privtag.inference.paragraphs import (
    combine_rows,
    document_paragraphs,
    encode_paragraphs,
    span_weights,
)
from privtag.labels import NUM_LABELS
from privtag.segmentation.document import segment

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from privtag.inference.model import base_encoder_path

    return AutoTokenizer.from_pretrained(base_encoder_path())


PARAGRAPH = {
    "sentences": ["We keep logs.", "We delete them after thirty days.", "Ask us anything."],
    "section": ["Privacy", "Retention"],
}


def _tokens(tokenizer, text):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_each_sentence_span_holds_exactly_its_own_tokens(tokenizer):
    enc = encode_paragraphs(tokenizer, [PARAGRAPH], "section", 64, 16)
    assert len(enc) == 1 and enc.n_sentences == 3
    ids, spans = enc.input_ids[0], enc.spans[0]
    for (a, b), text in zip(spans[1:], PARAGRAPH["sentences"], strict=True):
        assert ids[a:b] == _tokens(tokenizer, text)
    # row 0 pools the whole paragraph text, and nothing of the context
    a, b = spans[0]
    assert (a, b) == (1, spans[-1][1]) and ids[b] == tokenizer.sep_token_id
    assert enc.token_type_ids[0][a:b] == [0] * (b - a)
    # the heading (the innermost one) is the context, segment 1
    context = [t for t, k in zip(ids, enc.token_type_ids[0], strict=True) if k == 1]
    assert context == [*_tokens(tokenizer, "Retention"), tokenizer.sep_token_id]
    assert enc.row_sentence == [-1, 0, 1, 2] and enc.row_paragraph == [0, 0, 0, 0]


def test_a_long_paragraph_goes_on_in_windows_and_every_sentence_is_scored_once(tokenizer):
    sentences = [f"Sentence number {i} says that we keep your data safe." for i in range(12)]
    enc = encode_paragraphs(tokenizer, [{"sentences": sentences}], "previous", 40, 12)
    assert len(enc) > 1 and all(len(x) <= 40 for x in enc.input_ids)
    rows = [s for s in enc.row_sentence if s >= 0]
    assert sorted(rows) == list(range(12))  # whole sentences, none twice
    # a later window's context is the end of the sentence before it
    second = enc.input_ids[1]
    context = [t for t, k in zip(second, enc.token_type_ids[1], strict=True) if k == 1][:-1]
    before = sentences[enc.row_sentence[enc.row_sentence.index(-1, 1) + 1] - 1]
    assert _tokens(tokenizer, before)[-len(context) :] == context


def test_a_sentence_longer_than_a_window_is_cut_into_windows_of_its_own(tokenizer):
    long = " ".join(["we share your personal data with partners"] * 20)
    enc = encode_paragraphs(tokenizer, [{"sentences": ["Hi.", long, "Bye."]}], "none", 32, 0)
    assert all(len(x) <= 32 for x in enc.input_ids)
    rows = [s for s in enc.row_sentence if s >= 0]
    assert rows.count(1) > 1 and rows.count(0) == rows.count(2) == 1
    assert sorted(set(enc.owner)) == [0]


def test_paragraphs_without_sentences_have_no_window(tokenizer):
    enc = encode_paragraphs(tokenizer, [{"sentences": []}, PARAGRAPH], "section", 64, 16)
    assert len(enc) == 1 and set(enc.row_paragraph) == {1}
    assert len(encode_paragraphs(tokenizer, [{"sentences": []}])) == 0


def test_combine_rows_takes_the_max_of_each_sentence_and_paragraph():
    from privtag.inference.paragraphs import ParagraphEncoded

    enc = ParagraphEncoded([], [], [], [], row_sentence=[-1, 0, -1, 0, 1], n_sentences=3)
    enc.row_paragraph = [0, 0, 0, 0, 1]
    scores = np.zeros((5, NUM_LABELS), dtype=np.float32)
    scores[:, 0] = [0.1, 0.2, 0.3, 0.4, 0.5]
    sent, para = combine_rows(scores, enc, 3)
    assert sent[:, 0].tolist() == pytest.approx([0.4, 0.5, 0.0])  # sentence 2: no row, 0
    assert para[:, 0].tolist() == pytest.approx([0.3, 0.0, 0.0])  # only row-0s count


def test_span_weights_average_each_span_and_pad_with_zero_rows():
    w = span_weights([[(1, 4), (1, 2)], [(2, 3)]], 5)
    assert w.shape == (2, 2, 5)
    assert w[0, 0].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3, 0])
    assert w[0].sum(1).tolist() == pytest.approx([1, 1]) and not w[1, 1].any()


def test_one_span_over_the_text_is_the_usual_mean_pooling(tiny_encoder, tokenizer):
    from privtag.inference.encoding import encode
    from privtag.inference.model import PrivtagClassifier

    torch.manual_seed(0)
    model = PrivtagClassifier.from_base(tiny_encoder).eval()
    enc = encode(tokenizer, [{"text": "We keep logs.", "section": ["Data"]}], "section", 32)
    ids = torch.tensor(enc.input_ids)
    types = torch.tensor(enc.token_type_ids)
    n_text = int((types == 0).sum()) - 2  # [CLS] and the first [SEP] are type 0 too
    with torch.no_grad():
        usual = model(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=types)
        whole = torch.from_numpy(span_weights([[(0, n_text + 2)]], ids.shape[1]))
        pooled = model(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            token_type_ids=types,
            span_weights=whole,
        )
    assert pooled.logits.shape == (1, 1, NUM_LABELS)
    assert torch.allclose(pooled.logits[:, 0], usual.logits, atol=1e-5)


def test_document_paragraphs_follow_the_document_in_order():
    doc = segment("# Data\n\nWe keep logs. We delete them.\n\nWe sell nothing.\n", "markdown")
    paras = document_paragraphs(doc)
    assert [s for p in paras for s in p["sentences"]] == [s.text for s in doc.sentences]
    assert paras[1] == {"sentences": ["We keep logs.", "We delete them."], "section": ["Data"]}
    assert paras[0]["section"] == []  # a heading is not its own section


# ---------------------------------------------------------------- the tagger


@pytest.fixture
def paragraph_tagger(trained_tiny_paragraph, tiny_encoder):
    from privtag.inference.tagger import Tagger

    tagger = Tagger.from_pretrained(trained_tiny_paragraph, base=tiny_encoder, dtype="float32")
    assert tagger.one_pass
    return tagger


POLICY = (
    "# Acme privacy policy\n\n"
    "We collect your email address when you sign up. We keep server logs for thirty days.\n\n"
    "## Sharing\n\nWe may share your data with advertisers. You can opt out at any time.\n\n"
    "## Contact\n\nContact privacy@example.com with questions.\n"
)


def test_tag_scores_every_sentence_and_paragraph_in_one_pass(paragraph_tagger):
    calls = []
    scorer = paragraph_tagger.scorer
    paragraph_tagger.scorer = type(
        "Counting", (), {"score": lambda self, enc: calls.append(len(enc)) or scorer.score(enc)}
    )()
    policy = paragraph_tagger.tag(POLICY)
    assert len(calls) == 1  # the paragraphs' direct scores come from the same pass
    assert len(policy.sentences) == len(segment(POLICY).sentences)
    assert paragraph_tagger.settings["aggregate"] in {"max", "max+direct", "direct", "noisy_or"}


def test_predict_on_a_paragraph_is_tag_on_the_same_paragraph(paragraph_tagger):
    text = "We collect your email address when you sign up. We keep server logs for thirty days."
    policy = paragraph_tagger.tag(text)
    assert paragraph_tagger.predict(text) == policy.paragraphs[0].labels
    scores = paragraph_tagger.predict_proba(text)
    assert scores == pytest.approx(list(policy.paragraphs[0].scores.values()), abs=1e-4)


def test_tag_many_equals_tag_one_by_one_with_paragraph_passes(paragraph_tagger):
    sources = [POLICY, POLICY.replace("Acme", "Zenith"), POLICY, "One sentence."]
    one = [paragraph_tagger.tag(s) for s in sources]
    many = list(paragraph_tagger.tag_many(iter(sources), sentences_per_batch=6, cache_size=3))
    for a, b in zip(one, many, strict=True):
        assert [s.labels for s in a.sentences] == [s.labels for s in b.sentences]
        assert [p.labels for p in a.paragraphs] == [p.labels for p in b.paragraphs]
        for x, y in zip(a.sentences + a.paragraphs, b.sentences + b.paragraphs, strict=True):
            assert list(x.scores.values()) == pytest.approx(list(y.scores.values()), abs=1e-5)


def test_tag_many_skips_an_unreadable_policy_in_place_with_paragraph_passes(paragraph_tagger):
    from privtag.errors import SkippedPolicyWarning

    sources = [POLICY, "", "One sentence."]
    with pytest.warns(SkippedPolicyWarning, match="^policy 1 of those given"):
        many = list(paragraph_tagger.tag_many(sources, errors="skip", sentences_per_batch=2))
    assert many[1] is None
    for i in (0, 2):
        assert many[i].to_json() == paragraph_tagger.tag(sources[i]).to_json()


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_reads_paragraphs_as_torch_does(
    trained_tiny_paragraph, tiny_encoder, tmp_path, monkeypatch, paragraph_tagger, backend
):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (privtag[onnx])")
    from privtag.inference.tagger import Tagger

    monkeypatch.setenv("PRIVTAG_CACHE", str(tmp_path / "cache"))
    tagger = Tagger.from_pretrained(trained_tiny_paragraph, base=tiny_encoder, backend=backend)
    assert tagger.scorer.path.parent.name.endswith("-spans")
    ref = paragraph_tagger.tag(POLICY)
    got = tagger.tag(POLICY)
    tolerance = {"onnx": 1e-4, "onnx-int8": 0.05}[backend]
    for x, y in zip(ref.sentences + ref.paragraphs, got.sentences + got.paragraphs, strict=True):
        assert list(x.scores.values()) == pytest.approx(list(y.scores.values()), abs=tolerance)


def test_an_onnx_file_for_the_other_encoding_is_refused(
    trained_tiny_paragraph, tiny_encoder, tmp_path
):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (privtag[onnx])")
    from privtag.inference.onnx_backend import export_onnx
    from privtag.inference.tagger import Tagger

    model_dir = shutil.copytree(trained_tiny_paragraph, tmp_path / "model")
    export_onnx(model_dir, base=tiny_encoder)
    settings = json.loads((model_dir / "privtag.json").read_text())
    (model_dir / "privtag.json").write_text(json.dumps({**settings, "encoding": "sentence"}))
    with pytest.raises(ModelLoadError, match=r"pools another way.*privtag export-onnx"):
        Tagger.from_pretrained(model_dir, base=tiny_encoder, backend="onnx")


def test_an_unknown_encoding_in_the_settings_is_one_line(trained_tiny_paragraph, tmp_path):
    from privtag.inference.tagger import Tagger

    model_dir = shutil.copytree(trained_tiny_paragraph, tmp_path / "model")
    settings = json.loads((model_dir / "privtag.json").read_text())
    (model_dir / "privtag.json").write_text(json.dumps({**settings, "encoding": "document"}))
    with pytest.raises(ModelLoadError, match="encoding must be one of sentence, paragraph"):
        Tagger.from_pretrained(model_dir)

"""Annotated units scored in their policies: what `privtag tag` gives, matched by offsets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.data.annotations import policy_files
from privtag.data.sources import load_units
from privtag.errors import DataError
from privtag.evaluation.in_policy import decide_in_policy
from privtag.labels import LABEL2ID, LABELS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"
VALIDATION = DATA / "validation"


class KnownTagger:
    """Tags a policy with the real segmenter, labelling sentence sK with LABELS[K % 12] and
    paragraph k with LABELS[(k + 1) % 12]: labels known in advance, whatever the offsets."""

    def tag_file(self, path):
        import dataclasses

        from privtag.batch.taggers import SystemTagger
        from privtag.evaluation.baselines import RuleTagger

        policy = SystemTagger(RuleTagger()).tag(Path(path))
        sentences = [
            dataclasses.replace(s, labels=[LABELS[int(s.id[1:]) % 12]]) for s in policy.sentences
        ]
        paragraphs = [
            dataclasses.replace(p, labels=[LABELS[(p.index + 1) % 12]]) for p in policy.paragraphs
        ]
        return dataclasses.replace(policy, sentences=sentences, paragraphs=paragraphs)


@pytest.mark.parametrize("level", ["sentence", "segment"])
def test_each_unit_gets_the_labels_tag_gives_it_in_its_policy(level):
    units = load_units([str(VALIDATION)], level)
    files = policy_files([VALIDATION])
    assert {k: v.resolve() for k, v in files.items()} == {"quill": DATA / "policies" / "quill.md"}
    decided, seconds, _ = decide_in_policy(KnownTagger(), units, files, level)
    if level == "sentence":  # unit sK holds sentence sK
        expected = [LABEL2ID[LABELS[int(u[1:]) % 12]] for u in units["unit_id"]]
    else:  # unit pK is paragraph K
        expected = [LABEL2ID[LABELS[(int(u[1:]) + 1) % 12]] for u in units["unit_id"]]
    assert decided.shape == (len(units), 12) and decided.sum() == len(units)
    assert decided.argmax(1).tolist() == expected and seconds > 0


def test_the_profile_each_policy_was_decided_with_is_returned(tiny_tagger):
    units = load_units([str(VALIDATION)], "sentence")
    files = policy_files([VALIDATION])
    _, _, profiles = decide_in_policy(tiny_tagger, units, files, "sentence")
    assert profiles == {"quill": tiny_tagger.tag_file(files["quill"]).metadata["profile"]}


def test_a_unit_that_is_not_a_sentence_of_its_policy_is_named(tiny_tagger):
    units = load_units([str(VALIDATION)], "sentence")
    moved = units.map(lambda u, i: {"end": u["end"] - 1} if i == 2 else {}, with_indices=True)
    with pytest.raises(DataError, match=r"quill.md: unit \S+ \(\d+-\d+\) is not a sentence"):
        decide_in_policy(tiny_tagger, moved, policy_files([VALIDATION]), "sentence")


def test_a_policy_without_its_text_is_named_with_the_folder_looked_in(tmp_path):
    (tmp_path / "anns").mkdir()
    shutil.copy(VALIDATION / "quill.jsonl", tmp_path / "anns")
    (tmp_path / "texts").mkdir()  # a folder without the policy's text
    with pytest.raises(DataError, match=r"quill.jsonl: no policy file quill.* in .*--policies"):
        policy_files([tmp_path / "anns"], tmp_path / "texts")
    with pytest.raises(DataError, match=r"nowhere: no such folder; give the folder"):
        policy_files([tmp_path / "anns"], tmp_path / "nowhere")


def test_evaluate_scores_in_policy_by_default_and_alone_when_asked(trained_tiny, tmp_path):
    out = {}
    for scoring in ("auto", "policy", "alone"):
        path = tmp_path / f"{scoring}.json"
        result = CliRunner().invoke(
            app,
            ["evaluate", "--model", str(trained_tiny), "--data", str(VALIDATION),
             "--bootstrap", "0", "--scoring", scoring, "--json", str(path)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        out[scoring] = json.loads(path.read_text())["results"][0]
        header = "in their policies" if scoring != "alone" else "scored alone (the tuned"
        assert header in result.output
    assert out["auto"]["scores"] == out["policy"]["scores"]
    assert out["auto"]["data"].endswith("sentence level (in policy)")
    assert out["alone"]["data"].endswith("sentence level (alone)")


def test_evaluate_alone_names_the_profile_a_sentence_alone_is_decided_at(trained_tiny, tmp_path):
    model = tmp_path / "m"
    shutil.copytree(trained_tiny, model, ignore=shutil.ignore_patterns("checkpoints"))
    th = json.loads((model / "thresholds.json").read_text())
    th.update(profiles={"now": {"scale": 0.5}}, auto={"alone": "now"})
    (model / "thresholds.json").write_text(json.dumps(th))
    args = ["evaluate", "--model", str(model), "--data", str(VALIDATION), "--bootstrap", "0"]
    result = CliRunner().invoke(app, [*args, "--scoring", "alone"])
    assert result.exit_code == 0, result.output
    assert "at the model's profile for sentences alone, 'now'" in result.output
    # OPP-115's 2015-16 policies keep the thresholds tuned on them, unless auto is asked for
    opp = ["--opp115", str(Path(__file__).parents[1] / "fixtures" / "opp115_small")]
    runs = {}
    for split in ("opp115:validation", "opp115"):  # one split, or all of them
        for extra in ([], ["--thresholds", "auto"], ["--thresholds", "default"]):
            out = tmp_path / f"{split[-3:]}{len(extra)}{''.join(extra)}.json"
            args = ["evaluate", "--model", str(model), "--data", split, *opp]
            args += ["--bootstrap", "0", "--json", str(out), *extra]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
            runs[(split, *extra)] = json.loads(out.read_text())["results"][0]["scores"]
            if not extra:
                assert "OPP-115, 2015-16 policies: the tuned thresholds" in result.output
        tuned, auto = runs[(split,)], runs[(split, "--thresholds", "auto")]
        assert tuned == runs[(split, "--thresholds", "default")] != auto


@pytest.mark.parametrize(
    ("model", "data"), [("rules", str(VALIDATION)), ("MODEL", "doccano:x.jsonl")]
)
def test_scoring_in_policy_is_refused_where_there_is_no_policy_to_tag(trained_tiny, model, data):
    model = str(trained_tiny) if model == "MODEL" else model
    result = CliRunner().invoke(
        app, ["evaluate", "--model", model, "--data", data, "--scoring", "policy"]
    )
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "use --scoring alone" in words

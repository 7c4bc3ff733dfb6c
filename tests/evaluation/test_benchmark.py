"""Benchmark orchestration, RESULTS.md section writing and the evaluate/benchmark commands.

OPP-115 is replaced by the hand-written toy units, so these tests run without the corpus.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasets import DatasetDict
from typer.testing import CliRunner

import privtag.data.opp115
import privtag.evaluation.benchmark as bench
from privtag.cli import app
from privtag.data import load_units, sentences_to_segments, to_dataset
from privtag.errors import ModelLoadError
from privtag.evaluation.baselines import RuleTagger, TfidfTagger


@pytest.fixture
def fake_opp115(fixtures, tmp_path, monkeypatch):
    """An 'OPP-115' directory whose loader returns the toy units (4 train, 2 validation policies)."""
    rows = [json.loads(line) for line in (fixtures / "eval_toy.jsonl").open(encoding="utf-8")]
    valid = {"elm-toy", "fir-toy"}
    dd = DatasetDict(
        train=to_dataset([r for r in rows if r["policy"] not in valid]),
        validation=to_dataset([r for r in rows if r["policy"] in valid]),
    )
    monkeypatch.setattr(privtag.data.opp115, "load_opp115", lambda root, level="segment", **kw: dd)
    root = tmp_path / "opp115"
    root.mkdir()
    (root / "split.json").write_text(json.dumps({"train": [], "validation": []}))
    return root


@pytest.fixture
def annotations(fixtures):
    return fixtures / "eval_data" / "annotations"


class StandIn(RuleTagger):
    """A 'fine-tuned model' for the benchmark: the rules under another name, with metadata."""

    def __init__(self, trained_on, opp115=("opp115:train",)):
        super().__init__(name="model")
        self.metadata = {"recipe": {"data": {"train": [*opp115, *trained_on]}}}


RESULTS = """# Measured results

Intro text.

## Model

Model numbers stay.

## Benchmark: model against baselines

(not measured yet)

## Later

Kept too.
"""


def test_write_section_replaces_only_its_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text(RESULTS)
    bench.write_section(path, "New table.\n")
    text = path.read_text()
    assert "(not measured yet)" not in text
    assert text.startswith(RESULTS.split("## Benchmark")[0])
    assert text.endswith(
        "## Benchmark: model against baselines\n\nNew table.\n\n## Later\n\nKept too.\n"
    )
    bench.write_section(path, "New table.\n")  # idempotent
    assert path.read_text() == text


def test_write_section_appends_when_missing(tmp_path):
    path = tmp_path / "R.md"
    path.write_text("# Results\n")
    bench.write_section(path, "Body")
    assert path.read_text() == "# Results\n\n## Benchmark: model against baselines\n\nBody\n"


def test_sentences_to_segments_unites_labels_per_paragraph(annotations):
    sentences = load_units([str(annotations)], "sentence")
    segments = load_units([str(annotations)], "segment")
    assert (len(sentences), len(segments)) == (12, 10)
    para = segments[3]
    assert para["text"].startswith("We collect") and para["text"].endswith("between visits.")
    assert para["labels"] == [0] and para["start"] == sentences[3]["start"]


def test_load_system_specs(tmp_path, fixtures):
    assert isinstance(bench.load_system("rules"), RuleTagger)
    rows = [json.loads(line) for line in (fixtures / "eval_toy.jsonl").open(encoding="utf-8")]
    TfidfTagger(min_df=1).fit(to_dataset(rows)).save(tmp_path / "t")
    assert isinstance(bench.load_system(f"tfidf:{tmp_path / 't'}"), TfidfTagger)
    with pytest.raises(ModelLoadError):
        bench.load_system(f"tfidf:{tmp_path / 'none'}")


def test_run_benchmark_without_a_model(fake_opp115, annotations, tmp_path):
    run = bench.run_benchmark(
        fake_opp115, annotations=annotations, n_bootstrap=50, tfidf_out=tmp_path / "tf", echo=str
    )
    names = [c.results[0].data for c in run.comparisons]
    assert names == [
        "OPP-115 validation, segment level",
        "Seed annotations (toyco), segment level",
        "OPP-115 validation, sentence level",
        "Seed annotations (toyco), sentence level",
    ]
    assert [r.system for r in run.comparisons[0].results] == ["rules", "tfidf"]
    assert (tmp_path / "tf" / "sentence" / "weights.npz").is_file()
    md = run.to_markdown("privtag benchmark")
    assert "with `privtag benchmark`" in md and "### OPP-115 validation, segment level" in md
    assert "84.0/78.4" in md and "policy" in md and "No fine-tuned model given" in md
    summary = run.summary().splitlines()
    assert summary[0].split()[-2:] == ["rules", "tfidf"] and len(summary) == 2 + 4
    assert "| Seed annotations (toyco), sentence level | 12 |" in md


def test_run_benchmark_with_a_model_leaves_out_its_seed_policies(
    fake_opp115, annotations, monkeypatch
):
    loaded = []

    def load_system(spec, thresholds=None):
        loaded.append(thresholds)
        return StandIn([str(annotations)])

    monkeypatch.setattr(bench, "load_system", load_system)
    run = bench.run_benchmark(fake_opp115, "m", annotations, ["segment"], n_bootstrap=50, echo=str)
    assert loaded == ["default"]  # OPP-115's 2015-16 policies: the tuned thresholds
    assert [r.system for r in run.comparisons[0].results] == ["rules", "tfidf", "model"]
    assert len(run.comparisons) == 1  # toyco was in the model's training data
    assert any("no units left" in n for n in run.notes)
    assert any("(toyco) are left out" in n for n in run.notes)


def test_a_model_trained_on_opp115_validation_is_flagged_in_the_benchmark(
    fake_opp115, tmp_path, monkeypatch
):
    # the shipped model trained on all 95 policies: its validation figures are no result,
    # and the benchmark printed them beside the baselines' without a word
    stand_in = StandIn([], opp115=("opp115:train", "opp115:validation"))
    monkeypatch.setattr(bench, "load_system", lambda spec, thresholds=None: stand_in)
    said: list[str] = []
    run = bench.run_benchmark(
        fake_opp115, "m", tmp_path / "none", ["segment"], n_bootstrap=20, echo=said.append
    )
    name = run.comparisons[0].results[0].data
    assert name.endswith("(model: trained on these policies, not a result)")
    assert any("model trained on opp115:validation" in s for s in said)
    assert any("not a result" in n for n in run.notes)
    # one trained on the training split only is not flagged; one tuned there is, as such
    monkeypatch.setattr(bench, "load_system", lambda spec, thresholds=None: StandIn([]))
    run = bench.run_benchmark(fake_opp115, "m", tmp_path / "none", ["segment"], 20, echo=str)
    assert run.comparisons[0].results[0].data == "OPP-115 validation, segment level"
    tuned = StandIn([])
    tuned.metadata["recipe"]["data"]["validation"] = ["opp115:validation"]
    monkeypatch.setattr(bench, "load_system", lambda spec, thresholds=None: tuned)
    run = bench.run_benchmark(fake_opp115, "m", tmp_path / "none", ["segment"], 20, echo=str)
    assert (
        run.comparisons[0]
        .results[0]
        .data.endswith("(model: thresholds tuned on these policies, a development number)")
    )


def test_run_benchmark_skips_missing_annotations(fake_opp115, tmp_path):
    run = bench.run_benchmark(fake_opp115, None, tmp_path / "none", ["sentence"], 20, echo=str)
    assert len(run.comparisons) == 1
    assert any("No seed annotations" in n for n in run.notes)


def test_evaluate_command_writes_json_markdown_and_chart(annotations, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["evaluate", "--model", "rules", "--data", str(annotations), "--level", "both",
         "--json", f"{out}.json", "--markdown", f"{out}.md", "--chart", f"{out}.png",
         "--bootstrap", "50"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "micro avg" in result.output
    data = json.loads((tmp_path / "out.json").read_text())
    levels = sorted(r["data"].rsplit(", ", 1)[1] for r in data["results"])
    assert levels == ["segment level (alone)", "sentence level (alone)"]
    assert "| macro avg |" in (tmp_path / "out.md").read_text()
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_command_reads_policy_texts_from_policies(tmp_path):
    import shutil

    from annotation_helpers import ACME, SMALL

    (anns := tmp_path / "anns").mkdir()
    shutil.copy(ACME, anns / ACME.name)
    args = ["evaluate", "--model", "rules", "--data", str(anns), "--bootstrap", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "name the folder of policy texts" in str(result.exception)
    result = CliRunner().invoke(app, [*args, "--policies", str(SMALL / "policies")])
    assert result.exit_code == 0, result.output
    assert "15 units from 1 policy;" in result.output


def test_baseline_command_fits_a_tfidf_that_evaluate_scores(tmp_path):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "fixtures" / "model_data"
    out = tmp_path / "tfidf"
    args = ["baseline", "--train", str(data / "train"), "--validation", str(data / "validation")]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "fitted on" in result.output and "of 2 policies; thresholds tuned on" in result.output
    fitted = TfidfTagger.load(out)
    assert len(fitted.thresholds) == 12 and any(t != 0.5 for t in fitted.thresholds)
    # the same fit from Python: the command is only a way to call it
    train = load_units([str(data / "train")], "sentence")
    again = TfidfTagger().fit(train, load_units([str(data / "validation")], "sentence"))
    assert np.array_equal(again.coef_, fitted.coef_)
    scored = CliRunner().invoke(
        app,
        ["evaluate", "--model", f"tfidf:{out}", "--data", str(data / "validation"),
         "--bootstrap", "0"],
    )  # fmt: skip
    assert scored.exit_code == 0 and "micro avg" in scored.output, scored.output
    again_out = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert again_out.exit_code != 0 and "is not empty" in str(again_out.exception)
    # paragraphs, and no tuning data: every threshold 0.5, said so
    segs = CliRunner().invoke(
        app,
        ["baseline", "--train", str(data / "train"), "--level", "segment",
         "--out", str(tmp_path / "seg")],
    )  # fmt: skip
    assert segs.exit_code == 0, segs.output
    assert "segment units of 2 policies; every threshold 0.5 (no --validation)" in segs.output
    assert list(TfidfTagger.load(tmp_path / "seg").thresholds) == [0.5] * 12


def test_evaluate_command_rejects_a_bad_level(annotations):
    result = CliRunner().invoke(
        app, ["evaluate", "--model", "rules", "--data", str(annotations), "--level", "para"]
    )
    assert result.exit_code == 2 and "sentence, segment or both" in result.output


@pytest.mark.parametrize("command", ["evaluate", "benchmark"])
def test_a_negative_bootstrap_is_refused_before_any_scoring(annotations, command):
    result = CliRunner().invoke(
        app, [command, "--annotations" if command == "benchmark" else "--data",
              str(annotations), "--bootstrap", "-1"],
    )  # fmt: skip
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and "Invalid value for '--bootstrap'" in words


def test_benchmark_command_updates_the_results_file(fake_opp115, annotations, tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(RESULTS)
    args = ["benchmark", "--opp115", str(fake_opp115), "--annotations", str(annotations)]
    result = CliRunner().invoke(app, [*args, "--out", str(results), "--bootstrap", "20"])
    assert result.exit_code == 0, result.output
    text = results.read_text()
    assert "Model numbers stay." in text and "## Later\n\nKept too.\n" in text
    section = text.split("## Benchmark: model against baselines")[1]
    assert "| micro avg |" in section and "units/s" in section
    assert np.isfinite(float(section.split("| micro avg | ")[1].split(" ")[0]))


@pytest.mark.slow
def test_the_harness_runs_the_tagger_class(fixtures):
    """privtag.inference.tagger.Tagger (untrained head on the packaged encoder) through the harness."""
    from transformers import AutoTokenizer

    from privtag.evaluation.harness import evaluate_system
    from privtag.inference.model import PrivtagClassifier, base_encoder_path
    from privtag.inference.tagger import Tagger

    try:
        tokenizer = AutoTokenizer.from_pretrained(base_encoder_path())
    except ModelLoadError as e:
        pytest.skip(str(e))
    tagger = Tagger(PrivtagClassifier.from_base().eval(), tokenizer, name="untrained")
    rows = [json.loads(line) for line in (fixtures / "eval_toy.jsonl").open(encoding="utf-8")]
    units = sentences_to_segments(to_dataset(rows))
    result = evaluate_system(tagger, units, n_bootstrap=20)
    assert result.system == "untrained" and result.n_units == len(units)
    assert 0 <= result.scores["micro"]["f1"] <= 1 and result.units_per_second > 0


def test_figures_on_data_a_model_saw_are_flagged(monkeypatch):
    from pathlib import Path
    from types import SimpleNamespace

    import privtag.evaluation.benchmark as bench_module
    from privtag.evaluation.benchmark import seen_warnings

    # annotation sources hold policies named after their files here (nothing is read)
    monkeypatch.setattr(bench_module, "load_units", lambda specs: {"policy": [Path(specs[0]).stem]})
    recipe = {"data": {"train": ["opp115:train", "x/acme.jsonl"],
                       "validation": ["opp115:validation", "x/dev.jsonl"]}}  # fmt: skip
    tuned = SimpleNamespace(name="m", metadata={"recipe": recipe})
    pooled = SimpleNamespace(name="m", metadata={"recipe": recipe, "crossval": {"n_folds": 5}})
    assert seen_warnings(tuned, ["opp115:validation"], set()) == [
        "m tuned its thresholds on opp115:validation: its figures there are a development number"
    ]
    assert seen_warnings(pooled, ["opp115:validation"], set()) == [
        "m trained on opp115:validation: its figures there are not a result"
    ]
    # all of OPP-115 holds the training split
    assert seen_warnings(tuned, ["opp115:all"], set())[0].startswith("m trained on opp115:all")
    assert seen_warnings(tuned, ["y/acme.jsonl"], {"acme"}) == [
        "m trained on 1 of these policies (acme): their figures are optimistic"
    ]
    # its own validation annotations: tuned on them, or (pooled) trained on them
    assert seen_warnings(tuned, ["x/dev.jsonl"], {"dev"}) == [
        "m tuned its thresholds on 1 of these policies (dev): their figures are a development "
        "number"
    ]
    assert (
        "trained on 1 of these policies (dev)" in seen_warnings(pooled, ["x/dev.jsonl"], {"dev"})[0]
    )
    assert seen_warnings(tuned, ["opp115:test", "y/other.jsonl"], {"other"}) == []

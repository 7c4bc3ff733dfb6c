"""The ``privtag`` command line: a thin layer over the Python API.

Errors privtag raises for bad input (:class:`privtag.errors.PrivtagError`) are printed
as one line on stderr with exit code 2; no traceback. Output files are checked before
any work starts and written atomically (:mod:`privtag.outputs`); existing ones are only
replaced with ``--force``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from privtag.errors import PrivtagError
from privtag.render.cli import report_cmd
from privtag.serve.cli import serve_cmd

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Tag every sentence of a privacy policy with the data practices it states.",
)


def _invocation(ctx: typer.Context) -> str:
    """The running command as a user would type it, rebuilt from its parsed parameters.

    Rebuilt rather than read from ``sys.argv``, which belongs to whatever program hosts
    the CLI (a test runner, a notebook).
    """
    import shlex

    words = ["privtag", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or value is False or value == param.default or value in ([], ()):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if param.param_type_name == "argument":
                words.append(str(v))
            elif v is True:
                words.append(param.opts[0])
            else:
                words += [param.opts[0], str(v)]
    return shlex.join(words)


#: the --force option of every command that writes files
Force = Annotated[
    bool, typer.Option("--force", help="Replace output files or directories that exist.")
]
#: the options every command that reads a recipe shares
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting: section.key=value (repeatable)."),
]
Opp115Dir = Annotated[
    Path | None, typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115).")
]


def _opp115_input(opp115: Path | None, specs: list[str]) -> Path | None:
    """The OPP-115 directory a command reads, if any of its sources is ``opp115:SPLIT``."""
    if opp115 is not None or not any(s.startswith("opp115:") for s in specs):
        return opp115
    from privtag.data.opp115 import default_root

    return default_root()


@app.callback()
def _root() -> None:
    """Tag every sentence of a privacy policy with the data practices it states."""


@app.command("segment")
def segment_cmd(
    file: Annotated[Path, typer.Argument(help="Policy file (text, Markdown or HTML).")],
    format: Annotated[
        str | None, typer.Option("--format", help="text|markdown|html|opp115 (default: detect)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per sentence.")] = False,
) -> None:
    """Print the sentences of a policy with offsets and section path."""
    from privtag.segmentation.document import iter_jsonl, segment

    doc = segment(file, format=format)
    # what the reader repaired or left out goes to stderr
    for w in doc.warnings:
        typer.echo(f"privtag: warning: {w}", err=True)
    out = sys.stdout
    if as_json:
        for line in iter_jsonl(doc):
            out.write(line + "\n")
        return
    for s in doc.sentences:
        section = " > ".join(s.section)
        out.write(f"{s.start}:{s.end}\t{s.kind}\t{section}\t{s.text}\n")


@app.command("validate")
def validate_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Annotation files (.jsonl/.csv) or directories of them.")
    ],
    policies: Annotated[
        Path | None,
        typer.Option(
            "--policies",
            help="Directory of <policy>.<ext> files (default: "
            "policies/ next to the annotations' directory, else data/policies).",
        ),
    ] = None,
) -> None:
    """Check annotation files; print every problem, exit with code 1 if there is any."""
    from privtag.data.annotations import annotation_files, parse_annotations

    records, problems = parse_annotations(files, policies)
    n_files = len(annotation_files(files))
    if problems:
        for p in problems:
            typer.echo(p)
        typer.echo(f"FAILED: {len(problems)} problem(s) in {n_files} files")
        raise typer.Exit(1)
    typer.echo(f"OK: {len(records)} records in {n_files} files")


@app.command("evaluate")
def evaluate_cmd(
    model: Annotated[
        str, typer.Option("--model", help="rules, tfidf:DIR, or a fine-tuned model directory.")
    ],
    data: Annotated[
        list[str],
        typer.Option("--data", help="Annotation file or directory, or opp115:SPLIT (repeatable)."),
    ],
    level: Annotated[str, typer.Option("--level", help="sentence, segment or both.")] = "sentence",
    opp115: Annotated[
        Path | None,
        typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the tables as Markdown.")
    ] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a per-label F1 PNG.")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples.")] = 1000,
    force: Force = False,
) -> None:
    """Score a model on annotated data: per-label P/R/F1, intervals, confusions, throughput."""
    import dataclasses
    import json

    from privtag.data.sources import LEVELS, load_units
    from privtag.evaluation.benchmark import load_system
    from privtag.evaluation.harness import evaluate_system
    from privtag.evaluation.tables import plot_f1
    from privtag.outputs import Outputs, spec_paths, write_text

    if level not in (*LEVELS, "both"):
        raise typer.BadParameter(
            f"use sentence, segment or both, not {level!r}", param_hint="--level"
        )
    outs = Outputs([*spec_paths([*data, model]), _opp115_input(opp115, data)], force)
    json_out = outs.file(json_out, "--json")
    markdown = outs.file(markdown, "--markdown")
    chart = outs.file(chart, "--chart", suffixes=(".png", ".svg"))
    levels = LEVELS if level == "both" else (level,)
    system = load_system(model)
    results = []
    for lvl in levels:
        units = load_units(data, lvl, opp115)
        name = f"{' + '.join(data)}, {lvl} level"
        results.append(evaluate_system(system, units, data_name=name, n_bootstrap=bootstrap))
        typer.echo(results[-1].to_text() + "\n")
    if json_out:
        payload = {"results": [r.to_dict() for r in results]}
        write_text(json_out, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if markdown:
        write_text(markdown, "\n\n".join(r.to_markdown() for r in results) + "\n")
    if chart:
        if len(levels) > 1:  # one system at two levels: tell the bars apart
            results = [
                dataclasses.replace(r, system=f"{r.system} ({lvl})")
                for r, lvl in zip(results, levels, strict=True)
            ]
        plot_f1(results, chart, title=f"Per-label F1 of {system.name} on {' + '.join(data)}")


@app.command("benchmark")
def benchmark_cmd(
    ctx: typer.Context,
    opp115: Annotated[
        Path | None,
        typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Fine-tuned model directory to include.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Markdown file whose benchmark section is replaced."),
    ] = Path("benchmarks/RESULTS.md"),
    annotations: Annotated[
        Path, typer.Option("--annotations", help="Seed annotations directory.")
    ] = Path("data/annotations"),
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples.")] = 1000,
    tfidf_out: Annotated[
        Path | None,
        typer.Option("--tfidf-out", help="Save the fitted TF-IDF taggers to DIR/<level>."),
    ] = None,
    no_write: Annotated[bool, typer.Option("--no-write", help="Print only.")] = False,
    force: Force = False,
) -> None:
    """Compare the model with the rule and TF-IDF baselines on OPP-115 and the seed data."""
    from privtag.evaluation.benchmark import run_benchmark, write_section
    from privtag.outputs import Outputs

    outs = Outputs([_opp115_input(opp115, ["opp115:"]), model, annotations], force)
    # --out gets only its benchmark section replaced: an intended update, no --force
    out = outs.file(None if no_write else out, "--out", update=True)
    tfidf_out = outs.directory(tfidf_out, "--tfidf-out")

    run = run_benchmark(
        opp115, model, annotations, n_bootstrap=bootstrap, tfidf_out=tfidf_out, echo=typer.echo
    )
    typer.echo(run.to_text())
    if out:
        command = _invocation(ctx)
        write_section(out, run.to_markdown(command))
        typer.echo(f"wrote the benchmark section of {out}")


@app.command("train")
def train_cmd(
    recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML), e.g. train/default.toml.")],
    overrides: Overrides = None,
    opp115: Opp115Dir = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Resume from the last checkpoint.")
    ] = False,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="A local Hugging Face encoder directory (default: the packaged all-MiniLM-L6-v2).",
        ),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Also write the compact model (what model/ ships) here."),
    ] = None,
    crossval: Annotated[
        Path | None,
        typer.Option(
            "--crossval",
            help="A finished `privtag crossval` run of this recipe: train on all its policies, "
            "with the aggregation, decision rule and thresholds it measured best.",
        ),
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(
            "--decision", help="With --crossval: this rule instead, e.g. 'shrunk + top label'."
        ),
    ] = None,
    aggregate: Annotated[
        str | None,
        typer.Option("--aggregate", help="With --crossval: this paragraph aggregation instead."),
    ] = None,
    force: Force = False,
) -> None:
    """Fine-tune a tagger as the recipe says; saves it to train.output_dir.

    With --crossval RUN the model is the one to ship: trained like each fold of RUN on
    all of RUN's policies, decided by the row RUN measured best (thresholds fitted on its
    out-of-fold scores), with RUN's figures recorded in training.json.
    """
    from privtag.outputs import Outputs, atomic_dir, spec_paths
    from privtag.training.recipe import Recipe
    from privtag.training.train import train

    r = Recipe.load(recipe, list(overrides or []))
    if opp115:
        r.data.opp115 = str(opp115)
    if resume:
        r.train.resume = True
    if base:
        r.model.base = str(base)
    sources = [*r.data.train, *r.data.validation]
    inputs = [recipe, *spec_paths(sources), _opp115_input(r.data.opp115, sources), r.model.base]
    outs = Outputs([p for p in inputs if p and Path(p).exists()], force)
    # training adds checkpoints to its output directory: it may hold files already
    outs.claim(r.train.output_dir, "train.output_dir")
    export = outs.directory(export, "--export")
    if (decision or aggregate) and not crossval:
        raise typer.BadParameter("--decision and --aggregate need --crossval RUN")
    if crossval:
        from privtag.evaluation.crossval_final import train_final

        tagger = train_final(r, crossval, aggregate, decision, echo=typer.echo)
    else:
        tagger = train(r)
    v = tagger.metadata.get("validation", {})
    for lvl in ("sentence", "segment"):
        if lvl in v:
            typer.echo(
                f"validation {lvl}: micro-F1 {v[lvl]['micro']:.3f}, macro-F1 {v[lvl]['macro']:.3f}"
            )
    typer.echo(f"saved to {r.train.output_dir}")
    if export:
        with atomic_dir(export) as tmp:
            tagger.save(tmp, compact=True)
        typer.echo(f"compact model written to {export}")


@app.command("crossval")
def crossval_cmd(
    recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML), e.g. train/default.toml.")],
    folds: Annotated[int, typer.Option("--folds", help="Number of folds (by policy).")] = 5,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run folder: fold scores, resumable.")
    ] = Path("runs/cv"),
    fold: Annotated[
        list[int] | None, typer.Option("--fold", help="Run only this fold (repeatable).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Fold assignment seed (default: train.seed).")
    ] = None,
    overrides: Overrides = None,
    opp115: Opp115Dir = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Train nothing: report the folds already run.")
    ] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the results table (Markdown) here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every figure (JSON) here.")
    ] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Policy resamples.")] = 1000,
    partial: Annotated[
        bool, typer.Option("--partial", help="Report the folds done so far (at least two).")
    ] = False,
    force: Force = False,
) -> None:
    """Cross-validation by policy over the recipe's OPP-115 policies: train and score K folds
    (resumable), then report every decision rule against TF-IDF and keyword baselines."""
    import json

    from privtag.evaluation.crossval import run_crossval
    from privtag.evaluation.crossval_report import crossval_report
    from privtag.outputs import Outputs, spec_paths, write_text
    from privtag.training.recipe import Recipe

    r = Recipe.load(recipe, list(overrides or []))
    if opp115:
        r.data.opp115 = str(opp115)
    outs = Outputs([recipe, *spec_paths([*r.data.train, *r.data.validation]), opp115], force)
    markdown = outs.file(markdown, "--markdown")
    json_out = outs.file(json_out, "--json")
    outs.directory(output, "--output", update=True)
    if not report_only:
        run_crossval(r, output, n_folds=folds, seed=seed, only=fold, echo=typer.echo)
    if fold and not (report_only or partial):
        return  # a run of some folds: report with --report-only (and --partial)
    report = crossval_report(r, output, n_bootstrap=bootstrap, partial=partial)
    if len(report.folds_done) < report.n_folds:
        done = ", ".join(map(str, report.folds_done))
        typer.echo(f"partial: folds {done} of {report.n_folds} ({report.n_policies} policies)")
    table = report.to_markdown()
    typer.echo(table)
    if markdown:
        write_text(markdown, table + "\n")
    if json_out:
        write_text(json_out, json.dumps(report.to_dict(), indent=1) + "\n")


@app.command("export")
def export_cmd(
    model: Annotated[Path, typer.Argument(help="A trained model directory.")],
    out: Annotated[Path, typer.Argument(help="Where to write the compact model.")],
    force: Force = False,
) -> None:
    """Write a model in compact form: only what differs from the base encoder, in float16."""
    from privtag.inference.tagger import Tagger
    from privtag.outputs import Outputs, atomic_dir

    Outputs([model], force).directory(out, "OUT")
    tagger = Tagger.load(model)
    with atomic_dir(out) as tmp:
        tagger.save(tmp, compact=True)
    typer.echo(f"compact model written to {out}")


@app.command("export-onnx")
def export_onnx_cmd(
    model: Annotated[Path, typer.Argument(help="A trained model directory.")],
    int8: Annotated[
        bool, typer.Option("--int8", help="Also write the int8 model (linear layers quantized).")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--output", help="Directory to write to (default: MODEL).")
    ] = None,
) -> None:
    """Export a model to ONNX for `--backend onnx` (needs the onnx extra).

    Each file records the hash of the weights it was made from; a stale one is rebuilt.
    """
    from privtag.inference.onnx_backend import export_onnx

    if not (model / "config.json").is_file():
        raise typer.BadParameter(f"{model}: not a model directory (no config.json)")
    path = export_onnx(model, int8=int8, output=out)
    typer.echo(f"ONNX model written to {path}")


@app.command("tag")
def tag_cmd(
    files: Annotated[list[Path], typer.Argument(help="Policy files (text, Markdown, HTML).")],
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default: model/).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, one policy per line.")] = False,
    table: Annotated[bool, typer.Option("--table", help="A readable table (default).")] = True,
    format: Annotated[
        str | None, typer.Option("--format", help="text|markdown|html|opp115 (default: detect)")
    ] = None,
    aggregate: Annotated[
        str | None,
        typer.Option(
            "--aggregate", help="Paragraph aggregation (max is fastest; default: the tuned one)."
        ),
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option(
            "--dtype",
            help="auto (bfloat16 where the CPU has it natively, else float32), float32, bfloat16.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first file that cannot be tagged.")
    ] = False,
    backend: Annotated[
        str, typer.Option("--backend", help="torch (default), onnx or onnx-int8.")
    ] = "torch",
) -> None:
    """Tag every sentence and paragraph of one or more policies.

    A file that cannot be read is reported on stderr and skipped; the exit code is 2 if
    any was (``--strict`` stops at the first instead).
    """
    from privtag.inference.tagger import Tagger

    tagger = Tagger.load(model, aggregate=aggregate, dtype=dtype, backend=backend)
    failed = 0
    for f in files:
        try:
            policy = tagger.tag(f, format=format)
        except PrivtagError as e:
            if strict or len(files) == 1:
                raise
            message = str(e) if str(f) in str(e) else f"{f}: {e}"
            typer.echo(f"privtag: error: {message}", err=True)
            failed += 1
            continue
        # what the reader repaired or left out goes to stderr
        for w in policy.document.warnings:
            typer.echo(f"privtag: warning: {w}", err=True)
        if as_json:
            typer.echo(policy.to_json())
        else:
            if len(files) > 1:
                typer.echo(f"== {f}")
            typer.echo(policy.table())
    if failed:
        typer.echo(f"privtag: {failed} of {len(files)} files could not be tagged", err=True)
        raise typer.Exit(2)


@app.command("data-report")
def data_report_cmd(
    ctx: typer.Context,
    opp115: Annotated[
        Path | None,
        typer.Option(
            "--opp115",
            help="OPP-115 directory (default: ../shared/opp115; left out when not found).",
        ),
    ] = None,
    annotations: Annotated[
        Path | None,
        typer.Option(
            "--annotations",
            help="Seed annotations directory (default: data/annotations; left out when not found).",
        ),
    ] = None,
    vote: Annotated[
        str, typer.Option("--vote", help="OPP-115 vote: majority (>= 2 annotators) or union.")
    ] = "majority",
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the report as Markdown.")
    ] = None,
    force: Force = False,
) -> None:
    """Count units per label in OPP-115 and the seed annotations, and what projection keeps."""
    import datetime

    from privtag.data.opp115 import default_root
    from privtag.data.stats import build_report
    from privtag.outputs import Outputs, write_text

    # a directory given explicitly must be usable (build_report says why not); the
    # defaults are only skipped, so the report works with either data set alone
    if opp115 is None:
        opp115 = default_root()
        if opp115 is None:
            typer.echo("OPP-115 not found (pass --opp115 DIR): left out", err=True)
    if annotations is None:
        annotations = Path("data/annotations")
        if not annotations.is_dir():
            typer.echo("data/annotations not found (pass --annotations DIR): left out", err=True)
            annotations = None
    markdown = Outputs([opp115, annotations], force).file(markdown, "--markdown")
    report = build_report(opp115, annotations, vote)
    typer.echo(report.to_text())
    if markdown:
        command = _invocation(ctx)
        write_text(
            markdown, f"`{command}`, run on {datetime.date.today()}.\n\n" + report.to_markdown()
        )
        typer.echo(f"wrote {markdown}")


@app.command("tune")
def tune_cmd(
    model: Annotated[Path, typer.Argument(help="A trained model directory (updated in place).")],
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Validation source (repeatable); default opp115:validation."),
    ] = None,
    opp115: Opp115Dir = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the tuned model here instead.")
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--aggregate-tolerance",
            help="Keep a one-pass aggregate (max, noisy_or) within this macro-F1 of the best "
            "(default: the model's recipe value, else 0).",
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Re-tune paragraph aggregation and per-label thresholds of a model on validation data."""
    import time

    from privtag.data.sources import load_units
    from privtag.inference.tagger import AGGREGATES, Tagger
    from privtag.outputs import Outputs, atomic_dir, spec_paths
    from privtag.training.train import tune_tagger

    specs = data or ["opp115:validation"]
    outs = Outputs([model, *spec_paths(specs), _opp115_input(opp115, specs)], force)
    out = outs.directory(out, "--out")
    tagger = Tagger.load(model)
    compact = (model / "compact.safetensors").is_file()
    result = tune_tagger(
        tagger,
        load_units(specs, "sentence", opp115),
        load_units(specs, "segment", opp115),
        list(AGGREGATES),
        _recipe_tolerance(tagger) if tolerance is None else tolerance,
    )
    tagger.metadata["validation"] = result
    tagger.metadata["tuned"] = {
        "on": specs,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "aggregate_tolerance": result.get("aggregate_tolerance"),
    }
    # in place, files the tagger does not write (a model card) are kept
    with atomic_dir(out or model, update=out is None) as tmp:
        tagger.save(tmp, compact=compact)
    for key in ("sentence", "segment"):
        if key in result:
            typer.echo(
                f"{key}: micro-F1 {result[key]['micro']:.3f}, macro-F1 {result[key]['macro']:.3f}"
            )
    typer.echo(f"aggregate: {result.get('aggregate')}; saved to {out or model}")


def _stage(name: str, module: str, function: str, help: str) -> None:
    """Register a training stage ``privtag NAME RECIPE [--set k=v]`` that lives in ``module``."""

    def command(
        recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML).")],
        overrides: Annotated[
            list[str] | None, typer.Option("--set", help="section.key=value")
        ] = None,
    ) -> None:
        import importlib

        getattr(importlib.import_module(module), function)(str(recipe), list(overrides or []))

    app.command(name, help=help)(command)


_stage(
    "dapt",
    "privtag.training.dapt",
    "dapt_cmd",
    "Continue MLM training of the encoder on the corpus.",
)
_stage("pseudo-label", "privtag.training.distill", "pseudo_label_cmd", "Write a teacher's scores.")


from privtag.batch.command import batch_cmd  # noqa: E402  (commands living in their modules)
from privtag.policy_diff import diff_cmd  # noqa: E402

app.command("batch")(batch_cmd)
app.command("diff")(diff_cmd)


def _recipe_tolerance(tagger) -> float:
    recipe = tagger.metadata.get("recipe") or {}
    return float((recipe.get("train") or {}).get("aggregate_tolerance", 0.0))


# commands that live with their feature's package
app.command("report")(report_cmd)
app.command("serve")(serve_cmd)


def main() -> None:
    """Console entry point: run the app, turning privtag errors into one-line messages.

    A closed stdout (``privtag segment x.md | head -1``) ends the run quietly, as it does
    for Unix tools; a full one (``> /dev/full``) is one line on stderr and exit code 2.
    """
    code: int | str | None = 0
    try:
        try:
            app()  # standalone: click reports usage errors itself (exit code 2)
        except SystemExit as e:
            code = e.code
        sys.stdout.flush()  # now, while a write error can still be reported
    except PrivtagError as e:
        typer.echo(f"privtag: error: {e}", err=True)
        code = 2
    except BrokenPipeError:
        _drop_stdout()
        code = 1  # what click gives a closed pipe it notices itself
    except OSError as e:
        from privtag.outputs import DISK_FULL

        if e.errno not in DISK_FULL:
            raise
        # output files report a full disk themselves (OutputError): this is stdout
        typer.echo(f"privtag: error: cannot write the output: {e.strerror}", err=True)
        _drop_stdout()
        code = 2
    sys.exit(code)


def _drop_stdout() -> None:
    """Send what is left in stdout's buffer to /dev/null, so the flush at exit cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (already replaced)
        pass
    finally:
        os.close(devnull)


if __name__ == "__main__":
    main()

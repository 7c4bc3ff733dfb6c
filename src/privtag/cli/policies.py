"""The commands on policies and annotations: segment, validate, tag, data-report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from privtag.cli.options import (
    Force,
    ThresholdProfile,
    invocation,
    require_eval_extra,
)
from privtag.errors import ArgumentError, PrivtagError
from privtag.inference.settings import MODEL_OR_BASELINE_HELP, is_baseline
from privtag.segmentation.loading import argument_name


def segment_cmd(
    file: Annotated[
        Path,
        typer.Argument(help="Policy file (text, Markdown or HTML); - reads stdin.", readable=False),
    ],
    format: Annotated[
        str | None, typer.Option("--format", help="text|markdown|html|opp115 (default: detect)")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="One JSON object per sentence, with offsets in the file (source_start/end).",
        ),
    ] = False,
) -> None:
    """Print the sentences of a policy with offsets and section path."""
    from privtag.segmentation.document import iter_jsonl, segment_argument

    doc = segment_argument(file, format)
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


def validate_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Annotation files (.jsonl/.csv) or directories of them.", readable=False
        ),
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
    """Check annotation files; print every problem, exit with code 1 if there is any.

    A path that does not exist is bad input, not a problem of the annotations: one line
    on stderr and exit code 2, as for every command.
    """
    from privtag.data.annotation_format import passed_over
    from privtag.data.annotations import annotation_files, parse_annotations
    from privtag.errors import DataError, plural

    for f in files:
        kind = str(f).partition(":")[0]
        if kind in ("labelstudio", "doccano", "opp115") and not f.exists():
            raise DataError(
                f"{f}: validate checks privtag's own .jsonl/.csv files; a {kind}: export is "
                "checked when --data or a recipe reads it"
            )
        if not f.exists():
            raise DataError(f"{f}: no such file or directory; check the path")
    # misnamed files are warned of wherever annotations are read (parse_annotations)
    for note in passed_over(files, files=False):
        typer.echo(f"privtag: warning: {note}", err=True)
    records, problems = parse_annotations(files, policies)
    n_files = len(annotation_files(files))
    if problems:
        for p in problems:
            typer.echo(p)
        typer.echo(f"FAILED: {plural(len(problems), 'problem')} in {plural(n_files, 'file')}")
        raise typer.Exit(1)
    typer.echo(f"OK: {plural(len(records), 'record')} in {plural(n_files, 'file')}")


def tag_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Policy files (text, Markdown, HTML); - reads stdin.", readable=False),
    ],
    # a str, as batch and diff take it: a Path would read "./rules" (a model folder of that
    # name) as "rules", the baseline
    model: Annotated[
        str | None,
        typer.Option("--model", help=MODEL_OR_BASELINE_HELP),
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
    thresholds: ThresholdProfile = None,
) -> None:
    """Tag every sentence and paragraph of one or more policies.

    A file that cannot be read is reported on stderr and skipped; the exit code is 2 if
    any was (``--strict`` stops at the first instead).
    """
    from privtag.inference.tagger import Tagger
    from privtag.segmentation.document import segment_argument

    if sum(str(f) == "-" for f in files) > 1:  # stdin is read once: a second - would be empty
        raise ArgumentError(
            "- (stdin) is given more than once; stdin holds one policy, give - once"
        )
    if is_baseline(model):
        from privtag.batch.taggers import load_tagger

        # a baseline scores each sentence alone, with no encoder to choose or aggregate
        given = {"--aggregate": aggregate, "--dtype": dtype, "--backend": backend != "torch"}
        for option in (o for o, v in given.items() if v):
            raise ArgumentError(
                f"{option} applies to a fine-tuned model; --model {model} is a baseline: "
                f"leave {option} out"
            )
        tagger = load_tagger(model, thresholds=thresholds)
    else:
        tagger = Tagger.load(
            model, aggregate=aggregate, dtype=dtype, backend=backend, thresholds=thresholds
        )
    failed = 0
    for f in files:
        try:
            policy = tagger.tag(segment_argument(f, format))
        except PrivtagError as e:
            if strict or len(files) == 1:
                raise
            name = argument_name(f)
            message = str(e) if name in str(e) else f"{name}: {e}"
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
    require_eval_extra()
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
        command = invocation(ctx)
        write_text(
            markdown, f"`{command}`, run on {datetime.date.today()}.\n\n" + report.to_markdown()
        )
        typer.echo(f"wrote {markdown}")

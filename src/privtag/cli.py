"""The ``privtag`` command line: a thin layer over the Python API.

Errors privtag raises for bad input (:class:`privtag.errors.PrivtagError`) are printed
as one line on stderr with exit code 2; no traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from privtag.errors import PrivtagError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Tag every sentence of a privacy policy with the data practices it states.",
)


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
    from privtag.segment import iter_jsonl, segment

    doc = segment(file, format=format)
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
        typer.Option("--policies", help="Directory of <policy>.<ext> files (default: "
                     "policies/ next to the annotations' directory, else data/policies)."),
    ] = None,
) -> None:
    """Check annotation files; print every problem, exit with code 1 if there is any."""
    from privtag.data import annotation_files, parse_annotations

    records, problems = parse_annotations(files, policies)
    n_files = len(annotation_files(files))
    if problems:
        for p in problems:
            typer.echo(p)
        typer.echo(f"FAILED: {len(problems)} problem(s) in {n_files} files")
        raise typer.Exit(1)
    typer.echo(f"OK: {len(records)} records in {n_files} files")


def main() -> None:
    """Console entry point: run the app, turning privtag errors into one-line messages."""
    try:
        app()  # standalone: click reports usage errors itself (exit code 2)
    except PrivtagError as e:
        typer.echo(f"privtag: error: {e}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()

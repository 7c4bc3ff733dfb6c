"""``privtag diff``: two versions of a policy, practice by practice (over :func:`privtag.diff`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.cli.options import Force, ThresholdProfile
from privtag.errors import ArgumentError, check_real
from privtag.inference.settings import MODEL_OR_BASELINE_HELP
from privtag.policy_diff import THRESHOLD, diff
from privtag.segmentation.loading import argument_name


def diff_cmd(
    old: Annotated[
        Path,
        typer.Argument(
            help="The earlier version (text, Markdown, HTML); - reads stdin.", readable=False
        ),
    ],
    new: Annotated[Path, typer.Argument(help="The later version; - reads stdin.", readable=False)],
    model: Annotated[
        str | None,
        typer.Option("--model", help=MODEL_OR_BASELINE_HELP),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the diff as JSON.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a side-by-side HTML page.")
    ] = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Least similarity of an edited sentence.")
    ] = THRESHOLD,
    force: Force = False,
    thresholds: ThresholdProfile = None,
) -> None:
    """Show what changed between two versions of a policy, practice by practice."""
    from privtag.batch.taggers import load_tagger
    from privtag.outputs import Outputs, spec_paths, write_text
    from privtag.segmentation.document import segment_argument

    if str(old) == str(new) == "-":
        raise typer.BadParameter("stdin holds one version: give the other as a file")
    try:  # before any file is read
        check_real(threshold, "--threshold", 0, 1, "a similarity")
    except ArgumentError as e:
        raise typer.BadParameter(
            str(e).removeprefix("--threshold "), param_hint="--threshold"
        ) from None
    outs = Outputs([old, new, *spec_paths([model] if model else [])], force)
    json_out = outs.file(json_out, "--json", suffixes=(".json",))
    html = outs.file(html, "--html", suffixes=(".html", ".htm"))
    # a bad file fails before the model loads
    docs = [segment_argument(old), segment_argument(new)]
    for w in (w for d in docs for w in d.warnings):  # repaired, left out, or not a policy
        typer.echo(f"privtag: warning: {w}", err=True)
    tagger = load_tagger(model, thresholds=thresholds)
    result = diff(
        *docs,
        tagger,
        threshold=threshold,
        names=(argument_name(old), argument_name(new)),
    )
    typer.echo(result.to_text())
    if json_out:
        write_text(json_out, result.to_json() + "\n")
    if html:
        write_text(html, result.to_html())

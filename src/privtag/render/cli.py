"""``privtag report``: the HTML evidence report of a policy (registered in privtag.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.inference.settings import MODEL_HELP, PROFILE_HELP


def report_cmd(
    policy: Annotated[
        Path,
        typer.Argument(help="Policy file (text, Markdown or HTML); - reads stdin.", readable=False),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the report (.html).")
    ],
    model: Annotated[
        Path | None,
        typer.Option("--model", help=MODEL_HELP),
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="text|markdown|html|opp115 (default: detect)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace output files or directories that exist.")
    ] = False,
    thresholds: Annotated[str | None, typer.Option("--thresholds", help=PROFILE_HELP)] = None,
) -> None:
    """Write one self-contained HTML report of a policy: highlighted sentences, evidence per
    label, "not addressed" and "weak evidence", filters, thresholds and label meanings."""
    from privtag.inference.tagger import Tagger
    from privtag.outputs import Outputs, write_text
    from privtag.render import render_html
    from privtag.segmentation.document import segment_argument

    out = Outputs([policy, model], force).file(output, "--output", suffixes=(".html", ".htm"))
    tagger = Tagger.load(model, thresholds=thresholds)
    tagged = tagger.tag(segment_argument(policy, format))
    for w in tagged.document.warnings:  # as tag prints them; the report shows them too
        typer.echo(f"privtag: warning: {w}", err=True)
    write_text(out, render_html(tagged, tagger))
    typer.echo(f"wrote {out}")

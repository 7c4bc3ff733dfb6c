"""``privtag batch``: the command over :func:`privtag.batch.batch`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.inference.settings import MODEL_OR_BASELINE_HELP, PROFILE_HELP


def batch_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Policy files, folders, .txt lists of paths, .jsonl.gz records."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "-o",
            "--out",
            help="OUT.parquet, OUT.csv or OUT.jsonl. In CSV a text that starts as a spreadsheet "
            "formula (= + - @) gets a leading apostrophe; JSON lines and Parquet keep it exact.",
        ),
    ],
    level: Annotated[
        str, typer.Option("--level", help="Rows per sentence, paragraph or policy.")
    ] = "sentence",
    model: Annotated[
        str | None,
        typer.Option("--model", help=MODEL_OR_BASELINE_HELP),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N policies.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster address (default: local Ray).")
    ] = None,
    actors: Annotated[int, typer.Option("--actors", help="Ray: actors, one model each.")] = 2,
    cpus_per_actor: Annotated[
        float, typer.Option("--cpus-per-actor", help="Ray: CPUs (and torch threads) per actor.")
    ] = 1.0,
    diff_against: Annotated[
        Path | None,
        typer.Option("--diff-against", help="An earlier run's .parquet: which practices changed."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first error (exit 2).")
    ] = False,
    aggregate: Annotated[
        str | None, typer.Option("--aggregate", help="Paragraph aggregation (default: tuned).")
    ] = None,
    dtype: Annotated[str | None, typer.Option("--dtype", help="auto, float32 or bfloat16.")] = None,
    thresholds: Annotated[str | None, typer.Option("--thresholds", help=PROFILE_HELP)] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="A progress bar on stderr (default: when stderr is a terminal, so a log "
            "file gets no bar frames).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the output instead of resuming it.")
    ] = False,
) -> None:
    """Tag many policies into one table, one row per sentence (or paragraph, or policy).

    Resumes an interrupted run with the same output and settings. A policy that cannot
    be tagged goes to OUT.errors.<ext> and the run goes on (exit 0; exit 1 when no policy
    could be tagged); --strict stops.
    """
    import sys

    from privtag.batch import LEVELS, LocalEngine, batch

    if progress is None:  # tqdm's frames are for a terminal: a log file would fill with them
        progress = sys.stderr.isatty()
    if level not in LEVELS:
        raise typer.BadParameter(f"use {', '.join(LEVELS)}, not {level!r}", param_hint="--level")
    if engine == "local":
        runner = LocalEngine(strict=strict, progress=progress)
    elif engine == "ray":
        from privtag.batch.ray_engine import RayEngine, require_ray

        require_ray()
        runner = RayEngine(
            actors, cpus_per_actor, address=ray_address, strict=strict, progress=progress
        )
    else:
        raise typer.BadParameter(f"use local or ray, not {engine!r}", param_hint="--engine")
    try:
        result = batch(
            inputs,
            out,
            model=model,
            level=level,
            engine=runner,
            limit=limit,
            force=force,
            diff_against=diff_against,
            aggregate=aggregate,
            dtype=dtype,
            thresholds=thresholds,
        )
    except KeyboardInterrupt:
        from privtag.batch.sink import parts_dir

        # the committed parts stay: say where, or a user may delete hours of work
        again = "the same command without --force" if force else "the same command"
        typer.echo(
            f"privtag batch: interrupted; the policies done so far are kept in "
            f"{parts_dir(Path(out))}: run {again} to resume (--force starts over)",
            err=True,
        )
        raise typer.Exit(130) from None
    if result.resumed:
        typer.echo(f"resumed the run in {out}", err=True)
    for line in result.stale[:5]:
        typer.echo(f"privtag batch: {line}", err=True)
    if len(result.stale) > 5:
        typer.echo(
            f"privtag batch: and {len(result.stale) - 5} more (see the warnings table)", err=True
        )
    if result.comparison is not None:
        typer.echo(result.comparison.to_text())
    typer.echo(f"privtag batch: {result.summary()}")
    s = result.stats
    if s.errors and not s.policies and not s.skipped:
        # a scheduled job must notice a run in which no policy could be tagged
        typer.echo(
            f"privtag batch: none of the {s.errors} inputs could be tagged; see {result.errors}",
            err=True,
        )
        raise typer.Exit(1)

"""Batch tagging: many policies in, one table of rows out (Parquet, CSV or JSON lines).

An :class:`Engine` runs ``run(inputs, tagger_factory, sink)``: it tags every input not
yet done with a tagger made by ``tagger_factory`` (once per worker) and hands the rows
to the sink in parts. Two engines: :class:`LocalEngine` (default, streaming, one
process) and :class:`RayEngine` (Ray Data, ``--engine ray``); they write identical rows.

Example:
    >>> result = batch(["data/policies"], "policies.parquet", model="rules")  # doctest: +SKIP
    >>> result.stats.policies                                                  # doctest: +SKIP
    5
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from privtag.batch.local import BatchStats, LocalEngine
from privtag.batch.rows import LEVELS
from privtag.batch.sink import PartSink, errors_path, warnings_path
from privtag.batch.sources import BatchInputs
from privtag.errors import plural
from privtag.inference.settings import AUTO_PROFILE
from privtag.outputs import Outputs, spec_paths

__all__ = ["LEVELS", "BatchInputs", "BatchResult", "BatchStats", "Engine", "LocalEngine", "batch"]


class Engine(Protocol):
    """Tags ``inputs`` with a tagger per worker from ``tagger_factory`` into ``sink``."""

    name: str

    def run(self, inputs: BatchInputs, tagger_factory: Callable, sink: PartSink) -> BatchStats: ...


@dataclass
class BatchResult:
    """A finished run: its statistics, outputs, and whether it resumed an earlier one."""

    stats: BatchStats
    out: Path
    errors: Path
    resumed: bool
    comparison: object | None = None  # a privtag.batch.compare.RunComparison
    #: why files done before are out of date (changed or gone since they were tagged)
    stale: list[str] = field(default_factory=list)

    def summary(self) -> str:
        s = self.stats
        line = (
            f"{plural(s.policies, 'policy')} tagged ({plural(s.sentences, 'sentence')}, "
            f"{plural(s.rows, 'row')}), {plural(s.errors, 'error')}"
            + (f" (see {self.errors})" if s.errors else "")  # no table to see for none
        )
        if s.warnings:
            line += f", {plural(s.warnings, 'reader warning')} (see {warnings_path(self.out)})"
        if s.skipped:
            line += f", {s.skipped} done before and skipped"
        if self.stale:
            line += (
                f", {len(self.stale)} of them changed or gone since they were tagged (their rows "
                f"are out of date; see {warnings_path(self.out)}; --force tags afresh)"
            )
        wrote = f"wrote {self.out}" if self.out.exists() else "no output written (nothing tagged)"
        return f"{line}; {s.rate()}; {wrote}"


def batch(
    inputs: Sequence[str | Path],
    out: str | Path,
    *,
    model: str | None = None,
    level: str = "sentence",
    engine: Engine | None = None,
    limit: int | None = None,
    force: bool = False,
    tagger_factory: Callable | None = None,
    diff_against: str | Path | None = None,
    aggregate: str | None = None,
    dtype: str | None = None,
    thresholds: str | None = None,
) -> BatchResult:
    """Tag many policies into one table; resume the same run if it was interrupted.

    Args:
        inputs: files, folders, ``.txt`` lists of paths, ``.jsonl.gz`` records (see
            :mod:`privtag.batch.sources`).
        out: ``.parquet`` (a folder of parts), ``.csv`` or ``.jsonl``.
        model: ``--model`` value: a model directory (default ``model/``), ``rules``,
            ``tfidf:DIR``.
        level: ``sentence``, ``paragraph`` or ``policy`` rows (see :mod:`privtag.batch.rows`).
        engine: default :class:`LocalEngine`.
        limit: tag only the first ``limit`` inputs.
        force: replace an existing output instead of resuming it.
        tagger_factory: makes the tagger (default: loads ``model``); must pickle for Ray.
        diff_against: an earlier run's Parquet output to compare with (see
            :mod:`privtag.batch.compare`); the changes go to ``OUT.changes.<ext>``.
        aggregate, dtype, thresholds: as for :meth:`privtag.Tagger.load`.

    Raises:
        PolicyReadError: an input does not exist; with a strict engine, the first failure.
        OutputError: the output cannot be written, or holds another run (no ``force``).
    """
    from privtag.batch.taggers import load_tagger, model_fingerprint

    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    items = BatchInputs([str(p) for p in inputs], limit=limit)
    outputs = Outputs([*items.read_paths(), *spec_paths([model] if model else [])], force)
    if diff_against is not None:
        from privtag.batch.compare import check_run

        outputs.inputs.append(Path(diff_against))
        check_run(diff_against, level)  # before hours of tagging, not after
    out = Path(out)
    changes = changes_path(out) if diff_against is not None else None
    factory = tagger_factory or functools.partial(load_tagger, model, aggregate, dtype, thresholds)
    settings = {
        "inputs": [str(Path(s).resolve()) for s in items.specs],
        "model": model_fingerprint(model) if tagger_factory is None else _describe(tagger_factory),
        "aggregate": aggregate,
        "dtype": dtype,
    }
    # always recorded: a run decided under another profile (or before "auto" was the
    # default) does not resume into different decisions
    settings["thresholds"] = thresholds or AUTO_PROFILE
    sink = PartSink(out, level, settings, outputs)
    # named after --out, so a clash is --out's to resolve
    changes = outputs.file(changes, f"--out {out}: its changes table", update=sink.resumed)
    engine = engine or LocalEngine()
    stats = engine.run(items, factory, sink)
    comparison = None
    if diff_against is not None:
        from privtag.batch.compare import compare_runs
        from privtag.batch.sink import write_table

        comparison = compare_runs(diff_against, sink.dir)
        write_table(comparison.table(), changes)
    sink.finish()
    return BatchResult(
        stats,
        out,
        errors_path(out),
        sink.resumed,
        comparison,
        stale=[w["warning"] for w in sink.stale],
    )


def changes_path(out: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.changes.parquet``."""
    return out.with_name(f"{out.stem}.changes{out.suffix}")


def _describe(factory: Callable) -> str:
    """A factory's name and arguments, stable across runs (a repr holds memory addresses)."""
    args = ()
    if isinstance(factory, functools.partial):
        factory, args = factory.func, (*factory.args, *sorted(factory.keywords.items()))
    name = f"{getattr(factory, '__module__', '')}.{getattr(factory, '__qualname__', factory)}"
    return f"{name}{args!r}"

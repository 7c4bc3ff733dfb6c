"""``--engine ray``: the batch run on Ray Data, for more cores or more machines.

The plan: ``ray.data.read_json`` for ``.jsonl.gz`` records and a small table of paths
for files, then ``map_batches`` with an actor pool (``actors`` actors of
``cpus_per_actor`` CPUs; each loads the model once, in its constructor), then
``write_parquet`` to a hidden staging folder inside the run's parts folder. The driver
then commits the staged files to the same sink as the local engine (same parts, same
progress log, same errors table), so both engines give identical rows and either one
resumes a run the other began. Work staged but not committed when a run is killed is
done again on resume.

Differences from the local engine: ``read_json`` fails on a malformed JSON line rather
than logging it, a record needs an ``id``, and ``--strict`` stops after the Ray stage
(at the first error in input order) rather than at the first failing policy.

Runs on a local Ray started for the run, or on a cluster with ``address``; see
docs/batch.md. Needs the ``scale`` extra: ``pip install 'privtag[scale]'``.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from privtag.batch.local import BatchStats, strict_error
from privtag.batch.rows import SCHEMAS, tag_input
from privtag.batch.sources import (
    BatchInputs,
    PolicyInput,
    _expand,
    input_key,
    is_records,
    record_input,
)
from privtag.errors import MissingExtraError

INPUT_SCHEMA = pa.schema(
    [("id", pa.string()), ("path", pa.string()), ("text", pa.string()), ("error", pa.string())]
)
#: extra columns of the staged rows: one marker row per policy carries its outcome
_MARKS = [("_marker", pa.bool_()), ("_path", pa.string()), ("_error", pa.string())]
_MARKS += [("_sentences", pa.int64())]


def require_ray():
    """Import Ray, or fail with one line naming the extra to install."""
    try:
        import ray
        import ray.data
    except ImportError as e:
        raise MissingExtraError(
            "--engine ray needs Ray Data: pip install 'privtag[scale]' (or use the default "
            "local engine)"
        ) from e
    return ray


def _record_inputs(batch: pa.Table, where: str) -> pa.Table:
    rows = [record_input(r, f"{where}:{r.get('id')}").__dict__ for r in batch.to_pylist()]
    return pa.Table.from_pylist(rows, schema=INPUT_SCHEMA)


class _TagActor:
    """One actor of the pool: loads the model once, then tags batches of inputs."""

    def __init__(self, tagger_factory: Callable, level: str, threads: int):
        try:  # an actor of one CPU gains nothing from more torch threads, and slows others
            import torch

            torch.set_num_threads(threads)
        except ImportError:
            pass
        # each item's reading notes go into its row; as Python warnings from a worker
        # they would be printed a second time
        import warnings

        from privtag.errors import PolicyReadWarning

        warnings.filterwarnings("ignore", category=PolicyReadWarning)
        self.tagger = tagger_factory()
        self.schema = pa.schema([*SCHEMAS[level], *_MARKS])
        self.level = level

    def __call__(self, batch: pa.Table) -> pa.Table:
        out = []
        for r in batch.to_pylist():
            item = PolicyInput(**r)
            result = tag_input(self.tagger, item, self.level)
            out.append(
                {
                    "policy_id": item.id,
                    "_marker": True,
                    "_path": item.path,
                    "_error": result.error,
                    "_sentences": result.sentences,
                }
            )
            out.extend({**row, "_marker": False} for row in result.rows)
        return pa.Table.from_pylist(out, schema=self.schema)


@dataclass
class RayEngine:
    """Tag on Ray Data (see the module docstring).

    Args:
        actors: actors in the pool (each holds one copy of the model).
        cpus_per_actor: CPUs Ray reserves per actor (also its torch thread count).
        batch_size: policies per ``map_batches`` call.
        address: a Ray cluster (``ray://host:10001`` or ``auto``); None starts a local Ray.
        strict: raise at the first error (after the Ray stage).
        progress: show Ray Data's progress bars.
    """

    actors: int = 2
    cpus_per_actor: float = 1.0
    batch_size: int = 4
    address: str | None = None
    strict: bool = False
    progress: bool = True
    name = "ray"

    def _read(self, ray, inputs: BatchInputs, done: set[str], done_keys: set[str]):
        parts = []
        for spec in inputs.specs:
            if is_records(spec) and Path(spec).is_file():  # else an error row, by _expand
                ds = ray.data.read_json(spec, lines=True).select_columns(["id", "text"])
                if inputs.limit is not None:
                    # before the map: otherwise every record of the file is converted
                    # first (measured: 190 s of a 100-policy run on the 8,615-record corpus)
                    ds = ds.limit(inputs.limit)
                parts.append(
                    ds.map_batches(_record_inputs, fn_args=(spec,), batch_format="pyarrow")
                )
            else:
                items = [i.__dict__ for i in _expand(spec, inputs.extensions, top=True)]
                parts.append(ray.data.from_arrow(pa.Table.from_pylist(items, schema=INPUT_SCHEMA)))
        ds = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
        if inputs.limit is not None:
            ds = ds.limit(inputs.limit)
        if done or done_keys:
            ds = ds.filter(
                lambda row: (
                    row["id"] not in done and (input_key(row["path"]) or "") not in done_keys
                )
            )
        # one block per map call: a single file reads as one block, which one actor
        # would tag alone while the others idle
        return ds.repartition(target_num_rows_per_block=self.batch_size)

    def run(self, inputs: BatchInputs, tagger_factory: Callable, sink) -> BatchStats:
        ray = require_ray()
        if not ray.is_initialized():
            # a local Ray gets one logical CPU more than the actors take: reading and
            # writing tasks need one too, and without it they wait forever for a CPU
            # the actor pool holds (Ray counts reservations, not load)
            local = self.address is None
            ray.init(
                address=self.address,
                num_cpus=math.ceil(self.actors * self.cpus_per_actor) + 1 if local else None,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # the local engine's row order
        context.enable_progress_bars = self.progress
        stats = BatchStats(skipped=len(sink.done))
        start = time.perf_counter()
        ds = self._read(ray, inputs, set(sink.done), set(sink.done_keys)).map_batches(
            _TagActor,
            fn_constructor_args=(tagger_factory, sink.level, max(1, int(self.cpus_per_actor))),
            batch_size=self.batch_size,
            batch_format="pyarrow",
            concurrency=self.actors,
            num_cpus=self.cpus_per_actor,
        )
        staging = Path(sink.dir) / ".ray-staging"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            ds.write_parquet(str(staging.resolve()))
            first_error = self._commit(staging, sink, stats)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        stats.seconds = time.perf_counter() - start
        if self.strict and first_error:
            raise strict_error(first_error)
        return stats

    def _commit(self, staging: Path, sink, stats: BatchStats) -> str | None:
        """Move the staged rows into the sink, one staged file per part; the first error."""
        first_error = None
        schema = SCHEMAS[sink.level]
        for f in sorted(staging.glob("*.parquet")) if staging.is_dir() else []:
            table = pq.read_table(f)
            marker = table.column("_marker").to_pylist()
            marks = table.filter(pa.array(marker)).to_pylist()
            rows = table.filter(pa.array([not m for m in marker])).select(schema.names)
            errors = [
                {"policy_id": m["policy_id"], "path": m["_path"], "reason": m["_error"]}
                for m in marks
                if m["_error"] is not None
            ]
            first_error = first_error or (errors[0]["reason"] if errors else None)
            stats.policies += len(marks) - len(errors)
            stats.errors += len(errors)
            stats.sentences += sum(m["_sentences"] for m in marks)
            stats.rows += rows.num_rows
            ids, paths = [m["policy_id"] for m in marks], [m["_path"] for m in marks]
            sink.write(ids, rows.cast(schema), errors, paths)
        return first_error

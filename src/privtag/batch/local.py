"""The default batch engine: one process, streaming, no Ray needed.

Policies are read one at a time, tagged, and committed to the sink every
``part_policies`` policies, so memory holds one part's rows whatever the corpus size,
and a killed run loses at most one part. The model is loaded once, and only when there
is something left to tag.

Example:
    >>> stats = LocalEngine().run(BatchInputs(["data/policies"]), Tagger.load, sink)  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from privtag.batch.rows import tag_input
from privtag.batch.sources import BatchInputs
from privtag.errors import PolicyReadError


@dataclass
class BatchStats:
    """What a run did: policies tagged, errors, sentences, policies skipped as done, time."""

    policies: int = 0
    errors: int = 0
    warnings: int = 0  # what readers repaired or left out of policies they tagged
    sentences: int = 0
    rows: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def rate(self) -> str:
        """``"3.1 policies/s, 402 sentences/s"`` (tagging time only)."""
        s = max(self.seconds, 1e-9)
        return f"{self.policies / s:.2f} policies/s, {self.sentences / s:.0f} sentences/s"


def strict_error(reason: str) -> PolicyReadError:
    """The error ``--strict`` stops with."""
    return PolicyReadError(f"{reason} (--strict: stopped at the first error)")


@dataclass
class LocalEngine:
    """Tag in this process (see the module docstring).

    Args:
        part_policies: policies per committed part (the resume granularity).
        strict: stop with :class:`PolicyReadError` at the first policy that fails (the
            parts before it are committed, so a rerun resumes).
        progress: show a progress bar (tqdm, on stderr) with policies/s and sentences/s.
    """

    part_policies: int = 20
    strict: bool = False
    progress: bool = True
    name = "local"

    def run(self, inputs: BatchInputs, tagger_factory: Callable, sink) -> BatchStats:
        from tqdm.auto import tqdm

        stats, tagger = BatchStats(), None
        ids: list[str] = []
        paths: list[str] = []
        rows: list[dict] = []
        errors: list[dict] = []
        notes: list[dict] = []
        bar = tqdm(total=inputs.limit, unit=" policies", disable=not self.progress)
        start = time.perf_counter()
        try:
            for item in inputs:
                bar.update()
                if sink.is_done(item.id, item.path):
                    stats.skipped += 1
                    continue
                if tagger is None and item.error is None:
                    tagger = tagger_factory()
                    start = time.perf_counter()  # rates count tagging, not loading
                result = tag_input(tagger, item, sink.level)
                ids.append(item.id)
                paths.append(item.path)
                rows.extend(result.rows)
                stats.rows += len(result.rows)
                stats.sentences += result.sentences
                notes.extend(
                    {"policy_id": item.id, "path": item.path, "warning": w} for w in result.warnings
                )
                stats.warnings += len(result.warnings)
                if result.error is None:
                    stats.policies += 1
                else:
                    stats.errors += 1
                    errors.append({"policy_id": item.id, "path": item.path, "reason": result.error})
                    if self.strict:
                        sink.write(ids, rows, errors, paths, notes)
                        raise strict_error(result.error)
                if len(ids) >= self.part_policies:
                    sink.write(ids, rows, errors, paths, notes)
                    ids, paths, rows, errors, notes = [], [], [], [], []
                stats.seconds = time.perf_counter() - start
                bar.set_postfix_str(stats.rate(), refresh=False)
            sink.write(ids, rows, errors, paths, notes)
        finally:
            bar.close()
        stats.seconds = time.perf_counter() - start
        return stats

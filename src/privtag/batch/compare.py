"""``privtag batch --diff-against OLD``: which policies changed in which practices.

Two runs of the same level are compared policy by policy (by ``policy_id``; when no id is
in both runs of files, as for two snapshot folders, by the end of their paths; policies in
only one run are counted, not compared). Per policy and label: the number of units
(sentences, paragraphs; at policy level, sentences) carrying the label in each run, and
its status, addressed or not. At policy level the status is the run's own (sentences
or paragraphs); at sentence and paragraph level it is "some row carries the label".

Example:
    >>> result = compare_runs("old.parquet", "new.parquet")  # doctest: +SKIP
    >>> result.changed_policies, result.by_label["Data Retention"]  # doctest: +SKIP
    (12, 3)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from privtag.batch.rows import level_of
from privtag.errors import DataError
from privtag.labels import LABEL_IDS, LABELS

CHANGE_SCHEMA = pa.schema(
    [
        ("policy_id", pa.string()),
        ("label", pa.string()),
        ("old", pa.int32()),
        ("new", pa.int32()),
        ("change", pa.string()),
    ]
)


def label_counts(
    path: str | Path,
) -> tuple[str, dict[str, np.ndarray], dict[str, np.ndarray], dict[str, str | None] | None]:
    """``(level, counts, addressed, profiles)`` of a batch output (Parquet file or folder).

    ``counts[policy_id]`` holds 12 unit counts, ``addressed[policy_id]`` 12 flags,
    ``profiles[policy_id]`` the threshold profile that decided it (None for a run written
    before batch outputs recorded it).

    Raises:
        DataError: the path is not a batch output.
    """
    data = _dataset(path)
    level = level_of(data.schema)
    try:
        recorded = "profile" in data.schema.names
        columns = ["policy_id", "labels", *(LABEL_IDS if level == "policy" else [])]
        columns += ["profile"] if recorded else []
        batches = data.to_batches(columns=columns)
    except (OSError, pa.ArrowInvalid, KeyError) as e:
        raise DataError(f"{path}: not a privtag batch output in Parquet ({e})") from e
    index = {name: j for j, name in enumerate(LABELS)}
    counts: dict[str, np.ndarray] = {}
    addressed: dict[str, np.ndarray] = {}
    profiles: dict[str, str | None] = {}
    for b in batches:
        rows = b.to_pylist()
        for r in rows:
            pid = r["policy_id"]
            c = counts.setdefault(pid, np.zeros(len(LABELS), dtype=np.int64))
            a = addressed.setdefault(pid, np.zeros(len(LABELS), dtype=bool))
            for name in r["labels"] or []:
                a[index[name]] = True
                if level != "policy":
                    c[index[name]] += 1
            if level == "policy":
                c[:] = [r[lid] for lid in LABEL_IDS]
            if recorded:
                profiles[pid] = r["profile"]
    return level, counts, addressed, profiles if recorded else None


@dataclass
class RunComparison:
    """Per-policy practice changes between two runs (see the module docstring)."""

    level: str
    compared: int
    only_old: int
    only_new: int
    changes: list[dict] = field(default_factory=list)
    #: compared policies that the two runs decided with different threshold profiles (their
    #: changes may come from the thresholds, not the text); None: a run does not say
    other_profile: int | None = 0
    #: how policies were paired: by ``policy_id``, or (when no id is in both runs of files,
    #: as for two snapshot folders) by the end of their paths
    matched_by: str = "policy_id"

    @property
    def changed_policies(self) -> int:
        """Policies where at least one label changed status."""
        return len({c["policy_id"] for c in self.changes if c["change"].endswith("addressed")})

    @property
    def by_label(self) -> dict[str, int]:
        """Per label: policies where it changed status."""
        out = dict.fromkeys(LABELS, 0)
        for c in self.changes:
            if c["change"].endswith("addressed"):
                out[c["label"]] += 1
        return out

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self.changes, schema=CHANGE_SCHEMA)

    def to_text(self) -> str:
        head = (
            f"against the earlier run: {self.compared} policies compared "
            f"({self.only_old} only in it, {self.only_new} new); {self.changed_policies} "
            "changed status in at least one practice"
        )
        lines = [head]
        if self.matched_by != "policy_id":
            lines.append(f"note: no policy_id is in both runs; paired by {self.matched_by}")
        if not self.compared:
            lines.append(
                "note: no policy of this run is in the earlier one (not by policy_id, nor by "
                "the end of their paths): nothing was compared"
            )
        for name, n in self.by_label.items():
            if n:
                lines.append(f"  {name}: {n}")
        if self.other_profile is None:
            lines.append(
                "note: a run does not record its threshold profiles (written before privtag "
                "recorded them): changes may come from the thresholds; re-run it"
            )
        elif self.other_profile:
            lines.append(
                f"note: {self.other_profile} of the compared policies "
                f"{'was' if self.other_profile == 1 else 'were'} decided with "
                "different threshold profiles in the two runs, so some of their changes come "
                "from the thresholds, not the text; run both with the same fixed --thresholds "
                "(e.g. default) to compare like for like"
            )
        return "\n".join(lines)


def _dataset(path: str | Path) -> pads.Dataset:
    """The Parquet dataset of a batch output, or a DataError that says what is wrong."""
    if not Path(path).exists():
        raise DataError(f"{path}: no such file or folder; give an earlier run's .parquet output")
    try:
        data = pads.dataset(str(path), format="parquet")
    except (OSError, pa.ArrowInvalid) as e:
        raise DataError(f"{path}: not a privtag batch output in Parquet ({e})") from e
    if "policy_id" not in data.schema.names or "labels" not in data.schema.names:
        what = "holds no Parquet rows" if not data.files else "has no policy_id and labels columns"
        raise DataError(
            f"{path}: {what}, so it is not a privtag batch output; give an earlier run's "
            ".parquet output"
        )
    return data


def check_run(path: str | Path, level: str) -> None:
    """Check, before any work, that ``path`` is a batch output of rows at ``level``.

    Raises:
        DataError: it is not a batch output, or holds rows of another level.
    """
    held = level_of(_dataset(path).schema)
    if held != level:
        raise DataError(
            f"--diff-against {path}: it holds {held} rows, this run {level} rows; "
            "compare runs of the same --level"
        )


def compare_runs(old: str | Path, new: str | Path) -> RunComparison:
    """Compare two batch outputs of the same level (see the module docstring).

    Raises:
        DataError: either is not a batch output, or their levels differ.
    """
    level_old, counts_old, addr_old, prof_old = label_counts(old)
    level_new, counts_new, addr_new, prof_new = label_counts(new)
    if level_old != level_new:
        raise DataError(
            f"--diff-against {old}: it holds {level_old} rows, this run {level_new} rows; "
            "compare runs of the same --level"
        )
    # pairs (old id, new id): the same id; failing every one, files whose paths end alike
    # (snap/2024-01/eu/a.txt and snap/2024-06/eu/a.txt)
    pairs = [(pid, pid) for pid in counts_new if pid in counts_old]
    matched_by = "policy_id"
    if not pairs and counts_old and counts_new and _ids_are_files(old) and _ids_are_files(new):
        pairs = _pair_by_path(list(counts_old), list(counts_new))
        matched_by = "the end of their paths" if pairs else matched_by
    known = prof_old is not None and prof_new is not None
    result = RunComparison(
        level_new,
        len(pairs),
        len(counts_old) - len(pairs),
        len(counts_new) - len(pairs),
        other_profile=sum(prof_old[o] != prof_new[n] for o, n in pairs) if known else None,
        matched_by=matched_by,
    )
    for old_id, pid in pairs:
        for j, name in enumerate(LABELS):
            a, b = int(counts_old[old_id][j]), int(counts_new[pid][j])
            was, now = addr_old[old_id][j], addr_new[pid][j]
            if was != now:
                change = "addressed" if now else "not addressed"
            elif a != b:
                change = "more" if b > a else "fewer"
            else:
                continue
            result.changes.append(
                {"policy_id": pid, "label": name, "old": a, "new": b, "change": change}
            )
    return result


def _ids_are_files(run: str | Path) -> bool:
    """Whether a run's policy ids are file paths: it read files and folders, no records
    (whose ids, URLs for one, must never be paired by their last parts)."""
    from privtag.batch.sink import RUN_FILE
    from privtag.batch.sources import is_records

    try:
        inputs = json.loads((Path(run) / RUN_FILE).read_text(encoding="utf-8"))["inputs"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(inputs) and not any(is_records(i) for i in inputs)


def _pair_by_path(old_ids: list[str], new_ids: list[str]) -> list[tuple[str, str]]:
    """Pairs (old id, new id) of files that end alike: each new id with the one old id
    sharing the most trailing path parts (at least the file name); a tie pairs nothing.

    ``snap/2024-01/eu/a.txt`` pairs with ``snap/2024-06/eu/a.txt``, and an ``us/a.txt`` in
    the same run would pair with ``us/a.txt``, not with the ``eu`` one.
    """
    by_name: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for i in old_ids:
        parts = Path(i).parts
        by_name.setdefault(parts[-1], []).append((parts, i))
    pairs, used = [], set()
    for j in new_ids:
        parts = Path(j).parts
        best, ties = 0, []
        for cand, old in by_name.get(parts[-1], []):
            n = 0
            while n < min(len(cand), len(parts)) and cand[-1 - n] == parts[-1 - n]:
                n += 1
            if n > best:
                best, ties = n, [old]
            elif n == best:
                ties.append(old)
        if len(ties) == 1 and ties[0] not in used:
            pairs.append((ties[0], j))
            used.add(ties[0])
    return pairs

"""Where a batch run's rows go: Parquet parts, a progress log, resume, the final outputs.

The parts live in a folder: for ``-o corpus.parquet`` the output itself (a folder that
``pandas.read_parquet`` reads as one table), for ``.csv`` and ``.jsonl`` a hidden folder
``.corpus.csv.parts`` next to the output, joined into the output file at the end and then
removed. The folder holds:

* ``part-00000.parquet``, ...: the rows of a few policies each, each written to a hidden
  name and renamed into place, so a killed run never leaves half a part;
* ``_progress.jsonl``: one line per part, appended after the part is in place, with the
  policy ids it finished, their errors and warnings, the files that failed (resolved,
  to retry) and a stamp of each file tagged (:mod:`privtag.batch.stamps`). A part
  without its line (killed in between) is deleted and its policies are done again;
* ``_run.json``: the run's settings (inputs, level, model, format).

**Resuming.** A later run with the same output resumes when its settings equal the ones
in ``_run.json`` (the same inputs, level, model and format; ``--limit`` may differ, so a
run can be extended): it skips every policy id in the progress log but those that failed
(a missing or unreadable file may be fixed now: they are tried again, and an error
that stays is reported again; one the run does not reach keeps its row; a duplicate is
not retried). A file done before whose bytes changed since, or that is gone, is not
tagged again (its rows are in a committed part): it is named on stderr and in the
warnings table, and ``--force`` starts over. Other
settings, or a folder that is not a batch output, need ``--force``, which starts over.

In ``.csv`` outputs a text cell that starts as a spreadsheet formula (``=``, ``+``,
``-``, ``@``) gets an apostrophe before it, so opening the table in a spreadsheet never
runs a policy's text; ``.jsonl`` and ``.parquet`` keep every text exactly.

The errors table (``policy_id``, ``path``, ``reason``) is written next to the output as
``corpus.errors.parquet`` (``.csv``, ``.jsonl``: the output's format) at the end of
every run, also when it is empty; the warnings table (``policy_id``, ``path``,
``warning``: what a reader repaired or left out of a policy it tagged, as ``privtag tag``
prints it, and the files that changed since they were tagged) as
``corpus.warnings.parquet``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from privtag.batch.rows import ERROR_SCHEMA, WARNING_SCHEMA, to_table
from privtag.batch.sources import DUPLICATE, input_key
from privtag.batch.stamps import changed_since, file_stamp
from privtag.errors import OutputError, shown
from privtag.outputs import Outputs, atomic_file, write_text

FORMATS = (".parquet", ".csv", ".jsonl")
RUN_FILE = "_run.json"
PROGRESS_FILE = "_progress.jsonl"


def errors_path(out: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.errors.parquet``."""
    return out.with_name(f"{out.stem}.errors{out.suffix}")


def warnings_path(out: Path) -> Path:
    """``corpus.parquet`` -> ``corpus.warnings.parquet``."""
    return out.with_name(f"{out.stem}.warnings{out.suffix}")


def parts_dir(out: Path) -> Path:
    """The folder of the parts: the output for Parquet, else a hidden sibling."""
    return out if out.suffix.lower() == ".parquet" else out.with_name(f".{out.name}.parts")


class PartSink:
    """Writes the parts of one run and remembers what is done (see the module docstring).

    Args:
        out: the output (``.parquet``, ``.csv`` or ``.jsonl``).
        level: the rows' level.
        settings: the run's settings, compared with a previous run's to resume.
        outputs: the command's :class:`privtag.outputs.Outputs` (inputs, ``force``).

    Raises:
        OutputError: the output cannot be written, or holds another run and no ``force``.
    """

    def __init__(self, out: Path, level: str, settings: dict, outputs: Outputs):
        out = Path(out)
        fmt = out.suffix.lower()
        if fmt not in FORMATS:
            raise OutputError(f"-o {out}: the name must end in {', '.join(FORMATS)}")
        self.out, self.level, self.format = out, level, fmt
        self.dir = parts_dir(out)
        self.settings = {**settings, "level": level, "format": fmt}
        before = self._previous_run()  # the settings an earlier run here recorded
        self.resumed = before == self.settings and not outputs.force
        if fmt == ".parquet":
            try:
                outputs.directory(out, "-o", update=self.resumed)
            except OutputError as e:
                raise OutputError(f"{e}{self._why_not_resumed(before)}") from None
        else:
            # a finished run's parts were joined into it and removed: nothing to resume
            final = (
                f" (if it is a finished run's: a {fmt} run is final, its parts joined into "
                "it; write .parquet to resume or extend a run with a larger --limit)"
            )
            outputs.file(out, "-o", update=False, exists_hint=final)
            outputs.claim(self.dir, "-o")
        self.errors_file = outputs.file(errors_path(out), "-o", update=self.resumed)
        self.warnings_file = outputs.file(warnings_path(out), "-o", update=self.resumed)
        self.done: set[str] = set()
        #: the inputs done, by :func:`~privtag.batch.sources.input_key`: a resumed run skips
        #: a policy it did, whatever path spelling names it now
        self.done_keys: set[str] = set()
        #: what each done file was when it was tagged (:mod:`privtag.batch.stamps`)
        self.stamps: dict[str, dict] = {}
        #: done files that changed or went away since: their rows are of the old text
        self.stale: list[dict] = []
        self.errors: list[dict] = []
        #: errors of earlier runs whose inputs this run tries again, by policy id: gone
        #: once tried (a new error replaces them), kept if this run does not reach them
        self.pending: dict[str, list[dict]] = {}
        self._pending_keys: dict[str, str] = {}  # a retried file's key -> its old id
        self.warnings: list[dict] = []
        self._next = 0
        self._open()

    def _previous_run(self) -> dict | None:
        """The settings an earlier run in this output recorded, or None."""
        try:
            before = json.loads((self.dir / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return before if isinstance(before, dict) else None

    def _why_not_resumed(self, before: dict | None) -> str:
        """ " (it holds a run with other settings ...: level sentence, not policy)", or ""."""
        if before is None:
            return ""

        def short(v) -> str:
            t = str(v)
            return t if len(t) <= 60 else t[:57] + "..."

        changed = [
            f"{k} {short(before.get(k))}, not {short(v)}"
            for k, v in self.settings.items()
            if before.get(k) != v
        ]
        if not changed:
            return ""
        listed = "; ".join(changed[:3]) + ("; ..." if len(changed) > 3 else "")
        return f" (it holds a run with other settings, so it is not resumed: {listed})"

    def _open(self) -> None:
        if not self.resumed and self.dir.exists():
            if self.dir.is_dir() and not self.dir.is_symlink():
                shutil.rmtree(self.dir)  # --force, or a stale hidden folder of ours
            else:
                self.dir.unlink()
        self.dir.mkdir(exist_ok=True)
        committed = set()
        log = self.dir / PROGRESS_FILE
        if self.resumed and log.is_file():
            for line in log.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # the line a kill cut short: its part is redone
                committed.add(entry["part"])
                # a policy that failed is tried again (the file may be fixed now); one
                # skipped as a duplicate is not: it was tagged under its first name. The
                # keys were resolved when the part was written (a relative path read
                # now would resolve against another folder); older logs lack them
                failed = entry.get("failed") or [
                    {"id": e["policy_id"], "key": input_key(e["path"])}
                    for e in entry["errors"]
                    if DUPLICATE not in e["reason"]
                ]
                ids, keys = {f["id"] for f in failed}, {f["key"] for f in failed}
                self._pending_keys.update((f["key"], f["id"]) for f in failed if f["key"])
                self.done.update(i for i in entry["ids"] if i not in ids)
                # logs written before keys were recorded resume by id alone
                self.done_keys.update(k for k in entry.get("keys", ()) if k not in keys)
                self.stamps.update(
                    (k, v) for k, v in entry.get("stamps", {}).items() if isinstance(v, dict)
                )
                for e in entry["errors"]:
                    if e["policy_id"] in ids:  # its duplicates come back when it is retried
                        self.pending.setdefault(e["policy_id"], []).append(e)
                    else:
                        self.errors.append(e)
                self.warnings.extend(entry.get("warnings", ()))
            # a later part that redid a failed policy settles its earlier errors
            settled = {i for k, i in self._pending_keys.items() if k in self.done_keys}
            self.pending = {
                i: e for i, e in self.pending.items() if i not in self.done and i not in settled
            }
            # keep only whole lines, so the next append does not join a cut one
            with atomic_file(log) as f:
                f.writelines(
                    line + "\n"
                    for line in log.read_text(encoding="utf-8").splitlines()
                    if _is_json(line)
                )
        for f in self.dir.iterdir():
            if (f.name.startswith("part-") and f.name not in committed) or f.name.startswith("."):
                f.unlink()
        numbers = [int(name[5:10]) for name in committed]
        self._next = max(numbers, default=-1) + 1
        self.stale = [
            {"policy_id": stamp.get("id") or key, "path": key, "warning": f"{key}: {why}"}
            for key, stamp in sorted(self.stamps.items())
            if key in self.done_keys and (why := changed_since(key, stamp))
        ]
        write_text(self.dir / RUN_FILE, json.dumps(self.settings, indent=2) + "\n")

    def is_done(self, policy_id: str, path: str) -> bool:
        """Whether a committed part holds the policy ``policy_id`` read from ``path``."""
        key = input_key(path)
        return policy_id in self.done or (key is not None and key in self.done_keys)

    def write(
        self,
        ids: list[str],
        rows: list[dict] | pa.Table,
        errors: list[dict],
        paths: list[str] | None = None,
        warnings: list[dict] | None = None,
    ) -> None:
        """Commit one part: the rows of the policies ``ids`` (read from ``paths``), their
        errors and their readers' warnings."""
        if not ids:
            return
        name = f"part-{self._next:05d}.parquet"
        table = rows if isinstance(rows, pa.Table) else to_table(rows, self.level)
        with atomic_file(self.dir / name, binary=True) as f:
            pq.write_table(table, f)
        # each path resolved once (input_key asks the file system)
        key_of = {p: input_key(p) for p in paths or []}
        keys = [key_of[p] for p in paths or [] if key_of[p] is not None]
        bad = {e["policy_id"] for e in errors}
        stamps = {
            k: stamp
            for i, p in zip(ids, paths or [], strict=False)
            if i not in bad and (k := key_of[p]) and (stamp := file_stamp(k, i))
        }
        warnings = warnings or []
        entry = {"part": name, "ids": ids, "keys": keys, "errors": errors, "warnings": warnings}
        entry["failed"] = [
            {"id": e["policy_id"], "key": key_of.get(e["path"]) or input_key(e["path"])}
            for e in errors
            if DUPLICATE not in e["reason"]
        ]
        if stamps:
            entry["stamps"] = stamps
        # ASCII: a key of a file name that is not UTF-8 holds lone surrogates, which
        # json escapes and reads back as they were (UTF-8 cannot hold them)
        line = json.dumps(entry)
        with open(self.dir / PROGRESS_FILE, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._next += 1
        self.done.update(ids)
        self.done_keys.update(keys)
        self.stamps.update(stamps)
        # tried again (under its id, or its file under another spelling): the old errors
        # give way to this run's outcome
        for i in [*ids, *(self._pending_keys.get(k) for k in keys)]:
            self.pending.pop(i, None)
        self.errors.extend(errors)
        self.warnings.extend(warnings)

    def parts(self) -> list[Path]:
        """The committed part files, in order."""
        return sorted(self.dir.glob("part-*.parquet"))

    def finish(self) -> None:
        """Write the errors and warnings tables, and for CSV/JSONL the output (then drop the
        parts)."""
        untried = [e for kept in self.pending.values() for e in kept]
        errors = pa.Table.from_pylist(_printable(untried + self.errors), schema=ERROR_SCHEMA)
        write_table(errors, self.errors_file)
        notes = pa.Table.from_pylist(_printable(self.stale + self.warnings), schema=WARNING_SCHEMA)
        write_table(notes, self.warnings_file)
        if self.format == ".parquet":
            return
        if not any(pq.ParquetFile(part).metadata.num_rows for part in self.parts()):
            # nothing tagged in any run: no empty output a retry would need --force to
            # replace; the run stays here, so the next one retries its failed inputs. An
            # output this run replaced (--force) goes: left, it would sit beside errors
            # and warnings of another run, and look like this one's
            if not self.resumed and self.out.is_file():
                self.out.unlink()
            return
        with atomic_file(self.out, binary=True) as f:
            for i, part in enumerate(self.parts()):
                _write_part(pq.read_table(part), f, self.format, header=i == 0)
        shutil.rmtree(self.dir)


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def write_table(table: pa.Table, path: Path) -> None:
    """Write a whole table as Parquet, CSV or JSON lines (by ``path``'s suffix), atomically."""
    with atomic_file(path, binary=True) as f:
        if path.suffix.lower() == ".parquet":
            pq.write_table(table, f)
        else:
            _write_part(table, f, path.suffix.lower(), header=True)


def _printable(rows: list[dict]) -> list[dict]:
    """Error and warning rows with every text printable (see :func:`~privtag.errors.shown`):
    their paths are the files' own, which may not be UTF-8."""
    return [{k: shown(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]


def _write_part(table: pa.Table, f, fmt: str, header: bool) -> None:
    # ints stay ints beside nulls (an HTML policy's source offsets): pandas would make the
    # whole column float ("2.0"), so a run's schema would depend on its inputs
    df = table.to_pandas(integer_object_nulls=True)
    if fmt == ".jsonl":
        for row in df.to_dict(orient="records"):
            f.write((json.dumps(_plain(row), ensure_ascii=False) + "\n").encode("utf-8"))
        return
    # CSV has no lists: a label list is written as JSON text ("User Access, Edit and
    # Deletion" holds a comma, so joining names would be ambiguous)
    for col in df.columns:
        kind = table.schema.field(col).type
        if pa.types.is_list(kind):
            df[col] = [json.dumps(list(v), ensure_ascii=False) for v in df[col]]
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            df[col] = [_inert(v) for v in df[col]]
    f.write(df.to_csv(index=False, header=header).encode("utf-8"))


#: What starts a spreadsheet formula (tab and carriage return too, per OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell):
    """A CSV cell a spreadsheet would run as a formula (``=HYPERLINK(...)`` in a policy's
    text), with an apostrophe before it, which spreadsheets show as text (OWASP's advice
    on CSV injection); other cells as they are. JSON lines and Parquet keep the text exact."""
    if isinstance(cell, str) and cell[:1] in _FORMULA_START:
        return "'" + cell
    return cell


def _plain(row: dict) -> dict:
    """Numpy values of a pandas row as plain JSON values."""
    out = {}
    for k, v in row.items():
        if hasattr(v, "tolist"):
            v = v.tolist()
        out[k] = round(v, 4) if isinstance(v, float) else v
    return out

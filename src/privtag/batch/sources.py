"""What ``privtag batch`` reads: files, folders, lists of paths and ``.jsonl.gz`` records.

An input spec is one of:

* a policy file (``.txt``, ``.md``, ``.html``, ...);
* a folder: every file below it (recursively) whose extension is a policy extension;
  any other file (a PDF, a file without extension) is reported in the errors table, and
  hidden files and folders (``.git``, ``.DS_Store``) are passed over;
* a ``.txt`` list of paths: a ``.txt`` file one of whose lines names an existing file or
  folder (relative to the working directory or to the list; a folder as ``name/``), or
  whose every line looks like a path (see :func:`_list_file`); every line but blanks and
  ``#`` comments is then a spec of its own, and a missing one is reported;
* a ``.jsonl`` or ``.jsonl.gz`` file of ``{"id", "text"}`` records, one a line (other
  fields are ignored), such as ``../shared/corpus/policies.jsonl.gz``.

Every policy becomes a :class:`PolicyInput`. A policy that cannot be listed (a bad JSON
line, a record without text, a missing path in a list, a duplicate id) still becomes one,
with its ``error`` set, so that the run logs it in the errors table instead of stopping.

Example:
    >>> items = BatchInputs(["data/policies"], limit=2)  # doctest: +SKIP
    >>> [item.id for item in items]                     # doctest: +SKIP
    ['data/policies/contetra.md', 'data/policies/trustzone.md']
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from privtag.errors import PolicyReadError, shown
from privtag.segmentation.blocks import clean_text
from privtag.segmentation.loading import POLICY_SUFFIXES

POLICY_EXTENSIONS = POLICY_SUFFIXES
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz")
# tables and data files: a list of policies given whole, never one policy
_NOT_POLICIES = (".csv", ".tsv", ".json", ".parquet", ".xlsx", ".xls", ".gz", ".zip")
# a record's path: FILE.jsonl(.gz):LINE (local engine) or FILE.jsonl(.gz):ID (Ray)
_RECORD_AT = re.compile(r"^.*\.jsonl(?:\.gz)?:.+$", re.IGNORECASE)


#: The reason of an input skipped as a duplicate: the one error a resumed run does not
#: retry (its policy was tagged under the first name).
DUPLICATE = "duplicate of a policy read before"


def input_key(path: str) -> str | None:
    """Where a file input comes from, the same however its path was spelt (``c2/a.txt``,
    ``/abs/c2/a.txt``, ``../c2/a.txt``): the resolved file. None for a record, which is
    known by its id (the engines name a record's place differently: line or id).

    A resumed run skips the inputs whose key is done, so a folder named another way
    does not tag (and write) every policy a second time under other ids.

    Example:
        >>> input_key("x/../a.txt") == input_key("a.txt"), input_key("p.jsonl.gz:7")
        (True, None)
    """
    if _RECORD_AT.match(path):
        return None
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        return path


@dataclass(frozen=True)
class PolicyInput:
    """One policy to tag.

    Attributes:
        id: the ``policy_id`` of its rows: the path as found, or the record's ``id``.
        path: where it comes from (a file, or ``records.jsonl.gz:LINE``).
        text: a record's text; ``None`` for a file, which is read when it is tagged.
        error: why it cannot be tagged, found while listing (``None``: fine so far).
    """

    id: str
    path: str
    text: str | None = None
    error: str | None = None

    def source(self) -> bytes | Path:
        """What to give ``Tagger.tag``: bytes for a record, so text is never taken for a path."""
        return Path(self.path) if self.text is None else self.text.encode("utf-8")


def is_records(path: str | Path) -> bool:
    """Whether ``path`` names a JSON-lines file of records (``.jsonl``, ``.jsonl.gz``)."""
    return str(path).lower().endswith(RECORD_SUFFIXES)


def record_input(record: object, where: str) -> PolicyInput:
    """The input of one parsed record (``where``: ``file:LINE``, the id when it has none).

    Both engines call this, so a record gets the same id and the same error in each.
    """
    if not isinstance(record, dict):
        return PolicyInput(where, where, error=f"{where}: not a JSON object; expected {{id, text}}")
    pid = record.get("id")
    # a lone surrogate (valid in JSON, not in UTF-8) would fail every write of the row
    pid = where if pid is None or pid == "" else clean_text(str(pid))
    text = record.get("text")
    if not isinstance(text, str):
        return PolicyInput(pid, where, error=f"{where}: no 'text' string in the record")
    return PolicyInput(pid, where, text=clean_text(text))


def _records(path: Path) -> Iterator[PolicyInput]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{shown(path)}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    what = f"{e.msg.removesuffix(' at')} at column {e.colno}"
                    yield PolicyInput(where, where, error=f"{where}: invalid JSON ({what})")
                    continue
                yield record_input(record, where)
    except (OSError, EOFError, UnicodeDecodeError) as e:
        # a truncated .gz or a binary file: what was read is kept, the rest is one error
        name = shown(path)
        yield PolicyInput(name, str(path), error=f"{name}: cannot read it further ({e})")


def _list_file(path: Path) -> list[tuple[str, int]] | None:
    """The entries of a ``.txt`` list of paths with their line numbers, or None if
    ``path`` is a policy.

    A line *looks like a path* when it has no space and holds a ``/`` or ends in a policy
    or records extension (a heading such as "Security" does not, even if a folder of that
    name exists). A list when one such line names an existing file or folder (then every
    other line is an entry too, and a missing one is reported), or when every line looks
    like a path (a list whose files all moved). Blank lines and ``#`` comments are not
    entries.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None  # tagging it reports the problem
    numbered = [
        (x.strip(), n)
        for n, x in enumerate(lines, 1)
        if x.strip() and not x.lstrip().startswith("#")
    ]
    lines = [x for x, _ in numbered]
    if not lines or any(len(x) > 4096 for x in lines):
        return None
    found = any(_path_like(x) and _exists(_resolve(x, path)) for x in lines)
    if not found and not all(map(_path_like, lines)):
        return None
    return [(str(_resolve(x, path)), n) for x, n in numbered]


def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except (OSError, ValueError):  # a name too long for the OS, a NUL byte
        return False


def _path_like(line: str) -> bool:
    return not any(c.isspace() for c in line) and (
        "/" in line or line.lower().endswith(POLICY_EXTENSIONS + RECORD_SUFFIXES)
    )


def _resolve(entry: str, list_file: Path) -> Path:
    p = Path(entry)
    if p.is_absolute() or p.exists():
        return p
    return list_file.parent / p


def _expand(
    spec: str, extensions: Sequence[str], top: bool, listed_at: str = ""
) -> Iterator[PolicyInput]:
    """The inputs ``spec`` names; ``listed_at`` (``LIST:LINE``) is where a list named it."""
    path = Path(spec)
    if path.is_dir():
        found = False
        for f, problem in _walk(path):
            found = True
            name = shown(f)  # a file name that is not UTF-8 must still fit the output
            if problem is not None:
                yield PolicyInput(name, str(f), error=f"{name}: {problem}; skipped")
            elif f.suffix.lower() in extensions:
                yield PolicyInput(name, str(f))
            else:
                kind = f"a {shown(f.suffix)} file" if f.suffix else "a file without an extension"
                yield PolicyInput(
                    name,
                    str(f),
                    error=f"{name}: {kind}, not a policy ({' '.join(extensions)}); skipped: "
                    "convert it to text or HTML, or give records files as inputs of their own",
                )
        if not found:
            yield PolicyInput(spec, spec, error=f"{spec}: an empty folder; no policy to tag")
    elif is_records(path) and path.is_file():
        yield from _records(path)
    elif not path.exists():
        where = f"{listed_at}: " if listed_at else ""
        fix = "check the list" if listed_at else "check the path"
        yield PolicyInput(
            shown(spec), spec, error=f"{where}{shown(spec)}: no such file or folder; {fix}"
        )
    elif top and path.suffix.lower() == ".txt" and (entries := _list_file(path)) is not None:
        for entry, line in entries:
            yield from _expand(entry, extensions, top=False, listed_at=f"{shown(path)}:{line}")
    elif path.suffix.lower() in _NOT_POLICIES:
        # named on purpose, a .csv is most likely a list of policies, not one: tagged as
        # text, its rows would be one "policy" and the run would look fine
        name = shown(path)
        yield PolicyInput(
            name,
            str(path),
            error=f"{name}: a {path.suffix} file, not a policy; give policy files "
            "or folders, records as .jsonl(.gz) lines with id and text, or a list of "
            "paths as a .txt file, one a line",
        )
    else:
        yield PolicyInput(shown(path), str(path))


def _walk(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """Every entry below ``folder`` that is not hidden, in name order, with why it cannot
    be read (None: a regular file). A folder it may not enter, a broken link, a pipe:
    each is named, not passed over."""
    problems: list[tuple[Path, str]] = []

    def refused(e: OSError) -> None:
        problems.append((Path(e.filename), f"cannot list this folder ({e.strerror})"))

    entries: list[tuple[Path, str | None]] = []
    for root, dirs, files in os.walk(folder, onerror=refused):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            f = Path(root) / name
            if f.is_file():
                entries.append((f, None))
            elif f.is_symlink() and not f.exists():
                entries.append((f, "a link to nothing"))
            else:
                entries.append((f, "not a regular file (a pipe, socket or device)"))
    yield from sorted([*entries, *problems], key=lambda e: e[0].parts)


@dataclass
class BatchInputs:
    """The policies of a batch run, in order: ``specs`` expanded, the first ``limit`` kept.

    Args:
        specs: input specs (see the module docstring); one that does not exist is an
            error row of the run.
        limit: keep only the first ``limit`` policies (errors count); ``None``: all.
        extensions: the file extensions taken from folders.

    Raises:
        PolicyReadError: no spec exists (before any work starts).
    """

    specs: list[str]
    limit: int | None = None
    extensions: tuple[str, ...] = POLICY_EXTENSIONS

    def __post_init__(self):
        self.specs = [str(s) for s in self.specs]
        if not self.specs:
            raise PolicyReadError("no inputs given; name policy files, folders or a .jsonl.gz")
        # one missing input is reported in the errors table, like a missing line of a list;
        # only a run with nothing to read stops here
        if not any(Path(spec).exists() for spec in self.specs):
            raise PolicyReadError(
                f"{', '.join(self.specs)}: no such file or folder; check the path"
            )
        if self.limit is not None and self.limit < 1:
            raise PolicyReadError(f"--limit must be at least 1, not {self.limit}")

    def read_paths(self) -> list[Path]:
        """Every path the run reads as given: the specs, and the entries of ``.txt`` lists
        (an output must be none of them, whatever ``--force`` says)."""
        out = [Path(s) for s in self.specs]
        for spec in self.specs:
            path = Path(spec)
            if path.is_file() and path.suffix.lower() == ".txt":
                out.extend(Path(e) for e, _ in _list_file(path) or [])  # resolved already
        return out

    def __iter__(self) -> Iterator[PolicyInput]:
        """Every policy (after ``limit``); a duplicate id becomes an error."""
        seen: set[str] = set()
        files: set[str] = set()  # the same file named two ways is a duplicate too
        items = itertools.chain.from_iterable(_expand(s, self.extensions, True) for s in self.specs)
        for item in itertools.islice(items, self.limit):
            key = input_key(item.path) if item.error is None else None
            if item.error is None and (item.id in seen or (key is not None and key in files)):
                item = PolicyInput(
                    item.id,
                    item.path,
                    error=f"{item.path}: {DUPLICATE} (id {item.id!r}); skipped",
                )
            seen.add(item.id)
            if key is not None:
                files.add(key)
            yield item

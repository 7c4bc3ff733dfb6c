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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from privtag.errors import PolicyReadError
from privtag.segmentation.blocks import clean_text
from privtag.segmentation.loading import POLICY_SUFFIXES

POLICY_EXTENSIONS = POLICY_SUFFIXES
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz")


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
                where = f"{path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    yield PolicyInput(where, where, error=f"{where}: invalid JSON ({e.msg})")
                    continue
                yield record_input(record, where)
    except (OSError, EOFError, UnicodeDecodeError) as e:
        # a truncated .gz or a binary file: what was read is kept, the rest is one error
        yield PolicyInput(str(path), str(path), error=f"{path}: cannot read it further ({e})")


def _list_file(path: Path) -> list[str] | None:
    """The entries of a ``.txt`` list of paths, or None if ``path`` is a policy.

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
    lines = [x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")]
    if not lines or any(len(x) > 4096 for x in lines):
        return None
    found = any(_path_like(x) and _exists(_resolve(x, path)) for x in lines)
    if not found and not all(map(_path_like, lines)):
        return None
    return [str(_resolve(x, path)) for x in lines]


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


def _expand(spec: str, extensions: Sequence[str], top: bool) -> Iterator[PolicyInput]:
    path = Path(spec)
    if path.is_dir():
        found = False
        for f in sorted(path.rglob("*")):
            if not f.is_file() or any(p.startswith(".") for p in f.relative_to(path).parts):
                continue
            found = True
            if f.suffix.lower() in extensions:
                yield PolicyInput(str(f), str(f))
            else:
                kind = f"a {f.suffix} file" if f.suffix else "a file without an extension"
                yield PolicyInput(
                    str(f),
                    str(f),
                    error=f"{f}: {kind}, not a policy ({' '.join(extensions)}); skipped: "
                    "convert it to text or HTML, or give records files as inputs of their own",
                )
        if not found:
            yield PolicyInput(spec, spec, error=f"{spec}: an empty folder; no policy to tag")
    elif is_records(path) and path.is_file():
        yield from _records(path)
    elif not path.exists():
        yield PolicyInput(spec, spec, error=f"{spec}: no such file or folder; check the list")
    elif top and path.suffix.lower() == ".txt" and (entries := _list_file(path)) is not None:
        for entry in entries:
            yield from _expand(entry, extensions, top=False)
    else:
        yield PolicyInput(str(path), str(path))


@dataclass
class BatchInputs:
    """The policies of a batch run, in order: ``specs`` expanded, the first ``limit`` kept.

    Args:
        specs: input specs (see the module docstring); each must exist.
        limit: keep only the first ``limit`` policies (errors count); ``None``: all.
        extensions: the file extensions taken from folders.

    Raises:
        PolicyReadError: a spec that does not exist (before any work starts).
    """

    specs: list[str]
    limit: int | None = None
    extensions: tuple[str, ...] = POLICY_EXTENSIONS

    def __post_init__(self):
        self.specs = [str(s) for s in self.specs]
        if not self.specs:
            raise PolicyReadError("no inputs given; name policy files, folders or a .jsonl.gz")
        for spec in self.specs:
            if not Path(spec).exists():
                raise PolicyReadError(f"{spec}: no such file or folder; check the path")
        if self.limit is not None and self.limit < 1:
            raise PolicyReadError(f"--limit must be at least 1, not {self.limit}")

    def __iter__(self) -> Iterator[PolicyInput]:
        """Every policy (after ``limit``); a duplicate id becomes an error."""
        seen: set[str] = set()
        items = itertools.chain.from_iterable(_expand(s, self.extensions, True) for s in self.specs)
        for item in itertools.islice(items, self.limit):
            if item.id in seen and item.error is None:
                item = PolicyInput(
                    item.id, item.path, error=f"{item.path}: duplicate id {item.id!r}; skipped"
                )
            seen.add(item.id)
            yield item

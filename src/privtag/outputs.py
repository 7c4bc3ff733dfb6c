"""Writing output files safely: checked before the work starts, never over an input, atomic.

A command lists its inputs and asks :class:`Outputs` about every file or directory it
will write *before* it loads data or models, so a bad target costs no time. The checks
refuse a target that is (or lies inside, or contains) an input of the command, an
existing file or non-empty directory unless ``force``, a missing or read-only parent
directory, and a file name whose extension the writer cannot produce. The writers
(:func:`write_text`, :func:`atomic_file`, :func:`atomic_dir`) build the output next to
the target and move it into place in one step, so an interrupted run or a full disk
leaves the old file whole and never a half-written one.

Example:
    >>> outs = Outputs(inputs=["data/annotations"], force=False)  # doctest: +SKIP
    >>> path = outs.file("results.json", "--json")                # doctest: +SKIP
    >>> write_text(path, "{}\\n")                                 # doctest: +SKIP
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from privtag.errors import DataError, OutputError

PathLike = str | os.PathLike

#: errors of a full disk or quota: the output is reported as unwritable, not a traceback
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

#: data source prefixes whose remainder is a path (``opp115:SPLIT`` names a split instead)
_PATH_PREFIXES = ("labelstudio", "doccano", "tfidf")


def spec_paths(specs: Iterable[str]) -> list[Path]:
    """The paths that data source or model specs read (``opp115:SPLIT`` and ``rules``: none).

    Example:
        >>> spec_paths(["opp115:train", "doccano:x.jsonl", "data/annotations", "rules"])
        [PosixPath('x.jsonl'), PosixPath('data/annotations')]
    """
    paths = []
    for spec in specs:
        kind, sep, rest = spec.partition(":")
        if spec == "rules" or (sep and kind == "opp115"):
            continue
        if sep and kind in _PATH_PREFIXES and not rest.strip():
            # "tfidf:" would read the working directory: say what is missing instead
            raise DataError(f"{spec!r} names no path; write it as {kind}:PATH")
        paths.append(Path(rest if sep and kind in _PATH_PREFIXES else spec))
    return paths


class Outputs:
    """The outputs of one command, each checked when it is declared.

    Args:
        inputs: every path the command reads (files or directories; ``None`` skipped).
        force: allow replacing an existing file or non-empty directory.

    Declaring the same place twice (``--json r --markdown r``) is refused too.
    """

    def __init__(self, inputs: Iterable[PathLike | None] = (), force: bool = False):
        self.inputs = [Path(p) for p in inputs if p is not None and str(p) != ""]
        self.force = force
        self._claimed: list[tuple[str, Path]] = []

    def file(
        self,
        path: PathLike | None,
        option: str,
        suffixes: tuple[str, ...] = (),
        update: bool = False,
        exists_hint: str = "",
    ) -> Path | None:
        """Check that ``path`` can be written as a file; returns it (``None`` passes through).

        Args:
            option: the option that named it, for messages (``"--json"``).
            suffixes: allowed extensions, lower case with the dot (empty: any).
            update: the command edits the existing file on purpose (no ``force`` needed).
            exists_hint: said after "already exists; pass --force" when the file exists.

        Raises:
            OutputError: why the file cannot be written, and what to do.
        """
        if path is None:
            return None
        path = Path(path)
        where = f"{option} {path}"
        if suffixes and path.suffix.lower() not in suffixes:
            raise OutputError(f"{where}: the file name must end in {' or '.join(suffixes)}")
        self._check_inputs(path, where, directory=False)
        self.claim(path, option)
        if path.is_dir():
            raise OutputError(f"{where} is a directory; give a file name")
        if path.exists() and not (self.force or update):
            raise OutputError(f"{where} already exists; pass --force to replace it{exists_hint}")
        _check_parent(path, where)
        return path

    def directory(
        self, path: PathLike | None, option: str, update: bool = False, parents: bool = False
    ) -> Path | None:
        """Check that ``path`` can be written as a directory (as :meth:`file` does for files).

        An existing empty directory is fine; a non-empty one needs ``force`` (its contents
        are replaced) unless ``update``. With ``parents``, the command creates missing
        parent directories itself (a training run's ``runs/NAME``), so they need not exist.
        """
        if path is None:
            return None
        path = Path(path)
        where = f"{option} {path}"
        self._check_inputs(path, where, directory=True)
        self.claim(path, option)
        if path.exists() and not path.is_dir():
            raise OutputError(f"{where} is a file, not a directory; give a directory name")
        if path.is_dir() and any(path.iterdir()) and not (self.force or update):
            raise OutputError(
                f"{where} is not empty; pass --force to replace its contents, or name a new one"
            )
        if not parents:
            _check_parent(path, where)
        return path

    def claim(self, path: PathLike, option: str) -> None:
        """Record ``path`` as written by ``option`` without other checks (e.g. a training
        run's own output directory); raises :class:`OutputError` if another output overlaps it.
        """
        target = Path(path).resolve()
        for other, taken in self._claimed:
            if _overlap(target, taken):
                raise OutputError(
                    f"{option} {path} and {other} would write the same place; give them "
                    "different names"
                )
        self._claimed.append((f"{option} {path}", target))

    def _check_inputs(self, path: Path, where: str, directory: bool) -> None:
        target = path.resolve()
        for given in self.inputs:
            source = given.resolve()
            if target == source or _same_file(path, given):
                raise OutputError(f"{where} is an input of this command; write it elsewhere")
            if source.is_dir() and target.is_relative_to(source):
                raise OutputError(f"{where} is inside the input {given}; write it elsewhere")
            if directory and source.is_relative_to(target):
                raise OutputError(f"{where} holds the input {given}; write it elsewhere")


def _overlap(a: Path, b: Path) -> bool:
    return a.is_relative_to(b) or b.is_relative_to(a)


def _same_file(a: Path, b: Path) -> bool:
    # hard links and bind mounts resolve to different names for one file
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_parent(path: Path, where: str) -> None:
    parent = path.parent
    if not parent.exists():
        raise OutputError(f"{where}: the directory {parent} does not exist; create it first")
    if not parent.is_dir():
        raise OutputError(f"{where}: {parent} is not a directory")
    try:  # a real write, not os.access: read-only mounts and ACLs count too
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".privtag-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(
            f"{where}: cannot write in {parent} ({e.strerror}); choose another place"
        ) from e


def _sibling(path: Path, make: Callable[[Path], object], tag: str = "tmp") -> Path:
    """A new hidden name next to ``path``, created by ``make`` (which fails if it exists)."""
    while True:
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(4)}.{tag}")
        try:
            make(candidate)
            return candidate
        except FileExistsError:
            continue


def _full(path: Path, e: OSError) -> OutputError:
    return OutputError(
        f"{path}: cannot write it ({e.strerror}); free some space or write elsewhere"
    )


def _create_file(p: Path) -> None:
    # mode 0o666 minus the umask, as a plain open() would give (mkstemp gives 0o600)
    os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


@contextmanager
def atomic_file(path: PathLike, binary: bool = False) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one step.

    On an error the temporary file is removed and ``path`` is left as it was. An existing
    file's permissions are kept. A full disk raises :class:`OutputError` naming ``path``.

    Example:
        >>> with atomic_file("chart.png", binary=True) as f:  # doctest: +SKIP
        ...     fig.savefig(f, format="png")
    """
    path = Path(path)
    tmp = _sibling(path, _create_file)
    try:
        with open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if path.is_file():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.errno in DISK_FULL:
            raise _full(path, e) from e
        raise


def write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path.

    Example:
        >>> write_text("report.md", "# Report\\n")  # doctest: +SKIP
        PosixPath('report.md')
    """
    with atomic_file(path) as f:
        f.write(text)
    return Path(path)


@contextmanager
def atomic_dir(path: PathLike, update: bool = False) -> Iterator[Path]:
    """Give a temporary directory next to ``path`` to fill; on success it becomes ``path``.

    Whatever was at ``path`` is replaced as a whole (moved aside, then deleted); on an
    error the temporary directory is deleted and ``path`` is untouched. A full disk
    raises :class:`OutputError` naming ``path``.

    Args:
        update: start from a copy of the existing directory (an in-place update that
            keeps files the writer does not write).

    Example:
        >>> with atomic_dir("model") as tmp:  # doctest: +SKIP
        ...     tagger.save(tmp, compact=True)
    """
    path = Path(path)
    tmp = _sibling(path, lambda p: os.mkdir(p, 0o777))
    try:
        if update and path.is_dir():
            shutil.copytree(path, tmp, dirs_exist_ok=True)
        yield tmp
        if os.path.lexists(path):
            old = path.with_name(f".{path.name}.{secrets.token_hex(4)}.old")
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink()
        else:
            os.rename(tmp, path)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError) and e.errno in DISK_FULL:
            raise _full(path, e) from e
        raise

"""privtag's own annotation files, validated against their policies, and read.

One JSON object per line, one line per sentence::

    {"policy": "zarget", "sentence_id": "s3", "start": 120, "end": 176,
     "text": "We collect the email addresses of those who write to us.",
     "labels": ["First Party Collection/Use"], "section": ["Privacy", "Cookies"],
     "note": "optional free text"}

``start``/``end`` point into ``segment(file).text`` of the policy file
``<policies_dir>/<policy>.<md|txt|html|htm>``. CSV files have the same columns, with
``labels`` joined by ``;`` and ``section`` joined by ``" > "``. The fields, reading a file
into rows and the checks of one row alone are :mod:`privtag.data.annotation_format`'s;
this module checks rows against the policy text: offsets, one record per sentence of the
segmenter, no duplicates or overlaps, and no sentence left without a record.

Every problem in a file is reported at once, each as
``FILE:LINE: field: what is wrong; what to do``.

Example:
    >>> problems = validate_annotations(["data/annotations/zarget.jsonl"])  # doctest: +SKIP
    >>> problems                                                           # doctest: +SKIP
    []
"""

from __future__ import annotations

import bisect
import itertools
import json
import warnings
from collections.abc import Iterable
from pathlib import Path

# FIELDS, MAX_POLICY_NAME and suggest_label are re-exported: they were defined here before
from privtag.data.annotation_format import (  # noqa: F401
    FIELDS,
    MAX_POLICY_NAME,
    POSITION_FIELDS,
    annotation_files,
    check_row,
    passed_over,
    path_list,
    read_rows,
    suggest_label,
)
from privtag.errors import (
    AnnotationError,
    DataError,
    PrivtagError,
    outside_stacklevel,
    read_from,
)
from privtag.segmentation.units import previous_texts

POLICY_EXTENSIONS = (".md", ".txt", ".html", ".htm")


class PassedOverWarning(UserWarning):
    """A file or subfolder of an annotation folder that is not read (see
    :func:`~privtag.data.annotation_format.passed_over`)."""


_NO_RECORDS = "no records"
# src/privtag/data/annotations.py -> the repository root's data/policies
_REPO_POLICIES = Path(__file__).resolve().parents[3] / "data" / "policies"


def find_policy(name: str, policies_dir: Path) -> Path | None:
    """The file ``<policies_dir>/<name>.<ext>``, one of :data:`POLICY_EXTENSIONS`.

    None when there is none, or when the name cannot be a file name on this system
    (too long, a NUL byte).

    Raises:
        DataError: two or more such files (``acme.md`` and ``acme.txt``): which one the
            offsets were taken from cannot be known.
    """
    found = []
    for ext in POLICY_EXTENSIONS:
        try:
            if (policies_dir / f"{name}{ext}").is_file():
                found.append(policies_dir / f"{name}{ext}")
        except (OSError, ValueError):
            return None
    if len(found) > 1:
        raise _TwoTexts(
            f"policy {name!r} has {len(found)} text files ({', '.join(f.name for f in found)}) "
            f"in {policies_dir}",
            "keep the one its offsets were taken from",
        )
    return found[0] if found else None


class _TwoTexts(DataError):
    """:func:`find_policy`'s error, kept in its two parts for a validation problem."""

    def __init__(self, what: str, fix: str):
        super().__init__(f"{what}; {fix}")
        self.what, self.fix = what, fix


def _policies_dir(file: Path, given: str | Path | None) -> Path:
    # data/annotations/x.jsonl -> data/policies, data/annotations/modern/x.jsonl ->
    # data/policies/modern, any/dir/x.jsonl -> any/dir/policies or any/policies; else the
    # repository's
    if given is not None:
        if not Path(given).is_dir():
            what = "is a file, not a folder" if Path(given).exists() else "no such folder"
            what += read_from(given)
            raise DataError(
                f"{given}: {what}; give the folder that holds the annotated policies' texts "
                "(--policies DIR; data.policies in a recipe)"
            )
        return Path(given)
    here = file.resolve().parent
    # policies/ inside the annotations' folder, then beside it
    candidates = [here / "policies", here.parent / "policies"]
    for up in (here, *here.parents):
        if up.name == "annotations":
            candidates.insert(0, up.parent / "policies" / here.relative_to(up))
            break
    found = next((c for c in candidates if c.is_dir()), _REPO_POLICIES)
    # relative to the working directory when inside it, so messages stay short
    return found.relative_to(Path.cwd()) if found.is_relative_to(Path.cwd()) else found


def parse_annotations(
    paths: Iterable[str | Path] | str | Path, policies_dir: str | Path | None = None
) -> tuple[list[dict], list[str]]:
    """Read and check annotation files, collecting every problem instead of stopping.

    Args:
        paths: .jsonl/.csv files, or directories holding them.
        policies_dir: where ``<policy>.<ext>`` files are; by default ``policies/`` next
            to the annotations' directory if it exists, else the repository's ``data/policies``.

    Returns:
        ``(records, problems)``: records carry the :data:`FEATURES` columns (with
        ``paragraph`` and ``previous`` from the segmenter); each problem reads
        ``FILE:LINE: field: what is wrong; what to do``. Records are complete only
        when ``problems`` is empty.
    """
    from privtag.segmentation.document import segment

    found: list[tuple[str, int, str]] = []
    docs: dict[Path, object] = {}
    seen_ids: dict[tuple[str, str], str] = {}
    by_policy: dict[str, list[tuple[str, int, dict, object, bool]]] = {}  # (..., offsets ok)
    # ids and texts named by rows with a problem: a sentence they claim is not also
    # reported as "without a record" (the row's own problem says what to fix)
    claimed: dict[str, set] = {}
    unreadable: set[str] = set()  # files with a line that could not be read as a record
    records: list[dict] = []
    paths = path_list(paths)  # a generator: read once
    # a misnamed annotation file is named wherever files are read; a subfolder (seed
    # annotations keep their check sets in some) only by `privtag validate`
    for note in passed_over(paths, subfolders=False):
        warnings.warn(note, PassedOverWarning, stacklevel=outside_stacklevel())
    for given in paths:
        if Path(given).is_dir() and not annotation_files([given]):
            found.append(
                (
                    str(given),
                    1,
                    f"{given}:1: file: no .jsonl or .csv files in this "
                    "directory; give annotation files or the directory holding them",
                )
            )
    read: dict[Path, Path] = {}
    for path in annotation_files(paths):
        key = path.resolve()
        if key in read:  # one file named twice (a folder and a file in it): its rows once
            found.append(
                (
                    str(path),
                    1,
                    f"{path}:1: file: given twice (also as {read[key]}); give each file once",
                )
            )
            continue
        read[key] = path
        fname, pdir = str(path), _policies_dir(path, policies_dir)
        missing_policy: set[str] = set()

        def bad(line, field, what, fix, _f=fname):
            found.append((_f, line, f"{_f}:{line}: {field}: {what}; {fix}"))

        def check(line: int, obj: dict, _f=fname, _d=pdir, _m=missing_policy) -> bool:
            """Check one row; True when it is valid (then it joins ``by_policy``)."""
            failed: set[str] = set()
            ok = check_row(obj, lambda *a: bad(line, *a), failed)
            policy, sid = obj.get("policy"), obj.get("sentence_id")
            # ids are tracked on rows with other problems too: a later copy is still named
            if isinstance(policy, str) and isinstance(sid, str):
                if (policy, sid) in seen_ids:
                    bad(
                        line,
                        "sentence_id",
                        f"duplicate id {sid!r} for policy {policy!r} "
                        f"(first at {seen_ids[policy, sid]})",
                        "give each sentence its own id",
                    )
                    return False
                seen_ids[policy, sid] = f"{_f}:{line}"
            if failed & POSITION_FIELDS:
                return False  # a row that cannot be placed: its other problems say why
            try:
                pfile = find_policy(policy, _d)
            except _TwoTexts as e:
                if policy not in _m:
                    _m.add(policy)
                    bad(line, "policy", e.what, e.fix)
                return False
            if pfile is None:
                if policy not in _m:  # once per file, not on every line
                    _m.add(policy)
                    bad(
                        line,
                        "policy",
                        f"no policy file {policy}{'/'.join(POLICY_EXTENSIONS)} in {_d}",
                        "name the folder of policy texts (--policies DIR; data.policies in a "
                        "recipe), or keep them in policies/ inside or beside the annotations' "
                        "folder",
                    )
                return False
            if pfile not in docs:
                try:
                    docs[pfile] = segment(pfile)
                except PrivtagError as e:
                    docs[pfile] = None
                    bad(line, "policy", f"cannot segment {pfile}: {e}", "fix the policy file")
            doc, s, e = docs[pfile], obj["start"], obj["end"]
            if doc is None:
                return False
            if doc.text[s:e] != obj["text"]:
                at = doc.text.find(obj["text"])
                fix = (
                    f"set start to {at} and end to {at + e - s}"
                    if at >= 0
                    else f"copy the text and offsets from `privtag segment {pfile} --json`"
                )
                there = (
                    f"which reads {doc.text[s:e][:60]!r}"
                    if e <= len(doc.text)
                    else f"beyond the end of {pfile} ({len(doc.text)} characters)"
                )
                bad(line, "start", f"text does not match the policy text at {s}:{e}, {there}", fix)
                by_policy.setdefault(policy, []).append((_f, line, obj, doc, False))
                return False
            # placed, but with another problem (a section or labels of the wrong type): not
            # a record yet, though its offsets were checked with the rest
            by_policy.setdefault(policy, []).append((_f, line, obj, doc, ok))
            return ok

        before = len(found)
        rows = read_rows(path, bad)
        if len(found) > before:
            unreadable.add(fname)  # a line lost: what it claimed is unknown
        if not rows and len(found) == before:
            bad(1, "file", _NO_RECORDS, "add one record per sentence, or leave the file out")
        for line, obj in rows:
            if not check(line, obj) and isinstance(obj.get("policy"), str):
                claimed.setdefault(obj["policy"], set()).update(
                    (k, obj[f])
                    for k, f in (("id", "sentence_id"), ("text", "text"))
                    if isinstance(obj.get(f), str)
                )
    for policy, entries in by_policy.items():
        _check_coverage(
            entries,
            claimed.get(policy, set()),
            lambda f, ln, *a: found.append((f, ln, f"{f}:{ln}: " + ": ".join(a[:2]) + "; " + a[2])),
            records,
            # a sentence whose record is on an unreadable line is not missing: once that
            # line is fixed, the check runs again (advice to add it would make a duplicate)
            coverage=not any(f in unreadable for f, *_ in entries),
        )
    found.sort(key=lambda t: (t[0], t[1]))
    return records, [p for _, _, p in found]


def _check_coverage(entries, claimed: set, bad, records: list[dict], coverage: bool = True) -> None:
    """Report overlapping records and, if ``coverage``, sentences without a record; build
    the records."""
    doc = entries[0][3]
    valid = sorted((o["start"], o["end"], f, ln, o) for f, ln, o, _, ok in entries if ok)
    starts = [s.start for s in doc.sentences]
    previous = previous_texts(doc.sentences)
    prev_end, prev_at = -1, ""
    for s, e, f, ln, o in valid:
        if s < prev_end:
            bad(
                f,
                ln,
                "start",
                f"overlaps the record at {prev_at}",
                "each character belongs to one sentence: fix the offsets or merge the records",
            )
        prev_end, prev_at = max(prev_end, e), f"{f}:{ln}"
        i = bisect.bisect_right(starts, s) - 1
        _check_aligned(doc, i, s, e, lambda *a, _f=f, _ln=ln: bad(_f, _ln, *a))
        sent = doc.sentences[i] if i >= 0 else None
        section = list(o["section"])
        if sent is not None and (sent.start, sent.end) == (s, e):
            # training reads the section as the unit's context: it must be the heading path
            # the policy has, as `previous` is; an empty one is filled in
            if section and section != list(sent.section):
                bad(
                    f,
                    ln,
                    "section",
                    f"{section!r} is not the heading path above this sentence "
                    f"({list(sent.section)!r})",
                    "copy it from `privtag segment --json`, or leave it [] to have it filled in",
                )
            section = list(sent.section)
        records.append(
            {
                "policy": o["policy"],
                "unit_id": o["sentence_id"],
                "text": o["text"],
                "labels": o["labels"],
                "section": section,
                "start": s,
                "end": e,
                "paragraph": sent.paragraph if sent else -1,
                "previous": previous[i] if sent else "",
                "source": f"annotations:{Path(f).name}",
                "attributes": json.dumps({"note": o["note"]}) if o.get("note") else "{}",
            }
        )
    if not coverage:
        return
    spans = [(s, e) for s, e, *_ in valid]
    # where a missing sentence belongs: next to the rows around its offsets, wrong or not
    rows = sorted((o["start"], f, ln) for f, ln, o, *_ in entries)
    for sent in doc.sentences:
        j = bisect.bisect_left(spans, (sent.end, -1))
        if (j > 0 and spans[j - 1][1] > sent.start) or {
            ("id", sent.id),
            ("text", sent.text),
        } & claimed:
            continue
        k = bisect.bisect_left(rows, (sent.end, ""))
        _, f, ln = rows[min(k, len(rows) - 1)]
        where = "before" if k < len(rows) else "after"
        bad(
            f,
            ln,
            "sentence_id",
            f"sentence {sent.id} ({sent.start}:{sent.end} {sent.text[:50]!r}) has no record",
            f"add a record for it {where} this line",
        )


def _check_aligned(doc, i: int, s: int, e: int, bad) -> None:
    """A record must be one sentence of the current segmentation, as the tagger sees them."""
    if i >= 0 and (doc.sentences[i].start, doc.sentences[i].end) == (s, e):
        return
    over = [
        x
        for x in itertools.takewhile(lambda x: x.start < e, doc.sentences[max(i, 0) :])
        if x.end > s
    ][:8]
    how = f"`privtag segment {doc.metadata.get('path') or 'POLICY_FILE'} --json`"
    if len(over) > 1:
        bad(
            "start",
            f"spans {len(over)} sentences of the segmenter ("
            + ", ".join(f"{x.id} {x.start}:{x.end}" for x in over)
            + ")",
            f"split it into one record per sentence, as {how} gives them",
        )
    elif over:
        bad(
            "start",
            f"is only part of sentence {over[0].id} ({over[0].start}:{over[0].end})",
            f"make it the whole sentence, as {how} gives it",
        )


def policy_folders(
    paths: Iterable[str | Path] | str | Path, policies_dir: str | Path | None = None
) -> set[Path]:
    """The folders :func:`parse_annotations` reads the policy texts of ``paths`` from."""
    if policies_dir is not None:
        return {Path(policies_dir)}
    return {_policies_dir(p, None) for p in annotation_files(paths)}


def policy_files(
    paths: Iterable[str | Path] | str | Path, policies_dir: str | Path | None = None
) -> dict[str, Path]:
    """The text file of every policy the annotation files name, found as
    :func:`parse_annotations` finds it: ``{policy: file}``.

    Rows that cannot be read are skipped here (:func:`validate_annotations` reports them).

    Raises:
        DataError: a policy has no text file, or two (``acme.md`` and ``acme.txt``),
            naming the annotation file and the folder looked in; or ``policies_dir`` is
            not a folder.

    Example:
        >>> policy_files(["data/annotations/zarget.jsonl"])  # doctest: +SKIP
        {'zarget': PosixPath('data/policies/zarget.md')}
    """
    out: dict[str, Path] = {}
    for path in annotation_files(paths):
        pdir = _policies_dir(path, policies_dir)
        names = dict.fromkeys(
            obj["policy"]
            for _, obj in read_rows(path, lambda *a: None)
            if isinstance(obj.get("policy"), str)
        )
        for name in names:
            found = find_policy(name, pdir)
            if found is None:
                raise DataError(
                    f"{path}: no policy file {name}{'/'.join(POLICY_EXTENSIONS)} in {pdir}; "
                    "give the folder of the policy texts with --policies"
                )
            out.setdefault(name, found)
    return out


def validate_annotations(
    paths: Iterable[str | Path] | str | Path, policies_dir: str | Path | None = None
) -> list[str]:
    """Every problem in annotation files (empty when they are valid).

    Example:
        >>> validate_annotations(["data/annotations/zarget.jsonl"])  # doctest: +SKIP
        []
    """
    return parse_annotations(paths, policies_dir)[1]


def read_annotations(
    paths: Iterable[str | Path] | str | Path, policies_dir: str | Path | None = None
) -> list[dict]:
    """Records of valid annotation files. Raises :class:`AnnotationError` listing all problems."""
    paths = path_list(paths)  # a generator is read once, here
    records, problems = parse_annotations(paths, policies_dir)
    # files that are all empty: one line saying so, not one problem per file; an empty
    # file beside others is skipped, but said (it may be an export that failed)
    if problems and not all(f": file: {_NO_RECORDS};" in p for p in problems):
        raise AnnotationError(problems)
    if records:
        for problem in problems:
            name = problem.partition(f":1: file: {_NO_RECORDS};")[0]
            warnings.warn(
                f"{name}: no records, skipped (add records, or leave the file out)",
                PassedOverWarning,
                stacklevel=outside_stacklevel(),
            )
    if not records:
        raise DataError(
            f"no annotation records in {', '.join(map(str, annotation_files(paths)))}"
            "; give files with at least one record"
        )
    return records

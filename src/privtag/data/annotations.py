"""privtag's own annotation format: reading and validating JSONL and CSV files.

One JSON object per line, one line per sentence::

    {"policy": "zarget", "sentence_id": "s3", "start": 120, "end": 176,
     "text": "We collect the email addresses of those who write to us.",
     "labels": ["First Party Collection/Use"], "section": ["Privacy", "Cookies"],
     "note": "optional free text"}

``start``/``end`` point into ``segment(file).text`` of the policy file
``<policies_dir>/<policy>.<md|txt|html|htm>``. CSV files have the same columns, with
``labels`` joined by ``;`` and ``section`` joined by ``" > "``.

Every problem in a file is reported at once, each as
``FILE:LINE: field: what is wrong; what to do``.

Example:
    >>> problems = validate_annotations(["data/annotations/zarget.jsonl"])  # doctest: +SKIP
    >>> problems                                                           # doctest: +SKIP
    []
"""

from __future__ import annotations

import bisect
import csv
import difflib
import itertools
import json
from collections.abc import Iterable
from pathlib import Path

from privtag.errors import AnnotationError, DataError, PrivtagError
from privtag.labels import LABEL_IDS, LABELS, label_index
from privtag.segmentation.units import previous_texts

#: Fields of an annotation record and how to write them (used in error messages).
FIELDS = {
    "policy": 'a string: the policy file name without extension, e.g. "zarget"',
    "sentence_id": 'a string unique within the policy, e.g. "s12"',
    "start": "an integer: character offset of the sentence in the policy text",
    "end": "an integer: character offset just after the sentence",
    "text": "a string: the sentence, exactly as in the policy text",
    "labels": 'a list of label names, e.g. ["Data Security"] ([] for none)',
    "section": 'a list of headings, outermost first, e.g. ["Privacy", "Cookies"]',
    "note": "a string (optional)",
}
_TYPES = {"start": int, "end": int, "labels": list, "section": list}
POLICY_EXTENSIONS = (".md", ".txt", ".html", ".htm")
_NO_RECORDS = "no records"
#: Longest policy name: with an extension it must stay a valid file name (255 bytes).
MAX_POLICY_NAME = 200
_REPO_POLICIES = Path(__file__).resolve().parents[2] / "data" / "policies"


def suggest_label(name: str) -> str:
    """A hint naming the valid label closest to ``name`` (display names and short ids).

    Example:
        >>> suggest_label("Data Securty")
        "did you mean 'Data Security'?"
    """
    keys = {k.lower(): k for k in (*LABELS, *LABEL_IDS)}
    near = difflib.get_close_matches(str(name).strip().lower(), keys, n=1, cutoff=0.5)
    if near:
        return f"did you mean {keys[near[0]]!r}?"
    return "use one of: " + "; ".join(LABELS)


def annotation_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand ``paths``: files as given, directories to their ``*.jsonl`` and ``*.csv`` files."""
    out: list[Path] = []
    for p in map(Path, [paths] if isinstance(paths, str | Path) else paths):
        out.extend(
            sorted(q for q in p.iterdir() if q.suffix in (".jsonl", ".csv")) if p.is_dir() else [p]
        )
    return out


def _read_rows(path: Path, bad) -> list[tuple[int, dict]]:
    """(line, raw dict) of every record of a .jsonl or .csv file; problems go to ``bad``."""
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        bad(1, "file", "file not found", "check the path")
        return []
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as e:
        bad(1, "file", f"cannot read it ({e.__class__.__name__})", "save it as UTF-8 text")
        return []
    content = content.removeprefix("\ufeff")
    rows: list[tuple[int, dict]] = []
    if path.suffix == ".csv":
        reader = csv.DictReader(content.splitlines(keepends=True))
        missing = [f for f in FIELDS if f != "note" and f not in (reader.fieldnames or [])]
        if missing:
            bad(
                1,
                "columns",
                f"missing column(s) {', '.join(missing)}",
                "the header row must name: " + ",".join(FIELDS),
            )
            return []
        for row in reader:
            # line_num is the row's last line (a quoted cell may span several)
            rows.append((reader.line_num, _from_csv(row, reader.line_num, bad)))
        return rows
    if path.suffix != ".jsonl":
        bad(
            1,
            "file",
            f"unknown annotation file type {path.suffix!r}",
            "use .jsonl or .csv (a Label Studio or doccano export: use `labelstudio:` or "
            "`doccano:` sources, see privtag.data.importers)",
        )
        return []
    # only "\n" ends a record: json.dumps(ensure_ascii=False) writes U+2028 and other
    # characters splitlines() breaks on raw inside strings
    for n, text in enumerate(content.split("\n"), 1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            bad(
                n,
                "json",
                f"invalid JSON ({e.msg} at column {e.colno})",
                "write one complete JSON object per line",
            )
            continue
        if not isinstance(obj, dict):
            bad(
                n,
                "json",
                f"expected a JSON object, got {type(obj).__name__}",
                'write {"policy": ..., "sentence_id": ..., ...} on the line',
            )
            continue
        rows.append((n, obj))
    return rows


def _from_csv(row: dict, line: int, bad) -> dict:
    out: dict = {k: v for k, v in row.items() if k is not None and v is not None}
    if None in row:
        bad(line, "columns", "more cells than columns", "quote cells that contain commas")
    for key in ("start", "end"):
        if out.get(key, "").strip().lstrip("-").isdigit():  # else the type check reports it
            out[key] = int(out[key])
    out["labels"] = [x.strip() for x in out.get("labels", "").split(";") if x.strip()]
    out["section"] = [x.strip() for x in out.get("section", "").split(" > ") if x.strip()]
    if not out.get("note"):
        out.pop("note", None)
    return out


def _check_row(obj: dict, bad) -> bool:
    """Check fields and types of one raw record; True when it can be checked further."""
    ok = True
    for key in obj:
        if key not in FIELDS:
            near = difflib.get_close_matches(key, FIELDS, n=1)
            fix = (
                f"rename it to {near[0]!r}"
                if near and near[0] not in obj
                else "remove it (free text goes in 'note')"
            )
            bad(key, f"unknown field {key!r}", fix)
    for key, how in FIELDS.items():
        if key not in obj:
            if key != "note":
                bad(key, "missing field", f"add it: {how}")
                ok = False
            continue
        value, typ = obj[key], _TYPES.get(key, str)
        good = isinstance(value, typ) and not isinstance(value, bool)
        if good and typ is list:
            good = all(isinstance(x, str) for x in value)
        if not good:
            bad(key, f"wrong type: {json.dumps(value, ensure_ascii=False)[:60]}", f"write {how}")
            ok = False
    # label names are checked even when another field is wrong: every problem at once
    if isinstance(obj.get("labels"), list):
        _check_labels(obj["labels"], bad)
    if not ok:
        return False
    if (
        not obj["policy"].strip()
        or any(c in obj["policy"] for c in "/\\")
        or obj["policy"].startswith(".")
        or not obj["policy"].isprintable()
        or len(obj["policy"]) > MAX_POLICY_NAME
    ):
        shown = obj["policy"][:60] + ("..." if len(obj["policy"]) > 60 else "")
        bad(
            "policy",
            f"invalid policy name {shown!r}",
            f"write {FIELDS['policy']} (at most {MAX_POLICY_NAME} printable characters)",
        )
        ok = False
    if not obj["sentence_id"].strip():
        bad("sentence_id", "empty id", f"write {FIELDS['sentence_id']}")
    if not obj["text"].strip():
        bad(
            "text",
            "empty text",
            "copy the sentence from `privtag segment POLICY_FILE --json`, or delete the line",
        )
        ok = False
    elif obj["start"] < 0:
        bad("start", f"negative offset {obj['start']}", "write the offset in the policy text")
        ok = False
    elif obj["end"] - obj["start"] != len(obj["text"]):
        bad(
            "end",
            f"end - start is {obj['end'] - obj['start']} but the text has "
            f"{len(obj['text'])} characters",
            "set end = start + length of text",
        )
        ok = False
    return ok


def _check_labels(names: list, bad) -> None:
    """Unknown and repeated label names of one record (a name and its id are one label)."""
    seen: dict[int, str] = {}
    for name in names:
        if not isinstance(name, str):
            continue  # the type check reports it
        try:
            i = label_index(name)
        except KeyError:
            bad("labels", f"unknown label {name!r}", suggest_label(name))
            continue
        if i in seen:
            bad("labels", f"{LABELS[i]!r} is listed twice", "list each label once")
        seen[i] = name


def find_policy(name: str, policies_dir: Path) -> Path | None:
    """The file ``<policies_dir>/<name>.<ext>`` for the first of :data:`POLICY_EXTENSIONS`.

    None when there is none, or when the name cannot be a file name on this system
    (too long, a NUL byte).
    """
    for ext in POLICY_EXTENSIONS:
        try:
            if (policies_dir / f"{name}{ext}").is_file():
                return policies_dir / f"{name}{ext}"
        except (OSError, ValueError):
            return None
    return None


def _policies_dir(file: Path, given: str | Path | None) -> Path:
    # data/annotations/x.jsonl -> data/policies; else the repository's data/policies
    if given is not None:
        return Path(given)
    sibling = file.resolve().parent.parent / "policies"
    found = sibling if sibling.is_dir() else _REPO_POLICIES
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
    records: list[dict] = []
    for given in [paths] if isinstance(paths, str | Path) else paths:
        if Path(given).is_dir() and not annotation_files([given]):
            found.append(
                (
                    str(given),
                    1,
                    f"{given}:1: file: no .jsonl or .csv files in this "
                    "directory; give annotation files or the directory holding them",
                )
            )
    for path in annotation_files(paths):
        fname, pdir = str(path), _policies_dir(path, policies_dir)
        missing_policy: set[str] = set()

        def bad(line, field, what, fix, _f=fname):
            found.append((_f, line, f"{_f}:{line}: {field}: {what}; {fix}"))

        def check(line: int, obj: dict, _f=fname, _d=pdir, _m=missing_policy) -> bool:
            """Check one row; True when it is valid (then it joins ``by_policy``)."""
            if not _check_row(obj, lambda *a: bad(line, *a)):
                return False
            policy, sid = obj["policy"], obj["sentence_id"]
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
            pfile = find_policy(policy, _d)
            if pfile is None:
                if policy not in _m:  # once per file, not on every line
                    _m.add(policy)
                    bad(
                        line,
                        "policy",
                        f"no policy file {policy}.md/.txt/.html in {_d}",
                        "add the policy text there, or pass the right policies directory",
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
                bad(
                    line,
                    "start",
                    f"text does not match the policy text at {s}:{e}, which "
                    f"reads {doc.text[s:e][:60]!r}",
                    fix,
                )
                by_policy.setdefault(policy, []).append((_f, line, obj, doc, False))
                return False
            by_policy.setdefault(policy, []).append((_f, line, obj, doc, True))
            return True

        before = len(found)
        rows = _read_rows(path, bad)
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
        )
    found.sort(key=lambda t: (t[0], t[1]))
    return records, [p for _, _, p in found]


def _check_coverage(entries, claimed: set, bad, records: list[dict]) -> None:
    """Report overlapping records and sentences without a record; build the records."""
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
        records.append(
            {
                "policy": o["policy"],
                "unit_id": o["sentence_id"],
                "text": o["text"],
                "labels": o["labels"],
                "section": o["section"],
                "start": s,
                "end": e,
                "paragraph": sent.paragraph if sent else -1,
                "previous": previous[i] if sent else "",
                "source": f"annotations:{Path(f).name}",
                "attributes": json.dumps({"note": o["note"]}) if o.get("note") else "{}",
            }
        )
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
    records, problems = parse_annotations(paths, policies_dir)
    # files that are all empty: one line saying so, not one problem per file
    if problems and not all(f": file: {_NO_RECORDS};" in p for p in problems):
        raise AnnotationError(problems)
    if not records:
        raise DataError(
            f"no annotation records in {', '.join(map(str, annotation_files(paths)))}"
            "; give files with at least one record"
        )
    return records

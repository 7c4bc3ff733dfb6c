"""The annotation format: its fields, files read into rows, and the checks of one row alone.

A record is one sentence of a policy, one JSON object per line of a ``.jsonl`` file or one
row of a ``.csv`` file (``labels`` joined by ``;``, ``section`` by ``" > "``); the fields
are :data:`FIELDS`. Checks that need the policy text (offsets, one record per sentence of
the segmenter, duplicates, coverage) are :mod:`privtag.data.annotations`'s. Problems go
to a ``bad(...)`` callback, so a file's problems are all reported at once.

Example:
    >>> problems = []
    >>> check_row({"policy": "acme", "sentence_id": "s1", "start": 0, "end": 3, "text": "Hi.",
    ...            "labels": ["Data Securty"], "section": []}, lambda *a: problems.append(a))
    True
    >>> problems
    [('labels', "unknown label 'Data Securty'", "did you mean 'Data Security'?")]
"""

from __future__ import annotations

import csv
import difflib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from privtag.errors import DataError, plural
from privtag.labels import LABEL_IDS, LABELS, label_index

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
#: Longest policy name: with an extension it must stay a valid file name (255 bytes).
MAX_POLICY_NAME = 200


def suggest_label(name: str) -> str:
    """A hint naming the valid label closest to ``name`` (display names and short ids).

    Example:
        >>> suggest_label("Data Securty")
        "did you mean 'Data Security'?"
    """
    if str(name).strip().lower() == "other":
        return (
            "privtag splits OPP-115's Other into 'Introductory/Generic', 'Practice not "
            "covered' and 'Privacy contact information' (GUIDELINES.md): use the one that fits"
        )
    # a short id is matched too, but the name suggested is the display name files use
    keys = {k.lower(): LABELS[i] for i in range(len(LABELS)) for k in (LABELS[i], LABEL_IDS[i])}
    near = difflib.get_close_matches(str(name).strip().lower(), keys, n=1, cutoff=0.5)
    if near:
        return f"did you mean {keys[near[0]]!r}?"
    return "use one of: " + "; ".join(LABELS)


def path_list(paths) -> list[Path]:
    """``paths`` (one path, or an iterable of them, read once) as a list of Paths.

    Raises:
        DataError: ``paths`` is neither (None, a number, a list holding one).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    listed = list(paths) if isinstance(paths, Iterable) else None
    if listed is None or any(not isinstance(p, str | os.PathLike) for p in listed):
        raise DataError(
            f"annotations are given as a file or folder path, or a list of them, not {paths!r}"
        )
    return [Path(p) for p in listed]


def annotation_files(paths: Iterable[str | Path] | str | Path) -> list[Path]:
    """Expand ``paths``: files as given, directories to their ``*.jsonl`` and ``*.csv`` files.

    Raises:
        DataError: ``paths`` is not a path or an iterable of paths.
    """
    out: list[Path] = []
    for p in path_list(paths):
        out.extend(
            sorted(q for q in p.iterdir() if q.suffix.lower() in (".jsonl", ".csv"))
            if p.is_dir()
            else [p]
        )
    return out


def passed_over(
    paths: Iterable[str | Path] | str | Path, files: bool = True, subfolders: bool = True
) -> list[str]:
    """What :func:`annotation_files` leaves out of the folders in ``paths`` that may hold
    annotations: (with ``files``) ``.json``/``.ndjson`` files, names with ``.jsonl`` or
    ``.csv`` before another extension, and (with ``subfolders``) subfolders with annotation
    files (folders are not read recursively). Each as ``"PATH: why; what to do"``; notes and guidelines
    are not named.
    """
    out = []
    for folder in (p for p in path_list(paths) if p.is_dir()):
        for q in sorted(folder.iterdir()):
            name = q.name.lower()
            if subfolders and q.is_dir() and not name.startswith(".") and annotation_files([q]):
                out.append(f"{q}: a subfolder, not read; give it as a source of its own")
            elif (
                files
                and q.is_file()
                and q.suffix.lower() not in (".jsonl", ".csv")
                and (
                    q.suffix.lower() in (".json", ".ndjson") or ".jsonl." in name or ".csv." in name
                )
            ):
                out.append(
                    f"{q}: not read (privtag reads .jsonl and .csv); rename it to .jsonl if it "
                    "holds one record a line"
                )
    return out


def read_rows(path: Path, bad) -> list[tuple[int, dict]]:
    """(line, raw dict) of every record of a .jsonl or .csv file.

    Problems go to ``bad(line, field, what, fix)``; a file that cannot be read gives none.
    """
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
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(content.splitlines(keepends=True))
        header = reader.fieldnames or []
        missing = [f for f in FIELDS if f != "note" and f not in header]
        if missing:
            # a misspelt column ("label" for "labels") is named, as a misspelt JSON key is
            extra = [h for h in header if h not in FIELDS]
            renames = [
                f"{near[0]!r} to {f!r}"
                for f in missing
                if (near := difflib.get_close_matches(f, extra, n=1))
            ]
            bad(
                1,
                "columns",
                f"missing {plural(len(missing), 'column')}: {', '.join(missing)}",
                (f"rename {', '.join(renames)}; " if renames else "")
                + "the header row must name: "
                + ",".join(FIELDS),
            )
            return []
        for row in reader:
            # line_num is the row's last line (a quoted cell may span several)
            rows.append((reader.line_num, _from_csv(row, reader.line_num, bad)))
        return rows
    if suffix != ".jsonl":
        bad(
            1,
            "file",
            f"unknown annotation file type {path.suffix!r}",
            "use .jsonl or .csv (a Label Studio or doccano export: use `labelstudio:` or "
            "`doccano:` sources, see privtag.data.importers)",
        )
        return []
    lines = content.split("\n")
    if len(lines) > 1 and lines[0].strip() in ("[", "{"):
        # a JSON document spread over lines (an array, or one pretty-printed record) would
        # be a problem per line; one says what it is
        array = lines[0].strip() == "["
        bad(
            1,
            "file",
            f"{'a JSON array' if array else 'JSON objects over many lines'}, not JSON Lines",
            "write one record per line into a new file (e.g. jq -c "
            f"{chr(39) + '.[]' + chr(39) if array else '.'} {path.name} > fixed.jsonl)",
        )
        return []
    # only "\n" ends a record: json.dumps(ensure_ascii=False) writes U+2028 and other
    # characters splitlines() breaks on raw inside strings
    for n, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text, object_pairs_hook=_unique_keys)
        except _DuplicateKey as e:
            bad(n, e.key, "given twice in the record", "keep one of the two")
            continue
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


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    # json.loads keeps the last of two equal keys: the first value would go unseen
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _from_csv(row: dict, line: int, bad) -> dict:
    out: dict = {k: v for k, v in row.items() if k is not None and v is not None}
    if None in row:
        bad(line, "columns", "more cells than columns", "quote cells that contain commas")
    short = [k for k, v in row.items() if k is not None and v is None and k != "note"]
    if short:  # DictReader fills missing cells with None: the row lost its last cells
        bad(
            line,
            "columns",
            f"fewer cells than columns (no {', '.join(short)})",
            "give every column a cell, an empty one if it has no value",
        )
    for key in ("start", "end"):
        if out.get(key, "").strip().lstrip("-").isdigit():  # else the type check reports it
            out[key] = int(out[key])
    out["labels"] = [x.strip() for x in out.get("labels", "").split(";") if x.strip()]
    out["section"] = [x.strip() for x in out.get("section", "").split(" > ") if x.strip()]
    if not out.get("note"):
        out.pop("note", None)
    return out


#: The fields that place a record in its policy: valid, its offsets can be checked.
POSITION_FIELDS = frozenset({"policy", "sentence_id", "text", "start", "end"})


def check_row(obj: dict, bad, failed: set | None = None) -> bool:
    """Check fields and types of one raw record; True when it can be checked further.

    Problems go to ``bad(field, what, fix)``, every one of the record (see the module example).
    ``failed`` (if given) collects the fields that make the record unusable: when none of
    :data:`POSITION_FIELDS` is among them, its offsets can still be checked against the
    policy text, so a wrong section does not hide wrong offsets until it is fixed.
    """
    failed = set() if failed is None else failed
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
                failed.add(key)
            continue
        value, typ = obj[key], _TYPES.get(key, str)
        good = isinstance(value, typ) and not isinstance(value, bool)
        if good and typ is list:
            good = all(isinstance(x, str) for x in value)
        if not good:
            bad(key, f"wrong type: {json.dumps(value, ensure_ascii=False)[:60]}", f"write {how}")
            failed.add(key)
    # label names are checked even when another field is wrong: every problem at once
    if isinstance(obj.get("labels"), list):
        _check_labels(obj["labels"], bad)
    if failed & POSITION_FIELDS:
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
        failed.add("policy")
    if not obj["sentence_id"].strip():
        bad("sentence_id", "empty id", f"write {FIELDS['sentence_id']}")
    if not obj["text"].strip():
        bad(
            "text",
            "empty text",
            "copy the sentence from `privtag segment POLICY_FILE --json`, or delete the line",
        )
        failed.add("text")
    elif obj["start"] < 0:
        bad("start", f"negative offset {obj['start']}", "write the offset in the policy text")
        failed.add("start")
    elif obj["end"] - obj["start"] != len(obj["text"]):
        bad(
            "end",
            f"end - start is {obj['end'] - obj['start']} but the text has "
            f"{len(obj['text'])} characters",
            "set end = start + length of text",
        )
        failed.add("end")
    return not failed


def _check_labels(names: list, bad) -> None:
    """Unknown and repeated label names of one record (a name and its id are one label)."""
    seen: dict[int, str] = {}
    for name in names:
        if not isinstance(name, str):
            continue  # the type check reports it
        try:
            i = label_index(name)
        except KeyError:
            # "A, B" in one cell is two labels joined the wrong way: the nearest name to the
            # whole would drop one of them
            if len(_joined_labels(name)) > 1:
                fix = "separate labels with ';' in a CSV cell, or list them in JSON"
            else:
                fix = suggest_label(name)
            bad("labels", f"unknown label {name!r}", fix)
            continue
        if i in seen:
            bad("labels", f"{LABELS[i]!r} is listed twice", "list each label once")
        seen[i] = name


def _joined_labels(cell: str) -> list[str]:
    """The labels ``cell`` holds when they were joined by commas or bars, else ``[]``.

    Pieces are merged left to right while they make a label, since one label's name has
    a comma of its own ("User Access, Edit and Deletion").

    Example:
        >>> _joined_labels("User Access, Edit and Deletion, Data Security")
        ['User Access, Edit and Deletion', 'Data Security']
    """
    pieces = re.split(r"([,|])", cell)  # names, with the separator after each kept
    out, current = [], ""
    for i in range(0, len(pieces), 2):
        current += pieces[i]
        if _is_label(current):
            out.append(current.strip())
            current = ""
        elif i + 1 < len(pieces):
            current += pieces[i + 1]
    return out if not current.strip() else []


def _is_label(name: str) -> bool:
    try:
        label_index(name.strip())
    except KeyError:
        return False
    return True

"""Import and export multi-label text classification data of Label Studio and doccano.

Each Label Studio task or doccano line is one text unit (a sentence) with the labels
chosen for it. Metadata (policy name, unit id, offsets, section) is read from the
task's ``data`` (Label Studio) or from the line's top-level keys or ``meta`` (doccano);
label names may be display names ("Data Security") or short ids ("data_security").
The readers return records for :func:`privtag.data.to_dataset`; the writers turn
records into files those tools import, so sentences can be pre-loaded for labelling.

Example:
    >>> from privtag.data.annotations import read_annotations
    >>> from privtag.data import to_dataset
    >>> records = read_annotations("data/annotations")  # doctest: +SKIP
    >>> write_labelstudio(records, "tasks.json", labels_as=None)  # doctest: +SKIP
    >>> to_dataset(read_labelstudio("export.json"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

from privtag.data.annotation_format import suggest_label
from privtag.errors import AnnotationError, DataError, outside_stacklevel
from privtag.labels import LABELS, label_index
from privtag.outputs import write_text

#: Name of the ``<Choices>`` control in :func:`labelstudio_config`.
FROM_NAME = "practices"
#: Keys of a unit kept as task data / doccano metadata, besides text and labels.
META_KEYS = ("policy", "unit_id", "start", "end", "section", "paragraph", "previous")


def labelstudio_config(from_name: str = FROM_NAME, to_name: str = "text") -> str:
    """A Label Studio labeling config: the sentence, its context, and the 12 labels.

    Example:
        >>> "Data Security" in labelstudio_config()
        True
    """
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in LABELS)
    return (
        "<View>\n"
        '  <Header value="$policy: $section"/>\n'
        '  <Text name="previous" value="$previous"/>\n'
        f'  <Text name="{to_name}" value="$text"/>\n'
        f'  <Choices name="{from_name}" toName="{to_name}" choice="multiple">\n'
        f"{choices}\n  </Choices>\n</View>\n"
    )


def _meta(record: dict) -> dict:
    """The metadata of a record as exported (section joined so the tools can show it)."""
    out = {k: record[k] for k in META_KEYS if k in record}
    out.setdefault("unit_id", record.get("sentence_id", ""))
    if isinstance(out.get("section"), list | tuple):
        out["section"] = " > ".join(out["section"])
    return out


def _label_names(labels) -> list[str]:
    return [LABELS[x] if isinstance(x, int) else LABELS[label_index(x)] for x in labels]


def _record(meta: dict, text: str, labels: list[str], source: str, default_id: str) -> dict:
    section = meta.get("section") or []
    if isinstance(section, str):
        section = [s.strip() for s in section.split(" > ") if s.strip()]
    return {
        "policy": str(meta["policy"]),
        "unit_id": str(meta.get("unit_id") or meta.get("sentence_id") or default_id),
        "text": text,
        "labels": sorted(set(labels), key=label_index),
        "section": [str(s) for s in section],
        "start": int(meta.get("start", -1)),
        "end": int(meta.get("end", -1)),
        "paragraph": int(meta.get("paragraph", -1)),
        "previous": str(meta.get("previous") or ""),
        "source": source,
    }


def _check_labels(names, where: str, problems: list[str]) -> list[str]:
    good = []
    for name in names:
        if not isinstance(name, str):
            problems.append(
                f"{where}: labels: {name!r} is not a label name; "
                "export the project as multi-label text classification"
            )
            continue
        try:
            good.append(LABELS[label_index(name)])
        except KeyError:
            problems.append(
                f"{where}: labels: unknown label {name!r}; {suggest_label(name)} "
                "(rename the choice in the labeling config)"
            )
    return good


def _check_meta(meta: dict, where: str, problems: list[str]) -> bool:
    bad = [
        k
        for k in ("start", "end", "paragraph")
        if k in meta and (isinstance(meta[k], bool) or not isinstance(meta[k], int))
    ]
    for k in bad:
        problems.append(f"{where}: {k}: expected an integer, got {meta[k]!r}; fix the task data")
    return not bad


def _unique(records: list[dict], wheres: list[str], problems: list[str]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for r, where in zip(records, wheres, strict=True):
        key = (r["policy"], r["unit_id"])
        if key in seen:
            problems.append(
                f"{where}: unit_id: duplicate id {key[1]!r} for policy {key[0]!r} "
                f"(first at {seen[key]}); give each unit its own id"
            )
        seen.setdefault(key, where)


# ---------------------------------------------------------------- Label Studio


def _chosen(results: list, from_name: str | None) -> list:
    names: list = []
    for r in results or []:
        if from_name is not None and r.get("from_name") != from_name:
            continue
        value = r.get("value") or {}
        if r.get("type") == "choices":
            names.extend(value.get("choices") or [])
        elif r.get("type") == "taxonomy":  # paths of nested choices: the leaf is the label
            names.extend(path[-1] for path in value.get("taxonomy") or [] if path)
    return names


def from_labelstudio_tasks(
    tasks: list[dict],
    name: str = "<tasks>",
    *,
    from_name: str | None = None,
    use_predictions: bool = False,
    default_policy: str | None = None,
) -> list[dict]:
    """Records from Label Studio tasks (the list a JSON export holds).

    Args:
        tasks: exported tasks: ``data`` holds ``text`` and metadata (``policy``,
            ``unit_id``, ``start``, ...); ``annotations[].result`` holds the choices.
        name: file name used in messages and in each record's ``source``.
        from_name: read only this ``<Choices>`` control (default: every choices or
            taxonomy result, so projects with a single control need not say).
        use_predictions: label tasks nobody annotated with their latest prediction.
        default_policy: policy for tasks whose data names none (default: ``name``'s stem).

    Returns:
        One record per labelled task; the latest non-cancelled annotation wins.
        Tasks without annotations (unlabelled so far) are left out.

    Raises:
        AnnotationError: every problem, each naming the task.
    """
    problems: list[str] = []
    records, wheres = [], []
    unlabelled = 0
    source = f"labelstudio:{Path(name).name}"
    for i, task in enumerate(tasks):
        where = f"{name}: task {task.get('id', '?') if isinstance(task, dict) else '?'} (#{i})"
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            problems.append(
                f"{where}: data.text: missing; export tasks whose data holds the sentence as 'text'"
            )
            continue
        meta = {k: v for k, v in data.items() if k != "text"}
        for extra in (task.get("meta"), data.get("meta")):  # task-level and nested metadata
            if isinstance(extra, dict):
                meta.update(extra)
        meta.setdefault("policy", default_policy or Path(name).stem)
        done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if done:
            latest = max(enumerate(done), key=lambda ia: (ia[1].get("updated_at") or "", ia[0]))
            results = latest[1].get("result")
        elif use_predictions and task.get("predictions"):
            results = task["predictions"][-1].get("result")
        else:
            unlabelled += 1
            continue
        spans = [r for r in results or [] if isinstance(r, dict) and r.get("type") == "labels"]
        if spans and not _chosen(results, from_name):
            problems.append(
                f"{where}: result: holds span labels (a labelling project), not choices; "
                "export a text classification project (<Choices> over the sentence)"
            )
            continue
        labels = _check_labels(_chosen(results, from_name), where, problems)
        if not data["text"].strip():
            problems.append(f"{where}: data.text: empty text; remove the task")
        elif _check_meta(meta, where, problems):
            records.append(_record(meta, data["text"], labels, source, str(task.get("id", i))))
            wheres.append(where)
    _unique(records, wheres, problems)
    if problems:
        raise AnnotationError(problems)
    if unlabelled:
        warnings.warn(
            f"{name}: {unlabelled} of {len(tasks)} tasks have no annotation (or only cancelled "
            "ones) and are left out; annotate them, or use their predictions "
            "(use_predictions=True)",
            stacklevel=2,
        )
    return records


def read_labelstudio(path: str | Path, **kwargs) -> list[dict]:
    """Records from a Label Studio JSON export file; see :func:`from_labelstudio_tasks`.

    Example:
        >>> records = read_labelstudio("project-3-export.json")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as e:
        raise DataError(f"{path}: file not found; export the project as JSON first") from e
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise DataError(
            f"{path}: cannot read it as a JSON export ({e.__class__.__name__}); give the "
            "exported .json file, saved as UTF-8"
        ) from e
    except json.JSONDecodeError as e:
        raise AnnotationError(
            [
                f"{path}:{e.lineno}: json: invalid JSON ({e.msg}); export the "
                "project again with the JSON format"
            ]
        ) from e
    if isinstance(tasks, dict):  # a single task
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise AnnotationError([f"{path}:1: json: expected a list of tasks; use the JSON export"])
    return from_labelstudio_tasks(tasks, str(path), **kwargs)


def to_labelstudio_tasks(
    records: list[dict],
    *,
    labels_as: str | None = "annotations",
    from_name: str = FROM_NAME,
    to_name: str = "text",
    model_version: str = "privtag",
) -> list[dict]:
    """Label Studio tasks for records (import them with :func:`labelstudio_config`).

    Args:
        labels_as: put each record's labels in ``"annotations"`` (finished labels),
            ``"predictions"`` (pre-annotations for annotators to check), or nowhere (None).

    Example:
        >>> t = to_labelstudio_tasks([{"policy": "p", "unit_id": "s0", "text": "Hi.",
        ...                           "labels": ["contact"]}])
        >>> t[0]["data"]["text"], t[0]["annotations"][0]["result"][0]["value"]
        ('Hi.', {'choices': ['Privacy contact information']})
    """
    if labels_as not in ("annotations", "predictions", None):
        raise DataError(f"labels_as={labels_as!r}; use 'annotations', 'predictions' or None")
    tasks = []
    for r in records:
        task: dict = {"data": {"text": r["text"], **_meta(r)}}
        if labels_as:
            result = [
                {
                    "from_name": from_name,
                    "to_name": to_name,
                    "type": "choices",
                    "value": {"choices": _label_names(r.get("labels", []))},
                }
            ]
            entry: dict = {"result": result}
            if labels_as == "predictions":
                entry["model_version"] = model_version
            task[labels_as] = [entry]
        tasks.append(task)
    return tasks


def write_labelstudio(records: list[dict], path: str | Path, **kwargs) -> None:
    """Write :func:`to_labelstudio_tasks` to a JSON file Label Studio imports."""
    text = json.dumps(to_labelstudio_tasks(records, **kwargs), ensure_ascii=False, indent=1)
    write_text(path, text + "\n")


# ---------------------------------------------------------------- doccano

_DOCCANO_OWN = {
    "id",
    "text",
    "label",
    "labels",
    "meta",
    "Comments",
    "comments",
    "annotation_approver",
}


def read_doccano(path: str | Path, *, default_policy: str | None = None) -> list[dict]:
    """Records from a doccano JSONL export of a text classification project.

    Each line holds ``text`` and ``label`` (or ``labels``): a list of label names.
    Metadata is read from ``meta`` and from the line's other top-level keys.

    Args:
        default_policy: policy for lines naming none (default: the file's stem).

    Raises:
        AnnotationError: every problem, each as ``FILE:LINE: field: what; fix``.

    Example:
        >>> records = read_doccano("doccano-export.jsonl")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as e:
        raise DataError(f"{path}: file not found; export the project as JSONL first") from e
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise DataError(
            f"{path}: cannot read it as a JSONL export ({e.__class__.__name__}); give the "
            "exported .jsonl file, saved as UTF-8"
        ) from e
    problems: list[str] = []
    records, wheres = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{where}: json: invalid JSON ({e.msg}); export as JSONL again")
            continue
        if isinstance(obj, dict) and "text" not in obj and isinstance(obj.get("data"), str):
            obj["text"] = obj.pop("data")  # some doccano versions name the text column "data"
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            problems.append(f"{where}: text: missing; each line needs the unit's 'text'")
            continue
        names = obj.get("label", obj.get("labels", []))
        if names is not None and not isinstance(names, list):
            problems.append(
                f"{where}: label: {names!r} is not a list; write the labels as a list, "
                'e.g. ["Data Retention"]'
            )
            continue
        if any(isinstance(x, list | dict) for x in names or []):
            problems.append(
                f"{where}: label: holds spans, not labels; export a text classification project"
            )
            continue
        labels = _check_labels(names or [], f"{where} (id {obj.get('id', '?')})", problems)
        meta = {k: v for k, v in obj.items() if k not in _DOCCANO_OWN}
        meta.update(obj["meta"] if isinstance(obj.get("meta"), dict) else {})
        meta.setdefault("policy", default_policy or path.stem)
        if not obj["text"].strip():
            problems.append(f"{where}: text: empty text; remove the line")
        elif _check_meta(meta, where, problems):
            records.append(
                _record(meta, obj["text"], labels, f"doccano:{path.name}", str(obj.get("id", n)))
            )
            wheres.append(where)
    _unique(records, wheres, problems)
    if problems:
        raise AnnotationError(problems)
    empty = sum(not r["labels"] for r in records)
    if empty:
        # doccano exports every item, annotated or not, and an empty list reads either way:
        # say how many count as "no practice", so unannotated ones can be taken out
        warnings.warn(
            f"{path}: {empty} of {len(records)} items have no label and count as units that "
            "state no practice; if some were never annotated, leave them out of the export "
            "(doccano: export only approved items)",
            stacklevel=outside_stacklevel(),
        )
    return records


def to_doccano_lines(records: list[dict], *, with_labels: bool = True) -> list[str]:
    """doccano JSONL lines for records: ``text``, ``label`` and metadata as extra keys.

    Example:
        >>> to_doccano_lines([{"policy": "p", "unit_id": "s0", "text": "Hi.", "labels": []}])
        ['{"text": "Hi.", "label": [], "policy": "p", "unit_id": "s0"}']
    """
    out = []
    for r in records:
        labels = _label_names(r.get("labels", [])) if with_labels else []
        out.append(json.dumps({"text": r["text"], "label": labels, **_meta(r)}, ensure_ascii=False))
    return out


def write_doccano(records: list[dict], path: str | Path, **kwargs) -> None:
    """Write :func:`to_doccano_lines` to a JSONL file doccano imports."""
    write_text(path, "".join(x + "\n" for x in to_doccano_lines(records, **kwargs)))

"""Annotated units (sentences or segments) as ``datasets`` objects.

Every source (privtag's JSONL/CSV annotations, OPP-115, Label Studio, doccano)
ends up as records with the columns of :data:`FEATURES`, so training and
evaluation never care where data came from.
"""

from __future__ import annotations

from datasets import ClassLabel, Dataset, Features, Sequence, Value

from privtag.labels import LABELS

#: Columns of every annotated dataset. ``labels`` holds label indices into LABELS.
#: ``section`` is the heading path; ``previous`` the preceding sentence of the same
#: paragraph ("" for the first); ``paragraph`` the paragraph (OPP-115: segment) index;
#: ``attributes`` a JSON string of extra annotation attributes ("{}" when none).
FEATURES = Features(
    {
        "policy": Value("string"),
        "unit_id": Value("string"),
        "text": Value("string"),
        "labels": Sequence(ClassLabel(names=list(LABELS))),
        "section": Sequence(Value("string")),
        "previous": Value("string"),
        "paragraph": Value("int32"),
        "start": Value("int32"),
        "end": Value("int32"),
        "source": Value("string"),
        "attributes": Value("string"),
    }
)


def to_dataset(records: list[dict]) -> Dataset:
    """Build a Dataset with :data:`FEATURES` from record dicts (missing optional keys get defaults).

    ``labels`` may hold label names or indices.
    """
    from privtag.labels import label_index

    rows = []
    for r in records:
        rows.append(
            {
                "policy": r["policy"],
                "unit_id": str(r["unit_id"]),
                "text": r["text"],
                "labels": sorted(
                    {label_index(x) if isinstance(x, str) else int(x) for x in r.get("labels", [])}
                ),
                "section": list(r.get("section", [])),
                "previous": r.get("previous", "") or "",
                "paragraph": int(r.get("paragraph", -1)),
                "start": int(r.get("start", -1)),
                "end": int(r.get("end", -1)),
                "source": r.get("source", ""),
                "attributes": r.get("attributes", "{}"),
            }
        )
    if not rows:
        return Dataset.from_dict({k: [] for k in FEATURES}, features=FEATURES)
    return Dataset.from_list(rows, features=FEATURES)

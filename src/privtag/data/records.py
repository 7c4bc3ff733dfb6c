"""Annotated units (sentences or segments) as ``datasets`` objects.

Every source (privtag's JSONL/CSV annotations, OPP-115, Label Studio, doccano)
ends up as records with the columns of :data:`FEATURES`, so training and
evaluation never care where data came from. Reading the sources is
:mod:`privtag.data.sources`; the annotation format and its validator are in
:mod:`privtag.data.annotations`.

Example:
    >>> to_dataset([]).num_rows
    0
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable

import numpy as np

from privtag.errors import DataError
from privtag.extras import missing
from privtag.labels import LABELS, label_index

try:
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e

#: Columns of every annotated dataset. ``labels`` holds label indices into LABELS.
#: ``section`` is the heading path; ``previous`` the preceding sentence of the same
#: paragraph ("" for the first); ``paragraph`` the paragraph (OPP-115: segment) index;
#: ``attributes`` a JSON string of extra annotation attributes ("{}" when none);
#: ``votes`` the share of annotators who gave each label, in LABELS order (OPP-115's
#: three annotators; empty for sources with one label set per unit).
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
        "votes": Sequence(Value("float32")),
    }
)

SPLITS = ("train", "validation", "test")


def to_dataset(records: list[dict]) -> Dataset:
    """Build a Dataset with :data:`FEATURES` from record dicts (missing optional keys get defaults).

    ``labels`` may hold label names or indices.
    """
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
                "votes": [float(v) for v in r.get("votes") or []],
            }
        )
    if not rows:
        return Dataset.from_dict({k: [] for k in FEATURES}, features=FEATURES)
    return Dataset.from_list(rows, features=FEATURES)


# ---------------------------------------------------------------- reading + validation


# ---------------------------------------------------------------- splits


def _allocate(n: int, fractions: tuple[float, ...]) -> list[int]:
    total = sum(fractions)
    exact = [f / total * n for f in fractions]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])[: n - sum(counts)]:
        counts[i] += 1
    # a split asked for gets at least one policy when there are enough (5 policies at
    # 0.8/0.1/0.1 give 3/1/1, not an empty test set)
    if n >= sum(f > 0 for f in fractions):
        for i, f in enumerate(fractions):
            if f > 0 and counts[i] == 0:
                counts[counts.index(max(counts))] -= 1
                counts[i] = 1
    return counts


def policy_split(
    policies: Iterable[str],
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
    seed: int = 13,
    names: tuple[str, ...] = SPLITS,
) -> dict[str, str]:
    """Assign each policy to a split, deterministically from ``seed``.

    Policies are ordered by a hash of ``(seed, name)``, so the result depends neither on
    input order nor on Python's hash randomization, and adding a policy moves few others.

    Returns:
        ``{policy: split name}``; split sizes follow ``fractions`` (in policies, not units).

    Example:
        >>> policy_split(["a", "b", "c", "d", "e"], seed=13)
        {'a': 'train', 'd': 'train', 'e': 'train', 'b': 'validation', 'c': 'test'}
    """
    if len(fractions) != len(names) or any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise DataError(
            f"bad split fractions {fractions} for {names}; give one non-negative "
            "fraction per split, not all zero"
        )
    order = sorted(set(policies), key=lambda p: hashlib.sha256(f"{seed}\0{p}".encode()).digest())
    out, i = {}, 0
    for name, count in zip(names, _allocate(len(order), tuple(fractions)), strict=True):
        out.update({p: name for p in order[i : i + count]})
        i += count
    return out


def split_dataset(
    ds: Dataset,
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
    seed: int = 13,
    names: tuple[str, ...] = SPLITS,
) -> DatasetDict:
    """Split ``ds`` by policy with :func:`policy_split` (no policy in two splits).

    Warns (``UserWarning``) when a split asked for gets no policy: with fewer policies
    than splits, some stay empty.
    """
    column = list(ds["policy"])
    where = policy_split(column, fractions, seed, names)
    empty = [n for n, f in zip(names, fractions, strict=False) if f > 0 and n not in where.values()]
    if empty and column:
        warnings.warn(
            f"{len(set(column))} policies cannot fill {len(names)} splits: {', '.join(empty)} "
            "stay empty; annotate more policies, or load everything into one split (split=)",
            stacklevel=2,
        )
    return DatasetDict(
        {n: ds.select([i for i, p in enumerate(column) if where[p] == n]) for n in names}
    )


def as_dataset_dict(
    records: list[dict],
    split: str | None = None,
    seed: int = 13,
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
) -> DatasetDict:
    """Records as a DatasetDict: all in ``split`` if given, else split by policy."""
    ds = to_dataset(records)
    return DatasetDict({split: ds}) if split else split_dataset(ds, fractions, seed)


def sentences_to_segments(dataset: Dataset) -> Dataset:
    """Merge sentence rows into paragraph rows: texts joined by a space, labels united.

    Rows of one policy with the same ``paragraph`` index become one unit (the section
    of its first sentence); rows without a paragraph index (-1) stay units of their own.
    """
    groups: dict[tuple, list[dict]] = {}
    for i, row in enumerate(dataset):
        key = (row["policy"], row["paragraph"] if row["paragraph"] >= 0 else f"row{i}")
        groups.setdefault(key, []).append(row)
    records = []
    for (policy, para), rows in groups.items():
        records.append(
            {
                "policy": policy,
                "unit_id": f"p{para}" if isinstance(para, int) else rows[0]["unit_id"],
                "text": " ".join(r["text"] for r in rows),
                "labels": sorted({j for r in rows for j in r["labels"]}),
                "section": rows[0]["section"],
                "paragraph": rows[0]["paragraph"],
                "start": min(r["start"] for r in rows),
                "end": max(r["end"] for r in rows),
                "source": rows[0]["source"],
            }
        )
    return to_dataset(records)


def multi_hot(
    labels: Iterable[Iterable[int]], n_labels: int = len(LABELS), dtype=np.float32
) -> np.ndarray:
    """Label-index lists as a multi-hot matrix of shape (len(labels), n_labels)."""
    rows = [list(r) for r in labels]
    out = np.zeros((len(rows), n_labels), dtype=dtype)
    for i, row in enumerate(rows):
        out[i, row] = 1
    return out


def unit_targets(dataset: Dataset, soft: bool = False) -> np.ndarray:
    """Training targets (n, 12) float32: 0/1 labels, or with ``soft`` each unit's vote
    shares where it has them (OPP-115's annotators; other units keep 0/1)."""
    y = multi_hot(dataset["labels"]) if dataset.num_rows else np.zeros((0, len(LABELS)))
    if soft and "votes" in dataset.features:
        for i, votes in enumerate(dataset["votes"]):
            if votes:
                y[i] = votes
    return y.astype(np.float32)


def units_of(dataset: Dataset) -> list[dict]:
    """Model inputs (``text``, ``section``, ``previous``) for every row of a FEATURES dataset."""
    cols = [c for c in ("text", "section", "previous") if c in dataset.features]
    return [
        {
            "text": r["text"],
            "section": list(r.get("section") or []),
            "previous": r.get("previous") or "",
        }
        for r in dataset.select_columns(cols)
    ]

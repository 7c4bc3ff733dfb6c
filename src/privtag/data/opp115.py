"""Read the OPP-115 corpus (Wilson et al., ACL 2016) from a directory, never from the repo.

OPP-115 is research-only: privtag ships none of it. Point ``root`` (CLI: ``--opp115 DIR``)
at a copy with ``annotations/*.csv``, ``sanitized_policies/*.html``, ``split.json`` and
``documentation/errant_span_indexes/``; :func:`default_root` finds ``../shared/opp115``.

**Segment level.** Each ``|||`` segment of a sanitized policy is one unit (it is
paragraph *i* of :func:`privtag.segmentation.document.segment` in ``opp115`` format). A label holds
for a segment when at least ``2`` distinct annotators gave it (``vote="majority"``)
or at least one did (``vote="union"``). The category "Other" maps by its
``Other Type`` value to Introductory/Generic, Practice not covered or Privacy
contact information; ``Other Type: Other`` gives no label.

**Sentence level (projection).** Annotators labelled segments and, per attribute,
selected a span (``startIndexInSegment``/``endIndexInSegment``, offsets into the raw
segment HTML). An annotator's label reaches a sentence of that segment when one of
the spans they selected for it overlaps the sentence's source span by at least
``MIN_OVERLAP`` characters, or covers the whole sentence; the same vote then applies
per sentence. Spans listed in ``documentation/errant_span_indexes/`` and attributes
with no span (index -1) are skipped. Limits: a practice whose annotators selected no
span at all reaches no sentence; spans select the words that carry an *attribute*
(e.g. a data type), so a sentence that states the practice without those words is
missed; and annotators often select different sentences of the same segment, so a
majority per sentence is stricter than a majority per segment. The data report
(``privtag data-report``) measures how much is kept.

Attribute values (Personal Information Type, Purpose, Choice Type, ...) are kept per
label in each record's ``attributes`` column (JSON: ``{label: {attribute: [values]}}``).

Example:
    >>> ds = load_opp115(default_root(), level="segment")        # doctest: +SKIP
    >>> ds["train"].num_rows, ds["validation"].num_rows           # doctest: +SKIP
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from privtag.data.records import to_dataset
from privtag.errors import DataError
from privtag.extras import missing
from privtag.labels import LABEL2ID, LABELS
from privtag.segmentation import loading
from privtag.segmentation.document import Document, segment
from privtag.segmentation.units import previous_texts

try:
    from datasets import DatasetDict
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e

MIN_OVERLAP = 5
VOTES = {"majority": 2, "union": 1}
_OTHER_TYPES = {
    "Introductory/Generic": "Introductory/Generic",
    "Practice not covered": "Practice not covered",
    "Privacy contact information": "Privacy contact information",
}


def default_root() -> Path | None:
    """``$PRIVTAG_OPP115``, else ``../shared/opp115`` from the working directory or the repo."""
    env = os.environ.get("PRIVTAG_OPP115")
    candidates = [Path(env)] if env else []
    candidates += [
        Path.cwd().parent / "shared" / "opp115",
        Path(__file__).resolve().parents[3] / "shared" / "opp115",
    ]
    for c in candidates:
        if (c / "annotations").is_dir():
            return c
    return None


def resolve_root(root: str | Path | None) -> Path:
    """Check an OPP-115 directory, or find the default one; raise a clear error otherwise."""
    path = Path(root) if root else default_root()
    if path is None:
        raise DataError(
            "OPP-115 not found: pass --opp115 DIR (a directory with annotations/ and "
            "sanitized_policies/) or set PRIVTAG_OPP115; it is research-only and not shipped"
        )
    if not path.is_dir():
        raise DataError(f"{path}: no such OPP-115 directory; check --opp115")
    for sub in ("annotations", "sanitized_policies"):
        if not (path / sub).is_dir():
            raise DataError(f"{path}: not an OPP-115 directory (no {sub}/ inside); check --opp115")
    return path


@dataclass
class Practice:
    """One annotator's data practice on one segment."""

    annotator: str
    label: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Policy:
    """A segmented OPP-115 policy and its practices per segment id."""

    name: str
    doc: Document
    segment_starts: list[int]
    practices: dict[int, list[Practice]]


def _errant(root: Path) -> set[tuple[str, str]]:
    out = set()
    for f in sorted((root / "documentation" / "errant_span_indexes").glob("*.csv")):
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                if len(row) >= 2:
                    out.add((row[0].strip(), row[1].split("_", 1)[-1].strip()))
    return out


def _label_of(category: str, attrs: dict) -> str | None:
    if category == "Other":
        return _OTHER_TYPES.get(attrs.get("Other Type", {}).get("value", ""))
    return category if category in LABEL2ID else None


def read_policy(root: Path, name: str, errant: set[tuple[str, str]] | None = None) -> Policy:
    """Segment one policy and collect its practices.

    Raises:
        DataError: naming the file and line when a CSV row is malformed.
    """
    html = root / "sanitized_policies" / f"{name}.html"
    ann = root / "annotations" / f"{name}.csv"
    for p in (html, ann):
        if not p.is_file():
            raise DataError(f"{p}: missing; the OPP-115 directory is incomplete")
    doc = segment(html, format="opp115")
    # Source offsets of the segments: annotators' span indices count from there. Decode
    # as the segmenter does: Path.read_text would turn "\r\n" into "\n" and keep a BOM,
    # shifting every later segment against the segmenter's source offsets.
    source, _ = loading.load(html)
    starts, pos = [], 0
    for part in source.split("|||"):
        starts.append(pos)
        pos += len(part) + 3
    errant = errant if errant is not None else _errant(root)
    practices: dict[int, list[Practice]] = defaultdict(list)
    with open(ann, newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.reader(fh), 1):
            try:
                ann_id, annotator, seg, category = row[0], row[2], int(row[4]), row[5]
                attrs = json.loads(row[6])
            except (IndexError, ValueError) as e:
                raise DataError(f"{ann}:{line}: malformed annotation row ({e})") from e
            label = _label_of(category, attrs)
            if label is None:
                continue
            pr = Practice(annotator, label)
            for key, v in attrs.items():
                if not isinstance(v, dict):
                    continue
                pr.attributes[key] = str(v.get("value", ""))
                s, e = v.get("startIndexInSegment", -1), v.get("endIndexInSegment", -1)
                if (ann_id, key) in errant or s is None or e is None or s < 0 or e <= s:
                    continue
                pr.spans.append((int(s), int(e)))
            practices[seg].append(pr)
    return Policy(name, doc, starts, dict(practices))


def _vote(practices: list[Practice], k: int, hit=None) -> tuple[list[str], dict]:
    by_label: dict[str, set[str]] = defaultdict(set)
    attrs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for p in practices:
        if hit is None or hit(p):
            by_label[p.label].add(p.annotator)
            for a, v in p.attributes.items():
                attrs[p.label][a].add(v)
    labels = [lab for lab, who in by_label.items() if len(who) >= k]
    kept = {lab: {a: sorted(v) for a, v in attrs[lab].items()} for lab in labels}
    return labels, kept


def _fractions(practices: list[Practice], n_annotators: int, hit=None) -> list[float]:
    """Share of the policy's annotators who gave each of the 12 labels (soft targets)."""
    who: dict[str, set[str]] = defaultdict(set)
    for p in practices:
        if hit is None or hit(p):
            who[p.label].add(p.annotator)
    return [round(len(who[lab]) / max(n_annotators, 1), 4) for lab in LABELS]


def policy_records(policy: Policy, level: str = "segment", vote: str = "majority") -> list[dict]:
    """Records (see :data:`privtag.data.records.FEATURES`) of one policy at ``level``.

    ``votes`` holds, per label, the share of the policy's annotators who gave it (0, 1/3,
    2/3, 1 with three annotators): the soft targets of ``data.targets = "soft"``.
    """
    k = VOTES[vote]
    doc, out = policy.doc, []
    n_annotators = len({p.annotator for prs in policy.practices.values() for p in prs})
    for para in doc.paragraphs:
        if para.start == para.end:
            continue
        prs = policy.practices.get(para.index, [])
        sents = doc.paragraph_sentences(para.index)
        base = {"policy": policy.name, "paragraph": para.index, "source": "opp115"}
        if level == "segment":
            labels, attrs = _vote(prs, k)
            out.append(
                {
                    **base,
                    "unit_id": f"seg{para.index}",
                    "text": doc.text[para.start : para.end],
                    "labels": labels,
                    "votes": _fractions(prs, n_annotators),
                    "section": list(para.section),
                    "previous": "",
                    "start": para.start,
                    "end": para.end,
                    "attributes": json.dumps(attrs, sort_keys=True),
                }
            )
            continue
        seg0 = policy.segment_starts[para.index]
        for s, prev in zip(sents, previous_texts(sents), strict=True):
            a = doc.source_offset(s.start)
            z = doc.source_offset(s.end - 1)
            if a is None or z is None:
                raise DataError(f"{policy.name}: sentence {s.id} has no source offset")
            a, z = a - seg0, z + 1 - seg0

            def hit(p: Practice, a=a, z=z) -> bool:
                for ss, ee in p.spans:
                    ov = min(z, ee) - max(a, ss)
                    if ov >= MIN_OVERLAP or (ss <= a and ee >= z):
                        return True
                return False

            labels, attrs = _vote(prs, k, hit)
            out.append(
                {
                    **base,
                    "unit_id": s.id,
                    "text": s.text,
                    "labels": labels,
                    "votes": _fractions(prs, n_annotators, hit),
                    "section": list(s.section),
                    "previous": prev,
                    "start": s.start,
                    "end": s.end,
                    "attributes": json.dumps(attrs, sort_keys=True),
                }
            )
    return out


def read_split(root: Path) -> dict[str, list[str]]:
    """``split.json``: split name -> policy names (those present in ``root``)."""
    f = root / "split.json"
    if not f.is_file():
        raise DataError(f"{f}: missing; OPP-115 splits come from split.json")
    try:
        split = json.loads(f.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"{f}: not valid JSON ({e}); restore it from the OPP-115 copy") from e
    if not isinstance(split, dict) or not all(
        isinstance(v, list) and all(isinstance(p, str) for p in v) for v in split.values()
    ):
        raise DataError(
            f"{f}: expected an object of split name -> list of policy names; restore it"
        )
    present = {p.stem for p in (root / "annotations").glob("*.csv")}
    absent = sorted(p for pols in split.values() for p in pols if p not in present)
    if absent:
        # a partial copy: say so, so that a score over fewer policies is not taken for the whole
        warnings.warn(
            f"{f}: {len(absent)} listed policies have no annotations/*.csv here "
            f"({', '.join(absent[:3])}{', ...' if len(absent) > 3 else ''}); they are left out",
            stacklevel=2,
        )
    return {name: [p for p in pols if p in present] for name, pols in split.items()}


@lru_cache(maxsize=4)
def _policies(root: str) -> dict[str, Policy]:
    r = Path(root)
    errant = _errant(r)
    names = sorted(p.stem for p in (r / "annotations").glob("*.csv"))
    return {n: read_policy(r, n, errant) for n in names}


def load_policies(root: str | Path | None = None) -> dict[str, Policy]:
    """All policies of an OPP-115 directory, segmented (cached per directory)."""
    return _policies(str(resolve_root(root)))


def load_opp115(
    root: str | Path | None = None,
    level: str = "segment",
    vote: str = "majority",
    splits: list[str] | None = None,
) -> DatasetDict:
    """OPP-115 as a DatasetDict, one split per entry of ``split.json``.

    Args:
        root: the OPP-115 directory (default: :func:`default_root`).
        level: ``"segment"`` (one unit per ``|||`` segment) or ``"sentence"``.
        vote: ``"majority"`` (>= 2 annotators) or ``"union"`` (>= 1).
        splits: keep only these split names.

    Returns:
        ``DatasetDict`` with columns of :data:`privtag.data.records.FEATURES`.
    """
    if level not in ("segment", "sentence"):
        raise DataError(f"level must be 'segment' or 'sentence', not {level!r}")
    if vote not in VOTES:
        raise DataError(f"vote must be one of {', '.join(VOTES)}, not {vote!r}")
    path = resolve_root(root)
    split = read_split(path)
    if splits:
        unknown = [s for s in splits if s not in split]
        if unknown:
            raise DataError(
                f"{path / 'split.json'}: no split {', '.join(unknown)}; it has {', '.join(split)}"
            )
        split = {k: v for k, v in split.items() if k in splits}
    pols = load_policies(path)
    return DatasetDict(
        {
            name: to_dataset([r for p in names for r in policy_records(pols[p], level, vote)])
            for name, names in split.items()
        }
    )

"""The data report: how often each label occurs in OPP-115 and in the seed annotations.

Counts are per unit (a unit with two labels counts under both), for:

* OPP-115 ``train`` and ``validation`` at segment and sentence level, exactly as
  :func:`privtag.data.opp115.load_opp115` gives them to training and evaluation;
* the seed annotations (``data/annotations``) at sentence level, and at paragraph level
  where a paragraph carries the union of its sentences' labels.

It also measures what sentence projection keeps: of the labels the vote gives an
OPP-115 segment, the share that at least one of the segment's sentences carries after
projection (see the :mod:`privtag.data.opp115` docstring for why some are lost). With the same
vote at both levels a sentence never gets a label its segment lacks, so this share is
the whole story of what projection changes.

Only aggregate numbers are produced: no OPP-115 text (research-only) reaches the report.

Example:
    >>> report = build_report(default_root(), Path("data/annotations"))  # doctest: +SKIP
    >>> print(report.to_text())                                        # doctest: +SKIP
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from privtag.data.annotations import read_annotations
from privtag.data.opp115 import VOTES, load_opp115, resolve_root
from privtag.errors import DataError
from privtag.labels import LABELS, NUM_LABELS, label_index

#: OPP-115 splits the report covers (the test split is held out and not on disk).
OPP115_SPLITS = ("train", "validation")


@dataclass(frozen=True)
class Counts:
    """Label counts of one set of units.

    Attributes:
        name: column header, e.g. ``"OPP-115 train, segment"``.
        policies, units: how many policies and units there are.
        per_label: units carrying each label, in :data:`privtag.labels.LABELS` order.
        unlabelled: units with no label.
    """

    name: str
    policies: int
    units: int
    per_label: tuple[int, ...]
    unlabelled: int


def count_units(name: str, units: Iterable[tuple[str, Iterable[int]]]) -> Counts:
    """Count ``(policy, label indices)`` units.

    Example:
        >>> c = count_units("toy", [("a", [0, 5]), ("a", []), ("b", [5])])
        >>> c.policies, c.units, c.per_label[5], c.unlabelled
        (2, 3, 2, 1)
    """
    per_label = [0] * NUM_LABELS
    policies, n, empty = set(), 0, 0
    for policy, labels in units:
        labels = set(labels)
        policies.add(policy)
        n += 1
        empty += not labels
        for i in labels:
            per_label[i] += 1
    return Counts(name, len(policies), n, tuple(per_label), empty)


@dataclass(frozen=True)
class Kept:
    """Segment labels that survive projection to sentences, per label.

    Attributes:
        name: e.g. ``"train"``.
        segment: segment labels (units carrying the label) per label.
        kept: of those, how many at least one sentence of the segment carries.
    """

    name: str
    segment: tuple[int, ...]
    kept: tuple[int, ...]

    def share(self, label: int | None = None) -> float | None:
        """Kept / segment labels for one label index, or over all labels (``None``).

        Returns ``None`` when there is nothing to keep (no segment has the label).
        """
        seg = sum(self.segment) if label is None else self.segment[label]
        kept = sum(self.kept) if label is None else self.kept[label]
        return kept / seg if seg else None


def kept_by_projection(name: str, segments: Iterable[dict], sentences: Iterable[dict]) -> Kept:
    """Compare segment units with the sentence units projected from them.

    Args:
        name: name of the result.
        segments, sentences: rows with ``policy``, ``paragraph`` and ``labels`` (indices),
            e.g. the rows of the segment and sentence datasets of one OPP-115 split.

    Example:
        >>> segs = [{"policy": "p", "paragraph": 0, "labels": [0, 1]}]
        >>> sents = [{"policy": "p", "paragraph": 0, "labels": [0]},
        ...          {"policy": "p", "paragraph": 0, "labels": []}]
        >>> k = kept_by_projection("toy", segs, sents)
        >>> k.share(), k.share(1)
        (0.5, 0.0)
    """
    # OPP-115 segment i is paragraph i of the segmenter, so (policy, paragraph) joins them
    carried: dict[tuple[str, int], set[int]] = defaultdict(set)
    for s in sentences:
        carried[s["policy"], s["paragraph"]].update(s["labels"])
    segment, kept = [0] * NUM_LABELS, [0] * NUM_LABELS
    for g in segments:
        have = carried.get((g["policy"], g["paragraph"]), set())
        for i in set(g["labels"]):
            segment[i] += 1
            kept[i] += i in have
    return Kept(name, tuple(segment), tuple(kept))


def paragraph_units(records: Iterable[dict]) -> list[tuple[str, set[int]]]:
    """Sentence records grouped into paragraphs: ``(policy, union of labels)`` each.

    Example:
        >>> paragraph_units([{"policy": "p", "paragraph": 0, "labels": [1]},
        ...                  {"policy": "p", "paragraph": 0, "labels": [3]},
        ...                  {"policy": "p", "paragraph": 1, "labels": []}])
        [('p', {1, 3}), ('p', set())]
    """
    grouped: dict[tuple[str, int], set[int]] = {}
    for r in records:
        grouped.setdefault((r["policy"], r["paragraph"]), set()).update(r["labels"])
    return [(policy, labels) for (policy, _), labels in grouped.items()]


@dataclass
class DataReport:
    """Everything ``privtag data-report`` prints.

    Attributes:
        counts: one :class:`Counts` per column of the counts table.
        kept: one :class:`Kept` per OPP-115 split, then one for all of them (empty without
            OPP-115).
        vote: the OPP-115 vote used (``"majority"`` or ``"union"``).
        sources: what was read, for the report's header.
    """

    counts: list[Counts]
    kept: list[Kept]
    vote: str
    sources: list[str]

    def counts_rows(self) -> list[list[str]]:
        """The counts table as rows of cells, header first."""
        rows = [["label", *(c.name for c in self.counts)]]
        for i, label in enumerate(LABELS):
            rows.append([label, *(str(c.per_label[i]) for c in self.counts)])
        rows.append(["(no label)", *(str(c.unlabelled) for c in self.counts)])
        rows.append(["units", *(str(c.units) for c in self.counts)])
        rows.append(["policies", *(str(c.policies) for c in self.counts)])
        return rows

    def kept_rows(self) -> list[list[str]]:
        """The projection table as rows of cells, header first (empty without OPP-115)."""
        if not self.kept:
            return []
        total = self.kept[-1]
        rows = [
            [
                "label",
                f"segment labels, {total.name}",
                f"kept, {total.name}",
                *(f"share kept, {k.name}" for k in self.kept),
            ]
        ]
        for i, label in [*enumerate(LABELS), (None, "all labels")]:
            seg = sum(total.segment) if i is None else total.segment[i]
            kept = sum(total.kept) if i is None else total.kept[i]
            rows.append([label, str(seg), str(kept), *(_pct(k.share(i)) for k in self.kept)])
        return rows

    def to_text(self) -> str:
        """A readable terminal report."""
        parts = [
            f"Data report ({_vote_text(self.vote)})",
            *self.sources,
            "",
            "Units per label (a unit with two labels counts under both):",
            _aligned(self.counts_rows()),
        ]
        if self.kept:
            parts += [
                "",
                "Segment labels kept by sentence projection (OPP-115: share of a "
                "segment's labels that at least one of its sentences carries):",
                _aligned(self.kept_rows()),
            ]
        return "\n".join(parts)

    def to_markdown(self) -> str:
        """The same report as Markdown tables."""
        parts = [
            f"OPP-115 labels by {_vote_text(self.vote)}.",
            "",
            *(f"- {s}" for s in self.sources),
            "",
            "Units per label (a unit with two labels counts under both):",
            "",
            _markdown(self.counts_rows()),
        ]
        if self.kept:
            parts += [
                "",
                "Segment labels kept by sentence projection: of the labels an OPP-115 "
                "segment has, the share that at least one of its sentences carries:",
                "",
                _markdown(self.kept_rows()),
            ]
        return "\n".join(parts) + "\n"


def build_report(
    opp115: str | Path | None,
    annotations: str | Path | None,
    vote: str = "majority",
    splits: Sequence[str] = OPP115_SPLITS,
) -> DataReport:
    """Count labels in OPP-115 and the seed annotations.

    Args:
        opp115: the OPP-115 directory, or ``None`` to leave OPP-115 out.
        annotations: a directory (or file) of privtag annotations, or ``None`` to leave
            them out; their policy files are found as :func:`privtag.data.annotations.parse_annotations`
            finds them.
        vote: OPP-115 vote, ``"majority"`` (>= 2 annotators) or ``"union"`` (>= 1), for
            segments and sentences alike.
        splits: OPP-115 splits to report.

    Returns:
        a :class:`DataReport`.

    Raises:
        DataError: OPP-115 directory or split not usable, or nothing to report.
        AnnotationError: the annotations are invalid (every problem listed).
    """
    if vote not in VOTES:
        raise DataError(f"vote must be one of {', '.join(VOTES)}, not {vote!r}")
    counts: list[Counts] = []
    kept: list[Kept] = []
    sources: list[str] = []
    if opp115 is not None:
        root = resolve_root(opp115)
        segs = load_opp115(root, level="segment", vote=vote, splits=list(splits))
        sents = load_opp115(root, level="sentence", vote=vote, splits=list(splits))
        for split in splits:
            g, s = segs[split], sents[split]
            counts.append(count_units(f"OPP-115 {split}, segment", _units(g)))
            counts.append(count_units(f"OPP-115 {split}, sentence", _units(s)))
            kept.append(kept_by_projection(split, g, s))
        if len(kept) > 1:
            kept.append(
                Kept(
                    "all",
                    *(
                        tuple(sum(getattr(k, f)[i] for k in kept) for i in range(NUM_LABELS))
                        for f in ("segment", "kept")
                    ),
                )
            )
        sources.append(f"OPP-115: {root} (splits {', '.join(splits)})")
    if annotations is not None:
        # labels may be written as display names or short ids: to indices, as training does
        records = [
            {**r, "labels": [label_index(x) for x in r["labels"]]}
            for r in read_annotations(annotations)
        ]
        counts.append(count_units("seed, sentence", _units(records)))
        counts.append(count_units("seed, paragraph", paragraph_units(records)))
        sources.append(f"seed annotations: {annotations}")
    if not counts:
        raise DataError("nothing to report: give an OPP-115 directory or annotations")
    return DataReport(counts, kept, vote, sources)


def _units(rows) -> Iterable[tuple[str, list[int]]]:
    # a Dataset gives whole columns fast; a list of dicts gives rows
    if isinstance(rows, list):
        return ((r["policy"], r["labels"]) for r in rows)
    return zip(rows["policy"], rows["labels"], strict=True)


def _vote_text(vote: str) -> str:
    return {
        "majority": "majority vote, at least 2 of 3 annotators",
        "union": "union, at least 1 annotator",
    }.get(vote, vote)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _aligned(rows: list[list[str]]) -> str:
    # headers stacked word group by word group ("OPP-115" / "train" / "segment") keep the
    # columns narrow enough for a terminal; label names left, numbers right-aligned
    head = [h.replace(",", "").split(" ") if j else [h] for j, h in enumerate(rows[0])]
    depth = max(map(len, head))
    head = [[""] * (depth - len(h)) + h for h in head]
    lines = [list(r) for r in zip(*head, strict=True)] + rows[1:]
    widths = [max(len(r[j]) for r in lines) for j in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if j == 0 else c.rjust(w)
            for j, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in lines
    )


def _markdown(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)

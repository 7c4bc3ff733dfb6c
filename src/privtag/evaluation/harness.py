"""Evaluate taggers on an annotated dataset: per-label scores, policy bootstrap, confusions.

Every system privtag evaluates (the rule and TF-IDF baselines, the fine-tuned tagger)
follows :class:`System`. :func:`evaluate_system` scores one system on a
``datasets.Dataset`` with :data:`privtag.data.FEATURES`; :func:`compare` scores several
on the same data for a side-by-side table; :func:`privtag.evaluation.tables.plot_f1` draws per-label F1 bars.

Confidence intervals come from a bootstrap over *policies*, not units
(:mod:`privtag.evaluation.bootstrap`).

Example:
    >>> from privtag.evaluation.baselines import RuleTagger
    >>> from privtag.data.records import to_dataset
    >>> ds = to_dataset([{"policy": "p", "unit_id": "1", "text": "We use cookies.",
    ...                   "labels": ["First Party Collection/Use"]}])
    >>> result = evaluate_system(RuleTagger(), ds, n_bootstrap=100)
    >>> round(result.scores["micro"]["f1"], 2)
    1.0
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from privtag.data.records import multi_hot, units_of
from privtag.errors import ArgumentError, DataError, check_int, plural
from privtag.evaluation.bootstrap import (
    AVERAGES,
    bootstrap_intervals,
    check_bootstrap,
    paired_difference,
    policy_counts,
)
from privtag.evaluation.metrics import prf
from privtag.evaluation.tables import (
    diff_text,
    few_policies_note,
    format_table,
    interval_text,
    no_support_note,
    pct,
)
from privtag.extras import missing
from privtag.inference.encoding import Unit
from privtag.labels import LABELS
from privtag.outputs import write_text

try:
    from datasets import ClassLabel, Dataset, DatasetDict
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e

_INSTEAD = "most often predicted instead"


@runtime_checkable
class System(Protocol):
    """What every tagger offers. One unit in gives one result out; a list gives a list.

    A unit is a ``str`` (sentence or paragraph) or a mapping with ``text`` and optionally
    ``section`` (list of headings) and ``previous`` (the sentence before it).

    Attributes:
        name: short name shown in tables (e.g. ``"rules"``, ``"tfidf"``).
        thresholds: per-label decision thresholds, shape (n_labels,). The harness takes
            decisions from ``predict``, so a system may use other thresholds per unit kind
            (the fine-tuned tagger keeps separate sentence and paragraph thresholds).
    """

    name: str
    thresholds: np.ndarray

    def predict_proba(self, units: Unit | Sequence[Unit]) -> np.ndarray:
        """Scores in [0, 1], shape (n_units, n_labels), or (n_labels,) for one unit."""
        ...

    def predict(self, units: Unit | Sequence[Unit]) -> list[str] | list[list[str]]:
        """Predicted label names per unit (or for the one unit given)."""
        ...


def check_labels(dataset: Dataset, label_names: Sequence[str] = LABELS) -> None:
    """Raise :class:`DataError` unless the dataset's ``labels`` ClassLabel names are ``label_names``."""
    feature = dataset.features.get("labels")
    inner = getattr(feature, "feature", feature)
    if not isinstance(inner, ClassLabel):
        raise DataError(
            "the dataset has no 'labels' column of ClassLabel indices (see privtag.data.FEATURES)"
        )
    if list(inner.names) != list(label_names):
        raise DataError(
            f"label sets differ: the dataset has {len(inner.names)} labels ({', '.join(inner.names)}), "
            f"the evaluation {len(label_names)} ({', '.join(label_names)}); convert the dataset to "
            "privtag's labels (privtag.data.to_dataset) or pass matching label_names"
        )


def reference_matrix(dataset: Dataset, n_labels: int) -> np.ndarray:
    """Multi-hot gold labels, shape (n_units, n_labels)."""
    return multi_hot(dataset["labels"], n_labels, np.int8)


def decide(
    system: System, units: list[Unit], label_names: Sequence[str]
) -> tuple[np.ndarray, float]:
    """Run ``system.predict`` on all units; return 0/1 decisions (n_units, n_labels) and seconds.

    Before timing, ``predict_proba`` runs on two units: it checks the score columns and
    warms the system up (lazy loading would otherwise count against its throughput).

    Raises:
        DataError: when the system's scores do not have one column per label, its
            ``labels`` differ, or it predicts a name outside ``label_names``.
    """
    name, n = getattr(system, "name", type(system).__name__), len(label_names)
    own = getattr(system, "labels", None)
    if own is not None and list(own) != list(label_names):
        raise DataError(
            f"label sets differ: system {name!r} was built for {len(own)} labels "
            f"({', '.join(own)}), the evaluation uses {n}"
        )
    probe = np.asarray(system.predict_proba(list(units[:2])))
    if probe.shape != (min(2, len(units)), n):
        raise DataError(
            f"label sets differ: system {name!r} returned scores of shape {probe.shape} "
            f"for {min(2, len(units))} units; expected one column per label ({n})"
        )
    start = time.perf_counter()
    predicted = system.predict(list(units))
    seconds = time.perf_counter() - start
    index = {label: j for j, label in enumerate(label_names)}
    decisions = np.zeros((len(units), n), dtype=np.int8)
    for i, names in enumerate(predicted):
        for label in names:
            if label not in index:
                raise DataError(
                    f"label sets differ: system {name!r} predicted {label!r}, "
                    f"which is not one of the evaluation's {n} labels"
                )
            decisions[i, index[label]] = 1
    return decisions, seconds


def confusions(
    decisions: np.ndarray,
    references: np.ndarray,
    label_names: Sequence[str] = LABELS,
    top_k: int = 3,
) -> dict[str, list[tuple[str, int]]]:
    """For each label, the labels most often predicted in its place.

    A label ``m`` counts as predicted in place of ``l`` on a unit where ``l`` is a false
    negative and ``m`` a false positive. Returns ``{l: [(m, count), ...]}``, most
    frequent first, at most ``top_k`` entries, only counts > 0.
    """
    fn = ((references == 1) & (decisions == 0)).astype(np.int64)
    fp = ((references == 0) & (decisions == 1)).astype(np.int64)
    matrix = fn.T @ fp  # (n_labels, n_labels); [l, m] = units with l missed and m wrongly added
    out = {}
    for i, label in enumerate(label_names):
        order = sorted(range(len(label_names)), key=lambda j: (-matrix[i, j], j))[:top_k]
        out[label] = [(label_names[j], int(matrix[i, j])) for j in order if matrix[i, j] > 0]
    return out


@dataclass
class Evaluation:
    """Scores of one system on one dataset (``scores`` is :func:`privtag.evaluation.metrics.prf`'s dict)."""

    system: str
    data: str
    labels: list[str]
    scores: dict
    intervals: dict[str, list[float]]
    confusions: dict[str, list[tuple[str, int]]]
    per_policy: dict[str, list[list[int]]]
    n_units: int
    n_policies: int
    seconds: float
    units_per_second: float
    settings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Everything as plain JSON-serialisable types."""
        return asdict(self)

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            write_text(path, text + "\n")
        return text

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        head = ["label", "P", "R", "F1", f"F1 {self._pct()} CI", "support", _INSTEAD]

        def row(name: str, s: dict, key: str, support: int, conf: str = "") -> list[str]:
            cells = [
                pct(s["precision"]),
                pct(s["recall"]),
                pct(s["f1"]),
                interval_text(self.intervals.get(key)),
            ]
            return [name, *cells, str(support), conf]

        rows = []
        for label in self.labels:
            s = self.scores["per_label"][label]
            conf = ", ".join(f"{m} ({c})" for m, c in self.confusions.get(label, []))
            rows.append(row(label, s, f"f1:{label}", s["support"], conf))
        for a in AVERAGES:
            rows.append(row(f"{a} avg", self.scores[a], f"{a}_f1", self.scores["support"]))
        return head, rows

    def _pct(self) -> str:
        return f"{round(self.settings.get('confidence', 0.95) * 100)}%"

    def _caption(self) -> str:
        return (
            f"{self.system} on {self.data or 'dataset'}: {plural(self.n_units, 'unit')} from "
            f"{plural(self.n_policies, 'policy')}; {self.units_per_second:,.1f} units/s. "
            "Scores in %; "
            + (
                f"intervals: bootstrap over policies ({self.settings.get('n_bootstrap')} "
                "resamples)."
                if self.settings.get("n_bootstrap")
                else "no intervals (no bootstrap resamples)."
            )
            + few_policies_note(self)
            + no_support_note([self])
        )

    def to_text(self) -> str:
        """A terminal table."""
        return self._caption() + "\n" + format_table(*self._rows(), align="lrrrrrl")

    def to_markdown(self) -> str:
        """A Markdown table with a one-line caption."""
        return (
            self._caption() + "\n\n" + format_table(*self._rows(), markdown=True, align="lrrrrrl")
        )

    __str__ = to_text


def evaluate_system(
    system: System,
    dataset: Dataset,
    *,
    data_name: str = "",
    label_names: Sequence[str] = LABELS,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    top_k: int = 3,
) -> Evaluation:
    """Score ``system`` on ``dataset`` (columns of :data:`privtag.data.FEATURES`).

    Args:
        system: any :class:`System`; it receives units with text, section and previous.
        dataset: the annotated units; ``policy`` groups them for the bootstrap.
        data_name: shown in tables (e.g. ``"opp115:validation (segment)"``).
        label_names: the label set; the dataset's and the system's must match it.
        n_bootstrap, confidence, seed: the policy bootstrap (seeded: same input, same intervals).
        top_k: how many confusions to keep per label.

    Returns:
        an :class:`Evaluation`.

    Raises:
        DataError: empty dataset, a dataset of several splits (pass one:
            ``dataset["test"]``), or dataset/system built for another label set.
        ArgumentError: ``system`` has no ``predict_proba`` and ``predict``, ``dataset``
            is not a ``Dataset``, ``n_bootstrap``, ``seed`` or ``top_k`` is not an int of
            at least 0, or ``confidence`` is outside (0, 1); checked before the system runs.
    """
    label_names = list(label_names)
    check_bootstrap(n_bootstrap, confidence)
    check_int(seed, "seed", 0)
    check_int(top_k, "top_k", 0)
    if not all(callable(getattr(system, m, None)) for m in ("predict", "predict_proba")):
        raise ArgumentError(
            f"system must have predict() and predict_proba() (a Tagger or a baseline), "
            f"not {type(system).__name__}"
        )
    if isinstance(dataset, DatasetDict):  # what load_annotations returns
        splits = ", ".join(map(str, dataset.keys()))
        first = next(iter(dataset.keys()), "test")
        raise DataError(
            f"the dataset holds several splits ({splits}); evaluate one: dataset[{first!r}]"
        )
    if not isinstance(dataset, Dataset):
        raise ArgumentError(
            f"dataset must be a datasets.Dataset of annotated units, not a "
            f"{type(dataset).__name__}: load_annotations(FILES)['test'], to_dataset(records) "
            "or Dataset.from_pandas(df, features=privtag.data.FEATURES)"
        )
    check_labels(dataset, label_names)
    if len(dataset) == 0:
        raise DataError(f"no units to evaluate on in {data_name or 'the dataset'}")
    units = units_of(dataset)
    decisions, seconds = decide(system, units, label_names)
    return evaluate_decisions(
        decisions,
        reference_matrix(dataset, len(label_names)),
        dataset["policy"],
        system=getattr(system, "name", type(system).__name__),
        data_name=data_name,
        label_names=label_names,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        seed=seed,
        top_k=top_k,
        seconds=seconds,
    )


def evaluate_decisions(
    decisions: np.ndarray,
    references: np.ndarray,
    policies: Sequence[str],
    *,
    system: str,
    data_name: str = "",
    label_names: Sequence[str] = LABELS,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    top_k: int = 3,
    seconds: float = 0.0,
) -> Evaluation:
    """Score decisions already made (e.g. out-of-fold, :mod:`privtag.evaluation.crossval`).

    Args:
        decisions, references: (n_units, n_labels) 0/1.
        policies: (n_units,) the policy of each unit, for the bootstrap.
        system: the name shown in tables. Other arguments as :func:`evaluate_system`.
    """
    label_names = list(label_names)
    decisions = np.asarray(decisions).astype(int)
    references = np.asarray(references).astype(int)
    if len(decisions) == 0:
        raise DataError(f"no units to evaluate on in {data_name or 'the dataset'}")
    per_policy = policy_counts(decisions, references, policies)
    boot = {"n_bootstrap": n_bootstrap, "confidence": confidence, "seed": seed}
    return Evaluation(
        system=system,
        data=data_name,
        labels=label_names,
        scores=prf(decisions, references, label_names),
        intervals=bootstrap_intervals(per_policy, label_names=label_names, **boot),
        confusions=confusions(decisions, references, label_names, top_k),
        per_policy=per_policy,
        n_units=len(decisions),
        n_policies=len(per_policy),
        seconds=seconds,
        units_per_second=len(decisions) / max(seconds, 1e-9),
        settings=boot,
    )


@dataclass
class Comparison:
    """Several systems on one dataset; rows are labels and averages, columns systems."""

    results: list[Evaluation]

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        head = ["F1 (%)", *(r.system for r in self.results)]
        labels = self.results[0].labels
        rows = [
            [label, *(pct(r.scores["per_label"][label]["f1"]) for r in self.results)]
            for label in labels
        ]
        for a in AVERAGES:
            cells = (
                f"{pct(r.scores[a]['f1'])} {interval_text(r.intervals.get(f'{a}_f1'))}"
                for r in self.results
            )
            rows.append([f"{a} avg", *cells])
        rows.append(["units/s", *(f"{r.units_per_second:,.0f}" for r in self.results)])
        last = self.results[-1]
        for a in ("micro", "macro") if len(self.results) > 1 else ():
            cells = [diff_text(paired_difference(last, r, a)) for r in self.results[:-1]]
            rows.append([f"{last.system} − this, {a} (paired)", *cells, ""])
        return head, rows

    def _caption(self) -> str:
        r = self.results[0]
        boot = bool(r.settings.get("n_bootstrap"))
        return (
            f"{r.data or 'dataset'}: {r.n_units} units from {r.n_policies} policies. F1 in %; "
            + (
                f"averages with {r._pct()} bootstrap intervals over policies."
                if boot
                else "no intervals (no bootstrap resamples)."
            )
            + (
                f" Last rows: {self.results[-1].system}'s F1 minus each other system's"
                + (", with a paired bootstrap interval." if boot else ".")
                if len(self.results) > 1
                else ""
            )
            + few_policies_note(r)
            + no_support_note(self.results)
        )

    def to_text(self) -> str:
        """A terminal table."""
        return self._caption() + "\n" + format_table(*self._rows())

    def to_markdown(self) -> str:
        """A Markdown table with a one-line caption."""
        return self._caption() + "\n\n" + format_table(*self._rows(), markdown=True)

    def to_dict(self) -> dict:
        """``{"results": [Evaluation.to_dict(), ...]}``."""
        return {"results": [r.to_dict() for r in self.results]}

    __str__ = to_text


def compare(systems: Sequence[System], dataset: Dataset, **kwargs) -> Comparison:
    """Evaluate each system on ``dataset`` (``kwargs`` go to :func:`evaluate_system`)."""
    if not systems:
        raise DataError("compare() needs at least one system")
    return Comparison([evaluate_system(s, dataset, **kwargs) for s in systems])

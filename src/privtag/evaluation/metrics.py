"""Multi-label precision, recall and F1 as an ``evaluate`` metric that works offline.

``evaluate.load("f1")`` fetches its script from the Hugging Face hub, which privtag
must not need at evaluation time; :class:`MultiLabelPRF` is a local
``evaluate.Metric`` subclass, so ``compute`` and ``add_batch`` work with the hub off.

Inputs are multi-hot rows: ``predictions[i][j] == 1`` when unit ``i`` is predicted to
carry label ``j`` (column order of ``label_names``, default :data:`privtag.labels.LABELS`).
Undefined ratios (no predictions, no support) count as 0, as scikit-learn's
``zero_division=0`` does, and are computed without warnings.

This is privtag's one F1: training, threshold tuning, ``privtag evaluate``, the
benchmark and cross-validation all score with it. Macro averages run over the labels
with support in the references: a label nobody annotated can be neither found nor
missed (scikit-learn would average it in as 0). On OPP-115 every label has support,
so its macro figures are the same under either convention; ``support`` shows which
labels a small set lacks. With no support at all, the macro average is 0.

Example:
    >>> from privtag.evaluation.metrics import MultiLabelPRF
    >>> m = MultiLabelPRF(label_names=["a", "b"])
    >>> r = m.compute(predictions=[[1, 0], [1, 1]], references=[[1, 0], [0, 1]])
    >>> r["micro"]["f1"], r["per_label"]["a"]["precision"]
    (0.8, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from privtag.extras import require
from privtag.labels import LABELS

_DESCRIPTION = "Per-label, micro, macro and weighted precision/recall/F1 for multi-label tagging."
_INPUTS = """
Args:
    predictions: multi-hot rows, shape (n_units, n_labels), 0/1.
    references: multi-hot rows of the same shape.
Returns:
    dict with ``per_label`` ({label: {precision, recall, f1, support}}), ``micro``,
    ``macro``, ``weighted`` ({precision, recall, f1}), ``support`` (total positives)
    and ``n_units``.
"""


def counts(predictions: np.ndarray, references: np.ndarray) -> np.ndarray:
    """True positives, false positives and false negatives per label.

    Args:
        predictions, references: 0/1 arrays of shape (n_units, n_labels).

    Returns:
        int array of shape (3, n_labels): rows tp, fp, fn.
    """
    p = np.asarray(predictions, dtype=bool)
    r = np.asarray(references, dtype=bool)
    return np.stack([(p & r).sum(0), (p & ~r).sum(0), (~p & r).sum(0)]).astype(np.int64)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # 0 where the denominator is 0: scikit-learn's zero_division=0, minus its warning.
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def scores_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 per label and their averages, from counts.

    Works on a batch too: ``tp``, ``fp``, ``fn`` of shape (..., n_labels) give
    per-label arrays of that shape and averages of shape (...). The bootstrap in
    :mod:`privtag.evaluation.harness` relies on this to score thousands of resamples at once.

    Returns:
        dict with ``precision``, ``recall``, ``f1``, ``support`` (per label) and
        ``{micro,macro,weighted}_{precision,recall,f1}``.
    """
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    support = tp + fn
    out = {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, support),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "support": support,
    }
    stp, sfp, sfn = tp.sum(-1), fp.sum(-1), fn.sum(-1)
    micro = {
        "precision": _ratio(stp, stp + sfp),
        "recall": _ratio(stp, stp + sfn),
        "f1": _ratio(2 * stp, 2 * stp + sfp + sfn),
    }
    weights = _ratio(support, support.sum(-1, keepdims=True))
    present = support > 0
    for key in ("precision", "recall", "f1"):
        out[f"micro_{key}"] = micro[key]
        out[f"macro_{key}"] = _ratio((out[key] * present).sum(-1), present.sum(-1))
        out[f"weighted_{key}"] = (out[key] * weights).sum(-1)
    return out


def f1_scores(y: np.ndarray, pred: np.ndarray, per_label: bool = False) -> dict:
    """Micro and macro F1 of 0/1 predictions (and per-label F1 and support when ``per_label``).

    The compact summary training and tuning log; the same figures as :func:`prf`.

    Example:
        >>> f1_scores([[1, 0], [0, 0]], [[1, 1], [0, 0]])
        {'micro': 0.6666666666666666, 'macro': 1.0}
    """
    s = scores_from_counts(*counts(np.asarray(pred) > 0, np.asarray(y) > 0))
    out = {"micro": float(s["micro_f1"]), "macro": float(s["macro_f1"])}
    if per_label:
        n = len(s["f1"])
        names = LABELS if n == len(LABELS) else [str(i) for i in range(n)]
        out["per_label"] = {
            name: {"f1": round(float(f), 4), "support": int(c)}
            for name, f, c in zip(names, s["f1"], s["support"], strict=True)
        }
    return out


def label_f1(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Each label's F1 (columns of 0/1 ``y`` and ``pred``, shape (n, k)) as a (k,) array.

    Example:
        >>> label_f1([[1, 0], [1, 1]], [[1, 0], [0, 0]]).tolist()
        [0.6666666666666666, 0.0]
    """
    return np.asarray(scores_from_counts(*counts(np.asarray(pred) > 0, np.asarray(y) > 0))["f1"])


def prf(
    predictions: np.ndarray, references: np.ndarray, label_names: Sequence[str] = LABELS
) -> dict:
    """The metric as a plain function (what :meth:`MultiLabelPRF.compute` returns).

    Args:
        predictions, references: 0/1 arrays of shape (n_units, len(label_names)).
        label_names: column names.

    Raises:
        ValueError: if the shapes differ or do not have len(label_names) columns.
    """
    n = len(label_names)
    # An empty batch arrives as shape (0,); give it its columns so counting works.
    p, r = (np.asarray(x, dtype=np.int64) for x in (predictions, references))
    p, r = (x.reshape(0, n) if x.size == 0 else x for x in (p, r))
    if p.ndim != 2 or p.shape != r.shape or p.shape[1] != len(label_names):
        raise ValueError(
            f"predictions {p.shape} and references {r.shape} must both have shape "
            f"(n_units, {len(label_names)}), one column per label"
        )
    s = scores_from_counts(*counts(p, r))
    per_label = {
        name: {
            "precision": float(s["precision"][j]),
            "recall": float(s["recall"][j]),
            "f1": float(s["f1"][j]),
            "support": int(s["support"][j]),
        }
        for j, name in enumerate(label_names)
    }
    avg = {
        a: {k: float(s[f"{a}_{k}"]) for k in ("precision", "recall", "f1")}
        for a in ("micro", "macro", "weighted")
    }
    return {
        "per_label": per_label,
        **avg,
        "support": int(s["support"].sum()),
        "n_units": int(p.shape[0]),
    }


def _metric_class() -> type:
    # Built on first use: `import evaluate` also imports transformers and torch (several
    # seconds), and the harness and baselines only need the numpy functions above.
    import datasets

    require("train", "evaluate")
    import evaluate

    class MultiLabelPRF(evaluate.Metric):
        """Multi-label P/R/F1 per label plus micro, macro and weighted averages.

        Args:
            label_names: names of the columns, in order (default: privtag's 12 LABELS).
            **kwargs: passed to ``evaluate.Metric`` (``keep_in_memory`` defaults to True so
                nothing is written to the evaluate cache directory).

        Example:
            >>> from privtag.evaluation.metrics import MultiLabelPRF
            >>> m = MultiLabelPRF(label_names=["a", "b"])
            >>> m.add_batch(predictions=[[0, 0]], references=[[0, 1]])
            >>> m.compute()["macro"]["f1"]
            0.0
        """

        def __init__(self, label_names: Sequence[str] = LABELS, **kwargs):
            # _info() runs inside the base constructor and needs the names.
            self.label_names = tuple(label_names)
            kwargs.setdefault("keep_in_memory", True)
            super().__init__(**kwargs)

        def _info(self):
            return evaluate.MetricInfo(
                description=_DESCRIPTION,
                citation="",
                inputs_description=_INPUTS,
                features=datasets.Features(
                    {
                        "predictions": datasets.Sequence(datasets.Value("int8")),
                        "references": datasets.Sequence(datasets.Value("int8")),
                    }
                ),
            )

        def _compute(self, predictions, references) -> dict:
            return prf(predictions, references, self.label_names)

    return MultiLabelPRF


def __getattr__(name: str):
    if name == "MultiLabelPRF":
        globals()[name] = _metric_class()  # later lookups find it directly
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Text, Markdown and PNG output for evaluation results (tables and per-label F1 charts).

Example:
    >>> print(format_table(["label", "F1"], [["Data Security", "81.0"]]))
    label            F1
    -------------  ----
    Data Security  81.0
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from privtag.errors import plural
from privtag.extras import require
from privtag.labels import LABEL_IDS, LABELS
from privtag.outputs import atomic_file

if TYPE_CHECKING:
    from privtag.evaluation.harness import Evaluation


def plot_f1(results: Sequence[Evaluation], path: str | Path, title: str | None = None) -> Path:
    """Write a bar chart of per-label (and micro/macro) F1, one bar colour per system.

    Error bars are the bootstrap intervals. The format follows the extension (``.png``,
    ``.svg``; PNG when there is none); the file is replaced atomically. Returns the path.
    """
    require("eval", "matplotlib")
    from matplotlib.figure import Figure  # a bare Figure draws with Agg; no pyplot state

    labels = results[0].labels
    short = [LABEL_IDS[LABELS.index(x)] if x in LABELS else x for x in labels]
    keys = [f"f1:{x}" for x in labels] + ["micro_f1", "macro_f1"]
    x = np.arange(len(keys))
    width = 0.8 / len(results)
    fig = Figure(figsize=(max(8, len(keys) * 0.9), 4.5), layout="constrained")
    ax = fig.add_subplot()
    for i, r in enumerate(results):
        values = [r.scores["per_label"][lab]["f1"] for lab in labels]
        values += [r.scores["micro"]["f1"], r.scores["macro"]["f1"]]
        lo_hi = np.array([r.intervals.get(k, [v, v]) for k, v in zip(keys, values, strict=True)])
        err = np.clip(np.stack([values - lo_hi[:, 0], lo_hi[:, 1] - values]), 0, None)
        offset = (i - (len(results) - 1) / 2) * width  # bars of one label side by side
        ax.bar(x + offset, values, width, yerr=err, capsize=2, label=r.system)
    ax.set_xticks(x, [*short, "micro", "macro"], rotation=35, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1")
    ax.set_title(title or f"Per-label F1 on {results[0].data or 'dataset'}")
    ax.legend()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, binary=True) as f:
        fig.savefig(f, format=path.suffix[1:].lower() or "png", dpi=120)
    return path


def format_table(
    head: list[str], rows: list[list[str]], markdown: bool = False, align: str | None = None
) -> str:
    """Align a table as plain text, or as a Markdown pipe table.

    ``align`` has one letter per column, ``l`` or ``r``; default: first left, rest right.
    """
    align = align or "l" + "r" * (len(head) - 1)
    if markdown:
        rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
        return "\n".join(
            ["| " + " | ".join(head) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]
        )
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]
    fmt = [str.ljust if a == "l" else str.rjust for a in align]

    def line(r: list[str]) -> str:
        return "  ".join(f(str(c), w) for f, c, w in zip(fmt, r, widths, strict=True)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def f1_cell(evaluation, average: str) -> str:
    """``"77.3 [75.5, 79.1]"``: an Evaluation's F1 for ``average`` with its interval, in %."""
    interval = evaluation.intervals.get(f"{average}_f1")
    return f"{pct(evaluation.scores[average]['f1'])} {interval_text(interval)}".rstrip()


def interval_text(interval: Sequence[float] | None) -> str:
    return "" if interval is None else f"[{pct(interval[0])}, {pct(interval[1])}]"


def no_support_note(results: Sequence[Evaluation]) -> str:
    absent = [x for x in results[0].labels if results[0].scores["per_label"][x]["support"] == 0]
    if not absent:
        return ""
    return (
        f" No support in this data: {', '.join(absent)}; they are left out of the "
        "macro average (a label nobody annotated can be neither found nor missed)."
    )


def diff_text(d: Sequence[float]) -> str:
    if d[1] != d[1]:  # nan: no bootstrap was run, so only the difference itself
        return f"{100 * d[0]:+.1f}"
    return f"{100 * d[0]:+.1f} [{100 * d[1]:+.1f}, {100 * d[2]:+.1f}]"


def few_policies_note(r: Evaluation) -> str:
    if r.n_policies >= 5 or not r.settings.get("n_bootstrap"):
        return ""
    return (
        f" With {plural(r.n_policies, 'policy')} the bootstrap has few distinct resamples: its "
        "intervals understate the uncertainty."
    )

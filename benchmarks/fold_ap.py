"""Ranking quality of cross-validation runs on one fold, with no thresholds: average precision.

F1 under the protocol needs thresholds fitted on a run's other folds, so a run with a single
fold done has none. Average precision needs no threshold: per label, how well the fold's
out-of-fold scores rank its positive units above its negative ones. A teacher is used for
its scores, so this is what a teacher candidate is first judged on. Printed per run: macro
AP (the mean over labels with a positive in the fold) and micro AP (all labels pooled), at
segment level (``segment:max``) and sentence level (sentences in context).

Run::

    python benchmarks/fold_ap.py --fold 0 runs/cv-teacher runs/cv-mpnet [--recipe train/default.toml]

A run folder is a ``privtag crossval -o`` folder (its ``fold{K}``), or a fold folder itself;
``A+B`` scores the mean of the runs' scores, as an ensemble teacher of their fold models
would.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    import numpy as np
    from datasets.utils.logging import disable_progress_bar
    from sklearn.metrics import average_precision_score

    from privtag.data.records import multi_hot
    from privtag.evaluation.crossval import LEVELS, SCORES_FILE, UNITS_FILE, load_pool
    from privtag.training.recipe import Recipe

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="crossval run folders (or fold folders)")
    ap.add_argument("--fold", type=int, required=True, help="the fold to score")
    ap.add_argument("--recipe", default=str(ROOT / "train" / "default.toml"))
    args = ap.parse_args(argv)
    disable_progress_bar()

    pool, _ = load_pool(Recipe.load(args.recipe, []))
    gold = {}
    for lvl in LEVELS:
        y = multi_hot(pool[lvl]["labels"])
        keys = zip(pool[lvl]["policy"], pool[lvl]["unit_id"], strict=True)
        gold[lvl] = {key: y[i] for i, key in enumerate(keys)}
    print(f"Fold {args.fold}: average precision (%), no thresholds.\n")
    print(
        "| run | policies | segment macro AP | segment micro AP | sentence macro AP | sentence micro AP |"
    )
    print("|---|---:|---:|---:|---:|---:|")

    def fold_dir(run: str) -> Path:
        d = Path(run) / f"fold{args.fold}"
        return d if d.is_dir() else Path(run)

    for run in args.runs:
        dirs = [fold_dir(r) for r in run.split("+")]
        units = json.loads((dirs[0] / UNITS_FILE).read_text(encoding="utf-8"))
        for d in dirs[1:]:  # members must score the same units in the same order
            if json.loads((d / UNITS_FILE).read_text(encoding="utf-8")) != units:
                raise SystemExit(f"{d}: other units than {dirs[0]}; not the same folds")
        members = [np.load(d / SCORES_FILE) for d in dirs]
        scores = {n: np.mean([m[n] for m in members], axis=0) for n in ("segment:max", "sentence")}
        cells = []
        for lvl, name in (("segment", "segment:max"), ("sentence", "sentence")):
            keys = zip(units[lvl]["policy"], units[lvl]["unit_id"], strict=True)
            y = np.stack([gold[lvl][k] for k in keys])
            s = scores[name]
            per_label = [
                average_precision_score(y[:, j], s[:, j])
                for j in range(y.shape[1])
                if y[:, j].any()
            ]
            cells += [
                f"{100 * np.mean(per_label):.1f}",
                f"{100 * average_precision_score(y.ravel(), s.ravel()):.1f}",
            ]
        policies = len(set(units["segment"]["policy"]))
        print(f"| {run} | {policies} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

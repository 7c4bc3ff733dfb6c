"""An ensemble teacher measured under cross-validation, from runs already made: no training.

Several ``privtag crossval`` runs of the same data and folds (different recipes or seeds)
each hold out-of-fold scores for every unit. Their mean is the out-of-fold score of the
ensemble of their fold models, so the ensemble is measured by policy at no training
cost; ``--tfidf`` adds TF-IDF + LR (fitted per fold, as in the report) as one more
member. The result is written as a run folder of its own, which ``privtag crossval
--report-only`` and ``benchmarks/crossval_variants.py`` read like any other.

Thresholds are then fitted on the ensemble's out-of-fold scores of the other folds, as
for a single model: nothing is tuned on the fold it is scored on.

With ``--partial``, only the folds every run has finished (at least two) are written, and
the report reads the result with its own ``--partial``.

Run::

    python benchmarks/crossval_ensemble.py runs/cv-default runs/cv-cd3 runs/cv-cd3-soft \\
        --tfidf -o runs/cv-ensemble
    privtag crossval train/default.toml -o runs/cv-ensemble --report-only
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> Path:
    import numpy as np
    from datasets.utils.logging import disable_progress_bar

    from privtag.errors import DataError
    from privtag.evaluation.crossval import FOLDS_FILE, LEVELS, SCORES_FILE, UNITS_FILE
    from privtag.evaluation.crossval_report import load_out_of_fold, tfidf_out_of_fold
    from privtag.outputs import Outputs
    from privtag.training.recipe import Recipe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="finished crossval runs, same folds")
    ap.add_argument("-o", "--output", type=Path, required=True, help="the ensemble's run folder")
    ap.add_argument("--tfidf", action="store_true", help="add TF-IDF + LR as a member")
    ap.add_argument("--recipe", type=Path, default=ROOT / "train/default.toml")
    ap.add_argument(
        "--partial", action="store_true", help="only the folds every run has done (two or more)"
    )
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    disable_progress_bar()
    Outputs([args.recipe, *args.runs], args.force).directory(args.output, "--output")
    recipe = Recipe.load(args.recipe)

    folds_text = {(run / FOLDS_FILE).read_text(encoding="utf-8") for run in args.runs}
    if len(folds_text) != 1:
        raise DataError("the runs were dealt into different folds; an ensemble needs the same")
    members = []
    for run in args.runs:
        # every fold must be done, unless --partial
        oof, pool, extras = load_out_of_fold(recipe, run, partial=args.partial)
        members.append(oof)
    done = sorted(set.intersection(*(set(m.done) for m in members)))
    if len(done) < 2:
        raise DataError("the runs have fewer than two folds done in common")
    names = sorted(set.intersection(*(set(m.scores) for m in members)))
    names = [n for n in names if not n.startswith("tfidf:")]
    flags = [n for n in names if n.endswith("_is_para")]
    for n in flags:
        # compared on the folds written: a fold one run has not done holds no flags yet
        lvl = "segment" if n.startswith("segment") else "sentence"
        common = np.isin(members[0].fold[lvl], done)
        if any(
            not np.array_equal(m.scores[n][common], members[0].scores[n][common]) for m in members
        ):
            raise DataError(f"{n} differs between the runs: they scored different units")
    mean = {n: np.mean([m.scores[n] for m in members], axis=0) for n in names if n not in flags}
    if args.tfidf:
        tfidf_out_of_fold(recipe, args.runs[0], members[0], pool, extras)
        k = len(members)
        for n in mean:
            t = members[0].scores["tfidf:segment" if n.startswith("segment") else "tfidf:sentence"]
            mean[n] = (k * mean[n] + t) / (k + 1)

    out = args.output
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / FOLDS_FILE).write_text(next(iter(folds_text)), encoding="utf-8")
    about = {"ensemble_of": [str(r) for r in args.runs], "tfidf": args.tfidf, "folds": done}
    (out / "ensemble.json").write_text(json.dumps(about, indent=1) + "\n", encoding="utf-8")
    oof = members[0]
    ids = {lvl: list(pool[lvl]["unit_id"]) for lvl in LEVELS}
    for k in done:  # a fold not written is a fold not done, for every reader
        rows = {lvl: np.flatnonzero(oof.fold[lvl] == k) for lvl in LEVELS}
        arrays = {}
        for n in [*mean, *flags]:
            lvl = "segment" if n.startswith("segment") else "sentence"
            arrays[n] = (mean[n] if n in mean else oof.scores[n])[rows[lvl]]
        d = out / f"fold{k}"
        d.mkdir()
        units = {
            lvl: {
                "policy": [oof.policy[lvl][i] for i in rows[lvl]],
                "unit_id": [ids[lvl][i] for i in rows[lvl]],
            }
            for lvl in LEVELS
        }
        (d / UNITS_FILE).write_text(json.dumps(units) + "\n", encoding="utf-8")
        np.savez_compressed(d / SCORES_FILE, **arrays)
    print(f"ensemble of {len(members)} runs{' and TF-IDF' if args.tfidf else ''} written to {out}")
    return out


if __name__ == "__main__":
    main()

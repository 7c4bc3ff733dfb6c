"""Sentences given alone (``predict()``) under cross-validation: which thresholds suit them.

Reads a finished ``privtag crossval`` run (its ``lone:<agg>`` scores: each held-out
sentence scored by itself, as ``predict()`` scores it) and prints, with every threshold of
a fold fitted on the other folds only:

- lone sentences decided at the sentence thresholds (fitted on in-paragraph scores, what
  a model ships) against thresholds fitted on out-of-fold *lone* scores: whether sentences
  alone need thresholds of their own on OPP-115;
- what a threshold profile (``--profile``, default the shipped model's ``modern-balanced``
  factors) costs OPP-115 when ``--thresholds auto`` gives it to every sentence alone: on
  lone sentences, and on segments scored through ``predict()``, where it reaches the
  one-sentence segments only (longer ones keep the tuned paragraph thresholds).

Micro / macro F1 in %, with 95% bootstrap intervals over policies and paired differences.

Run (seconds; no model is loaded)::

    python benchmarks/lone_decisions.py runs/cv-mpnet-lr2 [--folds 0 1 2 3]
    python benchmarks/lone_decisions.py runs/cv-distil-mpnet --recipe train/distill.toml
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    import numpy as np
    from datasets.utils.logging import disable_progress_bar

    from privtag.evaluation.bootstrap import paired_difference
    from privtag.evaluation.crossval_report import (
        _evaluate,
        fold_thresholds,
        load_out_of_fold,
        per_unit,
    )
    from privtag.evaluation.tables import diff_text, f1_cell
    from privtag.inference.settings import profile_scales
    from privtag.training.recipe import Recipe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a privtag crossval run folder")
    ap.add_argument("--recipe", type=Path, default=ROOT / "train/default.toml")
    ap.add_argument("--aggregate", default="max")
    ap.add_argument("--rule", default="shrunk")
    ap.add_argument("--model", type=Path, default=ROOT / "model", help="whose profile to apply")
    ap.add_argument("--profile", default="modern-balanced")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--folds", type=int, nargs="+", help="only these folds (default: all done)")
    args = ap.parse_args(argv)
    disable_progress_bar()

    oof, _, _ = load_out_of_fold(Recipe.load(args.recipe), args.run, True, args.folds)
    oof, _ = oof.subset()
    thresholds = json.loads((args.model / "thresholds.json").read_text(encoding="utf-8"))
    scale = profile_scales(thresholds, args.profile, str(args.model))
    f_s, f_g = oof.fold["sentence"], oof.fold["segment"]
    y_s = oof.y["sentence"]
    lone = oof.scores[f"lone:{args.aggregate}"]
    lone_para = oof.scores["lone_is_para"].astype(bool)
    th_s = per_unit(fold_thresholds(args.rule, oof.scores["sentence"], y_s, f_s), f_s)
    th_l = per_unit(fold_thresholds(args.rule, lone, y_s, f_s, fit_on=~lone_para), f_s)
    seg = oof.scores[f"segment:{args.aggregate}"]
    para = oof.scores["segment_is_para"].astype(bool)
    th_p = fold_thresholds(args.rule, seg, oof.y["segment"], f_g, fit_on=para)
    th_g = fold_thresholds(args.rule, oof.scores["sentence"], y_s, f_s)
    seg_th = np.where(para[:, None], per_unit(th_p, f_g), per_unit(th_g, f_g))
    seg_alone = np.where(para[:, None], seg_th, np.clip(seg_th * scale, 0, 1))

    def ev(decided, level, name):
        return _evaluate(decided, oof, level, name, args.bootstrap)

    rows = {
        "lone, sentence thresholds": ev(lone >= th_s, "sentence", "a"),
        "lone, lone thresholds": ev(lone >= th_l, "sentence", "b"),
        f"lone, {args.profile}": ev(lone >= np.clip(th_s * scale, 0, 1), "sentence", "c"),
        "segments, tuned": ev(seg >= seg_th, "segment", "d"),
        f"segments, {args.profile} on one-sentence ones": ev(seg >= seg_alone, "segment", "e"),
    }
    names = list(rows)
    print(
        f"{args.run}: folds {oof.done}, {len(set(oof.policy['segment']))} policies, "
        f"{args.aggregate}/{args.rule}; {int((~para).sum())} of {len(para)} segments have "
        f"one sentence. Profile {args.profile!r} of {args.model}: factors "
        f"{', '.join(f'{x:.2f}' for x in scale)}.\n"
    )
    print("| decisions | micro | macro | Δ micro / macro (paired) |")
    print("|---|---:|---:|---:|")
    pairs = {names[1]: names[0], names[2]: names[0], names[4]: names[3]}
    out = {}
    for name, e in rows.items():
        diff = "-"
        if name in pairs:
            d = [paired_difference(e, rows[pairs[name]], a) for a in ("micro", "macro")]
            diff = " / ".join(diff_text(x) for x in d)
        print(f"| {name} | {f1_cell(e, 'micro')} | {f1_cell(e, 'macro')} | {diff} |")
        out[name] = {a: e.scores[a]["f1"] for a in ("micro", "macro")}
    return out


if __name__ == "__main__":
    main()

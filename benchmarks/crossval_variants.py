"""Training variants side by side under cross-validation by policy: one row per variant.

Each variant is a finished ``privtag crossval`` run of the same recipe with other
``--set`` options (same folds: the fold seed and the data are the recipe's). For every
run this script builds the cross-validated report (thresholds of a fold fitted only on
the other folds' out-of-fold scores) and prints, per variant:

- the variant at one common decision (``--at AGG/RULE``, default: the first variant's
  best row by segment macro-F1), so that only training differs between rows, with the
  paired bootstrap difference against the first variant on the same policies;
- its own best row, which is what ``privtag train --crossval RUN`` would ship;
- ``predict()`` on lone sentences against ``tag()`` with context (micro/macro F1, and how
  often the two give the same label set).

Choosing the best of several rows on the same out-of-fold scores flatters the chosen row
a little; the paired differences at the common decision are the fair comparison.

Run::

    python benchmarks/crossval_variants.py default=runs/cv-default \\
        dropout=runs/cv-cd3 dropout+soft=runs/cv-cd3-soft --markdown /tmp/variants.md
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    from privtag.evaluation.bootstrap import paired_difference
    from privtag.evaluation.crossval_final import choose_row
    from privtag.evaluation.crossval_report import crossval_report
    from privtag.evaluation.tables import diff_text, f1_cell
    from privtag.outputs import Outputs, write_text
    from privtag.training.recipe import Recipe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="NAME=RUN_DIR, the first one is the reference")
    ap.add_argument("--recipe", type=Path, default=ROOT / "train/default.toml")
    ap.add_argument("--at", help="common decision AGG/RULE, e.g. 'max/shrunk + top label'")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument(
        "--partial", action="store_true", help="compare on the folds every run has finished"
    )
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # one line per run is enough; the casting bars are noise here
    outs = Outputs([args.recipe], args.force)
    outs.file(args.markdown, "--markdown", (".md",))
    outs.file(args.json, "--json", (".json",))
    recipe = Recipe.load(args.recipe)
    specs = []
    for spec in args.runs:
        name, _, run = spec.partition("=")
        if not run:
            ap.error(f"{spec!r}: give NAME=RUN_DIR")
        specs.append((name, Path(run)))
    common_folds = None
    if args.partial:
        # every run on the folds all of them have finished: the same policies throughout
        done = [{int(p.parent.name[4:]) for p in run.glob("fold*/scores.npz")} for _, run in specs]
        common_folds = sorted(set.intersection(*done))
        print(f"folds done in every run: {common_folds}")
    variants = [
        (
            name,
            str(run),
            crossval_report(recipe, run, n_bootstrap=args.bootstrap, folds=common_folds),
        )
        for name, run in specs
    ]

    first_best = choose_row(variants[0][2], None, None)
    at = args.at or f"{first_best.system[len('privtag (') : -1]}/{first_best.rule}"
    agg, _, rule = at.partition("/")
    common = [(name, choose_row(rep, agg, rule)) for name, _, rep in variants]
    ref = common[0][1]

    head = (
        "| variant | decision | segment micro | segment macro | sentence micro | "
        "sentence macro | Δ segment micro / macro vs first | Δ sentence macro vs first |"
    )
    lines = [
        f"At one decision for all ({agg}, {rule}); F1 in % with 95% bootstrap intervals "
        "over policies; Δ is paired, on the same policies.",
        "",
        head,
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    figures: dict = {"at": at, "variants": {}}
    for (name, row), (_, run, rep) in zip(common, variants, strict=True):
        d_seg = [paired_difference(row.segment, ref.segment, a) for a in ("micro", "macro")]
        d_sen = paired_difference(row.sentence, ref.sentence, "macro")
        delta = "-" if row is ref else f"{diff_text(d_seg[0])} / {diff_text(d_seg[1])}"
        lines.append(
            f"| {name} | {agg}, {rule} | {f1_cell(row.segment, 'micro')} | {f1_cell(row.segment, 'macro')} "
            f"| {f1_cell(row.sentence, 'micro')} | {f1_cell(row.sentence, 'macro')} | {delta} | "
            f"{'-' if row is ref else diff_text(d_sen)} |"
        )
        figures["variants"][name] = {
            "run": run,
            "n_policies": rep.n_policies,
            "common": {
                lvl: {a: getattr(row, lvl).scores[a]["f1"] for a in ("micro", "macro")}
                for lvl in ("segment", "sentence")
            },
            "delta_vs_first": {"segment": d_seg, "sentence_macro": d_sen},
        }
    lines += [
        "",
        "Each variant's best row (by segment macro-F1: what `privtag train --crossval` ships), "
        "and predict() on lone sentences against tag() in context at that rule:",
        "",
        "| variant | best decision | segment micro | segment macro | Δ vs TF-IDF micro / macro "
        "| tag() sentence micro / macro | predict() lone micro / macro | same label set |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _, rep in variants:
        best = choose_row(rep, None, None)
        b_agg = best.system[len("privtag (") : -1]
        lone = rep.lone.get(f"{b_agg}/{best.rule.removesuffix(' + top label')}", {})
        t = {a: v["f1"] for a, v in lone.get("tag", {}).items()}
        p = {a: v["f1"] for a, v in lone.get("predict", {}).items()}
        vs = best.vs_tfidf
        lines.append(
            f"| {name} | {b_agg}, {best.rule} | {f1_cell(best.segment, 'micro')} | "
            f"{f1_cell(best.segment, 'macro')} | {diff_text(vs['segment micro'])} / {diff_text(vs['segment macro'])} | "
            f"{100 * t.get('micro', 0):.1f} / {100 * t.get('macro', 0):.1f} | "
            f"{100 * p.get('micro', 0):.1f} / {100 * p.get('macro', 0):.1f} | "
            f"{100 * lone.get('agreement', {}).get('same_label_set', 0):.1f}% |"
        )
        figures["variants"][name]["best"] = {
            "decision": f"{b_agg}/{best.rule}",
            "segment": {a: best.segment.scores[a]["f1"] for a in ("micro", "macro")},
            "vs_tfidf": vs,
            "lone": p,
            "tag": t,
            "agreement": lone.get("agreement"),
        }
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        write_text(args.markdown, text + "\n")
    if args.json:
        write_text(args.json, json.dumps(figures, indent=1, default=float) + "\n")
    return figures


if __name__ == "__main__":
    main()

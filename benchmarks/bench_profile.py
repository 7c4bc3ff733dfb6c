"""What a threshold profile costs on OPP-115 (cross-validated) and buys on a modern set.

A profile (``privtag tune MODEL --profile NAME --data ANNOTATIONS``) scales the tuned
thresholds by factors (a shared one, and each label's own) fitted on
annotated sentences of current policies. This script
measures it where it was not fitted:

- **OPP-115, out of fold**: a cross-validation run's scores (``privtag crossval``), each
  fold's thresholds fitted on the other folds as usual, then multiplied by the profile's
  factor; segment and sentence level and ``predict()`` on lone sentences, micro/macro F1
  with 95% bootstrap intervals over policies and the paired difference to the tuned
  thresholds;
- **a modern set** (default the check set, ``data/annotations/modern/``, which no
  profile is fitted on): ``tag()`` and ``predict()`` at the tuned thresholds and at the
  profile, and precision/recall of the common labels.

Run (a minute or two on 2 cores; OPP-115 is read from ``--opp115``, default
``../shared/opp115``)::

    python benchmarks/bench_profile.py                   # the shipped model, its run, "modern"
    python benchmarks/bench_profile.py --model DIR --run RUN --profile NAME
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def opp115_rows(
    recipe_path: Path, run: Path, decision: str, scales, name: str, n_bootstrap: int
) -> list[str]:
    """Markdown rows: OPP-115 out-of-fold F1 at the tuned thresholds and at ``scales``
    (12 factors, one per label: the profile ``name``)."""
    from privtag.evaluation.bootstrap import paired_difference
    from privtag.evaluation.crossval_report import _evaluate, load_out_of_fold, model_decisions
    from privtag.evaluation.tables import diff_text, f1_cell
    from privtag.training.recipe import Recipe

    agg, _, rule = decision.partition("/")
    fallback = rule.endswith(" + top label")
    rule = rule.removesuffix(" + top label")
    oof, _, _ = load_out_of_fold(Recipe.load(recipe_path), run)
    evals = {}
    for row, s in (("tuned", 1.0), (name, scales)):
        d = model_decisions(oof, agg, rule, fallback, scale=s)
        evals[row] = {
            "segment": _evaluate(d["segment"], oof, "segment", row, n_bootstrap),
            "sentence": _evaluate(d["sentence"], oof, "sentence", row, n_bootstrap),
            "lone": _evaluate(d["lone"], oof, "sentence", row, n_bootstrap),
        }
    rows = []
    for row, ev in evals.items():
        cells = [
            f1_cell(ev[lvl], a)
            for lvl in ("segment", "sentence", "lone")
            for a in ("micro", "macro")
        ]
        rows.append(f"| {row} | " + " | ".join(cells) + " |")
    base, prof = evals["tuned"], evals[name]
    diffs = [
        diff_text(paired_difference(prof[lvl], base[lvl], a))
        for lvl in ("segment", "sentence", "lone")
        for a in ("micro", "macro")
    ]
    rows.append("| difference (paired) | " + " | ".join(diffs) + " |")
    return rows


def main(argv: list[str] | None = None) -> None:
    import bench_modern

    from privtag.inference.settings import profile_scales
    from privtag.inference.tagger import Tagger

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--run", type=Path, default=None, help="its crossval run (default: the one it records)"
    )
    ap.add_argument("--model", default=None, help="the model with the profile (default: model/)")
    ap.add_argument("--profile", default="modern")
    ap.add_argument("--recipe", type=Path, default=ROOT / "train/default.toml")
    ap.add_argument(
        "--decision", default=None, help="AGG/RULE of the run (default: the model's own)"
    )
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args(argv)
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    tagger = Tagger.from_pretrained(args.model)
    scales = profile_scales(tagger.thresholds, args.profile, tagger.name)
    cv = tagger.metadata.get("crossval") or {}
    run = args.run or (Path(cv["run"]) if cv.get("run") else None)
    if run is None:
        ap.error(f"{tagger.name} records no cross-validation run; pass --run RUN")
    decision = args.decision or f"{cv.get('aggregate', 'max')}/{cv.get('decision', 'shrunk')}"
    factors = ", ".join(f"{v:.2f}" for v in scales)
    print(f"Profile {args.profile!r} of {tagger.name}: factors {factors}; decision {decision}.\n")
    print(f"OPP-115, out of fold ({run}), F1 in % with 95% intervals over policies:\n")
    print(
        "| thresholds | segment micro | segment macro | sentence micro | sentence macro "
        "| lone micro | lone macro |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = opp115_rows(args.recipe, run, decision, scales, args.profile, args.bootstrap)
    print("\n".join(rows))
    for thresholds in ("default", args.profile):  # the tuned thresholds, then the profile
        print()
        bench_modern.main(
            [*(["--model", args.model] if args.model else []), "--thresholds", thresholds]
        )


if __name__ == "__main__":
    main()

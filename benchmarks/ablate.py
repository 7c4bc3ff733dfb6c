"""Which training choices move the validation numbers? Train small variants and compare.

Usage:
    python benchmarks/ablate.py [--recipe train/default.toml] [--set key=value ...]
        [--out runs/ablation.md] VARIANT...

Each VARIANT is ``name:key=value,key=value`` (recipe overrides, applied on top of the
recipe and of the global ``--set`` ones). Every variant is trained from the same seed,
then tuned and scored on OPP-115 validation exactly as :func:`privtag.training.train.train`
does; the script prints a Markdown table (sentence and segment micro/macro-F1, chosen
aggregation, minutes) and writes it to ``--out``.

Example (the context comparison recorded in benchmarks/RESULTS.md):
    python benchmarks/ablate.py --set train.epochs=1 --set 'data.levels=["sentence"]' \\
        none:model.context=none section:model.context=section \\
        previous:model.context=previous both:model.context=section+previous
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from privtag.outputs import write_text
    from privtag.training.recipe import Recipe
    from privtag.training.train import train

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="train/default.toml")
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--out", default="runs/ablation.md")
    ap.add_argument("variants", nargs="+")
    args = ap.parse_args()
    rows = [
        "| variant | overrides | sentence micro | sentence macro | segment micro | "
        "segment macro | aggregate | minutes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for spec in args.variants:
        name, _, over = spec.partition(":")
        sets = [
            *args.sets,
            *[s for s in over.split(",") if s],
            f'train.output_dir="runs/ablation/{name}"',
        ]
        started = time.time()
        v = train(Recipe.load(args.recipe, sets)).metadata["validation"]
        s, g = v.get("sentence", {}), v.get("segment", {})
        rows.append(
            f"| {name} | `{over}` | {s.get('micro', 0):.3f} | {s.get('macro', 0):.3f} | "
            f"{g.get('micro', 0):.3f} | {g.get('macro', 0):.3f} | "
            f"{v.get('aggregate', '-')} | {(time.time() - started) / 60:.1f} |"
        )
        print("\n".join(rows), flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_text(args.out, "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

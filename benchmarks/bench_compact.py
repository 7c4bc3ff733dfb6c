"""Does the compact model in model/ predict what the full fine-tuned model predicts?

Usage:
    python benchmarks/bench_compact.py --full runs/default --compact model [--opp115 DIR]

Scores the OPP-115 validation units (sentences with context, and segments) with both
models and prints the largest absolute score difference and how many unit-label
decisions differ. The compact form stores every fine-tuned weight except the frozen
word embeddings, in float16, and rebuilds the rest from the base encoder package.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import numpy as np

    from privtag.data import units_of
    from privtag.data.opp115 import load_opp115
    from privtag.inference.tagger import Tagger

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", required=True, help="the full model directory (a training run)")
    ap.add_argument("--compact", default="model", help="the compact model directory")
    ap.add_argument("--opp115", default=None)
    args = ap.parse_args()
    # float32: the difference measured is the compact form's, not bfloat16's
    full = Tagger.load(args.full, dtype="float32")
    compact = Tagger.load(args.compact, dtype="float32")
    for level in ("sentence", "segment"):
        units = units_of(load_opp115(args.opp115, level, splits=["validation"])["validation"])
        a, b = full.predict_proba(units), compact.predict_proba(units)
        flips = int(
            (
                np.array(full.predict(units), dtype=object)
                != np.array(compact.predict(units), dtype=object)
            ).sum()
        )
        print(
            f"{level}: {len(units)} units, largest score difference "
            f"{np.abs(a - b).max():.2e}, units whose labels differ: {flips}"
        )


if __name__ == "__main__":
    main()

"""How much does bfloat16 inference change the tagger's scores and decisions?

Usage:
    python benchmarks/bench_dtype.py [--model DIR] [--opp115 DIR]

Scores the OPP-115 validation sentences and segments twice, in float32 and in bfloat16
(``torch.autocast``, as ``Tagger.load(dtype="auto")`` does on CPUs with native
bfloat16), and prints the largest and mean score difference, how many label decisions
change, and micro/macro-F1 under each dtype with the model's saved thresholds.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import numpy as np

    from privtag.data import multi_hot, units_of
    from privtag.data.opp115 import load_opp115
    from privtag.inference.model import native_bf16
    from privtag.inference.tagger import Tagger
    from privtag.labels import NUM_LABELS
    from privtag.training.thresholds import f1_scores

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--opp115", default=None)
    args = ap.parse_args()
    exact = Tagger.load(args.model, dtype="float32")
    fast = Tagger.load(args.model, dtype="bfloat16")
    print(f"model: {args.model or 'model/'}; native bfloat16 on this CPU: {native_bf16()}")
    print("| level | units | max diff | mean diff | decisions changed | F1 float32 | F1 bfloat16 |")
    print("|---|---|---|---|---|---|---|")
    for level in ("sentence", "segment"):
        ds = load_opp115(args.opp115, level, splits=["validation"])["validation"]
        units, y = units_of(ds), multi_hot(ds["labels"])
        scores, decided, f = [], [], []
        for tagger in (exact, fast):
            # one scoring pass per dtype; decisions as predict() takes them
            by_aggregate, is_para = tagger.predict_proba_by_aggregate(
                units, [tagger.settings["aggregate"]]
            )
            scores.append(by_aggregate[tagger.settings["aggregate"]])
            decided.append(tagger.decisions(scores[-1], is_para))
            f1 = f1_scores(y, decided[-1])
            f.append(f"{f1['micro']:.3f} / {f1['macro']:.3f}")
        a, b = scores
        changed = int((decided[0] != decided[1]).sum())
        print(
            f"| {level} | {len(units)} | {np.abs(a - b).max():.4f} | {np.abs(a - b).mean():.5f} "
            f"| {changed} of {len(units) * NUM_LABELS} | {f[0]} | {f[1]} |"
        )


if __name__ == "__main__":
    main()

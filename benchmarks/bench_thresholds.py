"""How much do tuned per-label thresholds matter, and how optimistic is tuning on validation?

Usage:
    python benchmarks/bench_thresholds.py [--model DIR] [--opp115 DIR]

On OPP-115 validation (sentence and segment level), prints micro/macro-F1 of the model
with (a) a fixed 0.5 threshold, (b) the thresholds saved with the model (tuned on this
same validation data, so optimistic), and (c) thresholds tuned leave-one-policy-out:
for each validation policy, thresholds tuned on the other nine, applied to it. (c) is
the honest estimate of what tuned thresholds give on unseen policies.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import numpy as np

    from privtag.data import multi_hot, units_of
    from privtag.opp115 import load_opp115
    from privtag.tagger import Tagger
    from privtag.thresholds import f1_scores, tune_thresholds

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--opp115", default=None)
    args = ap.parse_args()
    tagger = Tagger.load(args.model)
    print(f"model: {args.model or 'model/'}, aggregate={tagger.settings['aggregate']}")
    print("| level | threshold | micro-F1 | macro-F1 |\n|---|---|---|---|")
    for level, key in (("sentence", "sentence"), ("segment", "paragraph")):
        ds = load_opp115(args.opp115, level, splits=["validation"])["validation"]
        scores = np.asarray(tagger.predict_proba(units_of(ds)))
        y = multi_hot(ds["labels"])
        policies = np.asarray(ds["policy"])
        loo = np.zeros_like(scores, dtype=bool)
        for p in np.unique(policies):
            held = policies == p
            loo[held] = scores[held] >= tune_thresholds(scores[~held], y[~held])
        saved = np.asarray(tagger.thresholds[key])
        for name, pred in (
            ("fixed 0.5", scores >= 0.5),
            ("saved (tuned on validation)", scores >= saved),
            ("leave-one-policy-out", loo),
        ):
            f = f1_scores(y, pred)
            print(f"| {level} | {name} | {f['micro']:.3f} | {f['macro']:.3f} |")


if __name__ == "__main__":
    main()

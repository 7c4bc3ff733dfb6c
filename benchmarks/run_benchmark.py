"""Benchmark the fine-tuned tagger against the rule and TF-IDF baselines.

A thin wrapper around ``privtag benchmark`` (see :mod:`privtag.evaluation.benchmark`); it takes the
same options and, by default, rewrites the benchmark section of benchmarks/RESULTS.md:

    python benchmarks/run_benchmark.py --opp115 ../shared/opp115 [--model model/]
"""

from __future__ import annotations

import sys

from privtag.cli import main

if __name__ == "__main__":
    sys.argv = ["privtag", "benchmark", *sys.argv[1:]]
    main()

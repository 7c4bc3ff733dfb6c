"""Shared by the adaptation tests: a tiny invented corpus and a DAPT recipe for it."""

from __future__ import annotations

import gzip
import json

from privtag.training.recipe import Recipe

POLICY = (
    "# Privacy Policy\n\nWe collect your email address and name when you register.\n"
    "We share them with advertisers for marketing.\n\n## Choices\n\n"
    "You may opt out of marketing emails at any time by writing to us."
)


def write_corpus(path, n: int = 12) -> str:
    """A gzipped JSONL corpus of ``n`` invented policies."""
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"doc{i}", "text": f"{POLICY} Case {i}."}) + "\n")
    return str(path)


def dapt_recipe(tiny_encoder, corpus, out, **more) -> Recipe:
    sets = {
        "model.base": str(tiny_encoder),
        "model.max_length": 32,
        "data.corpus": corpus,
        "data.corpus_sample": 1.0,
        "train.output_dir": str(out),
        "train.max_steps": 4,
        "train.batch_size": 4,
        "train.save_steps": 2,
        "train.learning_rate": 1e-3,
        **more,
    }
    return Recipe.load(None, [f"{k}={v}" for k, v in sets.items()])

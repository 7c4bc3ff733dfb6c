"""Cost of the adaptation stages per step and per token, to budget full runs.

Measures, on short runs: a DAPT MLM step of MiniLM on corpus windows (train/dapt.toml's
settings), a fine-tuning step of the classifier on MiniLM and on the teacher's base, and
teacher scoring (pseudo-labelling) speed. Prints one Markdown table.

Usage:
    python benchmarks/bench_adapt.py [--teacher ../teacher_base/all-mpnet-base-v2] [--steps 4]
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from privtag.inference.model import PrivtagClassifier, base_encoder_path, native_bf16
from privtag.training.dapt import corpus_windows, mlm_loss, mlm_model
from privtag.training.recipe import Recipe


def _timed(step, steps: int) -> float:
    step()  # first step: allocations, lazy init
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def bench_dapt(steps: int, bf16: bool) -> tuple[float, int]:
    from transformers import AutoTokenizer, DataCollatorForLanguageModeling

    recipe = Recipe.load("train/dapt.toml", ["data.corpus_tokens=20000"])
    tok = AutoTokenizer.from_pretrained(base_encoder_path())
    windows = sorted(corpus_windows(tok, recipe), key=len)[-32:]  # full 128-token windows
    model = mlm_model(None)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5)
    batch = DataCollatorForLanguageModeling(tok)([{"input_ids": w} for w in windows])

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = mlm_loss(model, batch)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return _timed(step, steps), int(batch["attention_mask"].sum())


def bench_finetune(base: str | None, steps: int, bf16: bool, length: int = 64):
    model = PrivtagClassifier.from_base(base)
    model.bert.get_input_embeddings().weight.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-5)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 20000, (32, length), generator=g)
    mask = torch.ones_like(ids)
    labels = torch.zeros(32, 12)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()

    def score():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            model(input_ids=ids, attention_mask=mask)

    return _timed(step, steps), _timed(score, steps), int(mask.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--teacher", default="../teacher_base/all-mpnet-base-v2")
    ap.add_argument("--steps", type=int, default=4)
    args = ap.parse_args()
    bf16 = native_bf16()
    print(f"{platform.machine()}, {torch.get_num_threads()} threads, bfloat16 autocast: {bf16}")
    print("| stage | encoder | batch | s/step | tokens/s |")
    print("| --- | --- | --- | ---: | ---: |")
    sec, tokens = bench_dapt(args.steps, bf16)
    print(f"| DAPT MLM step | MiniLM-L6 | 32 x 128 | {sec:.2f} | {tokens / sec:.0f} |")
    for name, base in (("MiniLM-L6", None), ("mpnet-base", args.teacher)):
        train_s, score_s, tokens = bench_finetune(base, args.steps, bf16)
        print(f"| fine-tune step | {name} | 32 x 64 | {train_s:.2f} | {tokens / train_s:.0f} |")
        print(f"| scoring (no grad) | {name} | 32 x 64 | {score_s:.2f} | {tokens / score_s:.0f} |")


if __name__ == "__main__":
    main()

"""Domain-adaptive pretraining: continue masked-language-model training on policy text.

:func:`dapt` runs a recipe (``train/dapt.toml``): it streams the unlabelled corpus
(``data.corpus``, one JSON policy a line, gzip or not) through privtag's segmenter,
packs each paragraph's tokens into windows of ``model.max_length``, and trains the
encoder to fill in masked tokens until ``data.corpus_tokens`` tokens have been seen
(``train.max_steps`` or ``train.epochs`` over them). Batches hold windows of similar
length; masking is transformers' ``DataCollatorForLanguageModeling``, re-seeded each
step, so a resumed run masks exactly what the uninterrupted run would have.

The packaged MiniLM ships without an MLM head, so ``AutoModelForMaskedLM`` adds a fresh
one whose output matrix is the word-embedding matrix itself (tied). With
``model.freeze_embeddings`` (the default) that matrix does not move: only the head's
transform and output bias learn besides the encoder layers. A student fine-tuned from
the adapted encoder then has the package's word embeddings, and its compact form
(:func:`privtag.inference.weights.save_compact`) stays about 22 MB and rebuilds them from the
package; training them would add 23 MB (float16) to the shipped model.

The adapted encoder is saved as a Hugging Face folder ``<train.output_dir>/encoder``
(safetensors, config, tokenizer) for a recipe's ``model.base``. A checkpoint (model
and optimizer state as safetensors, step as JSON) is written every
``train.save_steps`` steps; ``train.resume = true`` continues from it.

Example:
    >>> from privtag.training.recipe import Recipe
    >>> dapt(Recipe.load("train/dapt.toml", ["train.max_steps=10"]))  # doctest: +SKIP
    PosixPath('runs/dapt/encoder')
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import logging
import math
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from privtag.errors import DataError
from privtag.training.checkpoints import load_optimizer, save_optimizer
from privtag.training.recipe import Recipe, train_bf16

if TYPE_CHECKING:  # annotations only
    from privtag.segmentation.document import Document

log = logging.getLogger("privtag.dapt")
CHECKPOINT = "checkpoint"


# ------------------------------------------------------------------------- corpus


def iter_corpus(
    path: str | Path, sample: float = 1.0, seed: int = 0, exclude: Collection[str] = ()
) -> Iterator[dict]:
    """Policies of a JSONL corpus (``id`` and ``text`` per line), read one line at a time.

    ``sample`` keeps that share of policies, chosen by a hash of ``seed`` and the id, so
    a small budget still draws from the whole file (it is sorted by source). Policies
    whose id is in ``exclude`` (``data.corpus_exclude``: the modern check set, which is for
    measurement only) are never read, so no training stage sees their text.

    Raises:
        DataError: missing file, or a line that is not a JSON object with ``text``.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such corpus file; set data.corpus to a JSONL(.gz) file")
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                text, key = doc["text"], str(doc.get("id", n))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise DataError(
                    f"{p}:{n}: not a JSON object with a 'text' field ({e}); fix or drop the line"
                ) from e
            if key in exclude:
                continue
            if sample < 1.0:
                h = hashlib.sha1(f"{seed}:{key}".encode()).digest()
                if int.from_bytes(h[:4], "big") / 2**32 >= sample:
                    continue
            yield {"id": key, "text": text}


def segmented_corpus(
    path: str | Path, sample: float = 1.0, seed: int = 0, exclude: Collection[str] = ()
) -> Iterator[tuple[str, Document]]:
    """``(id, Document)`` of each policy :func:`iter_corpus` reads, segmented as any input
    (Markdown); a policy with no text is skipped, as it has nothing to learn from."""
    from privtag.errors import PolicyReadError
    from privtag.segmentation.document import segment

    for doc in iter_corpus(path, sample, seed, exclude):
        try:
            seg = segment(doc["text"], format="markdown")
        except PolicyReadError:
            continue
        yield doc["id"], seg


def corpus_units(
    path: str | Path,
    level: str = "sentence",
    sample: float = 1.0,
    seed: int = 0,
    min_words: int = 4,
    exclude: Collection[str] = (),
) -> Iterator[dict]:
    """Units of the corpus as ``tag()`` sees them: sentences or paragraphs with context.

    Headings and fragments under ``min_words`` words (menus, link lists) are left out.

    Yields:
        ``{"policy", "unit_id", "text", "section", "previous"}`` dicts.
    """
    from privtag.segmentation.units import sentence_units

    if level not in ("sentence", "segment"):
        raise DataError(f"level must be 'sentence' or 'segment', not {level!r}")
    for key, seg in segmented_corpus(path, sample, seed, exclude):
        if level == "sentence":
            body = [s for s in seg.sentences if s.kind != "heading"]
            units = zip(body, sentence_units(body), strict=True)
            for s, unit in units:
                if len(s.text.split()) >= min_words:
                    yield {"policy": key, "unit_id": s.id, **unit}
            continue
        for p in seg.paragraphs:
            text = seg.text[p.start : p.end]
            if len(text.split()) >= min_words:
                section = list(p.section)
                yield {
                    "policy": key,
                    "unit_id": f"p{p.index}",
                    "text": text,
                    "section": section,
                    "previous": "",
                }


def spread_per_policy(units: Iterable[dict], per_policy: int) -> Iterator[dict]:
    """At most ``per_policy`` units of each policy, evenly spaced through it (0: all).

    ``units`` come grouped by their ``"policy"`` key, as the corpus readers yield them.
    Evenly spaced rather than the first few, so a policy gives its middle and end, not only
    its opening (introductions and navigation).

    >>> units = [{"policy": "a", "i": i} for i in range(5)] + [{"policy": "b", "i": 0}]
    >>> [(u["policy"], u["i"]) for u in spread_per_policy(units, 2)]
    [('a', 0), ('a', 4), ('b', 0)]
    """
    if per_policy < 0:
        raise DataError(f"data.corpus_per_policy must be 0 (no cap) or more, not {per_policy}")
    if per_policy == 0:
        yield from units
        return
    for _, group in itertools.groupby(units, key=lambda u: u["policy"]):
        items = list(group)
        if len(items) <= per_policy:
            yield from items
        elif per_policy == 1:
            yield items[0]
        else:
            last = len(items) - 1
            for k in range(per_policy):
                yield items[round(k * last / (per_policy - 1))]


def corpus_windows(tokenizer, recipe: Recipe) -> list[list[int]]:
    """Token windows for MLM: paragraphs cut to ``model.max_length``, up to the token budget."""
    from privtag.inference.encoding import token_ids

    d, m = recipe.data, recipe.model
    room = m.max_length - 2
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    windows, total = [], 0
    units = corpus_units(
        d.corpus, "segment", d.corpus_sample, recipe.train.seed, exclude=d.corpus_exclude
    )
    for unit in units:
        ids = token_ids(tokenizer, [unit["text"]])[0]  # cut into windows below
        for s in range(0, len(ids), room):
            piece = ids[s : s + room]
            if len(piece) >= 8:  # a window too short to hide anything in
                windows.append([cls, *piece, sep])
                total += len(piece) + 2
        if total >= d.corpus_tokens:
            break
    if not windows:
        raise DataError(f"{d.corpus}: no paragraph of 8 tokens or more; is it the right file?")
    return windows


def length_batches(lengths: list[int], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of indices of similar length, in a seeded random order.

    Indices are shuffled, sorted by length within chunks of 50 batches, cut into
    batches, and the batches shuffled: little padding, no length order in training.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk].tolist(), key=lambda i: lengths[i])
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


# ------------------------------------------------------------------------- model


def mlm_model(base: str | None, freeze_embeddings: bool = True):
    """The base encoder with a fresh MLM head whose output matrix is the word embeddings."""
    from transformers import AutoModelForMaskedLM

    from privtag.inference.model import base_encoder_path

    model = AutoModelForMaskedLM.from_pretrained(base_encoder_path(base))
    model.tie_weights()
    if freeze_embeddings:
        # tied: this also freezes the head's output matrix; its bias still learns
        model.get_input_embeddings().weight.requires_grad_(False)
    return model


def _head(model):
    return model.cls if hasattr(model, "cls") else model.lm_head


def mlm_loss(model, batch: dict) -> torch.Tensor:
    """Cross-entropy on masked positions only (label -100 elsewhere).

    The head runs on the masked positions alone: the vocabulary projection is most of
    an MLM step's cost on a 6-layer encoder, and the other 85% of positions add nothing.
    """
    labels = batch["labels"]
    hidden = model.base_model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    picked = labels != -100
    logits = _head(model)(hidden[picked])
    return torch.nn.functional.cross_entropy(logits.float(), labels[picked])


# ------------------------------------------------------------------------- training


def _save_checkpoint(model, optimizer, step: int, directory: Path) -> None:
    from safetensors.torch import save_model

    # written beside, then swapped in: a run killed while saving keeps the last checkpoint
    tmp = directory.with_name(directory.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_model(model, str(tmp / "model.safetensors"))  # stores the tied matrix once
    save_optimizer(optimizer, tmp)
    (tmp / "state.json").write_text(json.dumps({"step": step}) + "\n")
    if directory.exists():
        for f in directory.iterdir():
            f.unlink()
        directory.rmdir()
    tmp.rename(directory)


def _load_checkpoint(model, optimizer, directory: Path) -> int:
    from safetensors.torch import load_model

    load_model(model, str(directory / "model.safetensors"))
    state = json.loads((directory / "state.json").read_text())
    # a checkpoint of privtag 0.1 kept the optimizer's groups in state.json
    load_optimizer(optimizer, directory, state.get("param_groups"))
    return int(state["step"])


def dapt(recipe: Recipe) -> Path:
    """Run MLM training as the recipe says; returns the adapted encoder's folder.

    Raises:
        DataError: no corpus, an empty corpus, or a setting out of range.
    """
    from transformers import DataCollatorForLanguageModeling

    from privtag.inference.model import base_tokenizer

    recipe.check()  # a recipe built in code is checked as a loaded one is
    t, m = recipe.train, recipe.model
    started = time.time()
    out = Path(t.output_dir)
    torch.manual_seed(t.seed)
    tokenizer = base_tokenizer(m.base)
    windows = corpus_windows(tokenizer, recipe)
    batches = length_batches([len(w) for w in windows], t.batch_size, t.seed)
    steps = t.max_steps if t.max_steps > 0 else math.ceil(t.epochs * len(batches))
    warmup = int(t.warmup * steps) if t.warmup < 1 else int(t.warmup)
    model = mlm_model(m.base, m.freeze_embeddings)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=t.learning_rate, weight_decay=t.weight_decay)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=t.mlm_probability)
    step = 0
    if t.resume and (out / CHECKPOINT / "state.json").is_file():
        step = _load_checkpoint(model, optimizer, out / CHECKPOINT)
        log.info("resuming at step %d of %d", step, steps)
    bf16 = train_bf16(t.dtype)
    model.train()
    seen, losses, tick = 0, [], time.time()
    while step < steps:
        idx = batches[step % len(batches)]
        torch.manual_seed(t.seed * 1_000_003 + step)  # masking depends on the step alone
        batch = collator([{"input_ids": windows[i]} for i in idx])
        lr = t.learning_rate * min(
            (step + 1) / max(warmup, 1), (steps - step) / max(steps - warmup, 1)
        )
        for g in optimizer.param_groups:
            g["lr"] = lr
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = mlm_loss(model, batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        seen += int(batch["attention_mask"].sum())
        losses.append(loss.item())
        if step % t.logging_steps == 0 or step == steps:
            rate = seen / (time.time() - tick)
            log.info("step %d/%d loss %.3f %.0f tokens/s", step, steps, np.mean(losses), rate)
            losses = []
        if step % t.save_steps == 0 and step < steps:
            _save_checkpoint(model, optimizer, step, out / CHECKPOINT)
    encoder = out / "encoder"
    model.base_model.save_pretrained(encoder)
    tokenizer.save_pretrained(encoder)
    report = {
        "recipe": recipe.to_dict(),
        "windows": len(windows),
        "corpus_tokens": sum(map(len, windows)),
        "steps": steps,
        "tokens_per_second_last_run": round(seen / max(time.time() - tick, 1e-9), 1),
        "seconds_last_run": round(time.time() - started, 1),
    }
    (out / "dapt.json").write_text(json.dumps(report, indent=2) + "\n")
    return encoder


def dapt_cmd(recipe_path: str, overrides: list[str] | None = None) -> None:
    """CLI: ``privtag dapt RECIPE [--set k=v]``: adapt the encoder, print its folder."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(dapt(Recipe.load(recipe_path, overrides)))

"""The Hugging Face ``Trainer`` that fine-tunes a classifier, set up as a recipe says.

:func:`make_trainer` builds it: the loss (BCE with optional per-label positive weights,
:func:`pos_weights`, or the distillation loss when targets carry teacher scores), an
optimizer with its own learning rate for the classification head, epoch selection on
validation macro-F1 with early stopping, and the collator for sentence or paragraph
windows. It is kept apart from :mod:`privtag.training.train`, which decides what to
train on and what to save, so that module reads as the pipeline and this one holds the
``transformers`` plumbing.

Example:
    >>> trainer = make_trainer(model, tokenizer, train_ds, eval_ds, recipe)  # doctest: +SKIP
    >>> trainer.train()  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from privtag.errors import DataError
from privtag.evaluation.metrics import f1_scores
from privtag.labels import NUM_LABELS
from privtag.training.checkpoints import (
    load_optimizer,
    load_rng,
    load_scheduler,
    save_optimizer,
    save_rng,
    save_scheduler,
)
from privtag.training.recipe import Recipe, train_bf16
from privtag.training.thresholds import tune_thresholds

if TYPE_CHECKING:  # only for annotations: datasets is an optional dependency
    from datasets import Dataset

__all__ = ["make_trainer", "pos_weights"]


def pos_weights(y: np.ndarray, how: str, cap: float) -> list[float] | None:
    """Per-label positive weights of the BCE loss (``train.pos_weight``), or None.

    Args:
        y: training targets (n, 12); a label's weight grows as its positives get rarer.
        how: ``"none"`` (no weights) or ``"sqrt"`` (square root of negatives / positives).
        cap: the largest weight, so a label with a handful of positives does not dominate.

    Raises:
        DataError: ``how`` is neither.

    Example:
        >>> pos_weights(np.array([[1, 0], [0, 0], [0, 0], [0, 0], [0, 0]]), "sqrt", 3.0)
        [2.0, 2.2361]
    """
    if how == "none":
        return None
    if how != "sqrt":
        raise DataError(f"train.pos_weight must be 'none' or 'sqrt', not {how!r}")
    pos = y.sum(0)
    neg = len(y) - pos
    return np.minimum(np.sqrt(neg / np.maximum(pos, 1)), cap).round(4).tolist()


def make_trainer(model, tokenizer, train_ds: Dataset, eval_ds: Dataset | None, recipe: Recipe):
    """A ``Trainer`` for ``model`` on encoded windows, set up as ``recipe.train`` says.

    Args:
        model: a fresh :class:`privtag.inference.model.PrivtagClassifier`.
        tokenizer: its tokenizer (the padding collator needs it).
        train_ds: training windows, with ``owner`` (and ``spans`` for paragraph windows).
        eval_ds: validation windows with ``owner`` and ``length``, or None: then no epoch
            is selected and the last one is kept.
        recipe: the optimisation settings (``train``).

    Returns:
        The ``Trainer``, not yet run (see :func:`privtag.training.train.fit_model`).
    """
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        Trainer,
        TrainingArguments,
    )

    t = recipe.train
    spans = "spans" in train_ds.features
    # without validation data (a cross-validation fold) there is nothing to select an
    # epoch on: train the recipe's epochs and keep the last
    has_eval = eval_ds is not None
    eval_owner = np.asarray(eval_ds["owner"]) if has_eval else np.zeros(0, dtype=int)
    n_units = int(eval_owner.max()) + 1 if len(eval_owner) else 0

    def compute_metrics(pred):
        scores = 1 / (1 + np.exp(-pred.predictions))
        per_unit = np.zeros((n_units, NUM_LABELS))
        np.maximum.at(per_unit, eval_owner, scores)
        y = np.zeros((n_units, NUM_LABELS))
        np.maximum.at(y, eval_owner, pred.label_ids)
        th = tune_thresholds(per_unit, y)
        f1 = f1_scores(y, per_unit >= th)
        return {"macro_f1": f1["macro"], "micro_f1": f1["micro"]}

    class _Trainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            labels = inputs.get("labels")
            if labels is None or labels.shape[-1] == NUM_LABELS:
                return super().compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
            # gold then teacher targets: the distillation loss (privtag.training.distill)
            from privtag.training.distill import distill_loss

            inputs = {k: v for k, v in inputs.items() if k != "labels"}
            outputs = model(**inputs)
            pw = getattr(model.config, "pos_weight", None)
            logits, labels = outputs.logits, labels.to(outputs.logits.dtype)
            if "label_mask" in inputs:  # paragraph windows: the real rows, flattened
                rows = inputs["label_mask"].bool()
                logits, labels = logits[rows], labels[rows]
            loss = distill_loss(
                logits,
                labels,
                alpha=t.distill_alpha,
                temperature=t.distill_temperature,
                pos_weight=torch.tensor(pw, dtype=logits.dtype) if pw else None,
            )
            return (loss, outputs) if return_outputs else loss

        # Checkpoints hold safetensors and JSON only (privtag.training.checkpoints):
        # the Trainer's own would pickle the optimizer, the schedule, the random
        # generators and its arguments.
        def _save(self, output_dir=None, state_dict=None):
            output_dir = output_dir or self.args.output_dir
            self.model.save_pretrained(output_dir, state_dict=state_dict)
            Path(output_dir, "training_args.json").write_text(self.args.to_json_string())

        def _save_optimizer_and_scheduler(self, output_dir):
            save_optimizer(self.optimizer, output_dir)
            save_scheduler(self.lr_scheduler, output_dir)

        def _load_optimizer_and_scheduler(self, checkpoint):
            if checkpoint is not None:
                load_optimizer(self.optimizer, checkpoint)
                load_scheduler(self.lr_scheduler, checkpoint)

        def _save_scaler(self, output_dir):
            pass  # bfloat16 autocast needs no loss scaler, and privtag has no float16 training

        def _save_rng_state(self, output_dir):
            save_rng(output_dir)

        def _load_rng_state(self, checkpoint):
            if checkpoint is not None:
                load_rng(checkpoint)

        def create_optimizer(self, *args, **kwargs):
            if self.optimizer is None:
                head, decay, no_decay = [], [], []
                for name, p in self.model.named_parameters():
                    if not p.requires_grad:
                        continue
                    if name.startswith("classifier"):
                        head.append(p)
                    elif name.endswith("bias") or "LayerNorm" in name:
                        no_decay.append(p)
                    else:
                        decay.append(p)
                self.optimizer = torch.optim.AdamW(
                    [
                        {"params": decay, "lr": t.learning_rate, "weight_decay": t.weight_decay},
                        {"params": no_decay, "lr": t.learning_rate, "weight_decay": 0.0},
                        {"params": head, "lr": t.head_learning_rate, "weight_decay": 0.0},
                    ]
                )
            return self.optimizer

    args = TrainingArguments(
        output_dir=str(Path(t.output_dir) / "checkpoints"),
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=64,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        learning_rate=t.learning_rate,
        warmup_steps=t.warmup,
        eval_strategy="epoch" if has_eval else "no",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=has_eval,
        metric_for_best_model="macro_f1" if has_eval else None,
        greater_is_better=True,
        logging_steps=t.logging_steps,
        seed=t.seed,
        data_seed=t.seed,
        train_sampling_strategy="group_by_length",
        report_to="none",
        use_cpu=True,
        bf16=train_bf16(t.dtype),
        dataloader_num_workers=0,
        # paragraph windows: the collator turns spans into pooling weights
        remove_unused_columns=not spans,
        # the model's forward also takes label_mask, which is an input, not a target
        label_names=["labels"],
    )
    if spans:
        from privtag.training.paragraph_data import SpanCollator

        collator = SpanCollator(tokenizer.pad_token_id or 0)
    else:
        collator = DataCollatorWithPadding(tokenizer)
    return _Trainer(
        model=model,
        args=args,
        train_dataset=train_ds.remove_columns(["owner"]),
        eval_dataset=eval_ds.remove_columns(["owner", "length"]) if has_eval else None,
        data_collator=collator,
        compute_metrics=compute_metrics if has_eval else None,
        callbacks=[EarlyStoppingCallback(t.early_stopping_patience)] if has_eval else [],
    )

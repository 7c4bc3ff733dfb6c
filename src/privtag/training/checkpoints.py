"""The state a resumed run needs, as safetensors and JSON: optimizer, schedule, random generators.

torch saves optimizer state, learning-rate schedules and random-generator states with
pickle, and the Hugging Face ``Trainer`` checkpoints all three that way (plus its
``TrainingArguments``). privtag never writes or reads pickle, so a checkpoint a run
resumes from holds only tensors (safetensors) and plain values (JSON), like a model:

- ``optimizer.safetensors`` + ``optimizer.json``: :func:`save_optimizer` (every tensor of
  the per-parameter state, and the parameter groups with their hyperparameters);
- ``scheduler.json``: the schedule's position (:func:`save_scheduler`);
- ``rng.safetensors`` + ``rng.json``: Python's, NumPy's and torch's generators
  (:func:`save_rng`), so that a resumed run draws the dropout masks and batch order the
  uninterrupted run would have.

:mod:`privtag.training.trainer` saves and loads a fine-tuning run's checkpoints with
these, and :mod:`privtag.training.dapt` its own.

Example:
    >>> save_optimizer(optimizer, Path("runs/x/checkpoint-10"))  # doctest: +SKIP
    >>> load_optimizer(optimizer, Path("runs/x/checkpoint-10"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch

from privtag.errors import DataError

__all__ = [
    "load_optimizer",
    "load_rng",
    "load_scheduler",
    "save_optimizer",
    "save_rng",
    "save_scheduler",
]

OPTIMIZER = "optimizer"
SCHEDULER = "scheduler.json"
RNG = "rng"


def save_optimizer(optimizer: torch.optim.Optimizer, directory: str | Path) -> None:
    """Write ``optimizer.safetensors`` (state tensors, keyed ``"<param>.<name>"``) and
    ``optimizer.json`` (parameter groups, and any state that is not a tensor).

    Args:
        optimizer: any torch optimizer whose state is tensors and plain numbers (AdamW, SGD).
        directory: the checkpoint folder; created if missing.
    """
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sd = optimizer.state_dict()
    tensors, plain = {}, {}
    for i, state in sd["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{i}.{name}"] = value.contiguous()
            else:
                plain[f"{i}.{name}"] = value
    save_file(tensors, str(directory / f"{OPTIMIZER}.safetensors"))
    meta = {"param_groups": sd["param_groups"], "plain": plain}
    (directory / f"{OPTIMIZER}.json").write_text(json.dumps(meta) + "\n")


def load_optimizer(
    optimizer: torch.optim.Optimizer, directory: str | Path, param_groups: list | None = None
) -> None:
    """Restore what :func:`save_optimizer` wrote into ``optimizer`` (built on the same
    parameters, in the same order).

    ``param_groups``: the groups, for a checkpoint that kept them elsewhere (DAPT's of
    privtag 0.1, in its ``state.json``); used only when ``optimizer.json`` is missing.

    Raises:
        DataError: the folder lacks a file (a checkpoint of another tool, or of the
            Trainer's own pickled format): start the run over.
    """
    from safetensors.torch import load_file

    directory = Path(directory)
    tensors, groups = directory / f"{OPTIMIZER}.safetensors", directory / f"{OPTIMIZER}.json"
    if groups.is_file():
        meta = json.loads(groups.read_text())
    elif param_groups is not None:
        meta = {"param_groups": param_groups, "plain": {}}
    else:
        meta = None
    for needed, present in ((tensors, tensors.is_file()), (groups, meta is not None)):
        if not present:
            raise DataError(
                f"checkpoint {directory} has no {needed.name} (it was not written by this "
                "privtag); delete the folder, or set train.resume=false, and train again"
            )
    state: dict[int, dict] = {}
    entries = list(load_file(str(tensors)).items()) + list(meta["plain"].items())
    for key, value in entries:
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_scheduler(scheduler, directory: str | Path) -> None:
    """Write the schedule's state (``LambdaLR``: step count and learning rates) as JSON."""
    Path(directory, SCHEDULER).write_text(json.dumps(scheduler.state_dict()) + "\n")


def load_scheduler(scheduler, directory: str | Path) -> None:
    """Restore what :func:`save_scheduler` wrote."""
    scheduler.load_state_dict(json.loads(Path(directory, SCHEDULER).read_text()))


def save_rng(directory: str | Path) -> None:
    """Write the states of Python's, NumPy's and torch's (CPU) random generators."""
    from safetensors.torch import save_file

    version, words, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    save_file(
        {
            "torch": torch.random.get_rng_state(),
            # uint32 words as int64: safetensors and torch agree on every signed type
            "numpy": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "python": torch.tensor(words, dtype=torch.int64),
        },
        str(Path(directory) / f"{RNG}.safetensors"),
    )
    meta = {
        "python": {"version": version, "gauss": gauss},
        "numpy": {"kind": kind, "pos": pos, "has_gauss": has_gauss, "cached": cached},
    }
    Path(directory, f"{RNG}.json").write_text(json.dumps(meta) + "\n")


def load_rng(directory: str | Path) -> bool:
    """Restore what :func:`save_rng` wrote; False (nothing restored) if it is not there."""
    from safetensors.torch import load_file

    directory = Path(directory)
    if not (directory / f"{RNG}.safetensors").is_file():
        return False
    t = load_file(str(directory / f"{RNG}.safetensors"))
    meta = json.loads((directory / f"{RNG}.json").read_text())
    py, nps = meta["python"], meta["numpy"]
    random.setstate((py["version"], tuple(int(w) for w in t["python"].tolist()), py["gauss"]))
    keys = t["numpy"].numpy().astype(np.uint32)
    np.random.set_state((nps["kind"], keys, nps["pos"], nps["has_gauss"], nps["cached"]))
    torch.random.set_rng_state(t["torch"])
    return True

"""Checkpoints as safetensors and JSON: optimizer, schedule and generators round-trip, and an
interrupted fine-tuning run resumes to the weights of the uninterrupted one."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from privtag.errors import DataError
from privtag.training import train as train_module
from privtag.training.checkpoints import (
    load_optimizer,
    load_rng,
    load_scheduler,
    save_optimizer,
    save_rng,
    save_scheduler,
)
from privtag.training.train import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PICKLE_SUFFIXES = {".pt", ".pth", ".bin", ".pkl", ".pickle"}


def _stepped():
    """A model, AdamW with two groups and a linear schedule, after three steps."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    opt = torch.optim.AdamW(
        [
            {"params": model[0].parameters(), "lr": 1e-2, "weight_decay": 0.01},
            {"params": model[1].parameters(), "lr": 1e-1, "weight_decay": 0.0},
        ]
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / 10)
    for _ in range(3):
        model(torch.randn(5, 4)).pow(2).mean().backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    return model, opt, sched


def test_optimizer_and_schedule_round_trip_without_pickle(tmp_path):
    model, opt, sched = _stepped()
    save_optimizer(opt, tmp_path)
    save_scheduler(sched, tmp_path)
    assert {p.suffix for p in tmp_path.iterdir()} == {".safetensors", ".json"}

    # a fresh optimizer on a copy of the model, as a resumed run builds it
    fresh = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    fresh.load_state_dict(model.state_dict())
    opt2 = torch.optim.AdamW(
        [{"params": fresh[0].parameters(), "lr": 5.0}, {"params": fresh[1].parameters()}]
    )
    sched2 = torch.optim.lr_scheduler.LambdaLR(opt2, lambda step: 1 - step / 10)
    load_optimizer(opt2, tmp_path)
    load_scheduler(sched2, tmp_path)
    assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
    assert sched2.last_epoch == 3
    a, b = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert a.keys() == b.keys()
    for i in a:
        for name in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(a[i][name], b[i][name]), (i, name)
    # one more identical step gives identical weights
    x = torch.randn(5, 4)
    for m, o in ((model, opt), (fresh, opt2)):
        m(x).pow(2).mean().backward()
        o.step()
    for p, q in zip(model.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(p, q)


def test_random_generators_round_trip(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.standard_normal()  # leaves a cached gaussian in NumPy's state
    save_rng(tmp_path)
    expected = (random.random(), np.random.standard_normal(), torch.rand(2))
    random.seed(9)
    np.random.seed(9)
    torch.manual_seed(9)
    assert load_rng(tmp_path)
    got = (random.random(), np.random.standard_normal(), torch.rand(2))
    assert got[0] == expected[0] and got[1] == expected[1] and torch.equal(got[2], expected[2])
    assert not load_rng(tmp_path / "missing")


def test_a_checkpoint_without_the_files_names_the_fix(tmp_path):
    _, opt, _ = _stepped()
    (tmp_path / "optimizer.pt").write_bytes(b"not read")
    with pytest.raises(DataError, match=r"train.resume=false"):
        load_optimizer(opt, tmp_path)


def test_a_dapt_checkpoint_of_the_old_layout_still_resumes(tmp_path):
    # privtag 0.1's DAPT kept the parameter groups in state.json beside the step
    import json

    from privtag.training.dapt import _load_checkpoint, _save_checkpoint

    torch.manual_seed(0)
    model, opt, _ = _stepped()
    _save_checkpoint(model, opt, 3, tmp_path / "ckpt")
    ckpt = tmp_path / "ckpt"
    groups = json.loads((ckpt / "optimizer.json").read_text())["param_groups"]
    (ckpt / "optimizer.json").unlink()
    (ckpt / "state.json").write_text(json.dumps({"step": 3, "param_groups": groups}))
    fresh_model, fresh, _ = _stepped()
    for g in fresh.param_groups:
        g["lr"] = 5.0
    assert _load_checkpoint(fresh_model, fresh, ckpt) == 3
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in opt.param_groups]
    # the shared loader itself knows nothing of that layout: a missing file is named
    (ckpt / "optimizer.safetensors").unlink()
    with pytest.raises(DataError, match=r"has no optimizer\.safetensors \(it was not written"):
        load_optimizer(fresh, ckpt)


class _Interrupted(Exception):
    """Stands for a run killed right after its first checkpoint."""


@pytest.mark.parametrize(
    "encoding",
    [
        {},
        # one pass per paragraph, with context dropout drawn during training
        {"model.encoding": "paragraph", "model.context_dropout": 0.3},
    ],
    ids=["sentence", "paragraph"],
)
def test_an_interrupted_run_resumes_to_the_uninterrupted_weights(
    tiny_recipe, tmp_path, monkeypatch, encoding
):
    from transformers import TrainerCallback

    seen: dict[str, set[str]] = {}

    class StopAfterFirstSave(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            ckpt = next((run / "checkpoints").glob("checkpoint-*"))
            seen["step"] = state.global_step
            seen["files"] = {p.name for p in ckpt.iterdir()}
            raise _Interrupted

    real = train_module.make_trainer

    def interrupted(*args, **kwargs):
        trainer = real(*args, **kwargs)
        trainer.add_callback(StopAfterFirstSave())
        return trainer

    # batches of 16: 3-4 steps an epoch, so the 8 steps make two epochs or more and the
    # run is stopped at the checkpoint of epoch 1
    settings = {"train.batch_size": 16, **encoding}
    straight = train(tiny_recipe(tmp_path / "straight", **settings)).model.state_dict()
    run = tmp_path / "run"
    monkeypatch.setattr(train_module, "make_trainer", interrupted)
    with pytest.raises(_Interrupted):
        train(tiny_recipe(run, **settings))
    monkeypatch.setattr(train_module, "make_trainer", real)

    # what a killed run leaves: weights, optimizer, schedule, generators; no pickle
    assert {"model.safetensors", "optimizer.safetensors", "scheduler.json", "rng.json"} <= seen[
        "files"
    ]
    assert not {f for f in seen["files"] if any(f.endswith(s) for s in PICKLE_SUFFIXES)}

    assert 0 < seen["step"] < 8  # stopped partway through the run's 8 steps

    resumed = train(tiny_recipe(run, **settings, **{"train.resume": True}))
    assert resumed.metadata["epochs_run"] > 1  # it went on past the checkpoint
    for name, value in resumed.model.state_dict().items():
        assert torch.allclose(value, straight[name], atol=1e-6), name
    assert not (run / "checkpoints").exists()

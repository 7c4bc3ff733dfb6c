"""A tagger's directory: what :meth:`Tagger.from_pretrained` reads and
:meth:`Tagger.save_pretrained` writes.

A model directory holds the classifier's weights (``model.safetensors``, or the
compact ``compact.safetensors``; see :mod:`privtag.inference.weights`), its
``config.json``, the tokenizer, and three JSON files: the inference settings
(``privtag.json``), the tuned thresholds and their profiles (``thresholds.json``) and
the training record (``training.json``). Nothing here is pickled.

Missing files and bad settings or thresholds are found before the weights load, so most
broken directories cost milliseconds; every message names the file and what to do.
Torch and transformers are imported only to read or write weights, so that
:func:`model_directory` checks a path before seconds of imports.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from privtag.errors import ModelLoadError, OutputError
from privtag.inference.settings import (
    AUTO_PROFILE,
    SHIPPED_MODEL_DIR,
    check_settings,
    check_thresholds,
    read_json_object,
)
from privtag.labels import LABELS

DEFAULT_MODEL_DIR = SHIPPED_MODEL_DIR
SETTINGS_FILE = "privtag.json"
THRESHOLDS_FILE = "thresholds.json"
TRAINING_FILE = "training.json"
REQUIRED_FILES = (SETTINGS_FILE, THRESHOLDS_FILE, "config.json", "tokenizer.json")


def default_model_dir() -> Path:
    """``$PRIVTAG_MODEL`` if set, else the model shipped with privtag."""
    return Path(os.environ.get("PRIVTAG_MODEL") or DEFAULT_MODEL_DIR)


def model_directory(name_or_path: str | os.PathLike | None) -> Path:
    """The model directory ``name_or_path`` names (None: :func:`default_model_dir`),
    checked to hold every file a tagger needs.

    Raises:
        ModelLoadError: not a str or path, ``""``, no such directory, a missing file.
    """
    path = name_or_path
    if path is not None and not isinstance(path, str | os.PathLike):
        raise ModelLoadError(f"a model is named by its directory (a str or a Path), not {path!r}")
    if path is not None and not str(path).strip():
        raise ModelLoadError(
            "model directory '' is empty; give a model directory, or leave it unset "
            "for the default model"
        )
    # a directory the user never typed is named by where it came from
    from_env = path is None and bool(os.environ.get("PRIVTAG_MODEL"))
    path = default_model_dir() if path is None else Path(path)
    where = f"$PRIVTAG_MODEL={path}" if from_env else str(path)
    if not path.is_dir():
        what = "a file, not a model directory" if path.exists() else "no such model directory"
        fix = (
            "fix or unset $PRIVTAG_MODEL (unset, the shipped model is used)"
            if from_env
            else "give the directory of a trained model (`privtag train RECIPE` writes one), "
            "or none for the shipped model"
        )
        raise ModelLoadError(f"{where}: {what}; {fix}")
    for f in REQUIRED_FILES:
        if not (path / f).is_file():
            if f == SETTINGS_FILE and any(path.glob("*.onnx")):
                raise ModelLoadError(
                    f"{where}: an ONNX export (`privtag export-onnx --output`), not a "
                    "model directory: privtag runs ONNX from the model it was exported "
                    "from, so give that one with --backend onnx (its export, kept beside "
                    "its weights or in the cache, is found there), or load this file "
                    "with onnxruntime directly"
                )
            raise ModelLoadError(
                f"{where}: missing {f}; the model directory is incomplete: copy or save it "
                "again (save_pretrained writes every file), or train it again"
            )
    return path


def read_model_directory(
    path: Path,
    base: str | Path | None = None,
    dtype: str | None = None,
    device: str | None = None,
    check_emulated: bool = True,
) -> tuple[Any, Any, dict, dict, dict]:
    """Everything a tagger is built from, read from the checked directory ``path``.

    Args:
        path: a directory :func:`model_directory` accepted.
        base: the base encoder of a compact model (default: the one it records).
        dtype, device: this machine's choice, over the saved settings.
        check_emulated: warn when ``dtype`` asks for bfloat16 on a CPU without it (the
            torch backend; an ONNX session computes in its own types).

    Returns:
        ``(model, tokenizer, settings, thresholds, metadata)``.

    Raises:
        ModelLoadError: a setting, threshold table, weight file or tokenizer that does
            not read, named by its file.
    """
    from transformers import AutoTokenizer

    from privtag.inference.model import inference_dtype, warn_if_emulated
    from privtag.inference.weights import load_model

    settings = read_json_object(path / SETTINGS_FILE)
    check_settings(settings, path / SETTINGS_FILE)
    table = read_json_object(path / THRESHOLDS_FILE)
    check_thresholds(table, path / THRESHOLDS_FILE)
    if dtype is not None:
        settings["dtype"] = dtype
    if device is not None:
        settings["device"] = device
        check_settings(settings, "device")
    inference_dtype(settings.get("dtype", "auto"))  # an unknown name fails here, early
    if check_emulated:
        warn_if_emulated(settings.get("dtype", "auto"))
    meta_file = path / TRAINING_FILE
    metadata = read_json_object(meta_file) if meta_file.is_file() else {}
    model = load_model(path, base)
    # windows longer than the encoder's position table would fail mid-run
    check_settings(settings, path / SETTINGS_FILE, model.config.max_position_embeddings)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as e:  # tokenizers raises its own types on a damaged file
        raise ModelLoadError(
            f"{path / 'tokenizer.json'}: unreadable ({' '.join(str(e).split())}); "
            "save or download the model again"
        ) from e
    return model, tokenizer, settings, table, metadata


def write_model_directory(
    path: str | Path,
    model,
    tokenizer,
    settings: dict,
    thresholds: dict,
    metadata: dict,
    profile: str = AUTO_PROFILE,
    compact: bool = False,
) -> Path:
    """Write a model directory that :func:`read_model_directory` reads back as it was.

    ``profile`` (the threshold profile in use) is saved with the settings unless it is
    ``"auto"``, the default a reload would pick anyway. Returns ``path``.
    """
    from privtag.inference.model import quiet_progress
    from privtag.inference.weights import COMPACT_FILE, COMPACT_META, save_compact

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path}: is a file, not a folder; save the model to a folder")
    path.mkdir(parents=True, exist_ok=True)
    if compact:
        save_compact(model, path)
    else:
        # a compact file left from an earlier save would be loaded instead
        for stale in (COMPACT_FILE, COMPACT_META):
            (path / stale).unlink(missing_ok=True)
        with quiet_progress():
            model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    # dtype and device are this machine's choice at load time, not the model's
    saved = {k: v for k, v in settings.items() if k not in ("dtype", "device")}
    saved["labels"] = list(LABELS)
    # the threshold profile in use is kept, as the aggregate is: a reloaded tagger
    # labels as this one does (from_pretrained(thresholds=...) still overrides it)
    if profile != AUTO_PROFILE:
        saved["profile"] = profile
    (path / SETTINGS_FILE).write_text(json.dumps(saved, indent=2) + "\n")
    (path / THRESHOLDS_FILE).write_text(json.dumps(thresholds, indent=2) + "\n")
    (path / TRAINING_FILE).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    return path

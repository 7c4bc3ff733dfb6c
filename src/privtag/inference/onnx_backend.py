"""An ONNX Runtime scorer: the same windows in, the same sigmoid scores out, no torch at run time.

The model is exported once (:func:`export_onnx`, ``privtag export-onnx MODEL_DIR``)
to ``model.onnx`` (float32) or ``model.int8.onnx`` (the linear layers' weights
quantized to int8 per output channel, activations quantized dynamically per batch;
embeddings, attention products, layer norms, the first layer and the feed-forward
output projections stay float32: see :data:`INT8_SCHEME`). Each ONNX file has a
``.json`` sidecar recording the SHA-256 of the weights it was made from, so a file
left over from other weights is never used: in the model directory it is refused
with the command that rebuilds it, and an export made at load time lives in a cache
directory named by that hash (``$PRIVTAG_CACHE``, else ``~/.cache/privtag``).

Needs the ``onnx`` extra (onnxruntime and onnx). Export reads only local files.

Example:
    >>> tagger = Tagger.from_pretrained(backend="onnx")            # doctest: +SKIP
    >>> export_onnx("model/", int8=True)                           # doctest: +SKIP
    PosixPath('model/model.int8.onnx')
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from privtag.errors import ModelLoadError
from privtag.extras import require
from privtag.inference.backends import padded_batches, score_spans
from privtag.inference.encoding import Encoded
from privtag.inference.weights import weights_hash
from privtag.labels import NUM_LABELS

__all__ = ["OnnxScorer", "export_onnx", "onnx_file", "weights_hash"]

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
#: ONNX operator set of the export (supported by onnxruntime >= 1.14).
OPSET = 17
#: What the int8 file quantizes, recorded in its sidecar: a file made another way is stale.
#: Quantizing every linear layer flipped 0.30% of sentence decisions on the seed
#: annotations and moved micro F1 by 0.008; keeping the first layer and the
#: feed-forward down-projections (whose inputs have the widest range) in float32
#: flipped 0.08% and moved micro and macro F1 by 0.002.
INT8_SCHEME = "dynamic-int8-per-channel; float32: layer 0, feed-forward output"


def onnx_file(directory: str | Path, int8: bool = False) -> Path:
    """Where the ONNX model of ``directory`` lives: ``model.onnx`` or ``model.int8.onnx``."""
    return Path(directory) / ("model.int8.onnx" if int8 else "model.onnx")


class _Probabilities(torch.nn.Module):
    """The classifier with positional inputs and sigmoid scores: the exported graph."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return torch.sigmoid(out.logits)


class _SpanProbabilities(_Probabilities):
    """The graph of a one-pass-per-paragraph model: a row of scores per pooled span."""

    def forward(self, input_ids, attention_mask, token_type_ids, span_weights):
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            span_weights=span_weights,
        )
        return torch.sigmoid(out.logits)


def reads_paragraphs(model_dir: str | Path) -> bool:
    """Whether the model in ``model_dir`` reads one pass per paragraph (its ``privtag.json``)."""
    settings = Path(model_dir) / "privtag.json"
    if not settings.is_file():
        return False
    raw = json.loads(settings.read_text(encoding="utf-8"))
    return isinstance(raw, dict) and raw.get("encoding") == "paragraph"


def export_onnx(
    model_dir: str | Path,
    int8: bool = False,
    output: str | Path | None = None,
    model=None,
    base: str | Path | None = None,
) -> Path:
    """Export the model of ``model_dir`` to ONNX (and int8), with its weights-hash sidecar.

    Args:
        model_dir: a saved privtag model directory.
        int8: also quantize the linear layers (the float32 file is kept next to it).
        output: directory to write to (default: ``model_dir``).
        model: the already loaded classifier of ``model_dir`` (loaded when None).
        base: the base encoder of a compact model (see :func:`load_model`).

    Returns:
        The path of the ONNX file asked for.

    Raises:
        MissingExtraError: onnx or onnxruntime is not installed.
    """
    require("onnx", "onnx", "onnxruntime")
    from privtag.inference.weights import load_model

    model_dir = Path(model_dir)
    out_dir = Path(output) if output is not None else model_dir
    digest = weights_hash(model_dir, base)  # a folder without weights fails before a write
    spans = reads_paragraphs(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = onnx_file(out_dir)
    if _stale_reason(fp32, digest, spans) is not None:
        model = model if model is not None else load_model(model_dir, base)
        ids = torch.ones((2, 8), dtype=torch.long)
        args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
        axes = {k: {0: "batch", 1: "tokens"} for k in INPUTS} | {"scores": {0: "batch"}}
        names = list(INPUTS)
        if spans:
            args = (*args, torch.full((2, 3, 8), 1 / 8))
            axes |= {"span_weights": {0: "batch", 1: "rows", 2: "tokens"}}
            axes["scores"] = {0: "batch", 1: "rows"}
            names.append("span_weights")
        graph = (_SpanProbabilities if spans else _Probabilities)(model.eval())
        tmp = fp32.with_suffix(".onnx.tmp")
        with warnings.catch_warnings():
            # the TorchScript exporter is deprecated in favour of dynamo, which needs
            # onnxscript; this graph (a BERT) exports the same either way
            warnings.simplefilter("ignore")
            torch.onnx.export(
                graph,
                args,
                str(tmp),
                dynamo=False,
                input_names=names,
                output_names=["scores"],
                dynamic_axes=axes,
                opset_version=OPSET,
            )
        _publish(tmp, fp32, digest, spans)
    if not int8:
        return fp32
    q = onnx_file(out_dir, int8=True)
    if _stale_reason(q, digest, spans) is not None:
        import logging

        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = q.with_suffix(".onnx.tmp")
        graph = onnx.load(str(fp32), load_external_data=False).graph
        keep = [n.name for n in graph.node if _keep_float(n.name)]
        # onnxruntime logs a pre-processing hint at WARNING on every call
        level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)
        try:
            # MatMul nodes with a weight initializer are the linear layers; the attention
            # products (two activations) are left in float32 by dynamic quantization
            quantize_dynamic(
                str(fp32),
                str(tmp),
                per_channel=True,
                op_types_to_quantize=["MatMul", "Gemm"],
                weight_type=QuantType.QInt8,
                nodes_to_exclude=keep,
            )
        finally:
            logging.getLogger().setLevel(level)
        _publish(tmp, q, digest, spans)
    return q


def _keep_float(node: str) -> bool:
    """Whether a MatMul of the exported BERT stays float32 in the int8 model."""
    return "/layer.0/" in node or ("/output/dense/" in node and "/attention/" not in node)


def _sidecar(target: Path, digest: str, spans: bool = False) -> dict:
    made = {"weights_sha256": digest, "opset": OPSET}
    # a graph that pools one row per span is another graph: a file of the other kind is stale
    made |= {"pooling": "spans"} if spans else {}
    return made | ({"quantization": INT8_SCHEME} if target.name.endswith(".int8.onnx") else {})


def _publish(tmp: Path, target: Path, digest: str, spans: bool = False) -> None:
    """Move a finished export into place, sidecar last: a crash leaves no valid pair."""
    os.replace(tmp, target)
    sidecar = target.with_suffix(".json")
    sidecar.write_text(json.dumps(_sidecar(target, digest, spans), indent=2) + "\n")


def _stale_reason(path: Path, digest: str, spans: bool = False) -> str | None:
    """Why ``path`` cannot be used for weights ``digest`` (None: it can)."""
    if not path.is_file():
        return "missing"
    sidecar = path.with_suffix(".json")
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if not isinstance(recorded, dict):
        return f"{sidecar.name} is missing or unreadable"
    if recorded.get("weights_sha256") != digest:
        return "it was exported from other weights"
    if recorded.get("pooling") != _sidecar(path, digest, spans).get("pooling"):
        return "it pools another way than the model's encoding setting (privtag.json)"
    if recorded != _sidecar(path, digest, spans):
        return "it was exported by another version of privtag (opset or quantization)"
    return None


def cache_dir() -> Path:
    """``$PRIVTAG_CACHE``, else ``~/.cache/privtag``: where load-time exports go."""
    return Path(os.environ.get("PRIVTAG_CACHE") or Path.home() / ".cache" / "privtag")


def resolve_onnx(model_dir: str | Path, int8: bool, model=None, base=None) -> Path:
    """The ONNX file to run for ``model_dir``: its own export, else a cached one (made now).

    Raises:
        ModelLoadError: the model directory holds an ONNX file made from other weights.
    """
    model_dir = Path(model_dir)
    digest = weights_hash(model_dir, base)
    spans = reads_paragraphs(model_dir)
    own = onnx_file(model_dir, int8)
    if own.is_file():
        reason = _stale_reason(own, digest, spans)
        if reason is not None:
            raise ModelLoadError(
                f"{own}: stale ONNX model ({reason}); rebuild it with `privtag export-onnx "
                f"{model_dir}{' --int8' if int8 else ''}` or delete it"
            )
        return own
    cache = cache_dir() / "onnx" / (digest[:16] + ("-spans" if spans else ""))
    return export_onnx(model_dir, int8, cache, model, base)


class OnnxScorer:
    """Score windows with an ONNX Runtime session, in length-sorted batches.

    Args:
        path: an ONNX file made by :func:`export_onnx`.
        batch_size: windows per run.
        threads: intra-op threads (default: torch's thread count, so both backends
            use the same cores).
    """

    def __init__(self, path: str | Path, batch_size: int = 16, threads: int | None = None):
        require("onnx", "onnxruntime")
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or torch.get_num_threads())
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises its own types on a damaged file
            raise ModelLoadError(
                f"{path}: unreadable ONNX model ({' '.join(str(e).split())[:200]}); "
                "delete it and export again"
            ) from e
        self.path = Path(path)
        self.batch_size = int(batch_size)
        # a graph exported for one pass per paragraph pools spans (its extra input)
        self.spans = "span_weights" in {i.name for i in self.session.get_inputs()}

    def score(self, encoded: Encoded) -> np.ndarray:
        """Sigmoid scores of ``encoded`` in its order: (windows, 12), or (spans, 12).

        Raises:
            ModelLoadError: windows with spans given to a graph that has no span input,
                or the reverse (a file exported for another encoding setting).
        """
        spans = self.spans
        if spans != (encoded.spans is not None):
            raise ModelLoadError(
                f"{self.path}: exported for encoding = "
                f"{'paragraph' if spans else 'sentence'}, but the tagger reads "
                f"{'paragraphs' if encoded.spans is not None else 'sentences'}; export the "
                "model again (`privtag export-onnx MODEL_DIR`)"
            )
        if spans:

            def run(ids, types, mask, weights):
                feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
                return self.session.run(None, feed | {"span_weights": weights})[0]

            return score_spans(run, encoded, self.batch_size)
        scores = np.zeros((len(encoded), NUM_LABELS), dtype=np.float32)
        for idx, ids, types, mask in padded_batches(encoded, self.batch_size):
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            scores[idx] = self.session.run(None, feed)[0]
        return scores

"""Tagging throughput and decisions of every scoring path, in one process, on the same policies.

Usage:
    python benchmarks/bench_tag.py [--quick] [--model DIR] [--reference DIR] [--corpus N]
        [--opp115 [DIR]] [--threads T] [--batch-size N] [--pack-tokens N]
        [--paths naive,tag,...]

Paths (each tags whole policies, segmentation included; the model is loaded outside
the timing and one warm-up policy is not timed), each with the model's own settings
(aggregation, thresholds):

- ``naive``: one unit per forward call, torch float32 (``tag()`` at batch size 1): one
  sentence per call for a model that reads sentences, one paragraph for one that reads
  paragraphs. The first path of the run: every ratio is to it.
- ``tag``: ``Tagger.tag()`` as shipped (torch, dtype ``auto``: bfloat16 where native;
  paragraph windows packed end to end, ``pack_tokens``).
- ``tag-pad``: the same without packing (length-sorted padded batches of ``batch_size``
  windows: the default until packing).
- ``tag-f32``: ``Tagger.tag()`` in float32, padded batches: the reference for flips.
- ``tag-bf16``: ``Tagger.tag()`` in bfloat16 whether or not the CPU has it natively (on
  one that emulates it, what an explicit ``dtype="bfloat16"`` costs).
- ``onnx``, ``onnx-int8``: ``Tagger.tag()`` with the ONNX Runtime backends.
- ``many``, ``many-onnx``, ``many-onnx-int8``: ``Tagger.tag_many()`` (batches across
  policies, a cache of repeated units) with the shipped torch path and ONNX.

A path ending in ``@ref`` runs the ``--reference`` model instead (for example the
previous default model, which reads sentences): ``naive@ref`` is then the issue's naive
loop, one sentence per forward call, and ``tag@ref`` today's path.

Policies: the seed policies of ``data/policies`` (their annotations give F1), the first
``--corpus`` policies of ``../shared/corpus`` (unseen, unlabelled) and, with
``--opp115``, OPP-115's validation policies. Prints sentences/s, the ratio to the first
path, the share of sentence and paragraph decisions that differ from the same model's
float32 torch path (``tag-f32``), and micro/macro F1 on the seed annotations and, with
``--opp115``, on the OPP-115 validation sentences (majority vote; those policies are read
and segmented as training reads them). Absolute figures move with the machine's load:
compare ratios within one run.

It also prints where each path stands against the machine: the tokens it encodes per
sentence, the rate of the encoder's linear layers (2 FLOP per weight per token: a lower
bound of the work, attention excluded) and that rate as a share of this machine's
measured matrix-product peak (``torch.mm`` on the shapes of those layers, in float32 and,
where the CPU has it natively, bfloat16). From these, the line ``13 x naive needs``
says what rate of linear-layer arithmetic the issue's target would take at the default
path's tokens per sentence.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
PATHS = (
    "naive",
    "tag",
    "tag-pad",
    "tag-f32",
    "tag-bf16",
    "onnx",
    "onnx-int8",
    "many",
    "many-onnx",
    "many-onnx-int8",
)
QUICK = ("naive", "tag-f32", "tag", "tag-pad", "onnx", "onnx-int8", "many-onnx-int8")
REFERENCE = ("naive@ref", "tag-f32@ref", "tag@ref")


def seed_policies() -> tuple[list[tuple[str, Path]], dict[tuple[str, int, int], list[str]]]:
    """Seed policy files and their gold labels by (policy, start, end)."""
    from privtag.data.annotations import find_policy

    policies, gold = [], {}
    for ann_dir, pol_dir in (
        (ROOT / "data/annotations", ROOT / "data/policies"),
        (ROOT / "data/annotations/modern", ROOT / "data/policies/modern"),
    ):
        for f in sorted(ann_dir.glob("*.jsonl")):
            path = find_policy(f.stem, pol_dir)
            if path is None:
                continue
            policies.append((f.stem, path))
            for line in f.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    gold[(f.stem, r["start"], r["end"])] = r["labels"]
    return policies, gold


def corpus_policies(n: int) -> list[tuple[str, str]]:
    """The first ``n`` texts of the shared unlabelled corpus (read here, never copied)."""
    f = ROOT.parent / "shared/corpus/policies.jsonl.gz"
    if n <= 0 or not f.is_file():
        return []
    out = []
    with gzip.open(f, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out.append((r["id"], r["text"]))
            if len(out) == n:
                break
    return out


def make_runner(name: str, model: str | None, batch_size: int = 0, pack_tokens: int = -1):
    """``(tagger, run)`` for path ``name``: ``run(sources)`` returns the tagged policies."""
    from privtag.inference.tagger import Tagger

    backend = "torch"
    if "onnx" in name:
        backend = "onnx-int8" if name.endswith("int8") else "onnx"
    dtype = {"naive": "float32", "tag-f32": "float32", "tag-bf16": "bfloat16"}.get(name)
    tagger = Tagger.from_pretrained(model, dtype=dtype, backend=backend)
    if batch_size:
        tagger.settings["batch_size"] = batch_size
        if backend != "torch":  # an ONNX scorer keeps its own; torch's reads the settings
            tagger.scorer.batch_size = batch_size
    if pack_tokens >= 0:
        tagger.settings["pack_tokens"] = pack_tokens
    if name == "naive":
        tagger.settings["batch_size"] = 1
    if name in ("naive", "tag-f32", "tag-pad"):
        tagger.settings["pack_tokens"] = 0
    if name.startswith("many"):
        return tagger, lambda sources: list(tagger.tag_many(sources))
    return tagger, lambda sources: [tagger.tag(s) for s in sources]


class CountingScorer:
    """A scorer that counts the tokens it is given, then scores with ``inner``."""

    def __init__(self, inner):
        self.inner = inner
        self.tokens = 0

    def score(self, encoded):
        self.tokens += sum(len(x) for x in encoded.input_ids)
        return self.inner.score(encoded)


def linear_flops_per_token(model) -> int:
    """FLOP per token of the encoder's linear layers: 2 per weight (a multiply and an add)."""
    import torch

    return sum(
        2 * m.weight.numel()
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and ".layer." in name
    )


def gemm_peak(dtype, hidden: int, inner: int, tokens: int = 2048, repeat: int = 20) -> float:
    """GFLOP/s of ``torch.mm`` on the shapes of the encoder's feed-forward layers."""
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(tokens, hidden, generator=g).to(dtype)
    up, down = (
        torch.randn(a, b, generator=g).to(dtype) for a, b in ((hidden, inner), (inner, hidden))
    )
    for _ in range(3):
        torch.mm(torch.mm(x, up), down)
    start = time.perf_counter()
    for _ in range(repeat):
        torch.mm(torch.mm(x, up), down)
    secs = time.perf_counter() - start
    return repeat * 2 * 2 * tokens * hidden * inner / secs / 1e9


def decisions(policies) -> tuple:
    import numpy as np

    from privtag.labels import LABELS

    def rows(items):
        return np.array([[lab in set(x.labels) for lab in LABELS] for x in items], dtype=bool)

    sent = np.concatenate([rows(p.sentences) for p in policies])
    para = np.concatenate([rows(p.paragraphs) for p in policies])
    return sent, para


def opp115_policies(root: Path, names: list[str]) -> tuple[list, dict]:
    """OPP-115 policies as privtag segments them for training, and their sentence gold.

    Gold is the majority vote of the annotators, projected on sentences as in training
    (``privtag.data.opp115.policy_records``), keyed by (policy, start, end) like the seeds'.
    """
    from privtag.data.opp115 import policy_records, read_policy

    docs, gold = [], {}
    for name in names:
        policy = read_policy(root, name)
        docs.append(policy.doc)
        for r in policy_records(policy, "sentence"):
            gold[(name, r["start"], r["end"])] = r["labels"]
    return docs, gold


def gold_f1(names, policies, gold) -> dict:
    import numpy as np

    from privtag.evaluation.metrics import f1_scores
    from privtag.labels import LABELS

    y, pred = [], []
    for name, policy in zip(names, policies, strict=True):
        for s in policy.sentences:
            g = gold.get((name, s.start, s.end))
            if g is not None:
                y.append([lab in g for lab in LABELS])
                pred.append([lab in s.labels for lab in LABELS])
    return {**f1_scores(np.array(y), np.array(pred)), "n": len(y)}


def cpu_name() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu unknown"


def main() -> None:
    import torch

    from privtag.inference.model import native_bf16

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: model/)")
    ap.add_argument(
        "--reference", default=None, help="another model for the @ref paths (e.g. the previous one)"
    )
    ap.add_argument("--quick", action="store_true", help="seed policies only, fewer paths")
    ap.add_argument("--corpus", type=int, default=20, help="unseen corpus policies (default 20)")
    ap.add_argument("--opp115", nargs="?", const="", default=None, help="add OPP-115 validation")
    ap.add_argument("--threads", type=int, default=0, help="torch/ORT threads (default: torch's)")
    ap.add_argument(
        "--batch-size", type=int, default=0, help="windows per forward pass (default: the model's)"
    )
    ap.add_argument(
        "--pack-tokens", type=int, default=-1, help="tokens per packed pass (default: the model's)"
    )
    ap.add_argument("--paths", default=None, help=f"comma-separated, of: {','.join(PATHS)}")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    paths = args.paths.split(",") if args.paths else list(QUICK if args.quick else PATHS)
    if args.reference and not args.paths:
        paths = [*REFERENCE, *paths]
    for model in {p.endswith("@ref") for p in paths}:  # every model's flips need its float32
        f32 = "tag-f32@ref" if model else "tag-f32"
        if f32 not in paths:
            paths.append(f32)
    seeds, gold = seed_policies()
    sources = [(n, p) for n, p in seeds]
    if not args.quick:
        sources += corpus_policies(args.corpus)
    from privtag.segmentation.document import segment, segment_file

    # segmented once, outside the timing: every path tags the same documents
    docs = [segment_file(s) if isinstance(s, Path) else segment(s) for _, s in sources]
    names = [n for n, _ in sources]
    opp_gold: dict = {}
    if args.opp115 is not None:
        from privtag.data.opp115 import read_split, resolve_root

        root = resolve_root(args.opp115 or None)
        opp_names = read_split(root)["validation"]
        opp_docs, opp_gold = opp115_policies(root, opp_names)
        docs += opp_docs
        names += opp_names
    n_seed = len(seeds)
    bf16 = native_bf16()
    print(
        f"machine: {platform.machine()}, {cpu_name()}, {os.cpu_count()} cores, torch threads "
        f"{torch.get_num_threads()}, torch {torch.__version__}, native bfloat16: "
        f"{'yes' if bf16 else 'no'}; {time.strftime('%Y-%m-%d %H:%M')}"
    )
    results, models, work = {}, {}, {}
    for name in paths:
        ref = name.endswith("@ref")
        if ref and not args.reference:
            raise SystemExit(f"path {name} needs --reference DIR")
        tagger, run = make_runner(
            name.removesuffix("@ref"),
            args.reference if ref else args.model,
            args.batch_size,
            args.pack_tokens,
        )
        models[name] = (
            f"{tagger.name}: encoding {tagger.settings.get('encoding', 'sentence')}, "
            f"aggregate {tagger.settings['aggregate']}"
        )
        run(docs[:1])  # warm-up: first-call allocations, ORT session set-up
        # the torch scorer is rebuilt from the settings on each use: fix it for the count
        counter = tagger.scorer = CountingScorer(tagger.scorer)
        start = time.perf_counter()
        tagged = run(docs)
        secs = time.perf_counter() - start
        results[name] = (tagged, secs)
        work[name] = (counter.tokens, linear_flops_per_token(tagger.model), tagger.dtype)
        config = tagger.model.config  # every path's model is a MiniLM-L6: one set of shapes
        del tagger
    first = paths[0]
    n_sent = sum(len(d.sentences) for d in docs)
    base_rate = n_sent / results[first][1]
    print(f"policies: {len(docs)} ({n_seed} seed, annotated), sentences: {n_sent}")
    for name in dict.fromkeys(("tag-f32@ref", "tag-f32")):
        if name in models:
            print(f"model{' (@ref)' if name.endswith('@ref') else ''}: {models[name]}")
    print(
        f"| path | sentences/s | × {first} | sentence flips | paragraph flips "
        "| seed micro F1 | seed macro F1 |"
        + (" OPP-115 val micro F1 | macro F1 |" if opp_gold else "")
    )
    print(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: | ---: |" if opp_gold else "")
    )
    for name, (tagged, secs) in results.items():
        ref_sent, ref_para = decisions(
            results["tag-f32@ref" if name.endswith("@ref") else "tag-f32"][0]
        )
        sent, para = decisions(tagged)
        f1 = gold_f1(names[:n_seed], tagged[:n_seed], gold)
        opp = ""
        if opp_gold:
            o = gold_f1(names, tagged, opp_gold)
            opp = f" {o['micro']:.4f} | {o['macro']:.4f} |"
        rate = n_sent / secs
        print(
            f"| {name} | {rate:.0f} | {rate / base_rate:.2f} | "
            f"{(sent != ref_sent).mean():.4%} | {(para != ref_para).mean():.4%} | "
            f"{f1['micro']:.4f} | {f1['macro']:.4f} |{opp}"
        )
    print_roofline(results, work, n_sent, base_rate, config, bf16)
    print(
        "(flips: share of the 12 label decisions that differ from the same model's float32 "
        f"torch path, tag-f32; F1 on {f1['n']} annotated seed sentences"
        + (f" and {o['n']} OPP-115 validation sentences, majority vote)" if opp_gold else ")")
    )


def print_roofline(
    results, work, n_sent, base_rate, config, bf16: bool, target: float = 13.0
) -> None:
    """Each path's arithmetic rate against this machine's measured matrix-product peak
    (``bf16``: the CPU has native bfloat16, whose peak is measured too)."""
    import torch

    dtypes = [torch.float32] + ([torch.bfloat16] if bf16 else [])
    peak = {d: gemm_peak(d, config.hidden_size, config.intermediate_size) for d in dtypes}

    def top(dtype) -> float:  # a path in another type (int8 ONNX) is set against float32
        return peak.get(dtype, peak[torch.float32])

    print(
        "\n| path | tokens / sentence | linear GFLOP/s | share of the GEMM peak |\n"
        "| --- | ---: | ---: | ---: |"
    )
    for name, (_, secs) in results.items():
        tokens, flops, dtype = work[name]
        rate = tokens * flops / secs / 1e9
        print(f"| {name} | {tokens / n_sent:.1f} | {rate:.1f} | {rate / top(dtype):.0%} |")
    print(
        "GEMM peak (torch.mm, the feed-forward shapes, 2,048 tokens, "
        f"{torch.get_num_threads()} threads): "
        + ", ".join(f"{str(d).removeprefix('torch.')} {v:.0f} GFLOP/s" for d, v in peak.items())
    )
    first = next(iter(results))
    if not first.startswith("naive") or "tag" not in work:
        return  # the target is a multiple of the naive loop, for tag()
    tokens, flops, dtype = work["tag"]
    need = target * base_rate * tokens / n_sent * flops / 1e9
    print(
        f"{target:g} x naive needs {target * base_rate:.0f} sentences/s: at tag's "
        f"{tokens / n_sent:.1f} tokens a sentence, {need:.0f} GFLOP/s of linear layers, "
        f"{need / top(dtype):.0%} of the {str(dtype).removeprefix('torch.')} GEMM peak"
    )


if __name__ == "__main__":
    main()

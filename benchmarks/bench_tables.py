"""Table rows of current policies: the labels ``tag()`` gives each row, against gold.

The gold (``benchmarks/gold/tables.jsonl``) names rows of Markdown pipe tables in the
unlabelled corpus by corpus id and line number, with a hash of the line and the labels the
row states as a whole; the corpus text itself stays out of the repository, so this script
reads it from ``--corpus``. A row's predicted labels are the union of the labels of the
sentences whose text comes from that row's line (so a reader that makes each cell a
sentence and one that makes the row a sentence are scored alike). Intervals are bootstrap
intervals over tables. ``--json`` saves the decisions; ``--compare OLD.json`` scores a
saved run of other code or another model on the same rows, paired.

    python benchmarks/bench_tables.py --json /tmp/tables-new.json
    python benchmarks/bench_tables.py --compare /tmp/tables-old.json
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def corpus_texts(path: Path, ids: set[str]) -> dict[str, str]:
    """The text of each corpus policy in ``ids``."""
    from privtag.errors import DataError

    if not path.is_file():
        raise DataError(f"{path}: no corpus file; pass --corpus PATH/policies.jsonl.gz")
    found = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["id"] in ids:
                found[record["id"]] = record["text"]
    missing = ids - found.keys()
    if missing:
        raise DataError(f"{path}: no policy {sorted(missing)[0]!r}; is it the right corpus?")
    return found


def row_labels(tagger, text: str, rows: list[int]) -> list[list[str]]:
    """For each line number in ``rows``, the union of the labels of the sentences of
    ``tagger.tag(text)`` whose source text starts on that line."""
    from privtag.segmentation.document import segment

    doc = segment(text, format="markdown")
    tagged = tagger.tag(doc)
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    out: dict[int, set[str]] = {r: set() for r in rows}
    for s in tagged.sentences:
        begin = doc.source_span(s.start, s.end)[0]
        if begin is None:
            continue
        for r in rows:
            if starts[r] <= begin < starts[r + 1]:
                out[r].update(s.labels)
    return [sorted(out[r]) for r in rows]


def main(argv: list[str] | None = None) -> dict:
    import numpy as np

    from privtag.data.records import multi_hot
    from privtag.errors import DataError
    from privtag.evaluation.harness import Comparison, evaluate_decisions
    from privtag.inference.tagger import Tagger
    from privtag.labels import LABEL2ID, LABELS
    from privtag.outputs import Outputs, write_text

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "benchmarks/gold/tables.jsonl")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/policies.jsonl.gz")
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--name", default="this code", help="what to call this run in tables")
    ap.add_argument("--compare", type=Path, help="a --json file of another run, to pair with")
    ap.add_argument("--common", type=int, default=5, help="gold rows for a label in macro")
    ap.add_argument("--json", type=Path, help="write the decisions and figures here")
    ap.add_argument("--force", action="store_true", help="replace the --json file")
    args = ap.parse_args(argv)
    outs = Outputs(inputs=[args.gold, args.corpus, args.compare], force=args.force)
    outs.file(args.json, "--json", (".json",))

    gold = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines()]
    texts = corpus_texts(args.corpus, {g["id"] for g in gold})
    for g in gold:
        line = texts[g["id"]].split("\n")[g["line"]]
        if hashlib.sha1(line.encode()).hexdigest()[:12] != g["sha1"]:
            raise DataError(
                f"{args.gold}: row {g['id']!r} line {g['line']} is not the line the gold was "
                "written on; this corpus differs from the one the gold names"
            )
    tagger = Tagger.from_pretrained(args.model)
    predicted: dict[tuple[str, int], list[str]] = {}
    started = time.perf_counter()
    for pid in dict.fromkeys(g["id"] for g in gold):
        rows = [g["line"] for g in gold if g["id"] == pid]
        for r, labels in zip(rows, row_labels(tagger, texts[pid], rows), strict=True):
            predicted[(pid, r)] = labels

    # the whole policies are tagged: units/s counts gold rows per second of that
    seconds = time.perf_counter() - started

    def hot(sets):
        return multi_hot([[LABEL2ID[x] for x in labels] for labels in sets]).astype(int)

    y = hot([g["labels"] for g in gold])
    tables = [g["id"] for g in gold]
    runs = []
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        rows = hot([old["rows"][f"{g['id']}#{g['line']}"] for g in gold])
        runs.append((old["name"], rows, old["seconds"]))
    runs.append((args.name, hot([predicted[(g["id"], g["line"])] for g in gold]), seconds))
    name = f"table rows ({len(gold)} rows of {len(set(tables))} tables)"
    results = [
        evaluate_decisions(d, y, tables, system=s, data_name=name, seconds=t) for s, d, t in runs
    ]
    common = [lab for lab, n in zip(LABELS, y.sum(0), strict=True) if n >= args.common]
    macro = {
        r.system: float(np.mean([r.scores["per_label"][lab]["f1"] for lab in common]))
        for r in results
    }
    print(Comparison(results).to_markdown())
    print(
        f"\nMacro F1 over the {len(common)} labels with at least {args.common} gold rows: "
        + ", ".join(f"{k} {100 * v:.1f}" for k, v in macro.items())
    )
    figures = {
        "name": args.name,
        "model": args.model or "shipped",
        "seconds": seconds,
        "rows": {f"{g['id']}#{g['line']}": predicted[(g["id"], g["line"])] for g in gold},
        "scores": {r.system: r.scores for r in results},
        "macro_common": macro,
    }
    if args.json:
        write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()

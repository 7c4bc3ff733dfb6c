"""How often the language check (``privtag.segmentation.language``) warns, per collection.

Every policy here is English (OPP-115, the corpus, whose README says non-English
documents were excluded, privtag's own policies), so each warning on them is a false
alarm, unless reading it shows a policy that is in fact partly in another language. The
hand-written policies of ``tests/fixtures/languages`` (German, French, Spanish, Dutch,
Italian, Portuguese, Russian, Japanese) should all warn.

For each collection it prints the share of English function words
(:data:`~privtag.segmentation.language.ENGLISH_WORDS`) of its policies (minimum, 1st
percentile, median) and how many policies warn, as a whole or by paragraph. Policies are
read as ``tag()`` reads them (``segment``), so the check runs as users meet it. With
``--show N`` it prints the first N warnings of each collection, to read them.

Run (a few minutes; the corpus is most of it)::

    python benchmarks/bench_language.py [--opp115 DIR] [--corpus DIR] [--show 3] [--every 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_era import ROOT, collections_of


def main(argv: list[str] | None = None) -> None:
    from privtag.data.opp115 import default_root
    from privtag.segmentation.document import segment
    from privtag.segmentation.language import english_share, language_note

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--opp115", type=Path, default=None, help="OPP-115 folder (default: found)")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--show", type=int, default=0, help="print the first N warnings of each")
    ap.add_argument("--every", type=int, default=1, help="read every N-th corpus policy only")
    args = ap.parse_args(argv)
    opp115 = args.opp115 or default_root()
    groups = collections_of(opp115, args.corpus)
    for name in groups:
        if name.startswith("corpus:"):  # systematic sample, spread over the whole file
            groups[name] = groups[name][:: args.every]
    fixtures = ROOT / "tests" / "fixtures" / "languages"
    groups["non-English fixtures (should all warn)"] = [
        p.read_text(encoding="utf-8") for p in sorted(fixtures.glob("*.md")) if p.stem != "README"
    ]
    print(
        "| collection | policies | English-word share: min / 1st pct / median | warn: whole | warn: paragraphs |"
    )
    print("|---|---:|---:|---:|---:|")
    chars, seconds, shown = 0, 0.0, []
    for name, texts in groups.items():
        shares, whole, parts = [], 0, 0
        for text in texts:
            # local files were read already; the corpus stores Markdown
            doc = segment(text, format="markdown")
            share = english_share(doc.text)
            start = time.perf_counter()  # the check alone, as segment() runs it
            language_note(doc.text, "", [doc.text[p.start : p.end] for p in doc.paragraphs])
            seconds += time.perf_counter() - start
            chars += len(doc.text)
            if share is not None:
                shares.append(share)
            notes = [w for w in doc.warnings if "read as English" in w]
            whole += any("does not read" in w for w in notes)
            parts += any("paragraph(s)" in w for w in notes)
            if notes and len([s for s in shown if s[0] == name]) < args.show:
                shown.append((name, notes[0], doc.text[:300]))
        q = np.percentile(shares, [0, 1, 50]) * 100 if shares else [np.nan] * 3
        print(
            f"| {name} | {len(texts):,} | {q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f} | {whole} | {parts} |"
        )
    print(
        f"\nThe check read {chars / 1e6:.1f} M characters in {seconds:.1f} s "
        f"({chars / max(seconds, 1e-9) / 1e6:.1f} M characters/s)."
    )
    for name, note, head in shown:
        print(f"\n[{name}] {note}\n    {head!r}")


if __name__ == "__main__":
    main()

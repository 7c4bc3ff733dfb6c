"""How much of a policy's text does ``segment()`` keep, and what does it leave out?

Usage::

    python benchmarks/bench_coverage.py              # OPP-115 (as generic HTML) and the seeds
    python benchmarks/bench_coverage.py --opp115 DIR # another OPP-115 directory

For every policy, the letters of ``segment(...).text`` are compared with the letters of
lxml's ``text_content()`` of the whole document (head, scripts and all), which is what
a reader that dropped nothing would keep. What ``segment()`` left out is summed by the
reasons it gives (``Document.dropped``, non-white-space characters). OPP-115's sanitized
files are read as generic HTML (``format="html"``), not with their own reader, to
exercise the web-page path. Only aggregate counts are printed: never policy text.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

import lxml.html

from privtag.segmentation import segment

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ["ztrenz.md", "zzservers.txt", "contetra.txt", "trustzone.md", "zarget.md"]


def letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def nonws(text: str) -> int:
    return len("".join(text.split()))


def measure(files: list[Path], format: str | None) -> dict:
    """Aggregate counts over ``files``: letters full and kept, dropped by reason, warnings."""
    total = collections.Counter()
    dropped = collections.Counter()
    blocks = collections.Counter()
    shares = []
    for f in files:
        raw = f.read_text("utf-8", errors="replace")
        full_text = lxml.html.document_fromstring(raw).text_content() if raw.strip() else ""
        doc = segment(f, format=format)
        full, kept = letters(full_text), letters(doc.text)
        total["full letters"] += full
        total["kept letters"] += kept
        total["full chars"] += nonws(full_text)
        total["warned"] += bool(getattr(doc, "warnings", []))
        meta = doc.metadata
        total["metadata letters"] += letters(
            " ".join(
                [meta.get("provenance") or "", meta.get("title") or "", *meta.get("links", [])]
            )
        )
        for d in getattr(doc, "dropped", []):
            dropped[d.reason] += d.chars
            blocks[d.reason] += d.blocks
        shares.append(kept / full if full else 1.0)
    shares.sort()
    return {
        "policies": len(files),
        **total,
        "dropped": dict(dropped),
        "blocks": dict(blocks),
        "lowest share": shares[0] if shares else None,
        "below 95%": sum(s < 0.95 for s in shares),
    }


# Page furniture around the constructed pages: a menu, a cookie banner, a footer.
_NAV = "<nav>" + "".join(
    f'<a href="/{w}">{w.title()}</a> ' for w in ("home", "shop", "blog", "help")
)
_TOP = f'<header class="site-header">{_NAV}</nav></header>'
_BANNER = '<div class="cookie-banner">We use cookies. <button>Accept</button></div>'
_BOTTOM = '<footer class="site-footer"><a href="/t">Terms</a> <a href="/s">Sitemap</a></footer>'
# Where real pages put policy sections: accordion panels and tabs hidden until clicked,
# a cookie notice, a footer box, a side box.
_HOLDERS = [
    '<div class="panel" hidden>{}</div>',
    '<div style="display:none">{}</div>',
    '<div role="tabpanel" aria-hidden="true">{}</div>',
    '<section id="cookie-notice">{}</section>',
    '<div class="footer">{}</div>',
    "<aside>{}</aside>",
    "<div>{}</div>",
]


def build_page(seed: Path) -> tuple[str, int]:
    """An HTML page holding a seed policy's paragraphs in hidden and furniture-like
    elements (in turn), with real furniture around; returns ``(page, policy letters)``."""
    import html

    doc = segment(seed)
    parts = []
    for i in range(len(doc.paragraphs)):
        inner = "".join(
            f"<h2>{html.escape(s.text)}</h2>"
            if s.kind == "heading"
            else f"<p>{html.escape(s.text)}</p>"
            for s in doc.paragraph_sentences(i)
        )
        parts.append(_HOLDERS[i % len(_HOLDERS)].format(inner))
    body = f"{_TOP}{_BANNER}{''.join(parts)}{_BOTTOM}"  # no <main>, as on many sites
    return f"<html><head><title>Privacy</title></head><body>{body}</body></html>", letters(doc.text)


def measure_pages(seeds: list[Path], tmp: Path) -> dict:
    """Letters of the policy kept, and furniture letters kept, over the constructed pages."""
    policy = kept = 0
    for seed in seeds:
        page, n = build_page(seed)
        f = tmp / f"{seed.stem}.html"
        f.write_text(page, "utf-8")
        policy += n
        kept += letters(segment(f).text)
    return {"policy letters": policy, "kept letters": kept}


def report(name: str, r: dict) -> list[str]:
    full = r["full letters"] or 1
    lines = [
        f"### {name}: {r['policies']} policies",
        "",
        f"- letters kept / lxml text_content() letters: {r['kept letters']:,} / "
        f"{r['full letters']:,} = {r['kept letters'] / full:.1%}",
        f"- lowest share in one policy: {r['lowest share']:.1%}; policies below 95%: "
        f"{r['below 95%']}; policies with a warning: {r['warned']}",
        f"- letters kept as metadata instead (provenance note, title, link targets): "
        f"{r['metadata letters']:,} = {r['metadata letters'] / full:.1%}",
        "",
        "| left out as | characters | share of text_content() | elements |",
        "| --- | ---: | ---: | ---: |",
    ]
    chars = r["full chars"] or 1
    for reason, n in sorted(r["dropped"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {reason} | {n:,} | {n / chars:.2%} | {r['blocks'][reason]:,} |")
    if not r["dropped"]:
        lines.append("| (nothing reported) | 0 | 0% | 0 |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(os.environ.get("PRIVTAG_OPP115", ROOT.parent / "shared" / "opp115"))
    ap.add_argument("--opp115", type=Path, default=default)
    args = ap.parse_args()
    out = [
        f"Run {date.today()} on {platform.machine()} {platform.system()}, Python "
        f"{platform.python_version()}: `python benchmarks/bench_coverage.py`",
        "",
    ]
    opp = sorted((args.opp115 / "sanitized_policies").glob("*.html"))
    if opp:
        out += report("OPP-115 sanitized policies read as generic HTML", measure(opp, "html"))
        out.append("")
    else:
        out.append(f"(OPP-115 not found at {args.opp115}: skipped)")
    seeds = [ROOT / "data" / "policies" / n for n in SEEDS]
    out += report("Seed policies (text and Markdown)", measure(seeds, None))
    with tempfile.TemporaryDirectory() as tmp:
        r = measure_pages(seeds, Path(tmp))
    furniture = letters("HomeShopBlogHelpWeusecookiesAcceptTermsSitemap")
    out += [
        "",
        "### The seed policies as web pages (paragraphs in hidden panels, tabs, a cookie "
        "notice, a footer box, an aside, in turn; a menu, a cookie banner and a footer around)",
        "",
        f"- policy letters: {r['policy letters']:,}; letters kept: {r['kept letters']:,} "
        f"= {r['kept letters'] / r['policy letters']:.1%} of the policy's "
        f"(the furniture holds {furniture} letters per page)",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

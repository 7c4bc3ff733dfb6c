"""Segmentation at corpus scale: invariants and time on every policy of the corpus.

Each policy's text is segmented as a user passes it (``segment(text)``, format detected),
and texts that hold HTML tags are segmented again as HTML. For every document it checks
what privtag promises:

- offsets: ``document.text[start:end]`` is each sentence's text; sentences are stripped,
  ordered, do not overlap, and are at most 1,000 characters;
- coverage: every non-space character of the normalised text is in exactly one sentence;
- paragraphs: in order, holding their sentences, together holding all of them;
- normalised text: single spaces, and one or two line breaks between blocks only;
- HTML: the characters kept plus those ``dropped`` reports (furniture, link lists) are the
  visible characters of the page as lxml parses it (scripts, styles and form controls
  apart): nothing is lost without being counted.

It prints the violations by kind (none expected), the formats detected, and the time per
KB. No corpus text is printed, only policy ids. ``--crlf`` also segments each policy with
CRLF line ends and counts those whose sentences differ from LF's (none expected).
``--hashes FILE`` writes a hash of each policy's sentences (offsets and kinds; a text with
tags also as HTML), so two versions of privtag can be compared policy by policy
(``--compare FILE``: how many differ).

Run (about 2 minutes on one core; 4 with --crlf)::

    python benchmarks/bench_segment_corpus.py [--corpus FILE] [--limit N] [--crlf]
        [--hashes OUT.json] [--compare OTHER.json]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import re
import statistics
import time
from pathlib import Path

from privtag import segment
from privtag.segmentation.blocks import IMAGE_TEXT, INVISIBLE, NON_TEXT, clean_text
from privtag.segmentation.furniture import NON_TEXT_TAGS

try:
    from privtag.segmentation.furniture import skipped_control
except ImportError:  # privtag before 2026-11-30, run for --hashes comparisons

    def skipped_control(el, tag: str) -> bool:
        from privtag.segmentation.furniture import CONTROL_TAGS

        return tag in CONTROL_TAGS


from privtag.segmentation.sentences import MAX_SENTENCE_CHARS

HTMLISH = re.compile(r"<(p|div|html|body|br)\b", re.I)
NOT_NORMAL = re.compile(r"[^\S \n]|  | \n|\n |\n\n\n")
_VISIBLE = set(INVISIBLE)


def _letters(s: str) -> str:
    return "".join(c for c in s if not c.isspace() and c not in _VISIBLE)


def document_problems(doc) -> list[str]:
    """The kinds of invariant a document breaks (empty when it keeps them all)."""
    out, t = [], doc.text
    cover = bytearray(len(t))
    end = 0
    for i, s in enumerate(doc.sentences):
        if t[s.start : s.end] != s.text or s.text != s.text.strip() or not s.text:
            out.append("offsets")
            continue
        if s.start < end:
            out.append("order or overlap")
        end = max(end, s.end)
        if len(s.text) > MAX_SENTENCE_CHARS:
            out.append("sentence over the cap")
        p = doc.paragraphs[s.paragraph]
        if not (p.first <= i < p.last and p.start <= s.start and s.end <= p.end):
            out.append("sentence outside its paragraph")
        cover[s.start : s.end] = bytes(c + 1 for c in cover[s.start : s.end])
    if any(cover[k] == 0 and not t[k].isspace() for k in range(len(t))):
        out.append("a character in no sentence")
    if any(c > 1 for c in cover):
        out.append("a character in two sentences")
    first = 0
    for p in doc.paragraphs:
        if p.first != first:
            out.append("paragraphs out of order")
        first = p.last
    if first != len(doc.sentences):
        out.append("a sentence in no paragraph")
    if t != t.strip() or NOT_NORMAL.search(t):
        out.append("text not normalised")
    return out


def html_problems(doc, page: str) -> list[str]:
    """Kept + dropped characters against the page's visible text (see the module doc)."""
    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True)
    root = lxml.html.document_fromstring(clean_text(page), parser=parser)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        return []  # too deep for a tree: the tag-stream reader is checked by the tests
    # decided on the whole tree, as the reader decides, then dropped: whether a button is
    # read depends on the text around it, which dropping its neighbours first would change
    doomed = [
        el
        for el in root.iter()
        if (tag := el.tag.lower() if isinstance(el.tag, str) else "") in NON_TEXT_TAGS
        or skipped_control(el, tag)
    ]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    visible = len(_letters(root.text_content()))
    # an image's alt text is reported but is no text of the page (an attribute)
    outside = (NON_TEXT, "form control", IMAGE_TEXT)
    dropped = sum(d.chars for d in doc.dropped if d.reason not in outside)
    return [] if len(_letters(doc.text)) + dropped == visible else ["HTML text not accounted for"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="../shared/corpus/policies.jsonl.gz")
    ap.add_argument("--limit", type=int, default=0, help="only the first N policies")
    ap.add_argument("--crlf", action="store_true", help="also compare CRLF with LF line ends")
    ap.add_argument("--hashes", type=Path, help="write each policy's sentence hash here")
    ap.add_argument("--compare", type=Path, help="count policies whose hash differs from these")
    args = ap.parse_args()
    hashes: dict[str, str] = {}
    crlf_differs = 0
    problems: collections.Counter = collections.Counter()
    examples: dict[str, str] = {}
    formats: collections.Counter = collections.Counter()
    ms_per_kb, slowest = [], (0.0, 0, "")
    n = runs = 0
    with gzip.open(Path(args.corpus), "rt", encoding="utf-8") as f:
        for line in f:
            if args.limit and n >= args.limit:
                break
            record = json.loads(line)
            text, n = record["text"], n + 1
            if args.crlf:
                lf = segment(text.replace("\r\n", "\n"))
                crlf = segment(text.replace("\r\n", "\n").replace("\n", "\r\n"))
                shape = [[(s.kind, s.text) for s in d.sentences] for d in (lf, crlf)]
                crlf_differs += shape[0] != shape[1]
            for fmt in (None, "html") if HTMLISH.search(text) else (None,):
                started = time.perf_counter()
                doc = segment(text, format=fmt)
                seconds = time.perf_counter() - started
                runs += 1
                formats[doc.format if fmt is None else "html (forced)"] += 1
                ms_per_kb.append(1000 * seconds / max(len(text) / 1024, 1e-9))
                slowest = max(slowest, (seconds, len(text), record["id"]))
                found = document_problems(doc)
                if doc.format == "html":
                    found += html_problems(doc, text)
                for kind in set(found):
                    problems[kind] += 1
                    examples.setdefault(kind, record["id"])
                spans = [(s.start, s.end, s.kind) for s in doc.sentences]
                key = json.dumps([doc.format, spans]).encode()
                # a text with tags is also compared as a page, so HTML reading is covered
                name = f"{n}:{record['id']}" + ("" if fmt is None else " (as html)")
                hashes[name] = hashlib.sha256(key).hexdigest()[:16]
    ms_per_kb.sort()
    print(f"{n:,} policies, {runs:,} segmentations")
    print("formats: " + ", ".join(f"{k} {v:,}" for k, v in formats.most_common()))
    print(f"documents breaking an invariant: {sum(problems.values()):,}")
    for kind, count in problems.most_common():
        print(f"  {kind}: {count:,} (e.g. {examples[kind]})")
    print(
        f"time per KB: median {statistics.median(ms_per_kb):.2f} ms, "
        f"p99 {ms_per_kb[int(0.99 * (len(ms_per_kb) - 1))]:.2f} ms, max {ms_per_kb[-1]:.2f} ms; "
        f"slowest {slowest[0]:.2f} s for {slowest[1] / 1024:,.0f} KB ({slowest[2]})"
    )
    if args.crlf:
        print(f"policies whose sentences differ with CRLF line ends: {crlf_differs:,}")
    if args.hashes:
        args.hashes.write_text(json.dumps(hashes) + "\n")
    if args.compare:
        other = json.loads(args.compare.read_text())
        for kind, keys in (
            ("policies", [k for k in hashes if not k.endswith(" (as html)")]),
            ("texts with tags read as HTML", [k for k in hashes if k.endswith(" (as html)")]),
        ):
            both = [k for k in keys if k in other]
            changed = sum(other[k] != hashes[k] for k in both)
            line = (
                f"{kind} segmented otherwise than in {args.compare}: {changed:,} of {len(both):,}"
            )
            if len(both) < len(keys):  # a file written before these were hashed
                line += f" ({len(keys) - len(both):,} not in that file)"
            print(line)


if __name__ == "__main__":
    main()

"""The HTML view of a :class:`privtag.policy_diff.PolicyDiff`: one self-contained page.

A per-label table (sentences in each version, added, removed, relabelled, status), then
the changed sentences side by side, old on the left and new on the right, each with its
labels. All policy text is escaped; the page loads nothing from elsewhere.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from privtag.labels import LABEL_IDS, LABELS

if TYPE_CHECKING:
    from privtag.inference.results import TaggedSentence
    from privtag.policy_diff import PolicyDiff

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.changed td:first-child{font-weight:600}
.pairs td{width:50%}
.added{background:#e9f7ec}.removed{background:#fbeaea}.edited{background:#fff8e1}
.same{background:#f4f4f8}
.lab{display:inline-block;font-size:12px;border-radius:3px;padding:0 .35em;margin:.15em .2em 0 0;
background:#e4e8f0}.lab.gain{background:#b9e4c4}.lab.loss{background:#f3c1c1;text-decoration:line-through}
.sim{color:#777;font-size:12px}
"""


def _cell(s: TaggedSentence | None, other: TaggedSentence | None, old_side: bool, note="") -> str:
    """A sentence with its label chips; a label the other side lacks is marked lost or gained."""
    if s is None:
        return "<td></td>"
    theirs = set(other.labels) if other is not None else set(s.labels)
    chips = []
    for name in s.labels:
        short = LABEL_IDS[LABELS.index(name)]
        cls = "lab" if name in theirs else ("lab loss" if old_side else "lab gain")
        chips.append(f'<span class="{cls}" title="{escape(name)}">{escape(short)}</span>')
    return f"<td>{escape(s.text)}<br>{''.join(chips)}{note}</td>"


def render(d: PolicyDiff) -> str:
    """The page (see the module docstring)."""
    old_name, new_name = (escape(n) for n in d.names)
    c = d.counts()
    rows = []
    for ch in d.labels:
        cls = ' class="changed"' if ch.changed else ""
        rows.append(
            f"<tr{cls}><td>{escape(ch.label)}</td><td class=n>{ch.old_sentences}</td>"
            f"<td class=n>{ch.new_sentences}</td><td class=n>{len(ch.added)}</td>"
            f"<td class=n>{len(ch.removed)}</td><td class=n>{len(ch.gained) + len(ch.lost)}</td>"
            f"<td>{escape(ch.status + (' (text unchanged)' if ch.context_only else ''))}</td></tr>"
        )
    pairs = []
    unchanged = 0
    for p in d.pairs:
        if p.kind == "same" and set(p.old.labels) == set(p.new.labels):
            unchanged += 1
            continue
        sim = f'<br><span class="sim">similarity {p.similarity:.2f}</span>'
        # the same words, labelled otherwise: read in a paragraph that changed around it
        same = '<br><span class="sim">text unchanged; relabelled in its new context</span>'
        note = sim if p.kind == "edited" else same if p.kind == "same" else ""
        pairs.append(
            f'<tr class="{p.kind}">{_cell(p.old, p.new, True)}{_cell(p.new, p.old, False, note)}</tr>'
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>privtag diff: {old_name} → {new_name}</title><style>{_STYLE}</style></head><body>
<h1>What changed, practice by practice</h1>
<p><b>{old_name}</b> ({len(d.old.sentences)} sentences) → <b>{new_name}</b>
({len(d.new.sentences)} sentences): {c["same"]} same, {c["edited"]} edited, {c["added"]} added,
{c["removed"]} removed. Labels by {escape(d.new.model or "privtag")}.</p>
{f"<p><b>Note:</b> {escape(note)}.</p>" if (note := d.profile_note()) else ""}
<table><thead><tr><th>label</th><th>old</th><th>new</th><th>added</th><th>removed</th>
<th>relabelled</th><th>status</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h2>Changed sentences</h2>
<p>Old version left, new right. Green: added; red: removed; yellow: edited. A label struck
through was lost, a green label gained. {unchanged} unchanged sentences are not shown.</p>
<table class="pairs"><thead><tr><th>{old_name}</th><th>{new_name}</th></tr></thead><tbody>
{"".join(pairs)}
</tbody></table>
</body></html>
"""

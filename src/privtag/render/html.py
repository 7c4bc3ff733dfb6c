"""The evidence report of a tagged policy as one self-contained HTML page.

A policy is untrusted input: every piece of its text (sentences, headings, its file
name) goes through :func:`html.escape`, and the report's Content-Security-Policy forbids
scripts and every network request as a second line of defence. Filters, tooltips and
anchors are plain HTML and CSS, so a saved report works offline and without JavaScript.

Example:
    >>> from privtag.render import render_html
    >>> page = render_html(tagger.tag_file("data/policies/zarget.md"), tagger)  # doctest: +SKIP
"""

from __future__ import annotations

import html

from privtag.errors import check_real
from privtag.labels import LABEL_IDS, LABELS, TAXONOMY
from privtag.render.assets import COLOUR, REPORT_CSP, filter_style, initials, style
from privtag.render.summary import WEAK_MARGIN, describe, label_summary

#: longer evidence quotes are shortened in the summary (the link leads to the whole sentence)
QUOTE_CHARS = 240
_ID = dict(zip(LABELS, LABEL_IDS, strict=True))


def esc(value) -> str:
    """``value`` as text safe inside HTML elements and quoted attributes."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str, csp: str | None = REPORT_CSP, head: str = "") -> str:
    """A complete HTML document around ``body`` (already HTML), with the inline style.

    Args:
        title: the page title (plain text; escaped here).
        csp: a Content-Security-Policy for a ``<meta>`` tag (None: leave it to the server).
        head: extra HTML for ``<head>`` (a script tag of the web page).
    """
    meta = f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">' if csp else ""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{meta}\n<title>{esc(title)}</title>\n"
        f"<style>\n{style()}\n{filter_style()}\n</style>\n{head}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def badge(label: str) -> str:
    """A label's initials in its colour, with the full name for screen readers and hover."""
    lid = _ID[label]
    return f'<abbr class="b c-{lid}" title="{esc(label)}">{initials(lid)}</abbr>'


def source_name(policy) -> str:
    """What to call the policy: its file name, or "pasted text"."""
    return str(policy.document.metadata.get("path") or "pasted text")


def render_html(
    policy, model=None, *, title: str | None = None, weak_margin: float = WEAK_MARGIN
) -> str:
    """The whole report of ``policy`` as one HTML document (nothing loads from elsewhere).

    Args:
        policy: a :class:`~privtag.results.TaggedPolicy`.
        model: the :class:`~privtag.Tagger` that tagged it, or its
            :func:`~privtag.render.summary.model_info`, for thresholds and versions
            (None: only the model name the policy records).
        title: the heading (default: "Privacy policy report: <source>").
        weak_margin: how far below its threshold a best score counts as weak evidence.

    Returns:
        The HTML text.
    """
    weak_margin = check_real(weak_margin, "weak_margin", 0, 1, "a score margin")
    title = title or f"Privacy policy report: {source_name(policy)}"
    body = f"<header><h1>{esc(title)}</h1></header>\n<main>\n"
    body += report_sections(policy, model, weak_margin=weak_margin)
    body += "</main>\n"
    return page(title, body)


def report_sections(policy, model=None, weak_margin: float = WEAK_MARGIN) -> str:
    """The report's sections (summary, text, label meanings, model) as an HTML fragment."""
    info = describe(model, policy)
    rows = label_summary(policy, info, weak_margin=weak_margin)
    n_para = sum(1 for p in policy.document.paragraphs if p.last > p.first)
    intro = (
        f'<p class="meta">Source: {esc(source_name(policy))} · {len(policy.sentences)} '
        f"sentences in {n_para} paragraphs · model: {esc(info.get('name', ''))}. Every "
        "sentence is highlighted in the colour of its strongest label and followed by the "
        "initials of all its labels; hover, tap or focus (Tab) a sentence for its scores.</p>\n"
    )
    # what the reader repaired or left out belongs in the report a reader is given
    notes = "".join(
        f'<p class="meta"><b>Note:</b> {esc(w)}</p>\n' for w in policy.document.warnings
    )
    return (
        intro
        + notes
        + _summary(rows, weak_margin)
        + _text(policy, rows)
        + _meanings()
        + _model(info, weak_margin)
    )


def _summary(rows: list[dict], weak_margin: float) -> str:
    out = ['<section id="summary" aria-labelledby="summary-h">']
    out.append('<h2 id="summary-h">What the policy addresses</h2>')
    out.append(_chart(rows))
    out.append('<div class="cards">')
    for r in rows:
        kind = {"addressed": "", "weak evidence": " weak", "not addressed": " none"}[r["status"]]
        out.append(f'<article class="card{kind}" id="label-{r["id"]}" data-status="{r["status"]}">')
        out.append(f"<h3>{badge(r['label'])} {esc(r['label'])}</h3>")
        if r["status"] == "addressed":
            line = (
                f"<strong>Addressed</strong>: {r['sentences']} sentence(s), "
                f"{r['paragraphs']} paragraph(s)."
            )
        elif r["status"] == "weak evidence":
            line = (
                f"<strong>Weak evidence</strong>: no sentence reaches the threshold "
                f"{r['threshold']:.2f}; the best scores {r['best_score']:.2f} (within "
                f"{weak_margin:g}). Read it before concluding either way."
            )
        else:
            line = (
                f"<strong>Not addressed</strong>: no sentence scores near the threshold "
                f"{r['threshold']:.2f} (best {r['best_score']:.2f})."
            )
        out.append(f'<p class="status">{line}</p>')
        if r["evidence"]:
            out.append('<ol class="ev">')
            for q in r["evidence"]:
                num = q["sentence"].removeprefix("s")
                note = "" if q["tagged"] else ", below threshold"
                out.append(
                    f'<li><q>{esc(shorten(q["text"]))}</q> <a href="#{esc(q["sentence"])}">'
                    f"score {q['score']:.2f}{note}, sentence {esc(num)}</a></li>"
                )
            out.append("</ol>")
        out.append("</article>")
    out.append("</div>\n</section>\n")
    return "\n".join(out)


def shorten(text: str, width: int = QUOTE_CHARS) -> str:
    """``text`` cut to about ``width`` characters at a word boundary, with an ellipsis.

    Example:
        >>> shorten("We keep your data for as long as we need it.", 20)
        'We keep your data…'
    """
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _chart(rows: list[dict]) -> str:
    """Sentences per label as an inline SVG bar chart (numbers printed too)."""
    bar_h, gap, left, width = 18, 6, 250, 520
    most = max([r["sentences"] for r in rows] + [1])
    height = len(rows) * (bar_h + gap)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="chart-t"><title id="chart-t">Sentences per label</title>'
    ]
    for i, r in enumerate(rows):
        y = i * (bar_h + gap)
        w = round((width - left - 40) * r["sentences"] / most)
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{esc(r['label'])}</text>"
            f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" '
            f'fill="{COLOUR[r["id"]]}" stroke="#333"/>'
            f'<text x="{left + w + 4}" y="{y + 13}" font-size="12">{r["sentences"]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _text(policy, rows: list[dict]) -> str:
    counts = {r["id"]: r["sentences"] for r in rows}
    out = ['<section id="text" aria-labelledby="text-h">']
    out.append('<h2 id="text-h">The policy, sentence by sentence</h2>')
    out.append('<fieldset class="filters"><legend>Show sentences</legend>')
    out.append(
        '<span><input type="radio" name="show" id="show-all" value="all" checked>'
        '<label for="show-all">all</label></span>'
    )
    for label, lid in zip(LABELS, LABEL_IDS, strict=True):
        out.append(
            f'<span><input type="radio" name="show" id="show-{lid}" value="{lid}">'
            f'<label for="show-{lid}">{badge(label)} {esc(label)} ({counts[lid]})</label></span>'
        )
    out.append("</fieldset>")
    out.append('<div class="doc">')
    doc = policy.document
    for para in doc.paragraphs:
        if para.last <= para.first:
            continue
        sents = policy.sentences[para.first : para.last]
        heading = all(s.kind == "heading" for s in sents)
        pieces, pos = [], para.start
        for s in sents:
            # what lies between sentences is white space; a line break there is kept
            between = doc.text[pos : s.start]
            pieces.append("<br>" if "\n" in between else (" " if between else ""))
            pieces.append(_sentence(s))
            pos = s.end
        cls = ' class="h"' if heading else ""
        out.append(f'<p{cls} data-paragraph="{para.index}">{"".join(pieces).strip()}</p>')
    out.append("</div>\n</section>\n")
    return "\n".join(out)


def _sentence(s) -> str:
    """One sentence: its text, its label initials, and a tooltip with its scores."""
    labels = sorted(s.labels, key=lambda name: -s.scores[name])
    classes = ["s"] + [f"l-{_ID[name]}" for name in labels]
    if labels:
        classes += ["tagged", f"c-{_ID[labels[0]]}"]
        # spans and <br> only: a block element would end the enclosing <p>
        tip = "<br>".join(f"{esc(n)}: {s.scores[n]:.2f}" for n in labels)
    else:
        best = max(LABELS, key=lambda n: s.scores[n])
        tip = f"No label. Highest score: {esc(best)} {s.scores[best]:.2f}"
    tags = "".join(badge(n) for n in labels)
    return (
        f'<span class="{" ".join(classes)}" id="{esc(s.id)}" tabindex="0">'
        f'<span class="t">{esc(s.text)}</span>'
        + (f' <span class="tags">{tags}</span>' if tags else "")
        + f'<span class="tip" role="tooltip">{tip}</span></span>'
    )


def _meanings() -> str:
    out = ['<section id="meanings" aria-labelledby="meanings-h">']
    out.append('<h2 id="meanings-h">What the labels mean</h2><dl>')
    for label in TAXONOMY:
        out.append(f"<dt>{badge(label.name)} {esc(label.name)}</dt><dd>{esc(gist(label))}</dd>")
    out.append("</dl>\n</section>\n")
    return "\n".join(out)


def gist(label) -> str:
    """A label's definition in one line: up to its first colon, else its first sentence.

    Example:
        >>> from privtag.labels import TAXONOMY
        >>> gist(TAXONOMY[5])
        'How personal information is protected.'
    """
    text = label.definition
    head = text.split(": ", 1)[0] if ": " in text else text.split(". ", 1)[0]
    return head.rstrip(".") + "."


def _model(info: dict, weak_margin: float) -> str:
    out = ['<section id="model" aria-labelledby="model-h">', '<h2 id="model-h">Model</h2>']
    facts = [
        ("model", info.get("name")),
        ("privtag version", info.get("privtag")),
        ("trained", info.get("trained")),
        ("thresholds tuned", info.get("tuned")),
        ("paragraph aggregation", info.get("aggregate")),
        ("threshold profile", info.get("profile")),
    ]
    out.append(
        '<p class="meta">'
        + " · ".join(f"{k}: {esc(v)}" for k, v in facts if v)
        + f". Weak evidence: a best score within {weak_margin:g} below the threshold.</p>"
    )
    th = info.get("thresholds") or {}
    if th:
        levels = [lvl for lvl in ("sentence", "paragraph") if lvl in th]
        head = "".join(f"<th>{lvl}</th>" for lvl in levels)
        out.append('<div class="scroll"><table><caption>Thresholds used</caption>')
        out.append(f"<tr><th>label</th>{head}</tr>")
        for label in LABELS:
            cells = "".join(f'<td class="n">{th[lvl][label]:.3f}</td>' for lvl in levels)
            out.append(f"<tr><td>{badge(label)} {esc(label)}</td>{cells}</tr>")
        out.append("</table></div>")
    else:
        out.append("<p>The thresholds were not recorded with this result; 0.5 is assumed.</p>")
    out.append("</section>\n")
    return "\n".join(out)

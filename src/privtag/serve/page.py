"""The web page: a form to paste or drop a policy, then the same report as ``privtag report``."""

from __future__ import annotations

from privtag.render.html import esc, page, report_sections

FORMATS = ("auto", "text", "markdown", "html")

#: the page's Content-Security-Policy (an HTTP header): its one script comes from the
#: app itself, so even a policy text that escaped escaping could not run
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def home(
    model_name: str, text: str = "", format: str = "auto", report: str = "", error: str = ""
) -> str:
    """The page: the form (filled with ``text``), then an ``error`` or a ``report`` fragment.

    Args:
        model_name: shown in the introduction.
        report: HTML from :func:`report_page` sections (already escaped).
        error: a plain-text message (escaped here).
    """
    options = "".join(
        f'<option value="{f}"{" selected" if f == format else ""}>{f}</option>' for f in FORMATS
    )
    body = f"""<header><h1>privtag</h1>
<p class="meta">Paste a privacy policy or drop a file (text, Markdown or HTML) to see every
sentence tagged with the data practices it states, with the evidence per practice. Model
{esc(model_name)}; the text is tagged on this server and goes nowhere else.</p></header>
<main>
<form method="post" action="/report" id="policy-form">
<label for="text"><strong>Policy text</strong></label>
<div class="drop" id="drop">
<textarea id="text" name="text" required placeholder="Paste the policy here, or drop a file">\
{esc(text)}</textarea>
<div class="row"><label for="file">or choose a file:</label>
<input type="file" id="file" accept=".txt,.md,.markdown,.html,.htm,text/plain,text/html"></div>
</div>
<div class="row"><label for="format">Format</label>
<select id="format" name="format">{options}</select>
<button type="submit" id="submit">Tag the policy</button></div>
</form>
"""
    if error:
        body += f'<p class="error" role="alert" id="error">{esc(error)}</p>\n'
    body += report + "</main>"
    return page("privtag", body, csp=None, head='<script src="/page.js" defer></script>\n')


def report_page(model_name: str, policy, info: dict, text: str, format: str) -> str:
    """The page with the form kept filled and the policy's report below it."""
    report = '<div id="report">\n' + report_sections(policy, info) + "</div>\n"
    return home(model_name, text, format, report=report)

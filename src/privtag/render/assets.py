"""Colours, style sheet and the one script of the report and the web page (all inline).

Everything a page needs is in these strings: a report opens offline and nothing it
shows can call out to the network.
"""

from __future__ import annotations

from privtag.labels import LABEL_IDS

#: light background per label, in taxonomy order; with the dark text (#111) every one
#: has a contrast ratio above 12:1 (WCAG AA asks 4.5:1)
COLOURS = (
    "#cfe8ff",  # first party: blue
    "#ffd3d3",  # third party: red
    "#d5f5cb",  # user choice: green
    "#fff0b0",  # user access: yellow
    "#e6daff",  # retention: lavender
    "#c6efea",  # security: teal
    "#ffdcbd",  # policy change: orange
    "#f3d3ea",  # do not track: pink
    "#e1ebc2",  # audiences: olive
    "#e4e4e4",  # introductory: grey
    "#f1e2cc",  # not covered: sand
    "#d3e0ee",  # contact: steel
)
COLOUR = dict(zip(LABEL_IDS, COLOURS, strict=True))


def initials(label_id: str) -> str:
    """Short badge text of a label id, unique across the 12 labels.

    Example:
        >>> initials("third_party"), initials("do_not_track"), initials("contact")
        ('TP', 'DNT', 'C')
    """
    return "".join(word[0] for word in label_id.split("_")).upper()


#: the report's Content-Security-Policy: no script, no request of any kind
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;
background:#fff}
header,main,footer{max-width:62rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.3rem;margin:1.8rem 0 .6rem;
border-bottom:2px solid #111}h3{font-size:1.05rem;margin:0 0 .3rem}
a{color:#0645ad}a:focus,.s:focus,input:focus+label,button:focus,textarea:focus,select:focus{
outline:3px solid #1a1aa6;outline-offset:2px}
.meta{color:#333;margin:.2rem 0}
.b{display:inline-block;min-width:1.6em;padding:0 .3em;margin:0 .1em;border:1px solid #333;
border-radius:.3em;font:700 .72rem/1.4 ui-monospace,Menlo,Consolas,monospace;text-align:center;
text-decoration:none;vertical-align:.1em;color:#111}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem}
.card,.doc{overflow-wrap:anywhere}
.card{border:1px solid #888;border-radius:.5rem;padding:.7rem}
.card.weak{border:2px dashed #7a4a00}.card.none{border-style:dotted;color:#333}
.status{margin:.2rem 0 .4rem}
.ev{margin:0;padding-left:1.2rem}.ev li{margin:.3rem 0}.ev q{font-style:italic}
q,.s>.t{unicode-bidi:isolate}
.chart{max-width:40rem;margin:.5rem 0}
.filters{border:1px solid #888;border-radius:.5rem;padding:.5rem;margin:0 0 1rem;
display:flex;flex-wrap:wrap;gap:.3rem .8rem}
.filters input{margin-right:.2rem}.filters label{white-space:nowrap}
.doc p{margin:0 0 .9rem}.doc p.h{font-weight:700;font-size:1.05rem;margin-top:1.2rem}
.s{position:relative;border-radius:.2em;padding:.05em .1em;cursor:help}
.s.tagged{box-shadow:inset 0 -2px 0 #333}
.tip{display:none;position:absolute;left:0;top:100%;z-index:5;width:min(22rem,85vw);
background:#fff;border:1px solid #111;border-radius:.4rem;padding:.4rem .6rem;
font:400 .85rem/1.4 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.25)}
.s:hover>.tip,.s:focus>.tip,.s:focus-within>.tip{display:block}
.s:target{outline:3px solid #b00000}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #999;padding:.2rem .4rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
dl dt{font-weight:700;margin-top:.5rem}dl dd{margin:0 0 0 1rem}
form textarea{width:100%;min-height:12rem;font:14px/1.4 ui-monospace,Menlo,Consolas,monospace}
.drop{border:2px dashed #555;border-radius:.5rem;padding:.6rem;margin:.4rem 0}
.drop.over{background:#eef}
.row{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.4rem 0}
button{font:inherit;padding:.35rem 1rem;border:1px solid #111;border-radius:.4rem;
background:#1a1aa6;color:#fff}
.error{border:2px solid #b00000;padding:.5rem;border-radius:.4rem}
"""


def style() -> str:
    """The style sheet: the fixed rules, then one colour rule per label."""
    per_label = "".join(f".c-{lid}{{background:{COLOUR[lid]}}}" for lid in LABEL_IDS)
    return _CSS.strip() + "\n" + per_label


def filter_style() -> str:
    """CSS that shows only the checked label's sentences (and their paragraphs).

    The filters are radio buttons, so they work without a script, in a saved report too.
    """
    rules = [
        f"body:has(#show-{lid}:checked) .doc .s:not(.l-{lid}),"
        f"body:has(#show-{lid}:checked) .doc p:not(:has(.s.l-{lid})){{display:none}}"
        for lid in LABEL_IDS
    ]
    return "\n".join(rules)


#: the web page's script: read a dropped or chosen file into the text box. Served from
#: the app itself (/page.js), so the page's policy can forbid every inline script.
PAGE_JS = """
(function () {
  var box = document.getElementById('text');
  var fmt = document.getElementById('format');
  var zone = document.getElementById('drop');
  var pick = document.getElementById('file');
  if (!box || !zone || !pick) return;
  function load(file) {
    if (!file) return;
    var name = file.name.toLowerCase();
    if (/\\.(md|markdown)$/.test(name)) fmt.value = 'markdown';
    else if (/\\.html?$/.test(name)) fmt.value = 'html';
    else if (/\\.txt$/.test(name)) fmt.value = 'text';
    else fmt.value = 'auto';
    var reader = new FileReader();
    reader.onload = function () { box.value = reader.result; };
    reader.readAsText(file);
  }
  pick.addEventListener('change', function () { load(pick.files[0]); });
  ['dragenter', 'dragover'].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove('over'); });
  });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    load(e.dataTransfer.files[0]);
  });
})();
"""

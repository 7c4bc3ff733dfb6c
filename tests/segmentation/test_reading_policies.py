"""Issue 16, reading policies: bad input never costs data or time.

Hidden and furniture HTML text, encodings, format detection, Markdown placeholders and
entities, provenance lines, non-regular and oversized files, wrong argument types.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from privtag.cli import main
from privtag.errors import ArgumentError, PolicyReadError, PolicyTypeError
from privtag.segmentation import segment, segment_file
from privtag.segmentation.readers import decode_with_notes, detect_format, load

POLICY = "We collect your name and e-mail address. We keep them for two years."


def sentences(doc) -> list[str]:
    return [s.text for s in doc.sentences]


def nonws(text: str) -> str:
    return "".join(text.split())


# --------------------------------------------------------------------------- hidden HTML


@pytest.mark.parametrize(
    "wrapper",
    [
        "<div hidden><p>{}</p></div>",
        '<div style="display: none"><p>{}</p></div>',
        '<div style="visibility:hidden"><p>{}</p></div>',
        '<div aria-hidden="true"><p>{}</p></div>',
        '<section id="cookie-notice"><p>{}</p></section>',
        '<div class="footer"><p>{}</p></div>',
        "<footer><p>{}</p></footer>",
        "<header><p>{}</p></header>",
        "<aside><p>{}</p></aside>",
        "<dialog open><p>{}</p></dialog>",
    ],
)
def test_policy_text_in_hidden_or_furniture_elements_is_kept(wrapper):
    page = "<html><body><h1>Privacy</h1>" + wrapper.format(POLICY) + "</body></html>"
    doc = segment(page, format="html")
    assert sentences(doc)[1:] == [
        "We collect your name and e-mail address.",
        "We keep them for two years.",
    ]
    assert doc.warnings == [] and doc.dropped_share == 0.0


def test_accordion_page_keeps_every_panel_and_its_title():
    panels = "".join(
        f'<button aria-expanded="false" aria-controls="p{i}">{title}</button>'
        f'<div id="p{i}" class="panel" hidden><p>{body}</p></div>'
        for i, (title, body) in enumerate(
            [
                ("What we collect", "We collect your name."),
                ("How long we keep it", "We keep it for a year."),
            ]
        )
    )
    doc = segment(f"<html><body><h1>Privacy</h1>{panels}</body></html>", format="html")
    assert [(s.kind, s.text) for s in doc.sentences] == [
        ("heading", "Privacy"),
        ("heading", "What we collect"),
        ("body", "We collect your name."),
        ("heading", "How long we keep it"),
        ("body", "We keep it for a year."),
    ]


def test_quoted_furniture_holds_only_text_a_reader_would_see():
    page = (
        '<html><body><nav><a href="/">Home</a> <a href="/p">Privacy</a><script>var t = 1;'
        f"</script><style>.x{{}}</style></nav><main><p>{POLICY}</p></main></body></html>"
    )
    (dropped,) = [d for d in segment(page).dropped if d.reason == "link list"]
    assert dropped.examples == ["Home Privacy"]


def test_a_footer_sentence_about_the_policy_is_kept():
    # a Policy Change statement in a page footer is policy text, not furniture
    page = (
        f"<html><body><main><p>{POLICY}</p></main><footer><p>We may update this policy; "
        "we will post changes here.</p><p>© 2024 Acme</p></footer></body></html>"
    )
    assert "We may update this policy; we will post changes here." in sentences(segment(page))


def test_link_lists_and_short_furniture_go_and_are_reported():
    page = (
        "<html><head><title>T</title><script>var x = 1;</script></head><body>"
        '<nav><a href="/">Home</a> <a href="/about">About us</a></nav>'
        '<div hidden><a href="/a">Shop</a> | <a href="/b">Blog</a></div>'
        "<footer>Copyright 2024 Acme.</footer>"
        f"<main><p>{POLICY}</p><button>Accept</button></main></body></html>"
    )
    doc = segment(page, format="html")
    assert sentences(doc) == [
        "We collect your name and e-mail address.",
        "We keep them for two years.",
    ]
    by = {d.reason: (d.chars, d.blocks) for d in doc.dropped}
    assert by["link list"] == (len("HomeAboutusShop|Blog"), 2)
    assert by["furniture"] == (len("Copyright2024Acme."), 1)
    assert by["form control"] == (len("Accept"), 1)
    assert by["non-text"][1] == 2  # the title and the script (the head is walked)
    # each reason quotes what it left out, so a user can see it; scripts are not quoted
    quoted = {d.reason: d.examples for d in doc.dropped}
    assert quoted["link list"] == ["Home About us", "Shop | Blog"]
    assert quoted["furniture"] == ["Copyright 2024 Acme."]
    assert quoted["non-text"] == []
    assert json.loads(json.dumps(doc.to_dict()))["dropped"][0]["reason"] == "link list"
    assert json.loads(json.dumps(doc.to_dict()))["dropped"][0]["examples"][0] == "Home About us"
    lost = 20 + 18 + 6
    assert doc.dropped_share == pytest.approx(lost / (lost + len(nonws(POLICY))))
    assert len(doc.warnings) == 1 and "left out as page furniture" in doc.warnings[0]


@pytest.mark.parametrize(
    "page",
    [
        # after </html>, and after </body>: a browser shows it in the body
        f"<p>Intro.</p></body></html><p>{POLICY}</p>",
        # HTML5 pages without <body>: libxml2 puts elements it does not know in the head
        f"<!DOCTYPE html><meta charset=utf-8><title>T</title><main><p>{POLICY}</p></main>",
        f"<title>T</title><article><p>{POLICY}</p></article>",
        f"<meta charset=utf-8><noscript><p>{POLICY}</p></noscript>",
        # a lone surrogate stopped libxml2 in the middle of the page
        f"<p>Intro.\ud800</p><p>{POLICY}</p>",
        # a named anchor is not a link: its text is no link list
        f'<div hidden><a name="data">{POLICY}</a></div>',
    ],
)
def test_page_text_the_html_parser_used_to_lose_is_kept(page):
    doc = segment(page, format="html")
    assert nonws(POLICY) in nonws(doc.text)
    assert sentences(doc)[-2:] == [
        "We collect your name and e-mail address.",
        "We keep them for two years.",
    ]
    assert doc.warnings == []


def test_small_furniture_does_not_warn():
    page = f'<nav><a href="/">Home</a></nav><p>{POLICY * 3}</p>'
    doc = segment(page, format="html")
    assert 0 < doc.dropped_share < 0.05 and doc.warnings == []


def test_hidden_content_keeps_every_character_in_one_sentence():
    page = (
        '<div hidden>Hidden one. <span aria-hidden="true">Two &amp; three.</span></div>'
        '<p style="display:none">Four.</p><details><summary>More</summary><p>Five.</p></details>'
    )
    doc = segment(page, format="html")
    assert sentences(doc) == ["Hidden one.", "Two & three.", "Four.", "More", "Five."]
    covered = "".join(nonws(s) for s in sentences(doc))
    assert covered == nonws(doc.text) == "Hiddenone.Two&three.Four.MoreFive."


def test_cli_prints_the_dropped_warning(tmp_path, monkeypatch, capsys):
    f = tmp_path / "p.html"
    links = "".join(f'<a href="/{i}">Link number {i}</a> ' for i in range(10))
    f.write_text(f"<nav>{links}</nav><p>{POLICY}</p>", "utf-8")
    monkeypatch.setattr(sys, "argv", ["privtag", "segment", str(f)])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    assert e.value.code in (0, None)
    assert "We keep them for two years." in out
    assert err.startswith("privtag: warning: ") and "left out as page furniture" in err


# --------------------------------------------------------------------------- encodings


def test_one_stray_byte_in_utf8_is_repaired_alone():
    data = "We’re “fine” – café.".encode() + b" Don\x92t panic."
    text, enc, notes = decode_with_notes(data, "p.txt")
    assert text == "We’re “fine” – café. Don’t panic." and enc == "utf-8"
    first = data.index(b"\x92")
    assert notes == [
        f"p.txt: 1 byte(s) are not UTF-8 (first at byte {first}); read them as Windows-1252"
    ]
    doc = segment(data)
    assert len(doc.warnings) == 1 and doc.warnings[0].endswith("read them as Windows-1252")
    assert sentences(doc)[0] == "We’re “fine” – café."


def test_legacy_text_is_still_read_whole_as_cp1252():
    text = "Données personnelles: nous ne les vendons pas – jamais. Ça va."
    assert decode_with_notes(text.encode("cp1252")) == (text, "cp1252", [])


def test_declared_latin1_is_read_as_cp1252():
    page = (
        b'<html><head><meta charset="iso-8859-1"></head><body><p>We don\x92t sell \x93data\x94.</p>'
    )
    doc = segment(page)
    assert sentences(doc) == ["We don’t sell “data”."]
    assert doc.metadata["encoding"] == "cp1252"


def test_a_false_utf16_declaration_is_ignored():
    page = b'<html><head><meta charset="utf-16"></head><body><p>Caf\xe9 data is ours.</p>'
    doc = segment(page)
    assert sentences(doc) == ["Café data is ours."]


def test_xhtml_with_an_xml_declaration_is_read_as_a_tree():
    page = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>P</title></head><body>'
        '<nav><a href="/">Home</a></nav><p>We keep logs.</p>'
        '<footer><a href="/t">Terms</a></footer></body></html>'
    )
    doc = segment(page.encode("utf-8"))
    assert doc.format == "html" and sentences(doc) == ["We keep logs."]
    assert doc.metadata["title"] == "P"


# --------------------------------------------------------------------------- formats and Markdown


def test_extension_wins_over_sniffing_and_opp115_needs_its_separators(tmp_path):
    md = "Line one<br>line two with Tom &amp; Jerry.<br><strong>Bold</strong>"
    f = tmp_path / "notes.md"
    f.write_text(md, "utf-8")
    doc = segment(f)
    assert doc.format == "markdown"
    assert "Tom & Jerry" in doc.text and "&amp;" not in doc.text
    assert detect_format(md) != "opp115"  # no "|||": never OPP-115
    assert detect_format("A <br> b|||<strong>C</strong> d.") == "opp115"
    assert detect_format("<p>We keep logs.</p><p>We share.</p>", "policy.txt") == "text"


@pytest.mark.parametrize(
    "suffix, as_is", [(".txt", ("plain text", "text")), (".md", ("Markdown", "markdown"))]
)
def test_a_page_saved_as_txt_is_read_as_html_and_says_so(tmp_path, suffix, as_is):
    page = tmp_path / f"policy{suffix}"
    page.write_text(
        "<!DOCTYPE html><html><head><script>var a = 'x';</script></head>"
        "<body><p>We keep logs.</p></body></html>",
        encoding="utf-8",
    )
    doc = segment_file(page)
    assert doc.format == "html" and sentences(doc) == ["We keep logs."]
    assert doc.warnings == [
        f"{page}: a {suffix} file that starts as a web page was read as HTML (its tags and "
        f"scripts are not policy text); to read it as {as_is[0]}, pass --format {as_is[1]} "
        f"(format='{as_is[1]}')"
    ]
    as_text = segment_file(page, format=as_is[1])
    assert as_text.format == as_is[1] and as_text.warnings == []
    assert segment_file(page, format="HTML").format == "html"  # a format's name in any case


def test_markdown_comments_are_left_out_and_reported_and_fence_markers_are_markup():
    md = (
        "# Privacy\n\n<!-- internal note: we also sell data -->\n\n"
        "<!-- inline --> We collect your e-mail.\n\n<!--\nTODO: legal review\n--> We share it.\n\n"
        "```\ncurl -X DELETE https://api.example.com/me\n```\n\n~~~python\nprint(1)\n~~~\n"
    )
    doc = segment(md, format="markdown")
    assert sentences(doc) == [
        "Privacy",
        "<!-- inline --> We collect your e-mail.",  # a comment inside a line of text stays
        "We share it.",
        "curl -X DELETE https://api.example.com/me",
        "print(1)",
    ]
    (dropped,) = doc.dropped
    assert (dropped.reason, dropped.blocks) == ("comment", 2)
    assert dropped.examples == [
        "<!-- internal note: we also sell data -->",
        "<!-- TODO: legal review -->",
    ]
    assert doc.dropped_share == 0.0 and doc.warnings == []  # comments are not page text
    for s in doc.sentences:  # offsets still point into the source
        assert md[doc.source_offset(s.start)] == s.text[0]


@pytest.mark.parametrize(
    "source, format",
    [
        (
            "# Privacy\n\n![We share data with ad partners](a.png) We keep logs.\n\n![](b.png)\n",
            "markdown",
        ),
        (
            '<h1>Privacy</h1><p><img src=a.png alt="We share data with ad partners"> We keep '
            'logs.</p><p><img src=b.png alt=" "></p>',
            "html",
        ),
    ],
)
def test_image_alt_text_is_not_a_sentence_but_is_reported(source, format):
    # alt text is not shown on the page; left out without a word, a user could not know
    # that a statement sat in an image's description
    doc = segment(source, format=format)
    assert sentences(doc) == ["Privacy", "We keep logs."]
    (dropped,) = doc.dropped  # an empty alt is nothing to report
    assert (dropped.reason, dropped.blocks, dropped.chars) == (
        "image text",
        1,
        25,
    )  # non-space characters
    assert dropped.examples == ["We share data with ad partners"]
    assert doc.dropped_share == 0.0 and doc.warnings == []  # not page text either


PANELS_HTML = (
    "<h1>Privacy</h1><details><summary>Cookies</summary><p>We use cookies.</p>"
    "<h4>Analytics</h4><p>We count visits.</p></details><p>We never sell your data.</p>"
    "<details><summary>Outer</summary><details><summary><h3>Inner</h3></summary>"
    "<p>Deep.</p></details><p>Outer again.</p></details><p>End.</p>"
)
PANELS_MD = """# Privacy

<details><summary>Cookies</summary>

We use cookies.

#### Analytics

We count visits.
</details>

We never sell your data.

<details>
<summary>Outer</summary>

<details><summary>Inner</summary>

Deep.

</details>

Outer again.

</details>

End.
"""


# the same as an accordion of toggle buttons, each before the panel it opens
PANELS_BUTTONS = (
    "<h1>Privacy</h1><div class=accordion><button aria-expanded=false>Cookies</button>"
    "<div class=collapse><p>We use cookies.</p><h4>Analytics</h4><p>We count visits.</p>"
    "</div></div><p>We never sell your data.</p>"
    "<button aria-expanded=false>Outer</button><div class=collapse>"
    "<button aria-expanded=false>Inner</button><div class=collapse><p>Deep.</p></div>"
    "<p>Outer again.</p></div><p>End.</p>"
)


@pytest.mark.parametrize(
    "source, format",
    [(PANELS_HTML, "html"), (PANELS_MD, "markdown"), (PANELS_BUTTONS, "html")],
)
def test_a_panel_title_heads_its_panel_only(source, format):
    # a <details> summary titles what the panel holds: a sentence after the panel sat
    # under the title until the next heading
    doc = segment(source, format=format)
    assert [(s.section, s.text) for s in doc.sentences] == [
        (("Privacy",), "Privacy"),
        (("Privacy", "Cookies"), "Cookies"),
        (("Privacy", "Cookies"), "We use cookies."),
        (("Privacy", "Cookies", "Analytics"), "Analytics"),  # a heading inside stays inside
        (("Privacy", "Cookies", "Analytics"), "We count visits."),
        (("Privacy",), "We never sell your data."),
        (("Privacy", "Outer"), "Outer"),
        (("Privacy", "Outer", "Inner"), "Inner"),
        (("Privacy", "Outer", "Inner"), "Deep."),
        (("Privacy", "Outer"), "Outer again."),
        (("Privacy",), "End."),
    ]


@pytest.mark.parametrize("between", ["<script>x</script>", "<svg><text>x</text></svg>", ""])
def test_a_toggle_whose_panel_is_dropped_or_after_a_script_ends_its_section(between):
    # the panel's end never came, and every later heading nested under the toggle
    page = (
        f"<h2>Cookies</h2><button aria-expanded=false>Your Choices</button>{between}"
        "<nav><a href=/>Home</a></nav><p>We sell nothing.</p><h2>Contact</h2><p>Write.</p>"
    )
    sections = {s.text: s.section for s in segment(page, format="html").sentences}
    assert sections["We sell nothing."] == ("Cookies",)
    assert sections["Write."] == ("Contact",)


def test_details_named_in_a_sentence_or_without_a_summary_make_no_panel():
    # "`<details>`" in code made "## Cookies" a panel title, and "## Sharing" nest under it
    md = (
        "# Privacy\n\nWrap a section in `<details>` to fold it.\n\n## Cookies\n\nWe use "
        "cookies.\n\n## Sharing\n\nWe share. Close it with `</details>`.\n\n"
        "<details>\n\n## Rights\n\nAsk us.\n\n</details>\n\nAfter.\n"
    )
    sections = {s.text: s.section for s in segment(md, format="markdown").sentences}
    assert sections["We share."] == ("Privacy", "Sharing")
    assert sections["After."] == ("Privacy", "Rights")  # a heading, not a panel's title


@pytest.mark.parametrize("target", ['data-target="#c4"', 'aria-controls="c4"', ""])
def test_a_card_toggle_wrapped_in_a_header_heads_its_panel_only(target):
    # the toggle had no element after it, so its section never ended
    page = (
        f'<h2>FAQ</h2><div class="card"><div class="card-header"><button {target} '
        'aria-expanded="false">Can I see my data?</button></div><div id="c4" class="collapse">'
        "<p>Yes. Make a request.</p></div></div><p>This FAQ is a summary.</p>"
    )
    sections = {s.text: s.section for s in segment(page, format="html").sentences}
    assert sections["Make a request."] == ("FAQ", "Can I see my data?")
    assert sections["This FAQ is a summary."] == ("FAQ",)


def test_a_toggle_naming_an_element_before_it_does_not_head_the_rest():
    # the walker had left that element already, so the title's section would never end
    page = (
        '<div id="c4"><p>Earlier.</p></div><h2>FAQ</h2><button aria-controls="c4" '
        'aria-expanded="false">Q</button><p>Answer.</p><h2>Contact</h2><p>Mail.</p>'
    )
    sections = {s.text: s.section for s in segment(page, format="html").sentences}
    assert sections["Mail."] == ("Contact",)


def test_a_panel_title_of_two_headings_keeps_both():
    page = (
        "<h1>Privacy</h1><details><summary><h3>Cookies</h3><h4>What they are</h4></summary>"
        "<p>We use cookies.</p></details><p>After.</p>"
    )
    sections = {s.text: s.section for s in segment(page, format="html").sentences}
    assert sections["We use cookies."] == ("Privacy", "Cookies", "What they are")
    assert sections["After."] == ("Privacy",)


TWO = ["We collect your name and e-mail address.", "We keep them for two years."]


@pytest.mark.parametrize(
    "head",
    [
        "<!-- TODO: legal review\n\n",  # never closed: it would hide the whole policy
        "```html\n<!-- an example\n# not a heading\n```\n\n",  # markup inside a fence
    ],
)
def test_an_unclosed_comment_or_markup_in_a_code_fence_hides_nothing(head):
    doc = segment(f"# Privacy\n\n{head}{POLICY}\n", format="markdown")
    assert sentences(doc)[-2:] == TWO
    assert all(s.section == ("Privacy",) for s in doc.sentences)  # no heading from the fence
    assert doc.dropped == []


def test_a_bare_comment_opener_closer_is_one_comment():
    doc = segment(f"<!-->\n\n{POLICY}\n", format="markdown")
    assert sentences(doc) == TWO
    assert [(d.reason, d.examples) for d in doc.dropped] == [("comment", ["<!-->"])]


def test_markdown_placeholder_in_angle_brackets_is_kept():
    doc = segment("# Policy\n\n<Company Name> collects your data. See <b>this</b>.", "markdown")
    assert sentences(doc)[1:] == ["<Company Name> collects your data.", "See this."]


def test_provenance_line_keeps_its_other_sentences():
    md = (
        "The following text is extracted and transformed from the acme.example privacy "
        "policy that was archived on 2020-01-02. We collect your name. We sell nothing.\n\n"
        "# Data\n\nWe keep logs."
    )
    doc = segment(md, format="markdown")
    assert doc.metadata["provenance"].endswith("archived on 2020-01-02.")
    assert sentences(doc) == ["We collect your name.", "We sell nothing.", "Data", "We keep logs."]


# --------------------------------------------------------------------------- files and types


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(path):
    if not os.path.exists(path):
        pytest.skip(f"no {path} here")
    with pytest.raises(PolicyReadError, match="not a regular file"):
        segment(Path(path))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "policy.txt"
    os.mkfifo(fifo)
    with pytest.raises(PolicyReadError, match="not a regular file"):
        segment(fifo)


def test_files_over_the_size_limit_are_refused(tmp_path, monkeypatch):
    f = tmp_path / "big.txt"
    f.write_text(POLICY * 10, "utf-8")
    with pytest.raises(PolicyReadError, match="over the 100-byte limit") as e:
        segment(f, max_bytes=100)
    assert "\n" not in str(e.value) and "big.txt" in str(e.value)
    monkeypatch.setenv("PRIVTAG_MAX_BYTES", "100")
    with pytest.raises(PolicyReadError, match="PRIVTAG_MAX_BYTES"):
        load(f)
    assert segment(f, max_bytes=10_000).sentences  # an explicit limit wins
    monkeypatch.setenv("PRIVTAG_MAX_BYTES", "lots")
    with pytest.raises(PolicyReadError, match="not a positive number"):
        load(f)


@pytest.mark.parametrize("source", [None, 42, 3.5, ["We keep logs."], {"text": "x"}])
def test_wrong_source_types_name_the_accepted_ones(source):
    with pytest.raises(PolicyTypeError, match=r"a policy must be a str .* not ") as e:
        segment(source)
    assert isinstance(e.value, TypeError) and isinstance(e.value, PolicyReadError)


def test_bytes_like_sources_are_read():
    data = POLICY.encode()
    for source in (bytearray(data), memoryview(data)):
        assert sentences(segment(source))[0] == "We collect your name and e-mail address."


def test_wrong_argument_types():
    with pytest.raises(PolicyTypeError, match="format must be a str or None, not int"):
        segment(POLICY, format=3)
    with pytest.raises(ArgumentError, match="max_sentence_chars must be an int of at least 20"):
        segment(POLICY, max_sentence_chars="100")
    assert segment(POLICY, max_sentence_chars=np.int64(500)).sentences  # NumPy ints too


def test_a_path_too_long_for_the_os_is_a_one_line_error(tmp_path):
    for name in ("a" * 300 + ".txt", "b" * 5000 + ".md"):
        with pytest.raises(PolicyReadError, match="cannot be read") as e:
            segment(tmp_path / name)
        assert len(str(e.value)) < 250 and "\n" not in str(e.value)
    with pytest.raises(PolicyReadError, match="cannot be read"):
        segment_file(str(tmp_path / ("a" * 300 + ".txt")))  # a file name as a str


def test_a_file_that_is_not_a_policy_is_read_with_a_warning(tmp_path):
    (code := tmp_path / "notes.py").write_text("We keep logs.\n")
    doc = segment_file(code)
    assert sentences(doc) == ["We keep logs."]
    assert doc.warnings == [
        f"{code}: a .py file, not a policy file (.txt .md .markdown .html .htm .xhtml); "
        "read as text: check that it is the policy you meant"
    ]
    (plain := tmp_path / "policy").write_text("We keep logs.\n")  # no extension: no warning
    assert segment_file(plain).warnings == []

"""Readers: format detection, the block builder, and the blocks of each format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privtag.segmentation.blocks import INVISIBLE
from privtag.segmentation.markup import read_html
from privtag.segmentation.opp115_html import read_opp115
from privtag.segmentation.plaintext import read_lines
from privtag.segmentation.readers import Builder, detect_format, extract_provenance

# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    "text, path, fmt",
    [
        ("<html><body><p>Hi.</p></body></html>", None, "html"),
        ("<div>a</div><p>b</p><span>c</span>", None, "html"),
        ("We keep logs.", "policy.html", "html"),
        ("# Privacy\n\nWe keep logs.", None, "markdown"),
        ("We keep [logs](http://x.example).", None, "markdown"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", None, "markdown"),
        ("We keep logs.", "policy.md", "markdown"),
        # a page saved as .md, as one saved as .txt: its tags are not words
        ("<!DOCTYPE html><html><body><p>We keep logs.</p></body></html>", "p.md", "html"),
        # a script is no Markdown: with a paragraph it makes a page fragment
        ("<p>We collect email.</p><script>var x = 'We sell data.';</script>", None, "html"),
        ("PRIVACY\n\nWe keep logs for 2 < 3 days.", None, "text"),
        ("Intro <br> <br>|||<strong>Data</strong> <br> We keep logs.", None, "opp115"),
        # Markdown holding a little HTML stays Markdown: its headings and lists are kept
        (
            "# Privacy\n\nWe collect your name.<br>\n\n## Sharing\n\n"
            "- We share it with <a href='https://x.example'>partners</a>\n- We sell nothing<br>\n",
            None,
            "markdown",
        ),
        ("| a | b<br>c |\n|---|---|\n| 1<br>2 | <br> |", None, "markdown"),
        ("<p>We keep logs.</p>\n\n- a list item\n\n<p>We share.</p><p>Contact.</p>", None, "html"),
        # a heading and inline links: links are no evidence of a page
        (
            "# Privacy Policy\n\nWe collect your email. See our <a href='/c'>cookie policy</a> "
            "and our <a href='/t'>terms</a>.\n\nWe share data with partners.\n",
            None,
            "markdown",
        ),
        # text with an address on one line broken by <br>: still text, its blank lines count
        ("Intro.\n\nCONTACT\n\nAcme Inc.<br>1 Main Street<br>Springfield\n\nMore.\n", None, "text"),
        ("<nav><a href=/>Home</a></nav><p>We keep logs.</p>", None, "html"),
        # a pasted fragment of one element: its tags are markup, not words of a sentence
        ("<p>We collect your email.</p>", None, "html"),
        ("  <div class='policy'>We keep logs.\n\nWe share them.</div>\n", None, "html"),
        ("<p>We collect your email.</p>", "policy.txt", "text"),
        ("<p>We keep logs.</p> and more text after it", None, "text"),
        ("<p>We keep logs.</div>", None, "text"),
        # <br>-separated fragments of a page, with no Markdown in them
        (
            "<b>Privacy</b><br>\nWe collect data.<br>\nWe share it.<br><br>\n<b>Cookies</b><br>",
            None,
            "html",
        ),
        # headings and a few links: each element counts once, not open and close
        (
            "# Privacy\n\n## Cookies\n\nSee our <a href='/c'>cookie policy</a>.\n\n"
            "## Contact\n\nWrite to <a href='mailto:p@x.example'>p@x.example</a>.\n",
            None,
            "markdown",
        ),
    ],
)
def test_detect_format(text, path, fmt):
    assert detect_format(text, path) == fmt


def test_text_of_many_bare_lines_with_a_few_html_blocks_is_not_a_page():
    # read as a page, its headings were glued to the sentences after them
    prose = "".join(f"Section {i} Title\n\nWe keep record {i}.\n\n" for i in range(3))
    assert detect_format(prose + "<div>Extra</div>\n<div>More</div>\n") == "text"
    # a page's lines open on tags, or hold the text between them
    page = "<div>\n<p>\nWe collect data.\n</p>\n<p>\nWe share it.\n</p>\n</div>\n"
    assert detect_format(page) == "html"


def test_provenance_is_blanked_in_place():
    src = "> *The following text is extracted and transformed from x.com.*\n\nWe keep logs."
    stripped, note = extract_provenance(src)
    assert note == "The following text is extracted and transformed from x.com."
    assert len(stripped) == len(src) and stripped.strip() == "We keep logs."


# --------------------------------------------------------------------------- builder

_WS = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u200b", " \u00ad", "\u3000"])
_WORD = st.text(
    st.characters(blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]), min_size=1, max_size=8
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_WORD, _WS), max_size=30), _WS)
def test_builder_runs_point_back_into_the_source(pairs, lead):
    src = lead + "".join(w + s for w, s in pairs)
    b = Builder(src)
    b.add_span(0, len(src))
    blk = b.flush()
    if blk is None:
        assert not "".join(src.split()).strip(INVISIBLE + "\u200c\u200d")
        return
    assert blk.text == blk.text.strip() and "  " not in blk.text
    mapped = 0
    for off, s0, n in blk.runs:
        assert blk.text[off : off + n] == src[s0 : s0 + n]
        mapped += n
    # every visible character is in a run: only inserted spaces are not
    assert mapped == len(blk.text) - sum(
        1
        for i, ch in enumerate(blk.text)
        if ch == " " and not any(o <= i < o + n for o, _, n in blk.runs)
    )


# --------------------------------------------------------------------------- text and Markdown


def kinds(blocks):
    return [(b.kind, b.text) for b in blocks]


def test_a_date_line_does_not_become_the_section_of_the_policy():
    from privtag.segmentation import segment

    doc = segment("# Privacy Policy\n\nEffective date: 1 May 2024\n\nWe collect your e-mail.\n")
    assert [(s.kind, s.section) for s in doc.sentences] == [
        ("heading", ("Privacy Policy",)),
        ("body", ("Privacy Policy",)),
        ("body", ("Privacy Policy",)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Intro text here.\n\nIN NO EVENT SHALL WE BE LIABLE FOR ANY DAMAGES ARISING IN\n"
        "CONNECTION WITH THE SERVICE OR YOUR USE OF IT.\n\nMore text.\n",
        # the next line is mostly capitals: a defined term in it does not end the wrap
        'Intro.\n\nWARRANTY, INCLUDING BUT NOT LIMITED TO\nTHE IMPLIED WARRANTIES ("Warranties") '
        "OF FITNESS.\n\nMore.\n",
    ],
)
def test_wrapped_capitals_stay_one_body_paragraph(text):
    assert [b.kind for b in read_lines(text, False)] == ["body", "body", "body"]


def test_hard_wrapped_capitals_are_one_paragraph_under_the_heading_before():
    text = (
        "Disclaimer\n\nTHE SERVICE IS PROVIDED AS IS, WITHOUT WARRANTY OF ANY KIND,\n"
        "WHETHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO\n"
        "THE IMPLIED WARRANTIES OF MERCHANTABILITY.\n\nWe keep logs.\n"
    )
    blocks = read_lines(text, False)
    assert [b.kind for b in blocks] == ["heading", "body", "body"]
    assert blocks[1].text.endswith(
        "INCLUDING BUT NOT LIMITED TO THE IMPLIED WARRANTIES OF MERCHANTABILITY."
    )


def test_a_sentence_in_capitals_under_a_capital_heading_does_not_head_the_text_below():
    from privtag import segment

    text = (
        "DISCLAIMER\nWE MAKE NO WARRANTIES ABOUT THE ACCURACY OF THE INFORMATION WE COLLECT."
        "\n\nWe collect your email address.\n"
    )
    sentences = segment(text, format="text").sentences
    assert [(s.kind, s.section) for s in sentences] == [
        ("heading", ("DISCLAIMER",)),
        ("body", ("DISCLAIMER",)),
        ("body", ("DISCLAIMER",)),
    ]


def test_a_line_reads_the_same_with_crlf_line_ends():
    from privtag import segment

    lf = "Quiz\n\nWhich is right?\nA.\nWe sell data\nB.\nWe keep data\n"
    for trailing in ("\r\n", " \n", "\t\n"):
        other = segment(lf.replace("\n", trailing), format="text")
        assert [(s.kind, s.text) for s in other.sentences] == [
            (s.kind, s.text) for s in segment(lf, format="text").sentences
        ]


def test_markdown_headings_lists_quotes_links():
    md = (
        '# Title\n\nIntro with **bold**text and a [link](https://x.example "t").\n\n'
        "Setext\n======\n\n> Quoted line.\n\n- one\n* two\n+ three\n\n1. first\n2) second\n\n"
        "![logo](logo.png) See <https://y.example>.\n\n[1]: https://z.example\n\n---\n\nEnd `code`."
    )
    b = Builder(md)
    blocks = read_lines(md, True, b)
    assert kinds(blocks) == [
        ("heading", "Title"),
        ("body", "Intro with boldtext and a link."),
        ("heading", "Setext"),
        ("body", "Quoted line."),
        ("list_item", "one"),
        ("list_item", "two"),
        ("list_item", "three"),
        ("list_item", "1. first"),
        ("list_item", "2) second"),
        ("body", "See https://y.example."),
        ("body", "End code."),
    ]
    assert [blk.level for blk in blocks[:3]] == [1, 0, 1]
    assert b.links == ["https://x.example", "https://y.example"]


@pytest.mark.parametrize(
    "md, expected",
    [
        # a label and a colon before prose is not a link reference definition
        ("[Note]: We sell your data.", ["[Note]: We sell your data."]),
        ("Intro.\n\n[1]: We share your e-mail.", ["Intro.", "[1]: We share your e-mail."]),
        # a definition (destination and optional title, nothing else) is not text
        ('Intro.\n\n[1]: https://z.example "A title"\n\nEnd.', ["Intro.", "End."]),
        ("Intro.\n\n[1]: <https://z.example>\n\nEnd.", ["Intro.", "End."]),
    ],
)
def test_markdown_only_real_link_definitions_are_left_out(md, expected):
    assert [b.text for b in read_lines(md, True)] == expected


@pytest.mark.parametrize(
    "md, expected",
    [
        ("Use `<b>` tags.", "Use <b> tags."),  # a code span is literal
        ("Type `[a](b)` and `*c*` here.", "Type [a](b) and *c* here."),
        ("Wrap names in \\<b> tags.", "Wrap names in <b> tags."),  # an escaped "<" opens no tag
        ("Path C:\\\\.", "Path C:\\."),  # an escaped backslash stays, once
        ("Path C:\\\\", "Path C:\\"),  # also at the end of a line: it is no break
        ("We collect your email\\\nand your name.", "We collect your email and your name."),
        ("A paragraph ends\\", "A paragraph ends\\"),  # no line after it: no break
        ("Not \\*emphasis\\* but *this*.", "Not *emphasis* but this."),
    ],
)
def test_markdown_code_spans_and_escapes_keep_their_characters(md, expected):
    assert [b.text for b in read_lines(md, True)] == [expected]


def test_markdown_noscript_tags_are_markup_and_their_words_kept():
    md = "<noscript>We track you without JS.</noscript>"
    assert [b.text for b in read_lines(md, True)] == ["We track you without JS."]


def test_markdown_link_targets_may_hold_parentheses():
    md = "See [HTTP cookie](https://en.wikipedia.org/wiki/Cookie_(computing)) for details."
    b = Builder(md)
    assert [blk.text for blk in read_lines(md, True, b)] == ["See HTTP cookie for details."]
    assert b.links == ["https://en.wikipedia.org/wiki/Cookie_(computing)"]


def test_zero_width_joiners_stay_in_their_words():
    text = "Persian \u0646\u06cc\u0645\u200c\u0641\u0627\u0635\u0644\u0647 and \U0001f468\u200d\U0001f469 here."
    assert [b.text for b in read_lines(text, False)] == [text]


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u202b", "\u202c", "\u2067", "\u061c"])
def test_bidirectional_marks_do_not_hide_a_sentence_end(mark):
    from privtag import segment

    text = f"We collect your email.{mark} We share it. {mark}We keep logs.{mark}"
    doc = segment(text)
    assert [s.text for s in doc.sentences] == [
        "We collect your email.",
        "We share it.",
        "We keep logs.",
    ]
    assert all(doc.text[s.start : s.end] == s.text for s in doc.sentences)


def test_markdown_table_cells_are_blocks_and_rows_paragraphs():
    md = "Intro:\n\n| Name | Purpose |\n|:---|---:|\n| _ga | Analytics. Two years. |\n| | empty |\n\nAfter."
    blocks = read_lines(md, True)
    assert kinds(blocks) == [
        ("body", "Intro:"),
        ("body", "Name"),
        ("body", "Purpose"),
        ("body", "_ga"),
        ("body", "Analytics. Two years."),
        ("body", "empty"),
        ("body", "After."),
    ]
    assert [b.new_paragraph for b in blocks] == [True, True, False, True, False, True, True]


@pytest.mark.parametrize("markdown", [True, False])
def test_a_short_line_that_the_next_line_carries_on_is_no_heading(markdown):
    # "Cookies" / "set by ..." is one hard-wrapped sentence: as a title, it cut the
    # sentence in two and headed every sentence below it
    text = (
        "We may show ads.\nCookies\nset by ad networks are not ours.\nWe sell nothing.\n\n"
        "Data\na) your name\n\nGeneral\nzTrenz invites your ideas.\n\n"
        "Statistics\nexample.com counts visits.\n"
    )
    assert kinds(read_lines(text, markdown)) == [
        ("body", "We may show ads."),
        ("body", "Cookies set by ad networks are not ours."),
        ("body", "We sell nothing."),
        ("heading", "Data"),  # a list item in lower case follows a title
        ("list_item", "a) your name"),
        ("heading", "General"),  # a sentence opening on a name in lower case too
        ("body", "zTrenz invites your ideas."),
        ("heading", "Statistics"),
        ("body", "example.com counts visits."),
    ]


@pytest.mark.parametrize("markdown", [True, False])
def test_a_paragraph_of_short_title_lines_is_an_address_not_headings(markdown):
    # each line headed the next, and "Germany" every sentence below it
    text = "Contact\n\nAcme Ltd\n23564 Springfield\nGermany\n\nWe reply within a week.\n"
    assert kinds(read_lines(text, markdown)) == [
        ("heading", "Contact"),
        ("body", "Acme Ltd 23564 Springfield Germany"),
        ("body", "We reply within a week."),
    ]
    # titles over text stay titles
    text = "Privacy Policy\nYour Choices\nYou may opt out.\n"
    assert [k for k, _ in kinds(read_lines(text, markdown))] == ["heading", "heading", "body"]


@pytest.mark.parametrize("markdown", [True, False])
def test_a_title_wrapped_over_two_lines_is_one_heading(markdown):
    # two headings, the second over the text, split one title in two
    text = (
        "MODIFICATION OF THESE\nTERMS OF USE\nWe may change them.\n\n"
        "How We Use Your\nPersonal Information\n\nWe use it.\n\n"
        "Information We\nCollect From You\n\nWe collect your name.\n\n"
        "HOW WE USE\nYOUR DATA\n\nWe use it.\n\n"  # no open end: two headings, as before
        "Privacy Policy\nYour Choices\nYou may opt out.\n"  # two titles: no open end
    )
    assert kinds(read_lines(text, markdown)) == [
        ("heading", "MODIFICATION OF THESE TERMS OF USE"),
        ("body", "We may change them."),
        ("heading", "How We Use Your Personal Information"),
        ("body", "We use it."),
        ("heading", "Information We Collect From You"),
        ("body", "We collect your name."),
        ("heading", "HOW WE USE"),
        ("heading", "YOUR DATA"),
        ("body", "We use it."),
        ("heading", "Privacy Policy"),
        ("heading", "Your Choices"),
        ("body", "You may opt out."),
    ]


@pytest.mark.parametrize("markdown", [True, False])
def test_a_hard_wrapped_list_item_is_one_item(markdown):
    # its second line was body text, and a numbered first line a heading over it
    text = (
        "Data:\n\n1. We collect your name and\nemail address when you register.\n"
        "2. We use it.\n\n- your IP address and\nbrowser type;\n- your device.\nwe keep it.\n"
    )
    assert kinds(read_lines(text, markdown)) == [
        ("body", "Data:"),
        ("list_item", "1. We collect your name and email address when you register."),
        ("list_item", "2. We use it."),
        ("list_item", "your IP address and browser type;"),
        ("list_item", "your device."),
        ("body", "we keep it."),  # after an item that ends its sentence: not the item's
    ]


@pytest.mark.parametrize("markdown", [True, False])
def test_a_bulleted_line_in_title_case_is_a_list_item_not_a_heading(markdown):
    # "* Your Choices" was a heading, "* " and all, and headed the text below it
    text = "Sections:\n\n* What We Collect\n* Your Choices\n+ Data We Keep\n\nWe sell data."
    assert kinds(read_lines(text, markdown)) == [
        ("body", "Sections:"),
        ("list_item", "What We Collect"),
        ("list_item", "Your Choices"),
        ("list_item", "Data We Keep"),
        ("body", "We sell data."),
    ]


@pytest.mark.parametrize("brk", ["<br>", "  ", "<br />", "\\"])
def test_markdown_lines_split_by_hard_breaks_are_not_headings(brk):
    # an address block: read as headings, its lines headed every sentence below them
    md = f"# Contact\n\nOur details:\n\nAcme GmbH{brk}\nMain Street 9{brk}\nCH-6300 Zug\n\nWe sell nothing."
    got = kinds(read_lines(md, True))
    assert [k for k, _ in got] == ["heading", "body", "body", "body"]
    # one unit, under "Contact"; a break's backslash is markup, as its "<br>" is
    assert got[2][1] == "Acme GmbH Main Street 9 CH-6300 Zug"


def test_a_title_with_a_hard_break_before_its_sentences_stays_a_title():
    md = "Aggregate Information  \nWe count visits.  \nWe keep no names.\n\n**Contact**<br>\nAcme<br>\nZug"
    assert kinds(read_lines(md, True))[0] == ("heading", "Aggregate Information")
    assert ("heading", "Contact") in kinds(read_lines(md, True))


def test_text_line_mode_and_lead_in_lists():
    # no blank lines at all: every line that ends a sentence closes its paragraph
    txt = "\n".join(
        [
            "Privacy Policy",
            "We care about data.",
            "1. Scope",
            "We collect:",
            "- your name",
            "- your e-mail",
            "That is all.",
            "2. Contact",
            "Write to us at a@b.example.",
            "Thanks.",
        ]
    )
    blocks = read_lines(txt, False)
    assert kinds(blocks) == [
        ("heading", "Privacy Policy"),
        ("body", "We care about data."),
        ("heading", "1. Scope"),
        ("body", "We collect:"),
        ("list_item", "your name"),
        ("list_item", "your e-mail"),
        ("body", "That is all."),
        ("heading", "2. Contact"),
        ("body", "Write to us at a@b.example."),
        ("body", "Thanks."),
    ]
    # list items join the paragraph of their lead-in
    assert [b.new_paragraph for b in blocks[3:6]] == [True, False, False]


def test_text_hard_wrapped_prose_is_one_block():
    txt = "We collect your name and\nyour e-mail address when you\nregister.\n\nNext paragraph."
    assert kinds(read_lines(txt, False)) == [
        ("body", "We collect your name and your e-mail address when you register."),
        ("body", "Next paragraph."),
    ]


def test_nbsp_indented_lines_are_list_items():
    txt = "Information\n\u00a0 \u00a0 We collect names.\n\u00a0 \u00a0 We keep logs."
    assert kinds(read_lines(txt, True)) == [
        ("heading", "Information"),
        ("list_item", "We collect names."),
        ("list_item", "We keep logs."),
    ]


def test_paragraphs_after_a_lead_in_colon_are_list_items():
    md = (
        "We disclose data in these cases:\n\nProviding it to partners;\n\n"
        "Sharing it with advisers;\n\nPublishing it when the law requires.\n\n"
        "In the event of a merger, data moves."
    )
    assert [b.kind for b in read_lines(md, True)] == [
        "body",
        "list_item",
        "list_item",
        "list_item",
        "body",
    ]


# --------------------------------------------------------------------------- HTML


def test_html_fixture_drops_furniture_and_keeps_units(fixtures):
    blocks, meta = read_html((fixtures / "segment_page.html").read_text("utf-8"))
    text = " ".join(b.text for b in blocks)
    for furniture in (
        "Do not read me",
        "Shop",
        "Help",
        "Accept",
        "All rights reserved",
        "font-family",
    ):
        assert furniture not in text
    # hidden is not furniture: accordions hide policy text until clicked
    assert "Hidden promotional text." in text
    reasons = {d.reason for d in meta["dropped"]}
    assert {"non-text", "link list", "furniture"} <= reasons
    assert meta["title"] == "Privacy Notice | Lumen Widgets"
    assert "/cookies" in meta["links"]
    got = kinds(blocks)
    assert got[0] == ("heading", "Privacy Notice")  # a <header> inside <article> is content
    assert ("list_item", "IP address") in got and ("list_item", "Device data") in got
    assert ("heading", "Cookies") in got  # bold run-in title split from its sentence
    assert ("body", "Keeps you signed in. Deleted at logout.") in got  # a table cell
    assert ("body", "Lumen Widgets Ltd.") in got  # <br> separates lines
    assert [b.level for b in blocks if b.kind == "heading"][:3] == [1, 2, 0]


def test_html_br_inside_a_sentence_joins_its_lines_and_ends_lines_elsewhere():
    blocks, _ = read_html(
        "<p>We collect your name,<br>email address and<br><a>phone number</a> when you sign"
        " up.</p><p><b>Contact</b><br>Acme Inc.<br>1 Main Street<br>Springfield<br>"
        "Write to us<br><br>or call us.</p><p>Name;<br>email</p>"
        '<p>We collect:<br>name<br>email address</p><p>We call them "cookies."<br>and more'
        '</p><p>We keep it for<br>"thirty" days.</p>'
    )
    assert kinds(blocks) == [
        ("body", "We collect your name, email address and phone number when you sign up."),
        ("heading", "Contact"),  # a bold title keeps its line
        ("body", "Acme Inc."),  # a full stop ends the line
        ("body", "1 Main Street"),  # a capital or a digit starts a new line
        ("body", "Springfield"),
        ("body", "Write to us"),  # <br><br> is a blank line, whatever follows
        ("body", "or call us."),
        ("body", "Name;"),
        ("body", "email"),
        ("body", "We collect:"),
        ("body", "name"),  # a short line: an item of a list laid out by <br>
        ("body", "email address"),
        ("body", 'We call them "cookies."'),  # a full stop inside its quotes ends the line
        ("body", "and more"),
        ("body", 'We keep it for "thirty" days.'),  # "for" does not end a sentence
    ]
    assert [b.new_paragraph for b in blocks][5:7] == [False, True]


def test_html_inline_text_glues_like_a_browser():
    blocks, _ = read_html("<p><span>Hel</span><span>lo</span>\n<span>world</span>, <b>bye</b>.</p>")
    assert kinds(blocks) == [("body", "Hello world, bye.")]


def test_html_malformed_keeps_the_text():
    html = "<p>Unclosed <b>bold <i>and italic<p>Next para with 2 < 3 and a stray < sign<div>Tail"
    text = " ".join(b.text for b in read_html(html)[0])
    for words in ("Unclosed", "bold", "and italic", "Next para with 2 < 3", "stray < sign", "Tail"):
        assert words in text


def test_html_deep_nesting_does_not_recurse():
    html = "<div>" * 5000 + "Deep text." + "</div>" * 10 + "<span>" * 3000 + "More."
    assert [b.text for b in read_html(html)[0]] == ["Deep text.", "More."]


def test_html_deep_nesting_fallback_keeps_noscript_and_template_text():
    deep = "<div>" * 2100  # past libxml2's depth limit: read as a stream of tags
    for tag in ("noscript", "template"):
        html = deep + f"<{tag}>We collect your e-mail address.</{tag}><p>Contact us.</p>"
        assert [b.text for b in read_html(html)[0]] == [
            "We collect your e-mail address.",
            "Contact us.",
        ]


def test_html_deep_nesting_fallback_drops_doctypes_and_processing_instructions():
    # a browser reads each as a comment, as the tree reader does: none of it is text
    deep = "<div>" * 2100
    html = '<!DOCTYPE html><?xml-stylesheet href="a.css"?>' + deep + "<p>We collect data.</p>"
    html += "<![CDATA[x]]><! bogus ><p>Contact us.</p>"
    assert [b.text for b in read_html(html)[0]] == ["We collect data.", "Contact us."]
    # one holding a "<" is not dropped (that would scan on for its end): kept as text
    html = deep + "<p>We collect data.</p><![CDATA[x < y]]>"
    assert [b.text for b in read_html(html)[0]] == ["We collect data.", "<![CDATA[x < y]]>"]


def test_html_deep_nesting_fallback_never_reads_a_tag_across_a_less_than_sign():
    # An unclosed "<a" fails at the next "<" instead of scanning to the end of the page
    # for a ">": "<a<a<a..." costs linear time, not quadratic (speed itself is measured
    # in benchmarks, not here).
    from privtag.segmentation.markup import _SOUP

    assert _SOUP.match("<a<p>We keep logs.").group() == "<"
    assert _SOUP.match('<a href="/x">We keep logs.').group() == '<a href="/x">'
    html = "<div>" * 2100 + "<a" * 50 + "<p>We keep logs.</p>"
    assert read_html(html)[0][-1].text.endswith("We keep logs.")


def test_html_without_text_gives_no_blocks():
    assert read_html("")[0] == []
    assert read_html("<script>x()</script><nav>Home</nav>")[0] == []


# --------------------------------------------------------------------------- OPP-115-style markup
# (text written for these tests; OPP-115 itself is only read from its path)


def test_opp115_segments_and_kinds():
    src = (
        "Acme Privacy <br> <br>|||<strong> Data We Collect </strong> <br> We keep logs. <br>"
        " <ul> <li> your name </li> <li> your e-mail </li> </ul>||||||<strong>Cookies</strong>"
        " We use cookies."
    )
    blocks, spans = read_opp115(src)
    assert [(b.kind, b.text, b.segment) for b in blocks] == [
        ("body", "Acme Privacy", 0),
        ("heading", "Data We Collect", 1),
        ("body", "We keep logs.", 1),
        ("list_item", "your name", 1),
        ("list_item", "your e-mail", 1),
        ("heading", "Cookies", 3),
        ("body", "We use cookies.", 3),
    ]
    assert len(spans) == 4 and spans[2][0] == spans[2][1]  # the empty segment 2
    for b in blocks:
        for off, s0, n in b.runs:
            assert b.text[off : off + n] == src[s0 : s0 + n]


def test_fixture_files_are_ours(fixtures: Path):
    # the segmenter's fixtures are text written for privtag, never OPP-115 material
    for f in fixtures.glob("segment_*"):
        assert "|||" not in f.read_bytes().decode("latin-1")


@pytest.mark.parametrize(
    "source, fmt",
    [
        ("<p>We share it with &#8203;<b>partners</b> only.</p>", "html"),
        ("<p>We share it with <b>&#8203; partners</b> only.</p>", "html"),
        ("We share it with \u200b**partners** only.\n", "markdown"),
        ("We share it with \u00ad\u2060**partners** only.\n", "markdown"),
        # written as entities, which Markdown decodes
        ("We share it with &#8203;**partners** only.\n", "markdown"),
        ("We share it with &shy;<b>partners</b> only.\n", "markdown"),
    ],
)
def test_an_invisible_character_beside_a_space_does_not_hide_it(source, fmt):
    # "with\u200b<b>partners" would render "withpartners"; with a space before it, it does not
    from privtag import segment

    assert segment(source, format=fmt).text == "We share it with partners only."


def test_a_toggle_button_in_furniture_is_counted_in_its_verdict():
    # the reader keeps a toggle's text; the furniture counts once saw none of it, so the
    # nav was dropped with the button's words, and "dropped" did not say so
    from privtag import segment

    doc = segment(
        "<p>We keep logs of your visits for thirty days.</p><nav>"
        '<button aria-expanded="false">How we share your personal data with partners</button>'
        '<a href="/">Home</a></nav>',
        format="html",
    )
    texts = [s.text for s in doc.sentences]
    assert "How we share your personal data with partners" in texts
    kept = sum(len(t.split()) for t in texts)
    dropped = sum(d.chars for d in doc.dropped)
    assert kept == 18 and dropped == 0  # every word of the page, nothing dropped


@pytest.mark.parametrize(
    "page, title",
    [
        # a button in a heading (Bootstrap without its data attributes)
        ('<h2><button type="button">How long we keep it</button></h2>{}', "How long we keep it"),
        # a page builder's accordion: a panel class on the button or on the panel after it
        ('<button class="accordion">How long we keep it</button>{}', "How long we keep it"),
        (
            '<button>How long we keep it</button><div class="collapse show">{}</div>',
            "How long we keep it",
        ),
    ],
)
def test_a_button_that_titles_a_panel_is_its_heading(page, title):
    from privtag import segment

    panel = "<div><p>We keep your data for two years.</p></div>"
    doc = segment("<h1>Policy</h1>" + page.format(panel) + "<p>We sell nothing.</p>")
    kept = doc.sentences[-2]
    assert kept.text == "We keep your data for two years." and kept.section == ("Policy", title)
    # the panel's title heads the panel: what follows the panel is not under it
    after = ("Policy", title) if page.startswith("<h2>") else ("Policy",)
    assert doc.sentences[-1].section == after
    assert doc.dropped == []


def test_a_button_inside_a_sentence_keeps_its_words_and_a_lone_one_is_dropped_and_quoted():
    blocks, meta = read_html(
        "<p>Questions? <button>Chat with our team</button> or e-mail us.</p>"
        "<form><button type='submit'>Send it</button></form><p>We sell nothing.</p>"
    )
    assert kinds(blocks) == [
        ("body", "Questions? Chat with our team or e-mail us."),
        ("body", "We sell nothing."),
    ]
    (control,) = meta["dropped"]
    assert control.reason == "form control" and control.examples == ["Send it"]


@pytest.mark.parametrize(
    "page, sentence",
    [
        (
            "<p>Please <b>click</b> <button>here</button> to opt out.</p>",
            "Please click here to opt out.",
        ),
        (  # a button that ends its sentence: the words before it have not
            "<p>To opt out of sale, use <button>Do Not Sell My Info</button></p>",
            "To opt out of sale, use Do Not Sell My Info",
        ),
    ],
)
def test_a_button_read_inline_wherever_its_sentence_goes_on(page, sentence):
    blocks, meta = read_html(page)
    assert kinds(blocks) == [("body", sentence)] and meta["dropped"] == []


def test_a_lone_button_is_not_a_title_whatever_its_class_nor_its_options_run_together():
    from privtag import segment

    doc = segment(
        '<h1>Privacy</h1><button class="cookie-panel-accept navbar-toggler">Accept all</button>'
        "<p>We keep logs.</p><select><option>Yes</option><option>No</option></select>"
    )
    assert [(s.kind, s.text) for s in doc.sentences][1:] == [("body", "We keep logs.")]
    assert doc.sentences[1].section == ("Privacy",)
    (control,) = doc.dropped
    assert control.examples == ["Accept all", "Yes No"]


def test_a_button_in_a_heading_keeps_the_headings_level():
    from privtag import segment

    doc = segment(
        "<h1>Policy</h1><h2><button>How long</button></h2><p>We keep it.</p>"
        "<h3>Why</h3><p>For the law.</p>"
    )
    assert doc.sentences[-1].section == ("Policy", "How long", "Why")


def test_a_numbered_title_after_a_lettered_list_is_a_title_not_its_next_item():
    text = (
        "2. DATA WE COLLECT\nWe collect:\n(a) your name;\n(b) your e-mail; and\n"
        "(c) your IP address.\n3. CHILDREN\nWe do not collect data from children."
    )
    got = kinds(read_lines(text, False))
    assert ("heading", "3. CHILDREN") in got
    assert ("list_item", "(c) your IP address.") in got


def test_numbered_items_with_lettered_sub_items_stay_a_list():
    text = (
        "Sharing\n\n1. Service Providers\n   a. hosting companies.\n   b. payment processors.\n"
        "2. Advertisers\n   a. ad networks."
    )
    assert [k for k, _ in kinds(read_lines(text, False))] == ["heading"] + ["list_item"] * 5


def test_numbered_items_with_indented_continuations_are_a_list_not_titles():
    md = (
        "## Sharing\n\n1. Service providers\n    They process data on our behalf.\n"
        "2. Advertisers\n\nWe keep data for a year."
    )
    assert kinds(read_lines(md, True)) == [
        ("heading", "Sharing"),
        ("list_item", "1. Service providers They process data on our behalf."),
        ("list_item", "2. Advertisers"),
        ("body", "We keep data for a year."),
    ]


@pytest.mark.parametrize("markdown", [False, True])
def test_a_word_hyphenated_across_a_line_end_is_one_word(markdown):
    text = "You may opt out of third-\nparty advertising at any time. Our self-\n**Service** pages"
    got = [b.text for b in read_lines(text, markdown)]
    assert got[0].startswith("You may opt out of third-party advertising")
    # a capital after the hyphen is another word ("self- Service"), as is a dash alone
    assert "self- Service" in got[0] if markdown else "self- **Service**" in got[0]
    assert read_lines("Pay by card -\nor cash.", False)[0].text == "Pay by card - or cash."
    # a suspended hyphen keeps its space
    got = read_lines("We keep short-\nand long-term data of first-\nor third parties.", False)
    assert got[0].text == "We keep short- and long-term data of first- or third parties."


def test_a_details_summary_titles_the_text_it_opens():
    from privtag import segment

    doc = segment(
        "<h1>Policy</h1><details><summary>How long we keep it</summary>"
        "<p>We keep your data for two years.</p></details>"
        "<details><summary>We keep logs for a while, as the law says.</summary><p>x y z.</p></details>"
    )
    kinds_texts = [(s.kind, s.text) for s in doc.sentences]
    assert ("heading", "How long we keep it") in kinds_texts
    assert doc.sentences[2].section == ("Policy", "How long we keep it")
    # a summary that is a sentence stays one
    assert ("body", "We keep logs for a while, as the law says.") in kinds_texts


def test_markdown_reference_links_and_footnote_markers_are_markup():
    md = (
        "We share data[^1] with [partners][p] and [others][].\n\n[p]: https://p.example\n\n"
        "[^1]: Only aggregated data."
    )
    assert [b.text for b in read_lines(md, True)] == [
        "We share data with partners and others.",
        "Only aggregated data.",
    ]


@pytest.mark.parametrize(
    "page",
    [
        "<p>Write to us at:</p><p>Acme Ltd</p><p>Main Street</p><p>Springfield Germany</p>",
        "<p>Intro.</p><p>Acme Ltd</p><p>Main Street</p><p>Springfield Germany</p>",
        "<p>Contact:</p><p>Acme Ltd</p>",
    ],
)
def test_an_address_written_one_paragraph_a_line_is_no_run_of_html_headings(page):
    # "Springfield Germany" headed every sentence below it
    blocks = read_html(page + "<p>We answer within a month.</p>")[0]
    assert all(b.kind == "body" for b in blocks)


def test_role_heading_is_a_heading_and_div_table_cells_are_not():
    # an app's headings were body text, and the last cell ("USA") headed what followed
    page = (
        '<div role="heading" aria-level="3">Subprocessors</div><div><div class="row">'
        "<div>Provider</div><div>Purpose</div><div>Location</div></div><div class=row>"
        "<div>Postmark</div><div>Transactional email</div><div>USA</div></div></div>"
        '<div role="heading">Deleting your account</div><div>We delete notes in 30 days.</div>'
    )
    got = [(b.kind, b.level, b.text) for b in read_html(page)[0]]
    assert got[0] == ("heading", 3, "Subprocessors")
    assert all(k == "body" for k, _, _ in got[1:7])
    assert got[7] == ("heading", 2, "Deleting your account")  # ARIA's default level


def test_titles_in_capitals_or_numbered_stay_titles_however_many_in_a_row():
    page = (
        "<div><span>OLIVE GROVE WEDDINGS</span></div><p><span>PRIVACY POLICY</span></p>"
        "<p>1. WHAT INFORMATION DO WE COLLECT?</p><p>We collect your name.</p>"
    )
    kinds_ = [b.kind for b in read_html(page)[0]]
    assert kinds_ == ["heading", "heading", "heading", "body"]


def test_a_paragraph_that_is_a_title_by_the_text_rule_is_an_html_heading():
    # titles styled by CSS have no <h2> or <b>: their sentences had no section at all
    page = (
        "<p>INFORMATION WE COLLECT</p><p>We collect your name.</p>"
        "<div>2. How We Use It</div><div>We use it to ship orders.</div>"
        "<p>Your Choices</p><p>You may opt out.</p>"
        # not titles: lines split by <br> (an address), lines that are not Title Case,
        # a lead-in, a table's cells
        "<p>Acme Inc<br>12 Main Street</p><p>Click here to opt out</p>"
        "<p>To opt out of sale, use Do Not Sell My Info</p>"
        "<table><tr><td>Contact Details</td><td>Email Address</td></tr></table>"
    )
    assert [(b.kind, b.text) for b in read_html(page)[0]] == [
        ("heading", "INFORMATION WE COLLECT"),
        ("body", "We collect your name."),
        ("heading", "2. How We Use It"),
        ("body", "We use it to ship orders."),
        ("heading", "Your Choices"),
        ("body", "You may opt out."),
        ("body", "Acme Inc"),
        ("body", "12 Main Street"),
        ("body", "Click here to opt out"),
        ("body", "To opt out of sale, use Do Not Sell My Info"),
        ("body", "Contact Details"),
        ("body", "Email Address"),
    ]

"""Which lines are headings (privtag.segmentation.headings); how a reader uses the rules
is tested with the readers."""

import pytest

from privtag.segmentation.headings import looks_like_heading


@pytest.mark.parametrize(
    "line, alone, expected",
    [
        ("PRIVACY POLICY", True, True),
        ("2. Information We Collect", False, True),
        ("Information We Collect", False, True),
        ("How is customer information used?", True, True),
        ("To learn how to delete or disable cookies in general, visit", True, False),
        ("We keep your data.", True, False),
        ("we keep logs", True, False),
        ("This line is hard wrapped and continues", False, False),
        # hard-wrapped capitals (a disclaimer) are not a title per line
        ("THE SERVICE IS PROVIDED AS IS, WITHOUT WARRANTY OF ANY KIND,", False, False),
        ("LIMITATION OF LIABILITY", False, True),
        ("APPENDIX A", False, True),
        ("HOW TO OPT IN", False, True),
        ("TERMS OF", True, True),  # alone it is a title, however it ends
        ("We collect your name. We share it.<br>", True, False),  # a tag ends no title
        ("PRIVACY<br>", True, True),
        # a label and its value is a statement: it would head everything below it
        ("Effective date: 1 May 2024", True, False),
        ("Last Updated: March 2019", True, False),
        ("Contact: privacy@example.com", True, False),
        ("Website: www.example.com", True, False),
        ("Section 2: How We Use Data", True, True),  # no value after the colon
        # a numbered part of the document, whatever follows the colon
        ("Section 5: Children Under 13", True, True),
        ("Appendix A: 2024 California Disclosures", True, True),
        ("Part 3: Your Rights Under GDPR Article 15", True, True),
        ("4: Data Kept for 30 Days", True, True),
    ],
)
def test_looks_like_heading(line, alone, expected):
    assert looks_like_heading(line, alone) is expected


def test_capitals_ending_on_a_connector_are_wrapped_only_if_capitals_follow():
    line = "WHETHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO"
    assert looks_like_heading(line, False, caps_follow=True) is False
    assert looks_like_heading(line, False) is True  # above text that is not in capitals
    assert looks_like_heading("WHO WE SHARE YOUR INFORMATION WITH", False) is True
    assert looks_like_heading("<Company Name> Privacy Policy", True) is True  # a placeholder


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # statements in capitals: a subject first, or a finite verb
        ("WE MAKE NO WARRANTIES ABOUT THE ACCURACY OF THE INFORMATION.", False),
        ("YOUR USE OF THIS SITE IS AT YOUR OWN RISK.", False),
        ("PLEASE READ THIS PRIVACY STATEMENT CAREFULLY.", False),
        ("SOME JURISDICTIONS DO NOT ALLOW THE DISCLAIMER OF WARRANTIES.", False),
        # titles, though they end on a full stop
        ("COMPLIANCE WITH GOVERNING LAW AND DISPUTE RESOLUTION.", True),
        ("PRIVACY POLICY AND AFFIRMATION OF AGE.", True),
        ("2. HOW WE COLLECT PERSONAL INFORMATION.", True),
        ("8. WHAT OTHERS MAY SEE ABOUT YOU.", True),  # numbered
        ("YOUR CHOICES AND HOW YOU CAN EXERCISE THEM.", True),  # it asks
        ("WHAT WE DO WITH THE INFORMATION WE COLLECT.", True),  # it asks
        ("WE ARE NOT LIABLE FOR DAMAGES WHICH MAY ARISE FROM USE.", False),  # a subject first
        ("ANY DAMAGES WHICH MAY ARISE ARE EXCLUDED.", False),  # "WHICH" inside: not asking
        ("WE VALUE YOUR PRIVACY.", True),  # four words: a slogan or a title
        ("WE MAY SHARE YOUR DATA", True),  # no full stop
    ],
)
def test_a_sentence_in_capitals_is_not_a_title(line, expected):
    assert looks_like_heading(line, False) is expected
    assert looks_like_heading(line, True) is expected


def test_a_statement_wrapped_in_capitals_is_not_a_title_but_a_short_one_is():
    wrapped = "WE MAY TRANSFER YOUR PERSONAL DATA TO SERVERS LOCATED OUTSIDE YOUR"
    assert looks_like_heading(wrapped, False, caps_follow=True) is False
    assert looks_like_heading(wrapped, True) is True  # alone, with nothing in capitals after
    # a title of capitals above capitals: short, or stating nothing
    assert looks_like_heading("IF YOU ARE A CALIFORNIA RESIDENT", False, caps_follow=True)
    assert looks_like_heading(
        "HOW WE COLLECT, USE AND SHARE THE PERSONAL INFORMATION OF USERS", False, caps_follow=True
    )
    assert looks_like_heading(  # numbered: a title, whatever verb it holds
        "3. THE INFORMATION WE MAY SHARE WITH OTHER COMPANIES", False, caps_follow=True
    )


def test_two_lines_of_one_sentence_in_capitals_are_one_body_sentence():
    from privtag import segment

    text = (
        "PRIVACY POLICY\n\nWE MAY TRANSFER YOUR PERSONAL DATA TO SERVERS LOCATED OUTSIDE YOUR\n"
        "COUNTRY, INCLUDING THE UNITED STATES.\n\nWe use cookies."
    )
    doc = segment(text, format="text")
    assert [(s.kind, s.section) for s in doc.sentences] == [
        ("heading", ("PRIVACY POLICY",)),
        ("body", ("PRIVACY POLICY",)),
        ("body", ("PRIVACY POLICY",)),
    ]
    assert doc.sentences[1].text.endswith("OUTSIDE YOUR COUNTRY, INCLUDING THE UNITED STATES.")


def test_lines_of_a_postal_address_are_not_titles():
    from privtag import segment
    from privtag.segmentation.headings import address_line

    text = (
        "Contact Us\nAcme Inc.\n123 Main Street\nSpringfield, IL 62701\nprivacy@acme.example\n\n"
        "Children Under 13\nWe do not knowingly collect data from children.\n"
    )
    doc = segment(text, format="text")
    assert [s.text for s in doc.sentences if s.kind == "heading"] == [
        "Contact Us",
        "Children Under 13",  # a number, but a sentence follows: a title
    ]
    email = next(s for s in doc.sentences if "privacy@acme.example" in s.text)
    assert email.section == ("Contact Us",)
    # section numbers are not the number of an address
    for title in ("**8. Special Category Data**", "2.2 Legal Prosecution", "5.Children's Privacy"):
        assert not address_line(title, "Springfield, IL 62701")
    # a title with a number above a list, or above a short line that is no address
    assert not address_line("Children Under 13", "- We do not collect their data")
    assert not address_line("Cookies Used in 2024", "Strictly necessary")
    assert address_line("Dallas, TX 75231", "United States")  # the last line of one


@pytest.mark.parametrize(
    "line",
    [
        "May 9, 2023",
        "Last updated May 1, 2024",
        "LAST UPDATED: MAY 1, 2024",
        "Effective 9 May 2023",
        "Updated January 2023",
        "(Last update 19.01.2023)",
        "Version of 2023-05-09",
    ],
)
def test_a_date_line_is_not_a_title(line):
    # read as a title, it became the section of every sentence up to the next heading
    assert not looks_like_heading(line, alone=True)


@pytest.mark.parametrize(
    "line",
    [
        "2. Changes Since May 2018",
        "California Privacy Rights Act of 2020",
        "Mayday 2020",
        "Changes in Version 2.1.23",  # a version, not a date
        "Your California Privacy Rights (Effective January 2020)",  # a date in brackets
    ],
)
def test_a_title_with_a_year_or_a_numbered_one_with_a_date_stays_a_title(line):
    assert looks_like_heading(line, alone=True)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("INFORMATION IS PROVIDED AS IS. ACME AND/OR", False),  # wrapped prose
        ("Links from the Website. If the", False),  # a run-in title and a sentence's start
        ("16. Changes and Updates to This Privacy Policy", True),  # a number opens it
        ("Section 2. How We Use Data", True),  # so does a part of the document
        ("SECTION 2. HOW WE USE DATA", True),
        ("Article 5. Your Rights", True),
        ("Questions? Contact Us", True),  # a title may ask
        ("ACME INC. PRIVACY POLICY", True),  # an abbreviation ends no sentence
        ("U.S. Residents", True),
    ],
)
def test_a_line_with_a_sentence_end_inside_is_not_a_title(line, expected):
    assert looks_like_heading(line, alone=False) is expected

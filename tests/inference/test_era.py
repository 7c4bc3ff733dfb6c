"""The terms that say a policy was written under today's privacy laws."""

import pytest

from privtag.inference.era import gdpr_era_terms


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Under the GDPR you may object.", ["GDPR"]),
        (
            "the UK GDPR and the General Data Protection Regulation",
            ["GDPR", "General Data Protection Regulation"],
        ),
        ('California Consumer Privacy Act ("CCPA")', ["CCPA"]),
        ("our legitimate interests", ["legitimate interest"]),
        ("the lawful bases we rely on", ["legal basis"]),
        ("Contact our Data\nProtection Officer", ["data protection officer"]),
        ("lodge a complaint with a supervisory authority", ["supervisory authority"]),
        ("your right to be forgotten", ["right to erasure"]),
        ("We comply with the EU-U.S. Privacy Shield Framework.", ["Privacy Shield"]),
        ("Brazil's LGPD", ["LGPD"]),
    ],
)
def test_each_term_is_found_whatever_its_case_and_spacing(text, want):
    assert gdpr_era_terms(text) == want
    assert gdpr_era_terms(text.upper()) == want


@pytest.mark.parametrize(
    "text",
    [
        # what OPP-115-era policies say: none of it marks today's laws
        "We may share your personal information with our affiliates and service providers.",
        "If you are a resident of the European Economic Area, your data may be transferred.",
        "The data controller is Example Inc.; you may request data portability.",
        "We have a legitimate business need to keep it.",  # not "legitimate interest"
        "GDPRS and SUPERVISORY are not words these terms match inside",
    ],
)
def test_older_policy_language_names_no_term(text):
    assert gdpr_era_terms(text) == []


def test_terms_come_once_each_in_table_order():
    text = "Privacy Shield. GDPR. GDPR again. legitimate interest. GDPR."
    assert gdpr_era_terms(text) == ["GDPR", "legitimate interest", "Privacy Shield"]


def test_a_large_text_of_near_misses_names_no_term():
    # near-misses everywhere (a backtracking pattern would hang here; the speed itself is
    # measured in benchmarks/bench_era.py)
    text = ("legitimate " * 50_000) + ("right to " * 50_000) + ("general data protection " * 20_000)
    assert gdpr_era_terms(text) == []


@pytest.mark.parametrize("pattern", ["e?privacy", "(?:a|b)c", "x|\\bfoo"])
def test_a_term_must_start_with_a_required_letter(pattern):
    from privtag.inference.era import _initials

    with pytest.raises(ValueError, match="must start with a required letter"):
        _initials(pattern)

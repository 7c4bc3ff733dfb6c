"""The language check: policies in other languages, or partly so, are reported; English is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from privtag.segmentation import segment, segment_file
from privtag.segmentation.language import MIN_WORDS, english_share, language_note

LANGUAGES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
FOREIGN = sorted(p for p in LANGUAGES.glob("*.md") if p.stem != "README")
SEED = Path(__file__).resolve().parents[2] / "data" / "policies"


def test_the_fixtures_are_all_there():
    assert [p.stem for p in FOREIGN] == ["de", "es", "fr", "it", "ja", "nl", "pt", "ru"]


@pytest.mark.parametrize("path", FOREIGN, ids=lambda p: p.stem)
def test_a_policy_in_another_language_warns_once_naming_its_file(path):
    doc = segment_file(path)
    notes = [w for w in doc.warnings if "read as English" in w]
    assert len(notes) == 1
    assert notes[0].startswith(f"{path}: does not read as English")
    assert "tag an English version" in notes[0]


@pytest.mark.parametrize("path", sorted(SEED.glob("*.md")), ids=lambda p: p.stem)
def test_english_policies_do_not_warn(path):
    assert not [w for w in segment_file(path).warnings if "English" in w]


def test_a_paragraph_in_another_language_inside_an_english_policy_is_named():
    english = (SEED / "zarget.md").read_text(encoding="utf-8")
    german = (LANGUAGES / "de.md").read_text(encoding="utf-8").split("\n\n", 2)[2]
    doc = segment(english + "\n\n" + german)
    notes = [w for w in doc.warnings if "English" in w]
    last = len(doc.paragraphs) - 1
    assert notes == [
        f"<text>: 1 paragraph(s) do not read as English (paragraph id {last}); their tags "
        "are unreliable: privtag's model knows English only"
    ]
    assert "Wir speichern" in doc.text[doc.paragraphs[last].start : doc.paragraphs[last].end]


@pytest.mark.parametrize(
    "paragraph",
    [
        # citations, addresses, places and symbols: English policy text all the same
        "(Cal. Civ. Code § 1798.100 et seq.) (Tex. Bus. & Com. Code § 541) (Del. Code Ann. "
        "tit. 6) (Va. Code Ann. § 59.1) (Colo. Rev. Stat. § 6-1) (Conn. Gen. Stat. § 42) et al.",
        "Our affiliates: Example SARL, 12 rue de la Paix, 75002 Paris; Example SRL, Via del "
        "Corso 10, Roma; Example GmbH, Hauptstrasse 5, Berlin; Example BV, Keizersgracht 1.",
        "Offices: Wilmington, DE; Chicago, IL; Des Moines, IA; Los Angeles, CA; Las Vegas, NV; "
        "San Diego, CA; El Paso, TX; La Jolla, CA; Santa Fe, NM; Boca Raton, FL.",
        "🍪🍪🍪 Cookies! 🍪🍪🍪 ✅✅✅ 👍👍👍 " + "═" * 40,
    ],
)
def test_english_paragraphs_that_look_foreign_at_a_glance_are_not_reported(paragraph):
    english = (SEED / "zarget.md").read_text(encoding="utf-8")
    assert not [w for w in segment(f"{english}\n\n{paragraph}").warnings if "English" in w]


def test_short_texts_are_not_judged():
    # a heading or one sentence says too little; a handful of words is not a language
    short = "Datenschutz. Wir erheben Daten und speichern sie."
    assert len(short.split()) < MIN_WORDS and language_note(short, "x") is None
    assert segment("Cookies").warnings == []


def test_a_short_policy_in_another_language_is_judged_by_its_words_punctuation_aside():
    german = "Wir erheben Ihre E-Mail-Adresse und Ihren Namen, wenn Sie sich registrieren."
    assert "does not read as English" in language_note(german, "x")
    english = "We collect your e-mail address and name, when you register with us."
    assert language_note(english, "x") is None


def test_english_share_counts_whole_words():
    assert english_share("We collect your name and share it with our partners") == pytest.approx(
        0.6
    )
    assert english_share("Nous collectons votre adresse") == 0.0
    assert english_share("1234 ... --") is None


def test_opp115_segments_are_not_checked(tmp_path):
    # OPP-115 is English by construction; its segments are short and many
    page = tmp_path / "p.html"
    page.write_text("Wir erheben Daten und speichern sie lange. " * 20, encoding="utf-8")
    assert segment_file(page, format="opp115").warnings == []
    assert segment_file(page).warnings != []


def test_english_lists_of_names_or_menu_items_are_not_reported():
    # few English function words, but no other language's either
    names = " • ".join(f"Alex Smith{i}, Managing Editor" for i in range(20))
    menu = "Apparel All Apparel Tees Hoodies Specialty Apparel Accessories Bags Hats " * 6
    places = "Car Rental Las Vegas Car Rental Los Angeles Car Rental Chicago Car Rental " * 3
    doc = segment(
        f"We collect your name and use it for our services.\n\n{names}\n\n{menu}\n\n{places}"
    )
    assert not [w for w in doc.warnings if "English" in w]


def test_a_paragraph_in_another_script_is_reported_but_not_a_symbol():
    japanese = (LANGUAGES / "ja.md").read_text(encoding="utf-8").split("\n\n", 2)[2]
    english = (SEED / "zarget.md").read_text(encoding="utf-8")
    assert "1 paragraph(s)" in " ".join(segment(f"{english}\n\n{japanese}").warnings)
    assert not [w for w in segment(f"{english}\n\n✓ → ★").warnings if "English" in w]

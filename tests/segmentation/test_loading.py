"""Loading: bytes decoded in the right encoding, files read safely, or refused in one line."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from privtag.errors import PathAsTextWarning, PolicyReadError
from privtag.segmentation.loading import decode, decode_with_notes, load

# --------------------------------------------------------------------------- decoding

TEXT = "Café “Lumière” costs €5 – we don’t sell data."


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),  # no BOM: found by its zero bytes
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_decode_encodings(data, encoding):
    assert decode(data) == (TEXT, encoding)


def test_decode_latin1_text_reads_the_same():
    text = "Señor Pérez © 2020, ½ price, Daten über Sie, à bientôt."
    assert decode(text.encode("latin-1"))[0] == text


def test_decode_reads_bytes_cp1252_leaves_undefined_as_latin1():
    # 0x81 is undefined in cp1252: read as Latin-1 within the cp1252 text, as browsers do
    assert decode(b"caf\xe9 \x81 don\x92t") == ("café \x81 don\u2019t", "cp1252")


@pytest.mark.parametrize(
    "data, kinds",
    [
        (b"caf\xe9 \x81 don\x92t", "U+0081"),  # a byte cp1252 leaves undefined
        ("We\u0092re here.\n\u0093Ok\u0094".encode(), "U+0092 U+0093 U+0094"),  # mojibake
    ],
)
def test_control_characters_are_kept_and_named(data, kinds):
    text, _, notes = decode_with_notes(data, "p.txt")
    # kept, not dropped or replaced: every character still lands in a sentence
    assert all(chr(int(k[2:], 16)) in text for k in kinds.split())
    assert len(notes) == 1 and notes[0].startswith(f"p.txt: holds {len(kinds.split())} control")
    assert f"({kinds}; first on line 1)" in notes[0]
    assert decode_with_notes("We\u2019re here.".encode(), "p.txt")[2] == []


def test_decode_honours_a_declared_html_charset():
    page = '<html><head><meta charset="iso-8859-15"></head><body>Prix: 5 \xa4</body></html>'
    text, enc = decode(page.encode("latin-1"))
    assert enc == "iso8859-15" and "5 €" in text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"),
        (bytes(range(256)) * 4, "binary"),
        (b"ab\x00cd\x01\x02\x03" * 100, "binary"),
        # zeros where UTF-16 has them, but control characters once decoded (was "ȃ")
        (b"\x00\x01\x02\x03", "binary"),
        (b"\x01\x00\x02\x00\x03\x00\x04\x00", "binary"),
    ],
)
def test_decode_rejects_binary(data, message):
    with pytest.raises(PolicyReadError, match=message):
        decode(data, "x.bin")


# --------------------------------------------------------------------------- loading


def test_load_reads_paths_and_strings(tmp_path):
    f = tmp_path / "p.txt"
    f.write_bytes("We keep logs.".encode("cp1252"))
    assert load(f) == ("We keep logs.", {"path": str(f), "encoding": "utf-8"})
    assert load("We keep logs. See policy.md")[1]["path"] is None  # a sentence, not a path


def test_a_str_is_text_even_when_it_names_a_file(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("We keep logs.")
    with pytest.warns(PathAsTextWarning, match=r"pass Path\(...\) or use segment_file"):
        assert load(str(f)) == (str(f), {"path": None, "encoding": None})
    with pytest.warns(PathAsTextWarning):  # a missing file name: text as well, with a hint
        assert load("missing.md")[1]["path"] is None
    assert load(b"We keep logs.") == ("We keep logs.", {"path": None, "encoding": "utf-8"})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: d, "is a directory"),
    ],
)
def test_load_errors(tmp_path, make, message):
    with pytest.raises(PolicyReadError, match=message):
        load(make(tmp_path))


def test_an_empty_or_multi_line_file_name_gets_a_one_line_message():
    from privtag import segment_file

    for empty in ("", "  "):
        with pytest.raises(PolicyReadError, match="the policy file name is empty"):
            segment_file(empty)
    text = "We collect your e-mail.\nWe share it with advertisers.\n"
    with pytest.raises(PolicyReadError) as e:
        segment_file(text)  # a policy's text passed where a file name goes
    assert "\n" not in str(e.value) and str(e.value).endswith("no such file; check the path")


def test_a_policy_given_as_text_or_bytes_is_named_as_the_caller_says(tmp_path):
    from privtag import segment

    for source, default in (
        ("  ", "<text>"),
        (b"  ", "<bytes>"),
        (b"\x00\x01\x02\x03abc\x00\x00", "<bytes>"),
    ):
        with pytest.raises(PolicyReadError, match=f"^{default}: "):
            segment(source)
        with pytest.raises(PolicyReadError, match=r"^record 7: "):
            segment(source, name="record 7")
    # a file is named by its path whatever the caller says
    (tmp_path / "empty.txt").write_text(" ", encoding="utf-8")
    with pytest.raises(PolicyReadError, match=r"empty\.txt: the policy has no text"):
        segment(tmp_path / "empty.txt", name="record 7")


LANGUAGES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"


@pytest.mark.parametrize("fixture, encoding", [("ru.md", "cp1251"), ("ja.md", "shift_jis")])
def test_undeclared_non_latin_legacy_bytes_warn_that_the_text_is_garbled(fixture, encoding):
    data = (LANGUAGES / fixture).read_text(encoding="utf-8").encode(encoding)
    text, enc, notes = decode_with_notes(data, "p.txt")
    assert enc == "cp1252" and len(text) == len(data)  # read, nothing lost
    assert len(notes) == 1 and notes[0].startswith("p.txt: is not UTF-8 and declares no charset")
    assert "Convert the file to UTF-8" in notes[0]


def test_western_legacy_bytes_read_without_a_garbling_warning():
    french = (LANGUAGES / "fr.md").read_text(encoding="utf-8")  # accents alone between letters
    assert decode_with_notes(french.encode("cp1252"), "p.txt")[2] == []
    assert decode_with_notes((TEXT * 5).encode("cp1252"), "p.txt")[2] == []
    # a Word export's indentation (no-break spaces, a bullet) and a line of em dashes
    layout = b"\xa0\xa0\xa0\xa0\x95 We keep logs.\n" * 10 + b"\x97" * 40 + b"\nWe share.\n"
    assert decode_with_notes(layout, "p.txt")[2] == []


def test_a_declared_legacy_charset_is_read_in_it_without_a_garbling_warning():
    russian = (LANGUAGES / "ru.md").read_text(encoding="utf-8")
    page = f'<html><head><meta charset="windows-1251"></head><body>{russian}</body></html>'
    text, enc, notes = decode_with_notes(page.encode("cp1251"), "p.html")
    assert enc == "cp1251" and russian in text and notes == []


def test_a_file_name_that_is_not_utf8_is_named_printably(tmp_path):
    # the name goes into messages, reports and JSON, none of which can hold its raw bytes
    import os

    from privtag.segmentation import segment

    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.csv"))
    odd.write_text("We collect your e-mail address.", encoding="utf-8")
    text, meta = load(odd)
    assert text.startswith("We collect") and meta["path"].endswith("caf\\xe9.csv")
    doc = segment(odd)
    assert all(w.encode("utf-8") for w in doc.warnings) and "caf\\xe9.csv" in doc.warnings[0]

"""Policy text from what a user holds: a str, bytes or a file, read safely and decoded.

A ``str`` is the policy text; bytes are decoded (BOMs, UTF-8 with a few stray bytes,
a declared HTML/XML charset, Windows-1252); a path is read only if it is a regular file
under the size limit. Binary files (PDF, archives, images) are refused with a one-line
:class:`~privtag.errors.PolicyReadError`. :mod:`privtag.segmentation.readers` then picks the
format of the text and its reader.

Example:
    >>> load(b"We keep logs.")
    ('We keep logs.', {'path': None, 'encoding': 'utf-8'})
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import warnings
from pathlib import Path

from privtag.errors import (
    PathAsTextWarning,
    PolicyReadError,
    PolicyTypeError,
    outside_stacklevel,
    plural,
    shown,
)

__all__ = ["MAX_BYTES", "POLICY_TYPES", "decode", "decode_with_notes", "load", "max_bytes_default"]

# --------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP archive (a .docx?)",
    b"\xd0\xcf\x11\xe0": "an old Word/Office file",
    b"\x7fELF": "a program",
    b"\x89PNG": "an image",
    b"\xff\xd8\xff": "an image",
    b"GIF8": "an image",
}
_TEXT_BYTES = bytes([9, 10, 11, 12, 13, *range(32, 256)])
_DECLARED = re.compile(
    rb"""(?:<meta[^>]{0,200}?charset|<\?xml[^>]{0,100}?encoding)\s*=\s*["']?([\w.:-]+)""", re.I
)
# Labels browsers read as Windows-1252 (the WHATWG encoding standard): a page that says
# Latin-1 but holds cp1252 quotes shows them, so we read them too.
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "cp1252"}


#: The file extensions of policies: text, Markdown and HTML. Another file is still read
#: (as text) when named on purpose, with a warning that it may not be a policy.
POLICY_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".xhtml")


def _cp1252_or_latin1(err: UnicodeDecodeError) -> tuple[str, int]:
    # The five bytes cp1252 leaves undefined read as Latin-1, as in browsers.
    bad = err.object[err.start : err.end]
    return bad.decode("latin-1"), err.end


codecs.register_error("privtag-cp1252", _cp1252_or_latin1)


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode policy bytes; returns ``(text, encoding)``. See :func:`decode_with_notes`.

    Example:
        >>> decode("caf\\u00e9 \\u2019".encode("cp1252"))
        ('café ’', 'cp1252')
    """
    text, enc, _ = decode_with_notes(data, name)
    return text, enc


def decode_with_notes(data: bytes, name: str = "<bytes>") -> tuple[str, str, list[str]]:
    """Decode policy bytes; returns ``(text, encoding, warnings)``.

    BOMs (UTF-8, UTF-16, UTF-32) are honoured; UTF-16 without a BOM is recognised by
    its zero bytes. Otherwise valid UTF-8 is UTF-8. UTF-8 with a few bytes that are not
    (a stray Windows-1252 quote pasted in) stays UTF-8, and only those bytes are read as
    Windows-1252, with a warning. Text that is not UTF-8 at all is read in the charset an
    HTML/XML file declares, when the bytes can be in it (a page declaring UTF-16 but
    written with one byte per character cannot), else as Windows-1252. Latin-1 is read
    as Windows-1252, as browsers do; the five bytes cp1252 leaves undefined read as
    Latin-1, so decoding never fails.

    Text that then holds C1 control characters (U+0080 to U+009F: the bytes cp1252
    leaves undefined, or Windows-1252 quotes once read as Latin-1 and saved as UTF-8) is
    kept as it is, with a warning (unless another already says the reading is doubtful):
    a policy has no use for them.

    Raises:
        PolicyReadError: if the bytes look binary (a PDF, an archive, NUL or control bytes).

    Example:
        >>> decode_with_notes("We\\u2019re ".encode() + b"caf\\xe9.")
        ('We’re café.', 'utf-8', ['<bytes>: 1 byte(s) are not UTF-8 (first at byte 11); read them as Windows-1252'])
    """
    text, enc, notes = _decode_bytes(data, name)
    # a note already there (bad UTF-8 bytes, a likely non-Latin encoding) says the
    # reading is doubtful; one about the control characters it made would repeat it
    return text, enc, notes or _c1_note(text, name)


_C1 = re.compile("[\x80-\x9f]")


def _c1_note(text: str, name: str) -> list[str]:
    """A warning when decoded text holds C1 control characters, and where the first is."""
    found = list(_C1.finditer(text))
    if not found:
        return []
    line = text.count("\n", 0, found[0].start()) + 1
    kinds = sorted({f"U+{ord(m.group()):04X}" for m in found})
    shown = " ".join(kinds[:5]) + (f" and {len(kinds) - 5} more" if len(kinds) > 5 else "")
    return [
        f"{name}: holds {plural(len(found), 'control character')} ({shown}; first on line {line}) "
        "that text does not use, kept as they are: Windows-1252 quotes or dashes once "
        "read as Latin-1, or bytes of another encoding. If the text near them looks "
        "wrong, save the policy again as UTF-8 from its source and read it again"
    ]


def _decode_bytes(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """:func:`decode_with_notes` before the control-character check."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc, []
    for sig, what in _SIGNATURES.items():
        if data.startswith(sig):
            raise PolicyReadError(
                f"{name}: is {what}, not a policy; convert it to text or HTML first"
            )
    sample = data[:65536]
    if b"\x00" in sample:
        enc = _utf16_without_bom(sample)
        if enc:
            text = data.decode(enc, errors="replace")
            # a few binary bytes can have their zeros where UTF-16 has them: the decoded
            # characters must be text too ("\x00\x01\x02\x03" was a policy of "ȃ")
            head = text[:32768].encode("latin-1", errors="replace")
            _refuse_binary(head, len(head.translate(None, _TEXT_BYTES)), name)
            return text, enc, []
    # control bytes other than tab, newlines, form feed (counted in C, not per byte in Python)
    _refuse_binary(sample, len(sample.translate(None, _TEXT_BYTES)), name)
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as e:
        first_bad = e.start
    good, bad = _utf8_evidence(data)
    # Legacy 8-bit text almost never forms a valid multi-byte UTF-8 sequence by chance,
    # so valid sequences that outnumber the bad bytes mean UTF-8 with a few bad bytes.
    if good and good >= bad:
        text = data.decode("utf-8", errors="privtag-utf8-repair")
        note = (
            f"{name}: {bad} byte(s) are not UTF-8 (first at byte {first_bad}); "
            "read them as Windows-1252"
        )
        return text, "utf-8", [note]
    declared = _declared_8bit(sample[:4096])
    enc = declared or "cp1252"
    if enc in _AS_CP1252:
        text = data.decode("cp1252", errors="privtag-cp1252")
        return text, "cp1252", [] if declared else _legacy_note(sample, name)
    return data.decode(enc, errors="replace"), enc, []


def _refuse_binary(sample: bytes, controls: int, name: str) -> None:
    if sample and controls / len(sample) > 0.01:
        raise PolicyReadError(
            f"{name}: looks like binary data, not a policy ({controls / len(sample):.0%} of its "
            "first characters are control characters); give text, Markdown or HTML"
        )


_HIGH_BYTES = bytes(range(128, 256))
#: Non-ASCII bytes three or more in a row: whole words of a non-Latin legacy encoding.
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


def _legacy_note(sample: bytes, name: str) -> list[str]:
    """A warning when undeclared 8-bit text looks like a non-Latin legacy encoding.

    Windows-1252 text has its few accented letters and quotes alone between ASCII
    letters ("café", "don\\x92t"). Cyrillic (CP1251, KOI8-R), Greek or Japanese
    (Shift-JIS) text has whole words of non-ASCII bytes, which Windows-1252 turns into
    plausible-looking Latin letters: the tags of such text are noise, so say so.
    """
    high = _count_high(sample)
    # a run of one or two byte values is layout (no-break spaces and a bullet, a line
    # of dashes), not the letters of words
    in_runs = sum(len(r) for r in _HIGH_RUN.findall(sample) if len(set(r)) >= 3)
    if high < 20 or in_runs < high / 2:
        return []
    return [
        f"{name}: is not UTF-8 and declares no charset, so it was read as Windows-1252, "
        f"but {in_runs / high:.0%} of its non-ASCII bytes come in runs, as in Cyrillic, "
        "Greek or East Asian encodings: the text is likely garbled. Convert the file to "
        "UTF-8 from its encoding and read it again (for example iconv -f CP1251 -t UTF-8 "
        "for Cyrillic, -f SHIFT_JIS for Japanese, -f GB18030 for Chinese)"
    ]


def _repair_utf8(err: UnicodeDecodeError) -> tuple[str, int]:
    # Only the first bad byte: the next one may start a valid UTF-8 sequence again.
    bad = err.object[err.start : err.start + 1]
    return bad.decode("cp1252", errors="privtag-cp1252"), err.start + 1


codecs.register_error("privtag-utf8-repair", _repair_utf8)

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _utf8_evidence(data: bytes) -> tuple[int, int]:
    """``(valid multi-byte UTF-8 sequences, other bytes >= 0x80)`` in ``data``."""
    sequences = _UTF8_SEQUENCE.findall(data)
    return len(sequences), _count_high(data) - sum(map(len, sequences))


def _count_high(data: bytes) -> int:
    """How many bytes of ``data`` are >= 0x80 (counted in C, not per byte in Python)."""
    return len(data) - len(data.translate(None, _HIGH_BYTES))


def _declared_8bit(head: bytes) -> str | None:
    """The charset ``head`` declares, if the bytes can be in it (one byte per ASCII letter)."""
    m = _DECLARED.search(head)
    if not m:
        return None
    try:
        enc = codecs.lookup(m.group(1).decode("ascii")).name
        # a charset that writes ASCII differently (UTF-16, UTF-32, EBCDIC) cannot be
        # the encoding of bytes in which the declaration itself was found in ASCII
        if "<meta charset=".encode(enc) != b"<meta charset=":
            return None
    except (LookupError, UnicodeError):
        return None
    return enc


def _utf16_without_bom(sample: bytes) -> str | None:
    # ASCII-heavy UTF-16 has a zero in every other byte: odd positions for LE.
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


#: Largest policy file read, in bytes (``PRIVTAG_MAX_BYTES`` overrides it).
MAX_BYTES = 50_000_000
POLICY_TYPES = "a str (the text), bytes, bytearray, memoryview or a pathlib.Path (a file)"


def max_bytes_default() -> int:
    """The size limit for policy files: ``$PRIVTAG_MAX_BYTES`` if set, else :data:`MAX_BYTES`.

    Raises:
        PolicyReadError: if the variable is not a positive whole number.
    """
    env = os.environ.get("PRIVTAG_MAX_BYTES", "").strip()
    if not env:
        return MAX_BYTES
    try:
        value = int(env.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise PolicyReadError(
            f"PRIVTAG_MAX_BYTES={env!r}: not a positive number of bytes; e.g. 50000000"
        )
    return value


#: What messages call a policy read from stdin (a command's ``-``).
STDIN = "<stdin>"


def argument_name(path: Path) -> str:
    """What messages call a command's policy argument: :data:`STDIN` for ``-``, else its
    printable path.

    Example:
        >>> argument_name(Path("-")), argument_name(Path("policy.md"))
        ('<stdin>', 'policy.md')
    """
    return STDIN if str(path) == "-" else shown(path)


def policy_source(path: Path) -> Path | bytes:
    """A policy file argument of a command: ``-`` is the policy on stdin (its bytes,
    decoded as a file's are, named :data:`STDIN` in messages), anything else the file.

    Example:
        >>> policy_source(Path("policy.md"))
        PosixPath('policy.md')
    """
    import sys

    return sys.stdin.buffer.read() if str(path) == "-" else path


def load(
    source: str | bytes | Path, max_bytes: int | None = None, *, name: str | None = None
) -> tuple[str, dict]:
    """Read ``source`` into a string.

    A :class:`~pathlib.Path` (or any ``os.PathLike``) is always a file; a ``str`` is
    always the policy text and bytes are decoded, never looked up as a path. Only
    regular files are read (never a device such as ``/dev/zero``, or a FIFO that would
    block), and only up to ``max_bytes``.

    Until privtag 0.3 a one-line ``str`` that names a file was read as that file; such
    a str now gets a :class:`privtag.errors.PathAsTextWarning` (shown by default, at the
    caller's line) and is read as text.

    Args:
        source: the policy text, its bytes, or its file as a ``Path``.
        max_bytes: refuse larger files; default :func:`max_bytes_default` (50 MB).
        name: what messages call a policy given as bytes (default ``<bytes>``); a file is
            named by its path.

    Returns:
        ``(text, metadata)`` where metadata has ``path`` (or None) and ``encoding``,
        plus ``warnings`` (a list of strings) when the bytes needed repair.

    Raises:
        PolicyReadError: a missing, non-regular, too large, unreadable or binary file.
        PolicyTypeError: ``source`` is of another type (None, a number, a list).

    Example:
        >>> load("We keep logs.")
        ('We keep logs.', {'path': None, 'encoding': None})
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _decoded(bytes(source), None, name or "<bytes>")
    if isinstance(source, str):
        if _as_path(source) is not None:
            warnings.warn(
                f"{source[:80]!r} is read as policy text, not as a file; pass "
                "Path(...) or use segment_file() / Tagger.tag_file() to read a file",
                PathAsTextWarning,
                stacklevel=outside_stacklevel(),
            )
        return source, {"path": None, "encoding": None}
    if not isinstance(source, os.PathLike):
        many = isinstance(source, list | tuple) or hasattr(source, "columns")
        hint = "; tag several policies with Tagger.tag_many()" if many else ""
        raise PolicyTypeError(f"a policy must be {POLICY_TYPES}, not {type(source).__name__}{hint}")
    path = Path(source)
    limit = max_bytes_default() if max_bytes is None else max_bytes
    # the name is for messages and outputs, which need it printable (the file is read)
    name = shown(path)
    text, meta = _decoded(_read_file(path, limit), name, name)
    if path.suffix and path.suffix.lower() not in POLICY_SUFFIXES:
        meta.setdefault("warnings", []).append(
            f"{name}: a {shown(path.suffix)} file, not a policy file "
            f"({' '.join(POLICY_SUFFIXES)}); read as text: check that it is the policy you meant"
        )
    return text, meta


def _decoded(data: bytes, path: str | None, name: str) -> tuple[str, dict]:
    text, enc, notes = decode_with_notes(data, name)
    meta: dict = {"path": path, "encoding": enc}
    if notes:
        meta["warnings"] = notes
    return text, meta


def _read_file(path: Path, limit: int) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise PolicyReadError(f"{_short(path)}: no such file; check the path") from None
    except OSError as e:
        raise PolicyReadError(
            f"{_short(path)}: cannot be read ({e.strerror}); check the path"
        ) from None
    except ValueError as e:  # an embedded NUL
        raise PolicyReadError(f"{_short(path)}: not a valid path ({e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise PolicyReadError(f"{_short(path)}: is a directory; give a policy file inside it")
    if not stat.S_ISREG(st.st_mode):
        # a device (/dev/zero never ends) or a FIFO (blocks until written to)
        raise PolicyReadError(f"{_short(path)}: is not a regular file; give a policy file")
    if st.st_size > limit:
        raise PolicyReadError(
            f"{_short(path)}: is {st.st_size:,} bytes, over the {limit:,}-byte limit; "
            "raise max_bytes or PRIVTAG_MAX_BYTES if it really is one policy"
        )
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)  # a file that grew, or reports size 0 (/proc)
    except OSError as e:
        raise PolicyReadError(
            f"{_short(path)}: cannot be read ({e.strerror}); check its permissions"
        ) from None
    if len(data) > limit:
        raise PolicyReadError(
            f"{_short(path)}: is over the {limit:,}-byte limit; "
            "raise max_bytes or PRIVTAG_MAX_BYTES if it really is one policy"
        )
    return data


def _short(path: Path) -> str:
    # a path too long for the OS is too long for a one-line message as well, and one
    # holding line breaks (a policy's text passed as a file name) would break the line
    s = shown(path)
    if len(s) <= 120 and not any(c in s for c in "\r\n"):
        return s
    one = " ".join(s.split())
    return f"{one[:60]}...{one[-40:]} ({len(s):,} characters)" if len(one) > 120 else one


def _as_path(s: str) -> Path | None:
    # Whether a str looks like a file name (to warn that it is read as text): only
    # short one-line strings are looked up.
    if "\n" in s or len(s) > 4096 or not s.strip():
        return None
    p = Path(s)
    pathlike = " " not in s.strip() or "/" in s or "\\" in s
    try:
        if p.exists():
            return p
    except (OSError, ValueError):
        # a name too long for the OS: a path if it looks like one (load says why)
        return p if pathlike and p.suffix.lower() in POLICY_SUFFIXES else None
    if pathlike and p.suffix.lower() in POLICY_SUFFIXES:
        return p
    return None

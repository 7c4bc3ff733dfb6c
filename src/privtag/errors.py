"""Errors privtag raises for bad input. Each message names the file, line or field and the fix.

Also the warnings a caller should see, and :func:`outside_stacklevel`, which points a
warning at the caller's own line rather than at privtag's.
"""

import numbers
import operator
import sys


class PrivtagError(Exception):
    """Base class: the CLI prints the message on one line and exits with code 2."""


class PolicyReadError(PrivtagError, ValueError):
    """A policy could not be read (missing file, directory, binary data, empty text)."""


class PolicyTypeError(PolicyReadError, TypeError):
    """A policy was given as something that is not text, bytes or a path (None, a number)."""


class UnitError(PrivtagError, TypeError, ValueError):
    """A unit given to ``predict`` is not a str or a mapping with a str ``text``."""


class ArgumentError(PrivtagError, TypeError, ValueError):
    """An argument of a privtag function has a wrong type or value (a negative size, a
    threshold outside 0-1); the message names the argument and what it accepts."""


class LabelError(ArgumentError, KeyError):
    """A name that is not one of the 12 labels (nor their ids). A ``KeyError`` too, as a
    lookup by label name is; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError's own quotes the message
        return str(self.args[0]) if self.args else ""


class AnnotationError(PrivtagError, ValueError):
    """Annotation records are invalid. ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        if len(self.problems) == 1:  # one line, as every other error
            super().__init__(f"a problem in the annotations: {self.problems[0]}")
            return
        head = f"{plural(len(self.problems), 'problem')} in the annotations:\n  "
        super().__init__(head + "\n  ".join(self.problems))


class ModelLoadError(PrivtagError, ValueError):
    """A model directory is missing files, has another label set, or holds corrupted weights."""


class DataError(PrivtagError, ValueError):
    """A dataset cannot be used as asked (empty, unknown source, mismatched labels)."""


class OutputError(PrivtagError, ValueError):
    """An output cannot be written where asked (it is an input, exists, or is not writable)."""


class MissingExtraError(PrivtagError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class PathAsTextWarning(FutureWarning):
    """A ``str`` that names a file was read as policy text, not as the file.

    A ``FutureWarning``, shown by default: a ``DeprecationWarning`` raised inside a library
    is hidden, and the result (the file's name tagged as a one-sentence policy) is silent.
    """


class PolicyReadWarning(UserWarning):
    """A policy was tagged with a caveat its reading found: it does not read as English,
    a page lost much of its text as furniture, an encoding looks garbled. The same notes
    are in ``TaggedPolicy.document.warnings``; the CLI prints those instead."""


class SkippedPolicyWarning(UserWarning):
    """A policy of several could not be read and was skipped (``errors="skip"``); its
    result is ``None`` and the message names its position and what was wrong."""


class MovedModuleWarning(FutureWarning):
    """A module was imported by its privtag 0.1 name; it goes in 0.3. Shown by default
    (a ``DeprecationWarning`` raised during an import inside a library is hidden)."""


def check_int(value, name: str, least: int) -> int:
    """``value`` as an int of at least ``least`` (NumPy integers too), else :class:`ArgumentError`.

    Example:
        >>> check_int(3, "cache_size", 0)
        3
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or number < least:
        raise ArgumentError(f"{name} must be an int of at least {least}, not {value!r}")
    return number


def check_real(value, name: str, low: float, high: float, what: str = "a number") -> float:
    """``value`` as a float from ``low`` to ``high`` (NumPy numbers too; NaN is refused),
    else :class:`ArgumentError` naming ``what`` it is.

    Example:
        >>> check_real(0.5, "threshold", 0, 1, "a similarity")
        0.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentError(f"{name} must be {what} from {low:g} to {high:g}, not {value!r}")
    if not low <= value <= high:  # NaN fails this too
        raise ArgumentError(f"{name} must be {what} from {low:g} to {high:g}, not {value}")
    return float(value)


def outside_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` that names the first frame outside privtag.

    Call it in the function that warns: ``warnings.warn(msg, W, stacklevel=outside_stacklevel())``.
    However deep inside privtag the warning is raised (``tag`` -> ``_document`` ->
    ``load``), it is reported at the user's line, so the user sees where to fix it.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "privtag":
        frame, level = frame.f_back, level + 1
    return level


def read_from(path) -> str:
    """ " (read from CWD)" for a relative ``path``, else "": a message about a path that
    is not there says where it was looked for (a recipe's relative paths are read from
    the working directory, not from the recipe's folder)."""
    import os

    return "" if os.path.isabs(path) else f" (read from {os.getcwd()})"


def shown(text) -> str:
    """``text`` (a str or path) with any undecodable byte of a file name written ``\\xNN``.

    A name that is not UTF-8 (Latin-1 from an old share or a zip) reaches Python as lone
    surrogates, which no UTF-8 table, JSON or HTML file can hold: shown this way the name
    stays recognizable and every output can be written.

    Example:
        >>> print(shown("caf\\udce9.txt"))
        caf\\xe9.txt
    """
    text = str(text)
    try:
        raw = text.encode("utf-8", "surrogateescape")  # the file name's own bytes again
    except UnicodeEncodeError:  # a surrogate no byte made: shown as its code point
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def plural(count: int, word: str) -> str:
    """``count`` and ``word``, with an s unless there is one.

    Example:
        >>> plural(1, "file"), plural(3, "policy"), plural(2, "key")
        ('1 file', '3 policies', '2 keys')
    """
    if count == 1:
        return f"1 {word}"
    # policy -> policies, but key -> keys
    ies = word.endswith("y") and word[-2:-1] not in tuple("aeiou")
    return f"{count} {word[:-1] + 'ies' if ies else word + 's'}"


def first_few(names, n: int = 3) -> str:
    """``names`` for a message: the first ``n``, and how many more.

    Example:
        >>> first_few(["a", "b", "c", "d", "e"])
        'a, b, c and 2 more'
    """
    names = list(names)
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(map(str, names[:n])) + more

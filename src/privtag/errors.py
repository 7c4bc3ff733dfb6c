"""Errors privtag raises for bad input. Each message names the file, line or field and the fix."""


class PrivtagError(Exception):
    """Base class: the CLI prints the message on one line and exits with code 2."""


class PolicyReadError(PrivtagError, ValueError):
    """A policy could not be read (missing file, directory, binary data, empty text)."""


class AnnotationError(PrivtagError, ValueError):
    """Annotation records are invalid. ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in the annotations:\n  "
        super().__init__(head + "\n  ".join(self.problems))


class ModelLoadError(PrivtagError, ValueError):
    """A model directory is missing files, has another label set, or holds corrupted weights."""


class DataError(PrivtagError, ValueError):
    """A dataset cannot be used as asked (empty, unknown source, mismatched labels)."""


class OutputError(PrivtagError, ValueError):
    """An output cannot be written where asked (it is an input, exists, or is not writable)."""


class MissingExtraError(PrivtagError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra."""

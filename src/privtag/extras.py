"""Optional dependencies: a missing one is a one-line error naming the extra to install.

The core install tags policies; training, evaluation and the apps need extras
(``pyproject.toml``): ``train`` (datasets, accelerate, evaluate, scikit-learn),
``eval`` (matplotlib, pandas), and the extras later packages add (``serve``,
``onnx``, ``scale``). Call :func:`require` where an optional package is imported.

Example:
    >>> require("eval", "json")            # installed: nothing happens
    >>> require("serve", "no_such_module_xyz")
    Traceback (most recent call last):
    ...
    privtag.errors.MissingExtraError: no_such_module_xyz is not installed; this needs privtag's 'serve' extra: pip install 'privtag[serve]'
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from privtag.errors import MissingExtraError

__all__ = ["missing", "require", "require_installed"]


def missing(extra: str, name: str) -> MissingExtraError:
    """The one-line error for module ``name`` of ``extra`` (for ``except ImportError``)."""
    return MissingExtraError(
        f"{name} is not installed; this needs privtag's {extra!r} extra: "
        f"pip install 'privtag[{extra}]'"
    )


def require(extra: str, *modules: str) -> None:
    """Import ``modules`` or raise one line naming ``extra``.

    Raises:
        MissingExtraError: the first module that cannot be imported.
    """
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise missing(extra, name) from e


def require_installed(extra: str, *modules: str) -> None:
    """Like :func:`require`, without importing: for a check up front, before any work.

    Importing ``evaluate`` pulls in transformers and torch (seconds); finding it does not.

    Example:
        >>> require_installed("eval", "json")
        >>> require_installed("eval", "no_such_module_xyz")
        Traceback (most recent call last):
        ...
        privtag.errors.MissingExtraError: no_such_module_xyz is not installed; this needs privtag's 'eval' extra: pip install 'privtag[eval]'

    Raises:
        MissingExtraError: the first module that is not installed.
    """
    for name in modules:
        try:
            found = (
                sys.modules[name] is not None
                if name in sys.modules
                else bool(importlib.util.find_spec(name))
            )
        except (ImportError, ValueError):
            found = False
        if not found:
            raise missing(extra, name)

"""``privtag serve``: a local web page and JSON API over one shared Tagger.

Needs the ``serve`` extra (FastAPI, uvicorn); importing this package does not import
them, so ``import privtag`` and the CLI stay usable without it.

Example:
    >>> from privtag.serve import create_app               # doctest: +SKIP
    >>> app = create_app(max_bytes=2_000_000)  # loads model/ once  # doctest: +SKIP
"""

from __future__ import annotations

from privtag.errors import PrivtagError

__all__ = ["create_app", "require_serve_extra"]


def require_serve_extra() -> None:
    """Raise a one-line :class:`PrivtagError` naming the extra when FastAPI or uvicorn is missing."""
    for module in ("fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError as e:
            raise PrivtagError(
                f"the web service needs {module}, which is not installed; "
                "install it with: pip install 'privtag[serve]'"
            ) from e


def __getattr__(name: str):
    if name == "create_app":
        require_serve_extra()
        from privtag.serve.app import create_app

        return create_app
    raise AttributeError(f"module 'privtag.serve' has no attribute {name!r}")

"""``privtag serve``: run the local web app (registered in privtag.cli; imports no FastAPI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.inference.settings import MODEL_HELP, PROFILE_HELP

DEFAULT_MAX_BYTES = 2_000_000


def serve_cmd(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to bind; only this computer can connect by default."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8000,
    model: Annotated[
        Path | None,
        typer.Option("--model", help=MODEL_HELP),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Largest request body accepted (413 beyond).")
    ] = DEFAULT_MAX_BYTES,
    thresholds: Annotated[str | None, typer.Option("--thresholds", help=PROFILE_HELP)] = None,
) -> None:
    """Serve a page to paste or drop a policy and see its report, and a JSON API
    (POST /api/tag, POST /api/predict, GET /healthz; documented at /docs)."""
    from privtag.serve import require_serve_extra

    require_serve_extra()
    import uvicorn

    from privtag.inference.tagger import Tagger
    from privtag.serve.app import create_app

    _check_address(host, port)  # before the model loads, and before saying it serves
    app = create_app(Tagger.load(model, thresholds=thresholds), max_bytes=max_bytes)
    typer.echo(f"privtag: serving on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_address(host: str, port: int) -> None:
    """Refuse an address this computer cannot listen on (bound and let go at once)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind(address)
    except OSError as e:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port} ({e.strerror or e}); pick another --port, or a "
            "--host address of this computer",
            param_hint="--host/--port",
        ) from e

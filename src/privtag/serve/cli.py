"""``privtag serve``: run the local web app (registered in privtag.cli; imports no FastAPI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.inference.settings import PROFILE_HELP

DEFAULT_MAX_BYTES = 2_000_000


def serve_cmd(
    host: Annotated[
        str,
        typer.Option("--host", help="Address to bind; only this computer can connect by default."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default: model/).")
    ] = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Largest request body accepted (413 beyond).")
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

    app = create_app(Tagger.load(model, thresholds=thresholds), max_bytes=max_bytes)
    typer.echo(f"privtag: serving on http://{host}:{port}/ (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")

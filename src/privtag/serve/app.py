"""The FastAPI app of ``privtag serve``: one Tagger, a page and a JSON API.

The model is loaded once, in :func:`create_app`, and shared by all requests; torch
inference runs under a lock, one request at a time (on a CPU a second concurrent pass
would only compete for the same cores). Request text is always handed to the tagger
as bytes, never as a ``str``: ``Tagger.tag`` reads a file when a string names one, and
a request must never make the server read its own files.

Example:
    >>> import uvicorn                                               # doctest: +SKIP
    >>> uvicorn.run(create_app(), host="127.0.0.1", port=8000)       # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.exceptions import HTTPException as StarletteHTTPException

from privtag.errors import PrivtagError
from privtag.labels import LABELS
from privtag.render.assets import PAGE_JS
from privtag.render.summary import describe, label_summary, model_info
from privtag.segmentation.blocks import clean_text
from privtag.serve.docs import docs_page
from privtag.serve.page import FORMATS, PAGE_CSP, home, report_page

Format = Literal["auto", "text", "markdown", "html"]


#: Units one /api/predict request may hold: the model serves one request at a time, so a
#: request of 30,000 units (45 s here) would hold every other user up for as long.
MAX_UNITS = 1000
#: Characters in one /api/predict item. A unit is a sentence or a paragraph; a whole
#: policy of 460 KB sent as one unit held the model (and every other user) for 55 s.
#: A policy goes to /api/tag, which segments it and is bounded by --max-bytes.
MAX_UNIT_CHARS = 20_000


class TagRequest(BaseModel):
    """A policy to tag."""

    # an unknown field ("thresholds", a typo) is refused, not silently ignored
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The policy itself (never a file name: it is not read).")
    format: Format = Field("auto", description="auto (detect), text, markdown or html.")


class ErrorResponse(BaseModel):
    """Why a request was refused, in one line that says what to send instead."""

    detail: str = Field(description="The reason, and what to do.")


#: The refusals of the JSON API, for its description (/docs, /openapi.json).
API_ERRORS: dict = {
    400: {"model": ErrorResponse, "description": "the body is not JSON, or not UTF-8"},
    413: {"model": ErrorResponse, "description": "the body is larger than --max-bytes"},
    422: {
        "model": ErrorResponse,
        "description": 'a field is missing, unknown or of the wrong type ("errors" lists '
        "each), or the policy cannot be read (no text, binary data)",
    },
}


class PredictRequest(BaseModel):
    """Sentences or paragraphs to label, each on its own."""

    model_config = ConfigDict(extra="forbid")

    texts: list[Annotated[str, StringConstraints(max_length=MAX_UNIT_CHARS)]] = Field(
        description=f"One unit (sentence or paragraph) per item, at most {MAX_UNITS} items of "
        f"at most {MAX_UNIT_CHARS:,} characters (a whole policy goes to /api/tag); an item "
        "without text gets no label and scores 0.",
        max_length=MAX_UNITS,
    )


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 with a clear message.

    A declared Content-Length is refused before reading; a chunked body is counted as it
    arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes
        self.message = (
            f"the request body is larger than the limit of {max_bytes:,} bytes; send a "
            "shorter policy, or start the server with a larger --max-bytes"
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            refusal = JSONResponse({"detail": self.message}, status_code=413)
            return await refusal(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                # FastAPI passes an HTTPException raised while reading the body through
                raise HTTPException(413, self.message)
            return message

        await self.app(scope, counted, send)


def _one_line(errors) -> str:
    """FastAPI's validation errors as one readable line: ``field: problem; ...``."""
    parts = []
    for err in errors:
        kind, loc = err.get("type"), err.get("loc", ())
        if kind == "json_invalid":  # its loc is ("body", character offset), not a field
            reason = (err.get("ctx") or {}).get("error", "")
            at = f" at character {loc[1]}" if len(loc) > 1 else ""
            parts.append(f"body: invalid JSON{at} ({reason}); send one JSON object")
            continue
        where = ".".join(str(x) for x in loc if x != "body") or "body"
        msg = err.get("msg", "invalid")
        if where == "body" and kind in ("model_attributes_type", "dict_type"):
            msg += "; send a JSON object with Content-Type: application/json"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def _body_error(cause: BaseException | None) -> str | None:
    """What was wrong with a body FastAPI could not parse, and what to send; None if unknown."""
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"body: byte {cause.start} is not UTF-8 ({cause.reason}); send the JSON encoded "
            "as UTF-8 (the text itself may hold any character)"
        )
    if isinstance(cause, RecursionError):
        return 'body: JSON nested too deeply to parse; send one flat JSON object such as {"text": "..."}'
    return None


def _safe(errors) -> list[dict]:
    """Validation errors that JSON can carry (a NaN or a surrogate in the input is not):
    type, loc and msg, and for invalid JSON the parser's reason as text."""
    out = []
    for e in errors:
        kept = {k: e[k] for k in ("type", "loc", "msg") if k in e}
        reason = (e.get("ctx") or {}).get("error")
        if e.get("type") == "json_invalid" and reason is not None:
            kept["ctx"] = {"error": str(reason)}
        out.append(kept)
    return out


def create_app(tagger=None, max_bytes: int = 2_000_000, model_dir=None) -> FastAPI:
    """The web app over ``tagger`` (default: :meth:`Tagger.load` of ``model_dir``).

    Args:
        tagger: a loaded :class:`privtag.Tagger`, shared by all requests.
        max_bytes: the largest request body accepted.
        model_dir: where to load the model from when ``tagger`` is None.

    Returns:
        A FastAPI app: ``GET /`` (page), ``POST /report`` (page form), ``POST /api/tag``,
        ``POST /api/predict``, ``GET /healthz``, ``GET /docs``.
    """
    from privtag import __version__

    if tagger is None:
        from privtag.inference.tagger import Tagger

        tagger = Tagger.load(model_dir)
    info = model_info(tagger)
    lock = threading.Lock()
    app = FastAPI(
        # the default /docs loads Swagger UI from a CDN: blank offline, so privtag serves its own
        docs_url=None,
        redoc_url=None,
        title="privtag",
        version=__version__,
        description="Tag every sentence of a privacy policy with the data practices it states.",
    )
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    app.state.tagger = tagger

    def tag(text: str, format: str):
        # bytes: a request can never name a server file; a lone surrogate (valid in a JSON
        # string, not in UTF-8) becomes U+FFFD, as the segmenter would make it
        data = clean_text(text).encode("utf-8")
        with lock:
            return tagger.tag(data, format=None if format == "auto" else format)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = jsonable_encoder(_safe(exc.errors()))
        return JSONResponse({"detail": _one_line(errors), "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)  # what FastAPI raises for a bad body
    async def _http(request: Request, exc: StarletteHTTPException):
        # FastAPI answers a body it cannot decode or parse with a bare "There was an error
        # parsing the body"; the cause it chains says which, and so what to send instead
        reason = _body_error(exc.__cause__) if exc.status_code == 400 else None
        if reason is None:
            return await http_exception_handler(request, exc)
        return JSONResponse({"detail": reason}, status_code=400)

    @app.exception_handler(PrivtagError)
    async def _unreadable(request: Request, exc: PrivtagError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    def _html(text: str, status: int = 200) -> HTMLResponse:
        headers = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff"}
        return HTMLResponse(text, status_code=status, headers=headers)

    @app.get("/", response_class=HTMLResponse, summary="The page: paste or drop a policy")
    def index() -> HTMLResponse:
        return _html(home(info["name"]))

    @app.get("/page.js", include_in_schema=False)
    def page_js() -> Response:
        return Response(PAGE_JS, media_type="text/javascript")

    @app.post("/report", response_class=HTMLResponse, summary="The page's form: the report")
    async def report(request: Request) -> HTMLResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and kind != "application/x-www-form-urlencoded":
            # a JSON body read as a form has no "text" field: "the policy has no text" was
            # false; say what this endpoint takes instead
            message = (
                f"/report takes the page's form (application/x-www-form-urlencoded), not "
                f"{kind}; send JSON to /api/tag"
            )
            return _html(home(info["name"], error=message), 415)
        fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        text = (fields.get("text") or [""])[0]
        format = (fields.get("format") or ["auto"])[0]
        if format not in FORMATS:
            message = f"format must be one of {', '.join(FORMATS)}, not {format!r}"
            return _html(home(info["name"], text, "auto", error=message), 422)
        try:
            policy = await _in_thread(tag, text, format)
        except PrivtagError as e:
            return _html(home(info["name"], text, format, error=str(e)), 422)
        return _html(report_page(info["name"], policy, info, text, format))

    @app.post(
        "/api/tag",
        summary="Tag a policy: sentences, paragraphs and per-label summary",
        responses=API_ERRORS,
    )
    def api_tag(req: TagRequest) -> dict:
        policy = tag(req.text, req.format)
        out = policy.to_dict()
        out["model"] = describe(info, policy)  # under "auto": this policy's profile
        out["summary"] = label_summary(policy, info)
        return out

    @app.post(
        "/api/predict",
        summary="Labels and scores of each text, as one unit each",
        responses=API_ERRORS,
    )
    def api_predict(req: PredictRequest) -> dict:
        with lock:  # decided as predict() decides: a sentence alone at the 'alone' profile
            labels, scores = tagger.predict_with_scores(req.texts)
        return {
            "label_order": list(LABELS),
            "labels": labels,
            "scores": [[round(float(x), 4) for x in row] for row in scores],
        }

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return _html(docs_page(app.openapi()))

    @app.get("/healthz", summary="Liveness: the model is loaded")
    def healthz() -> dict:
        return {"status": "ok", "model": info["name"], "privtag": __version__}

    return app


async def _in_thread(fn, *args):
    """Run blocking work off the event loop (as FastAPI does for plain ``def`` routes)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)

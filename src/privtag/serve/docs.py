"""``GET /docs``: the API's OpenAPI description as a page that needs no network.

FastAPI's default ``/docs`` loads Swagger UI's script and style from a CDN, so an offline
user (privtag's normal case) gets a blank page. This page is built on the server from the
same OpenAPI schema (``/openapi.json``): every route with its summary, request fields
and response codes, in the report's style.
"""

from __future__ import annotations

from privtag.render.html import esc, page


def _fields(schema: dict, components: dict) -> list[tuple[str, str, bool, str]]:
    """``(name, type, required, description)`` of a request body's object schema."""
    ref = schema.get("$ref", "")
    if ref:
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or " | ".join(
            p.get("type", "?") for p in prop.get("anyOf", []) if isinstance(p, dict)
        )
        if kind == "array":
            kind = f"array of {prop.get('items', {}).get('type', 'values')}"
        if "enum" in prop:
            kind += " (" + ", ".join(map(str, prop["enum"])) + ")"
        out.append((name, kind or "object", name in required, prop.get("description", "")))
    return out


def docs_page(openapi: dict) -> str:
    """The HTML page describing ``openapi`` (FastAPI's ``app.openapi()``)."""
    components = openapi.get("components", {}).get("schemas", {})
    parts = [
        f"<header><h1>{esc(openapi['info']['title'])} API {esc(openapi['info']['version'])}</h1>",
        f'<p class="meta">{esc(openapi["info"].get("description", ""))} The machine-readable '
        'description is at <a href="/openapi.json">/openapi.json</a>.</p></header><main>',
    ]
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(f"<section><h2><code>{esc(method.upper())} {esc(path)}</code></h2>")
            parts.append(f"<p>{esc(op.get('summary', ''))}</p>")
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                rows = "".join(
                    f"<tr><td><code>{esc(n)}</code></td><td>{esc(k)}</td>"
                    f"<td>{'yes' if r else 'no'}</td><td>{esc(d)}</td></tr>"
                    for n, k, r, d in _fields(body.get("schema", {}), components)
                )
                parts.append(
                    "<table><thead><tr><th>JSON field</th><th>type</th><th>required</th>"
                    f"<th>meaning</th></tr></thead><tbody>{rows}</tbody></table>"
                )
            codes = ", ".join(
                f"{esc(c)} {esc(r.get('description', ''))}"
                for c, r in op.get("responses", {}).items()
            )
            parts.append(f"<p>Responses: {codes}</p></section>")
    parts.append("</main>")
    return page(f"{openapi['info']['title']} API", "\n".join(parts))

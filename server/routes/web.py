"""The chat page (`/`), the widget's iframe page (`/embed.html`) and the portal's loader (`/widget.js`):
files built from web/ by npm (no CDN at run time). Served from web/dist in a checkout, or from the
package's `web_dist` folder in an installed wheel (`make dist` copies the build there).

Only plain file names from that folder are served (no sub-paths, so no traversal), with their content
type, a precompressed body (.br or .gz, built beside each file) when the browser accepts one, an ETag,
and a cache policy: pages revalidate every time; `app.js?v=HASH` (the pages link the built file's hash)
is cached for good; anything else revalidates.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from ..errors import error_body

router = APIRouter(include_in_schema=False)

_PACKAGE_DIST = Path(__file__).resolve().parent.parent / "web_dist"
_CHECKOUT_DIST = Path(__file__).resolve().parent.parent.parent / "web" / "dist"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# The pages run only their own scripts (Vega runs with its expression interpreter, no eval) and call
# only their own origin; inline styles are allowed because Vega sizes its SVG and tooltip with them.
_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def web_dist() -> Path:
    """The folder of built web files: a checkout's web/dist if built, else the installed package's copy."""
    return _CHECKOUT_DIST if (_CHECKOUT_DIST / "index.html").is_file() else _PACKAGE_DIST


def _not_found(name: str) -> Response:
    if name in ("index.html", "embed.html", "app.js", "widget.js"):
        message = "The web client is not built: run `make web` (or `make demo`, which runs npm)."
    else:
        message = f"No such file: {name}"
    return JSONResponse(error_body("not_found", message), status_code=404)


def _allowed_origins(request: Request) -> list[str]:
    settings = getattr(request.app.state, "settings", None)
    return list(getattr(settings, "allowed_origins", None) or [])


def _encoding(request: Request, path: Path) -> tuple[Path, str | None]:
    """The precompressed variant the browser accepts (brotli, then gzip), else the file itself."""
    accepted = {part.split(";")[0].strip() for part in request.headers.get("accept-encoding", "").split(",")}
    for token, suffix in (("br", ".br"), ("gzip", ".gz")):
        variant = path.with_name(path.name + suffix)
        if token in accepted and variant.is_file():
            return variant, token
    return path, None


def serve_file(request: Request, name: str) -> Response:
    """One built file by plain name, or a JSON 404."""
    folder = web_dist().resolve()
    suffix = Path(name).suffix.lower()
    if not _SAFE_NAME.match(name) or suffix not in CONTENT_TYPES:
        return _not_found(name)
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return _not_found(name)
    body, encoding = _encoding(request, path)
    stat = body.stat()
    etag = (
        '"' + hashlib.sha1(f"{body.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:20] + '"'
    )
    versioned = "v" in request.query_params and suffix in (".js", ".css")
    headers = {
        "Cache-Control": IMMUTABLE if versioned else REVALIDATE,
        "ETag": etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if suffix == ".html":
        # the widget's page may be framed by the portals the settings allow; the chat page only by itself
        framers = _allowed_origins(request) if name == "embed.html" else []
        ancestors = " ".join(["'self'", *framers])
        headers["Content-Security-Policy"] = f"{_PAGE_POLICY}; frame-ancestors {ancestors}"
        headers["Referrer-Policy"] = "no-referrer" if name == "embed.html" else "same-origin"
    if encoding:
        headers["Content-Encoding"] = encoding
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return FileResponse(body, media_type=CONTENT_TYPES[suffix], headers=headers, stat_result=stat)


@router.api_route("/", methods=["GET", "HEAD"])
def index(request: Request) -> Response:
    return serve_file(request, "index.html")


@router.api_route("/{name}", methods=["GET", "HEAD"])
def asset(request: Request, name: str) -> Response:
    return serve_file(request, name)

"""The chat page (`/`) and the embeddable widget (`/widget.js`): files built from web/ by npm at
install time (no CDN at run time). Served from the package's `web_dist` folder."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse, Response

router = APIRouter(include_in_schema=False)
WEB_DIST = Path(__file__).resolve().parent.parent.parent / "web" / "dist"


def _asset(name: str) -> Response:
    path = (WEB_DIST / name).resolve()
    if WEB_DIST.resolve() not in path.parents or not path.is_file():
        return PlainTextResponse("The web client is not built: run `make demo` (it runs npm).", status_code=404)
    return FileResponse(path)


@router.get("/")
def index() -> Response:
    return _asset("index.html")

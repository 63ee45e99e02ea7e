"""Server-side rendering of chart specs to PNG or SVG (exports, subscriptions, tests) with vl-convert.

The renderer runs offline: no data or font is fetched (`allowed_base_urls=[]`), system font folders are
registered once so that the CJK families of the spec's font stack resolve. A spec sized to its
container gets a fixed width here, as a browser would give it.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any, Literal

RENDER_WIDTH = 640
"""Pixels (before `scale`) that `width: "container"` becomes when there is no container."""
VEGA_LITE_VERSION = "5.21"
FONT_DIRECTORIES = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    str(Path.home() / ".local/share/fonts"),
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)

_fonts_registered = False
_lock = threading.Lock()


def register_fonts() -> None:
    """Make the system's font folders known to the renderer (once per process)."""
    global _fonts_registered
    with _lock:
        if _fonts_registered:
            return
        import vl_convert

        for folder in FONT_DIRECTORIES:
            if Path(folder).is_dir():
                vl_convert.register_font_directory(folder)
        _fonts_registered = True


def render_chart(spec: dict[str, Any], fmt: Literal["png", "svg"], scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (at `scale` x its pixel size) or as SVG text encoded in UTF-8."""
    import vl_convert

    register_fonts()
    fixed = fixed_width(spec)
    if fmt == "png":
        png: bytes = vl_convert.vegalite_to_png(
            fixed, vl_version=VEGA_LITE_VERSION, scale=scale, allowed_base_urls=[]
        )
        return png
    if fmt == "svg":
        svg: str = vl_convert.vegalite_to_svg(fixed, vl_version=VEGA_LITE_VERSION, allowed_base_urls=[])
        return svg.encode("utf-8")
    raise ValueError(f"unknown image format '{fmt}'; use 'png' or 'svg'")


def fixed_width(spec: dict[str, Any], width: int = RENDER_WIDTH) -> dict[str, Any]:
    """A copy of `spec` whose container-relative widths are `width` pixels."""
    fixed = copy.deepcopy(spec)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("width") == "container":
                node["width"] = width
            for key in ("layer", "hconcat", "vconcat", "concat"):
                for child in node.get(key, []):
                    visit(child)
            if isinstance(node.get("spec"), dict):
                visit(node["spec"])

    visit(fixed)
    return fixed

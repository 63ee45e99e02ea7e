"""Charts for answers: `choose_chart` picks and builds a Vega-Lite v5 spec, `render_chart` draws it."""

from .choose import choose_chart
from .render import render_chart

__all__ = ["choose_chart", "render_chart"]

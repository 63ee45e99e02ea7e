"""One Vega-Lite v5 spec builder per chart kind, from plain typed inputs (no query results here).

Every spec carries its data inline under fixed, code-authored field names (`category`, `value`,
`value_text`...), so data text is only ever data: no URLs, no `href`, no expressions, no transforms.
Numbers shown as text (tooltips, labels) are formatted in Python (formats.py); axes use d3 formats.
Positions that depend on data (label offsets, axis ranges) are computed here, never in Vega.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from semantic_layer.model import Grain, Language, Polarity

from . import formats

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"

# Okabe-Ito, the colour-blind-safe palette of the whole product (yellow last: weak on white).
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, YELLOW, BLACK = "#56B4E9", "#CC79A7", "#F0E442", "#000000"
PALETTE = [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, BLACK, YELLOW]
GOOD, BAD = GREEN, VERMILLION
GREY = "#9A9A9A"
INK, MUTED_INK = "#222222", "#5F5F5F"
HEATMAP_SCHEME = "blues"

BAR_STEP = 26
"""Pixels per category row: room for a 12-pixel Chinese label and a gap."""
OFFSET_STEP = 14
"""Pixels per bar of a group (grouped bars, current vs previous): a category row holds a 12-pixel label."""
LABEL_LIMIT = 150
"""Pixels of a category label before it is cut with an ellipsis (about 12 Chinese characters)."""
MAX_LEGEND_LABEL = 160

ChartKind = Literal[
    "kpi",
    "line",
    "ranking_bars",
    "grouped_bars",
    "stacked_bars",
    "heatmap",
    "histogram",
    "pareto",
    "diverging_bars",
    "compare_bars",
]

Effect = Literal["good", "bad", "up", "down", "total"]
_EFFECT_WORDS: dict[Effect, dict[Language, str]] = {
    "good": {"zh": "改善", "en": "Improves"},
    "bad": {"zh": "恶化", "en": "Worsens"},
    "up": {"zh": "增加", "en": "Increase"},
    "down": {"zh": "减少", "en": "Decrease"},
    "total": {"zh": "合计", "en": "Total"},
}
_EFFECT_COLOURS: dict[Effect, str] = {"good": GOOD, "bad": BAD, "up": BLUE, "down": ORANGE, "total": GREY}
NEUTRAL_ANOMALY = ORANGE
"""Anomalies of a metric with no good direction: set apart from the blue line, but neither good nor bad."""


@dataclass(frozen=True)
class Measure:
    """What a chart's values are: the label readers see, the metric's format and its good direction."""

    label: str
    format: str | None
    polarity: Polarity = "neutral"

    def text(self, value: float | None, lang: Language) -> str:
        return formats.format_value(value, self.format, lang)

    def change_text(self, value: float | None, lang: Language) -> str:
        return formats.format_change(value, self.format, lang)

    def axis_title(self, lang: Language) -> str:
        return formats.axis_title(self.label, self.format, lang)

    @property
    def axis_format(self) -> str:
        return formats.number_format(self.format).axis


def effect_of(change: float | None, polarity: Polarity) -> Effect:
    """Whether a change moves the metric the good or the bad way (up/down when direction is neutral)."""
    rising = (change or 0) >= 0
    if polarity == "neutral":
        return "up" if rising else "down"
    return "good" if rising == (polarity == "higher_is_better") else "bad"


def effect_colour(effect: Effect) -> str:
    return _EFFECT_COLOURS[effect]


def effect_word(effect: Effect, lang: Language) -> str:
    return _EFFECT_WORDS[effect][lang]


# --- the frame every chart shares ---------------------------------------------------------------


def config() -> dict[str, Any]:
    """Fonts, sizes and colours of every chart: CJK fonts first, labels sized for a 360-pixel panel."""
    return {
        "font": FONT,
        "view": {"stroke": None},
        "title": {
            "fontSize": 15,
            "fontWeight": 600,
            "color": INK,
            "anchor": "start",
            "offset": 10,
            "subtitleFontSize": 12,
            "subtitleColor": MUTED_INK,
            "subtitlePadding": 4,
        },
        "axis": {
            "labelFontSize": 12,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "titleColor": MUTED_INK,
            "labelColor": INK,
            "labelLimit": LABEL_LIMIT,
            "labelOverlap": True,
            "labelPadding": 4,
            "gridColor": "#E8E8E8",
            "domainColor": "#B0B0B0",
            "tickColor": "#B0B0B0",
        },
        "axisBand": {"ticks": False, "domain": False, "labelPadding": 6, "labelOverlap": False},
        "legend": {
            "orient": "bottom",
            "direction": "horizontal",
            "labelFontSize": 12,
            "titleFontSize": 12,
            "titleFontWeight": "normal",
            "labelLimit": MAX_LEGEND_LABEL,
            "symbolType": "square",
            "columnPadding": 12,
        },
        "range": {"category": PALETTE},
        "text": {"fontSize": 12, "color": INK},
        "bar": {"color": BLUE},
        "line": {"color": BLUE, "strokeWidth": 2},
        "point": {"color": BLUE},
        "locale": {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["¥", ""]}},
    }


def frame(
    kind: ChartKind,
    lang: Language,
    title: str,
    subtitle: Sequence[str] = (),
    *,
    height: int | dict[str, Any] = 260,
    fit: Literal["fit", "fit-x"] | None = None,
) -> dict[str, Any]:
    """The top of a spec: schema, title, responsive width, config, and what the chart is (usermeta).

    The width fits the container; so does the height for charts of a fixed height (`fit`), while
    charts whose height grows with their rows (`{"step": n}`) and text laid out in pixels (`fit-x`)
    keep their height and add the title above it."""
    fit = fit or ("fit-x" if isinstance(height, dict) else "fit")
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "usermeta": {"chatbi": {"kind": kind, "language": lang}},
        "title": title_block(title, subtitle),
        "width": "container",
        "height": height,
        "autosize": {"type": fit, "contains": "padding"},
        "padding": 8,
        "background": "white",
        "config": config(),
    }
    return spec


def title_block(title: str, subtitle: Sequence[str] = ()) -> dict[str, Any]:
    """A title that wraps at its " · " separators when it would not fit a phone-wide panel."""
    block: dict[str, Any] = {"text": wrap_title(title)}
    lines = [s for s in subtitle if s]
    if lines:
        block["subtitle"] = lines if len(lines) > 1 else lines[0]
    return block


TITLE_EMS = 21
"""About what 15-pixel title text fits in a 340-pixel line, in em (a Chinese character is one em)."""


def text_ems(text: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in text)


def wrap_title(title: str) -> str | list[str]:
    if text_ems(title) <= TITLE_EMS:
        return title
    parts = title.split(" · ")
    lines: list[str] = []
    for part in parts:
        if lines and text_ems(lines[-1] + " · " + part) <= TITLE_EMS:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines if len(lines) > 1 else title


def _legend(labels: Sequence[str]) -> dict[str, Any]:
    """A legend below the chart, untitled (the title says what the colours are), in as many columns
    as fit a phone-wide panel."""
    widest = min(MAX_LEGEND_LABEL, 12 * max((text_ems(label) for label in labels), default=4.0))
    columns = max(1, min(len(labels), int(330 // (widest + 30))))
    return {"title": None, "columns": columns}


def _tooltip(*fields: tuple[str, str]) -> list[dict[str, str]]:
    return [{"field": field, "type": "nominal", "title": title} for field, title in fields]


PHONE_PLOT_WIDTH = 170
"""Pixels left for the bars of a bar chart on a 360-pixel panel, after the category labels."""


PHONE_LINE_WIDTH = 280
"""Pixels of a line chart's time axis on a 360-pixel panel: tick labels are spaced to fit it."""


def _value_domain(values: Sequence[float], labels: Sequence[str] = ()) -> list[float]:
    """An axis range from 0 (or a little below the lowest value) to past the highest, with room on
    the right for the longest value label even on a phone-wide panel."""
    low = min([0.0, *values])
    high = max([0.0, *values])
    span = (high - low) or 1.0
    label_px = 12 * max((text_ems(label) for label in labels), default=4.0) + 8
    share = min(0.45, label_px / PHONE_PLOT_WIDTH)
    room = max(0.12, share / (1 - share))
    ends = [low - span * 0.04 if low < 0 else low, high + span * room]
    return [float(f"{end:.4g}") for end in ends]


def _label_x(value: float) -> float:
    """Where a bar's value label starts: at the end of a positive bar, just right of zero otherwise."""
    return max(value, 0.0)


def _epoch_ms(iso: str) -> float:
    day = date.fromisoformat(iso[:10])
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000


def _category_axis() -> dict[str, Any]:
    # No axis title: the chart title already says the breakdown ("按产品型号"), and a vertical
    # Chinese title beside the labels reads badly on a phone.
    return {"title": None, "labelLimit": LABEL_LIMIT}


# --- KPI card -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiItem:
    label: str
    value_text: str
    change_text: str | None = None
    """"▲ +12.3% 较上期 (+135)": already formatted."""
    change_colour: str | None = None
    previous_text: str | None = None


def kpi_card(
    title: str, items: Sequence[KpiItem], lang: Language, subtitle: Sequence[str] = ()
) -> dict[str, Any]:
    """One to four big numbers, each with its change vs the comparison period coloured by polarity."""
    show_labels = len(items) > 1
    plain: list[dict[str, Any]] = []
    big: list[dict[str, Any]] = []
    y = 4
    for item in items:
        if show_labels:
            plain.append({"x": 0, "y": y, "text": item.label, "size": 13, "colour": MUTED_INK})
            y += 22
        big.append({"x": 0, "y": y, "text": item.value_text, "size": 40, "colour": INK})
        y += 50
        if item.change_text:
            plain.append(
                {"x": 0, "y": y, "text": item.change_text, "size": 15, "colour": item.change_colour or INK}
            )
            y += 24
        if item.previous_text:
            plain.append({"x": 0, "y": y, "text": item.previous_text, "size": 12, "colour": MUTED_INK})
            y += 20
        y += 14

    def layer(values: list[dict[str, Any]], weight: str) -> dict[str, Any]:
        return {
            "data": {"values": values},
            "mark": {"type": "text", "align": "left", "baseline": "top", "fontWeight": weight},
            "encoding": {
                "x": {"field": "x", "type": "quantitative", "scale": None, "axis": None},
                "y": {"field": "y", "type": "quantitative", "scale": None, "axis": None},
                "text": {"field": "text", "type": "nominal"},
                "size": {"field": "size", "type": "quantitative", "scale": None, "legend": None},
                "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
            },
        }

    spec = frame("kpi", lang, title, subtitle, height=max(y - 10, 60), fit="fit-x")
    spec["layer"] = [layer(big, "bold"), *([layer(plain, "normal")] if plain else [])]
    return spec


# --- line ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinePoint:
    period: str
    """ISO date: the first day of the period."""
    series: str | None
    value: float | None


@dataclass(frozen=True)
class AnomalyMark:
    period: str
    value: float
    expected: float
    direction: str
    score: float


def line_chart(
    title: str,
    points: Sequence[LinePoint],
    measure: Measure,
    lang: Language,
    *,
    grain: Grain,
    time_title: str,
    series_title: str | None = None,
    series_colours: Sequence[str] | None = None,
    dashed_series: str | None = None,
    anomalies: Sequence[AnomalyMark] = (),
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """A time series; several series (coloured, legend below) when `series_title` is given; anomalies
    are marked as circles with a tooltip (red-ish when bad given polarity, green-ish when good)."""
    periods = sorted({p.period for p in points})
    multi = series_title is not None
    series_order = list(dict.fromkeys(p.series for p in points if p.series is not None))
    values = [
        {
            "period": p.period,
            "period_text": formats.format_period_start(p.period, grain, lang),
            "series": p.series,
            "series_order": series_order.index(p.series) if p.series in series_order else 0,
            "value": p.value,
            "value_text": measure.text(p.value, lang),
        }
        for p in sorted(
            points, key=lambda p: (p.period, series_order.index(p.series) if p.series in series_order else 0)
        )
    ]
    axis_format = formats.time_axis_format(grain, lang, one_year=len({p[:4] for p in periods}) == 1)
    widest = max((text_ems(formats.time_text(axis_format, p)) for p in periods), default=4.0)
    fitting = max(2, int(PHONE_LINE_WIDTH // (12 * widest + 16)))
    step = max(1, math.ceil(len(periods) / fitting))
    x = {
        "field": "period",
        "type": "temporal",
        # Periods are ISO dates of their first day, read as UTC midnight: a UTC scale keeps them on
        # their day in every time zone. No timeUnit: Vega-Lite would then thin out the tick values.
        "scale": {"type": "utc"},
        "title": time_title,
        "axis": {
            "format": axis_format,
            "values": [_epoch_ms(p) for p in periods[::step]],
            "labelOverlap": True,
            "grid": False,
        },
    }
    y = {
        "field": "value",
        "type": "quantitative",
        "title": measure.axis_title(lang),
        "axis": {"format": measure.axis_format, "tickCount": 5},
        "scale": {"zero": measure.format == "count"},
    }
    tooltip = _tooltip(("period_text", time_title))
    if multi:
        tooltip += _tooltip(("series", series_title or ""))
    tooltip += _tooltip(("value_text", measure.label))
    encoding: dict[str, Any] = {"x": x, "y": y, "tooltip": tooltip}
    if multi:
        colour: dict[str, Any] = {
            "field": "series",
            "type": "nominal",
            "title": series_title,
            "sort": {"field": "series_order", "op": "min"},
            "legend": _legend([str(s) for s in series_order]),
        }
        if series_colours:
            colour["scale"] = {"range": list(series_colours)}
        encoding["color"] = colour
        if dashed_series is not None:
            encoding["strokeDash"] = {
                "field": "series",
                "type": "nominal",
                "sort": {"field": "series_order", "op": "min"},
                "scale": {"range": [[1, 0], [5, 3]]},
                "legend": None,
            }
    line_mark: dict[str, Any] = {"type": "line", "strokeWidth": 2}
    if len(periods) <= 24:
        line_mark["point"] = {"filled": True, "size": 36}
    layers: list[dict[str, Any]] = [{"data": {"values": values}, "mark": line_mark, "encoding": encoding}]
    for effect in ("bad", "good", "neutral"):
        marks = [a for a in anomalies if _anomaly_effect(a, measure.polarity) in _ANOMALY_GROUPS[effect]]
        if marks:
            mark_colour = {"bad": BAD, "good": GOOD}.get(effect, NEUTRAL_ANOMALY)
            layers.append(_anomaly_layer(marks, mark_colour, measure, lang, grain, time_title))
    spec = frame("line", lang, title, subtitle, height=240)
    spec["layer"] = layers
    return spec


_ANOMALY_GROUPS: dict[str, tuple[Effect, ...]] = {
    "bad": ("bad",),
    "good": ("good",),
    "neutral": ("up", "down"),
}


def _anomaly_effect(anomaly: AnomalyMark, polarity: Polarity) -> Effect:
    return effect_of(1.0 if anomaly.direction == "high" else -1.0, polarity)


def anomaly_words(anomaly: AnomalyMark, lang: Language) -> str:
    high = anomaly.direction == "high"
    if lang == "zh":
        return "异常偏高" if high else "异常偏低"
    return "Unusually high" if high else "Unusually low"


def _anomaly_layer(
    marks: Sequence[AnomalyMark],
    colour: str,
    measure: Measure,
    lang: Language,
    grain: Grain,
    time_title: str,
) -> dict[str, Any]:
    values = [
        {
            "period": a.period,
            "period_text": formats.format_period_start(a.period, grain, lang),
            "value": a.value,
            "value_text": measure.text(a.value, lang),
            "expected_text": measure.text(a.expected, lang),
            "note": anomaly_words(a, lang),
        }
        for a in marks
    ]
    expected = "基线（中位数）" if lang == "zh" else "Baseline (median)"
    anomaly = "异常" if lang == "zh" else "Anomaly"
    return {
        "data": {"values": values},
        "mark": {
            "type": "point",
            "shape": "circle",
            "filled": True,
            "size": 150,
            "color": colour,
            "stroke": "white",
            "strokeWidth": 1.5,
            "opacity": 1,
        },
        "encoding": {
            "x": {"field": "period", "type": "temporal"},
            "y": {"field": "value", "type": "quantitative"},
            "tooltip": _tooltip(
                ("period_text", time_title),
                ("note", anomaly),
                ("value_text", measure.label),
                ("expected_text", expected),
            ),
        },
    }


# --- bars by one category -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    category: str
    value: float
    text: str | None = None
    """The label at the bar's end; the formatted value when None."""
    effect: Effect | None = None
    note: str | None = None
    """A tooltip line (e.g. the share of the change), titled by the builder's `note_title`."""


def ranking_bars(
    title: str,
    bars: Sequence[Bar],
    measure: Measure,
    lang: Language,
    *,
    category_title: str,
    descending: bool = True,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Horizontal bars sorted by value, value labels at the bar ends, long labels cut with an ellipsis."""
    values = [
        {
            "category": b.category,
            "value": b.value,
            "value_text": measure.text(b.value, lang),
            "label": b.text if b.text is not None else measure.text(b.value, lang),
            "label_x": _label_x(b.value),
        }
        for b in bars
    ]
    spec = frame("ranking_bars", lang, title, subtitle, height={"step": BAR_STEP})
    spec["data"] = {"values": values}
    spec["encoding"] = {
        "y": {
            "field": "category",
            "type": "nominal",
            "sort": {"field": "value", "op": "max", "order": "descending" if descending else "ascending"},
            "axis": _category_axis(),
        },
        "tooltip": _tooltip(("category", category_title), ("value_text", measure.label)),
    }
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": BLUE, "cornerRadiusEnd": 2},
            "encoding": {
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "title": measure.axis_title(lang),
                    "axis": {"format": measure.axis_format, "tickCount": 4},
                    "scale": {
                        "domain": _value_domain([b.value for b in bars], [str(v["label"]) for v in values]),
                        "nice": False,
                    },
                }
            },
        },
        _bar_labels(),
    ]
    return spec


def _bar_labels(y: dict[str, Any] | None = None) -> dict[str, Any]:
    encoding: dict[str, Any] = {
        "x": {"field": "label_x", "type": "quantitative"},
        "text": {"field": "label", "type": "nominal"},
    }
    if y is not None:
        encoding["y"] = y
    return {
        "mark": {"type": "text", "align": "left", "baseline": "middle", "dx": 4, "color": INK},
        "encoding": encoding,
    }


def diverging_bars(
    title: str,
    bars: Sequence[Bar],
    measure: Measure,
    lang: Language,
    *,
    category_title: str,
    value_title: str,
    note_title: str | None = None,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Changes (or contributions to one) left and right of zero, in the given order, coloured by
    whether each moves the metric the good or the bad way; the last bar may be the total."""
    values = [
        {
            "category": b.category,
            "order": i,
            "value": b.value,
            "value_text": measure.change_text(b.value, lang),
            "label": b.text if b.text is not None else measure.change_text(b.value, lang),
            "label_x": _label_x(b.value),
            "effect": effect_word(b.effect or effect_of(b.value, measure.polarity), lang),
            "note": b.note or "",
        }
        for i, b in enumerate(bars)
    ]
    effects: list[Effect] = (
        ["up", "down", "total"] if measure.polarity == "neutral" else ["good", "bad", "total"]
    )
    used = {b.effect or effect_of(b.value, measure.polarity) for b in bars}
    effects = [e for e in effects if e in used]
    spec = frame("diverging_bars", lang, title, subtitle, height={"step": BAR_STEP})
    spec["data"] = {"values": values}
    y = {
        "field": "category",
        "type": "nominal",
        "sort": {"field": "order", "op": "min"},
        "axis": _category_axis(),
    }
    tooltip = _tooltip(("category", category_title), ("label", value_title))
    if note_title and any(b.note for b in bars):
        tooltip += _tooltip(("note", note_title))
    spec["layer"] = [
        {
            "mark": {"type": "bar", "cornerRadiusEnd": 2},
            "encoding": {
                "y": y,
                "tooltip": tooltip,
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "title": formats.axis_title(value_title, measure.format, lang),
                    "axis": {"format": measure.axis_format, "tickCount": 4},
                    "scale": {
                        "domain": _value_domain([b.value for b in bars], [str(v["label"]) for v in values]),
                        "nice": False,
                    },
                },
                "color": {
                    "field": "effect",
                    "type": "nominal",
                    "scale": {
                        "domain": [effect_word(e, lang) for e in effects],
                        "range": [effect_colour(e) for e in effects],
                    },
                    "legend": _legend([effect_word(e, lang) for e in effects]),
                },
            },
        },
        _zero_rule(),
        _bar_labels(y),
    ]
    return spec


def _zero_rule() -> dict[str, Any]:
    return {
        "data": {"values": [{"at": 0}]},
        "mark": {"type": "rule", "color": "#707070"},
        "encoding": {"x": {"field": "at", "type": "quantitative"}},
    }


@dataclass(frozen=True)
class ComparedBar:
    category: str
    current: float | None
    previous: float | None
    change_pct: float | None


def compare_bars(
    title: str,
    bars: Sequence[ComparedBar],
    measure: Measure,
    lang: Language,
    *,
    category_title: str,
    current_label: str,
    previous_label: str,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Current next to previous per category (sorted by the current value), the change in the label."""
    values: list[dict[str, Any]] = []
    for b in bars:
        sort_key = b.current if b.current is not None else -math.inf
        change = formats.format_change_pct(b.change_pct)
        for series, order, value in ((current_label, 0, b.current), (previous_label, 1, b.previous)):
            label = ""
            if order == 0:
                label = measure.text(value, lang) + (f"（{change}）" if lang == "zh" else f" ({change})")
            values.append(
                {
                    "category": b.category,
                    "series": series,
                    "series_order": order,
                    "sort_key": sort_key if math.isfinite(sort_key) else None,
                    "value": value,
                    "value_text": measure.text(value, lang),
                    "current_text": measure.text(b.current, lang),
                    "previous_text": measure.text(b.previous, lang),
                    "change_text": change,
                    "label": label,
                    "label_x": _label_x(value or 0.0),
                }
            )
    numbers = [v for b in bars for v in (b.current, b.previous) if v is not None]
    spec = frame("compare_bars", lang, title, subtitle, height={"step": OFFSET_STEP, "for": "offset"})
    spec["data"] = {"values": values}
    change_title = "变化率" if lang == "zh" else "Change"
    spec["encoding"] = {
        "y": {
            "field": "category",
            "type": "nominal",
            "sort": {"field": "sort_key", "op": "max", "order": "descending"},
            "axis": _category_axis(),
        },
        "yOffset": {"field": "series", "type": "nominal", "sort": {"field": "series_order", "op": "min"}},
        "tooltip": _tooltip(
            ("category", category_title),
            ("current_text", current_label),
            ("previous_text", previous_label),
            ("change_text", change_title),
        ),
    }
    spec["layer"] = [
        {
            "mark": {"type": "bar", "cornerRadiusEnd": 2},
            "encoding": {
                "x": {
                    "field": "value",
                    "type": "quantitative",
                    "title": measure.axis_title(lang),
                    "axis": {"format": measure.axis_format, "tickCount": 4},
                    "scale": {
                        "domain": _value_domain(numbers, [str(v["label"]) for v in values]),
                        "nice": False,
                    },
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "sort": {"field": "series_order", "op": "min"},
                    "scale": {"domain": [current_label, previous_label], "range": [BLUE, GREY]},
                    "legend": _legend([current_label, previous_label]),
                },
            },
        },
        _bar_labels(),
    ]
    return spec


# --- two categories -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    value: float | None
    column_order: int = 0
    """Columns are shown in this order (time periods oldest first); ties by label."""


def grouped_bars(
    title: str,
    cells: Sequence[Cell],
    measure: Measure,
    lang: Language,
    *,
    row_title: str,
    group_title: str,
    stacked: bool,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Horizontal bars per row category, one bar (grouped) or segment (stacked) per group."""
    values = [
        {
            "category": c.row,
            "group": c.column,
            "group_order": c.column_order,
            "value": c.value,
            "value_text": measure.text(c.value, lang),
        }
        for c in cells
        if c.value is not None
    ]
    kind: ChartKind = "stacked_bars" if stacked else "grouped_bars"
    height = {"step": BAR_STEP} if stacked else {"step": OFFSET_STEP, "for": "offset"}
    spec = frame(kind, lang, title, subtitle, height=height)
    spec["data"] = {"values": values}
    x: dict[str, Any] = {
        "field": "value",
        "type": "quantitative",
        "title": measure.axis_title(lang),
        "axis": {"format": measure.axis_format, "tickCount": 4},
    }
    if not stacked:
        x["stack"] = None
    encoding: dict[str, Any] = {
        "y": {
            "field": "category",
            "type": "nominal",
            "sort": {"field": "value", "op": "sum" if stacked else "mean", "order": "descending"},
            "axis": _category_axis(),
        },
        "x": x,
        "color": {
            "field": "group",
            "type": "nominal",
            "title": group_title,
            "sort": {"field": "group_order", "op": "min"},
            "legend": _legend(sorted({c.column for c in cells})),
        },
        "tooltip": _tooltip(("category", row_title), ("group", group_title), ("value_text", measure.label)),
    }
    if stacked:
        encoding["order"] = {"field": "group_order", "type": "quantitative"}
    else:
        encoding["yOffset"] = {
            "field": "group",
            "type": "nominal",
            "sort": {"field": "group_order", "op": "min"},
        }
    spec["mark"] = {"type": "bar", "cornerRadiusEnd": 0 if stacked else 2}
    spec["encoding"] = encoding
    return spec


def heatmap(
    title: str,
    cells: Sequence[Cell],
    measure: Measure,
    lang: Language,
    *,
    row_title: str,
    column_title: str,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Rows x columns coloured by value (sequential, colour-blind-safe); numbers in the cells when they fit."""
    numbers = [c.value for c in cells if c.value is not None]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    column_labels = {c.column for c in cells}
    columns = len(column_labels)
    # Labels stay level when they fit side by side on a phone (about 280 pixels of cells).
    level = columns * 12 * max((text_ems(label) for label in column_labels), default=0) <= 280
    values = []
    for c in cells:
        if c.value is None:
            continue
        position = (c.value - low) / (high - low) if high > low else 0.0
        values.append(
            {
                "row": c.row,
                "column": c.column,
                "column_order": c.column_order,
                "value": c.value,
                "value_text": measure.text(c.value, lang),
                "cell_text": formats.format_value(c.value, measure.format, lang).split(" ")[0],
                "ink": "light" if position > 0.55 else "dark",
            }
        )
    spec = frame("heatmap", lang, title, subtitle, height={"step": BAR_STEP})
    spec["data"] = {"values": values}
    spec["encoding"] = {
        "y": {
            "field": "row",
            "type": "nominal",
            "sort": {"field": "value", "op": "mean", "order": "descending"},
            "axis": _category_axis(),
        },
        "x": {
            "field": "column",
            "type": "nominal",
            "sort": {"field": "column_order", "op": "min"},
            "title": column_title,
            "axis": {
                "orient": "top",
                "labelAngle": 0 if level else -45,
                "labelLimit": 90,
                "labelOverlap": False,
            },
        },
        "tooltip": _tooltip(("row", row_title), ("column", column_title), ("value_text", measure.label)),
    }
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rect", "stroke": "white", "strokeWidth": 1},
            "encoding": {
                "color": {
                    "field": "value",
                    "type": "quantitative",
                    "title": measure.axis_title(lang),
                    "scale": {"scheme": HEATMAP_SCHEME, "zero": measure.format == "count"},
                    "legend": {
                        "format": measure.axis_format,
                        "direction": "horizontal",
                        "gradientLength": 200,
                    },
                }
            },
        }
    ]
    if columns <= 7:
        layers.append(
            {
                "mark": {"type": "text", "fontSize": 11},
                "encoding": {
                    "text": {"field": "cell_text", "type": "nominal"},
                    "color": {
                        "field": "ink",
                        "type": "nominal",
                        "scale": {"domain": ["dark", "light"], "range": [INK, "white"]},
                        "legend": None,
                    },
                },
            }
        )
    spec["layer"] = layers
    spec["resolve"] = {"scale": {"color": "independent"}}
    return spec


# --- distribution and concentration ---------------------------------------------------------------


@dataclass(frozen=True)
class HistogramBin:
    start: float
    end: float
    count: int


def histogram(
    title: str,
    bins: Sequence[HistogramBin],
    measure: Measure,
    lang: Language,
    *,
    count_title: str,
    markers: Sequence[tuple[str, float]] = (),
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Counts per bin of a measure, with reference lines (median, P90) labelled at the top."""
    values = [
        {
            "start": b.start,
            "end": b.end,
            "count": b.count,
            "range_text": f"{measure.text(b.start, lang)} – {measure.text(b.end, lang)}",
            "count_text": f"{b.count:,}",
        }
        for b in bins
    ]
    x_title = measure.axis_title(lang)
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "mark": {"type": "bar", "color": BLUE, "binSpacing": 1},
            "encoding": {
                "x": {
                    "field": "start",
                    "type": "quantitative",
                    "bin": {"binned": True},
                    "title": x_title,
                    "axis": {"format": measure.axis_format, "tickCount": 6},
                },
                "x2": {"field": "end"},
                "y": {
                    "field": "count",
                    "type": "quantitative",
                    "title": count_title,
                    "axis": {"format": ",.0f", "tickCount": 4},
                    # headroom for the reference lines' labels above the tallest bar
                    "scale": {
                        "domain": [0, max([b.count for b in bins], default=1) * (1.1 + 0.1 * len(markers))]
                    },
                },
                "tooltip": _tooltip(("range_text", x_title), ("count_text", count_title)),
            },
        }
    ]
    if markers:
        marker_values = [
            {"x": value, "label": f"{name} {measure.text(value, lang)}", "y": 2 + 16 * i}
            for i, (name, value) in enumerate(markers)
        ]
        layers += [
            {
                "data": {"values": marker_values},
                "mark": {"type": "rule", "color": ORANGE, "strokeDash": [4, 3], "strokeWidth": 1.5},
                "encoding": {"x": {"field": "x", "type": "quantitative"}},
            },
            {
                "data": {"values": marker_values},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "dx": 4,
                    "color": INK,
                    "fontSize": 11,
                },
                "encoding": {
                    "x": {"field": "x", "type": "quantitative"},
                    "y": {"field": "y", "type": "quantitative", "scale": None, "axis": None},
                    "text": {"field": "label", "type": "nominal"},
                },
            },
        ]
    spec = frame("histogram", lang, title, subtitle, height=240)
    spec["layer"] = layers
    return spec


@dataclass(frozen=True)
class ParetoGroup:
    category: str
    amount: float
    share: float
    cumulative_share: float
    in_core: bool
    """Among the largest groups that make up 80% of the total."""


def pareto(
    title: str,
    groups: Sequence[ParetoGroup],
    measure: Measure,
    lang: Language,
    *,
    category_title: str,
    core_label: str,
    rest_label: str,
    subtitle: Sequence[str] = (),
) -> dict[str, Any]:
    """Bars largest first (bottom axis: the amount) and the cumulative share as a line (top axis),
    with the 80% line; the groups that make up 80% are highlighted."""
    share_title = "占比" if lang == "zh" else "Share"
    cumulative_title = "累计占比" if lang == "zh" else "Cumulative share"
    values = [
        {
            "category": g.category,
            "rank": i,
            "amount": g.amount,
            "amount_text": measure.text(g.amount, lang),
            "share_text": formats.format_share(g.share),
            "cumulative": g.cumulative_share,
            "cumulative_text": formats.format_share(g.cumulative_share),
            "segment": core_label if g.in_core else rest_label,
        }
        for i, g in enumerate(groups)
    ]
    spec = frame("pareto", lang, title, subtitle, height={"step": BAR_STEP})
    spec["data"] = {"values": values}
    y = {
        "field": "category",
        "type": "nominal",
        "sort": {"field": "rank", "op": "min"},
        "axis": _category_axis(),
    }
    tooltip = _tooltip(
        ("category", category_title),
        ("amount_text", measure.label),
        ("share_text", share_title),
        ("cumulative_text", cumulative_title),
    )
    cumulative_x = {
        "field": "cumulative",
        "type": "quantitative",
        "title": cumulative_title,
        "scale": {"domain": [0, 1]},
        "axis": {"format": ".0%", "orient": "top", "tickCount": 5, "grid": False, "titleColor": ORANGE},
    }
    spec["layer"] = [
        {
            "mark": {"type": "bar", "cornerRadiusEnd": 2},
            "encoding": {
                "y": y,
                "x": {
                    "field": "amount",
                    "type": "quantitative",
                    "title": measure.axis_title(lang),
                    "axis": {"format": measure.axis_format, "tickCount": 4, "orient": "bottom"},
                },
                "color": {
                    "field": "segment",
                    "type": "nominal",
                    "scale": {"domain": [core_label, rest_label], "range": [BLUE, SKY]},
                    "legend": _legend([core_label, rest_label]),
                },
                "tooltip": tooltip,
            },
        },
        {
            "layer": [
                {
                    "mark": {"type": "line", "color": ORANGE, "strokeWidth": 2},
                    "encoding": {"y": y, "x": cumulative_x},
                },
                {
                    "mark": {"type": "point", "filled": True, "color": ORANGE, "size": 40},
                    "encoding": {"y": y, "x": cumulative_x, "tooltip": tooltip},
                },
                {
                    "data": {"values": [{"at": 0.8}]},
                    "mark": {"type": "rule", "color": MUTED_INK, "strokeDash": [4, 3]},
                    "encoding": {"x": {"field": "at", "type": "quantitative"}},
                },
            ],
        },
    ]
    spec["resolve"] = {"scale": {"x": "independent"}}
    return spec

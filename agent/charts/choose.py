"""Chart choice: the chart that shows an answer best, from the intent, the result's shape and the
analysis behind it.

- an analysis decides first: a Distribution is a histogram, a Concentration a Pareto chart, a
  ChangeExplanation diverging bars of the contributions (coloured by polarity, the total last);
- otherwise the metric result's shape: no dimension -> KPI card (with the change vs the previous
  period when compared); a time dimension -> line (several series: a second dimension with up to six
  values, several metrics of one format, or current vs previous); a time and a category with more
  values -> heatmap; one category -> ranking bars (compared: current vs previous bars, or diverging
  change bars when the query ranks by the change); two categories -> stacked bars (additive metrics)
  or grouped bars, heatmap when there are many cells;
- detail lists get no chart (None): the client shows them as a table. So do clarifications,
  unsupported questions, empty results and shapes with three or more dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from semantic_layer.model import Language, Polarity, SemanticModel, SimpleMetric, SnapshotMetric
from semantic_layer.query import DimensionRef, Filter, SemanticQuery
from semantic_layer.result import Column, QueryResult

from ..analysis import Anomaly, ChangeExplanation, Concentration, Contribution, Distribution
from ..intent import Intent
from . import formats, specs
from .specs import Measure

MAX_BARS = 30
MAX_SERIES = 6
MAX_GROUPED_CELLS = 60
MAX_HEATMAP_ROWS = 40
MAX_CONTRIBUTIONS = 8
MAX_PARETO_BARS = 12
MAX_KPIS = 4

ChartAnalysis = ChangeExplanation | Concentration | Distribution


def choose_chart(
    intent: Intent,
    result: QueryResult | None,
    model: SemanticModel,
    *,
    analysis: ChartAnalysis | None = None,
    anomalies: Sequence[Anomaly] = (),
    title: str | None = None,
) -> dict[str, Any] | None:
    """A Vega-Lite v5 spec for the answer to `intent`, in the intent's language; None when no chart
    helps (detail lists, clarifications, unsupported questions, empty results). `title` replaces the
    generated title."""
    if intent.kind in ("clarify", "unsupported", "detail"):
        return None
    charts = _Charts(model, intent.language, intent.query)
    spec: dict[str, Any] | None = None
    if isinstance(analysis, Distribution):
        spec = charts.distribution(analysis)
    elif isinstance(analysis, Concentration):
        spec = charts.concentration(analysis)
    elif isinstance(analysis, ChangeExplanation):
        spec = charts.change(analysis)
    if spec is None and result is not None and intent.query is not None and intent.query.metrics:
        spec = charts.metric_result(intent.query, result, anomalies)
    if spec is not None and title:
        subtitle = spec["title"].get("subtitle", ())
        spec["title"] = specs.title_block(title, [subtitle] if isinstance(subtitle, str) else subtitle)
    return spec


class _Charts:
    """Turns typed answers into the plain inputs of the spec builders (labels, formats, titles)."""

    def __init__(self, model: SemanticModel, lang: Language, query: SemanticQuery | None) -> None:
        self.model = model
        self.lang = lang
        self.query = query

    # --- words ------------------------------------------------------------------------------

    def zh(self) -> bool:
        return self.lang == "zh"

    def metric_measure(self, name: str, column: Column | None = None) -> Measure:
        metric = self.model.metrics_by_name.get(name)
        label = column.label if column else (metric.label.get(self.lang) if metric else name)
        fmt = (column.format if column else None) or (metric.format if metric else None)
        polarity: Polarity = metric.polarity if metric else "neutral"
        return Measure(label=label or name, format=fmt, polarity=polarity)

    def dimension_label(self, name: str) -> str:
        dimension = self.model.dimensions_by_name.get(name)
        return dimension.label.get(self.lang) if dimension else name

    def value_label(self, dimension: str, value: Any) -> str:
        if value is None:
            return "（空）" if self.zh() else "(blank)"
        known = self.model.dimensions_by_name.get(dimension)
        return known.value_label(str(value), self.lang) if known else str(value)

    def period(self, *, compared: bool = False) -> str | None:
        """The query's time range in words, with the comparison range when the chart compares."""
        time_range = self.query.time_range if self.query else None
        if time_range is None:
            return None
        if time_range.period is not None:
            current = formats.format_relative_period(time_range.period, self.lang)
        else:
            current = formats.format_range(time_range.start, time_range.end, self.lang)
        compare = self.query.compare if self.query else None
        if not compared or compare is None or current is None:
            return current
        if time_range.start is not None and time_range.end is not None:
            start, end = formats.previous_range(time_range.start, time_range.end, compare)
            previous = formats.format_range(start, end, self.lang)
        else:
            previous = formats.compare_words(compare, self.lang)
        return f"{current} 对比 {previous}" if self.zh() else f"{current} vs {previous}"

    def previous_label(self) -> str:
        """What the comparison period is called in legends: its dates when known, else "上期"."""
        compare = self.query.compare if self.query else None
        time_range = self.query.time_range if self.query else None
        if compare and time_range and time_range.start and time_range.end:
            start, end = formats.previous_range(time_range.start, time_range.end, compare)
            text = formats.format_range(start, end, self.lang)
            if text:
                return text
        words = formats.compare_words(compare or "previous_period", self.lang)
        return words if self.zh() else words.capitalize()

    def current_label(self) -> str:
        time_range = self.query.time_range if self.query else None
        if time_range and time_range.start and time_range.end:
            text = formats.format_range(time_range.start, time_range.end, self.lang)
            if text:
                return text
        return "本期" if self.zh() else "Current period"

    def title(self, metric_labels: Sequence[str], breakdown: Sequence[str], *, compared: bool = False) -> str:
        if self.zh():
            metrics = "、".join(metric_labels)
        else:
            metrics = " and ".join([*metric_labels[:1], *(formats.lower_first(m) for m in metric_labels[1:])])
        return formats.join_title(
            [metrics, formats.by_words(list(breakdown), self.lang), self.period(compared=compared)]
        )

    def filters_line(self) -> str | None:
        if self.query is None or not self.query.filters:
            return None
        parts = [self.filter_text(f) for f in self.query.filters]
        return ("；" if self.zh() else "; ").join(parts)

    def filter_text(self, item: Filter) -> str:
        sep = "、" if self.zh() else ", "
        if item.metric is not None:
            measure = self.metric_measure(item.metric)
            label = measure.label
            shown = [measure.text(v if isinstance(v, int | float) else None, self.lang) for v in item.values]
        elif item.dimension is not None:
            label = self.dimension_label(item.dimension)
            shown = [self.value_label(item.dimension, v) for v in item.values]
        else:
            field = self.model.attributes_by_name.get(item.field or "")
            label = field.label.get(self.lang) if field else (item.field or "")
            fmt = field.format if field else None
            shown = [
                formats.format_value(v, fmt, self.lang) if isinstance(v, int | float) and fmt else str(v)
                for v in item.values
            ]
        colon = "：" if self.zh() else ": "
        symbols = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
        if item.op in symbols:
            return f"{label} {symbols[item.op]} {shown[0]}"
        if item.op == "between":
            return f"{label}{colon}{shown[0]}–{shown[1]}"
        if item.op in ("ne", "not_in"):
            return f"{label}{colon}{'不含' if self.zh() else 'not '}{sep.join(shown)}"
        if item.op == "contains":
            return f"{label}{'含' if self.zh() else ' contains '}“{shown[0]}”"
        return f"{label}{colon}{sep.join(shown)}"

    def subtitle(self, *lines: str | None) -> list[str]:
        return [line for line in (*lines, self.filters_line()) if line]

    def shown_of(self, shown: int, total: int) -> str | None:
        if shown >= total:
            return None
        return f"显示前{shown}个，共{total}个" if self.zh() else f"Showing the top {shown} of {total}"

    # --- analyses -----------------------------------------------------------------------------

    def distribution(self, analysis: Distribution) -> dict[str, Any] | None:
        if not analysis.bins:
            return None
        field = self.model.attributes_by_name.get(analysis.field)
        label = field.label.get(self.lang) if field else self.dimension_label(analysis.field)
        measure = Measure(label=label, format=field.format if field else None)
        bins = [specs.HistogramBin(b.start, b.end, b.count) for b in analysis.bins]
        median, p90 = ("中位数", "P90") if self.zh() else ("Median", "P90")
        markers = [(name, v) for name, v in ((median, analysis.p50), (p90, analysis.p90)) if v is not None]
        summary = (f"共 {analysis.count:,} 条" if self.zh() else f"{analysis.count:,} records") + "".join(
            f" · {name} {measure.text(v, self.lang)}" for name, v in markers
        )
        title_head = f"{label}分布" if self.zh() else f"Distribution of {formats.lower_first(label)}"
        return specs.histogram(
            formats.join_title([title_head, self.period()]),
            bins,
            measure,
            self.lang,
            count_title="数量" if self.zh() else "Count",
            markers=markers,
            subtitle=self.subtitle(summary),
        )

    def concentration(self, analysis: Concentration) -> dict[str, Any] | None:
        if not analysis.groups:
            return None
        measure = self.metric_measure(analysis.metric)
        dimension = self.dimension_label(analysis.dimension)
        core = analysis.groups_for_80_percent
        groups = [
            specs.ParetoGroup(
                self.value_label(analysis.dimension, g.value), g.amount, g.share, g.cumulative_share, i < core
            )
            for i, g in enumerate(analysis.groups)
        ]
        if len(groups) > MAX_PARETO_BARS:
            kept, rest = groups[: MAX_PARETO_BARS - 1], groups[MAX_PARETO_BARS - 1 :]
            other = f"其他（{len(rest)}个）" if self.zh() else f"Other ({len(rest)})"
            groups = [
                *kept,
                specs.ParetoGroup(
                    other,
                    sum(g.amount for g in rest),
                    sum(g.share for g in rest),
                    rest[-1].cumulative_share,
                    False,
                ),
            ]
        n = len(analysis.groups)
        if self.zh():
            summary = f"前 {core} 个{dimension}（共 {n} 个）占{measure.label}的 80%"
            core_label, rest_label = "累计占 80%", "其余"
            head = f"{measure.label}集中度"
        else:
            summary = (
                f"The top {core} of {n} {_plural(formats.lower_first(dimension))} make up 80% of the total"
            )
            core_label, rest_label = "Top 80%", "Rest"
            head = f"{measure.label} concentration"
        title = formats.join_title([head, formats.by_words([dimension], self.lang), self.period()])
        return specs.pareto(
            title,
            groups,
            measure,
            self.lang,
            category_title=dimension,
            core_label=core_label,
            rest_label=rest_label,
            subtitle=self.subtitle(summary),
        )

    def change(self, analysis: ChangeExplanation) -> dict[str, Any] | None:
        measure = self.metric_measure(analysis.metric)
        compared = analysis.previous_value is not None
        bars: list[specs.Bar] = []
        if analysis.drivers:
            driver = analysis.drivers[0]
            dimension = self.dimension_label(driver.dimension)
            contributions = list(driver.contributions)
            shown = contributions[:MAX_CONTRIBUTIONS]
            bars = [self.contribution_bar(c, measure, with_dimension=False) for c in shown]
            rest = contributions[MAX_CONTRIBUTIONS:]
            if rest:
                other = f"其他（{len(rest)}个）" if self.zh() else f"Other ({len(rest)})"
                bars.append(specs.Bar(other, sum(c.change for c in rest)))
            breakdown = [dimension]
        elif analysis.top:
            bars = [self.contribution_bar(c, measure, with_dimension=True) for c in analysis.top]
            dimension = "驱动因素" if self.zh() else "Driver"
            breakdown = []
        else:
            return None
        if compared and analysis.drivers and analysis.change is not None:
            bars.append(specs.Bar("合计" if self.zh() else "Total", analysis.change, effect="total"))
        current = _range_text(analysis.current_range, self.lang)
        if compared:
            previous = _range_text(analysis.previous_range, self.lang)
            versus = " 对比 " if self.zh() else " vs "
            period = f"{current}{versus}{previous}" if current and previous else current
            head = f"{measure.label}变化" if self.zh() else f"{measure.label} change"
            value_title = "对变化的贡献" if self.zh() else "Contribution to the change"
            pct = formats.format_change_pct(analysis.change_pct)
            before = measure.text(analysis.previous_value, self.lang)
            after = measure.text(analysis.current_value, self.lang)
            change = measure.change_text(analysis.change, self.lang)
            summary = (
                f"{before} → {after}（{change}，{pct}）"
                if self.zh()
                else f"{before} → {after} ({change}, {pct})"
            )
        else:
            period = current
            head = f"{measure.label}与整体的差距" if self.zh() else f"{measure.label} vs overall"
            value_title = "对差距的贡献" if self.zh() else "Contribution to the gap"
            overall = measure.text(analysis.current_value, self.lang)
            summary = f"整体 {overall}" if self.zh() else f"Overall {overall}"
        title = formats.join_title([head, formats.by_words(breakdown, self.lang), period])
        return specs.diverging_bars(
            title,
            bars,
            measure,
            self.lang,
            category_title=dimension,
            value_title=value_title,
            note_title="占变化的比例" if self.zh() else "Share of the change",
            subtitle=self.subtitle(summary),
        )

    def contribution_bar(self, c: Contribution, measure: Measure, *, with_dimension: bool) -> specs.Bar:
        label = self.value_label(c.dimension, c.value)
        if with_dimension:
            label = f"{self.dimension_label(c.dimension)}{'：' if self.zh() else ': '}{label}"
        return specs.Bar(label, c.change, note=formats.format_share(c.share_of_change))

    # --- metric results -------------------------------------------------------------------------

    def metric_result(
        self, query: SemanticQuery, result: QueryResult, anomalies: Sequence[Anomaly]
    ) -> dict[str, Any] | None:
        if not result.rows:
            return None
        columns = {c.name: c for c in result.columns}
        metrics = [m for m in query.metrics if m in columns]
        if not metrics:
            return None
        dims = [d for d in query.dimensions if d.name in columns]
        times = [d for d in dims if d.grain is not None or columns[d.name].type in ("date", "timestamp")]
        categories = [d for d in dims if d not in times]
        records = result.records()
        compared = query.compare is not None and all(f"{m}__previous" in columns for m in metrics)
        # Several metrics share one chart only when they share a format (one axis); else the first.
        measures = {m: self.metric_measure(m, columns[m]) for m in metrics}
        if len({measures[m].format for m in metrics}) > 1 and dims:
            metrics = metrics[:1]
        if not dims:
            return self.kpi(metrics, measures, records, compared)
        if len(dims) > 2 or len(times) > 1:
            return None
        if times and not categories:
            return self.line(times[0], metrics, measures, records, compared, anomalies)
        if times:
            return self.time_by_category(times[0], categories[0], metrics[0], measures[metrics[0]], records)
        if len(categories) == 1:
            return self.one_category(query, categories[0], metrics, measures, records, compared)
        return self.two_categories(categories[0], categories[1], metrics[0], measures[metrics[0]], records)

    def kpi(
        self, metrics: list[str], measures: dict[str, Measure], records: list[dict[str, Any]], compared: bool
    ) -> dict[str, Any] | None:
        row = records[0]
        metrics = [m for m in metrics if row.get(m) is not None][:MAX_KPIS]
        if not metrics:
            return None
        items = []
        for m in metrics:
            measure = measures[m]
            item = specs.KpiItem(label=measure.label, value_text=measure.text(row[m], self.lang))
            if compared:
                item = self.kpi_change(
                    item,
                    measure,
                    row.get(f"{m}__previous"),
                    row.get(f"{m}__change"),
                    row.get(f"{m}__change_pct"),
                )
            items.append(item)
        title = self.title([measures[m].label for m in metrics], [], compared=compared)
        return specs.kpi_card(title, items, self.lang, subtitle=self.subtitle())

    def kpi_change(
        self, item: specs.KpiItem, measure: Measure, previous: Any, change: Any, change_pct: Any
    ) -> specs.KpiItem:
        compare = self.query.compare if self.query else None
        words = formats.compare_words(compare or "previous_period", self.lang)
        versus = f"较{words}" if self.zh() else f"vs {words}"
        if change is None:
            change_text = f"{versus}：无可比数据" if self.zh() else f"{versus}: no comparable data"
            colour = specs.MUTED_INK
        else:
            arrow = "▲" if change > 0 else ("▼" if change < 0 else "■")
            amount = measure.change_text(change, self.lang)
            if measure.format == "percent" or change_pct is None:
                moved = amount
            else:
                pct = formats.format_change_pct(change_pct)
                moved = f"{pct}（{amount}）" if self.zh() else f"{pct} ({amount})"
            change_text = f"{arrow} {versus} {moved}" if self.zh() else f"{arrow} {moved} {versus}"
            effect = specs.effect_of(change, measure.polarity)
            colour = (
                specs.effect_colour(effect) if measure.polarity != "neutral" and change != 0 else specs.INK
            )
        previous_label = self.previous_label()
        colon = "：" if self.zh() else ": "
        previous_text = f"{previous_label}{colon}{measure.text(previous, self.lang)}"
        return specs.KpiItem(item.label, item.value_text, change_text, colour, previous_text)

    def line(
        self,
        time: DimensionRef,
        metrics: list[str],
        measures: dict[str, Measure],
        records: list[dict[str, Any]],
        compared: bool,
        anomalies: Sequence[Anomaly],
    ) -> dict[str, Any]:
        grain = time.grain or "day"
        measure = measures[metrics[0]]
        records = [r for r in records if r[time.name] is not None]
        points: list[specs.LinePoint] = []
        series_title: str | None = None
        colours: list[str] | None = None
        dashed: str | None = None
        if compared:
            current, previous = self.current_label_short(), self.previous_label_short()
            for r in records:
                points.append(specs.LinePoint(str(r[time.name]), current, r[metrics[0]]))
                points.append(specs.LinePoint(str(r[time.name]), previous, r.get(f"{metrics[0]}__previous")))
            series_title, colours, dashed = (
                ("期间" if self.zh() else "Period"),
                [specs.BLUE, specs.GREY],
                previous,
            )
        elif len(metrics) > 1:
            series_title = "指标" if self.zh() else "Metric"
            for r in records:
                points += [specs.LinePoint(str(r[time.name]), measures[m].label, r[m]) for m in metrics]
        else:
            points = [specs.LinePoint(str(r[time.name]), None, r[metrics[0]]) for r in records]
        marks = [specs.AnomalyMark(a.period, a.value, a.expected, a.direction, a.score) for a in anomalies]
        note = self.anomaly_note(marks, grain)
        labels = [measures[m].label for m in metrics]
        title = self.title(labels, [formats.grain_word(grain, self.lang)], compared=compared)
        return specs.line_chart(
            title,
            points,
            measure
            if len(metrics) == 1
            else Measure(("、" if self.zh() else ", ").join(labels), measure.format),
            self.lang,
            grain=grain,
            time_title=self.dimension_label(time.name),
            series_title=series_title,
            series_colours=colours,
            dashed_series=dashed,
            anomalies=marks if len(metrics) == 1 else (),
            subtitle=self.subtitle(note),
        )

    def current_label_short(self) -> str:
        return "本期" if self.zh() else "This period"

    def previous_label_short(self) -> str:
        words = formats.compare_words(
            (self.query.compare if self.query else None) or "previous_period", self.lang
        )
        return words if self.zh() else words.capitalize()

    def anomaly_note(self, marks: Sequence[specs.AnomalyMark], grain: Any) -> str | None:
        if not marks:
            return None
        parts = [
            f"{formats.format_period_start(a.period, grain, self.lang)}（{'偏高' if a.direction == 'high' else '偏低'}）"
            if self.zh()
            else f"{formats.format_period_start(a.period, grain, self.lang)} ({a.direction})"
            for a in marks
        ]
        return ("异常：" + "、".join(parts)) if self.zh() else ("Anomalies: " + ", ".join(parts))

    def time_by_category(
        self,
        time: DimensionRef,
        category: DimensionRef,
        metric: str,
        measure: Measure,
        records: list[dict[str, Any]],
    ) -> dict[str, Any]:
        grain = time.grain or "day"
        records = [r for r in records if r[time.name] is not None]
        series = list(dict.fromkeys(self.value_label(category.name, r[category.name]) for r in records))
        category_label = self.dimension_label(category.name)
        title = self.title([measure.label], [formats.grain_word(grain, self.lang), category_label])
        if len(series) <= MAX_SERIES:
            # Legend order: the largest series first.
            totals: dict[str, float] = {}
            for r in records:
                key = self.value_label(category.name, r[category.name])
                totals[key] = totals.get(key, 0.0) + (r[metric] or 0.0)
            ordered = sorted(series, key=lambda s: -totals[s])
            points = sorted(
                (
                    specs.LinePoint(
                        str(r[time.name]), self.value_label(category.name, r[category.name]), r[metric]
                    )
                    for r in records
                ),
                key=lambda p: ordered.index(p.series or ""),
            )
            return specs.line_chart(
                title,
                points,
                measure,
                self.lang,
                grain=grain,
                time_title=self.dimension_label(time.name),
                series_title=category_label,
                subtitle=self.subtitle(),
            )
        periods = sorted({str(r[time.name]) for r in records})
        years = {p[:4] for p in periods}
        cells = [
            specs.Cell(
                row=self.value_label(category.name, r[category.name]),
                column=formats.format_period_short(
                    str(r[time.name]), grain, self.lang, with_year=len(years) > 1
                ),
                value=r[metric],
                column_order=periods.index(str(r[time.name])),
            )
            for r in records
        ]
        rows = _top_rows(cells, MAX_HEATMAP_ROWS)
        return specs.heatmap(
            title,
            [c for c in cells if c.row in rows],
            measure,
            self.lang,
            row_title=category_label,
            column_title=self.dimension_label(time.name),
            subtitle=self.subtitle(self.shown_of(len(rows), len(series))),
        )

    def one_category(
        self,
        query: SemanticQuery,
        category: DimensionRef,
        metrics: list[str],
        measures: dict[str, Measure],
        records: list[dict[str, Any]],
        compared: bool,
    ) -> dict[str, Any] | None:
        category_label = self.dimension_label(category.name)
        metric = metrics[0]
        measure = measures[metric]
        ranked = query.order_by[0] if query.order_by else None
        if compared:
            return self.compared_category(
                category, metric, measure, records, ranked.field if ranked else None
            )
        if len(metrics) > 1:
            cells = [
                specs.Cell(self.value_label(category.name, r[category.name]), measures[m].label, r[m], i)
                for r in records[:MAX_BARS]
                for i, m in enumerate(metrics)
            ]
            labels = [measures[m].label for m in metrics]
            return specs.grouped_bars(
                self.title(labels, [category_label]),
                cells,
                Measure(("、" if self.zh() else ", ").join(labels), measure.format),
                self.lang,
                row_title=category_label,
                group_title="指标" if self.zh() else "Metric",
                stacked=False,
                subtitle=self.subtitle(self.shown_of(min(len(records), MAX_BARS), len(records))),
            )
        rows = [r for r in records if r[metric] is not None]
        if not rows:
            return None
        if ranked is None or ranked.field != metric:
            rows = sorted(rows, key=lambda r: -r[metric])
        descending = not (ranked is not None and ranked.field == metric and not ranked.desc)
        shown = rows[:MAX_BARS]
        bars = [specs.Bar(self.value_label(category.name, r[category.name]), r[metric]) for r in shown]
        return specs.ranking_bars(
            self.title([measure.label], [category_label]),
            bars,
            measure,
            self.lang,
            category_title=category_label,
            descending=descending,
            subtitle=self.subtitle(self.shown_of(len(shown), len(rows))),
        )

    def compared_category(
        self,
        category: DimensionRef,
        metric: str,
        measure: Measure,
        records: list[dict[str, Any]],
        ranked_by: str | None,
    ) -> dict[str, Any] | None:
        category_label = self.dimension_label(category.name)
        shown = records[:MAX_BARS]
        subtitle = self.subtitle(self.shown_of(len(shown), len(records)))
        if ranked_by in (f"{metric}__change", f"{metric}__change_pct"):
            by_pct = ranked_by.endswith("_pct")
            change_measure = Measure(measure.label, "percent" if by_pct else measure.format, measure.polarity)
            bars = []
            for r in shown:
                value = r.get(f"{metric}__change_pct" if by_pct else f"{metric}__change")
                if value is None:
                    continue
                amount = measure.change_text(r.get(f"{metric}__change"), self.lang)
                pct = formats.format_change_pct(r.get(f"{metric}__change_pct"))
                text = f"{pct}（{amount}）" if self.zh() else f"{pct} ({amount})"
                if not by_pct:
                    text = f"{amount}（{pct}）" if self.zh() else f"{amount} ({pct})"
                note = f"{measure.text(r.get(f'{metric}__previous'), self.lang)} → {measure.text(r.get(metric), self.lang)}"
                bars.append(
                    specs.Bar(
                        self.value_label(category.name, r[category.name]),
                        value,
                        text=text,
                        effect=specs.effect_of(value, measure.polarity),
                        note=note,
                    )
                )
            if not bars:
                return None
            bars.sort(key=lambda b: -b.value)
            head = f"{measure.label}变化" if self.zh() else f"{measure.label} change"
            title = formats.join_title(
                [head, formats.by_words([category_label], self.lang), self.period(compared=True)]
            )
            return specs.diverging_bars(
                title,
                bars,
                change_measure,
                self.lang,
                category_title=category_label,
                value_title=("变化率" if by_pct else "变化")
                if self.zh()
                else ("Change %" if by_pct else "Change"),
                note_title=f"{self.previous_label_short()} → {self.current_label_short()}",
                subtitle=subtitle,
            )
        bars_compared = [
            specs.ComparedBar(
                self.value_label(category.name, r[category.name]),
                r.get(metric),
                r.get(f"{metric}__previous"),
                r.get(f"{metric}__change_pct"),
            )
            for r in shown
        ]
        return specs.compare_bars(
            self.title([measure.label], [category_label], compared=True),
            bars_compared,
            measure,
            self.lang,
            category_title=category_label,
            current_label=self.current_label(),
            previous_label=self.previous_label(),
            subtitle=subtitle,
        )

    def two_categories(
        self,
        first: DimensionRef,
        second: DimensionRef,
        metric: str,
        measure: Measure,
        records: list[dict[str, Any]],
    ) -> dict[str, Any]:
        def distinct(dimension: DimensionRef) -> list[str]:
            return list(dict.fromkeys(self.value_label(dimension.name, r[dimension.name]) for r in records))

        rows_dim, groups_dim = (
            (first, second) if len(distinct(first)) >= len(distinct(second)) else (second, first)
        )
        rows, groups = distinct(rows_dim), distinct(groups_dim)
        totals: dict[str, float] = {}
        for r in records:
            key = self.value_label(groups_dim.name, r[groups_dim.name])
            totals[key] = totals.get(key, 0.0) + (r[metric] or 0.0)
        group_order = sorted(groups, key=lambda g: -totals[g])
        cells = [
            specs.Cell(
                self.value_label(rows_dim.name, r[rows_dim.name]),
                self.value_label(groups_dim.name, r[groups_dim.name]),
                r[metric],
                group_order.index(self.value_label(groups_dim.name, r[groups_dim.name])),
            )
            for r in records
        ]
        row_title, group_title = self.dimension_label(rows_dim.name), self.dimension_label(groups_dim.name)
        title = self.title(
            [measure.label], [self.dimension_label(first.name), self.dimension_label(second.name)]
        )
        if len(groups) > MAX_SERIES or len(rows) * len(groups) > MAX_GROUPED_CELLS:
            kept = _top_rows(cells, MAX_HEATMAP_ROWS)
            return specs.heatmap(
                title,
                [c for c in cells if c.row in kept],
                measure,
                self.lang,
                row_title=row_title,
                column_title=group_title,
                subtitle=self.subtitle(self.shown_of(len(kept), len(rows))),
            )
        return specs.grouped_bars(
            title,
            cells,
            measure,
            self.lang,
            row_title=row_title,
            group_title=group_title,
            stacked=self.additive(metric),
            subtitle=self.subtitle(),
        )

    def additive(self, metric: str) -> bool:
        """Whether group values add up to a meaningful total (counts and sums): then bars stack."""
        known = self.model.metrics_by_name.get(metric)
        return isinstance(known, SnapshotMetric) or (isinstance(known, SimpleMetric) and known.additive)


def _top_rows(cells: Sequence[specs.Cell], limit: int) -> set[str]:
    """The `limit` rows with the largest totals."""
    totals: dict[str, float] = {}
    for c in cells:
        totals[c.row] = totals.get(c.row, 0.0) + (c.value or 0.0)
    return set(sorted(totals, key=lambda r: -totals[r])[:limit])


def _range_text(bounds: tuple[str | None, str | None] | None, lang: Language) -> str | None:
    if bounds is None:
        return None
    start, end = (date.fromisoformat(b[:10]) if b else None for b in bounds)
    return formats.format_range(start, end, lang)


def _plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"

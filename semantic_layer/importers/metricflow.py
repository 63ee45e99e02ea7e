"""Convert dbt MetricFlow semantic models and metrics into a chatbi semantic model.

What carries over: semantic models become tables (their source the ref'd dbt model), entities become
relationships (a foreign entity to the model where it is primary: many_to_one) and primary keys,
dimensions become dimensions (same-named ones of several models one conformed dimension), and simple,
ratio and derived metrics become metrics, their measures' aggregations and filters included.
What does not (cumulative and conversion metrics, offsets, semi-additive measures, filters that need a
join, aggregations chatbi lacks) is listed in the report, on stderr and as comments in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from ..errors import DraftError, ModelError
from ..expressions import ExpressionError, parse_expression
from ..loader import parse_model
from ..model import GRAINS, SemanticModel
from .dbt_project import REF, SemanticSpec, read_project
from .jinja_filters import UntranslatableFilter, combine, translate_filter

_AGGREGATIONS = {"sum": "sum", "count": "count", "count_distinct": "count_distinct", "average": "avg",
                 "avg": "avg", "min": "min", "max": "max", "median": "median", "percentile": "percentile",
                 "sum_boolean": "count"}  # fmt: skip


@dataclass(frozen=True)
class ImportResult:
    text: str
    """The model as YAML, the report as comments at its top."""
    model: SemanticModel
    report: tuple[str, ...]
    """What could not be carried over, one line each."""


def import_metricflow(paths: Sequence[Path], *, out_name: str = "dbt_import") -> ImportResult:
    """Read the MetricFlow YAML in `paths` (files or directories) and convert it; raises DraftError when
    nothing is found or the result does not load."""
    semantics, metrics = read_project(paths)
    converter = _Converter(semantics)
    converter.convert_metrics(metrics)
    document = converter.document(_identifier(out_name))
    header = [
        "Imported from dbt MetricFlow by `chatbi import-dbt`; review it, then run chatbi check --model THIS --db DATA.",
        "Labels are English only: add Chinese labels and synonyms (zh:) so people can ask in Chinese.",
    ]
    if converter.report:
        header.append("NOT CARRIED OVER:")
        header += [f"- {line}" for line in converter.report]
    body = yaml.dump(
        document,
        Dumper=_PlainDumper,
        sort_keys=False,
        allow_unicode=True,
        width=110,
        default_flow_style=False,
    )
    text = "\n".join("# " + " ".join(line.split()) for line in header) + "\n" + body
    try:
        model = parse_model(text, file=f"{out_name}.yaml")
    except ModelError as error:
        raise DraftError(f"the imported model does not load: {error}") from None
    return ImportResult(text=text, model=model, report=tuple(converter.report))


class _Converter:
    def __init__(self, semantics: list[SemanticSpec]) -> None:
        self.semantics = semantics
        self.report: list[str] = []
        self.by_name = {s.name: s for s in semantics}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.measures = {m["name"]: (s, m) for s in semantics for m in s.items("measures")}
        for semantic in semantics:
            if not REF.search(str(semantic.spec.get("model") or "")):
                self.report.append(
                    f"semantic model '{semantic.name}': no ref() in model:, its table is '{semantic.source}'"
                )

    # --- tables, relationships, dimensions --------------------------------------------------------

    def document(self, name: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": name,
            "description": {
                "en": "Imported from dbt MetricFlow: " + ", ".join(s.name for s in self.semantics)
            },
            "default_language": "en",
            "tables": [self.table(s) for s in self.semantics],
        }
        relationships = self.relationships()
        if relationships:
            document["relationships"] = relationships
        document["dimensions"] = self.dimensions()
        attributes = self.attributes({d["name"] for d in document["dimensions"]})
        if attributes:
            document["attributes"] = attributes
        document["metrics"] = list(self.metrics.values())
        if not document["metrics"]:
            raise DraftError("none of the metrics could be carried over:\n  " + "\n  ".join(self.report))
        return document

    def table(self, semantic: SemanticSpec) -> dict[str, Any]:
        table: dict[str, Any] = {"name": semantic.name, "source": semantic.source}
        primary = semantic.primary_entity()
        if primary is not None:
            table["primary_key"] = str(primary.get("expr") or primary["name"])
            if not _is_column(table["primary_key"]):
                del table["primary_key"]
        if semantic.time_dimension:
            table["time_dimension"] = semantic.time_dimension
        texts = _texts(semantic.spec)
        if texts.get("description"):
            table["description"] = texts["description"]
        return table

    def relationships(self) -> list[dict[str, str]]:
        owners: dict[str, list[tuple[SemanticSpec, str]]] = {}
        for semantic in self.semantics:
            for entity in semantic.items("entities"):
                if entity.get("type") in ("primary", "unique", "natural"):
                    owners.setdefault(entity["name"], []).append(
                        (semantic, str(entity.get("expr") or entity["name"]))
                    )
        found: list[dict[str, str]] = []
        for semantic in self.semantics:
            for entity in semantic.items("entities"):
                if entity.get("type") != "foreign":
                    continue
                targets = [t for t in owners.get(entity["name"], []) if t[0] is not semantic]
                column = str(entity.get("expr") or entity["name"])
                if not targets:
                    self.report.append(
                        f"entity '{entity['name']}' of '{semantic.name}': no semantic model has it as primary, no join"
                    )
                    continue
                if not _is_column(column) or not _is_column(targets[0][1]):
                    self.report.append(
                        f"entity '{entity['name']}' of '{semantic.name}': joins on an expression, not a column"
                    )
                    continue
                if len(targets) > 1:
                    self.report.append(
                        f"entity '{entity['name']}' is primary in several models; '{semantic.name}' joins the first, {targets[0][0].name}"
                    )
                target, key = targets[0]
                found.append(
                    {"from": f"{semantic.name}.{column}", "to": f"{target.name}.{key}", "type": "many_to_one"}
                )
        return found

    def dimensions(self) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for semantic in self.semantics:
            for dimension in semantic.items("dimensions"):
                name = _identifier(dimension["name"])
                kind = "time" if dimension.get("type") == "time" else "categorical"
                expr = str(dimension.get("expr") or dimension["name"])
                try:
                    parse_expression(expr)
                except ExpressionError as error:
                    self.report.append(
                        f"dimension '{dimension['name']}' of '{semantic.name}': expression {expr!r} {error}"
                    )
                    continue
                current = merged.get(name)
                if current is not None and current["type"] != kind:
                    name = f"{semantic.name}__{name}"
                    current = None
                if current is None:
                    current = merged[name] = {"name": name, "type": kind, "on": {}, **_texts(dimension)}
                current["on"][semantic.name] = expr
                if kind == "time":  # the coarsest granularity of the merged dimensions is the finest grain
                    finest = self.granularity(name, dimension)
                    current["grains"] = list(
                        GRAINS[max(finest, GRAINS.index(current.get("grains", GRAINS)[0])) :]
                    )
        for dimension in merged.values():
            if dimension["type"] == "categorical":
                del dimension["type"]
            if len(dimension["on"]) == 1:  # the shorthand: table (and expr when it is not the name)
                ((table, expr),) = dimension.pop("on").items()
                dimension["table"] = table
                if expr != dimension["name"]:
                    dimension["expr"] = expr
            if dimension.get("grains") == list(GRAINS):
                del dimension["grains"]
        return list(merged.values())

    def granularity(self, name: str, dimension: dict[str, Any]) -> int:
        """The index in GRAINS of a time dimension's granularity (day when unknown, reported)."""
        grain = str((dimension.get("type_params") or {}).get("time_granularity") or "day").lower()
        if grain not in GRAINS:
            self.report.append(f"dimension '{name}': time granularity '{grain}' read as day")
            grain = "day"
        return GRAINS.index(grain)

    def attributes(self, taken: set[str]) -> list[dict[str, Any]]:
        """The primary keys, for detail lists."""
        attributes = []
        for semantic in self.semantics:
            primary = semantic.primary_entity()
            if primary is None:
                continue
            name = _identifier(primary["name"])
            if name in taken or name in self.metrics:
                name = f"{semantic.name}_{name}"
            taken.add(name)
            attributes.append(
                {"name": name, "table": semantic.name, "expr": str(primary.get("expr") or primary["name"])}
            )
        return attributes

    # --- metrics -----------------------------------------------------------------------------------

    def convert_metrics(self, specs: Iterable[tuple[dict[str, Any], Path]]) -> None:
        pending = list(specs)
        names = {m["name"] for m, _ in pending}
        for name, (semantic, measure) in self.measures.items():  # `create_metric: true` measures
            if measure.get("create_metric") and name not in names:
                pending.append(
                    ({"name": name, "type": "simple", "type_params": {"measure": name}}, semantic.file)
                )
        for spec, _ in [p for p in pending if str(p[0].get("type", "simple")).lower() == "simple"]:
            self.simple(spec)
        rest = [p[0] for p in pending if str(p[0].get("type", "simple")).lower() != "simple"]
        while rest:  # ratio and derived metrics may build on each other: convert as inputs become ready
            ready = [m for m in rest if self.inputs_known(m) or not self.inputs_pending(m, rest)]
            if not ready:
                ready = rest
            for spec in ready:
                self.compound(spec)
            rest = [m for m in rest if m not in ready]

    def simple(self, spec: dict[str, Any]) -> None:
        name = str(spec["name"])
        params = spec.get("type_params") or {}
        reference = params.get("measure")
        measure_filter = None
        if isinstance(reference, dict):
            measure_filter = reference.get("filter")
            for ignored in ("fill_nulls_with", "join_to_timespine"):
                if reference.get(ignored) is not None and reference.get(ignored) is not False:
                    self.report.append(
                        f"metric '{name}': {ignored} is ignored (chatbi shows no value for empty periods)"
                    )
            reference = reference.get("name")
        found = self.measures.get(str(reference))
        if found is None:
            self.report.append(f"metric '{name}': unknown measure '{reference}'")
            return
        semantic, measure = found
        if measure.get("non_additive_dimension"):
            self.report.append(
                f"metric '{name}': measure '{measure['name']}' is semi-additive (non_additive_dimension "
                f"{_name_of(measure['non_additive_dimension'])}); chatbi has no such aggregation, so it is left out"
            )
            return
        agg = str(measure.get("agg", "")).lower()
        if agg not in _AGGREGATIONS:
            self.report.append(
                f"metric '{name}': aggregation '{agg}' of measure '{measure['name']}' is not supported"
            )
            return
        metric: dict[str, Any] = {
            "name": _identifier(name),
            "table": semantic.name,
            "agg": _AGGREGATIONS[agg],
        }
        expr: str | None = str(measure.get("expr") or measure["name"])
        condition = None
        if agg == "sum_boolean":
            condition, expr = f"({expr})", None
        elif agg == "sum" and str(expr).strip() == "1":
            metric["agg"], expr = "count", None
        elif agg == "count" and str(expr).strip() in ("1", "*"):
            expr = None
        if agg == "percentile":
            options = measure.get("agg_params") or {}
            metric["percentile"] = options.get("percentile")
            if options.get("use_discrete_percentile"):
                self.report.append(f"metric '{name}': a discrete percentile, computed as a continuous one")
        if expr is not None:
            try:
                parse_expression(expr)
            except ExpressionError as error:
                self.report.append(f"metric '{name}': measure expression {expr!r} {error}")
                return
            metric["expr"] = expr
        time = measure.get("agg_time_dimension")
        if time and time != semantic.time_dimension:
            self.report.append(
                f"metric '{name}': counts on {time} in dbt; chatbi filters {semantic.name} by {semantic.time_dimension}"
            )
        try:
            filters = [
                self.filter(semantic, f) for f in _filters(measure_filter) + _filters(spec.get("filter"))
            ]
        except UntranslatableFilter as error:
            self.report.append(f"metric '{name}': filter not carried over, so neither is the metric: {error}")
            return
        condition = combine(condition, *filters)
        if condition:
            metric["filter"] = condition
        self.metrics[metric["name"]] = {**metric, **_texts(spec, measure)}

    def compound(self, spec: dict[str, Any]) -> None:
        name = str(spec["name"])
        kind = str(spec.get("type", "")).lower()
        params = spec.get("type_params") or {}
        if kind in ("cumulative", "conversion"):
            self.report.append(f"metric '{name}': {kind} metrics are not supported by chatbi")
            return
        if kind not in ("ratio", "derived"):
            self.report.append(f"metric '{name}': unknown metric type '{kind}'")
            return
        try:
            if kind == "ratio":
                numerator = self.input(name, "numerator", params.get("numerator"), spec.get("filter"))
                denominator = self.input(name, "denominator", params.get("denominator"), spec.get("filter"))
                metric = {
                    "name": _identifier(name),
                    "type": "ratio",
                    "numerator": numerator,
                    "denominator": denominator,
                }
            else:
                metric = {
                    "name": _identifier(name),
                    "type": "derived",
                    "expr": self.derived_expression(name, params, spec.get("filter")),
                }
        except _Skip as skip:
            self.report.append(f"metric '{name}': {skip}")
            return
        self.metrics[metric["name"]] = {**metric, **_texts(spec)}

    def input(self, owner: str, role: str, reference: Any, outer_filter: Any) -> str:
        """The chatbi metric an input names; a filtered input becomes a hidden filtered copy."""
        spec = reference if isinstance(reference, dict) else {"name": reference}
        if spec.get("offset_window") or spec.get("offset_to_grain"):
            raise _Skip("offsets (offset_window / offset_to_grain) are not supported")
        name = _identifier(str(spec.get("name")))
        if name not in self.metrics:
            raise _Skip(f"depends on '{spec.get('name')}', which was not carried over")
        filters = _filters(outer_filter) + _filters(spec.get("filter"))
        if not filters:
            return name
        base = self.metrics[name]
        if "table" not in base:
            raise _Skip(f"a filter on '{name}', which is not a simple metric")
        semantic = self.by_name[base["table"]]
        try:
            condition = combine(base.get("filter"), *(self.filter(semantic, f) for f in filters))
        except UntranslatableFilter as error:
            raise _Skip(f"filter not carried over: {error}") from None
        copy = _identifier(f"{owner}__{role}")
        self.metrics[copy] = {**base, "name": copy, "filter": condition, "hidden": True}
        return copy

    def derived_expression(self, name: str, params: dict[str, Any], outer_filter: Any) -> str:
        expression = str(params.get("expr") or "")
        inputs = {}
        for index, reference in enumerate(params.get("metrics") or []):
            spec = reference if isinstance(reference, dict) else {"name": reference}
            alias = str(spec.get("alias") or spec.get("name"))
            inputs[alias] = self.input(name, f"input{index + 1}", spec, outer_filter)
        try:
            tree = parse_expression(expression)
        except ExpressionError as error:
            raise _Skip(f"expression {expression!r} {error}") from None
        unknown = [c.name for c in tree.find_all(exp.Column) if c.name not in inputs]
        if unknown:
            raise _Skip(f"expression {expression!r} names {', '.join(unknown)}, which are not its metrics")
        renamed = tree.transform(
            lambda node: exp.column(inputs[node.name]) if isinstance(node, exp.Column) else node
        )
        return renamed.sql(dialect="duckdb")

    def inputs_known(self, spec: dict[str, Any]) -> bool:
        return all(_identifier(n) in self.metrics for n in _input_names(spec))

    def inputs_pending(self, spec: dict[str, Any], rest: list[dict[str, Any]]) -> bool:
        waiting = {str(m["name"]) for m in rest if m is not spec}
        return any(n in waiting for n in _input_names(spec))

    def filter(self, semantic: SemanticSpec, text: str) -> str:
        def resolve(kind: str, reference: str) -> str | None:
            *path, leaf = reference.split("__")
            if leaf == "metric_time" and not path:
                leaf = semantic.time_dimension or leaf
            primary = semantic.primary_entity()
            own = {primary["name"]} if primary else set()
            if path and (len(path) > 1 or path[0] not in own):
                return None
            return semantic.column_of(kind, leaf)

        return translate_filter(text, resolve)


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases (a label shared by two metrics is written twice)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _Skip(Exception):
    """A metric that cannot be carried over; the message says why."""


def _filters(value: Any) -> list[str]:
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _input_names(spec: dict[str, Any]) -> list[str]:
    params = spec.get("type_params") or {}
    found = [params.get("numerator"), params.get("denominator"), *(params.get("metrics") or [])]
    return [str(f.get("name") if isinstance(f, dict) else f) for f in found if f]


def _texts(*specs: dict[str, Any]) -> dict[str, Any]:
    """label and description (English) from the first spec that has them."""
    texts: dict[str, Any] = {}
    for key in ("label", "description"):
        value = next((s.get(key) for s in specs if s.get(key)), None)
        if value:
            texts[key] = {"en": " ".join(str(value).split())}
    return texts


def _name_of(value: Any) -> str:
    return str(value.get("name")) if isinstance(value, dict) else str(value)


def _is_column(sql: str) -> bool:
    try:
        return isinstance(parse_expression(sql), exp.Column)
    except ExpressionError:
        return False


def _identifier(text: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower() or "model"
    return name if not name[0].isdigit() else f"m_{name}"

"""Load a semantic model from YAML and check it, with errors that name the file, line and field.

Checks run in three passes: YAML syntax, the shape of each entry (pydantic), then cross-references
(tables, joins, metric inputs, expressions, verified questions), each failing with the closest valid
name as a suggestion.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ModelError, QueryError, closest
from .expressions import ExpressionError, columns_of, parse_expression
from .model import (
    METRIC_TYPES,
    DerivedMetric,
    Metric,
    RatioMetric,
    SemanticModel,
    SimpleMetric,
    SnapshotMetric,
)
from .periods import check_period

DEMO_MODEL_PATH = Path(__file__).parent / "demo" / "after_sales.yaml"
Path_ = tuple[str | int, ...]


def load_model(path: str | Path | None = None) -> SemanticModel:
    """Load and check the model at `path` (the bundled after-sales model when None)."""
    path = Path(path) if path is not None else DEMO_MODEL_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ModelError(f"cannot read the model file ({error.strerror})", file=str(path)) from None
    return parse_model(text, file=str(path))


def parse_model(text: str, *, file: str = "<model>") -> SemanticModel:
    """Build and check a SemanticModel from YAML text; `file` is only used in error messages."""
    data, lines = _read_yaml(text, file)
    if not isinstance(data, dict):
        raise ModelError(
            "the model must be a YAML mapping (name:, tables:, metrics:, ...)", file=file, line=1
        )
    try:
        model = SemanticModel.model_validate(data)
    except ValidationError as error:
        raise _shape_error(error, data, lines, file) from None
    _ReferenceCheck(model, lines, file).run()
    return model


# --- YAML with line numbers ----------------------------------------------------------------------


def _read_yaml(text: str, file: str) -> tuple[Any, dict[Path_, int]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        raise ModelError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as error:
        raise ModelError(f"YAML syntax error: {error}", file=file) from None
    lines: dict[Path_, int] = {}
    if root is not None:
        _index_lines(root, (), lines, file)
    return data, lines


def _index_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ModelError(
                    f"duplicate key '{key}'",
                    file=file,
                    line=key_node.start_mark.line + 1,
                    field=_dotted(path),
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*path, key), lines, file)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, file)


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


# --- pass 2: shape ---------------------------------------------------------------------------------


def _shape_error(error: ValidationError, data: Any, lines: dict[Path_, int], file: str) -> ModelError:
    first = error.errors()[0]
    path = _data_path(first["loc"], data)
    message = first["msg"].removeprefix("Value error, ")
    suggestions: list[str] = []
    if first["type"] == "extra_forbidden":
        name = str(path[-1])
        valid = _field_names_at(path[:-1], data)
        message = f"unknown field '{name}'"
        suggestions = closest(name, valid)
        if not suggestions and valid:
            message += f" (valid fields: {', '.join(sorted(valid))})"
    elif first["type"] == "missing":
        message = f"missing required field '{path[-1]}'"
    elif first["type"] in ("literal_error", "enum") and isinstance(first.get("input"), str):
        expected = [
            e.strip(" '")
            for e in str(first.get("ctx", {}).get("expected", "")).replace(" or ", ",").split(",")
        ]
        suggestions = closest(first["input"], [e for e in expected if e])
        message = f"'{first['input']}' is not one of {', '.join(expected)}"
    elif first["type"] == "union_tag_invalid":
        message = f"unknown metric type '{first.get('input', {}).get('type')}'"
        suggestions = closest(str(first.get("input", {}).get("type")), METRIC_TYPES)
    return ModelError(
        message, file=file, line=_line_of(path, lines), field=_dotted(path), suggestions=suggestions
    )


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """pydantic's error location mapped onto the YAML data (discriminator tags dropped)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and part in METRIC_TYPES:
            continue  # the tag pydantic adds for discriminated unions
        else:
            path.append(part)
            node = None
    return tuple(path)


def _field_names_at(path: Path_, data: Any) -> list[str]:
    """The keys a YAML mapping at `path` may have, found by walking the model's types."""
    cls: Any = SemanticModel
    node = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            node = node[part]
        else:
            node = None
        cls = _element_type(cls, part, node)
        if cls is None:
            return []
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return [f.alias or name for name, f in cls.model_fields.items()]
    return []


def _element_type(cls: Any, part: str | int, node: Any) -> Any:
    if isinstance(part, int):
        return _pick(cls, node)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        for name, info in cls.model_fields.items():
            if part in (name, info.alias):
                return _pick(info.annotation, node)
    return None


def _pick(annotation: Any, node: Any) -> Any:
    """The model class inside an annotation such as `tuple[X, ...]`, `X | None` or a tagged union."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _pick(typing.get_args(annotation)[0], node)
    if origin in (tuple, list):
        return typing.get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        members = [
            _pick(a, node) if typing.get_origin(a) is typing.Annotated else a
            for a in typing.get_args(annotation)
        ]
        models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
        tag = node.get("type", "simple") if isinstance(node, dict) else None
        for candidate in models:
            field = candidate.model_fields.get("type")
            if field is None or tag is None or tag in typing.get_args(field.annotation):
                return candidate
    return annotation


# --- pass 3: references --------------------------------------------------------------------------


class _ReferenceCheck:
    def __init__(self, model: SemanticModel, lines: dict[Path_, int], file: str) -> None:
        self.model = model
        self.lines = lines
        self.file = file

    def fail(self, path: Path_, message: str, suggestions: list[str] | None = None) -> ModelError:
        return ModelError(
            message, file=self.file, line=_line_of(path, self.lines), field=_dotted(path),
            suggestions=suggestions or [],
        )  # fmt: skip

    def run(self) -> None:
        self.check_unique_names()
        self.check_calendar()
        self.check_tables_and_joins()
        self.check_dimensions_and_attributes()
        self.check_metrics()
        self.check_policies()
        self.check_verified_questions()

    def table_ref(self, path: Path_, name: str) -> None:
        if name not in self.model.tables_by_name:
            raise self.fail(path, f"unknown table '{name}'", closest(name, self.model.tables_by_name))

    def expression(self, path: Path_, sql: str, *, aggregates: bool = False) -> None:
        try:
            parse_expression(sql, allow_aggregates=aggregates)
        except ExpressionError as error:
            raise self.fail(path, f"expression '{sql}' {error}") from None

    def check_unique_names(self) -> None:
        seen: dict[str, str] = {}
        for section in ("tables", "dimensions", "attributes", "metrics"):
            for index, item in enumerate(getattr(self.model, section)):
                key = ("table:" if section == "tables" else "field:") + item.name
                if key in seen:
                    raise self.fail(
                        (section, index, "name"), f"duplicate name '{item.name}' (also in {seen[key]})"
                    )
                seen[key] = section

    def check_calendar(self) -> None:
        try:
            ZoneInfo(self.model.calendar.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                ("calendar", "timezone"), f"unknown timezone '{self.model.calendar.timezone}'"
            ) from None
        if self.model.default_time_range:
            try:
                check_period(self.model.default_time_range)
            except QueryError as error:
                raise self.fail(("default_time_range",), error.message, error.suggestions) from None

    def check_tables_and_joins(self) -> None:
        for index, relationship in enumerate(self.model.relationships):
            self.table_ref(("relationships", index, "from"), relationship.from_table)
            self.table_ref(("relationships", index, "to"), relationship.to_table)
        dims = self.model.dimensions_by_name
        for index, table in enumerate(self.model.tables):
            if table.time_dimension is None:
                continue
            path: Path_ = ("tables", index, "time_dimension")
            dim = dims.get(table.time_dimension)
            if dim is None or dim.type != "time":
                valid = [d.name for d in self.model.dimensions if d.type == "time"]
                raise self.fail(
                    path,
                    f"'{table.time_dimension}' is not a time dimension",
                    closest(table.time_dimension, valid),
                )
            from .joins import find_path  # late import: joins needs a loaded model

            if find_path(self.model, table.name, dim) is None:
                raise self.fail(
                    path, f"time dimension '{dim.name}' is not defined on or reachable from '{table.name}'"
                )

    def check_dimensions_and_attributes(self) -> None:
        for index, dim in enumerate(self.model.dimensions):
            for table, sql in dim.on.items():
                self.table_ref(("dimensions", index, "on", table), table)
                self.expression(("dimensions", index, "on", table), sql)
        for index, attribute in enumerate(self.model.attributes):
            self.table_ref(("attributes", index, "table"), attribute.table)
            self.expression(("attributes", index, "expr"), attribute.sql)

    def check_metrics(self) -> None:
        names = self.model.metrics_by_name
        for index, metric in enumerate(self.model.metrics):
            path: Path_ = ("metrics", index)
            if isinstance(metric, SimpleMetric | SnapshotMetric):
                self.table_ref((*path, "table"), metric.table)
            if isinstance(metric, SimpleMetric):
                if metric.expr:
                    self.expression((*path, "expr"), metric.expr)
            elif isinstance(metric, SnapshotMetric):
                self.expression((*path, "start"), metric.start)
                self.expression((*path, "end"), metric.end)
            if isinstance(metric, SimpleMetric | SnapshotMetric) and metric.filter:
                self.expression((*path, "filter"), metric.filter)
            for key, ref in _inputs(metric):
                if ref not in names:
                    raise self.fail((*path, key), f"unknown metric '{ref}'", closest(ref, names))
            if isinstance(metric, DerivedMetric):
                self.expression((*path, "expr"), metric.expr)
        for index, metric in enumerate(self.model.metrics):
            self.check_no_cycle(metric, ("metrics", index), [])

    def check_no_cycle(self, metric: Metric, path: Path_, stack: list[str]) -> None:
        if metric.name in stack:
            raise self.fail(path, "metric refers to itself: " + " -> ".join([*stack, metric.name]))
        for _, ref in _inputs(metric):
            self.check_no_cycle(self.model.metrics_by_name[ref], path, [*stack, metric.name])

    def check_policies(self) -> None:
        for index, policy in enumerate(self.model.access_policies):
            name = policy.filter.dimension
            if name not in self.model.dimensions_by_name:
                raise self.fail(
                    ("access_policies", index, "filter", "dimension"), f"unknown dimension '{name}'",
                    closest(name, self.model.dimensions_by_name),
                )  # fmt: skip

    def check_verified_questions(self) -> None:
        from .query import SemanticQuery
        from .resolve import resolve_query  # late import: resolution needs a loaded model

        for index, verified in enumerate(self.model.verified_questions):
            path: Path_ = ("verified_questions", index, "query")
            try:
                resolve_query(self.model, SemanticQuery.model_validate(verified.query))
            except ValidationError as error:
                first = error.errors()[0]
                raise self.fail((*path, *first["loc"]), first["msg"].removeprefix("Value error, ")) from None
            except QueryError as error:
                raise self.fail(path, error.message, error.suggestions) from None


def _inputs(metric: Metric) -> Iterator[tuple[str, str]]:
    """(field, metric name) for each metric this one is computed from."""
    if isinstance(metric, RatioMetric):
        yield "numerator", metric.numerator
        yield "denominator", metric.denominator
    elif isinstance(metric, DerivedMetric):
        try:
            tree = parse_expression(metric.expr)
        except ExpressionError:
            return
        for name in sorted(columns_of(tree)):
            yield "expr", name

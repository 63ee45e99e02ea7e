"""How fresh the data is: the latest timestamp of each table's time dimension."""

from __future__ import annotations

from sqlglot import exp

from .engine import Engine
from .expressions import parse_expression, qualify
from .model import SemanticModel


def data_as_of(model: SemanticModel, engine: Engine) -> str | None:
    """The latest time in the data (ISO), over the tables whose time dimension is their own column."""
    latest: list[str] = []
    for table in model.tables:
        if not table.time_dimension:
            continue
        dimension = model.dimension(table.time_dimension)
        if table.name not in dimension.on:
            continue
        column = qualify(parse_expression(dimension.on[table.name]), table.name)
        source = exp.to_table(table.source)
        source.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
        query = exp.select(exp.Max(this=column)).from_(source)
        value = engine.execute(query.sql(dialect=engine.dialect)).rows[0][0]
        if value is not None:
            latest.append(str(value))
    return max(latest) if latest else None

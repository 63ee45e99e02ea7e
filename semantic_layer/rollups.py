"""Rollups: additive metrics pre-aggregated by day and a few dimensions, in the product's own DuckDB file.

A rollup holds, for one table, the *building blocks* of its additive metrics (a count; a sum; a min or
max; the sum and the count of non-null values of an average) grouped by the day of the table's time
dimension and a set of dimensions. It is built from a SemanticQuery over the base tables compiled by
the compiler itself, so the day, the joins and every dimension's expression are exactly the base's.

A query is answered from rollups only when that gives the same rows as the base tables: every metric
reduces to blocks (ratios and derived metrics over them too; never percentiles, medians, distinct
counts or snapshots), and every dimension, filter and access-policy dimension it needs is a column of a
rollup. It is then compiled by the same compiler against a *rollup model* (each table's source replaced
by its smallest covering rollup, each dimension by its column, the time dimension by the day) with each
metric re-aggregated from its blocks, so grains, week start, ranges, compare, HAVING, order and limit
take the very code path the base query takes.

Which rollups: one by day alone; one by day and the access-policy dimensions (restricted users can
only use rollups holding them); then, for each other dimension, one by day, it, the dimensions it
determines in the data (a city its province and region) and the policy dimensions -- or without the
policy dimensions when that is too big. A rollup is kept only when it has at most a tenth of its base
table's rows (`max_fraction`): smaller gains are not worth a second copy. Most questions group by at
most one dimension, so this covers them, while a single wide rollup would have nearly as many rows as
the base (day x region x channel x priority is 38% of 200k tickets, 12% of 1M). The bigger the data,
the more rollups fit: with more tickets per day, a day's groups hold more tickets each.

The analytics database is only ever attached read-only; the rollups file is written under a temporary
name and renamed, and records what it was built from (the source file's path, size and modification
time, a hash of the model's definitions): `Rollups.open` refuses a stale one.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import itertools
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from .compiler import CompiledQuery, compile_query
from .dialects import render
from .engine import DuckDBEngine, DuckDBSettings
from .errors import ExecutionError, SemanticLayerError
from .expressions import parse_expression, qualify
from .identity import Identity, RowFilter, row_filters
from .joins import find_path
from .model import Attribute, Dimension, SemanticModel, SimpleMetric
from .query import DimensionRef, SemanticQuery
from .resolve import ResolvedQuery, resolve_query, time_dimension

FORMAT_VERSION = 1
"""Bumped whenever what a rollups file holds or means changes: older files are rebuilt."""
METADATA_TABLE = "rollup_metadata"
DAY_COLUMN = "__day"
DEFAULT_MAX_FRACTION = 0.1
"""A rollup is kept only when it has at most this share of its base table's rows."""
ROLLED_UP = ("count", "sum", "min", "max", "avg")
ABANDONED_AFTER = 3600.0
"""Seconds after which a build's temporary file that nobody writes is taken for a killed build's."""
_TIME_TYPES = ("DATE", "TIMESTAMP")
_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_OUT = "rollup_out"
_VIEWS = threading.Lock()
_SOURCE = "analytics"


@dataclass(frozen=True)
class RollupTable:
    """One rollup: `table`'s blocks by day and `dimensions`, stored as table `name`."""

    name: str
    table: str
    dimensions: tuple[str, ...]
    rows: int


def block_columns(leaf: SimpleMetric) -> tuple[str, ...]:
    """The rollup columns `leaf` is re-aggregated from: its sum and non-null count for an average."""
    if leaf.agg == "avg":
        return (f"__s_{leaf.name}", f"__n_{leaf.name}")
    return (f"__m_{leaf.name}",)


def reaggregate(leaf: SimpleMetric, blocks: Mapping[str, str] | None = None) -> exp.Expr:
    """`leaf` computed from its blocks in the rollup standing for its table (the compiler's hook).
    `blocks`: metrics that are not rolled up themselves but equal a block of one that is (name ->
    block column), e.g. a count of an average's values."""
    if blocks and leaf.name in blocks:
        return _total(leaf.agg, exp.column(blocks[leaf.name], table=leaf.table, quoted=True))
    columns = block_columns(leaf)
    column = exp.column(columns[0], table=leaf.table, quoted=True)
    if leaf.agg == "avg":
        count = exp.column(columns[1], table=leaf.table, quoted=True)
        return exp.Div(
            this=exp.cast(exp.Sum(this=column), exp.DataType.Type.DOUBLE),
            expression=exp.Nullif(this=exp.Sum(this=count), expression=exp.Literal.number(0)),
        )
    return _total(leaf.agg, column)


def _total(agg: str, column: exp.Column) -> exp.Expr:
    """A block column of aggregate `agg` re-aggregated over the rollup's rows."""
    if agg == "count":  # COUNT's type, and 0 rather than NULL over no rows
        summed = exp.Coalesce(this=exp.Sum(this=column), expressions=[exp.Literal.number(0)])
        return exp.cast(summed, exp.DataType.Type.BIGINT)
    return {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[agg](this=column)


def _block_metrics(model: SemanticModel, leaves: Collection[str]) -> dict[tuple[Any, ...], str]:
    """(table, agg, expr, filter) of every block of `leaves` -> its column."""
    found: dict[tuple[Any, ...], str] = {}
    for name in leaves:
        leaf = model.metric(name)
        assert isinstance(leaf, SimpleMetric)
        aggs = ("sum", "count") if leaf.agg == "avg" else (leaf.agg,)
        for agg, column in zip(aggs, block_columns(leaf), strict=True):
            found[(leaf.table, agg, leaf.expr, leaf.filter)] = column
    return found


class Rollups:
    """Rollup tables in their own read-only DuckDB file, and the compiler that routes queries to them."""

    def __init__(
        self,
        model: SemanticModel,
        engine: DuckDBEngine,
        rollups: Sequence[RollupTable],
        leaves: dict[str, frozenset[str]],
        info: dict[str, Any],
    ) -> None:
        self.model = model
        self.engine = engine
        self.rollups = tuple(rollups)
        self.tables = frozenset(r.name for r in self.rollups)
        """The rollup tables: the only tables queries compiled here read."""
        self.leaves = leaves
        """Per base table, the simple metrics its rollups hold blocks for."""
        self.info = info
        """What was recorded at build time: fingerprint, `build_id`, `built_at`, `build_seconds`."""
        self._models: dict[tuple[tuple[str, str], ...], SemanticModel] = {}
        self._closed = False
        self._blocks: dict[str, str] = {}
        """In a view from `for_model`: its helper metrics that equal a block (name -> block column)."""
        self._parent: Rollups | None = None
        self._views: dict[int, Rollups] = {}

    # --- building and opening -----------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        model: SemanticModel,
        source: Path,
        out: Path,
        *,
        progress: Callable[[str], None] | None = None,
        settings: DuckDBSettings | None = None,
        max_fraction: float = DEFAULT_MAX_FRACTION,
        dimensions: Collection[str] | None = None,
    ) -> Rollups:
        """Build the rollups of `model` over the analytics database `source` (attached read-only) into
        `out`, written under a temporary name and renamed; `progress` hears one line per step.

        `dimensions` limits what rollups group by (None: every dimension each table reaches; access-
        policy dimensions are always included); a rollup is kept when it has at most `max_fraction`
        of its table's rows."""
        say = progress or (lambda _: None)
        started = time.perf_counter()
        source, out = Path(source), Path(out)
        fingerprint = _fingerprint(model, source)
        build_id = uuid.uuid4().hex
        temporary = out.with_name(f".{out.name}.{build_id}.tmp")
        _remove_abandoned(out)
        failure: str | None = None
        with _running() as run:
            try:
                rollups, info = _build_file(
                    model, source, temporary, settings, run, say, max_fraction, dimensions, started,
                    {**fingerprint, "build_id": build_id},
                )  # fmt: skip
                os.replace(temporary, out)
            except duckdb.Error as error:
                failure = f"cannot build rollups: {_first_line(error)}"
            except ExecutionError as error:
                failure = str(error)
            finally:
                for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            # Leaving the except clauses dropped the error and its frames, and with them the last
            # references to the build's DuckDB connection: it is destroyed here, before an exiting
            # process stops waiting (a daemon thread destroying one during finalization aborts it).
        if failure is not None:
            if _EXITING.is_set():
                failure = "the rollups build stopped: the process is exiting"
            raise ExecutionError(failure)
        opened = cls.open(model, source, out, settings=settings)
        if opened is None or opened.info.get("build_id") != build_id:
            if opened is not None:
                opened.close()
            raise ExecutionError(f"the database {source} changed while its rollups were built; build again")
        say(f"rollups: {len(rollups)} tables, {opened.size_bytes:,} bytes in {info['build_seconds']} s")
        return opened

    @classmethod
    def open(
        cls, model: SemanticModel, source: Path, out: Path, *, settings: DuckDBSettings | None = None
    ) -> Rollups | None:
        """The rollups at `out` when they were built from `source` as it is now and from `model`; None
        when they are missing, unreadable or stale."""
        out = Path(out)
        if not out.is_file():
            return None
        try:
            expected = _fingerprint(model, Path(source))
            engine = DuckDBEngine(out, settings)
        except ExecutionError:
            return None
        try:
            info = _read_metadata(engine)
            if any(info.get(key) != value for key, value in expected.items()):
                engine.close()
                return None
            rollups = [RollupTable(**{**r, "dimensions": tuple(r["dimensions"])}) for r in info["rollups"]]
            leaves = {table: frozenset(names) for table, names in info["leaves"].items()}
            if not {r.name for r in rollups} <= engine.tables:
                engine.close()
                return None
        except (ExecutionError, KeyError, TypeError, ValueError):
            engine.close()
            return None
        return cls(model, engine, rollups, leaves, info)

    def close(self) -> None:
        self._closed = True
        self.engine.close()

    @property
    def closed(self) -> bool:
        return self._closed or (self._parent is not None and self._parent.closed)

    def for_model(self, model: SemanticModel) -> Rollups:
        """These rollups serving `model`: their own model plus helper metrics an analysis adds (see
        `SemanticLayer.extended`). A helper equal to a block -- a count of an average's values is the
        average's count block -- is answered from it; any other helper keeps its queries on the base."""
        if model is self.model:
            return self
        with _VIEWS:
            view = self._views.get(id(model))
            if view is not None and view.model is model:
                return view
            blocks = {table: _block_metrics(self.model, names) for table, names in self.leaves.items()}
            helpers: dict[str, str] = {}
            for metric in model.metrics:
                if isinstance(metric, SimpleMetric) and metric.name not in self.model.metrics_by_name:
                    column = blocks.get(metric.table, {}).get(
                        (metric.table, metric.agg, metric.expr, metric.filter)
                    )
                    if column is not None:
                        helpers[metric.name] = column
            leaves = {
                table: names | {h for h in helpers if model.metric(h).table == table}  # type: ignore[union-attr]
                for table, names in self.leaves.items()
            }
            view = Rollups(model, self.engine, self.rollups, leaves, self.info)
            view._blocks = helpers
            view._parent = self
            self._views[id(model)] = view
        return view

    @property
    def size_bytes(self) -> int:
        return self.engine.path.stat().st_size

    # --- routing ------------------------------------------------------------------------------------

    def compile(
        self, query: SemanticQuery, identity: Identity | None, *, today: date, detail_limit: int
    ) -> CompiledQuery | None:
        """`query` compiled over the rollups when they answer it exactly as the base tables would (each
        table from its smallest covering rollup); None when it must run on the base tables."""
        if self.closed or query.is_detail:
            return None
        try:
            resolved = resolve_query(self.model, query)
            policies = row_filters(self.model, identity) if identity is not None else []
            choice = self._choose(resolved, policies)
            if choice is None:
                return None
            return compile_query(
                self._rollup_model(choice),
                query,
                identity=identity,
                today=today,
                dialect=self.engine.dialect,
                detail_limit=detail_limit,
                aggregate=functools.partial(reaggregate, blocks=self._blocks),
            )
        except SemanticLayerError:
            return None  # the base path reports the error in its own words

    def _choose(
        self, resolved: ResolvedQuery, policies: list[RowFilter]
    ) -> tuple[tuple[str, str], ...] | None:
        """(base table, rollup table) for each table the query's metrics aggregate, or None."""
        choice = []
        for table in sorted({leaf.table for leaf in resolved.leaves}):
            leaves = self.leaves.get(table, frozenset())
            if any(
                not isinstance(leaf, SimpleMetric) or leaf.name not in leaves
                for leaf in resolved.leaves
                if leaf.table == table
            ):
                return None
            needed = self._needed(table, resolved, policies)
            if needed is None:
                return None
            covering = [r for r in self.rollups if r.table == table and needed <= set(r.dimensions)]
            if not covering:
                return None
            best = min(covering, key=lambda r: (r.rows, len(r.dimensions), r.name))
            choice.append((table, best.name))
        return tuple(choice)

    def _needed(
        self, table: str, resolved: ResolvedQuery, policies: list[RowFilter]
    ) -> frozenset[str] | None:
        """The dimensions a rollup of `table` must hold for the query: grouped, filtered, and every
        access-policy dimension the base would filter `table` by; None when a rollup cannot serve."""
        time_name = self.model.table(table).time_dimension
        needed: set[str] = set()
        for ref, dim in resolved.dimensions:
            if dim.type == "time":
                if ref.grain is None or dim.name != time_name:  # raw timestamps or another clock
                    return None
            else:
                needed.add(dim.name)
        for condition in resolved.query.filters:
            if condition.metric is not None:
                continue  # HAVING: computed from the metrics themselves
            target = self.model.field(condition.target)
            if isinstance(target, Attribute) or target.type == "time":
                return None  # record fields and times finer than a day are not in rollups
            needed.add(target.name)
        for policy in policies:
            dim = self.model.dimension(policy.dimension)
            if find_path(self.model, table, dim) is not None:
                if dim.type == "time":
                    return None
                needed.add(dim.name)
        return frozenset(needed)

    def _rollup_model(self, choice: tuple[tuple[str, str], ...]) -> SemanticModel:
        """The model with each chosen table read from its rollup: no joins, each dimension a column."""
        cached = self._models.get(choice)
        if cached is not None:
            return cached
        base = self.model
        by_name = {r.name: r for r in self.rollups}
        tables = tuple(base.table(table).model_copy(update={"source": name}) for table, name in choice)
        dimensions = []
        for dim in base.dimensions:
            on = {}
            for table, name in choice:
                if dim.name == base.table(table).time_dimension:
                    on[table] = _quoted(DAY_COLUMN)
                elif dim.name in by_name[name].dimensions:
                    on[table] = _quoted(dim.name)
            dimensions.append(dim.model_copy(update={"on": on}))
        fields = {name: getattr(base, name) for name in type(base).model_fields}
        fields.update(
            tables=tables,
            dimensions=tuple(dimensions),
            relationships=(),
            attributes=(),
            verified_questions=(),
        )
        model = SemanticModel.model_construct(**fields)
        self._models[choice] = model
        return model


# --- building --------------------------------------------------------------------------------------


class _Builder:
    """Chooses and writes the rollups of every table, one compiled base query each."""

    def __init__(
        self,
        model: SemanticModel,
        connection: duckdb.DuckDBPyConnection,
        say: Callable[[str], None],
        max_fraction: float,
        dimensions: Collection[str] | None = None,
    ) -> None:
        self.model = model
        self.connection = connection
        self.say = say
        self.max_fraction = max_fraction
        self.dimensions = None if dimensions is None else frozenset(dimensions)
        self.rollups: list[RollupTable] = []
        self.leaves: dict[str, frozenset[str]] = {}

    def run(self) -> tuple[list[RollupTable], dict[str, frozenset[str]]]:
        for table in self.model.tables:
            self.build_table(table.name)
        return self.rollups, self.leaves

    def build_table(self, table: str) -> None:
        time_dim = time_dimension(self.model, table)
        if time_dim is None or "day" not in time_dim.grains:
            return
        if self.time_type(table, time_dim) not in _TIME_TYPES:
            self.say(f"{table}: no rollups (its time dimension is not a DATE or TIMESTAMP)")
            return
        names = set(self.model.metrics_by_name) | set(self.model.dimensions_by_name)
        leaves = [
            m
            for m in self.model.metrics
            if isinstance(m, SimpleMetric)
            and m.table == table
            and m.agg in ROLLED_UP
            and not names & set(block_columns(m))
        ]
        extended = _with_blocks(self.model, leaves)
        leaves = self.numeric_leaves(extended, leaves, time_dim)
        if not leaves:
            return
        blocks = [column for leaf in leaves for column in block_columns(leaf)]
        reserved = {DAY_COLUMN, *blocks}
        reachable = [
            d.name
            for d in self.model.dimensions
            if d.type != "time" and d.name not in reserved and find_path(self.model, table, d) is not None
        ]
        policy = list(
            dict.fromkeys(
                p.filter.dimension for p in self.model.access_policies if p.filter.dimension in reachable
            )
        )
        candidates = [d for d in reachable if self.dimensions is None or d in self.dimensions or d in policy]
        base_rows = self.scalar(
            exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(self.model.table(table).source))
        )
        budget = int(self.max_fraction * base_rows)
        values, determined = self.determined(extended, blocks[0], candidates)
        tried: set[tuple[str, ...]] = set()
        for group, fallback in _groups(candidates, policy, values, determined):
            for dims in (group, fallback):
                if dims is None or dims in tried:
                    continue
                tried.add(dims)
                if self.build_rollup(extended, table, time_dim, dims, blocks, budget if dims else None):
                    break
        self.leaves[table] = frozenset(leaf.name for leaf in leaves)

    def time_type(self, table: str, time_dim: Dimension) -> str:
        path = find_path(self.model, table, time_dim)
        assert path is not None  # the loader checks every table's time dimension is reachable
        value = qualify(parse_expression(time_dim.on[path.table]), path.table)
        probe = exp.select(value).from_(_aliased(self.model, path.table)).limit(0)
        return self.types(probe)[0].split("(")[0]

    def numeric_leaves(
        self, extended: SemanticModel, leaves: list[SimpleMetric], time_dim: Dimension
    ) -> list[SimpleMetric]:
        """The leaves whose blocks have a type that re-aggregates to the base's (sums and averages of numbers)."""
        if not leaves:
            return []
        query = SemanticQuery(
            metrics=tuple(c for leaf in leaves for c in block_columns(leaf)),
            dimensions=(DimensionRef(name=time_dim.name, grain="day"),),
        )
        compiled = compile_query(extended, query).expression.limit(0)
        types = dict(zip([time_dim.name, *query.metrics], self.types(compiled), strict=True))
        return [
            leaf
            for leaf in leaves
            if leaf.agg in ("count", "min", "max")
            or all(types[c].split("(")[0] in _NUMERIC_TYPES for c in block_columns(leaf))
        ]

    def determined(
        self, extended: SemanticModel, block: str, candidates: list[str]
    ) -> tuple[dict[str, int], dict[str, set[str]]]:
        """How many values each dimension has in the table's rows, and the other dimensions each one
        determines there (a city its province and region, an agent their team), from one GROUPING SETS
        pass over every pair."""
        values: dict[str, int] = {d: 0 for d in candidates}
        result: dict[str, set[str]] = {d: set() for d in candidates}
        if len(candidates) < 2:
            return values, result
        grouped = compile_query(
            extended,
            SemanticQuery(metrics=(block,), dimensions=tuple(DimensionRef(name=d) for d in candidates)),
        ).expression
        grouped.set("order", None)
        columns = [exp.column(d, quoted=True) for d in candidates]
        pairs = list(itertools.combinations(range(len(candidates)), 2))
        query = exp.select(
            exp.Anonymous(this="GROUPING_ID", expressions=[c.copy() for c in columns]),
            *[c.copy() for c in columns],
        ).from_(grouped.subquery("combos"))
        sets = exp.GroupingSets(
            expressions=[exp.Tuple(expressions=[columns[i].copy(), columns[j].copy()]) for i, j in pairs]
        )
        query.set("group", exp.Group(grouping_sets=[sets]))
        width = len(candidates)
        seen: dict[tuple[int, int], list[tuple[Any, Any]]] = {}
        for row in _execute(self.connection, render(query, "duckdb")).fetchall():
            grouped_ = [i for i in range(width) if not (row[0] >> (width - 1 - i)) & 1]
            i, j = grouped_
            seen.setdefault((i, j), []).append((row[1 + i], row[1 + j]))
        for (i, j), pairs_seen in seen.items():
            left = {a for a, _ in pairs_seen}
            right = {b for _, b in pairs_seen}
            values[candidates[i]], values[candidates[j]] = len(left), len(right)
            if len(pairs_seen) == len(left):
                result[candidates[i]].add(candidates[j])
            if len(pairs_seen) == len(right):
                result[candidates[j]].add(candidates[i])
        return values, result

    def build_rollup(
        self,
        extended: SemanticModel,
        table: str,
        time_dim: Dimension,
        dims: tuple[str, ...],
        blocks: list[str],
        budget: int | None,
    ) -> bool:
        """Write one rollup; False (and nothing written) when it has more rows than `budget`."""
        started = time.perf_counter()
        name = f"rollup_{table}_{len(self.rollups)}"
        query = SemanticQuery(
            metrics=tuple(blocks),
            dimensions=(DimensionRef(name=time_dim.name, grain="day"), *[DimensionRef(name=d) for d in dims]),
        )
        compiled = compile_query(extended, query).expression
        compiled.set("order", None)
        day = exp.cast(exp.column(time_dim.name, quoted=True), exp.DataType.Type.TIMESTAMP)
        keys = [exp.column(DAY_COLUMN, quoted=True), *[exp.column(d, quoted=True) for d in dims]]
        select = (
            exp.select(
                exp.alias_(day, DAY_COLUMN, quoted=True),
                *[exp.column(d, quoted=True) for d in [*dims, *blocks]],
            )
            .from_(compiled.subquery("base"))
            .order_by(*[exp.Ordered(this=k, nulls_first=False) for k in keys])
        )
        target = exp.table_(name, db="main", catalog=_OUT, quoted=True)
        _execute(self.connection, render(exp.Create(this=target, kind="TABLE", expression=select), "duckdb"))
        rows = self.scalar(exp.select(exp.Count(this=exp.Star())).from_(target.copy()))
        what = f"{table} by day" + "".join(f" × {d}" for d in dims)
        seconds = time.perf_counter() - started
        if budget is not None and rows > budget:
            _execute(self.connection, render(exp.Drop(tables=[target.copy()], kind="TABLE"), "duckdb"))
            self.say(f"{what}: {rows:,} rows, over the budget of {budget:,}: left out ({seconds:.2f} s)")
            return False
        self.rollups.append(RollupTable(name, table, dims, rows))
        self.say(f"{name}: {what}: {rows:,} rows ({seconds:.2f} s)")
        return True

    def types(self, query: exp.Query) -> list[str]:
        description = _execute(self.connection, render(query, "duckdb")).description or []
        return [str(d[1]).upper() for d in description]

    def scalar(self, query: exp.Query) -> int:
        row = _execute(self.connection, render(query, "duckdb")).fetchone()
        return int(row[0]) if row else 0


def _remove_abandoned(out: Path, idle: float = ABANDONED_AFTER) -> None:
    """Delete temporary files of earlier builds of `out` that a killed process left behind: those
    untouched for `idle` seconds (a build under way writes its file all along)."""
    now = time.time()
    for leftover in out.parent.glob(f".{out.name}.*.tmp*"):
        with suppress(OSError):
            if now - leftover.stat().st_mtime > idle:
                leftover.unlink()


def _build_file(
    model: SemanticModel,
    source: Path,
    temporary: Path,
    settings: DuckDBSettings | None,
    run: _Run,
    say: Callable[[str], None],
    max_fraction: float,
    dimensions: Collection[str] | None,
    started: float,
    info: dict[str, Any],
) -> tuple[list[RollupTable], dict[str, Any]]:
    """Write the rollups and their metadata (`info` plus what was built) into `temporary`; the
    connection lives only in this call's frames."""
    with _build_connection(source, temporary, settings, run) as connection:
        builder = _Builder(model, connection, say, max_fraction, dimensions)
        rollups, leaves = builder.run()
        info = {
            **info,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "rollups": [r.__dict__ for r in rollups],
            "leaves": {table: sorted(names) for table, names in leaves.items()},
        }
        _write_metadata(connection, info)
    return rollups, info


def _groups(
    candidates: list[str], policy: list[str], values: dict[str, int], determined: dict[str, set[str]]
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...] | None]]:
    """(dimensions, fallback) of each rollup to try, coarsest first: by day alone; by the access-policy
    dimensions (restricted users need them in every rollup they use); then for each other dimension,
    it with the policy dimensions and those it determines, falling back to it without the policy
    dimensions when that is too big (such a rollup serves unrestricted users only)."""
    order = {d: i for i, d in enumerate(candidates)}

    def ordered(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=order.__getitem__))

    yield (), None
    if policy:
        yield ordered(set(policy)), None
    for dim in sorted((d for d in candidates if d not in policy), key=lambda d: (values[d], order[d])):
        own = {dim} | determined[dim]
        group = ordered(own | set(policy))
        fallback = ordered(own) if policy and not set(policy) <= own else None
        yield group, fallback


def _with_blocks(model: SemanticModel, leaves: list[SimpleMetric]) -> SemanticModel:
    """`model` plus one hidden simple metric per building block of `leaves`, named as its column."""
    blocks: list[SimpleMetric] = []
    for leaf in leaves:
        columns = block_columns(leaf)
        if leaf.agg == "avg":
            blocks.append(leaf.model_copy(update={"name": columns[0], "agg": "sum"}))
            blocks.append(leaf.model_copy(update={"name": columns[1], "agg": "count"}))
        else:
            blocks.append(leaf.model_copy(update={"name": columns[0]}))
    fields = {name: getattr(model, name) for name in type(model).model_fields}
    fields["metrics"] = (*model.metrics, *blocks)
    return SemanticModel.model_construct(**fields)


def _aliased(model: SemanticModel, table: str) -> exp.Table:
    source = exp.to_table(model.table(table).source)
    source.set("alias", exp.TableAlias(this=exp.to_identifier(table, quoted=True)))
    return source


def _quoted(column: str) -> str:
    return render(exp.column(column, quoted=True), "duckdb")


@contextmanager
def _build_connection(
    source: Path, out: Path, settings: DuckDBSettings | None, run: _Run
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that reads `source` (attached read-only and made current) and writes `out`."""
    settings = settings or DuckDBSettings()
    spill = Path(tempfile.gettempdir()) / "chatbi-duckdb"  # an in-memory database would spill into the cwd
    spill.mkdir(exist_ok=True)
    config: dict[str, Any] = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "temp_directory": str(spill),
    }
    if settings.threads:
        config["threads"] = settings.threads
    if settings.memory_limit:
        config["memory_limit"] = settings.memory_limit
    if settings.max_temp_directory_size:
        config["max_temp_directory_size"] = settings.max_temp_directory_size
    with closing(duckdb.connect(":memory:", config=config)) as connection:
        run.connection = connection
        try:
            for path, alias, options in ((source, _SOURCE, ["READ_ONLY"]), (out, _OUT, [])):
                attach = exp.Attach(
                    this=exp.alias_(exp.Literal.string(str(path)), alias),
                    expressions=[exp.AttachOption(this=exp.var(o)) for o in options],
                )
                _execute(connection, render(attach, "duckdb"))
            _execute(connection, render(exp.Use(this=exp.to_identifier(_SOURCE)), "duckdb"))
            _execute(connection, "SET enable_external_access = false")  # nothing beyond the two files
            yield connection
            _execute(connection, f"CHECKPOINT {_OUT}")
            _execute(connection, f"DETACH {_OUT}")
        finally:
            run.connection = None


@dataclass(eq=False)
class _Run:
    """A build under way, and its connection while it has one."""

    connection: duckdb.DuckDBPyConnection | None = None
    finished: threading.Event = field(default_factory=threading.Event)


# Builds run in background threads, and a thread still inside DuckDB when the interpreter finalizes
# aborts the whole process: at exit, builds under way are interrupted and waited for.
_RUNS: set[_Run] = set()
_RUNS_LOCK = threading.Lock()
_EXITING = threading.Event()


@contextmanager
def _running() -> Iterator[_Run]:
    run = _Run()
    with _RUNS_LOCK:
        if _EXITING.is_set():
            raise ExecutionError("the rollups build stopped: the process is exiting")
        _RUNS.add(run)
    try:
        yield run
    finally:
        with _RUNS_LOCK:
            _RUNS.discard(run)
        run.finished.set()


@atexit.register
def _stop_builds() -> None:
    with _RUNS_LOCK:
        _EXITING.set()
        runs = list(_RUNS)
    for run in runs:
        connection = run.connection
        if connection is not None:
            with suppress(duckdb.Error):
                connection.interrupt()
    for run in runs:
        run.finished.wait(timeout=30)


def _execute(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyConnection:
    """Run one build statement, unless the process is exiting."""
    if _EXITING.is_set():
        raise ExecutionError("the rollups build stopped: the process is exiting")
    return connection.execute(sql)


def _fingerprint(model: SemanticModel, source: Path) -> dict[str, Any]:
    """What the rollups were built from: the source file as it is now and the model's definition."""
    try:
        stat = source.stat()
    except OSError as error:
        raise ExecutionError(f"database file not found: {source} ({error.strerror})") from None
    wal = source.with_name(source.name + ".wal")
    wal_stat = wal.stat() if wal.exists() else None
    return {
        "format": FORMAT_VERSION,
        "source_path": str(source.resolve()),
        "source_size": stat.st_size,
        "source_mtime_ns": stat.st_mtime_ns,
        "source_wal": [wal_stat.st_size, wal_stat.st_mtime_ns] if wal_stat else None,
        "model_sha256": hashlib.sha256(json.dumps(_definitions(model), sort_keys=True).encode()).hexdigest(),
    }


_PRESENTATION = frozenset(
    {
        "label",
        "synonyms",
        "description",
        "values",
        "sample_values",
        "format",
        "unit",
        "polarity",
        "target",
        "hidden",
    }
)


def _definitions(model: SemanticModel) -> dict[str, Any]:
    """The parts of `model` that decide what rollups hold: tables, joins, dimensions and metrics as
    computed, and access policies (which dimensions every rollup needs). Labels, synonyms, formats,
    the calendar and verified questions are left out: a relabelled model keeps its rollups (it
    compiles with its own labels and week start; a day is the same day whatever they say)."""
    data = model.model_dump(
        mode="json", include={"tables", "relationships", "dimensions", "metrics", "access_policies"}
    )
    for section in ("tables", "dimensions", "metrics"):
        data[section] = [{k: v for k, v in item.items() if k not in _PRESENTATION} for item in data[section]]
    return data


def _write_metadata(connection: duckdb.DuckDBPyConnection, info: dict[str, Any]) -> None:
    target = exp.table_(METADATA_TABLE, db="main", catalog=_OUT, quoted=True)
    schema = exp.Schema(
        this=target,
        expressions=[
            exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build("VARCHAR"))
            for c in ("key", "value")
        ],
    )
    _execute(connection, render(exp.Create(this=schema, kind="TABLE"), "duckdb"))
    insert = exp.insert(exp.values([exp.tuple_(exp.Placeholder(), exp.Placeholder())]), target.copy())
    connection.executemany(
        render(insert, "duckdb"),
        [[key, json.dumps(value, ensure_ascii=False)] for key, value in info.items()],
    )


def _read_metadata(engine: DuckDBEngine) -> dict[str, Any]:
    query = exp.select(exp.column("key", quoted=True), exp.column("value", quoted=True)).from_(
        exp.to_table(METADATA_TABLE)
    )
    rows = engine.execute(render(query, engine.dialect), allowed_tables=[METADATA_TABLE], tree=query).rows
    return {key: json.loads(value) for key, value in rows}


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

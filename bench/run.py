"""`make bench`: what a question costs end to end, next to the same SQL on DuckDB and a pandas script.

For twelve representative questions (KPI, breakdown, trend, top-N, comparison, percentile, why-analysis,
detail list; half in Chinese, half in English) on the 1M- and 10M-ticket demo databases, measured side by
side in one run:
  (a) `POST /api/ask` on a running `chatbi serve` with the answer cache and rollups off,
  (b) the SQL that answer ran (its main query) directly on DuckDB, on the same file,
  (c) the same numbers from a pandas script over a Parquet copy, written as an analyst would,
  (d) the question again on a server with rollups on, and (e) repeated with the answer cache on.
It reports p50/p95, the ratios a/b, c/a, b/d and c/d, planning time, server readiness and peak memory,
throughput with 1, 8 and 32 clients, and the targets next to what was measured (not asserted).
Results: bench/results/e2e-<tickets>.json and .md; the tables are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import httpx
import numpy as np
import pandas as pd

from semantic_layer.engine import DuckDBEngine, open_read_only
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock, resolve_period

from .serve import AS_OF, DATA, HERE, Server, drive, ensure_database

Frames = dict[str, pd.DataFrame]
TABLES = ("tickets", "surveys", "customers")
MIN_RUNS = 3
CLIENT_LEVELS = (1, 8, 32)
TOMORROW = pd.Timestamp(AS_OF + timedelta(days=1))
"""The data ends with the as-of day: "this month" holds the days up to it."""

# Server configurations, one `chatbi serve` process each (CHATBI_CACHE and CHATBI_ROLLUPS default to on).
BASE = {"CHATBI_CACHE": "off", "CHATBI_ROLLUPS": "off"}
ROLLUPS = {"CHATBI_CACHE": "off", "CHATBI_ROLLUPS": "on"}
CACHED = {"CHATBI_CACHE": "on", "CHATBI_ROLLUPS": "on"}


# --- the questions and the pandas an analyst would write for each -----------------------------------


@dataclass(frozen=True)
class Window:
    """The half-open range [start, end) an answer covered (None: open), read from its intent."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Window:
        query = (answer.get("query") or {}).get("query") or {}
        time_range = query.get("time_range") or {}
        if time_range.get("period"):
            start, end = resolve_period(time_range["period"], AS_OF)
            return cls(_timestamp(start), _timestamp(end))
        return cls(_timestamp(time_range.get("start")), _timestamp(time_range.get("end")))

    def mask(self, times: pd.Series) -> pd.Series:
        """Which of `times` fall in the window."""
        if self.start is not None and self.end is not None:
            return (times >= self.start) & (times < self.end)
        if self.start is not None:
            return times >= self.start
        return times < self.end if self.end is not None else pd.Series(True, index=times.index)

    def so_far(self) -> Window:
        """The part of the window up to the as-of day (a current month has no later data)."""
        return Window(self.start, TOMORROW if self.end is None else min(self.end, TOMORROW))

    def month_before(self) -> Window:
        """The same days one month earlier: what "compared with last month" means to an analyst."""
        current = self.so_far()
        assert current.start is not None and current.end is not None
        return Window(current.start - pd.DateOffset(months=1), current.end - pd.DateOffset(months=1))


def _timestamp(day: str | date | None) -> pd.Timestamp | None:
    return None if day is None else pd.Timestamp(day)


def _frame(**columns: Any) -> pd.DataFrame:
    """A one-row result, for answers without dimensions."""
    return pd.DataFrame({name: [value] for name, value in columns.items()})


def _month_starts(index: pd.Index) -> pd.Index:
    return pd.Index([str(period.start_time.date()) for period in index], name="created_date")


def tickets_kpi(f: Frames, w: Window) -> pd.DataFrame:
    return _frame(ticket_count=int(w.mask(f["tickets"]["created_at"]).sum()))


def complaint_rate_by_region(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    return t[w.mask(t["created_at"])].groupby("region")["is_complaint"].mean().to_frame("complaint_rate")


def complaints_by_region(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    complaints = t[w.mask(t["created_at"]) & t["is_complaint"]]
    return complaints.groupby("region").size().to_frame("complaint_count")


def weekly_backlog(f: Frames, w: Window) -> pd.DataFrame:
    """Open tickets at each week's end (or now, for the current week)."""
    t = f["tickets"]
    assert w.start is not None
    monday = w.start - pd.Timedelta(days=w.start.weekday())
    end = w.so_far().end
    assert end is not None
    last_day = end - pd.Timedelta(days=1)
    counts = {}
    for week in pd.date_range(monday, last_day, freq="7D"):
        moment = min(week + pd.Timedelta(days=7), TOMORROW)
        still_open = (t["created_at"] < moment) & ~(t["resolved_at"] < moment)
        counts[str(week.date())] = int(still_open.sum())
    return pd.Series(counts, name="backlog_count").rename_axis("created_date").to_frame()


def monthly_tickets(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    created = t.loc[w.mask(t["created_at"]), "created_at"]
    counts = created.groupby(created.dt.to_period("M")).size()
    return pd.DataFrame({"ticket_count": counts.to_numpy()}, index=_month_starts(counts.index))


def csat_by_channel(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    surveyed = f["surveys"].merge(t.loc[w.mask(t["created_at"]), ["ticket_id", "channel"]], on="ticket_id")
    return surveyed.groupby("channel")["csat_score"].mean().to_frame("avg_csat")


def top_complaint_models(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    complaints = t[w.mask(t["created_at"]) & t["is_complaint"]]
    return complaints.groupby("product_model").size().nlargest(5).to_frame("complaint_count")


def complaints_month_over_month(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    now, before = w.so_far(), w.month_before()
    current = int((now.mask(t["created_at"]) & t["is_complaint"]).sum())
    previous = int((before.mask(t["created_at"]) & t["is_complaint"]).sum())
    return _frame(complaint_count=current, complaint_count__previous=previous)


def p90_first_response_by_shift(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"][w.mask(f["tickets"]["created_at"])]
    minutes = (t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60
    return minutes.groupby(t["shift"]).quantile(0.9).to_frame("p90_first_response_minutes")


def fcr_by_product_line(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    resolved = t[w.mask(t["created_at"]) & t["status"].isin(["已解决", "已关闭"])]
    first_contact = (resolved["contact_count"] == 1) & ~resolved["reopened"]
    return first_contact.groupby(resolved["product_line"]).mean().to_frame("first_contact_resolution_rate")


WHY_DIMENSIONS = (
    *("channel", "product_line", "product_model", "category", "priority", "region", "province", "city"),
    *("team", "agent", "shift", "status", "resolution_type", "tier", "industry"),
)


def why_csat_dropped(f: Frames, w: Window) -> pd.DataFrame:
    """CSAT this period and the month before, then how much each group moved the average, dimension by
    dimension (in `attrs`; the product does this over the same dimensions, and over pairs of them)."""
    t, before = f["tickets"], w.month_before()
    both = t[w.mask(t["created_at"]) | before.mask(t["created_at"])]
    surveyed = (
        f["surveys"][["ticket_id", "csat_score"]]
        .merge(both, on="ticket_id")
        .merge(f["customers"][["customer_id", "tier", "industry"]], on="customer_id")
    )
    surveyed["current"] = w.mask(surveyed["created_at"])
    overall = surveyed.groupby("current")["csat_score"].mean()
    drivers = {}
    for dimension in WHY_DIMENSIONS:
        groups = surveyed.groupby([dimension, "current"])["csat_score"].agg(["sum", "size"]).unstack()
        parts = groups["sum"].fillna(0) / groups["size"].sum()  # each group's part of each average
        moved = (parts.get(True, 0) - parts.get(False, 0)).sort_values()
        drivers[dimension] = (moved.index[0], float(moved.iloc[0]))
    result = _frame(avg_csat=overall[True], avg_csat__previous=overall[False])
    result.attrs["drivers"] = drivers
    return result


def low_score_vip_surveys(f: Frames, w: Window) -> pd.DataFrame:
    t = f["tickets"]
    week = t.loc[w.mask(t["created_at"]), ["ticket_id", "customer_id"]]
    vips = f["customers"].loc[f["customers"]["tier"] == "VIP", ["customer_id", "customer_name"]]
    low = f["surveys"][f["surveys"]["csat_score"] <= 2]
    listed = low.merge(week, on="ticket_id").merge(vips, on="customer_id").sort_values("survey_id").head(1000)
    return listed.set_index("ticket_id")[["csat_score", "nps_score"]]


@dataclass(frozen=True)
class Case:
    category: str
    question: str
    analyst: Callable[[Frames, Window], pd.DataFrame]
    in_load_mix: bool = True
    """Part of the throughput mix (the why-analysis runs dozens of queries and is timed on its own)."""


CASES = (
    Case("KPI", "上个月工单量是多少", tickets_kpi),
    Case("breakdown", "complaint rate by region this year", complaint_rate_by_region),
    Case("breakdown", "本月各大区的投诉量", complaints_by_region),
    Case("trend (snapshot)", "weekly backlog over the last 3 months", weekly_backlog),
    Case("trend", "最近12个月工单量趋势", monthly_tickets),
    Case("breakdown (join)", "CSAT by channel last quarter", csat_by_channel),
    Case("top-N", "本月投诉最多的5个产品型号", top_complaint_models),
    Case("comparison", "compare complaints this month with last month", complaints_month_over_month),
    Case("percentile", "上个月首次响应时长P90按班次", p90_first_response_by_shift),
    Case("breakdown (ratio)", "first contact resolution by product line last month", fcr_by_product_line),
    Case("why", "为什么7月满意度下降了", why_csat_dropped, in_load_mix=False),
    Case("detail", "list low-score VIP surveys this week", low_score_vip_surveys),
)
ROLLUP_TARGET_CATEGORIES = ("KPI", "breakdown", "trend")


# --- checking numbers --------------------------------------------------------------------------------


def answer_frame(answer: dict[str, Any]) -> pd.DataFrame:
    data = answer.get("data") or {}
    return pd.DataFrame(data.get("rows", []), columns=[c["name"] for c in data.get("columns", [])])


def disagreement(expected: pd.DataFrame, got: pd.DataFrame) -> str | None:
    """None when `got` holds `expected`'s rows (keyed by its index, if named) and numbers; else how
    they differ."""
    keys = [name for name in expected.index.names if name is not None]
    if missing := [k for k in (*keys, *expected.columns) if k not in got.columns]:
        return f"no column {missing}"
    if len(got) != len(expected):
        return f"{len(got)} rows, expected {len(expected)}"
    if keys:
        got = got.set_index(keys)
        got.index, expected = got.index.astype(str), expected.set_axis(expected.index.astype(str))
        if absent := [k for k in expected.index if k not in got.index]:
            return f"rows {absent[:3]} missing"
        got = got.loc[expected.index]
    for column in expected.columns:
        mine, theirs = got[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float)
        close = np.isclose(mine, theirs, rtol=1e-6, atol=1e-9, equal_nan=True)
        if not close.all():
            i = int(np.argmin(close))
            return f"{column}: {mine[i]:.6g} vs {theirs[i]:.6g}"
    return None


def same_rows(reference: pd.DataFrame, other: pd.DataFrame) -> str | None:
    """None when two answers hold the same rows (numbers to 1e-6); else how they differ."""
    if list(reference.columns) != list(other.columns) or len(reference) != len(other):
        return f"shape {other.shape} vs {reference.shape}"
    for column in reference.columns:
        a, b = reference[column], other[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            equal = np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-6, equal_nan=True).all()
        else:
            equal = a.astype(str).tolist() == b.astype(str).tolist()
        if not equal:
            return f"column {column} differs"
    return None


# --- timing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Timed rounds per question: `repeat`, fewer (but at least MIN_RUNS) once `seconds` are spent, so
    that slow questions do not take the whole run."""

    repeat: int
    seconds: float


def rounds(steps: dict[str, Callable[[], Any]], budget: Budget) -> dict[str, list[tuple[float, Any]]]:
    """(milliseconds, result) of each step per round; a round runs every step once, in turn, so that
    all the paths are timed under the same conditions on a machine that other work shares."""
    runs: dict[str, list[tuple[float, Any]]] = {name: [] for name in steps}
    started = time.monotonic()
    for i in range(budget.repeat):
        if i >= MIN_RUNS and time.monotonic() - started > budget.seconds:
            break
        for name, step in steps.items():
            began = time.perf_counter()
            result = step()
            runs[name].append(((time.perf_counter() - began) * 1000, result))
    return runs


def pct(samples: Sequence[float], q: float) -> float:
    """The q-quantile, interpolated (one sample: itself)."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q * 100) - 1]


def summary(samples: Sequence[float]) -> dict[str, Any]:
    if not samples:
        return {"runs": 0}
    return {
        "runs": len(samples),
        "p50_ms": round(pct(samples, 0.5), 3),
        "p95_ms": round(pct(samples, 0.95), 3),
        "samples_ms": [round(s, 3) for s in samples],
    }


@dataclass
class Asked:
    """Timed asks of one question on one server: client wall time, what the server reported, and the
    last Answer."""

    ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    plan_ms: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    timings: list[dict[str, float]] = field(default_factory=list)
    """The server's own breakdown of each run (plan, compile, execute, analysis, total)."""
    answer: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def of(cls, runs: list[tuple[float, dict[str, Any]]]) -> Asked:
        asked = cls(answer=runs[-1][1] if runs else {})
        for ms, answer in runs:
            if answer.get("status") != "answered":
                asked.error = f"{answer.get('status')}: {answer.get('answer')}"
                continue
            timings = answer.get("timings") or {}
            asked.ms.append(ms)
            asked.server_ms.append(float(timings.get("total_ms", float("nan"))))
            asked.plan_ms.append(float(timings.get("plan_ms", float("nan"))))
            asked.sources.append(str(answer.get("source", "base")))
            asked.timings.append(timings)
        return asked

    def report(self) -> dict[str, Any]:
        return {
            **summary(self.ms),
            "server_total": summary(self.server_ms),
            "plan": summary(self.plan_ms),
            "sources": sorted(set(self.sources)),
            "timings": self.timings,
            "error": self.error,
        }


def ask(client: httpx.Client, question: str) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": question})
    if response.status_code != 200:
        return {"status": f"HTTP {response.status_code}", "answer": response.text[:200]}
    body: dict[str, Any] = response.json()
    return body


def run_sql(connection: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return connection.execute(sql).fetchall()


def main_sql(answer: dict[str, Any]) -> str | None:
    """The SQL of the answer's main result (the first, when the answer ran several queries)."""
    sql = answer.get("sql")
    return sql[0] if isinstance(sql, list) and sql else sql if isinstance(sql, str) else None


def query_count(answer: dict[str, Any]) -> int:
    sql = answer.get("sql")
    return len(sql) if isinstance(sql, list) else int(bool(sql))


# --- servers -----------------------------------------------------------------------------------------


@dataclass
class ServerRun:
    """One `chatbi serve` process: how long it took to be ready, and its peak memory."""

    name: str
    env: dict[str, str]
    ready_s: float = 0.0
    first_answer_s: float = 0.0
    rollups_ready_s: float | None = None
    rollups: str = "not reported"
    cache: str = "not reported"
    peak_rss_mb: float | None = None
    throughput: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serving(
    db: Path, work: Path, name: str, env: dict[str, str], first_question: str
) -> Iterator[tuple[Server, ServerRun]]:
    """A server on `db` with its own conversation store in `work` (where it also keeps its rollups),
    ready (health says so and a first question was answered) and, with rollups on, done building
    them; its peak RSS is read when the block ends."""
    run = ServerRun(name, env)
    with Server(db, work / f"store-{name}.sqlite3", work / f"server-{name}.log", env) as server:
        run.ready_s = server.wait_ready(timeout=600)
        with httpx.Client(base_url=server.url, timeout=600) as client:
            first = ask(client, first_question)
        run.first_answer_s = time.monotonic() - server.started
        if first.get("status") != "answered":
            raise RuntimeError(f"the first question was not answered: {first}")
        if env.get("CHATBI_ROLLUPS") == "on":
            run.rollups_ready_s = wait_for_rollups(server)
        health = server.health() or {}
        run.rollups, run.cache = str(health.get("rollups", run.rollups)), str(health.get("cache", run.cache))
        try:
            yield server, run
        finally:
            run.peak_rss_mb = server.peak_rss_mb()


def wait_for_rollups(server: Server, timeout: float = 900) -> float | None:
    """Seconds from the process start until health says the rollups are built; None when the server
    does not report rollups."""
    health = server.health() or {}
    if "rollups" not in health:
        print("  health does not report rollups: not waiting for them", flush=True)
        return None
    print("  waiting for the rollups to be built ...", flush=True)
    seconds = server.wait_until(lambda h: h.get("rollups") != "building", "done building rollups", timeout)
    state = (server.health() or {}).get("rollups")
    if state != "ready":
        print(f"  WARNING: rollups are '{state}' with CHATBI_ROLLUPS=on", flush=True)
    return seconds


def measure_throughput(url: str, questions: Sequence[str], seconds: float) -> list[dict[str, Any]]:
    """Mixed questions from 1, 8 and 32 concurrent clients, `seconds` each."""
    levels = []
    for clients in CLIENT_LEVELS:
        print(f"  throughput: {clients} clients for {seconds:.0f} s ...", flush=True)
        levels.append(asyncio.run(drive(url, questions, [{}] * clients, seconds)))
    return levels


# --- the data an analyst has ---------------------------------------------------------------------------


def ensure_parquet(db: Path) -> Path:
    """A Parquet copy of the tables next to the database (rewritten when the database is newer)."""
    folder = db.with_suffix(".parquet")
    folder.mkdir(exist_ok=True)
    stale = [
        t
        for t in TABLES
        if not (p := folder / f"{t}.parquet").exists() or p.stat().st_mtime < db.stat().st_mtime
    ]
    if stale:
        with duckdb.connect(str(db), read_only=True) as connection:
            for table in stale:
                connection.table(table).write_parquet(str(folder / f"{table}.parquet"))
    return folder


def load_frames(folder: Path) -> tuple[Frames, float]:
    """The tables read into pandas (once; the scripts' timings leave the reading out), and the seconds
    reading took."""
    started = time.perf_counter()
    frames = {table: pd.read_parquet(folder / f"{table}.parquet") for table in TABLES}
    return frames, time.perf_counter() - started


def measure_planning(db: Path) -> dict[str, Any]:
    """The built-in parser in process over every eval question (after a warm-up pass)."""
    from agent.evaluation import load_cases
    from agent.intent import ConversationState
    from agent.parser import Planner
    from agent.value_index import build_value_index

    layer = SemanticLayer(load_model(), DuckDBEngine(db), clock=FixedClock(AS_OF))
    try:
        planner = Planner(layer.model, build_value_index(layer), FixedClock(AS_OF))
    finally:
        layer.engine.close()
    eval_cases = load_cases(HERE.parent / "tests" / "agent" / "eval")
    questions = [turn["q"] for case in eval_cases for turn in case["turns"]]
    for question in questions:
        planner.plan(question, ConversationState())
    samples = []
    for question in questions:
        started = time.perf_counter()
        planner.plan(question, ConversationState())
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "questions": len(samples),
        **{k: v for k, v in summary(samples).items() if k != "samples_ms"},
        "max_ms": round(max(samples), 3),
    }


# --- one database size ---------------------------------------------------------------------------------


@dataclass
class Row:
    case: Case
    a: Asked
    b: list[float]
    c: list[float]
    d: Asked
    e: Asked
    warnings: list[str]


@dataclass(frozen=True)
class Paths:
    """Where each path runs: (a), (d) and (e) on their servers, (b) on a DuckDB connection, (c) on the
    frames."""

    a: httpx.Client
    d: httpx.Client
    e: httpx.Client
    duckdb: duckdb.DuckDBPyConnection
    frames: Frames


def measure_question(case: Case, paths: Paths, budget: Budget) -> Row:
    """One warm-up of each path ((a)'s answer says what (b) and (c) reproduce; (e)'s fills the cache),
    then timed rounds of all five, and the checks of the numbers."""
    answer = ask(paths.a, case.question)
    sql, window = main_sql(answer), Window.of(answer)
    steps: dict[str, Callable[[], Any]] = {"a": partial(ask, paths.a, case.question)}
    if sql is not None:
        steps["b"] = partial(run_sql, paths.duckdb, sql)
    steps["c"] = partial(case.analyst, paths.frames, window)
    steps["d"] = partial(ask, paths.d, case.question)
    steps["e"] = partial(ask, paths.e, case.question)
    warm = {name: step() for name, step in steps.items() if name != "a"}
    runs = rounds(steps, budget)
    row = Row(
        case,
        a=Asked.of(runs["a"]),
        b=[ms for ms, _ in runs.get("b", [])],
        c=[ms for ms, _ in runs["c"]],
        d=Asked.of(runs["d"]),
        e=Asked.of(runs["e"]),
        warnings=[],
    )
    if answer.get("status") != "answered":
        row.warnings.append(f"(a) {answer.get('status')}: {answer.get('answer')}")
    elif problem := disagreement(warm["c"], answer_frame(answer)):
        row.warnings.append(f"pandas and the answer disagree: {problem}")
    for slot, asked in (("a", row.a), ("d", row.d), ("e", row.e)):
        if asked.error:
            row.warnings.append(f"({slot}) {asked.error}")
        elif slot != "a" and (problem := same_rows(answer_frame(answer), answer_frame(asked.answer))):
            row.warnings.append(f"({slot}) and (a) answered differently: {problem}")
    print(
        f"  {case.question}: a {_ms(p50(row.a.ms))}, b {_ms(p50(row.b))}, c {_ms(p50(row.c))}, "
        f"d {_ms(p50(row.d.ms))}, e {_ms(p50(row.e.ms))} ms ({len(runs['c'])} rounds)",
        flush=True,
    )
    return row


SERVERS = (("a", "base", BASE), ("d", "rollups", ROLLUPS), ("e", "cache", CACHED))


def bench_size(tickets: int, cases: Sequence[Case], budget: Budget, load_seconds: float) -> dict[str, Any]:
    """Everything for one database size: the three servers run side by side (idle but for the path
    being timed), so that each round times all five paths under the same conditions. The 'rollups'
    server builds the rollups; the 'cache' server, started after it, opens the file it left."""
    print(f"== {tickets:,} tickets", flush=True)
    started, load_before = time.monotonic(), os.getloadavg()[0]
    db, generated_s = ensure_database(tickets)
    frames, parquet_load_s = load_frames(ensure_parquet(db))
    mix = [case.question for case in cases if case.in_load_mix]
    work = DATA / "e2e" / db.stem  # emptied, so that the first server with rollups builds them afresh
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with ExitStack() as stack:
        servers: dict[str, tuple[Server, ServerRun]] = {}
        clients: dict[str, httpx.Client] = {}
        for slot, name, env in SERVERS:
            print(f"({slot}) starting the '{name}' server: {env}", flush=True)
            servers[slot] = stack.enter_context(serving(db, work, name, env, cases[0].question))
            clients[slot] = stack.enter_context(httpx.Client(base_url=servers[slot][0].url, timeout=600))
        connection = open_read_only(db)
        stack.callback(connection.close)
        paths = Paths(clients["a"], clients["d"], clients["e"], connection, frames)
        print("timing (a) to (e), question by question", flush=True)
        rows = [measure_question(case, paths, budget) for case in cases]
        for slot in ("a", "e"):
            server, run = servers[slot]
            print(f"throughput on the '{run.name}' server", flush=True)
            run.throughput = measure_throughput(server.url, mix, load_seconds)
    print("planning (in process, eval questions)", flush=True)
    report = {
        "tickets": tickets,
        "machine": machine(),
        "database": {
            "path": str(db.relative_to(HERE.parent)),
            "size_mb": round(db.stat().st_size / 1e6),
            "generated_s": generated_s,
        },
        "parquet_load_s": round(parquet_load_s, 2),
        "budget": {
            "repeat": budget.repeat,
            "seconds": budget.seconds,
            "min_runs": min(MIN_RUNS, budget.repeat),
        },
        "throughput_questions": mix,
        "questions": [row_report(row) for row in rows],
        "servers": [vars(run) for _, run in servers.values()],
        "planning": measure_planning(db),
    }
    report["targets"] = targets(report)
    report["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    report["duration_s"] = round(time.monotonic() - started)
    return report


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def p50(samples: Sequence[float]) -> float | None:
    return pct(samples, 0.5) if samples else None


def row_report(row: Row) -> dict[str, Any]:
    a, b, c, d = p50(row.a.ms), p50(row.b), p50(row.c), p50(row.d.ms)
    return {
        "category": row.case.category,
        "question": row.case.question,
        "kind": (row.a.answer.get("query") or {}).get("kind"),
        "queries": query_count(row.a.answer),
        "sql": main_sql(row.a.answer),
        "a": row.a.report(),
        "b": summary(row.b),
        "c": summary(row.c),
        "d": row.d.report(),
        "e": row.e.report(),
        "a_minus_b_ms": round(a - b, 3) if a is not None and b is not None else None,
        "a_over_b": ratio(a, b),
        "c_over_a": ratio(c, a),
        "b_over_d": ratio(b, d),
        "c_over_d": ratio(c, d),
        "warnings": row.warnings,
    }


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    memory = next(
        (line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), None
    )
    ram = f", {int(memory) / 2**20:.0f} GB RAM" if memory else ""
    return (
        f"{cpu}, {os.cpu_count()} cores{ram}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pd.__version__}"
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# --- targets and the tables ---------------------------------------------------------------------------


Check = Callable[[float], bool]


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with what was measured against it and whether it was met (reported, not asserted)."""
    questions, servers = report["questions"], report["servers"]
    single = [q for q in questions if q["queries"] == 1 and q["a_minus_b_ms"] is not None]
    heavy = [q for q in single if (q["b"].get("p50_ms") or 0) >= 100]
    rolled = [q for q in single if "rollup" in q["d"]["sources"] and q["c_over_d"]]  # additive ones
    fast = [q for q in rolled if q["category"].split()[0] in ROLLUP_TARGET_CATEGORIES]
    cached = [q for q in questions if q["e"] and q["e"].get("runs")]
    plans = [s for q in questions for s in q["a"]["plan"].get("samples_ms", [])]
    errors = sum(level["errors"] for s in servers for level in s["throughput"])
    slowest = max(servers, key=lambda s: s["first_answer_s"])
    largest = max(servers, key=lambda s: s["peak_rss_mb"] or 0)

    def extreme(
        items: list[dict[str, Any]], value: Callable[[dict[str, Any]], float], low: bool = False
    ) -> tuple[float | None, str]:
        if not items:
            return None, "no such question"
        item = (min if low else max)(items, key=value)
        return value(item), item["question"]

    measured: list[tuple[str, str, Check, tuple[float | None, str]]] = [
        (
            "overhead a−b p50, single-query questions (worst)",
            "<= 20 ms",
            lambda v: v <= 20,
            extreme(single, lambda q: q["a_minus_b_ms"]),
        ),
        (
            "a/b where b takes >= 100 ms (worst)",
            "<= 1.2",
            lambda v: v <= 1.2,
            extreme(heavy, lambda q: q["a_over_b"]),
        ),
        (
            "c/d, single-query answers from rollups (lowest)",
            ">= 20",
            lambda v: v >= 20,
            extreme(rolled, lambda q: q["c_over_d"], low=True),
        ),
        (
            "d p50, KPI/breakdown/trend from rollups (worst)",
            "< 30 ms",
            lambda v: v < 30,
            extreme(fast, lambda q: q["d"]["p50_ms"]),
        ),
        (
            "e p50, cached repeat (worst)",
            "< 5 ms",
            lambda v: v < 5,
            extreme(cached, lambda q: q["e"]["p50_ms"]),
        ),
        (
            "planning p95, server timings",
            "< 10 ms",
            lambda v: v < 10,
            (pct(plans, 0.95) if plans else None, ""),
        ),
        (
            "ready + first answer (slowest server)",
            "< 3 s",
            lambda v: v < 3,
            (slowest["first_answer_s"], f"the '{slowest['name']}' server"),
        ),
        (
            "peak RSS (largest server)",
            "< 2048 MB",
            lambda v: v < 2048,
            (largest["peak_rss_mb"], f"the '{largest['name']}' server"),
        ),
        ("throughput errors, all levels", "0", lambda v: v == 0, (errors, "")),
    ]
    return [
        {
            "target": name,
            "goal": goal,
            "measured": None if value is None else round(value, 3),
            "met": None if value is None else check(value),
            "note": note,
        }
        for name, goal, check, (value, note) in measured
    ]


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _p(part: dict[str, Any] | None, key: str = "p50_ms") -> float | None:
    return part.get(key) if part and part.get("runs") else None


def markdown(report: dict[str, Any]) -> str:
    budget = report["budget"]
    lines = [
        f"# End to end, {report['tickets']:,} tickets",
        "",
        f"Machine: {report['machine']}. Load average (1 min) {report['load_average_1min']['start']:.1f} at the "
        f"start, {report['load_average_1min']['end']:.1f} at the end (other work on the machine adds noise); "
        f"the run took {report['duration_s'] / 60:.0f} min.",
        "",
        "Paths: (a) `POST /api/ask`, cache and rollups off, timed by the client; (b) the answer's main SQL on "
        "DuckDB (`open_read_only`, same file, in the clients' process); (c) the pandas script on the Parquet "
        f"copy, already in memory (reading it took {report['parquet_load_s']:.1f} s, not counted); (d) rollups "
        "on, cache off; (e) cache on, the same question again. The three servers run side by side; per "
        f"question, a warm-up of each path, then up to {budget['repeat']} rounds (at least {budget['min_runs']}, "
        f"fewer once {budget['seconds']:g} s are spent) each timing a, b, c, d, e in turn. Times in ms, p50 "
        "unless said; `path`: the answer's intent kind and how many queries it ran; `server`: the Answer's "
        "own `timings.total_ms`.",
        "",
        "| question | path | a p50 / p95 | server | b | a−b | a/b | c | c/a | d | source (d) | b/d | c/d "
        "| e | plan p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for q in report["questions"]:
        a, d, e = q["a"], q["d"], q["e"]
        source_d = ", ".join(d["sources"]) if d else "–"
        e_cell = _ms(_p(e)) + ("" if not e or e["sources"] == ["cache"] else f" ({', '.join(e['sources'])})")
        lines.append(
            f"| {q['question']} | {q['category']}: {q['kind']}, {q['queries']}q | {_ms(_p(a))} / {_ms(_p(a, 'p95_ms'))} "
            f"| {_ms(_p(a['server_total']))} | {_ms(_p(q['b']))} | {_ms(q['a_minus_b_ms'])} | {_x(q['a_over_b'])} "
            f"| {_ms(_p(q['c']))} | {_x(q['c_over_a'])} | {_ms(_p(d))} | {source_d} | {_x(q['b_over_d'])} "
            f"| {_x(q['c_over_d'])} | {e_cell} | {_p(a['plan']) or 0:.1f} / {_p(a['plan'], 'p95_ms') or 0:.1f} |"
        )
        lines += [f"| ⚠ | {warning} |" + " |" * 13 for warning in q["warnings"]]
    lines += [
        "",
        "| server | settings | ready (health) s | first answer s | rollups built s | health says | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in report["servers"]:
        settings = ", ".join(f"{k.removeprefix('CHATBI_').lower()}={v}" for k, v in s["env"].items())
        built = "–" if s["rollups_ready_s"] is None else f"{s['rollups_ready_s']:.1f}"
        lines.append(
            f"| {s['name']} | {settings} | {s['ready_s']:.2f} | {s['first_answer_s']:.2f} | {built} "
            f"| cache {s['cache']}, rollups {s['rollups']} | {s['peak_rss_mb'] or 0:,.0f} |"
        )
    lines += [
        "",
        "Seconds from the process start. `rollups built`: until health said the rollups were ready (the "
        "'cache' server opens the file the 'rollups' server built). Peak RSS: the process's VmHWM at the end.",
        "",
        f"Throughput: concurrent clients asking, in turn, the {len(report['throughput_questions'])} questions "
        "above but the why-analysis.",
        "",
        "| server | clients | seconds | requests | errors | req/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in report["servers"]:
        for level in s["throughput"]:
            lines.append(
                f"| {s['name']} | {level['clients']} | {level['seconds']} | {level['requests']} | {level['errors']} "
                f"| {level['throughput_per_s']} | {level['p50_ms']} | {level['p95_ms']} |"
            )
    plan = report["planning"]
    lines += [
        "",
        f"Planning in process (built-in parser) over {plan['questions']} eval questions: p50 {plan['p50_ms']:.2f} ms, "
        f"p95 {plan['p95_ms']:.2f} ms, max {plan['max_ms']:.2f} ms.",
    ]
    if report["database"]["generated_s"] is not None:
        lines += [
            "",
            f"Generating the database took {report['database']['generated_s']:.0f} s ({report['database']['size_mb']:,} MB).",
        ]
    lines += [
        "",
        "Targets (reported, not asserted; set for 10M tickets):",
        "",
        "| target | goal | measured | met | note |",
        "|---|---|---|---|---|",
    ]
    for t in report["targets"]:
        met = "–" if t["met"] is None else "yes" if t["met"] else "**no**"
        lines.append(
            f"| {t['target']} | {t['goal']} | {t['measured'] if t['measured'] is not None else '–'} | {met} | {t['note']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, help="timed rounds per question (default 11 at 1M, 5 above)")
    parser.add_argument("--budget", type=float, help="seconds of rounds per question before stopping early")
    parser.add_argument("--load-seconds", type=float, default=20, help="seconds per throughput level")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 questions, 2 runs, short load")
    args = parser.parse_args()

    cases = CASES[:2] if args.quick else CASES
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    for tickets in args.tickets:
        small = tickets <= 2_000_000
        budget = Budget(
            repeat=2 if args.quick else args.repeat or (11 if small else 5),
            seconds=args.budget or (30 if small else 60),
        )
        load_seconds = 3 if args.quick else args.load_seconds
        report = bench_size(tickets, cases, budget, load_seconds)
        table = markdown(report)
        out = results / f"e2e-{tickets}"
        out.with_suffix(".json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        out.with_suffix(".md").write_text(table, encoding="utf-8")
        print(table, flush=True)


if __name__ == "__main__":
    main()

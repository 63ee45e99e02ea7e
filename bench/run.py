"""`make bench`: the semantic layer's cost next to raw DuckDB and a pandas script, measured in one run.

For each representative query it reports p50/p95 of
  (a) the semantic layer: compile the SemanticQuery and run it (what the server does per question),
  (b) the same SQL run directly on DuckDB,
  (c) the same answer computed with pandas from a Parquet copy, as an analyst would write it,
and the ratios a/b (our overhead) and c/a. Results go to bench/results/ as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from semantic_layer.demo.generate import generate_demo_database
from semantic_layer.demo.metadata import demo_database_as_of
from semantic_layer.engine import DuckDBEngine, open_read_only
from semantic_layer.layer import SemanticLayer
from semantic_layer.loader import load_model
from semantic_layer.periods import FixedClock
from semantic_layer.query import SemanticQuery

HERE = Path(__file__).parent
AS_OF = date(2026, 11, 15)
Frames = dict[str, pd.DataFrame]


def _frt_minutes(t: pd.DataFrame) -> pd.Series:
    return (t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60


def _surveys_with_tickets(f: Frames) -> pd.DataFrame:
    return f["surveys"].merge(
        f["tickets"][["ticket_id", "created_at", "channel", "customer_id"]], on="ticket_id"
    )


CASES: list[tuple[str, dict[str, Any], Callable[[Frames], Any]]] = [
    (
        "KPI: tickets last month",
        {"metrics": ["ticket_count"], "time_range": {"start": "2026-10-01", "end": "2026-11-01"}},
        lambda f: f["tickets"]["created_at"].between("2026-10-01", "2026-11-01", inclusive="left").sum(),
    ),
    (
        "breakdown: complaint rate by region",
        {"metrics": ["complaint_rate"], "dimensions": ["region"]},
        lambda f: f["tickets"].groupby("region")["is_complaint"].mean(),
    ),
    (
        "trend: monthly tickets",
        {"metrics": ["ticket_count"], "dimensions": [{"name": "created_date", "grain": "month"}]},
        lambda f: f["tickets"].groupby(f["tickets"]["created_at"].dt.to_period("M")).size(),
    ),
    (
        "top-N: models by complaints",
        {
            "metrics": ["complaint_count"],
            "dimensions": ["product_model"],
            "order_by": [{"field": "complaint_count", "desc": True}],
            "limit": 5,
        },
        lambda f: f["tickets"][f["tickets"]["is_complaint"]].groupby("product_model").size().nlargest(5),
    ),
    (
        "percentile: p90 first response by shift",
        {"metrics": ["p90_first_response_minutes"], "dimensions": ["shift"]},
        lambda f: _frt_minutes(f["tickets"]).groupby(f["tickets"]["shift"]).quantile(0.9),
    ),
    (
        "join: CSAT by channel",
        {"metrics": ["avg_csat"], "dimensions": ["channel"]},
        lambda f: _surveys_with_tickets(f).groupby("channel")["csat_score"].mean(),
    ),
    (
        "join: complaint rate by customer tier",
        {"metrics": ["complaint_rate"], "dimensions": ["customer_tier"]},
        lambda f: (
            f["tickets"]
            .merge(f["customers"][["customer_id", "tier"]], on="customer_id")
            .groupby("tier")["is_complaint"]
            .mean()
        ),
    ),
    (
        "compare: CSAT July vs June by region",
        {
            "metrics": ["avg_csat"],
            "dimensions": ["region"],
            "time_range": {"start": "2026-07-01", "end": "2026-08-01"},
            "compare": "previous_period",
        },
        lambda f: (
            lambda s: (
                s[s["created_at"].between("2026-06-01", "2026-08-01", inclusive="left")]
                .merge(f["tickets"][["ticket_id", "region"]], on="ticket_id")
                .groupby(["region", s["created_at"].dt.month])["csat_score"]
                .mean()
            )
        )(_surveys_with_tickets(f)),
    ),
    (
        "snapshot: backlog now",
        {"metrics": ["backlog_count"]},
        lambda f: f["tickets"]["resolved_at"].isna().sum(),
    ),
    (
        "detail: low-score VIP surveys this month",
        {
            "fields": ["ticket_id", "customer_name", "csat_score", "comment"],
            "filters": [
                {"dimension": "customer_tier", "op": "eq", "values": ["VIP"]},
                {"field": "csat_score", "op": "lte", "values": [2]},
            ],
            "time_range": {"start": "2026-11-01", "end": "2026-12-01"},
        },
        lambda f: (
            lambda s: (
                s[(s["csat_score"] <= 2) & (s["created_at"] >= "2026-11-01")]
                .merge(f["customers"][["customer_id", "tier", "customer_name"]], on="customer_id")
                .query("tier == 'VIP'")
                .head(1000)
            )
        )(_surveys_with_tickets(f)),
    ),
]


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    function()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[int(q * 100) - 1]
        if len(samples) > 1
        else samples[0]
    )


def ensure_database(tickets: int) -> tuple[Path, float | None]:
    path = HERE / "data" / f"demo-{tickets}.duckdb"
    if path.exists() and demo_database_as_of(path) == AS_OF:
        return path, None
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = generate_demo_database(path, tickets=tickets, as_of=AS_OF, seed=42)
    return path, summary.seconds


def load_frames(path: Path) -> tuple[Frames, float]:
    """The tables as an analyst would have them: a Parquet copy read into pandas."""
    parquet_dir = path.with_suffix(".parquet")
    parquet_dir.mkdir(exist_ok=True)
    with open_read_only(path) as connection:
        for table in ("tickets", "surveys", "customers"):
            target = parquet_dir / f"{table}.parquet"
            if not target.exists():
                connection.table(table).df().to_parquet(target)
    started = time.perf_counter()
    frames = {t: pd.read_parquet(parquet_dir / f"{t}.parquet") for t in ("tickets", "surveys", "customers")}
    return frames, (time.perf_counter() - started) * 1000


def measure_planning(layer: SemanticLayer) -> dict[str, float]:
    """Time the built-in parser on every eval question (after one warm-up pass)."""
    from agent.evaluation import load_cases
    from agent.intent import ConversationState
    from agent.parser import Planner
    from agent.value_index import build_value_index

    planner = Planner(layer.model, build_value_index(layer), FixedClock(AS_OF))
    questions = [
        turn["q"] for case in load_cases(HERE.parent / "tests" / "agent" / "eval") for turn in case["turns"]
    ]
    for question in questions:
        planner.plan(question, ConversationState())
    samples = []
    for question in questions:
        started = time.perf_counter()
        planner.plan(question, ConversationState())
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "questions": len(samples),
        "p50_ms": p(samples, 0.5),
        "p95_ms": p(samples, 0.95),
        "max_ms": max(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS", 1_000_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 9)))
    args = parser.parse_args()

    path, generated_s = ensure_database(args.tickets)
    layer = SemanticLayer(load_model(), DuckDBEngine(path), clock=FixedClock(AS_OF))
    frames, parquet_load_ms = load_frames(path)
    rows = []
    for name, query_json, pandas_script in CASES:
        query = SemanticQuery.model_validate(query_json)
        sql = layer.compile(query).sql
        ours = timed(partial(layer.query, query), args.repeat)
        raw = timed(partial(layer.engine.execute, sql), args.repeat)
        script = timed(partial(pandas_script, frames), args.repeat)
        compile_ms = timed(partial(layer.compile, query), args.repeat)
        rows.append(
            {
                "query": name,
                "semantic_p50_ms": p(ours, 0.5),
                "semantic_p95_ms": p(ours, 0.95),
                "duckdb_p50_ms": p(raw, 0.5),
                "pandas_p50_ms": p(script, 0.5),
                "compile_p50_ms": p(compile_ms, 0.5),
                "overhead_ratio": p(ours, 0.5) / p(raw, 0.5),
                "pandas_over_semantic": p(script, 0.5) / p(ours, 0.5),
            }
        )
    planning = measure_planning(layer)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    report = {
        "tickets": args.tickets,
        "repeat": args.repeat,
        "machine": machine,
        "generated_seconds": generated_s,
        "parquet_load_ms": parquet_load_ms,
        "results": rows,
    }
    lines = [
        f"# Benchmark: {args.tickets:,} tickets, p50 of {args.repeat} runs",
        "",
        f"Machine: {machine}. Pandas timings exclude reading the Parquet files ({parquet_load_ms:,.0f} ms once).",
        "",
        "| query | semantic layer p50 / p95 (ms) | raw DuckDB p50 (ms) | pandas p50 (ms) | compile p50 (ms) | a/b | c/a |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['query']} | {r['semantic_p50_ms']:.1f} / {r['semantic_p95_ms']:.1f} | {r['duckdb_p50_ms']:.1f} | "
            f"{r['pandas_p50_ms']:.1f} | {r['compile_p50_ms']:.2f} | {r['overhead_ratio']:.2f} | {r['pandas_over_semantic']:.1f} |"
        )
    lines += [
        "",
        f"Planning (built-in parser) over {planning['questions']} eval questions: "
        f"p50 {planning['p50_ms']:.2f} ms, p95 {planning['p95_ms']:.2f} ms, max {planning['max_ms']:.2f} ms.",
    ]
    if generated_s is not None:
        size_mb = path.stat().st_size / 1e6
        lines += ["", f"Generating the database took {generated_s:.1f} s ({size_mb:,.0f} MB)."]
    markdown = "\n".join(lines) + "\n"
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"semantic-layer-{args.tickets}.json").write_text(
        json.dumps(report, indent=2), encoding="utf-8"
    )
    (results / f"semantic-layer-{args.tickets}.md").write_text(markdown, encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()

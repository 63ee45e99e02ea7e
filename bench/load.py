"""`make bench` (second part): the server under load and faults, on loopback against the 1M-ticket demo.

1. Runaway query: a cross join of the tickets with themselves under a 1 s timeout; how long after the
   deadline it stops (and that the next query on the same engine runs).
2. Load: 50 concurrent clients, each a distinct identity (a signed token, a region or the headquarters
   role), asking a mix of Chinese and English questions for 60 s; errors, p50/p95/p99 latency, throughput.
3. Soak: 16 clients for 40 s while, midway, the database file is replaced (a new file renamed over it)
   and the server reloads; every request must succeed.

The server runs as a separate `chatbi serve` process, so that the clients' Python does not share its
interpreter. Results go to bench/results/load-<tickets>.json and .md, and the table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt

from semantic_layer.engine import DuckDBEngine, DuckDBSettings
from semantic_layer.errors import ExecutionError

from .serve import HERE, Server, drive, ensure_database

SECRET = "bench-secret-shared-with-the-portal-0123456789"
REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
QUESTIONS = (
    "本月各大区的投诉量",
    "上个月满意度按渠道",
    "最近12个月工单量趋势",
    "本月投诉最多的5个产品型号",
    "上个月首次响应时长P90按班次",
    "为什么10月满意度下降了",
    "How many tickets did we get last month?",
    "CSAT by channel last quarter",
    "complaint rate by region this year",
    "weekly backlog trend over the last 3 months",
    "first contact resolution by product line last month",
    "Which regions account for most SLA breaches?",
)


def _token(user: str, **claims: Any) -> str:
    payload = {"sub": user, "exp": datetime.now(UTC) + timedelta(hours=2), **claims}
    return jwt.encode(payload, SECRET, algorithm="HS256")


def _identities(n: int) -> list[dict[str, str]]:
    """n distinct users: most see one region, every fifth the whole company."""
    headers = []
    for i in range(n):
        claims: dict[str, Any] = (
            {"roles": ["headquarters"]} if i % 5 == 0 else {"region": REGIONS[i % len(REGIONS)]}
        )
        headers.append({"Authorization": f"Bearer {_token(f'user{i}', **claims)}"})
    return headers


def runaway(db: Path, timeout: float = 1.0) -> dict[str, Any]:
    """How long after its deadline a cross join of the tickets with themselves stops."""
    engine = DuckDBEngine(db, DuckDBSettings(query_timeout=timeout))
    try:
        started = time.perf_counter()
        try:
            engine.execute(
                "SELECT count(*) FROM tickets a CROSS JOIN tickets b WHERE a.ticket_id <> b.ticket_id"
            )
            stopped = False
        except ExecutionError:
            stopped = True
        elapsed = time.perf_counter() - started
        next_ok = engine.execute("SELECT count(*) FROM tickets").rows[0][0] > 0
    finally:
        engine.close()
    return {
        "timeout_s": timeout,
        "stopped": stopped,
        "stopped_after_s": round(elapsed, 3),
        "late_by_ms": round(1000 * (elapsed - timeout), 1),
        "next_query_ran": next_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--soak-clients", type=int, default=16)
    parser.add_argument("--soak-seconds", type=float, default=40)
    args = parser.parse_args()

    source, _ = ensure_database(args.tickets)
    work = HERE / "data" / "load"
    work.mkdir(parents=True, exist_ok=True)
    served_db = work / "served.duckdb"
    shutil.copy(source, served_db)

    results: dict[str, Any] = {
        "machine": f"{platform.platform()}, {os.cpu_count()} cores",
        "tickets": args.tickets,
    }
    print("runaway query ...", flush=True)
    results["runaway"] = runaway(served_db)

    server = Server(
        served_db, work / "store.sqlite3", work / "server.log", env={"CHATBI_AUTH_SECRET": SECRET}
    )
    try:
        results["ready_s"] = round(server.wait_ready(), 2)
        # measure the served product, not its start-up: let the background rollup build finish first
        server.wait_until(lambda health: health.get("rollups") != "building", "rollups built", timeout=900)
        print(f"load: {args.clients} clients for {args.seconds:.0f} s ...", flush=True)
        results["load"] = asyncio.run(drive(server.url, QUESTIONS, _identities(args.clients), args.seconds))

        admin = {"Authorization": f"Bearer {_token('ops', roles=['admin'])}"}
        reloads: list[int] = []

        async def replace_and_reload(http: httpx.AsyncClient) -> None:
            fresh = work / "fresh.duckdb"
            await asyncio.to_thread(shutil.copy, source, fresh)
            os.replace(fresh, served_db)  # a new file renamed over the served one, as a nightly load would
            response = await http.post("/api/admin/reload", headers=admin)
            reloads.append(response.status_code)

        print(
            f"soak: {args.soak_clients} clients for {args.soak_seconds:.0f} s, database replaced midway ...",
            flush=True,
        )
        soak = asyncio.run(
            drive(
                server.url,
                QUESTIONS,
                _identities(args.soak_clients),
                args.soak_seconds,
                replace_and_reload,
            )
        )
        soak["reload_status"] = reloads
        results["soak"] = soak
    finally:
        server.stop()

    table = _markdown(results)
    out = HERE / "results" / f"load-{args.tickets}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(table + "\n")
    print(table)


def _markdown(results: dict[str, Any]) -> str:
    r, load, soak = results["runaway"], results["load"], results["soak"]
    lines = [
        f"# Load and faults, {results['tickets']:,} tickets",
        "",
        f"Machine: {results['machine']}. Server ready in {results['ready_s']} s.",
        "",
        f"Runaway query (cross join, {r['timeout_s']} s timeout): stopped={r['stopped']} after "
        f"{r['stopped_after_s']} s ({r['late_by_ms']} ms after the deadline); next query ran: {r['next_query_ran']}.",
        "",
        "| run | clients | seconds | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in (("load (distinct identities)", load), ("soak (file replaced + reload)", soak)):
        lines.append(
            f"| {name} | {row['clients']} | {row['seconds']} | {row['requests']} | {row['errors']} | "
            f"{row['throughput_per_s']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |"
        )
    lines += ["", f"Reload during the soak answered HTTP {soak['reload_status']}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

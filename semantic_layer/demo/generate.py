"""Generate the demo DuckDB database: after-sales tickets, surveys, customers and agents with planted stories.

The data is simulated as integer codes in numpy chunks (seeded per chunk, so the result depends only on
the seed, the as-of date and the number of tickets), and turned into strings inside DuckDB. The file is
written next to ``out`` under a temporary name and renamed into place at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from semantic_layer.demo.comments import COMMENTS, SUFFIXES
from semantic_layer.demo.geography import GEOGRAPHY
from semantic_layer.demo.population import (
    INDUSTRIES,
    NEW,
    TEAMS,
    TIERS,
    VIP,
    Agents,
    Customers,
    draw_agents,
    draw_customers,
)
from semantic_layer.demo.seasonality import PRODUCT_LINES, allocate, daily_weights, window_start
from semantic_layer.demo.tickets import (
    CATEGORIES,
    CHANNELS,
    MODEL_LINE,
    MODELS,
    RESOLUTION_TYPES,
    SLA_MINUTES,
    STATUSES,
    CustomerExperience,
    World,
    simulate_chunk,
)
from semantic_layer.demo.vocabulary import GIVEN_CHARS, SURNAMES

GENERATOR_VERSION = "1.0"
MAX_CHUNK_TICKETS = 500_000
TICKETS_PER_CUSTOMER = 4

_DDL = """
CREATE TABLE agents (
    agent_id VARCHAR PRIMARY KEY, agent_name VARCHAR NOT NULL, team VARCHAR NOT NULL, hire_date DATE NOT NULL
);
CREATE TABLE customers (
    customer_id VARCHAR NOT NULL, customer_name VARCHAR NOT NULL, tier VARCHAR NOT NULL,
    industry VARCHAR NOT NULL, home_region VARCHAR NOT NULL, home_province VARCHAR NOT NULL,
    home_city VARCHAR NOT NULL, signup_date DATE NOT NULL, repurchased BOOLEAN NOT NULL,
    churned BOOLEAN NOT NULL
);
CREATE TABLE tickets (
    ticket_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, first_response_at TIMESTAMP,
    resolved_at TIMESTAMP, closed_at TIMESTAMP, channel VARCHAR NOT NULL, product_line VARCHAR NOT NULL,
    product_model VARCHAR NOT NULL, category VARCHAR NOT NULL, priority VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL, region VARCHAR NOT NULL, province VARCHAR NOT NULL, city VARCHAR NOT NULL,
    team VARCHAR NOT NULL, agent_id VARCHAR NOT NULL, agent VARCHAR NOT NULL, shift VARCHAR NOT NULL,
    status VARCHAR NOT NULL, is_complaint BOOLEAN NOT NULL, reopened BOOLEAN NOT NULL,
    contact_count INTEGER NOT NULL, resolution_type VARCHAR, sla_target_minutes INTEGER NOT NULL
);
CREATE TABLE surveys (
    survey_id VARCHAR NOT NULL, ticket_id VARCHAR NOT NULL, surveyed_at TIMESTAMP NOT NULL,
    csat_score INTEGER NOT NULL, nps_score INTEGER NOT NULL, comment VARCHAR
);
CREATE TABLE demo_metadata (key VARCHAR NOT NULL, value VARCHAR NOT NULL);
"""

_INSERT_TICKETS = """
INSERT INTO tickets SELECT
    'T' || lpad(CAST(ticket_no AS VARCHAR), 9, '0'),
    created_at, first_response_at, resolved_at, closed_at,
    $channels[channel + 1], $model_lines[model + 1], $models[model + 1], $categories[category + 1],
    'P' || CAST(priority + 1 AS VARCHAR),
    'C' || lpad(CAST(customer_no AS VARCHAR), 8, '0'),
    $city_regions[city + 1], $city_provinces[city + 1], $cities[city + 1],
    $agent_teams[agent + 1], $agent_ids[agent + 1], $agent_names[agent + 1],
    CASE WHEN hour(created_at) BETWEEN 8 AND 19 THEN '白班' ELSE '夜班' END,
    $statuses[status + 1], is_complaint, reopened, contact_count,
    $resolution_types[resolution_type + 1], $sla[priority + 1]
FROM chunk_tickets
"""

_INSERT_SURVEYS = """
INSERT INTO surveys SELECT
    'S' || lpad(CAST(survey_no AS VARCHAR), 9, '0'),
    'T' || lpad(CAST(ticket_no AS VARCHAR), 9, '0'),
    surveyed_at, csat_score, nps_score,
    replace($comments[comment + 1], '{p}', $model_lines[model + 1]) || $suffixes[suffix + 1]
FROM chunk_surveys
"""

_INSERT_CUSTOMERS = """
INSERT INTO customers SELECT
    'C' || lpad(CAST(customer_no AS VARCHAR), 8, '0'),
    $surnames[surname + 1] || $given[given1 + 1] || coalesce($given[given2 + 1], ''),
    $tiers[tier + 1], $industries[industry + 1],
    $city_regions[city + 1], $city_provinces[city + 1], $cities[city + 1],
    signup_date, repurchased, churned
FROM new_customers
"""


@dataclass(frozen=True)
class GenerationSummary:
    """What was written, and how long it took."""

    path: Path
    tickets: int
    surveys: int
    customers: int
    agents: int
    as_of: date
    seed: int
    seconds: float


def generate_demo_database(
    out: Path,
    *,
    tickets: int = 200_000,
    as_of: date | None = None,
    seed: int = 42,
    progress: Callable[[int, int], None] | None = None,
) -> GenerationSummary:
    """Write a demo database of ``tickets`` tickets over the 24 months ending on ``as_of`` (default today,
    Asia/Shanghai) to ``out``, replacing any file there atomically. Same arguments, same data."""
    if tickets < 1:
        raise ValueError(f"tickets must be at least 1, got {tickets}")
    began = time.perf_counter()
    out = Path(out)
    as_of = as_of or _today_in_shanghai()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    _remove_database(tmp)
    try:
        with contextlib.closing(duckdb.connect(str(tmp))) as con:
            counts = _write(con, tickets=tickets, as_of=as_of, seed=seed, progress=progress)
        # A stale write-ahead log of the old file must not be replayed onto the new one.
        _remove_database(out, keep_main=True)
        os.replace(tmp, out)
    except BaseException:
        _remove_database(tmp)
        raise
    return GenerationSummary(
        path=out,
        tickets=tickets,
        surveys=counts["surveys"],
        customers=counts["customers"],
        agents=counts["agents"],
        as_of=as_of,
        seed=seed,
        seconds=time.perf_counter() - began,
    )


def _today_in_shanghai() -> date:
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Asia/Shanghai")).date()
    except Exception:  # no time zone database: the local date is close enough
        return date.today()


def _remove_database(path: Path, *, keep_main: bool = False) -> None:
    for p in ([] if keep_main else [path]) + [path.with_name(path.name + ".wal")]:
        p.unlink(missing_ok=True)


def _write(
    con: duckdb.DuckDBPyConnection,
    *,
    tickets: int,
    as_of: date,
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> dict[str, int]:
    start = window_start(as_of)
    n_days = (as_of - start).days + 1
    weights, line_prob, outbreak_share = daily_weights(start, n_days, seed)
    day_counts = allocate(tickets, weights)
    n_customers = max(50, round(tickets / TICKETS_PER_CUSTOMER))
    customers = draw_customers(np.random.default_rng([seed, 1_000_001]), n_customers, n_days)
    agents = draw_agents(np.random.default_rng([seed, 1_000_002]), start)
    world = World.create(start, n_days, customers, agents, line_prob, outbreak_share)
    experience = CustomerExperience.empty(n_customers)

    # One transaction: rows go straight to the file instead of through the WAL and repeated checkpoints.
    con.execute("BEGIN TRANSACTION")
    con.execute(_DDL)
    _insert_agents(con, agents)
    lookups = _lookups(agents)
    ticket_params = {k: lookups[k] for k in _params_of(_INSERT_TICKETS)}
    survey_params = {k: lookups[k] for k in _params_of(_INSERT_SURVEYS)}
    done = surveys = 0
    for chunk_no, (first_day, last_day) in enumerate(_chunk_days(day_counts, _chunk_target(tickets))):
        chunk = simulate_chunk(
            world,
            np.random.default_rng([seed, chunk_no]),
            day_counts[first_day:last_day],
            first_day,
            first_ticket=done + 1,
            first_survey=surveys + 1,
            experience=experience,
        )
        con.register("chunk_tickets", chunk.tickets)
        con.execute(_INSERT_TICKETS, ticket_params)
        con.unregister("chunk_tickets")
        con.register("chunk_surveys", chunk.surveys)
        con.execute(_INSERT_SURVEYS, survey_params)
        con.unregister("chunk_surveys")
        done += chunk.tickets.num_rows
        surveys += chunk.surveys.num_rows
        if progress is not None:
            progress(done, tickets)

    new_customers = _customer_table(np.random.default_rng([seed, 1_000_003]), customers, experience, start)
    con.register("new_customers", new_customers)
    con.execute(_INSERT_CUSTOMERS, {k: lookups[k] for k in _params_of(_INSERT_CUSTOMERS)})
    con.unregister("new_customers")
    con.execute("ALTER TABLE tickets ADD PRIMARY KEY (ticket_id)")
    metadata = {
        "as_of": as_of.isoformat(),
        "seed": str(seed),
        "tickets": str(tickets),
        "generator_version": GENERATOR_VERSION,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    con.executemany("INSERT INTO demo_metadata VALUES (?, ?)", list(metadata.items()))
    con.execute("COMMIT")
    con.execute("CHECKPOINT")
    return {"surveys": surveys, "customers": n_customers, "agents": len(agents)}


def _chunk_target(tickets: int) -> int:
    """Tickets per chunk: about a tenth of the run (so that progress moves), within 100,000 and
    MAX_CHUNK_TICKETS (which bounds memory)."""
    return int(np.clip(tickets // 10, 100_000, MAX_CHUNK_TICKETS))


def _chunk_days(day_counts: np.ndarray, target: int) -> Iterator[tuple[int, int]]:
    """Runs of whole days holding about ``target`` tickets each, as (first_day, end_day) pairs."""
    first, running = 0, 0
    for day, count in enumerate(day_counts):
        running += int(count)
        if running >= target:
            yield first, day + 1
            first, running = day + 1, 0
    if running or first == 0:
        yield first, len(day_counts)


def _params_of(sql: str) -> list[str]:
    """Names of the ``$name`` parameters a statement uses."""
    return sorted(set(re.findall(r"\$([a-z_]+)", sql)))


def _lookups(agents: Agents) -> dict[str, list[Any]]:
    """Code -> value lists, bound as query parameters and indexed by code inside DuckDB."""
    geo = GEOGRAPHY
    return {
        "channels": list(CHANNELS),
        "models": list(MODELS),
        "model_lines": [PRODUCT_LINES[line] for line in MODEL_LINE],
        "categories": list(CATEGORIES),
        "statuses": list(STATUSES),
        "resolution_types": list(RESOLUTION_TYPES),
        "sla": [int(m) for m in SLA_MINUTES],
        "cities": list(geo.cities),
        "city_provinces": [geo.provinces[p] for p in geo.city_province],
        "city_regions": [geo.regions[r] for r in geo.city_region],
        "agent_ids": agents.ids(),
        "agent_names": list(agents.names),
        "agent_teams": [TEAMS[t] for t in agents.team],
        "comments": list(COMMENTS),
        "suffixes": list(SUFFIXES),
        "surnames": [s for s, _ in SURNAMES],
        "given": list(GIVEN_CHARS),
        "tiers": list(TIERS),
        "industries": list(INDUSTRIES),
    }


def _insert_agents(con: duckdb.DuckDBPyConnection, agents: Agents) -> None:
    rows = [
        (agent_id, name, TEAMS[team], hired)
        for agent_id, name, team, hired in zip(
            agents.ids(), agents.names, agents.team, agents.hire_date, strict=True
        )
    ]
    con.executemany("INSERT INTO agents VALUES (?, ?, ?, ?)", rows)


def _customer_table(
    rng: np.random.Generator, customers: Customers, experience: CustomerExperience, start: date
) -> pa.Table:
    """Customers in id order, with repurchase and churn driven by tier and service experience."""
    n = len(customers)
    vip = customers.tier == VIP
    new = customers.tier == NEW
    avg_csat = np.where(experience.surveys > 0, experience.csat_sum / np.maximum(experience.surveys, 1), 4.0)
    complained = experience.complaints > 0
    breach_share = experience.breaches / np.maximum(experience.tickets, 1)
    repurchase_logit = (
        -1.3 + 1.1 * vip - 0.4 * new + 0.7 * (avg_csat - 4.0) - 0.9 * complained - 0.6 * breach_share
    ) + 0.2 * np.log1p(experience.tickets)
    churn_logit = -2.4 - 0.8 * vip - 0.8 * (avg_csat - 4.0) + 1.1 * complained + 0.8 * breach_share
    churned = rng.random(n) < _sigmoid(churn_logit)
    repurchased = (rng.random(n) < _sigmoid(repurchase_logit)) & ~(churned & (rng.random(n) < 0.8))

    order = np.argsort(customers.number)
    epoch_day = (start - date(1970, 1, 1)).days
    names = customers.names
    return pa.table({
        "customer_no": customers.number[order],
        "surname": names.surname[order],
        "given1": names.given1[order],
        "given2": pa.array(names.given2[order], mask=names.given2[order] < 0),
        "tier": customers.tier[order],
        "industry": customers.industry[order],
        "city": customers.city[order],
        "signup_date": pa.array((epoch_day + customers.signup_day[order]).astype(np.int32), type=pa.date32()),
        "repurchased": repurchased[order],
        "churned": churned[order],
    })  # fmt: skip


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))

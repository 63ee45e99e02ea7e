"""What the benchmarks share: the demo databases they run on, `chatbi serve` in its own process (its
readiness and peak memory), and concurrent clients asking questions over HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from semantic_layer.demo.generate import generate_demo_database
from semantic_layer.demo.metadata import demo_database_as_of

HERE = Path(__file__).parent
DATA = HERE / "data"
AS_OF = date(2026, 11, 15)
"""The demo's as-of day: "this month" and "last month" in the questions are read from it."""

Midway = Callable[[httpx.AsyncClient], Awaitable[None]]


def ensure_database(tickets: int) -> tuple[Path, float | None]:
    """The demo database with `tickets` tickets as of AS_OF (generated once, then reused), and the
    seconds generating took (None when reused)."""
    path = DATA / f"demo-{tickets}.duckdb"
    if path.exists() and demo_database_as_of(path) == AS_OF:
        return path, None
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = generate_demo_database(path, tickets=tickets, as_of=AS_OF, seed=42)
    return path, summary.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`chatbi serve` in its own process on a free loopback port, so that the server's work is not
    mixed with the clients' Python; `env` adds or overrides CHATBI_* settings."""

    def __init__(self, db: Path, store: Path, log: Path, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "CHATBI_DB": str(db),
            "CHATBI_STORE": str(store),
            "CHATBI_AS_OF": AS_OF.isoformat(),
            "CHATBI_RATE_LIMIT": "0",  # benchmarks ask far more than a person would
            "CHATBI_MAX_CONCURRENT": "0",
            **(env or {}),
        }
        chatbi = Path(sys.executable).with_name("chatbi")
        command = [str(chatbi), "serve", "--port", str(self.port)]
        self._log = log.open("w")
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def health(self) -> dict[str, Any] | None:
        """The health document once the server says ready; None before (503 or not listening)."""
        try:
            response = httpx.get(f"{self.url}/api/health", timeout=2)
        except httpx.HTTPError:
            return None
        body: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return body if body.get("status") == "ready" else None

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds from the process start until health says ready."""
        return self.wait_until(lambda health: True, "ready", timeout)

    def wait_until(self, condition: Callable[[dict[str, Any]], bool], what: str, timeout: float) -> float:
        """Seconds from the process start until the server is ready and `condition(health)` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"chatbi serve exited with {self.process.returncode}; see {self._log.name}"
                )
            health = self.health()
            if health is not None and condition(health):
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise RuntimeError(f"chatbi serve was not {what} within {timeout:.0f} s; see {self._log.name}")

    def peak_rss_mb(self) -> float | None:
        """The server process's peak resident memory so far (VmHWM), in MB; None off Linux."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


async def _client(
    http: httpx.AsyncClient,
    questions: Sequence[str],
    headers: Mapping[str, str],
    offset: int,
    until: float,
    samples: list[tuple[float, int]],
) -> None:
    i = offset
    while time.monotonic() < until:
        question = questions[i % len(questions)]
        i += 1
        started = time.perf_counter()
        try:
            response = await http.post("/api/ask", json={"question": question}, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        samples.append((time.perf_counter() - started, status))


async def drive(
    url: str,
    questions: Sequence[str],
    identities: Sequence[Mapping[str, str]],
    seconds: float,
    midway: Midway | None = None,
) -> dict[str, Any]:
    """One client per identity (its request headers), each asking `questions` in turn from its own
    offset for `seconds` (`midway`, if given, runs halfway); errors, latency and throughput."""
    clients = len(identities)
    samples: list[tuple[float, int]] = []
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        tasks = [
            asyncio.create_task(_client(http, questions, identities[i], i, until, samples))
            for i in range(clients)
        ]
        if midway is not None:
            await asyncio.sleep(seconds / 2)
            await midway(http)
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    latencies = sorted(s for s, status in samples if status == 200)
    errors = sum(1 for _, status in samples if status != 200)

    def pct(q: float) -> float:
        return (
            round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else 0.0
        )

    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(samples),
        "errors": errors,
        "error_statuses": sorted({status for _, status in samples if status != 200}),
        "throughput_per_s": round(len(samples) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else 0.0,
    }

"""Shared by the `chatbi init` end-to-end tests: run the CLI, ask a question with `--json`, and compare the
answer's rows with the same numbers computed by pandas."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from server.cli import app

runner = CliRunner()
Expected = Callable[[pd.DataFrame], dict[tuple[Any, ...], float]]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ask(model: Path, db: Path | str, question: str, as_of: str) -> dict[str, Any]:
    code, out, err = run("ask", question, "--model", str(model), "--db", str(db), "--as-of", as_of, "--json")
    assert code == 0, err
    return dict(json.loads(out))


@dataclass(frozen=True)
class Case:
    question: str
    metric: str
    dimensions: tuple[str, ...]
    expected: Expected
    limit: int | None = None


def check_answer(answer: dict[str, Any], case: Case, frame: pd.DataFrame) -> None:
    assert answer["status"] == "answered", answer["answer"]
    query = answer["query"]["query"]
    assert query["metrics"] == [case.metric]
    assert tuple(d["name"] for d in query["dimensions"]) == case.dimensions
    assert query.get("limit") == case.limit
    width = len(case.dimensions)
    got = {tuple(row[:width]): row[width] for row in answer["data"]["rows"]}
    want = case.expected(frame)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key


def between(frame: pd.DataFrame, period: tuple[str, str] | None, column: str = "created") -> pd.DataFrame:
    if period is None:
        return frame
    return frame[(frame[column] >= period[0]) & (frame[column] < period[1])]


def one(compute: Callable[[pd.DataFrame], float], period: tuple[str, str] | None = None) -> Expected:
    return lambda frame: {(): compute(between(frame, period))}


def monthly(frame: pd.DataFrame) -> dict[tuple[Any, ...], float]:
    months = frame["created"].dt.to_period("M").dt.start_time.dt.strftime("%Y-%m-%d")
    return {(key,): float(n) for key, n in frame.groupby(months).size().items()}


def within_24h(frame: pd.DataFrame) -> float:
    return float((frame["hours"] <= 24).sum() / len(frame))

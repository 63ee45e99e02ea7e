"""The `chatbi` command line: exit codes, messages and output of generate, check and query."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from semantic_layer.engine import open_read_only
from server.cli import app
from tests.conftest import DEMO_AS_OF

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_accepts_the_bundled_model_and_database(demo_db: Path) -> None:
    code, out, _ = run("check", "--db", str(demo_db))
    assert code == 0
    assert out.startswith("OK: model 'after_sales' (")
    assert "every expression runs on" in out


def test_check_rejects_a_broken_model_with_its_location(tmp_path: Path) -> None:
    model = tmp_path / "broken.yaml"
    model.write_text("name: x\ntables: [{name: t, source: t}]\nmetrics:\n  - {name: n, table: t, agg: cnt}\n")
    code, _, err = run("check", "--model", str(model))
    assert code == 1
    assert f"error: {model}:4: metrics[0].agg: 'cnt' is not one of" in err
    assert "did you mean 'count'?" in err


def test_check_reports_expressions_the_database_cannot_run(tmp_path: Path, demo_db: Path) -> None:
    model = tmp_path / "wrong_column.yaml"
    model.write_text(
        "name: x\ntables: [{name: tickets, source: tickets}]\nmetrics:\n  - {name: n, table: tickets, agg: sum, expr: no_such_column}\n"
    )
    code, _, err = run("check", "--model", str(model), "--db", str(demo_db))
    assert code == 1
    assert "metric 'n'" in err and "no_such_column" in err


def test_query_prints_a_table_with_labels_and_the_sql(demo_db: Path) -> None:
    code, out, _ = run(
        "query", '{"metrics": ["ticket_count"], "dimensions": ["priority"]}', "--db", str(demo_db)
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["优先级", "工单量"]
    with open_read_only(demo_db) as connection:
        expected = connection.execute(
            "SELECT priority, count(*) FROM tickets GROUP BY 1 ORDER BY 1"
        ).fetchall()
    printed = [line.split() for line in lines[2 : 2 + len(expected)]]
    assert printed == [[p, f"{n:,}"] for p, n in expected]
    assert "SELECT" in out


def test_query_from_a_file_as_json(tmp_path: Path, demo_db: Path) -> None:
    query_file = tmp_path / "q.json"
    query_file.write_text(json.dumps({"metrics": ["complaint_rate"], "time_range": {"period": "last_month"}}))
    code, out, _ = run(
        "query",
        str(query_file),
        "--db",
        str(demo_db),
        "--json",
        "--as-of",
        DEMO_AS_OF.isoformat(),
        "--lang",
        "en",
    )
    assert code == 0
    body = json.loads(out)
    assert body["columns"] == [
        {"name": "complaint_rate", "type": "number", "label": "Complaint rate", "format": "percent"}
    ]
    with open_read_only(demo_db) as connection:
        (rate,) = connection.execute(
            "SELECT avg(is_complaint::INT) FROM tickets WHERE created_at >= '2026-10-01' AND created_at < '2026-11-01'"
        ).fetchone()
    assert body["rows"][0][0] == pytest.approx(rate, rel=1e-12)


def test_query_as_a_user_sees_only_their_region(demo_db: Path) -> None:
    code, out, _ = run(
        "query",
        '{"metrics": ["ticket_count"], "dimensions": ["region"]}',
        "--db",
        str(demo_db),
        "--json",
        "--user",
        "region=华南",
    )
    assert code == 0
    assert [row[0] for row in json.loads(out)["rows"]] == ["华南"]
    code, out, _ = run(
        "query", '{"metrics": ["ticket_count"]}', "--db", str(demo_db), "--json", "--user", "team=x"
    )
    assert json.loads(out)["rows"] == [[0]]  # no region attribute: default deny


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ['{"metrics": ["ticket_cnt"]}'],
            1,
            "error: unknown metric 'ticket_cnt'; did you mean 'ticket_count'?",
        ),
        (
            ['{"metrics": ["ticket_count"], "limit": "many"}'],
            2,
            "error: invalid query: limit: Input should be a valid integer",
        ),
        (["missing.json"], 2, "error: cannot read query file missing.json"),
        (
            ['{"metrics": ["ticket_count"]}', "--as-of", "15/11/2026"],
            2,
            "error: --as-of must be a date written YYYY-MM-DD",
        ),
    ],
)
def test_query_errors_exit_non_zero_with_a_message(
    args: list[str], code: int, message: str, demo_db: Path
) -> None:
    exit_code, _, err = run("query", *args, "--db", str(demo_db))
    assert exit_code == code
    assert err.startswith(message), err


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("query", '{"metrics": ["ticket_count"]}', "--db", str(tmp_path / "none.duckdb"))
    assert code == 1
    assert err.startswith(f"error: database file not found: {tmp_path / 'none.duckdb'}")


def test_generate_writes_a_database_and_reports_it(tmp_path: Path) -> None:
    out = tmp_path / "small.duckdb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "generate",
            "--out",
            str(out),
            "--tickets",
            "5000",
            "--as-of",
            "2026-01-31",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {out}: 5,000 tickets")
    with open_read_only(out) as connection:
        assert connection.execute("SELECT count(*) FROM tickets").fetchone() == (5000,)
        assert connection.execute("SELECT value FROM demo_metadata WHERE key = 'as_of'").fetchone() == (
            "2026-01-31",
        )


def test_ask_prints_the_intent_the_sql_and_the_answer_table(demo_db: Path) -> None:
    code, out, _ = run(
        "ask", "本月哪个产品投诉最多?", "--db", str(demo_db), "--as-of", DEMO_AS_OF.isoformat()
    )
    assert code == 0
    assert out.startswith("intent: metric")
    with open_read_only(demo_db) as connection:
        model, count = connection.execute(
            "SELECT product_model, count(*) FROM tickets WHERE is_complaint AND created_at >= '2026-11-01' "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    assert [model, str(count)] in [line.split() for line in out.splitlines()]
    assert "SELECT" in out


def test_ask_keeps_a_conversation_and_answers_a_clarification(tmp_path: Path, demo_db: Path) -> None:
    conversation = tmp_path / "conversation.json"
    common = ["--db", str(demo_db), "--as-of", DEMO_AS_OF.isoformat(), "--conversation", str(conversation)]
    code, out, _ = run("ask", "what is our response time", *common)
    assert code == 0 and "intent: clarify" in out and "[option2] Median first response time" in out
    code, out, _ = run("ask", "--choice", "option2", *common, "--json")
    answer = json.loads(out)
    assert answer["status"] == "answered"
    assert answer["query"]["query"]["metrics"] == ["median_first_response_minutes"]
    code, out, _ = run("ask", "by shift", *common, "--json")
    answer = json.loads(out)
    assert answer["query"]["query"]["dimensions"] == [{"name": "shift", "grain": None}]
    assert [c["name"] for c in answer["data"]["columns"]] == ["shift", "median_first_response_minutes"]
    code, _, err = run("ask", "--choice", "option9", *common)
    assert code == 2 and "no clarification option 'option9'" in err


def test_ask_says_what_it_cannot_answer_and_exits_zero(demo_db: Path) -> None:
    code, out, _ = run("ask", "what is our revenue", "--db", str(demo_db), "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["status"] == "unsupported" and answer["data"] is None
    assert len(answer["suggestions"]) == 3


def test_ask_saves_the_chart_as_vega_lite_and_as_png(tmp_path: Path, demo_db: Path) -> None:
    spec_path, png_path = tmp_path / "chart.json", tmp_path / "chart.png"
    args = ["各大区的投诉量", "--db", str(demo_db), "--as-of", DEMO_AS_OF.isoformat()]
    assert run("ask", *args, "--chart", str(spec_path))[0] == 0
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    with open_read_only(demo_db) as connection:
        regions = {r for (r,) in connection.execute("SELECT DISTINCT region FROM tickets").fetchall()}
    assert {row["category"] for row in spec["data"]["values"]} == regions  # one bar per region, inline data
    assert run("ask", *args, "--chart", str(png_path))[0] == 0
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = run("ask", *args, "--chart", str(tmp_path / "chart.gif"))
    assert code == 2 and "--chart must end in .png, .svg or .json" in err


def test_a_bad_setting_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    monkeypatch.setenv("CHATBI_PORT", "not-a-port")
    code, _, err = run("query", '{"metrics": ["ticket_count"]}', "--db", str(demo_db))
    assert code == 2
    assert err.startswith("error: setting CHATBI_PORT: Input should be a valid integer")
    assert "Traceback" not in err

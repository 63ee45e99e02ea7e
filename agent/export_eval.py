"""Score the product on the frozen blind question sets of real exports (tests/agent/eval/exports/).

For one export: draft a model from its raw CSV as `chatbi init` does (the file loaded into a DuckDB file,
the draft written, loaded and checked), answer every question as the server does (the built-in parser
alone, no LLM, with a value index read through the layer; a fresh conversation per question), and compare
the numbers of each answer with the export's gold.py (pandas on the raw file). Outcomes are those of
`agent.evaluation`: `right`, `wrong` (answered, with numbers or rows that do not match the gold) and
`declined` (asked back or refused where the gold is an answer). Where the gold is a refusal, asking back
or refusing is right and any answer is wrong.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from semantic_layer.drafting.workflow import InitResult, init_from_source
from semantic_layer.engines import EngineSettings, open_engine
from semantic_layer.errors import SemanticLayerError
from semantic_layer.freshness import data_as_of
from semantic_layer.layer import SemanticLayer
from semantic_layer.model import SemanticModel
from semantic_layer.periods import FixedClock

from .answer import Answer, answer_question
from .evaluation import Outcome
from .parser import Planner
from .routing import for_question
from .value_index import build_value_index

REPOSITORY = Path(__file__).resolve().parent.parent
CASES_FOLDER = REPOSITORY / "tests" / "agent" / "eval" / "exports"
DATA_ENV = "CHATBI_EXPORTS_DATA"


@dataclass(frozen=True)
class Export:
    name: str
    """The folder of its questions.yaml and gold.py under CASES_FOLDER."""
    csv: str
    """The raw file, relative to the data folder (folder names differ from the question sets')."""
    today: date
    """'Today' as the questions assume it: the last day of the data (the headers of baltimore_311 and
    support_tickets give it; zhengwu's last reply is on 2020-01-09). The questions name absolute
    periods; the clock matters for 'now', 'still open' and forecasts."""
    id_column: str
    """The raw file's row id, which gold.py lists for detail questions."""


EXPORTS = (
    Export("baltimore_311", "baltimore_311/311_sample.csv", date(2019, 2, 13), "ServiceRequestNum"),
    Export(
        "support_tickets",
        "kaggle_support_tickets/customer_support_tickets.csv",
        date(2021, 12, 30),
        "Ticket ID",
    ),
    Export("zhengwu", "zhengwu_liuyan/liuyan_dafu.csv", date(2020, 1, 9), "留言编号"),
)


@dataclass(frozen=True)
class CaseResult:
    export: str
    case_id: str
    lang: str
    question: str
    kind: str
    outcome: Outcome
    got: str
    """What the product answered, short."""
    expected: str
    """The gold, short."""


@dataclass(frozen=True)
class ExportRun:
    export: Export
    results: tuple[CaseResult, ...]
    draft_seconds: float
    answer_seconds: float


def data_folder() -> Path:
    """Where the raw exports live: $CHATBI_EXPORTS_DATA, else shared/data next to the repository."""
    return Path(os.environ.get(DATA_ENV) or REPOSITORY.parent / "shared" / "data")


def load_cases(export: Export) -> list[dict[str, Any]]:
    path = CASES_FOLDER / export.name / "questions.yaml"
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_gold(export: Export, csv: Path) -> dict[str, Any]:
    """gold.py's values for the export (case id -> value; refusals have none)."""
    path = CASES_FOLDER / export.name / "gold.py"
    spec = importlib.util.spec_from_file_location(f"export_gold_{export.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.gold(module.load(csv)))


def run_export(export: Export, data: Path, work: Path) -> ExportRun:
    """Draft the export's model into `work` and score every question of its set."""
    csv = data / export.csv
    started = time.perf_counter()
    init = init_from_source(str(csv), work / f"{export.name}.yaml", work / f"{export.name}.duckdb")
    model = init.model
    engine = open_engine(str(init.db_path), EngineSettings(timezone=model.calendar.timezone))
    try:
        layer = SemanticLayer(model, engine, clock=FixedClock(export.today))
        rules = Planner(model, build_value_index(layer), layer.clock)
        planner, _ = for_question(rules, layer, None, None)
        as_of = data_as_of(model, engine)
        drafted = time.perf_counter()
        gold = load_gold(export, csv)
        id_field = _id_field(init, export.id_column)
        results = []
        for case in load_cases(export):
            try:
                answer: Answer | str = answer_question(planner, layer, case["q"], data_as_of=as_of)[0]
            except SemanticLayerError as error:  # what the server sends as an HTTP error
                answer = f"error: {error}"
            outcome, got = score_answer(case, answer, gold.get(case["id"]), model, id_field)
            results.append(
                CaseResult(
                    export.name,
                    case["id"],
                    case["lang"],
                    case["q"],
                    case["gold"]["kind"],
                    outcome,
                    got,
                    _short(gold.get(case["id"]), case["gold"]["kind"]),
                )
            )
    finally:
        engine.close()
    finished = time.perf_counter()
    return ExportRun(export, tuple(results), drafted - started, finished - drafted)


def _id_field(init: InitResult, column: str) -> str | None:
    """The drafted field that lists the raw file's `column` (the drafter renames columns)."""
    names = {c.name for table in init.tables for c in table.columns if c.original == column}
    for attribute in init.model.attributes:
        if attribute.sql in names:
            return attribute.name
    return next((d.name for d in init.model.dimensions if set(d.on.values()) & names), None)


def score_answer(
    case: dict[str, Any], answer: Answer | str, gold: Any, model: SemanticModel, id_field: str | None
) -> tuple[Outcome, str]:
    """The outcome of one answer against the gold value, and what the answer said (short)."""
    kind = case["gold"]["kind"]
    if isinstance(answer, str):  # an error is no answer, and no refusal either
        return "declined", answer[:120]
    if answer.status != "answered":
        said = answer.clarification.question if answer.clarification else answer.answer or ""
        return ("right" if kind == "refuse" else "declined"), f"{answer.status}: {said[:100]}"
    pairs = _labelled(answer, model, case.get("unit"))
    numbers = _numbers(answer, model, case.get("unit"))
    labels = [label for label, _ in pairs if label is not None]
    ids = _ids(answer, id_field)
    tolerance = 5e-3 if "round" in str(case.get("note", "")).lower() else 1e-6
    if kind == "refuse":
        right = False
    elif kind == "number":
        right = any(_close(value, gold, tolerance) for value in numbers)
    elif kind == "detail":
        right = ids is not None and set(ids) == set(gold)
    elif kind == "top":
        right = labels[:1] == [_gold_label(gold)]
    elif kind == "ranking":
        right = labels[: len(gold)] == [_gold_label(label) for label in gold]
    else:
        right = _same_values(pairs, gold, tolerance, drop_zeros=kind == "trend")
    said = _short(ids, "detail") if ids is not None else _said(answer, pairs, numbers)
    return ("right" if right else "wrong"), said


def _said(answer: Answer, pairs: list[tuple[str | None, Any]], numbers: list[float]) -> str:
    """An answer's numbers, short: label -> value per row, or its one row's values."""
    if pairs:
        return _short(dict(pairs), "breakdown")
    if numbers:
        return _short(numbers, "number")
    return f"{len(answer.data.rows) if answer.data else 0} rows of {answer.query.kind}"


def _numbers(answer: Answer, model: SemanticModel, unit: str | None) -> list[float]:
    """The numbers a one-row answer states: each metric's value and, when it compares periods, the
    change and relative change (as a size: "down by 12" answers "how many fewer"), never the previous
    period's value (that answers another period)."""
    data = answer.data
    if data is None or len(data.rows) != 1:
        return []
    query = answer.query.query
    metrics = set(query.metrics) if query is not None else set()
    values = []
    for column, value in zip(data.columns, data.rows[0], strict=True):
        base, _, part = column.name.partition("__")
        if base not in metrics or part == "previous" or not _is_number(value):
            continue
        if part == "change_pct":
            values.append(abs(value))
        else:
            converted = _in_unit(value, model, base, unit)
            values.append(abs(converted) if part == "change" else converted)
    return values


def _labelled(answer: Answer, model: SemanticModel, unit: str | None) -> list[tuple[str | None, Any]]:
    """(label, value) per row, in the answer's order: the first dimension as the label (a time grain's
    period written as gold writes it) and the first metric as the value. A row without a label (None)
    is not compared, as gold.py leaves out rows whose dimension is empty."""
    query = answer.query.query
    data = answer.data
    if query is None or data is None or not query.metrics or not query.dimensions:
        return []
    dimension, metric = query.dimensions[0], query.metrics[0]
    return [
        (
            _label(record.get(dimension.name), dimension.grain),
            _in_unit(record.get(metric), model, metric, unit),
        )
        for record in data.records()
    ]


def _ids(answer: Answer, id_field: str | None) -> list[str] | None:
    """The row ids a detail answer lists (None: not a list of records with the id field)."""
    data = answer.data
    if answer.query.kind != "detail" or data is None or id_field not in [c.name for c in data.columns]:
        return None
    return [_label(value, None) or "" for value in data.column_values(id_field)]


def _same_values(
    pairs: list[tuple[str | None, Any]], gold: dict[str, float], tolerance: float, *, drop_zeros: bool
) -> bool:
    """The same labels with the same values. In a trend, an empty period may be a 0 or no row at all."""
    labelled = [(label, value) for label, value in pairs if label is not None]
    got = dict(labelled)
    want = {_gold_label(label): value for label, value in gold.items()}
    if len(got) != len(labelled):  # several rows per label: another breakdown than the gold's
        return False
    if drop_zeros:
        got = {k: v for k, v in got.items() if v != 0}
        want = {k: v for k, v in want.items() if v != 0}
    return got.keys() == want.keys() and all(_close(got[k], want[k], tolerance) for k in want)


SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


def _in_unit(value: Any, model: SemanticModel, metric: str, unit: str | None) -> Any:
    """`value` of `metric` in the unit the question asks for (a duration in hours read as days: the
    narrative says "13.7 days" of the same number)."""
    declared = model.metrics_by_name[metric].unit if metric in model.metrics_by_name else None
    have = SECONDS.get((declared or "").rstrip("s"))
    want = SECONDS.get((unit or "").rstrip("s"))
    if not _is_number(value) or have is None or want is None:
        return value
    return value * have / want


def _label(value: Any, grain: str | None) -> str | None:
    """A result cell as a label: a period (its first day, ISO) written YYYY, YYYY-Qn or YYYY-MM by grain."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if grain == "year":
        return text[:4]
    if grain == "quarter":
        return f"{text[:4]}-Q{(int(text[5:7]) - 1) // 3 + 1}"
    if grain == "month":
        return text[:7]
    return text[:10] if grain else text


def _gold_label(label: Any) -> str:
    """A gold label as `_label` writes one: quarters as YYYY-Qn (gold.py may write 2017Q3)."""
    text = str(label).strip()
    if len(text) == 6 and text[4] == "Q" and text[:4].isdigit():
        return f"{text[:4]}-{text[4:]}"
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _close(value: Any, gold: Any, tolerance: float) -> bool:
    if not _is_number(value) or not _is_number(gold) or math.isnan(value):
        return False
    return abs(value - gold) <= tolerance * max(abs(gold), 1e-9)


def _short(value: Any, kind: str, width: int = 140) -> str:
    """A value as the failure list shows it: floats to 6 significant digits, long lists cut."""
    if value is None:
        return "(none)" if kind != "refuse" else "refuse"
    if kind == "detail" and isinstance(value, list):
        return (
            f"{len(value)} ids: "
            + ", ".join(map(str, sorted(value)[:5]))
            + (" ..." if len(value) > 5 else "")
        )
    text = _plain(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _plain(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_plain(k)}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)


OUTCOMES: tuple[Outcome, ...] = ("right", "wrong", "declined")


def summary_table(runs: Iterable[ExportRun]) -> str:
    """Per export and language: cases, and right / wrong / declined as counts and shares."""
    lines = [f"{'export':<16} {'lang':<4} {'cases':>5} {'right':>13} {'wrong':>13} {'declined':>13}"]
    for run in runs:
        by_lang: dict[str, list[Outcome]] = defaultdict(list)
        for result in run.results:
            by_lang[result.lang].append(result.outcome)
        for lang in sorted(by_lang):
            outcomes = by_lang[lang]
            cells = [f"{outcomes.count(o)} ({outcomes.count(o) / len(outcomes):5.1%})" for o in OUTCOMES]
            lines.append(
                f"{run.export.name:<16} {lang:<4} {len(outcomes):>5} " + " ".join(f"{c:>13}" for c in cells)
            )
    return "\n".join(lines)


def wrong_rate(results: Iterable[CaseResult]) -> float:
    outcomes = [r.outcome for r in results]
    return outcomes.count("wrong") / len(outcomes) if outcomes else 0.0


def failure_lines(runs: Iterable[ExportRun]) -> list[str]:
    """Each question not answered right: what the product said, and the gold."""
    return [
        f"[{r.case_id}] {r.outcome}: {r.question}\n    got:  {r.got}\n    gold: {r.expected}"
        for run in runs
        for r in run.results
        if r.outcome != "right"
    ]

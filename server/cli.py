"""`chatbi`: generate demo data, check a model, run semantic queries and serve the app."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from semantic_layer.errors import ModelError, SemanticLayerError

from .settings import DEFAULT_DEMO_DB, Settings

app = typer.Typer(
    name="chatbi",
    help="Conversational analytics for after-sales service: semantic layer, demo data and server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="DuckDB file, or postgresql://..., spark-local://..., sc://host:port "
        "(default: CHATBI_DB or the demo database).",
    ),
]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Semantic model YAML (default: the bundled after-sales model).")
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Fix 'today' as YYYY-MM-DD.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} must be a date written YYYY-MM-DD, got '{value}'", 2)


def _settings(**overrides: Any) -> Settings:
    """Settings from CHATBI_* variables and CLI options; a bad value is a one-line error, not a traceback."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        _fail(f"setting CHATBI_{name.upper()}: {str(first['msg']).removeprefix('Value error, ')}", 2)


@app.command()
def generate(
    out: Annotated[
        Path, typer.Option("--out", help="DuckDB file to write (replaced atomically).")
    ] = DEFAULT_DEMO_DB,
    tickets: Annotated[int, typer.Option("--tickets", min=1000, help="Number of tickets.")] = 200_000,
    as_of: AsOfOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed and as-of, same data.")] = 42,
) -> None:
    """Write the demo database: 24 months of after-sales tickets, surveys, customers and agents."""
    from semantic_layer.demo.generate import generate_demo_database

    day = _parse_date(as_of, "--as-of")
    out.parent.mkdir(parents=True, exist_ok=True)
    with typer.progressbar(length=tickets, label="Generating tickets", file=sys.stderr) as bar:
        done = 0

        def advance(finished: int, _total: int) -> None:
            nonlocal done
            bar.update(finished - done)
            done = finished

        summary = generate_demo_database(out, tickets=tickets, as_of=day, seed=seed, progress=advance)
    size_mb = out.stat().st_size / 1e6
    typer.echo(
        f"Wrote {out}: {summary.tickets:,} tickets, {summary.surveys:,} surveys, {summary.customers:,} customers, "
        f"{summary.agents:,} agents, as of {summary.as_of} ({size_mb:,.1f} MB in {summary.seconds:.1f} s)"
    )


@app.command()
def check(model: ModelOption = None, db: DbOption = None) -> None:
    """Validate a semantic model; with --db, also check every expression against the database."""
    from semantic_layer.loader import load_model

    try:
        semantic_model = load_model(model)
    except ModelError as error:
        _fail(str(error))
    counts = f"{len(semantic_model.metrics)} metrics, {len(semantic_model.dimensions)} dimensions, {len(semantic_model.attributes)} fields"
    if db is not None:
        from semantic_layer.engines import EngineSettings, open_engine, redact
        from semantic_layer.validation import check_against_database

        try:
            engine = open_engine(db, EngineSettings(timezone=semantic_model.calendar.timezone))
            try:
                problems = check_against_database(semantic_model, engine)
            finally:
                engine.close()
        except SemanticLayerError as error:
            _fail(str(error))
        if problems:
            for problem in problems:
                typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        counts += f"; every expression runs on {redact(db)}"
    typer.echo(f"OK: model '{semantic_model.name}' ({counts})")


@app.command()
def init(
    source: Annotated[
        str,
        typer.Argument(
            help="A CSV, Parquet or DuckDB file, a directory of them, or a database URL "
            "(postgresql://, spark-local://, sc://) whose tables are read in place.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The draft model to write (.yaml).")],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="DuckDB file to load the data into (default: next to --out, same name)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace tables of the same name and an existing model file.")
    ] = False,
    within_hours: Annotated[
        int, typer.Option("--within-hours", min=1, help="N of the 'share closed within N hours' metric.")
    ] = 24,
    schema: Annotated[
        list[str] | None,
        typer.Option(
            "--schema", help="With a URL: a schema (Spark: database) to list tables in; repeatable."
        ),
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="With a URL: a table to draft (default: every table); repeatable."),
    ] = None,
    sample_rows: Annotated[
        int | None,
        typer.Option(
            "--sample-rows",
            min=100,
            help="With a URL: profile at most this many rows per table [default: 200000].",
        ),
    ] = None,
) -> None:
    """Draft a semantic model to review from data files (loaded into DuckDB) or from a database's tables
    (read in place, nothing copied); see docs/bring-your-own-data.md."""
    from semantic_layer.drafting.sources import is_database_url

    if is_database_url(source):
        if db is not None:
            _fail(
                "--db names the DuckDB file that data files are loaded into; a database URL is read where it "
                "is (nothing is copied), so leave --db out",
                2,
            )
        _init_from_database(source, out, force, within_hours, schema or [], table or [], sample_rows)
        return
    if schema or table or sample_rows is not None:
        _fail("--schema, --table and --sample-rows go with a database URL, not with files", 2)
    from semantic_layer.drafting.workflow import init_from_source

    try:
        result = init_from_source(
            source, out, db, force=force, within_hours=within_hours, progress=_progress_printer()
        )
    except SemanticLayerError as error:
        _fail(str(error))
    for loaded in result.tables:
        typer.echo(
            f"loaded {loaded.file.name} -> table {loaded.name}: {loaded.rows:,} rows, {len(loaded.columns)} columns"
        )
    _report_draft(result.model_path, result.draft, result.problems, str(result.db_path))


def _init_from_database(
    url: str,
    out: Path,
    force: bool,
    within_hours: int,
    schemas: list[str],
    tables: list[str],
    sample_rows: int | None,
) -> None:
    from semantic_layer.drafting.database import SAMPLE_ROWS
    from semantic_layer.drafting.workflow import PASSWORD_LEFT_OUT, init_from_database

    try:
        result = init_from_database(
            url,
            out,
            schemas=schemas,
            tables=tables,
            force=force,
            within_hours=within_hours,
            sample_rows=sample_rows or SAMPLE_ROWS,
            progress=_progress_printer(),
        )
    except SemanticLayerError as error:
        _fail(str(error))
    for skipped in result.skipped:
        typer.secho(f"note: {skipped}", fg=typer.colors.YELLOW, err=True)
    for read in result.tables:
        sample = f" (profiled from a sample of {read.sampled:,})" if read.sampled is not None else ""
        left_out = f"; left out: {', '.join(c.name for c in read.left_out)}" if read.left_out else ""
        typer.echo(
            f"read {read.source} -> table {read.name}: {read.rows:,} rows{sample}, "
            f"{len(read.profile.columns)} columns{left_out}"
        )
    _report_draft(result.model_path, result.draft, result.problems, result.database)
    if result.password_left_out:
        typer.echo(PASSWORD_LEFT_OUT.strip())


def _report_draft(model_path: Path, draft: Any, problems: tuple[str, ...], database: str) -> None:
    typer.echo(
        f"wrote {model_path}: {len(draft.metrics)} metrics, {len(draft.dimensions)} dimensions, "
        f"{len(draft.attributes)} fields; {draft.review_count()} REVIEW comments to read"
    )
    for problem in problems:
        typer.secho(f"error: {problem}", fg=typer.colors.RED, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"next: chatbi check --model {model_path} --db {database}")
    typer.echo(f'      chatbi ask --model {model_path} --db {database} "..."')


def _progress_printer() -> Any:
    """Stage messages on stderr; long steps (big files) also show how far they are."""

    def show(stage: str, fraction: float | None) -> None:
        if fraction is None:
            typer.echo(f"{stage} ...", err=True)
        elif sys.stderr.isatty():
            end = "\n" if fraction >= 1 else ""
            sys.stderr.write(f"\r{stage}: {fraction:4.0%}{end}")
            sys.stderr.flush()
        elif fraction >= 1 or fraction == 0:
            typer.echo(f"{stage}: {fraction:.0%}", err=True)

    return show


@app.command(name="import-dbt")
def import_dbt(
    paths: Annotated[
        list[Path],
        typer.Argument(help="dbt YAML files or directories holding semantic_models: and metrics:."),
    ],
    out: Annotated[Path, typer.Option("--out", help="The model to write (.yaml).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model file.")] = False,
) -> None:
    """Convert dbt MetricFlow semantic models and metrics into a chatbi model; report what could not be
    carried over."""
    from semantic_layer.drafting.workflow import write_atomically
    from semantic_layer.importers.metricflow import import_metricflow

    if out.exists() and not force:
        _fail(f"{out} already exists; use --force to replace it", 2)
    try:
        result = import_metricflow(paths, out_name=out.stem)
    except SemanticLayerError as error:
        _fail(str(error))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, result.text)
    for line in result.report:
        typer.echo(f"not carried over: {line}", err=True)
    model = result.model
    typer.echo(
        f"wrote {out}: {len(model.tables)} tables, {len(model.metrics)} metrics, {len(model.dimensions)} "
        f"dimensions; {len(result.report)} things not carried over (listed above and in the file)"
    )


@app.command()
def query(
    query_text: Annotated[
        str,
        typer.Argument(
            metavar="QUERY", help="A SemanticQuery as inline JSON (starting with '{') or a file path."
        ),
    ],
    db: DbOption = None,
    model: ModelOption = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the QueryResult as JSON.")] = False,
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user", help="Act as a user with this attribute (key=value; repeatable) to try access policies."
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Column labels in zh or en.")] = None,
) -> None:
    """Run a semantic query and print the result table (or JSON)."""
    from pydantic import ValidationError

    from semantic_layer.query import SemanticQuery

    from .state import open_state

    settings = _settings(db=db, model=model, as_of=_parse_date(as_of, "--as-of"))
    text = query_text if query_text.lstrip().startswith("{") else _read_file(query_text)
    try:
        semantic_query = SemanticQuery.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        _fail(
            f"invalid query: {where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}", 2
        )
    if lang not in (None, "zh", "en"):
        _fail("--lang must be zh or en", 2)
    try:
        state = open_state(settings)
        result = state.layer.query(semantic_query, _identity(user), language=lang)  # type: ignore[arg-type]
    except SemanticLayerError as error:
        _fail(str(error))
    if as_json:
        typer.echo(
            json.dumps(
                result.model_dump(include={"columns", "rows", "sql", "truncated"}),
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from .text_table import render_table

    typer.echo(render_table([c.label for c in result.columns], result.rows))
    note = f"{len(result.rows)} rows" + (" (cut at the row cap)" if result.truncated else "")
    typer.echo(f"\n{note}\n\n{result.sql}", err=False)


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        _fail(f"cannot read query file {path}: {error.strerror}", 2)


def _identity(user: list[str] | None) -> Any:
    from semantic_layer.identity import LOCAL_IDENTITY, Identity

    if not user:
        return LOCAL_IDENTITY
    attributes: dict[str, str] = {}
    for item in user:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--user takes key=value, got '{item}'", 2)
        attributes[key.strip()] = value.strip()
    roles = tuple(r for r in attributes.pop("role", "").split(",") if r)
    return Identity(user_id=attributes.get("user", "cli"), attributes=attributes, roles=roles)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")] = "",
    db: DbOption = None,
    model: ModelOption = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    conversation: Annotated[
        Path | None,
        typer.Option("--conversation", help="JSON file keeping the conversation between calls (follow-ups)."),
    ] = None,
    choice: Annotated[
        str | None,
        typer.Option("--choice", help="Answer a clarification with this option id (needs --conversation)."),
    ] = None,
    user: Annotated[
        list[str] | None,
        typer.Option("--user", help="Act as a user with this attribute (key=value; repeatable)."),
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Save the chart as .png, .svg or .json (Vega-Lite).")
    ] = None,
) -> None:
    """Answer a question (the built-in parser, and the LLM when CHATBI_LLM_* is set): the intent, the SQL,
    the result table and the narrative."""
    if chart is not None and chart.suffix.lower() not in (".png", ".svg", ".json"):
        _fail("--chart must end in .png, .svg or .json", 2)
    from agent.answer import answer_question
    from agent.intent import ConversationState
    from agent.parser import Planner
    from agent.routing import for_question
    from agent.value_index import build_value_index
    from semantic_layer.identity import row_filters

    from .state import open_llm, open_state

    if not question.strip() and not choice:
        _fail("give a question (or --choice ID with --conversation)", 2)
    if choice and conversation is None:
        _fail("--choice needs the --conversation file that holds the clarification", 2)
    state = ConversationState()
    if conversation is not None and conversation.exists():
        try:
            state = ConversationState.model_validate_json(conversation.read_text(encoding="utf-8"))
        except ValueError:
            _fail(f"{conversation} is not a conversation file written by chatbi ask", 2)
    identity = _identity(user)
    try:
        settings = _settings(db=db, model=model, as_of=_parse_date(as_of, "--as-of"))
        server = open_state(settings)
        values = build_value_index(server.layer, identity)
        scoped = bool(row_filters(server.layer.model, identity))
        rules = Planner(server.layer.model, values, server.layer.clock, scoped=scoped)
        planner, rephrase = for_question(rules, server.layer, identity, open_llm(settings.llm))
        answer, state = answer_question(
            planner,
            server.layer,
            question,
            state,
            identity=identity,
            choice=choice,
            data_as_of=server.data_as_of,
            rephrase=rephrase,
        )
    except KeyError:
        _fail(f"no clarification option '{choice}' is pending in {conversation}", 2)
    except SemanticLayerError as error:
        _fail(str(error))
    if conversation is not None:
        conversation.write_text(state.model_dump_json(), encoding="utf-8")
    if chart is not None:
        _save_chart(answer.chart, chart)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    _print_answer(answer)


def _save_chart(spec: dict[str, Any] | None, path: Path) -> None:
    if spec is None:
        typer.secho(f"no chart for this answer; {path} not written", fg=typer.colors.YELLOW, err=True)
        return
    from agent.charts import render_chart

    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        path.write_bytes(render_chart(spec, "png" if suffix == ".png" else "svg"))
    typer.echo(f"chart saved to {path}", err=True)


def _print_answer(answer: Any) -> None:
    from .text_table import render_table

    intent = answer.query
    typer.echo(f"intent: {intent.kind} (confidence {intent.confidence:.2f}, planner {answer.planner})")
    if intent.query is not None:
        typer.echo(
            json.dumps(intent.query.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
        )
    for note in intent.notes:
        typer.echo(f"note: {note}")
    if answer.status == "clarify" and answer.clarification:
        typer.echo(answer.clarification.question)
        for option in answer.clarification.options:
            typer.echo(f"  [{option.id}] {option.label}")
        return
    if answer.status == "unsupported":
        typer.echo(answer.answer or "")
        for suggestion in answer.suggestions:
            typer.echo(f"  - {suggestion}")
        return
    if answer.answer:
        typer.echo(answer.answer)
    data = answer.data
    typer.echo("\n" + render_table([c.label for c in data.columns], data.rows))
    typer.echo(f"\n{answer.sql}")
    if answer.suggestions:
        typer.echo("\nnext: " + " | ".join(answer.suggestions))


@app.command(name="eval")
def evaluate(
    cases: Annotated[Path, typer.Option("--cases", help="Folder of eval YAML files.")] = Path(
        "tests/agent/eval"
    ),
    db: DbOption = None,
    model: ModelOption = None,
    failures: Annotated[
        bool, typer.Option("--failures", help="List every question answered wrongly.")
    ] = False,
    minimum: Annotated[
        float, typer.Option("--min", help="Exit non-zero when a language's accuracy is below this.")
    ] = 0.95,
    planner_name: Annotated[
        str,
        typer.Option(
            "--planner",
            help="rules: the built-in parser; llm: every question through the LLM (CHATBI_LLM_*); "
            "routed: the parser first and the LLM below its confidence, as the server does.",
        ),
    ] = "rules",
) -> None:
    """Score a planner on the eval question set: accuracy per language and category."""
    from agent.evaluation import EVAL_TODAY, accuracy_table, load_cases, run_cases
    from agent.llm.planner import LLMPlanner
    from agent.parser import Planner
    from agent.routing import RoutedPlanner
    from agent.value_index import build_value_index
    from semantic_layer.periods import FixedClock

    from .state import open_llm, open_state

    if planner_name not in ("rules", "llm", "routed"):
        _fail(f"--planner is rules, llm or routed; got '{planner_name}'", 2)
    try:
        settings = _settings(db=db, model=model, as_of=EVAL_TODAY)
        state = open_state(settings)
    except SemanticLayerError as error:
        _fail(str(error))
    rules = Planner(state.layer.model, build_value_index(state.layer), FixedClock(EVAL_TODAY))
    planner: Planner | RoutedPlanner = rules
    if planner_name != "rules":
        client = open_llm(settings.llm)
        if client is None:
            _fail("--planner llm needs CHATBI_LLM_BASE_URL or CHATBI_LLM_API_KEY (and CHATBI_LLM_MODEL)", 2)
        llm = LLMPlanner(client, state.layer, rules.values, None, settings.llm)
        planner = RoutedPlanner(
            rules, llm, route_below=settings.llm.route_below, always_llm=planner_name == "llm"
        )
    results = run_cases(planner, load_cases(cases), layer=state.layer)
    if not results:
        _fail(f"no eval cases found in {cases}", 2)
    accuracy, table = accuracy_table(results)
    if failures:
        for result in results:
            if not result.passed:
                typer.echo(f"[{result.case_id}] {result.question}\n    " + "\n    ".join(result.problems))
        typer.echo("")
    typer.echo(table)
    if any(value < minimum for value in accuracy.values()):
        raise typer.Exit(1)


@app.command(name="eval-exports")
def eval_exports(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Folder of the raw exports (default: CHATBI_EXPORTS_DATA, else ../shared/data)."
        ),
    ] = None,
    failures: Annotated[
        bool, typer.Option("--failures", help="List every question not answered right, with its gold.")
    ] = False,
) -> None:
    """Score the product on the blind question sets of real exports (tests/agent/eval/exports/): each
    export drafted as `chatbi init` does, each question answered by the built-in parser, checked against gold."""
    import tempfile

    from agent.export_eval import EXPORTS, data_folder, failure_lines, run_export, summary_table

    folder = data or data_folder()
    present = [export for export in EXPORTS if (folder / export.csv).is_file()]
    if not present:
        _fail(f"no export found in {folder} (set --data or CHATBI_EXPORTS_DATA)", 2)
    for export in EXPORTS:
        if export not in present:
            typer.secho(f"note: {folder / export.csv} is missing; {export.name} skipped", err=True)
    with tempfile.TemporaryDirectory(prefix="chatbi-eval-exports-") as work:
        try:
            runs = [run_export(export, folder, Path(work)) for export in present]
        except SemanticLayerError as error:
            _fail(str(error))
    if failures:
        typer.echo("\n".join(failure_lines(runs)) + "\n")
    typer.echo(summary_table(runs))
    typer.echo(", ".join(f"{r.export.name} drafted in {r.draft_seconds:.1f} s" for r in runs))


@app.command()
def audit(
    store: Annotated[
        Path | None, typer.Option("--store", help="The conversation store (default: CHATBI_STORE's).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's entries.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only entries from this day (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most entries shown, the latest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Read the audit log: who asked what, the intent, the SQL, the status and the time taken."""
    from datetime import UTC, datetime

    from .store import Store, StoreUnavailable
    from .text_table import render_table

    path = store or _settings().store_path
    if not path.is_file():
        _fail(f"no conversation store at {path} (set --store or CHATBI_STORE)", 2)
    day = _parse_date(since, "--since")
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    try:
        entries = Store(path).audit(user=user, since=start, limit=limit)
    except StoreUnavailable as error:
        _fail(str(error))
    if as_json:
        for entry in entries:
            typer.echo(entry.model_dump_json())
        return
    rows = [
        [
            e.at.isoformat(timespec="seconds") if e.at else "",
            e.user_id,
            e.action,
            e.status,
            e.planner or "",
            round(e.duration_ms),
            (e.question or "")[:60],
        ]
        for e in entries
    ]
    typer.echo(render_table(["at (UTC)", "user", "action", "status", "planner", "ms", "question"], rows))


@app.command()
def serve(
    db: DbOption = None,
    model: ModelOption = None,
    host: Annotated[str | None, typer.Option("--host", help="Listen address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Listen port (default 8000).")] = None,
    as_of: AsOfOption = None,
) -> None:
    """Serve the HTTP API (and, later, the chat page)."""
    settings = _settings(db=db, model=model, host=host, port=port, as_of=_parse_date(as_of, "--as-of"))
    _serve(settings)


def _serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app
    from .state import open_state
    from .store import Store, StoreUnavailable

    try:  # fail fast, with a clear message, before the server starts listening
        open_state(settings).close()
        Store(settings.store_path)
    except (SemanticLayerError, StoreUnavailable) as error:
        _fail(str(error))
    if not settings.auth_configured:
        typer.secho(
            "WARNING: no identity token key is configured: every request runs as the local anonymous user, "
            "who sees all data. Configure a token key before exposing this server to others.",
            fg=typer.colors.YELLOW,
            err=True,
        )
    from semantic_layer.engines import redact

    typer.echo(f"chatbi serving {redact(settings.db)} on http://{settings.host}:{settings.port}", err=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app.command()
def demo(
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    db: DbOption = None,
) -> None:
    """Generate the demo database if it is missing or stale, then serve it."""
    from semantic_layer.demo.metadata import demo_database_as_of

    settings = _settings(host=host, port=port, db=db)
    path = Path(settings.db)
    today = date.today()
    current = demo_database_as_of(path) if path.exists() else None
    if current is None or current < today:
        reason = "missing" if not path.exists() else f"stale (as of {current})"
        typer.echo(
            f"Demo database {path} is {reason}; generating {settings.demo_tickets:,} tickets as of {today}."
        )
        generate(out=path, tickets=settings.demo_tickets, as_of=today.isoformat(), seed=42)
    _serve(settings)

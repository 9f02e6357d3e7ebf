"""Expression benchmarks: one 6-condition filter, compiled once, run over many records.

Python — the expression compiled once by engines.expr (a tree of closures), evaluated over N records held as
         dicts of stored values (money as Decimal, dates as date, numbers as float), as the runtime loads
         them; side by side with zen-engine's precompiled expression (Rust, `zen.compile_expression(...)`
         once, `.evaluate(record)` per record) and panzi-json-logic (`jsonLogic(rule, record)`) on the same
         records in the JSON shape those engines take (floats, ISO dates), checked to give the same booleans.
         Two record sets: realistic data (most records fail early, as real filters do) and "every condition
         evaluated" (the first five conditions hold for every record, so all six are always run).
SQL    — a published app (builder.lifecycle.import_app into a fresh database) whose form has the six fields;
         its t_{id} table filled with M rows straight through the driver (asyncpg COPY, sqlite3 executemany);
         `SELECT count(*) FROM t WHERE <compiled>` (the platform's engine, the SQLAlchemy clause from
         Compiled.sql) against the hand-written SQL over the same table (the limit), best of N, same counts;
         the plans of both (EXPLAIN / EXPLAIN QUERY PLAN), and an index probe: single selective conditions on
         indexed columns (id, owner, and fields given an index for the probe), compiled vs hand-written, to
         show whether the compiled SQL lets the database seek the index at all.
"""
from __future__ import annotations

import asyncio
import gc
import random
import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.data import CITIES, CITY_WEIGHTS, MOBILE_PREFIXES

FORM_KEY = "orders"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai: TODAY() is 2026-11-26
TODAY = NOW.astimezone(TZ).date()
CUTOFF = TODAY - timedelta(days=365)  # TODAY() - 365
USER_ID = 1

CONDITION = ("amount > 100 AND status = 'paid' AND city IN ('上海', '杭州') AND age >= 18 "
             "AND NOT ISBLANK(phone) AND paid_on >= TODAY() - 365")
# zen-engine (ZEN expression language): `null > 100` and comparing a date string are errors there, so empty
# values are guarded explicitly and the date is compared through date(), which gives epoch seconds.
ZEN = ("amount != null and amount > 100 and status == 'paid' and city in ['上海', '杭州'] and age != null "
       f"and age >= 18 and phone != null and phone != '' and paid_on != null "
       f"and date(paid_on) >= date('{CUTOFF.isoformat()}')")
# JsonLogic: null → 0 in numeric comparisons (so `> 100` and `>= 18` are already false), "" and null are
# falsy for "!!", ISO dates compare as text; a null date would compare as the text "null", hence its guard.
JSON_LOGIC = {"and": [
    {">": [{"var": "amount"}, 100]},
    {"==": [{"var": "status"}, "paid"]},
    {"in": [{"var": "city"}, ["上海", "杭州"]]},
    {">=": [{"var": "age"}, 18]},
    {"!!": [{"var": "phone"}]},
    {"!!": [{"var": "paid_on"}]},
    {">=": [{"var": "paid_on"}, CUTOFF.isoformat()]},
]}
# The same condition as a person would write it against the table (column names filled in from the schema).
HAND_SQL = {
    "postgresql": ("SELECT count(*) FROM {t} WHERE {amount} > 100 AND {status} = 'paid' "
                   "AND {city} IN ('上海', '杭州') AND {age} >= 18 AND {phone} <> '' "
                   f"AND {{paid_on}} >= DATE '{CUTOFF.isoformat()}'"),
    "sqlite": ("SELECT count(*) FROM {t} WHERE {amount} > 100 AND {status} = 'paid' "
               "AND {city} IN ('上海', '杭州') AND {age} >= 18 AND {phone} <> '' "
               f"AND {{paid_on}} >= '{CUTOFF.isoformat()}'"),
}
# Index probe: selective single conditions (≈0.3–4 % of rows) on columns given a b-tree index (the key), and
# on the record id and owner, which every form table already has an index on.
PROBES = [
    ("id <= 5000", "id <= 5000", None),
    ("owner = CURRENT_USER()", f"owner = {USER_ID}", None),  # "my records"; owner is indexed by the platform
    ("status = 'cancelled'", "{status} = 'cancelled'", "status"),
    ("amount > 990", "{amount} > 990", "amount"),
    ("city IN ('厦门', '合肥')", "{city} IN ('厦门', '合肥')", "city"),
    ("paid_on >= TODAY() - 7", "{paid_on} >= {date7}", "paid_on"),
]

FIELDS = [
    {"key": "amount", "type": "money", "label": "金额"},
    {"key": "status", "type": "select", "label": "状态", "options": ["paid", "pending", "refunded", "cancelled"]},
    {"key": "city", "type": "text", "label": "城市", "max_length": 50},
    {"key": "age", "type": "number", "label": "年龄", "decimals": 0},
    {"key": "phone", "type": "phone", "label": "手机"},
    {"key": "paid_on", "type": "date", "label": "付款日期"},
]
KEYS = [f["key"] for f in FIELDS]


def expr_app(key: str) -> dict:
    return {"format": "nocode.app/v1", "key": key, "name": "表达式基准",
            "forms": [{"key": FORM_KEY, "name": "订单", "fields": FIELDS}]}


# ---- data -------------------------------------------------------------------------------------------------------
STATUSES, STATUS_WEIGHTS = ("paid", "pending", "refunded", "cancelled", None), (70, 14, 10, 2, 4)
CITY_NAMES = [c[0] for c in CITIES] + [None]
CITY_W = list(CITY_WEIGHTS) + [3]


def orders(count: int, seed: int, hot: bool = False) -> list[dict]:
    """Order records as stored (amount Decimal, age float, paid_on date, empty values None), seeded.

    Realistic (hot=False): amount > 100 for ~54 %, paid ~70 %, 上海/杭州 ~22 %, adults ~90 %, phone ~93 %,
    paid within the year ~50 %, a few per cent empty everywhere — about 3 % of records match.
    hot=True: the first five conditions hold for every record, the date half the time."""
    rng = random.Random(seed)
    rand, choices, randrange = rng.random, rng.choices, rng.randrange
    statuses = ["paid"] * count if hot else choices(STATUSES, STATUS_WEIGHTS, k=count)
    cities = choices(("上海", "杭州"), k=count) if hot else choices(CITY_NAMES, CITY_W, k=count)
    prefixes = choices(MOBILE_PREFIXES, k=count)
    out = []
    for i in range(count):
        r = rand()
        if hot:
            amount = Decimal(f"{100.01 + 900 * r ** 3:.2f}")
        else:
            amount = None if r < 0.02 else Decimal(f"{5 + 995 * rand() ** 3:.2f}")
        age = float(18 + randrange(53)) if hot else (None if rand() < 0.05 else float(14 + randrange(57)))
        p = rand()
        phone = f"{prefixes[i]}{randrange(100_000_000):08d}" if hot or p >= 0.07 else ("" if p < 0.02 else None)
        d = rand()
        paid_on = None if d < 0.03 and not hot else TODAY - timedelta(days=randrange(730))
        out.append({"amount": amount, "status": statuses[i], "city": cities[i], "age": age, "phone": phone,
                    "paid_on": paid_on})
    return out


def json_shaped(record: dict) -> dict:
    """What a JSON rule engine is given: numbers as float, dates as ISO text."""
    amount, paid_on = record["amount"], record["paid_on"]
    return {**record, "amount": None if amount is None else float(amount),
            "paid_on": None if paid_on is None else paid_on.isoformat()}


def scope():
    """A Scope over the form definition (the same definition the SQL part publishes)."""
    from builder.validate import validate_app
    from engines.expr import Scope

    app = validate_app(expr_app("expr_scope"))
    return Scope({f.key: f for f in app.forms}, FORM_KEY)


def eval_context():
    from engines.expr import EvalContext

    return EvalContext(now=NOW, tz=TZ, user_id=USER_ID)


# ---- results ------------------------------------------------------------------------------------------------------
@dataclass
class Engine:
    name: str
    records: int
    seconds: float  # best pass over all records
    matches: int

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else float("inf")


@dataclass
class PythonResult:
    dataset: str  # "realistic" | "every condition evaluated"
    records: int
    engines: dict[str, Engine] = field(default_factory=dict)
    agree: bool = True
    disagreements: int = 0


@dataclass
class SqlTiming:
    label: str
    ours_s: float
    limit_s: float
    ours_count: int
    limit_count: int
    ours_plan: str = ""  # probes: how the database answers the condition (the scan line of the plan)
    limit_plan: str = ""

    @staticmethod
    def seeks(plan: str) -> bool:
        """The index answers the condition (PostgreSQL Index Cond, SQLite SEARCH), not a scan with a filter."""
        return "Index Cond" in plan or "SEARCH" in plan

    @property
    def ours_index(self) -> bool:
        return self.seeks(self.ours_plan)

    @property
    def limit_index(self) -> bool:
        return self.seeks(self.limit_plan)

    @property
    def ratio(self) -> float:
        return self.ours_s / self.limit_s if self.limit_s else float("inf")


@dataclass
class SqlResult:
    database: str
    rows: int
    load_s: float
    main: SqlTiming | None = None
    ours_sql: str = ""
    limit_sql: str = ""
    plan_ours: list[str] = field(default_factory=list)
    plan_limit: list[str] = field(default_factory=list)
    probes: list[SqlTiming] = field(default_factory=list)


@dataclass
class ExprReport:
    python: list[PythonResult] = field(default_factory=list)
    sql: list[SqlResult] = field(default_factory=list)
    compile_us: float = 0.0
    notes: list[str] = field(default_factory=list)
    comparisons: bool = True  # zen-engine and panzi-json-logic were installed


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


# ---- Python -------------------------------------------------------------------------------------------------------
def comparison_engines() -> tuple[Any, Any, str | None]:
    """(zen module, jsonLogic function, note when missing)."""
    try:
        import zen  # zen-engine
        from json_logic import jsonLogic  # panzi-json-logic
    except ImportError as e:
        return None, None, (f"zen-engine / panzi-json-logic comparison skipped: {e.name} is not installed "
                            "(`.venv/bin/pip install -r bench/requirements.txt`)")
    return zen, jsonLogic, None


def run_python(records: list[dict], dataset: str, repeat: int, log=print, slow_repeat: int = 1) -> PythonResult:
    from engines.expr import compile_expression

    compiled = compile_expression(CONDITION, scope(), expect="bool")
    ctx = eval_context()
    evaluate = compiled.evaluate
    result = PythonResult(dataset, len(records))

    seconds, ours = best_of(repeat, lambda: [evaluate(r, ctx) for r in records])
    result.engines["ours"] = Engine("ours", len(records), seconds, sum(ours))
    log(f"  python  {dataset:<26} ours        {result.engines['ours'].rate:>12,.0f} evaluations/s")

    zen, json_logic, _missing = comparison_engines()
    if zen is not None:
        shaped = [json_shaped(r) for r in records]
        expression = zen.compile_expression(ZEN)
        zen_evaluate = expression.evaluate
        seconds, theirs = best_of(repeat, lambda: [zen_evaluate(r) for r in shaped])
        result.engines["zen"] = Engine("zen-engine", len(records), seconds, sum(theirs))
        log(f"  python  {dataset:<26} zen-engine  {result.engines['zen'].rate:>12,.0f} evaluations/s")
        rule = JSON_LOGIC
        seconds, logic = best_of(slow_repeat, lambda: [json_logic(rule, r) for r in shaped])
        result.engines["json_logic"] = Engine("panzi-json-logic", len(records), seconds, sum(bool(v) for v in logic))
        log(f"  python  {dataset:<26} json-logic  {result.engines['json_logic'].rate:>12,.0f} evaluations/s")
        wrong = sum(1 for a, b, c in zip(ours, theirs, logic) if not (a is b is c))  # all three exactly bool
        result.agree, result.disagreements = wrong == 0, wrong
        if wrong:
            first = next(i for i, (a, b, c) in enumerate(zip(ours, theirs, logic)) if not (a is b is c))
            log(f"  !! {wrong} records disagree; first: {records[first]} ours={ours[first]} zen={theirs[first]} "
                f"json-logic={logic[first]}")
    return result


def compile_cost(repeat: int = 200) -> float:
    """µs to parse, type-check and build the closures once (what a published version pays, once)."""
    from engines.expr import compile_expression

    s = scope()
    start = time.perf_counter()
    for _ in range(repeat):
        compile_expression(CONDITION, s, expect="bool")
    return 1e6 * (time.perf_counter() - start) / repeat


# ---- SQL ----------------------------------------------------------------------------------------------------------
class SqlBench:
    """One fresh migrated database with the expression app imported and its table filled through the driver."""

    def __init__(self, database: str, url: str, pg_dsn: str | None = None):
        self.database, self.url, self.pg_dsn = database, url, pg_dsn
        self.key = "expr_" + uuid.uuid4().hex[:8]

    async def __aenter__(self):
        from builder.lifecycle import import_app
        from engines.form.fields.base import Context
        from runtime.db import create_engine
        from runtime.migrate import upgrade
        from runtime.tables import SchemaCache

        self.engine = create_engine(self.url)
        await upgrade(self.engine)
        async with self.engine.begin() as conn:
            await import_app(conn, expr_app(self.key), Context(tz=TZ), None)
        async with self.engine.connect() as conn:
            self.schema = await SchemaCache().get(conn, self.key)
        form = self.schema.forms[FORM_KEY]
        self.table = form.table
        self.columns = {key: form.fields[key].column.name for key in KEYS}
        self.names = {"t": self.table.name, **self.columns}
        return self

    async def __aexit__(self, *exc):
        await self.engine.dispose()

    @property
    def sqlite(self) -> bool:
        return self.database == "sqlite"

    # ---- filling the table --------------------------------------------------------------------------------------
    async def load(self, records: list[dict]) -> float:
        system = ["created_at", "updated_at", "created_by", "owner", "version"]
        columns = system + [self.columns[k] for k in KEYS]
        now = datetime(2026, 11, 26, 2, 30)
        start = time.perf_counter()
        if self.sqlite:
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
            rows = [(stamp, stamp, owner(i), owner(i), 1,
                     None if r["amount"] is None else float(r["amount"]), r["status"], r["city"], r["age"],
                     r["phone"], None if r["paid_on"] is None else r["paid_on"].isoformat())
                    for i, r in enumerate(records)]
            path = self.engine.url.database
            await asyncio.to_thread(_sqlite_fill, path, self.table.name, columns, rows)
        else:
            import asyncpg

            rows = [(now, now, owner(i), owner(i), 1, *(r[k] for k in KEYS)) for i, r in enumerate(records)]
            conn = await asyncpg.connect(self.pg_dsn)
            try:
                await conn.copy_records_to_table(self.table.name, records=rows, columns=columns)
                await conn.execute(f"VACUUM ANALYZE {self.table.name}")
            finally:
                await conn.close()
        return time.perf_counter() - start

    # ---- queries -------------------------------------------------------------------------------------------------
    def compiled_where(self, text: str):
        from engines.expr import compile_expression
        from runtime.expressions import SchemaTables, scope_of

        compiled = compile_expression(text, scope_of(self.schema, FORM_KEY), expect="bool")
        return compiled.sql(SchemaTables(self.schema), eval_context(), self.database, FORM_KEY, condition=True)

    def statement(self, text: str):
        from sqlalchemy import func, select

        return select(func.count()).select_from(self.table).where(self.compiled_where(text))

    def literal_sql(self, statement) -> str:
        """The statement exactly as the driver gets it, its bound values written inline (casts kept), for the
        report and EXPLAIN. (SQLAlchemy's literal_binds drops PostgreSQL's casts and, on SQLite, leaves
        `IS ?` unrendered, so the values are put in by hand.)"""
        dialect = self.engine.dialect
        compiled = statement.compile(dialect=dialect)
        values = compiled.construct_params()

        def render(name: str) -> str:
            processor = compiled.binds[name].type.literal_processor(dialect)
            return processor(values[name]) if processor else repr(values[name])

        sql = str(compiled)
        if self.sqlite:
            parts = sql.split("?")
            if len(parts) != len(compiled.positiontup) + 1:
                raise RuntimeError("cannot inline the bound values of " + sql)
            return parts[0] + "".join(render(n) + rest for n, rest in zip(compiled.positiontup, parts[1:]))
        return re.sub(r"\$(\d+)", lambda m: render(compiled.positiontup[int(m.group(1)) - 1]), sql)

    async def time_pair(self, label: str, statement, hand_sql: str, repeat: int) -> SqlTiming:
        """Best of `repeat` for each, alternating, after one warm-up run of each."""
        ours_times, limit_times, ours_count, limit_count = [], [], None, None
        async with self.engine.connect() as conn:
            for i in range(repeat + 1):
                start = time.perf_counter()
                ours_count = (await conn.execute(statement)).scalar_one()
                ours = time.perf_counter() - start
                start = time.perf_counter()
                limit_count = (await conn.exec_driver_sql(hand_sql)).scalar_one()
                limit = time.perf_counter() - start
                if i:  # the first round warms caches (and the prepared statements) for both
                    ours_times.append(ours)
                    limit_times.append(limit)
        return SqlTiming(label, min(ours_times), min(limit_times), ours_count, limit_count)

    async def plan(self, sql: str) -> list[str]:
        prefix = "EXPLAIN QUERY PLAN " if self.sqlite else "EXPLAIN (COSTS OFF) "
        async with self.engine.connect() as conn:
            rows = (await conn.exec_driver_sql(prefix + sql)).all()
        return [str(r[-1]) for r in rows]

    @staticmethod
    def scan_summary(plan: list[str]) -> str:
        """'Parallel Index Only Scan using ix… on t_1; Filter: …' → the scan node and how it applies the condition."""
        lines = [line.strip().lstrip("->").strip() for line in plan]
        scan = next((line for line in lines if re.search(r"Scan|SCAN|SEARCH", line)), lines[-1] if lines else "")
        how = "; ".join(sorted({line.split(":")[0] for line in lines if line.startswith(("Index Cond", "Filter"))}))
        return f"{scan} ({how})" if how else scan

    async def create_indexes(self, keys) -> None:
        async with self.engine.begin() as conn:
            for key in keys:
                column = self.columns[key]
                await conn.exec_driver_sql(f"CREATE INDEX ix_bench_{column} ON {self.table.name} ({column})")
            await conn.exec_driver_sql(f"ANALYZE {self.table.name}")


def owner(i: int) -> int:
    """Rows belong to 50 users in turn (2 % each are the benchmark user's own)."""
    return 1 + i % 50


def _sqlite_fill(path: str, table: str, columns: list[str], rows: list[tuple]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        db.execute("COMMIT")
        db.execute(f"ANALYZE {table}")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


async def run_sql(database: str, url: str, records: list[dict], repeat: int, pg_dsn: str | None = None,
                  log=print) -> SqlResult:
    async with SqlBench(database, url, pg_dsn) as bench:
        load = await bench.load(records)
        result = SqlResult(database, len(records), load)
        log(f"  sql     {database:<10} {len(records):>9,} rows loaded through the driver in {load:.1f} s")
        statement = bench.statement(CONDITION)
        hand = HAND_SQL[database].format(**bench.names)
        result.ours_sql, result.limit_sql = bench.literal_sql(statement), hand
        result.main = await bench.time_pair("6 conditions", statement, hand, repeat)
        m = result.main
        log(f"  sql     {database:<10} ours {m.ours_s * 1000:8.1f} ms  hand-written {m.limit_s * 1000:8.1f} ms  "
            f"ratio {m.ratio:.2f}  counts {m.ours_count:,} / {m.limit_count:,}")
        if m.ours_count != m.limit_count:
            raise RuntimeError(f"{database}: compiled filter counted {m.ours_count}, hand-written {m.limit_count}")
        result.plan_ours = await bench.plan(result.ours_sql)
        result.plan_limit = await bench.plan(hand)
        # index probe: the same table with b-tree indexes on the probed columns
        await bench.create_indexes(sorted({key for _, _, key in PROBES if key}))
        date7 = (f"DATE '{(TODAY - timedelta(days=7)).isoformat()}'" if not bench.sqlite
                 else f"'{(TODAY - timedelta(days=7)).isoformat()}'")
        for text, hand_where, _key in PROBES:
            probe_statement = bench.statement(text)
            probe_hand = f"SELECT count(*) FROM {bench.table.name} WHERE " + hand_where.format(date7=date7,
                                                                                             **bench.names)
            timing = await bench.time_pair(text, probe_statement, probe_hand, repeat)
            timing.ours_plan = bench.scan_summary(await bench.plan(bench.literal_sql(probe_statement)))
            timing.limit_plan = bench.scan_summary(await bench.plan(probe_hand))
            if timing.ours_count != timing.limit_count:
                raise RuntimeError(f"{database}: probe {text!r} counted {timing.ours_count} vs {timing.limit_count}")
            result.probes.append(timing)
            log(f"  sql     {database:<10} probe {text:<26} ours {timing.ours_s * 1000:7.1f} ms "
                f"[{timing.ours_plan}]  hand-written {timing.limit_s * 1000:7.1f} ms [{timing.limit_plan}]  "
                f"ratio {timing.ratio:.2f}")
    return result


# ---- the section ----------------------------------------------------------------------------------------------------
BASE_RECORDS = 100_000  # Python evaluations at --scale 1
BASE_ROWS = 1_000_000  # SQL rows at --scale 1


def sql_repeat(repeat: int) -> int:
    """Queries are cheap next to loading the table: at least 7 timed runs each (the best is kept)."""
    return max(repeat, 7)


async def run_expressions(*, records: int, rows: int, databases: list[tuple[str, str, str | None]], repeat: int,
                          seed: int, work: Path, pg_admin: str | None = None, log=print) -> ExprReport:
    """databases: (name, url, asyncpg dsn or None); PostgreSQL databases are created and dropped by the caller."""
    report = ExprReport()
    _zen, _logic, missing = comparison_engines()
    if missing:
        log("  note: " + missing)
        report.notes.append(missing)
        report.comparisons = False
    report.compile_us = compile_cost()
    log(f"  python  compile once: {report.compile_us:.0f} µs (parse, type-check, closures)")
    log(f"  python  generating {records:,} + {records:,} records (seed {seed})")
    realistic = orders(records, seed)
    hot = orders(records, seed + 1, hot=True)
    report.python.append(run_python(realistic, "realistic", repeat, log))
    report.python.append(run_python(hot, "every condition evaluated", repeat, log))
    del realistic, hot
    if databases and rows:
        log(f"  sql     generating {rows:,} rows (seed {seed})")
        table_rows = orders(rows, seed + 2)
        for name, url, dsn in databases:
            report.sql.append(await run_sql(name, url, table_rows, sql_repeat(repeat), dsn, log))
    return report

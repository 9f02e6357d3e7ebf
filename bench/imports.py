"""Spreadsheet import: N rows of a 15-field customer sheet (.xlsx and .csv) through runtime.importer into a
published app, against the physical limit — reading the same file plus a raw executemany of the same rows.

Every import runs in a subprocess of its own (`python -m bench.imports --child SPEC`), so its peak resident
memory (VmHWM from /proc/self/status) belongs to that import alone; two sizes (N/10 and N) show whether
memory stays flat as the file grows.

(a) importer — what POST …/records/import does after the upload: one transaction, read_rows(file) →
              import_rows(…, all_or_nothing) (headers mapped by label, values converted by the form engine,
              the relation found by the store's title, RecordWriter.create_many per 1,000-row chunk) → commit.
(b) limit    — read_rows over the same file (the cells only, nothing kept), then the rows the importer
              stored, fetched as driver values before the clock starts, inserted with one executemany per
              1,000 rows in one transaction into the table of a fresh import of the same app (identical
              columns and indexes). SQLite through the platform's engine (same pragmas, BEGIN IMMEDIATE);
              PostgreSQL with asyncpg on its own connection.
"""
from __future__ import annotations

import asyncio
import csv
import json
import resource
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bench.data import DataGen

FORM_KEY = "customer"
STORE_KEY = "store"
CHUNK = 1000  # = runtime.importer.CHUNK: the limit inserts in the same batches
STORES = [f"{city}{district}店" for city, districts in (
    ("上海", ("徐汇", "静安", "浦东", "闵行")), ("北京", ("朝阳", "海淀", "西城")), ("杭州", ("西湖", "滨江", "余杭")),
    ("广州", ("天河", "越秀")), ("深圳", ("南山", "福田", "宝安")), ("成都", ("武侯", "锦江")),
    ("南京", ("鼓楼", "玄武")), ("苏州", ("姑苏",))) for district in districts]
LEVELS = [("bronze", "铜牌"), ("silver", "银牌"), ("gold", "金牌"), ("platinum", "铂金")]
LEVEL_WEIGHTS = (55, 28, 13, 4)

CUSTOMER_FIELDS = [
    {"key": "name", "type": "text", "label": "姓名", "required": True, "max_length": 50},
    {"key": "phone", "type": "phone", "label": "手机", "required": True, "unique": True},
    {"key": "email", "type": "email", "label": "邮箱"},
    {"key": "gender", "type": "select", "label": "性别",
     "options": [{"value": "male", "label": "男"}, {"value": "female", "label": "女"}]},
    {"key": "level", "type": "select", "label": "会员等级", "default": "bronze",
     "options": [{"value": v, "label": label} for v, label in LEVELS]},
    {"key": "city", "type": "text", "label": "城市", "max_length": 50},
    {"key": "address", "type": "text", "label": "地址"},
    {"key": "birthday", "type": "date", "label": "生日"},
    {"key": "joined_on", "type": "date", "label": "入会日期"},
    {"key": "last_order_at", "type": "datetime", "label": "最近下单"},
    {"key": "total_spent", "type": "money", "label": "累计消费", "min": 0},
    {"key": "balance", "type": "money", "label": "储值余额"},
    {"key": "orders", "type": "number", "label": "订单数", "min": 0, "decimals": 0},
    {"key": "subscribed", "type": "checkbox", "label": "订阅消息"},
    {"key": "store", "type": "relation", "label": "所属门店", "target": STORE_KEY},
]
assert len(CUSTOMER_FIELDS) == 15
HEADER = [f["label"] for f in CUSTOMER_FIELDS]
FORMATS = ("xlsx", "csv")


def imports_app(key: str) -> dict:
    """A customer form plus the small store form its relation points at; each import fills a fresh copy."""
    return {
        "format": "nocode.app/v1",
        "key": key,
        "name": "导入基准",
        "forms": [
            {"key": STORE_KEY, "name": "门店", "title_field": "name", "fields": [
                {"key": "name", "type": "text", "label": "门店名称", "required": True},
                {"key": "city", "type": "text", "label": "城市"}]},
            {"key": FORM_KEY, "name": "客户", "title_field": "name", "fields": CUSTOMER_FIELDS},
        ],
    }


# ---- the sheet ----------------------------------------------------------------------------------------------------
def sheet_rows(count: int, seed: int):
    """The header, then `count` rows as people type them: labels for selects, 2026年3月5日 and 2026/3/5
    dates, 是/否, ¥ and thousands separators now and then, the store by its name, empty cells."""
    gen = DataGen(seed)
    rng = gen.rng
    yield HEADER
    for _ in range(count):
        city, _province, district = gen.place()
        phone = gen.phone()
        birthday = gen.day(date(1960, 1, 1), date(2006, 12, 31))
        joined = gen.day(date(2018, 1, 1), date(2026, 3, 31))
        last = gen.moment(datetime(2024, 1, 1), datetime(2026, 3, 31))
        orders = int(rng.expovariate(1 / 6))
        balance = gen.money(0, 2000)
        yield [
            gen.name(),
            int(phone),  # Excel keeps a typed mobile number as a number
            gen.email(phone) if rng.random() < 0.8 else None,
            rng.choice(("男", "女")) if rng.random() < 0.9 else None,
            rng.choices(LEVELS, LEVEL_WEIGHTS)[0][1] if rng.random() < 0.95 else None,
            city,
            gen.address(district),
            f"{birthday.year}年{birthday.month}月{birthday.day}日" if rng.random() < 0.85 else None,
            f"{joined.year}/{joined.month}/{joined.day}",
            f"{last.year}/{last.month}/{last.day} {last.hour}:{last.minute:02d}" if orders else None,
            gen.money(0, 20000) if orders else 0,
            f"¥{balance:,.2f}" if rng.random() < 0.1 else balance,
            orders,
            "是" if rng.random() < 0.6 else "否",
            rng.choice(STORES),
        ]


def write_xlsx(path: Path, rows) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_csv(path: Path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # as Excel saves "CSV UTF-8"
        writer = csv.writer(f)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


# ---- measurements -------------------------------------------------------------------------------------------------
def memory_kib() -> dict[str, int]:
    """This process's resident memory now and at its peak, in KiB."""
    found = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return {"rss": found.get("VmRSS", 0),
            "peak": found.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}


def reset_peak() -> None:
    """Start VmHWM again from the current resident set (Linux ≥ 4.0), so the peak read later is the
    import's own, not start-up's (importing SQLAlchemy and friends peaks higher than it settles)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


@dataclass
class Measure:
    way: str  # importer | limit
    seconds: float
    read_seconds: float  # limit only: reading the file; the rest is the insert
    rss_before_kib: int  # set up, connected, schema loaded; just before the import starts
    peak_kib: int  # the process's high-water mark from just before the import to its end

    @property
    def growth_kib(self) -> int:
        return self.peak_kib - self.rss_before_kib


@dataclass
class ImportRun:
    database: str
    fmt: str
    rows: int
    file_bytes: int
    measures: dict[str, list[Measure]] = field(default_factory=dict)
    app: str = ""  # the first import's app, whose table the limit copies and verify() reads

    def best(self, way: str) -> Measure:
        return min(self.measures[way], key=lambda m: m.seconds)

    def peak(self, way: str) -> Measure:
        return max(self.measures[way], key=lambda m: m.peak_kib)

    @property
    def ratio(self) -> float:
        return self.best("importer").seconds / self.best("limit").seconds


# ---- the child process: one import, one measurement ----------------------------------------------------------------
async def _child(spec: dict) -> dict:
    from runtime.db import create_engine
    from runtime.deps import Platform
    from runtime.settings import Settings
    from runtime.tables import SchemaCache

    settings = Settings(database_url=spec["url"], secret_key="bench-" + "k" * 40,
                        data_dir=Path(spec["work"]) / "data", frontend_dir=Path(spec["work"]) / "no-frontend")
    platform = Platform(settings, create_engine(spec["url"]), SchemaCache())
    try:
        return await (_child_importer if spec["way"] == "importer" else _child_limit)(platform, spec)
    finally:
        await platform.engine.dispose()


async def _child_importer(platform, spec: dict) -> dict:
    from runtime.importer import import_rows, read_rows
    from runtime.write import RecordWriter

    async with platform.engine.connect() as conn:
        await platform.schemas.get(conn, spec["app"])  # warm, as a running server would be
    reset_peak()
    before = memory_kib()["rss"]
    path = Path(spec["file"])
    started = time.perf_counter()
    with open(path, "rb") as stream:
        async with platform.engine.connect() as conn:  # as the route: one transaction for the whole file
            transaction = await conn.begin()
            schema = await platform.schemas.get(conn, spec["app"])
            writer = RecordWriter(conn, schema, platform.ctx, spec["user_id"])
            report, keep = await import_rows(conn, schema, FORM_KEY, read_rows(path.name, stream), writer,
                                             None, False, "en")
            await (transaction.commit() if keep else transaction.rollback())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "read_seconds": 0.0, "rss_before_kib": before, "peak_kib": memory_kib()["peak"],
            "imported": report.imported if keep else 0, "failed": len(report.failed_rows),
            "errors": report.errors[:5], "columns": report.columns}


async def _child_limit(platform, spec: dict) -> dict:
    from runtime.importer import read_rows

    async with platform.engine.connect() as conn:
        source = (await platform.schemas.get(conn, spec["source_app"])).form(FORM_KEY)
        target = (await platform.schemas.get(conn, spec["app"])).form(FORM_KEY)
        # the columns the tables really have (the code may know of newer system columns than the table)
        present = {name: {column[0] for column in (await conn.exec_driver_sql(
            f"SELECT * FROM {form.table.name} WHERE 1 = 0")).cursor.description} for name, form in
            (("source", source), ("target", target))}
    # each copy of the app has its own column names: pair them by field key
    system = [c.name for c in source.table.columns if c.name != "id"
              and c.name in present["source"] and c.name in present["target"]
              and not any(c is store.column for store in source.fields.values())]
    pairs = [(name, name) for name in system] + [(source.fields[key].column.name, target.fields[key].column.name)
                                                 for key in source.fields if source.fields[key].column is not None]
    select_sql = f"SELECT {', '.join(s for s, _ in pairs)} FROM {source.table.name} ORDER BY id"
    names = [t for _, t in pairs]
    if spec["database"] == "sqlite":
        async with platform.engine.connect() as conn:
            rows = [tuple(r) for r in (await conn.exec_driver_sql(select_sql)).all()]
    else:
        import asyncpg

        pg = await asyncpg.connect(spec["pg_dsn"])
        rows = [tuple(r) for r in await pg.fetch(select_sql)]
    reset_peak()
    before = memory_kib()["rss"]
    path = Path(spec["file"])
    started = time.perf_counter()
    with open(path, "rb") as stream:
        cells = sum(len(row) for row in read_rows(path.name, stream))
    read_seconds = time.perf_counter() - started
    batches = [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]
    if spec["database"] == "sqlite":
        sql = f"INSERT INTO {target.table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        async with platform.engine.begin() as conn:  # BEGIN IMMEDIATE … COMMIT, one transaction as the import
            for batch in batches:
                await conn.exec_driver_sql(sql, batch)
    else:
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        sql = f"INSERT INTO {target.table.name} ({', '.join(names)}) VALUES ({placeholders})"
        try:
            async with pg.transaction():
                for batch in batches:
                    await pg.executemany(sql, batch)
        finally:
            await pg.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "read_seconds": read_seconds, "rss_before_kib": before,
            "peak_kib": memory_kib()["peak"], "imported": len(rows), "cells": cells}


async def run_child(spec: dict) -> dict:
    root = Path(__file__).resolve().parent.parent
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.imports", "--child", json.dumps(spec), cwd=root,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{spec['way']} import of {spec['file']} failed:\n{err.decode()[-3000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


# ---- the parent: files, databases, apps, runs, checks --------------------------------------------------------------
class ImportBench:
    """One migrated database with an admin; every run imports into a fresh copy of the app."""

    def __init__(self, database: str, url: str, work: Path, pg_dsn: str | None):
        self.database, self.url, self.work, self.pg_dsn = database, url, work, pg_dsn
        self.prefix = "i" + uuid.uuid4().hex[:6]
        self.count = 0

    async def __aenter__(self):
        from runtime.auth import create_user
        from runtime.db import create_engine
        from runtime.deps import Platform
        from runtime.migrate import upgrade
        from runtime.settings import Settings
        from runtime.tables import SchemaCache

        settings = Settings(database_url=self.url, secret_key="bench-" + "k" * 40, data_dir=self.work / "data",
                            frontend_dir=self.work / "no-frontend")
        self.platform = Platform(settings, create_engine(self.url), SchemaCache())
        await upgrade(self.platform.engine)
        async with self.platform.engine.begin() as conn:
            self.user_id = await create_user(conn, "bench", "bench-password", name="基准", is_admin=True)
        return self

    async def __aexit__(self, *exc):
        await self.platform.engine.dispose()

    async def fresh_app(self) -> str:
        """A new copy of the app with its stores in place (the relation column's targets)."""
        from builder.lifecycle import import_app
        from runtime.write import RecordWriter

        self.count += 1
        key = f"{self.prefix}_{self.count}"
        async with self.platform.engine.begin() as conn:
            await import_app(conn, imports_app(key), self.platform.ctx, self.user_id)
        async with self.platform.engine.begin() as conn:
            schema = await self.platform.schemas.get(conn, key)
            await RecordWriter(conn, schema, self.platform.ctx, self.user_id).create_many(
                STORE_KEY, [{"name": name, "city": name[:2]} for name in STORES])
        return key

    def spec(self, way: str, app: str, file: Path, **extra) -> dict:
        return {"way": way, "database": self.database, "url": self.url, "pg_dsn": self.pg_dsn, "app": app,
                "file": str(file), "user_id": self.user_id, "work": str(self.work), **extra}

    async def contents(self, app: str) -> list[tuple]:
        """The customer table's field values in id order (what a user would see), for comparing runs."""
        from sqlalchemy import select

        async with self.platform.engine.connect() as conn:
            schema = await self.platform.schemas.get(conn, app)
            form, stores = schema.form(FORM_KEY), schema.form(STORE_KEY)
            store_names = dict((await conn.execute(select(stores.table.c.id, stores.fields["name"].column))).all())
            columns = [form.fields[key].column for key in form.fields]
            rows = (await conn.execute(select(*columns).order_by(form.table.c.id))).all()
        store_at = list(form.fields).index("store")
        return [tuple(store_names.get(v) if i == store_at else v for i, v in enumerate(row)) for row in rows]


async def run_imports(database: str, url: str, work: Path, files: dict[tuple[int, str], Path], repeat: int,
                      seed: int, pg_dsn: str | None = None, log=print) -> list[ImportRun]:
    runs = []
    async with ImportBench(database, url, work, pg_dsn) as bench:
        for (rows, fmt), path in files.items():
            run = ImportRun(database, fmt, rows, path.stat().st_size)
            first_app = None
            for _ in range(repeat):
                for way in ("importer", "limit"):
                    app = await bench.fresh_app()
                    extra = {"source_app": first_app} if way == "limit" else {}
                    result = await run_child(bench.spec(way, app, path, **extra))
                    if way == "importer":
                        if result["imported"] != rows:
                            raise RuntimeError(f"{path.name}: imported {result['imported']} of {rows} rows, "
                                               f"{result['failed']} failed: {result['errors']}")
                        first_app = first_app or app
                    measure = Measure(way, result["seconds"], result["read_seconds"], result["rss_before_kib"],
                                      result["peak_kib"])
                    run.measures.setdefault(way, []).append(measure)
                    log(f"  {database:<10} {fmt:<4} {rows:>7} rows  {way:<8} {measure.seconds:7.2f} s  "
                        f"{rows / measure.seconds:>8,.0f} rows/s  peak {measure.peak_kib / 1024:6.1f} MiB "
                        f"(before {measure.rss_before_kib / 1024:.1f} MiB)")
            run.app = first_app
            runs.append(run)
        await verify(bench, runs, seed)
    return runs


async def verify(bench: ImportBench, runs: list[ImportRun], seed: int) -> None:
    """The .xlsx and the .csv of the same rows stored the same values, and they are the values meant."""
    by_size: dict[int, dict[str, list[tuple]]] = {}
    for run in runs:
        by_size.setdefault(run.rows, {})[run.fmt] = await bench.contents(run.app)
    for size, tables in by_size.items():
        contents = list(tables.values())
        if any(len(c) != size for c in contents):
            raise RuntimeError(f"{size} rows: stored {[len(c) for c in contents]}")
        if any(c != contents[0] for c in contents[1:]):
            raise RuntimeError(f"{size} rows: the .xlsx and .csv imports stored different values")
        sheet = dict(zip(HEADER, list(sheet_rows(1, seed))[1]))
        first = dict(zip(HEADER, contents[0][0]))
        meant = {"姓名": sheet["姓名"], "手机": str(sheet["手机"]), "所属门店": sheet["所属门店"],
                 "入会日期": date(*map(int, sheet["入会日期"].split("/"))), "订阅消息": sheet["订阅消息"] == "是"}
        if {k: first[k] for k in meant} != meant:
            raise RuntimeError(f"first row stored as {first}, the sheet says {sheet}")


def generate_files(sizes: list[int], work: Path, seed: int, log=print) -> dict[tuple[int, str], Path]:
    files = {}
    for rows in sizes:
        for fmt in FORMATS:
            path = work / f"customers_{rows}.{fmt}"
            started = time.perf_counter()
            (write_xlsx if fmt == "xlsx" else write_csv)(path, sheet_rows(rows, seed))
            log(f"  wrote {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
            files[(rows, fmt)] = path
    return files


# ---- report -------------------------------------------------------------------------------------------------------
def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def imports_text(runs: list[ImportRun]) -> str:
    header = (f"{'import':<6} {'database':<10} {'rows':>7} {'ours s':>8} {'rows/s':>8} {'limit s':>8} "
              f"{'(read)':>7} {'rows/s':>8} {'ratio':>6} {'peak':>9} {'before':>9}")
    lines = [header, "-" * len(header)]
    for run in runs:
        ours, limit, peak = run.best("importer"), run.best("limit"), run.peak("importer")
        lines.append(f"{run.fmt:<6} {run.database:<10} {run.rows:>7} {ours.seconds:>8.2f} "
                     f"{run.rows / ours.seconds:>8,.0f} {limit.seconds:>8.2f} {limit.read_seconds:>7.2f} "
                     f"{run.rows / limit.seconds:>8,.0f} {run.ratio:>6.2f} {mib(peak.peak_kib):>9} "
                     f"{mib(peak.rss_before_kib):>9}")
    return "\n".join(lines)


def imports_markdown(runs: list[ImportRun], repeat: int, notes: list[str]) -> list[str]:
    sizes = sorted({run.rows for run in runs})
    out = [
        "## Spreadsheet import",
        "",
        f"A customer sheet of {len(CUSTOMER_FIELDS)} columns headed by the fields' Chinese labels — text, a unique "
        "mobile number (a number cell in Excel), e-mail, two selects given by their labels (男/女, 金牌…), "
        "dates typed as `1990年3月5日` and `2026/3/5`, a date-time `2026/3/5 19:42`, money (now and then "
        "`¥1,234.50`), a whole number, 是/否, and a relation to a 20-record store form given by the store's "
        "name; some cells empty — generated deterministically (`bench/imports.py`, seeded), written as .xlsx "
        "(openpyxl write-only) and as UTF-8 .csv, then imported in all-or-nothing mode into a fresh copy of a "
        "published app. Every import runs in a subprocess of its own, so its memory is its own.",
        "",
        "| file | database | rows | file size | import | rows/s | limit (read + insert) | limit rows/s | "
        "ratio (ours / limit) | peak memory | before import |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        ours, limit, peak = run.best("importer"), run.best("limit"), run.peak("importer")
        out.append(f"| .{run.fmt} | {run.database} | {run.rows:,} | {run.file_bytes / 1e6:.1f} MB | "
                   f"{ours.seconds:.2f} s | {run.rows / ours.seconds:,.0f} | {limit.seconds:.2f} s "
                   f"({limit.read_seconds:.2f} + {limit.seconds - limit.read_seconds:.2f}) | "
                   f"{run.rows / limit.seconds:,.0f} | **{run.ratio:.2f}** | {mib(peak.peak_kib)} | "
                   f"{mib(peak.rss_before_kib)} |")
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        out += ["", f"Memory as the file grows from {small:,} to {large:,} rows (the importer process's peak "
                "resident set, VmHWM, highest over the runs):", "",
                "| file | database | peak at " + f"{small:,} | peak at {large:,} | growth | per 1,000 extra rows |",
                "| --- | --- | ---: | ---: | ---: | ---: |"]
        for database in dict.fromkeys(run.database for run in runs):
            for fmt in FORMATS:
                pair = {r.rows: r for r in runs if r.database == database and r.fmt == fmt}
                if small in pair and large in pair:
                    a, b = pair[small].peak("importer").peak_kib, pair[large].peak("importer").peak_kib
                    out.append(f"| .{fmt} | {database} | {mib(a)} | {mib(b)} | {(b - a) / 1024:+.1f} MiB | "
                               f"{(b - a) / (large - small):.2f} MiB |")
    out += [
        "",
        ("One run per way." if repeat == 1 else f"Best of {repeat} runs per way for the times; memory is the "
         "highest of the runs."),
        "",
        "How each way is measured:",
        "",
        "- **import** — what `POST /api/apps/{app}/forms/customer/records/import` does after the upload: "
        "`read_rows(file)` (openpyxl read-only / `csv.reader`) → `import_rows(…)` in one transaction on one "
        "connection (headers mapped by label, store names looked up once per 1,000-row chunk, "
        "`RecordWriter.create_many` per chunk: validation, the unique check, the insert) → commit. The clock "
        "runs from opening the file to the commit.",
        "- **limit** — `read_rows` over the same file (every cell read, nothing kept), plus the very rows the "
        "import stored, fetched as driver values before the clock starts, inserted with one `executemany` of "
        "a plain `INSERT` per 1,000 rows in one transaction into the table of another fresh copy of the app "
        "(same columns and indexes, the unique one included). SQLite: `sqlite3` through the platform's "
        "aiosqlite engine (same pragmas, `BEGIN IMMEDIATE … COMMIT`); PostgreSQL: asyncpg on its own "
        "connection.",
        "- **memory** — the subprocess's resident set just before the import (Python, SQLAlchemy, the app's "
        "schema loaded, connected) and its high-water mark (`VmHWM` in `/proc/self/status`) after it.",
        "- After the runs, the .xlsx and .csv imports of the same rows are compared row by row (same stored "
        "values, the store relation by name), and the first row against the sheet.",
        "",
        "Run it alone with `.venv/bin/python -m bench imports [--rows 100000] [--db sqlite|postgresql|both] "
        "[--repeat N]`: files of `--rows` and a tenth of that (default 20,000 and 2,000). PostgreSQL gets a "
        "database `nocode_bench_imports_<random>` of its own, dropped afterwards.",
        "",
    ]
    out += [f"- {note}" for note in notes] + ([""] if notes else [])
    return out


# ---- entry point for the child ------------------------------------------------------------------------------------
if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(asyncio.run(_child(json.loads(sys.argv[2])))), flush=True)
        sys.exit(0)
    sys.exit("run `python -m bench imports`; this module's own entry point is for its subprocesses")

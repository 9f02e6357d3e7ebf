"""python -m bench.profile: where a bulk insert spends its time, records layer or HTTP API.

Default: pyinstrument (not a project dependency: `.venv/bin/pip install pyinstrument` first) samples one way
(records layer (b), or `--way api`) and prints the call tree, the functions with the most time of their own,
and that time by area. `--phases` instead times create_many's steps one by one, without a profiler.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

from bench.__main__ import PG_URL, SEED
from bench.data import members
from bench.inserts import Clock, InsertBench, batches, pg_drop, pg_create
from bench.workload import FORM_KEY


def own_times(session) -> tuple[float, list[tuple[float, str]]]:
    """(total, [(seconds, 'function  file:line')]) by time spent in the function itself."""
    root = session.root_frame()
    totals: dict[str, float] = defaultdict(float)

    def walk(frame):
        own = frame.time - sum(c.time for c in frame.children)
        if own > 0:
            real = frame
            while real.parent is not None and real.is_synthetic:  # [self], [await]: time of the caller
                real = real.parent
            label = "  (awaiting)" if frame.identifier.startswith("[await]") else ""
            totals[f"{real.function}  {shorten(real.file_path or '')}:{real.line_no or ''}{label}"] += own
        for child in frame.children:
            walk(child)

    walk(root)
    return root.time, sorted(((t, w) for w, t in totals.items()), reverse=True)


def by_area(session) -> list[tuple[float, str]]:
    """Time of our own code split by what it was doing, from the frames' files (inclusive of callees)."""
    _total, own = own_times(session)
    areas: dict[str, float] = defaultdict(float)
    for seconds, where in own:
        path = where.split("  ", 1)[1]
        area = next((name for key, name in AREAS if key in path), "other")
        areas[area] += seconds
    return sorted(((t, a) for a, t in areas.items()), reverse=True)


AREAS = (
    ("engines/form", "form engine: validate/coerce"),
    ("pydantic", "pydantic (field definitions)"),
    ("runtime/", "runtime (write.py, tables.py…)"),
    ("sqlalchemy/", "SQLAlchemy (compile, execute, type processing)"),
    ("aiosqlite", "aiosqlite (thread hand-off)"),
    ("asyncpg", "asyncpg"),
    ("sqlite3", "sqlite3"),
    ("asyncio", "asyncio event loop (waiting on the database)"),
    ("<built-in>", "built-ins"),
)


def shorten(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


@asynccontextmanager
async def database(kind: str, count: int):
    """An InsertBench on a fresh SQLite file or PostgreSQL database (dropped afterwards)."""
    items = members(count, SEED)
    work = Path(tempfile.mkdtemp(prefix="nocode_prof_"))
    name = admin = None
    try:
        if kind == "sqlite":
            url, dsn = f"sqlite+aiosqlite:///{work / 'prof.db'}", None
        else:
            name = f"nocode_bench_{uuid.uuid4().hex[:10]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            await pg_create(admin, name)
            url, dsn = f"{PG_URL}/{name}", admin.rsplit("/", 1)[0] + "/" + name
        async with InsertBench(url, work / "data", items, dsn) as bench:
            yield bench
    finally:
        if name:
            await pg_drop(admin, name)
        shutil.rmtree(work, ignore_errors=True)


async def profile(kind: str, way: str, count: int, html: Path | None) -> None:
    from pyinstrument import Profiler

    async with database(kind, count) as bench:
        run = getattr(bench, f"via_{way}")
        await run()  # warm-up: imports, statement caches
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        timing = await run()
        profiler.stop()
    print(f"{way}, {kind}, {count:,} rows: {timing.seconds:.2f} s ({timing.rate:,.0f} rows/s)")
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    total, own = own_times(profiler.last_session)
    print(f"top functions by own time (of {total:.2f} s sampled):")
    for seconds, where in own[:25]:
        print(f"  {seconds:6.3f} s {100 * seconds / total:5.1f}%  {where}")
    print("\nown time by area:")
    for seconds, area in by_area(profiler.last_session):
        print(f"  {seconds:6.3f} s {100 * seconds / total:5.1f}%  {area}")
    if html:
        html.write_text(profiler.output_html())
        print(f"\nHTML call tree: {html}")


async def phases(kind: str, count: int) -> None:
    """create_many's steps timed one by one (wall clock, no profiler overhead).

    Diagnostic only: it calls RecordWriter's private steps in create_many's order, so it follows
    runtime/write.py by hand and must be updated when that changes.
    """
    from engines.form.record import check_record
    from runtime.write import RecordWriter, utcnow

    async with database(kind, count) as bench:
        key, form = await bench.fresh_form("phases")
        async with bench.engine.connect() as conn:
            schema = await bench.platform.schemas.get(conn, key)
        ctx, user = bench.platform.ctx, bench.user_id
        spent = defaultdict(float)
        with Clock() as total:
            for batch in batches(bench.items):
                with Clock() as begin:
                    tx = bench.engine.begin()
                    conn = await tx.__aenter__()
                spent["begin (BEGIN IMMEDIATE / pool checkout)"] += begin.wall
                writer = RecordWriter(conn, schema, ctx, user)
                with Clock() as step:
                    clean = [check_record(form.definition.fields, item, ctx, form=FORM_KEY)[0] for item in batch]
                spent["validate + coerce (form engine check_record)"] += step.wall
                with Clock() as step:
                    await writer._check_database(form, clean, lambda i: f"/items/{i}", exclude_id=None)
                spent["database checks (unique IN query, relations)"] += step.wall
                with Clock() as step:
                    now = utcnow()
                    rows = [{"created_at": now, "updated_at": now, "created_by": user,
                             "owner": values.get("owner", user), "version": 1, **writer._columns(form, values)}
                            for values in clean]
                spent["build row dicts"] += step.wall
                with Clock() as step:
                    ids = await writer._insert(form, rows)
                spent["insert (_insert)"] += step.wall
                with Clock() as step:
                    for record_id, values in zip(ids, clean):
                        await writer._write_children(form, record_id, values, replace=False)
                spent["children (none in this form)"] += step.wall
                with Clock() as step:
                    await tx.__aexit__(None, None, None)
                spent["commit"] += step.wall
    print(f"records layer by step, {kind}, {count:,} rows: {total.wall:.2f} s")
    for label, seconds in spent.items():
        print(f"  {seconds:6.3f} s {100 * seconds / total.wall:5.1f}%  {1e6 * seconds / count:6.1f} us/row  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--way", choices=("records", "api"), default="records")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML call tree here")
    parser.add_argument("--phases", action="store_true",
                        help="time create_many's steps one by one instead (no pyinstrument needed)")
    args = parser.parse_args()
    if args.phases:
        asyncio.run(phases(args.db, args.rows))
    else:
        asyncio.run(profile(args.db, args.way, args.rows, args.html))


if __name__ == "__main__":
    main()

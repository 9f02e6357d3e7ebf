"""python -m bench.profile: where the records layer spends its time on a bulk insert (pyinstrument).

pyinstrument is not a project dependency: `.venv/bin/pip install pyinstrument` first. Prints the call tree
of the records-layer way (b) and the functions with the most time of their own, grouped by file.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

from bench.__main__ import PG_URL, SEED
from bench.data import members
from bench.inserts import InsertBench, pg_drop, pg_versions_and_db


def own_times(session) -> tuple[float, list[tuple[float, str]]]:
    """(total, [(seconds, 'function  file:line')]) by time spent in the function itself."""
    root = session.root_frame()
    totals: dict[str, float] = defaultdict(float)

    def walk(frame):
        if not frame.children or frame.time > sum(c.time for c in frame.children):
            where = f"{frame.function}  {shorten(frame.file_path or '')}:{frame.line_no or ''}"
            totals[where] += frame.time - sum(c.time for c in frame.children)
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


async def profile(database: str, count: int, html: Path | None) -> None:
    from pyinstrument import Profiler

    items = members(count, SEED)
    work = Path(tempfile.mkdtemp(prefix="nocode_prof_"))
    name = None
    try:
        if database == "sqlite":
            url, dsn = f"sqlite+aiosqlite:///{work / 'prof.db'}", None
        else:
            name = f"nocode_bench_{uuid.uuid4().hex[:10]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            await pg_versions_and_db(admin, name)
            url, dsn = f"{PG_URL}/{name}", admin.rsplit("/", 1)[0] + "/" + name
        async with InsertBench(url, work / "data", items, dsn) as bench:
            await bench.via_records()  # warm-up: imports, statement caches
            bench.items = items
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            profiler.start()
            timing = await bench.via_records()
            profiler.stop()
        print(f"records layer, {database}, {count:,} rows: {timing.seconds:.2f} s ({timing.rate:,.0f} rows/s)")
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
    finally:
        if name:
            await pg_drop(admin, name)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML call tree here")
    args = parser.parse_args()
    asyncio.run(profile(args.db, args.rows, args.html))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONASYNCIODEBUG", "0")
    main()

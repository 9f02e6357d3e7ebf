"""python -m bench: bulk-insert benchmarks on SQLite and PostgreSQL, printed and written to docs/benchmarks.md."""
from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from bench.data import members
from bench.inserts import Run, pg_drop, pg_create, run_inserts
from bench.report import machine, markdown, text_table

PG_URL = os.environ.get("NOCODE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BASE_ROWS = 20_000
SEED = 20240601


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help=f"1.0 = {BASE_ROWS:,} records")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per way; the best one is reported")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"),
                        help="Markdown report ('-' for none)")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> int:
    count = max(1, round(BASE_ROWS * args.scale))
    print(f"generating {count:,} member records (seed {SEED})", flush=True)
    items = members(count, SEED)
    runs: list[Run] = []
    notes: list[str] = []
    pg_version = None
    work = Path(tempfile.mkdtemp(prefix="nocode_bench_"))
    try:
        if args.db in ("sqlite", "both"):
            path = work / "bench.db"
            print(f"sqlite: {path}", flush=True)
            runs.append(await run_inserts("sqlite", f"sqlite+aiosqlite:///{path}", work / "data-sqlite", items,
                                          args.repeat, log=lambda m: print(m, flush=True)))
        if args.db in ("postgresql", "both"):
            name = f"nocode_bench_{uuid.uuid4().hex[:10]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            try:
                pg_version = await pg_create(admin, name)
            except Exception as e:  # unreachable server, refused login…
                note = f"PostgreSQL skipped: not reachable at {PG_URL} ({type(e).__name__}: {e})"
                print(note, flush=True)
                notes.append(note)
            else:
                print(f"postgresql {pg_version}: database {name}", flush=True)
                try:
                    runs.append(await run_inserts(
                        "postgresql", f"{PG_URL}/{name}", work / "data-pg", items, args.repeat,
                        pg_dsn=admin.rsplit("/", 1)[0] + "/" + name, log=lambda m: print(m, flush=True)))
                finally:
                    await pg_drop(admin, name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(text_table(runs))
    if str(args.out) != "-":
        command = "python -m bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(markdown(runs, machine(pg_version), command.strip(), args.repeat, notes))
        print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(None))))

"""python -m bench [section …]: bulk-insert, expression, spreadsheet-import, job and flow benchmarks on SQLite and
PostgreSQL, the HTTP load test and the concurrency soak on PostgreSQL, printed and written to docs/benchmarks.md
(sections not run keep their previous text)."""
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
from bench.expressions import BASE_RECORDS as EXPR_BASE_RECORDS
from bench.expressions import BASE_ROWS as EXPR_BASE_ROWS
from bench.expressions import ExprReport, run_expressions
from bench.flows import flows_markdown, flows_text, run_flows
from bench.imports import generate_files, imports_markdown, imports_text, run_imports
from bench.inserts import Run, pg_create, pg_drop, run_inserts
from bench.jobs import jobs_markdown, jobs_text, run_jobs
from bench.load import load_markdown, load_text, run_load
from bench.reports import reports_markdown, reports_text, run_reports
from bench.rules import rules_markdown, rules_text
from bench.rules import run as run_rules
from bench.soak import SOAK_SECONDS, run_soak, soak_markdown, soak_text
from bench.report import expr_text, machine, markdown, text_table
from bench.validation import RECORDS as VALIDATION_RECORDS
from bench.validation import run_validation, validation_markdown, validation_text

PG_URL = os.environ.get("NOCODE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BASE_ROWS = 20_000
SEED = 20240601
SECTIONS = ("inserts", "expressions", "imports", "validation", "jobs", "flows", "reports", "rules", "load", "soak")
HEADINGS = {"inserts": "## Bulk insert", "expressions": "## Expressions", "imports": "## Spreadsheet import",
            "validation": "## Record validation", "jobs": "## Background jobs and timers", "flows": "## Flows",
            "reports": "## Reports", "rules": "## Rules", "load": "## HTTP load", "soak": "## Soak"}
HTTP_SECTIONS = ("load", "soak")  # rendered here, after the others (bench/report.py knows the rest)
IMPORT_ROWS = 20_000
JOB_TIMERS = 2_000
FLOW_INSTANCES = 1_000  # persisted approvals per database (the in-memory engine runs ten times as many)
FLOW_TIMERS = 1_000
REPORT_ORDERS = 200_000
RULE_CUSTOMERS = 100_000


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("section", nargs="*", help=f"sections to run, of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--scale", type=float, default=1.0, help=f"1.0 = {BASE_ROWS:,} records")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per way; the best one is reported")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"),
                        help="Markdown report ('-' for none)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--expr-records", type=int, default=None,
                        help=f"records for the Python expression run (default {EXPR_BASE_RECORDS:,} × scale)")
    parser.add_argument("--expr-rows", type=int, default=None,
                        help=f"table rows for the SQL expression run (default {EXPR_BASE_ROWS:,} × scale; 0 skips)")
    parser.add_argument("--rows", type=int, default=IMPORT_ROWS,
                        help=f"rows of the larger import file; the smaller has a tenth (default {IMPORT_ROWS:,})")
    parser.add_argument("--timers", type=int, default=JOB_TIMERS,
                        help=f"due timers fired at once in the jobs section (default {JOB_TIMERS:,})")
    parser.add_argument("--flow-instances", type=int, default=FLOW_INSTANCES,
                        help=f"two-step approvals per database in the flows section (default {FLOW_INSTANCES:,})")
    parser.add_argument("--flow-timers", type=int, default=FLOW_TIMERS,
                        help=f"due flow timers fired at once in the flows section (default {FLOW_TIMERS:,})")
    parser.add_argument("--report-orders", type=int, default=None,
                        help=f"orders in the reports section (default {REPORT_ORDERS:,} × scale)")
    parser.add_argument("--rule-customers", type=int, default=None,
                        help=f"customers in the rules section (default {RULE_CUSTOMERS:,} × scale)")
    parser.add_argument("--soak-seconds", type=float, default=SOAK_SECONDS,
                        help=f"length of the mixed load in the soak section (default {SOAK_SECONDS:.0f})")
    args = parser.parse_args(argv)
    if args.rule_customers is None:
        args.rule_customers = max(1000, round(RULE_CUSTOMERS * args.scale))
    if args.report_orders is None:
        args.report_orders = max(1000, round(REPORT_ORDERS * args.scale))
    args.sections = args.section or [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.expr_records is None:
        args.expr_records = max(1, round(EXPR_BASE_RECORDS * args.scale))
    if args.expr_rows is None:
        args.expr_rows = max(1, round(EXPR_BASE_ROWS * args.scale))
    return args


async def expressions(args: argparse.Namespace, notes: list[str]) -> tuple[ExprReport, str | None]:
    """The expression section: Python evaluation, then the SQL filter on each database asked for."""
    def log(message: str) -> None:
        print(message, flush=True)

    print(f"expressions: {args.expr_records:,} records in Python, {args.expr_rows:,} rows in SQL", flush=True)
    work = Path(tempfile.mkdtemp(prefix="nocode_bench_expr_"))
    databases, pg_version, pg_name, admin = [], None, None, None
    try:
        if args.expr_rows and args.db in ("sqlite", "both"):
            databases.append(("sqlite", f"sqlite+aiosqlite:///{work / 'expr.db'}", None))
        if args.expr_rows and args.db in ("postgresql", "both"):
            pg_name = f"nocode_bench_{uuid.uuid4().hex[:10]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            try:
                pg_version = await pg_create(admin, pg_name)
            except Exception as e:  # unreachable server, refused login…
                note = f"PostgreSQL expression run skipped: not reachable at {PG_URL} ({type(e).__name__}: {e})"
                print(note, flush=True)
                notes.append(note)
                pg_name = None
            else:
                print(f"postgresql {pg_version}: database {pg_name}", flush=True)
                databases.append(("postgresql", f"{PG_URL}/{pg_name}", admin.rsplit("/", 1)[0] + "/" + pg_name))
        report = await run_expressions(records=args.expr_records, rows=args.expr_rows, databases=databases,
                                       repeat=args.repeat, seed=SEED, work=work, log=log)
    finally:
        if pg_name:
            await pg_drop(admin, pg_name)
        shutil.rmtree(work, ignore_errors=True)
    notes.extend(report.notes)
    return report, pg_version


async def main(args: argparse.Namespace) -> int:
    runs: list[Run] = []
    notes: list[str] = []
    pg_version = None
    if "inserts" in args.sections:
        pg_version = await inserts(args, runs, notes)
    expr = None
    if "expressions" in args.sections:
        expr, expr_pg = await expressions(args, notes)
        pg_version = pg_version or expr_pg
    import_runs, import_notes = [], []
    if "imports" in args.sections:
        import_pg = await imports(args, import_runs, import_notes)
        pg_version = pg_version or import_pg
    validation = None
    if "validation" in args.sections:
        count = max(1, round(VALIDATION_RECORDS * args.scale))
        print(f"validation: {count:,} records of a 20-field form, ours vs pydantic and jsonschema-rs", flush=True)
        validation = run_validation(count, args.repeat, SEED, log=lambda m: print(m, flush=True))
    jobs_report = None
    if "jobs" in args.sections:
        jobs_report, jobs_pg = await jobs(args)
        pg_version = pg_version or jobs_pg
    flows_report = None
    if "flows" in args.sections:
        flows_report, flows_pg = await run_flows(
            databases=["sqlite", "postgresql"] if args.db == "both" else [args.db], instances=args.flow_instances,
            engine_instances=10 * args.flow_instances, timers=args.flow_timers, log=lambda m: print(m, flush=True))
        pg_version = pg_version or flows_pg
    reports_found = None
    if "reports" in args.sections:
        reports_found = await run_reports(["sqlite", "postgresql"] if args.db == "both" else [args.db],
                                          args.report_orders, args.repeat, log=lambda m: print(m, flush=True))
    rules_found = None
    if "rules" in args.sections:
        rules_found = {}
        for database in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
            print(f"rules on {database}: {args.rule_customers:,} customers", flush=True)
            rules_found[database] = await run_rules(database, args.rule_customers, args.repeat, 300,
                                                    log=lambda m: print(m, flush=True))
    http = await http_sections(args, notes)
    pg_version = pg_version or next((r.pg_version for r in http.values() if r is not None), None)
    print()
    if runs:
        print(text_table(runs))
    if expr is not None:
        print(expr_text(expr))
    if import_runs:
        print(imports_text(import_runs))
    if validation is not None:
        print(validation_text(validation))
    if jobs_report is not None:
        print(jobs_text(jobs_report))
    if flows_report is not None:
        print(flows_text(flows_report))
    if reports_found is not None:
        print(reports_text(reports_found))
    if rules_found is not None:
        print(rules_text(rules_found))
    if http.get("load") is not None:
        print(load_text(http["load"]))
    if http.get("soak") is not None:
        print(soak_text(http["soak"]))
    if str(args.out) != "-":
        command = "python -m bench " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        kept = previous_sections(args.out, [s for s in SECTIONS if s not in args.sections])
        if kept:
            notes.append(f"Sections kept from the previous report (not run by this command): "
                         f"{', '.join(HEADINGS[s][3:] for s in kept)}; the machine table describes this run.")
        blocks = {"imports": imports_markdown(import_runs, args.repeat, import_notes) if import_runs else None,
                  "validation": validation_markdown(validation, args.repeat) if validation else None,
                  "jobs": jobs_markdown(jobs_report) if jobs_report else None,
                  "flows": flows_markdown(flows_report) if flows_report else None,
                  "reports": reports_markdown(reports_found, args.report_orders, args.repeat)
                  if reports_found else None,
                  "rules": rules_markdown(rules_found, args.rule_customers, args.repeat) if rules_found else None}
        page = markdown(runs, machine(pg_version), command.strip(), args.repeat, notes, expr=expr, blocks=blocks,
                        kept={k: v for k, v in kept.items() if k not in HTTP_SECTIONS})
        http_blocks = {"load": load_markdown(http["load"]) if http.get("load") else None,
                       "soak": soak_markdown(http["soak"]) if http.get("soak") else None}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(with_http_sections(page, [http_blocks[s] or kept.get(s, []) for s in HTTP_SECTIONS]))
        print(f"\nwritten to {args.out}")
    return 0


async def http_sections(args: argparse.Namespace, notes: list[str]) -> dict:
    """The HTTP load test and the soak: real `nocode serve` / `nocode worker` processes on PostgreSQL only."""
    found: dict = {}
    log = lambda m: print(m, flush=True)  # noqa: E731
    for name in (s for s in HTTP_SECTIONS if s in args.sections):
        if args.db == "sqlite":
            notes.append(f"{HEADINGS[name][3:]} skipped: it runs on PostgreSQL only (--db sqlite given).")
            continue
        try:
            found[name] = (await run_load(PG_URL, args.scale, log=log) if name == "load"
                           else await run_soak(PG_URL, args.soak_seconds, log=log))
        except OSError as e:  # unreachable server, refused login…
            notes.append(f"{HEADINGS[name][3:]} skipped: PostgreSQL not reachable at {PG_URL} ({type(e).__name__}: {e})")
            print(notes[-1], flush=True)
    return found


def with_http_sections(page: str, blocks: list[list[str]]) -> str:
    """The page with the HTTP sections after the others, before the closing "Run it with" paragraph."""
    lines = page.splitlines()
    at = next((i for i, line in enumerate(lines) if line.startswith("Run it with")), len(lines))
    return "\n".join(lines[:at] + [line for block in blocks for line in block] + lines[at:]) + "\n"


def previous_sections(path: Path, names: list[str]) -> dict[str, list[str]]:
    """The Markdown of sections not run this time, as the last report has them, so one section can be
    re-measured without losing the others' figures."""
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    kept = {}
    for name in names:
        heading = HEADINGS[name]
        if heading not in lines:
            continue
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines))
                    if (lines[i].startswith("## ") or lines[i].startswith("Run it with")) and lines[i] != heading),
                   len(lines))
        kept[name] = lines[start:end]
    return kept


async def imports(args: argparse.Namespace, runs: list, notes: list[str]) -> str | None:
    """The spreadsheet-import section; returns the PostgreSQL version when it ran there."""
    sizes = sorted({max(1, args.rows // 10), args.rows})
    work = Path(tempfile.mkdtemp(prefix="nocode_bench_imports_"))
    pg_version = None
    log = lambda m: print(m, flush=True)  # noqa: E731
    try:
        print(f"imports: generating {', '.join(f'{n:,}' for n in sizes)}-row .xlsx and .csv files (seed {SEED})",
              flush=True)
        files = generate_files(sizes, work, SEED, log=log)
        if args.db in ("sqlite", "both"):
            runs += await run_imports("sqlite", f"sqlite+aiosqlite:///{work / 'imports.db'}", work, files,
                                      args.repeat, SEED, log=log)
        if args.db in ("postgresql", "both"):
            name = f"nocode_bench_imports_{uuid.uuid4().hex[:6]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            try:
                pg_version = await pg_create(admin, name)
            except Exception as e:  # unreachable server, refused login…
                note = f"PostgreSQL import run skipped: not reachable at {PG_URL} ({type(e).__name__}: {e})"
                print(note, flush=True)
                notes.append(note)
            else:
                print(f"postgresql {pg_version}: database {name}", flush=True)
                try:
                    runs += await run_imports("postgresql", f"{PG_URL}/{name}", work, files, args.repeat, SEED,
                                              pg_dsn=admin.rsplit("/", 1)[0] + "/" + name, log=log)
                finally:
                    await pg_drop(admin, name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return pg_version


async def jobs(args: argparse.Namespace):
    """The background-jobs section: 1 and 2 worker processes on PostgreSQL, the in-process runner on SQLite."""
    work = Path(tempfile.mkdtemp(prefix="nocode_bench_jobs_"))
    pg_version, name, admin, notes = None, None, None, []
    try:
        if args.db in ("postgresql", "both"):
            name = f"nocode_bench_jobs_{uuid.uuid4().hex[:6]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            try:
                pg_version = await pg_create(admin, name)
            except Exception as e:  # unreachable server, refused login…
                notes.append(f"PostgreSQL job run skipped: not reachable at {PG_URL} ({type(e).__name__}: {e})")
                print(notes[-1], flush=True)
                name = None
        sqlite_url = f"sqlite+aiosqlite:///{work / 'jobs.db'}" if args.db in ("sqlite", "both") else None
        report = await run_jobs(pg_url=f"{PG_URL}/{name}" if name else None,
                                pg_dsn=admin.rsplit("/", 1)[0] + "/" + name if name else None,
                                sqlite_url=sqlite_url, work=work, timers=args.timers, spread=max(100, args.timers // 4),
                                log=lambda m: print(m, flush=True))
        report.notes += notes
    finally:
        if name:
            await pg_drop(admin, name)
        shutil.rmtree(work, ignore_errors=True)
    return report, pg_version


async def inserts(args: argparse.Namespace, runs: list[Run], notes: list[str]) -> str | None:
    """The bulk-insert section; returns the PostgreSQL version when it ran there."""
    count = max(1, round(BASE_ROWS * args.scale))
    print(f"generating {count:,} member records (seed {SEED})", flush=True)
    items = members(count, SEED)
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
    return pg_version


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(None))))

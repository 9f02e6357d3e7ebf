"""The `nocode` command: serve, worker, migrate, create-admin, reset-password, import-template, export-app,
bootstrap."""
from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from pathlib import Path

from sqlalchemy import func, select

from engines.problems import ProblemsError
from runtime.errors import ApiError
from runtime.settings import Settings

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "scrm_app.json"


def _settings(args) -> Settings:
    return Settings.from_env(database_url=getattr(args, "database_url", None))


async def _with_engine(settings: Settings, work):
    from runtime.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


def cmd_migrate(args) -> None:
    from runtime.migrate import upgrade

    settings = _settings(args)
    asyncio.run(_with_engine(settings, upgrade))
    print(f"database is at the newest migration: {settings.database_url}")


async def _create_admin(engine, username: str, password: str) -> int:
    from runtime.auth import create_user
    from runtime.models import users

    async with engine.begin() as conn:
        if (await conn.execute(select(users.c.id).where(users.c.username == username))).first():
            raise SystemExit(f"user {username!r} already exists")
        return await create_user(conn, username, password, name=username, is_admin=True)


def _check_password(password: str, username: str) -> None:
    """The same policy as the admin API, explained in English on the terminal."""
    from runtime.auth import password_problems

    problems = password_problems(password, username, "--password")
    if problems:
        raise SystemExit("\n".join(f"{p.path}: {p.message('en')}" for p in problems))


def cmd_create_admin(args) -> None:
    _check_password(args.password, args.username)
    user_id = asyncio.run(_with_engine(_settings(args), lambda e: _create_admin(e, args.username, args.password)))
    print(f"admin {args.username!r} created (id {user_id})")


async def _reset_password(engine, username: str, password: str) -> None:
    from runtime.models import users
    from runtime.sessions import set_password

    async with engine.begin() as conn:
        row = (await conn.execute(select(users.c.id).where(users.c.username == username))).first()
        if row is None:
            raise SystemExit(f"there is no user {username!r}")
        await set_password(conn, row.id, username, password, "--password")


def cmd_reset_password(args) -> None:
    """For a locked-out admin: a new password, the sign-in lock lifted, every session ended."""
    _check_password(args.password, args.username)
    asyncio.run(_with_engine(_settings(args), lambda e: _reset_password(e, args.username, args.password)))
    print(f"password of {args.username!r} changed; their sessions have ended")


async def _import(engine, settings: Settings, doc, demo_data: bool):
    from builder import lifecycle
    from engines.form.fields.base import Context
    from runtime.seed import load_seed_data
    from runtime.tables import SchemaCache
    from runtime.write import RecordWriter

    ctx = Context(tz=settings.tz)
    async with engine.begin() as conn:
        app, _, version = await lifecycle.import_app(conn, doc, ctx, None)
        count = 0
        if demo_data and app.data:
            schema = await SchemaCache().get(conn, app.key)
            count = await load_seed_data(RecordWriter(conn, schema, ctx, None), app.data)
    return app.key, version, count


def _report_problems(e: ProblemsError | ApiError) -> None:
    lang = "en"
    if isinstance(e, ApiError):
        print(e.body(lang)["error"]["message"], file=sys.stderr)
        problems = e.details
    else:
        problems = e.problems
    for p in problems:
        print(f"  {p.path or '/'}: {p.message(lang)}", file=sys.stderr)
    raise SystemExit(2)


def cmd_import_template(args) -> None:
    settings = _settings(args)
    try:
        doc = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"cannot read {args.file}: {e}")
    try:
        key, version, count = asyncio.run(_with_engine(settings, lambda e: _import(e, settings, doc, args.demo_data)))
    except (ProblemsError, ApiError) as e:
        _report_problems(e)
    print(f"imported app {key!r} as version {version}" + (f" with {count} demo records" if count else ""))


async def _export(engine, key: str) -> dict:
    from builder import lifecycle

    async with engine.connect() as conn:
        row = await lifecycle.app_row(conn, key)
        return await lifecycle.version_definition(conn, row.id, row.current_version)


def cmd_export_app(args) -> None:
    try:
        definition = asyncio.run(_with_engine(_settings(args), lambda e: _export(e, args.key)))
    except ApiError as e:
        _report_problems(e)
    text = json.dumps(definition, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)


def _initial_password() -> str:
    """Random, and within the password policy (a random string may happen to be all letters)."""
    from runtime.auth import password_problems

    while True:
        password = secrets.token_urlsafe(12)
        if not password_problems(password, "admin"):
            return password


async def _bootstrap(engine, settings: Settings, template: Path) -> None:
    """First run: migrate, install the SCRM app with demo data, create an admin and print its login."""
    from runtime.auth import create_user
    from runtime.migrate import upgrade
    from runtime.models import apps, users

    await upgrade(engine)
    async with engine.connect() as conn:
        has_apps = (await conn.execute(select(func.count()).select_from(apps))).scalar_one() > 0
        has_users = (await conn.execute(select(func.count()).select_from(users))).scalar_one() > 0
    if not has_apps and template.exists():
        key, version, count = await _import(engine, settings, json.loads(template.read_text(encoding="utf-8")), True)
        print(f"installed app {key!r} (version {version}, {count} demo records)")
    login_file = settings.data_dir / "initial-admin.txt"
    if not has_users:
        password = _initial_password()
        async with engine.begin() as conn:
            await create_user(conn, "admin", password, name="管理员", is_admin=True)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        login_file.write_text(f"username: admin\npassword: {password}\n", encoding="utf-8")
        login_file.chmod(0o600)
    if login_file.exists():
        print("\n  first admin login (also in " + str(login_file) + "):")
        for line in login_file.read_text(encoding="utf-8").splitlines():
            print("    " + line)
        print()


def cmd_bootstrap(args) -> None:
    settings = _settings(args)
    try:
        asyncio.run(_with_engine(settings, lambda e: _bootstrap(e, settings, Path(args.template))))
    except (ProblemsError, ApiError) as e:
        _report_problems(e)


def cmd_serve(args) -> None:
    import os

    import uvicorn

    if args.database_url:
        os.environ["NOCODE_DATABASE_URL"] = args.database_url
    print(f"serving on http://{args.host}:{args.port}")
    uvicorn.run("runtime.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="info", proxy_headers=True)


def cmd_worker(args) -> None:
    """Runs background jobs only (timers, escalations, schedules, webhooks); as many as you like on PostgreSQL."""
    from runtime.jobs import run_worker

    settings = _settings(args)

    def ready(runner) -> None:
        print(f"worker {runner.worker_id} running jobs ({runner.concurrency} at once) from {settings.database_url}",
              flush=True)

    asyncio.run(run_worker(settings, concurrency=args.concurrency, ready=ready))
    print("worker stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nocode", description="Self-hosted no-code platform")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help: str):
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--database-url", help="overrides NOCODE_DATABASE_URL")
        sub.set_defaults(handler=handler)
        return sub

    serve = command("serve", cmd_serve, "serve the UI and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = command("worker", cmd_worker, "run background jobs and timers (no web server)")
    worker.add_argument("--concurrency", type=int, default=None, help="jobs at once (NOCODE_JOBS_CONCURRENCY, 4)")
    command("migrate", cmd_migrate, "bring the platform tables to the newest version")
    admin = command("create-admin", cmd_create_admin, "create a platform administrator")
    admin.add_argument("--username", required=True)
    admin.add_argument("--password", required=True)
    reset = command("reset-password", cmd_reset_password, "set a user's password, lift a sign-in lock, end sessions")
    reset.add_argument("--username", required=True)
    reset.add_argument("--password", required=True)
    imp = command("import-template", cmd_import_template, "install an app from a JSON file")
    imp.add_argument("file")
    imp.add_argument("--demo-data", action="store_true", help="also load the app's seed records")
    exp = command("export-app", cmd_export_app, "write an app's published definition as JSON")
    exp.add_argument("key")
    exp.add_argument("-o", "--output")
    boot = command("bootstrap", cmd_bootstrap, "first-run set-up: migrate, install the SCRM app, create an admin")
    boot.add_argument("--template", default=str(TEMPLATE))
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()

"""The `nocode` command: serve, worker, migrate, create-admin, reset-password, import-template, export-app,
bootstrap, and the operations commands install, upgrade, backup, restore, doctor."""
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
from runtime.settings import ConfigError, Settings

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "scrm_app.json"


def _settings(args) -> Settings:
    try:
        return Settings.from_env(getattr(args, "config", None), database_url=getattr(args, "database_url", None))
    except ConfigError as e:
        raise SystemExit(f"config: {e}")


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
    from runtime.observability import safe_url

    print(f"database is at the newest migration: {safe_url(settings.database_url)}")


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


async def _import(engine, settings: Settings, doc, demo_data: bool, scale: float = 1, log=None):
    """Install the app (with its seed records and demo recipe when asked) in one transaction."""
    from builder.install import install
    from engines.form.fields.base import Context

    async with engine.begin() as conn:
        return await install(conn, doc, Context(tz=settings.tz), None, demo_data=demo_data, scale=scale, log=log)


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
        key, version, count = asyncio.run(_with_engine(settings, lambda e: _import(
            e, settings, doc, args.demo_data, args.scale, print if args.demo_data else None)))
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


async def _bootstrap(engine, settings: Settings, template: Path, scale: float = 1) -> None:
    """First run: migrate, install the SCRM app with demo data, create an admin and print its login."""
    from runtime.auth import create_user
    from runtime.migrate import upgrade
    from runtime.models import apps, users

    await upgrade(engine)
    async with engine.connect() as conn:
        has_apps = (await conn.execute(select(func.count()).select_from(apps))).scalar_one() > 0
        has_users = (await conn.execute(select(func.count()).select_from(users))).scalar_one() > 0
    if not has_apps and template.exists():
        key, version, count = await _import(engine, settings, json.loads(template.read_text(encoding="utf-8")),
                                            True, scale, print)
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
        asyncio.run(_with_engine(settings, lambda e: _bootstrap(e, settings, Path(args.template), args.scale)))
    except (ProblemsError, ApiError) as e:
        _report_problems(e)


def cmd_serve(args) -> None:
    import os
    import shutil
    import tempfile

    import uvicorn

    from runtime.observability import uvicorn_log_config

    settings = _settings(args)  # a broken config is named here, not in every worker process
    if args.database_url:
        os.environ["NOCODE_DATABASE_URL"] = args.database_url
    if settings.config_file:  # the worker processes read the same file
        os.environ["NOCODE_CONFIG"] = str(settings.config_file)
    shared_metrics = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics sums every process
        shared_metrics = tempfile.mkdtemp(prefix="nocode-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared_metrics
    print(f"serving on http://{args.host}:{args.port}", flush=True)
    try:
        uvicorn.run("runtime.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                    log_config=uvicorn_log_config(settings), access_log=False, proxy_headers=True)
    finally:
        if shared_metrics:
            shutil.rmtree(shared_metrics, ignore_errors=True)


def cmd_worker(args) -> None:
    """Runs background jobs only (timers, escalations, schedules, webhooks); as many as you like on PostgreSQL."""
    from runtime.jobs import run_worker
    from runtime.observability import configure_logging, safe_url

    settings = _settings(args)
    configure_logging(settings)

    def ready(runner) -> None:
        print(f"worker {runner.worker_id} running jobs ({runner.concurrency} at once) from "
              f"{safe_url(settings.database_url)}", flush=True)

    asyncio.run(run_worker(settings, concurrency=args.concurrency, ready=ready))
    print("worker stopped", flush=True)


def cmd_backup(args) -> None:
    """Database and uploads into one archive, while the server keeps running."""
    from runtime.backup import BackupError, make_backup
    from runtime.routes.health import code_version

    settings = _settings(args)
    try:
        manifest, path = asyncio.run(_with_engine(
            settings, lambda e: make_backup(e, settings, Path(args.file), code_version())))
    except BackupError as e:
        raise SystemExit(f"backup failed: {e}")
    rows = sum(manifest.tables.values())
    print(f"wrote {path}: {rows} rows in {len(manifest.tables)} tables, {manifest.files} files "
          f"({manifest.file_bytes} bytes), schema revision {manifest.revision}")
    for missing in manifest.missing_files:
        print(f"  warning: {missing} is in the files table but not on disk", file=sys.stderr)


def cmd_restore(args) -> None:
    from runtime.backup import BackupError, restore_backup

    settings = _settings(args)
    try:
        manifest = asyncio.run(_with_engine(
            settings, lambda e: restore_backup(e, settings, Path(args.file), force=args.force)))
    except BackupError as e:
        raise SystemExit(f"restore refused: {e}")
    print(f"restored {sum(manifest.tables.values())} rows and {manifest.files} files from {args.file} "
          f"(made {manifest.created_at} by nocode {manifest.nocode_version} on {manifest.database})")


def cmd_upgrade(args) -> None:
    from runtime.install import upgrade_with_backup

    settings = _settings(args)
    backup_dir = Path(args.backup_dir) if args.backup_dir else None
    asyncio.run(_with_engine(settings, lambda e: upgrade_with_backup(e, settings, backup=not args.no_backup,
                                                                      backup_dir=backup_dir)))


def cmd_doctor(args) -> None:
    from runtime.doctor import FAIL, diagnose, render

    settings = _settings(args)
    checks = asyncio.run(diagnose(settings))
    print(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=1) if args.json else render(checks))
    if any(c.status == FAIL for c in checks):
        raise SystemExit(1)


def cmd_install(args) -> None:
    from runtime.install import run_installer

    raise SystemExit(run_installer(args))


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    if not 0 <= value <= 10_000:
        raise argparse.ArgumentTypeError("the scale is between 0 and 10000")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nocode", description="Self-hosted no-code platform")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler, help: str):
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--database-url", help="overrides NOCODE_DATABASE_URL")
        sub.add_argument("--config", help="TOML config file (NOCODE_CONFIG; /etc/nocode/nocode.toml when it exists)")
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
    imp.add_argument("--demo-data", action="store_true",
                     help="also load the app's seed records (`data`) and generate its demo recipe (`demo`)")
    imp.add_argument("--scale", type=_scale, default=1.0,
                     help="multiply the demo recipe's counts (0.1 for a glimpse, 500 for a million customers)")
    exp = command("export-app", cmd_export_app, "write an app's published definition as JSON")
    exp.add_argument("key")
    exp.add_argument("-o", "--output")
    boot = command("bootstrap", cmd_bootstrap, "first-run set-up: migrate, install the SCRM app, create an admin")
    boot.add_argument("--template", default=str(TEMPLATE))
    boot.add_argument("--scale", type=_scale, default=1.0,
                      help="size of the demo business (1: 2,000 customers and 20,000 orders; 0: seed records only)")
    backup = command("backup", cmd_backup, "write database and uploaded files to one archive (safe while running)")
    backup.add_argument("file", help="the archive to write (.tar.gz); a directory gets a dated name")
    restore = command("restore", cmd_restore, "load a backup into an empty database and put its files back")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace everything in a database that holds data")
    upgrade = command("upgrade", cmd_upgrade, "back up, then bring the database to this version's migrations")
    upgrade.add_argument("--no-backup", action="store_true", help="skip the backup taken before migrating")
    upgrade.add_argument("--backup-dir", help="where the pre-upgrade backup goes (default DATA_DIR/backups)")
    doctor = command("doctor", cmd_doctor, "check config, database, migrations, disk and workers")
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    from runtime.install import add_arguments as add_install_arguments

    add_install_arguments(command("install", cmd_install, "install on this server: database, config, admin, "
                                                          "systemd units, nginx site, compose file"))
    args = parser.parse_args(argv)
    args.handler(args)


if __name__ == "__main__":
    main()

"""`nocode install`: puts the platform on a Linux server — checks, database, config file, migrations, the first
admin, the SCRM app if wanted, and the systemd units, nginx site and compose file rendered from deploy/ — and
`nocode upgrade`. Every step first looks at what is there, so running the installer again changes only what
differs, and `--dry-run` runs the same decisions without acting on them."""
from __future__ import annotations

import argparse
import asyncio
import grp
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.engine import make_url

from runtime.settings import Settings

SOURCE = Path(__file__).resolve().parent.parent
DEPLOY = SOURCE / "deploy"
TEMPLATE = SOURCE / "templates" / "scrm_app.json"
OK, DONE, UNCHANGED, PLANNED, SKIPPED, WARNED, FAILED = ("ok", "done", "unchanged", "would do", "skipped", "warning",
                                                        "FAILED")
MIN_PYTHON = (3, 11)


def add_arguments(sub: argparse.ArgumentParser) -> None:
    """`--database-url` and `--config` come with every command; `--config` here names the file to write."""
    sub.add_argument("-y", "--yes", action="store_true", help="ask nothing: flags, the existing config, defaults")
    sub.add_argument("--dry-run", action="store_true", help="show what would be done and change nothing")
    sub.add_argument("--config-dir", help="where nocode.toml goes (default /etc/nocode)")
    sub.add_argument("--data-dir", help="uploads and backups (default /var/lib/nocode)")
    db = sub.add_argument_group("database (one of)")
    db.add_argument("--pg-superuser-url", help="create the role and database with this PostgreSQL superuser login")
    db.add_argument("--sqlite", action="store_true", help="the embedded database in the data dir (one server only)")
    sub.add_argument("--db-name", default="nocode", help="database to create (with --pg-superuser-url)")
    sub.add_argument("--db-user", default="nocode", help="role to create (with --pg-superuser-url)")
    sub.add_argument("--db-password", help="the role's password (generated when not given)")
    sub.add_argument("--admin-username", default="admin")
    sub.add_argument("--admin-password", help="generated when not given, then printed once")
    sub.add_argument("--scrm", action=argparse.BooleanOptionalAction, default=None,
                     help="install the SCRM / 社群团购 app")
    sub.add_argument("--demo-data", action="store_true", help="with --scrm: also its demo records")
    sub.add_argument("--demo-scale", type=float, default=1.0,
                     help="with --demo-data: size of the demo business (1: 2,000 customers, 20,000 orders)")
    sub.add_argument("--api-workers", type=int, help="API processes (default: CPU cores, at most 8)")
    sub.add_argument("--worker-processes", type=int, default=1, help="`nocode worker` services to enable")
    sub.add_argument("--worker-concurrency", type=int, default=4, help="jobs each worker runs at once")
    sub.add_argument("--host", default="127.0.0.1", help="address the API listens on (nginx in front)")
    sub.add_argument("--port", type=int, default=8000)
    sub.add_argument("--server-name", help="the site's DNS name for nginx (default: this host's name)")
    sub.add_argument("--tls-cert", help="certificate (full chain) for nginx; with --tls-key")
    sub.add_argument("--tls-key", help="private key for nginx")
    sub.add_argument("--max-upload-mb", type=int, default=20, help="the largest uploaded file")
    sub.add_argument("--system-user", default="nocode", help="the account the services run as (created)")
    sub.add_argument("--systemd-dir", default="/etc/systemd/system")
    sub.add_argument("--nginx-dir", default="/etc/nginx/conf.d")
    sub.add_argument("--start", action="store_true", help="then enable and start the services, reload nginx")


@dataclass
class Outcome:
    step: str
    status: str
    detail: str = ""


@dataclass
class Plan:
    """Everything the steps need, resolved from flags, the existing config file, questions and defaults."""
    config_file: Path
    data_dir: Path
    database_url: str = ""
    superuser_url: str = ""
    db_name: str = "nocode"
    db_user: str = "nocode"
    db_password: str = ""
    secret_key: str = ""
    metrics_token: str = ""
    admin_username: str = "admin"
    admin_password: str = ""
    scrm: bool = False
    demo_data: bool = False
    demo_scale: float = 1.0
    api_workers: int = 2
    worker_processes: int = 1
    worker_concurrency: int = 4
    host: str = "127.0.0.1"
    port: int = 8000
    server_name: str = "_"
    tls_cert: str = ""
    tls_key: str = ""
    max_upload_mb: int = 20
    system_user: str = "nocode"
    systemd_dir: Path = Path("/etc/systemd/system")
    nginx_dir: Path = Path("/etc/nginx/conf.d")
    start: bool = False
    existing: dict = field(default_factory=dict)  # the config file as it was

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, data_dir=self.data_dir, secret_key=self.secret_key)


class InstallError(Exception):
    pass


# --- resolving the plan ----------------------------------------------------------------------------------------

def _asyncpg_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise InstallError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _ask(question: str, default: str, interactive: bool) -> str:
    if not interactive:
        return default
    answer = input(f"{question} [{default}]: ").strip()
    return answer or default


def resolve(args, interactive: bool) -> Plan:
    if args.config and args.config_dir:
        raise InstallError("give --config (the file) or --config-dir, not both")
    config_file = Path(args.config) if args.config else Path(args.config_dir or "/etc/nocode") / "nocode.toml"
    existing: dict = {}
    if config_file.exists():
        try:
            existing = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise InstallError(f"cannot read the existing {config_file}: {e}")
    data_dir = Path(args.data_dir or existing.get("data_dir") or "/var/lib/nocode")
    plan = Plan(config_file=config_file.absolute(), data_dir=data_dir.absolute(), existing=existing,
                secret_key=existing.get("secret_key") or secrets.token_urlsafe(48),
                metrics_token=existing.get("metrics_token") or "",
                db_name=args.db_name, db_user=args.db_user, db_password=args.db_password or "",
                admin_username=args.admin_username, admin_password=args.admin_password or "",
                demo_data=args.demo_data, demo_scale=args.demo_scale, worker_processes=args.worker_processes,
                worker_concurrency=args.worker_concurrency, host=args.host, port=args.port,
                tls_cert=args.tls_cert or "", tls_key=args.tls_key or "", max_upload_mb=args.max_upload_mb,
                system_user=args.system_user, systemd_dir=Path(args.systemd_dir), nginx_dir=Path(args.nginx_dir),
                start=args.start)
    given = [name for name, value in (("--database-url", args.database_url), ("--pg-superuser-url",
             args.pg_superuser_url), ("--sqlite", args.sqlite)) if value]
    if len(given) > 1:
        raise InstallError(f"give one database: {' or '.join(given)}")
    if args.sqlite:
        plan.database_url = f"sqlite+aiosqlite:///{plan.data_dir / 'nocode.db'}"
    elif args.database_url:
        plan.database_url = _asyncpg_url(args.database_url)
    elif args.pg_superuser_url:
        plan.superuser_url = _asyncpg_url(args.pg_superuser_url)
    elif existing.get("database_url"):
        plan.database_url = existing["database_url"]
    elif interactive:
        answer = _ask("PostgreSQL URL of the nocode database (postgresql://user:password@host/db), or a superuser "
                      "URL prefixed with 'create:', or 'sqlite'", "create:postgresql://postgres@127.0.0.1/postgres",
                      True)
        if answer == "sqlite":
            plan.database_url = f"sqlite+aiosqlite:///{plan.data_dir / 'nocode.db'}"
        elif answer.startswith("create:"):
            plan.superuser_url = _asyncpg_url(answer.removeprefix("create:"))
        else:
            plan.database_url = _asyncpg_url(answer)
    else:
        raise InstallError("which database? give --database-url, --pg-superuser-url or --sqlite")
    if plan.superuser_url:
        plan.database_url = _app_url(plan)
    if bool(plan.tls_cert) != bool(plan.tls_key):
        raise InstallError("give both --tls-cert and --tls-key, or neither")
    if plan.sqlite:  # one writer process: the API runs the jobs itself
        plan.api_workers, plan.worker_processes = 1, 0
    else:
        plan.api_workers = args.api_workers or min(8, os.cpu_count() or 2)
    plan.server_name = args.server_name or _ask("DNS name of the site", socket.getfqdn() or "_", interactive)
    plan.admin_username = _ask("admin username", plan.admin_username, interactive)
    plan.scrm = args.scrm if args.scrm is not None else _ask(
        "install the SCRM / 社群团购 app? (y/n)", "n", interactive).lower().startswith("y")
    return plan


def _app_url(plan: Plan) -> str:
    """The app's own login on the superuser's server: the password from --db-password, the existing config, or new."""
    known = make_url(plan.existing["database_url"]) if plan.existing.get("database_url") else None
    if not plan.db_password and known is not None and known.username == plan.db_user and known.password:
        plan.db_password = known.password
    plan.db_password = plan.db_password or secrets.token_hex(16)
    server = make_url(plan.superuser_url)
    return server.set(username=plan.db_user, password=plan.db_password, database=plan.db_name).render_as_string(
        hide_password=False)


# --- the steps -------------------------------------------------------------------------------------------------

class Installer:
    def __init__(self, plan: Plan, dry_run: bool):
        self.plan, self.dry = plan, dry_run
        self.outcomes: list[Outcome] = []
        self.database_exists = True  # False in a dry run that would create it: nothing to look into yet
        self.login: str | None = None  # a generated admin password, shown once at the end

    def record(self, step: str, status: str, detail: str = "") -> None:
        outcome = Outcome(step, PLANNED if self.dry and status == DONE else status, detail)
        self.outcomes.append(outcome)
        print(f"  {outcome.status:>9}  {step}" + (f": {detail}" if detail else ""), flush=True)

    async def run(self) -> bool:
        checks = [self.check_python, self.check_disk, self.check_port, self.check_tools]
        actions = [self.database, self.system_user, self.data_dir, self.config, self.migrate, self.admin,
                   self.scrm, self.render_files, self.start]
        for step in checks:
            await step()
        if any(o.status == FAILED for o in self.outcomes) and not self.dry:
            return False
        for step in actions:
            try:
                await step()
            except InstallError as e:
                self.record(step.__name__.replace("_", " "), FAILED, str(e))
                if not self.dry:
                    return False
        return not any(o.status == FAILED for o in self.outcomes)

    # checks: look, never change
    async def check_python(self) -> None:
        version = ".".join(map(str, sys.version_info[:3]))
        if sys.version_info >= MIN_PYTHON:
            self.record("Python", OK, f"{version} at {sys.executable}")
        else:
            self.record("Python", FAILED, f"{version}: nocode needs {'.'.join(map(str, MIN_PYTHON))} or newer")

    async def check_disk(self) -> None:
        from runtime.doctor import FAIL, WARN, check_disk

        check = check_disk(self.plan.data_dir, "data")
        self.record(check.name, {FAIL: FAILED, WARN: WARNED}.get(check.status, OK), check.detail)

    async def check_port(self) -> None:
        plan = self.plan
        with socket.socket(socket.AF_INET6 if ":" in plan.host else socket.AF_INET) as probe:
            try:
                probe.bind((plan.host, plan.port))
                self.record("API port", OK, f"{plan.host}:{plan.port} is free")
            except OSError:
                self.record("API port", WARNED, f"{plan.host}:{plan.port} is in use (fine if it is nocode, installed "
                                                "before)")

    async def check_tools(self) -> None:
        for tool, why in (("nginx", "the site in front of the API (apt-get install nginx)"),
                          ("systemctl", "the services (or use the compose file)")):
            found = shutil.which(tool)
            self.record(tool, OK if found else WARNED, found or f"not found: {why}")

    # actions: each decides from what is there; in a dry run it says what it would do
    async def database(self) -> None:
        import asyncpg

        plan = self.plan
        if plan.superuser_url:
            dsn = make_url(plan.superuser_url).set(drivername="postgresql").render_as_string(hide_password=False)
            try:
                conn = await asyncpg.connect(dsn, timeout=10)
            except Exception as e:
                raise InstallError(f"cannot sign in as the superuser: {e}")
            try:
                await self._create_role_and_database(conn)
            finally:
                await conn.close()
        await self._reach_database()

    async def _create_role_and_database(self, conn) -> None:
        plan = self.plan
        if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", plan.db_user):
            status, detail = UNCHANGED, f"role {plan.db_user} exists"
            if not self.dry:  # the password in the config must be the one that works
                await conn.execute(await conn.fetchval("SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, "
                                                       "$2::text)", plan.db_user, plan.db_password))
        else:
            status, detail = DONE, f"role {plan.db_user} created"
            if not self.dry:
                await conn.execute(await conn.fetchval("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, "
                                                       "$2::text)", plan.db_user, plan.db_password))
        self.record("PostgreSQL role", status, detail)
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", plan.db_name):
            self.record("PostgreSQL database", UNCHANGED, f"{plan.db_name} exists")
            return
        self.database_exists = not self.dry
        if not self.dry:
            await conn.execute(await conn.fetchval(
                "SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', $1::text, $2::text)",
                plan.db_name, plan.db_user))
        self.record("PostgreSQL database", DONE, f"{plan.db_name} created, owned by {plan.db_user}")

    async def _reach_database(self) -> None:
        from sqlalchemy import text

        from runtime.db import create_engine
        from runtime.observability import safe_url

        plan = self.plan
        where = safe_url(plan.database_url)
        if plan.sqlite:
            there = Path(make_url(plan.database_url).database).exists()
            self.database_exists = there or not self.dry  # a real run makes it when it migrates
            self.record("database", UNCHANGED if there else DONE,
                        f"SQLite {where} (one server; PostgreSQL for more)")
            return
        if not self.database_exists:
            self.record("database", PLANNED, f"connect to {where} once created")
            return
        engine = create_engine(plan.database_url)
        try:
            async with engine.connect() as conn:
                version = (await conn.execute(text("SHOW server_version"))).scalar()
        except Exception as e:
            raise InstallError(f"cannot reach {where}: {e}")
        finally:
            await engine.dispose()
        major = int(version.split(".")[0])
        self.record("database", UNCHANGED if major >= 13 else WARNED,
                    f"PostgreSQL {version} at {where}" + ("" if major >= 13 else " (13 or newer is recommended)"))

    async def system_user(self) -> None:
        plan = self.plan
        try:
            pwd.getpwnam(plan.system_user)
            self.record("system user", UNCHANGED, f"{plan.system_user} exists")
            return
        except KeyError:
            pass
        if os.geteuid() != 0:
            raise InstallError(f"user {plan.system_user} does not exist and only root can create it")
        if not self.dry:
            _run(["useradd", "--system", "--home-dir", str(plan.data_dir), "--no-create-home",
                  "--shell", "/usr/sbin/nologin", plan.system_user])
        self.record("system user", DONE, f"{plan.system_user} created")

    def _owner(self) -> tuple[int, int] | None:
        """(uid, gid) of the service account when we can hand files to it; None when it does not exist yet or we
        are not root."""
        try:
            account = pwd.getpwnam(self.plan.system_user)
        except KeyError:
            return None
        return (account.pw_uid, account.pw_gid) if os.geteuid() == 0 else None

    async def data_dir(self) -> None:
        path = self.plan.data_dir
        existed = path.is_dir()
        if not self.dry:
            path.mkdir(parents=True, exist_ok=True)
            owner = self._owner()
            if owner:
                for item in [path, *path.rglob("*")]:
                    if (item.stat().st_uid, item.stat().st_gid) != owner:
                        os.chown(item, *owner)
        self.record("data dir", UNCHANGED if existed else DONE, str(path))

    async def config(self) -> None:
        plan = self.plan
        text = render("nocode.toml.j2", self.context())
        self._write(plan.config_file, text, "config file", mode=0o640, group_only=True)

    def _write(self, path: Path, text: str, step: str, mode: int = 0o644, group_only: bool = False) -> None:
        """Writes when the content differs; a private file goes to root with the service account's group."""
        existed = path.exists()
        if existed and path.read_text(encoding="utf-8") == text:
            self.record(step, UNCHANGED, str(path))
            return
        if not self.dry:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".new")
            partial.write_text(text, encoding="utf-8")
            partial.chmod(mode)
            owner = self._owner()
            if owner and group_only:
                os.chown(partial, 0, owner[1])
            os.replace(partial, path)
        self.record(step, DONE, f"{path} ({'updated' if existed else 'new'})")

    async def migrate(self) -> None:
        from runtime.migrate import current_revision, upgrade

        if not self.database_exists:
            self.record("migrations", PLANNED, "bring the new database to the newest revision")
            return
        engine = _engine(self.plan)
        try:
            before, head = await current_revision(engine)
            if before != head and not self.dry:
                await upgrade(engine)
        finally:
            await engine.dispose()
        self.record("migrations", UNCHANGED if before == head else DONE,
                    f"at {head}" if before == head else f"{before or 'empty'} → {head}")

    async def _exists(self, query) -> bool:
        """Whether a row the step would create is there already (never, in a database still to be made)."""
        from runtime.migrate import current_revision

        if not self.database_exists:
            return False
        engine = _engine(self.plan)
        try:
            if self.dry and (await current_revision(engine))[0] is None:
                return False  # the tables come with the migrations this dry run only plans
            async with engine.connect() as conn:
                return (await conn.execute(query)).first() is not None
        finally:
            await engine.dispose()

    async def admin(self) -> None:
        from runtime.auth import create_user, password_problems
        from runtime.models import users

        plan = self.plan
        if plan.admin_password:
            problems = password_problems(plan.admin_password, plan.admin_username, "--admin-password")
            if problems:
                raise InstallError("; ".join(p.message("en") for p in problems))
        if await self._exists(select(users.c.id).where(users.c.username == plan.admin_username)):
            self.record("admin", UNCHANGED, f"{plan.admin_username} exists (password unchanged)")
            return
        if not self.dry:
            password = plan.admin_password or _initial_password(plan.admin_username)
            engine = _engine(plan)
            try:
                async with engine.begin() as conn:
                    await create_user(conn, plan.admin_username, password, name="管理员", is_admin=True)
            finally:
                await engine.dispose()
            if not plan.admin_password:
                self.login = password
                login_file = plan.data_dir / "initial-admin.txt"
                login_file.write_text(f"username: {plan.admin_username}\npassword: {password}\n", encoding="utf-8")
                login_file.chmod(0o600)
        self.record("admin", DONE, f"{plan.admin_username} created")

    async def scrm(self) -> None:
        from runtime.cli import _import
        from runtime.models import apps

        plan = self.plan
        if not plan.scrm:
            self.record("SCRM app", SKIPPED, "not asked for (--scrm installs it)")
            return
        if await self._exists(select(apps.c.id).where(apps.c.key == "scrm")):
            self.record("SCRM app", UNCHANGED, "installed before")
            return
        detail = "scrm" + (" with demo data" if plan.demo_data else "")
        if not self.dry:
            doc = json.loads(TEMPLATE.read_text(encoding="utf-8"))
            engine = _engine(plan)
            try:
                key, version, count = await _import(engine, plan.settings, doc, plan.demo_data, plan.demo_scale)
            finally:
                await engine.dispose()
            detail = f"{key} version {version}" + (f", {count} demo records" if count else "")
        self.record("SCRM app", DONE, detail)

    def context(self) -> dict[str, Any]:
        plan = self.plan
        try:
            group = grp.getgrgid(pwd.getpwnam(plan.system_user).pw_gid).gr_name
        except KeyError:
            group = plan.system_user  # useradd --system makes a group of the same name
        executable = Path(sys.executable).parent / "nocode"
        max_request = max(plan.max_upload_mb * 1024**2, Settings().max_import_bytes)
        return dict(
            database_url=plan.database_url, data_dir=str(plan.data_dir), secret_key=plan.secret_key, lang="zh-CN",
            timezone="Asia/Shanghai", max_upload_bytes=plan.max_upload_mb * 1024**2,
            jobs_in_process=plan.sqlite, worker_concurrency=plan.worker_concurrency,
            metrics_allow=["127.0.0.1/32", "::1/128"], metrics_token=plan.metrics_token,
            api_workers=plan.api_workers, worker_processes=max(1, plan.worker_processes), host=plan.host,
            port=plan.port, user=plan.system_user, group=group, config_file=str(plan.config_file),
            source_dir=str(SOURCE),
            nocode=str(executable) if executable.exists() else f"{sys.executable} -m runtime.cli",
            server_name=plan.server_name, tls=bool(plan.tls_cert), tls_cert=plan.tls_cert, tls_key=plan.tls_key,
            max_request_mb=-(-max_request // 1024**2),
            compose_file=str(plan.config_file.parent / "docker-compose.yml"),
            compose_db_password=_compose_password(plan))

    async def render_files(self) -> None:
        plan, context = self.plan, self.context()
        self._write(plan.systemd_dir / "nocode-api.service", render("nocode-api.service.j2", context),
                    "systemd unit (API)")
        self._write(plan.systemd_dir / "nocode-worker@.service", render("nocode-worker@.service.j2", context),
                    "systemd unit (workers)")
        self._write(plan.nginx_dir / "nocode.conf", render("nginx.conf.j2", context), "nginx site")
        self._write(Path(context["compose_file"]), render("docker-compose.yml.j2", context), "compose file",
                    mode=0o600)

    def services(self) -> list[str]:
        return ["nocode-api"] + [f"nocode-worker@{i}" for i in range(1, self.plan.worker_processes + 1)]

    async def start(self) -> None:
        if not self.plan.start:
            return
        if not shutil.which("systemctl") or not Path("/run/systemd/system").exists():
            raise InstallError("systemd is not running here: start the services yourself (see the next steps)")
        if self.dry:
            self.record("services", PLANNED, "enable and start " + ", ".join(self.services()))
            return
        _run(["systemctl", "daemon-reload"])
        _run(["systemctl", "enable", "--now", *self.services()])
        self.record("services", DONE, "started " + ", ".join(self.services()))
        if shutil.which("nginx"):
            _run(["nginx", "-t"])
            _run(["systemctl", "reload", "nginx"])
            self.record("nginx", DONE, "configuration checked and reloaded")

    def next_steps(self) -> list[str]:
        plan = self.plan
        config = f"--config {plan.config_file}" if plan.config_file != Path("/etc/nocode/nocode.toml") else ""
        scheme = "https" if plan.tls_cert else "http"
        steps = []
        if not plan.start:
            steps += ["systemctl daemon-reload", "systemctl enable --now " + " ".join(self.services()),
                      "nginx -t && systemctl reload nginx"]
        steps += [f"open {scheme}://{plan.server_name if plan.server_name != '_' else '<this server>'}/ and sign in as "
                  f"{plan.admin_username}",
                  f"nocode doctor {config}".rstrip(),
                  f"nightly backups, e.g. in root's crontab: 30 2 * * * {self.context()['nocode']} backup "
                  f"/var/backups/nocode/ {config}".rstrip(),
                  f"containers instead of systemd: docker compose -f {plan.config_file.parent / 'docker-compose.yml'} "
                  "up -d --build"]
        return steps


def _compose_password(plan: Plan) -> str:
    """The compose file's own database password, kept across runs so re-rendering changes nothing."""
    compose = plan.config_file.parent / "docker-compose.yml"
    if compose.exists():
        for line in compose.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("POSTGRES_PASSWORD:"):
                return line.split(":", 1)[1].strip()
    return secrets.token_hex(16)


def _engine(plan: Plan):
    from runtime.db import create_engine

    return create_engine(plan.database_url)


def _initial_password(username: str) -> str:
    from runtime.auth import password_problems

    while True:
        password = secrets.token_urlsafe(12)
        if not password_problems(password, username):
            return password


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise InstallError(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")


def _quoted(value: Any) -> str:
    """A TOML (and YAML) literal: JSON's strings, booleans and arrays are both."""
    return json.dumps(value, ensure_ascii=False)


def render(template: str, context: dict) -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(DEPLOY), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    environment.filters["quoted"] = _quoted
    return environment.get_template(template).render(context)


def run_installer(args) -> int:
    interactive = not args.yes and sys.stdin.isatty()
    if not args.yes and not interactive:
        print("no terminal to ask questions on: pass --yes (and the flags you need)", file=sys.stderr)
        return 2
    try:
        plan = resolve(args, interactive)
    except InstallError as e:
        print(f"install: {e}", file=sys.stderr)
        return 2
    installer = Installer(plan, args.dry_run)
    heading = "Plan (dry run: nothing is changed)" if args.dry_run else "Installing nocode"
    print(f"{heading} — config {plan.config_file}")
    if interactive and not args.dry_run and input("go ahead? [Y/n] ").strip().lower().startswith("n"):
        return 1
    ok = asyncio.run(installer.run())
    if not ok:
        print("\nstopped: fix what is marked FAILED and run the installer again (it keeps what is done)",
              file=sys.stderr)
        return 1
    if args.dry_run:
        return 0
    if installer.login:
        print(f"\n  first admin login (also in {plan.data_dir / 'initial-admin.txt'}):\n"
              f"    username: {plan.admin_username}\n    password: {installer.login}")
    print("\nNext steps:")
    for step in installer.next_steps():
        print("  " + step)
    return 0


# --- nocode upgrade --------------------------------------------------------------------------------------------

async def upgrade_with_backup(engine, settings: Settings, backup: bool = True, backup_dir: Path | None = None) -> None:
    """Backs up, then migrates; a database newer than this code is left alone."""
    from runtime.backup import make_backup
    from runtime.migrate import current_revision, known_revisions, upgrade
    from runtime.routes.health import code_version

    current, head = await current_revision(engine)
    if current == head:
        print(f"the database is at the newest revision {head}: nothing to do")
        return
    if current is not None and current not in known_revisions():
        raise SystemExit(f"the database is at revision {current}, newer than this code ({head}): "
                         "install the newer nocode instead")
    if backup and current is not None:
        target = backup_dir or settings.data_dir / "backups"
        target.mkdir(parents=True, exist_ok=True)
        manifest, path = await make_backup(engine, settings, target / f"pre-upgrade-{current}-"
                                           f"{datetime.now():%Y%m%d-%H%M%S}.tar.gz", code_version())
        print(f"backed up to {path} ({sum(manifest.tables.values())} rows, {manifest.files} files)")
    await upgrade(engine)
    print(f"migrated {current or 'an empty database'} → {head}")

"""A real deployment for the HTTP benchmarks (`load`, `soak`): a fresh PostgreSQL database set up with the `nocode`
commands (migrate, create-admin, import-template), then `nocode serve --workers N` and `nocode worker` processes
on a real socket, each in its own process group so that stopping it stops its children too. The database is dropped
afterwards whatever happens."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from bench.inserts import pg_create, pg_drop

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "scrm_app.json"
ADMIN, PASSWORD = "bench", "bench-Passw0rd"
APP = "scrm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Deployment:
    """`async with Deployment(pg_url, prefix, ...) as d:` — d.base_url, d.admin_token, d.database_url, d.dsn."""
    pg_url: str  # postgresql+asyncpg://user@host:port (no database)
    prefix: str  # the database is <prefix>_<random>
    api_workers: int = 4
    job_workers: int = 0  # `nocode worker` processes; with any, the API processes run no jobs
    template: dict | None = None  # the app to import (default: the SCRM template as it is)
    scale: float = 0.1  # of the template's demo data
    log: Callable[[str], None] = print
    name: str = field(init=False, default="")
    processes: dict[str, subprocess.Popen] = field(init=False, default_factory=dict)
    pg_version: str = field(init=False, default="")

    @property
    def admin_dsn(self) -> str:
        return self.pg_url.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"

    @property
    def database_url(self) -> str:
        return f"{self.pg_url}/{self.name}"

    @property
    def dsn(self) -> str:
        return self.admin_dsn.rsplit("/", 1)[0] + "/" + self.name

    async def __aenter__(self) -> "Deployment":
        self.work = Path(tempfile.mkdtemp(prefix=f"{self.prefix}_"))
        self.name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        self.pg_version = await pg_create(self.admin_dsn, self.name)
        self.log(f"postgresql {self.pg_version}: database {self.name}")
        try:
            self._setup()
            self.port = free_port()
            self.base_url = f"http://127.0.0.1:{self.port}"
            self._start("serve", ["serve", "--workers", str(self.api_workers), "--port", str(self.port)])
            for i in range(self.job_workers):
                self._start(f"worker{i + 1}", ["worker"])
            self.admin_token = self.wait_ready()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            await pg_drop(self.admin_dsn, self.name)
            shutil.rmtree(self.work, ignore_errors=True)
            self.log(f"database {self.name} dropped")

    # ---- the nocode commands -----------------------------------------------------------------------------------
    def env(self, jobs_in_process: bool) -> dict:
        return {**os.environ, "NOCODE_DATABASE_URL": self.database_url, "NOCODE_DATA_DIR": str(self.work / "data"),
                "NOCODE_SECRET_KEY": "bench-secret-" + "s" * 40, "NOCODE_LOG_FORMAT": "json",
                "NOCODE_FRONTEND_DIR": str(self.work / "no-frontend"),
                "NOCODE_WORKERS_IN_PROCESS": "1" if jobs_in_process else "0", "PYTHONPATH": str(ROOT)}

    def _run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "runtime.cli", *args], cwd=ROOT, env=self.env(True),
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"nocode {args[0]} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    def _setup(self) -> None:
        started = time.perf_counter()
        self._run("migrate")
        self._run("create-admin", "--username", ADMIN, "--password", PASSWORD)
        path = self.work / "app.json"
        path.write_text(json.dumps(self.template or json.loads(TEMPLATE.read_text(encoding="utf-8")),
                                   ensure_ascii=False), encoding="utf-8")
        out = self._run("import-template", str(path), "--demo-data", "--scale", str(self.scale))
        self.log(f"  {out.strip().splitlines()[-1]} ({time.perf_counter() - started:.0f} s with migrate)")

    # ---- processes ---------------------------------------------------------------------------------------------
    def _start(self, label: str, args: list[str]) -> None:
        with self.log_path(label).open("w") as log:  # the child keeps its own copy of the descriptor
            self.processes[label] = subprocess.Popen(
                [sys.executable, "-m", "runtime.cli", *args], cwd=ROOT, env=self.env(self.job_workers == 0),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def log_path(self, label: str = "serve") -> Path:
        return self.work / f"{label}.log"

    def wait_ready(self, timeout: float = 90) -> str:
        """Until the API answers and every worker process has sent its heartbeat; returns the admin's token."""
        deadline = time.monotonic() + timeout
        while True:
            for label, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{label} exited ({process.returncode}): "
                                       f"{self.log_path(label).read_text()[-3000:]}")
            try:
                health = httpx.get(f"{self.base_url}/api/health", timeout=5).json()
                if health["workers"]["worker"] >= self.job_workers:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server was not ready in {timeout:.0f} s")
            time.sleep(0.3)
        return self.login(ADMIN, PASSWORD)

    def login(self, username: str, password: str) -> str:
        response = httpx.post(f"{self.base_url}/api/auth/login", json={"username": username, "password": password},
                              timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

    def stop(self) -> None:
        """SIGTERM to every process group (uvicorn's workers and all), SIGKILL to a group still there after 30 s."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def server_times(path: Path, method: str, route: str, since: float, until: float) -> list[float]:
    """Durations (ms) the API processes logged for one route, of the requests that reached the application between
    two moments (epoch seconds): from then to the last byte sent, as RequestObserver measures it."""
    from datetime import datetime

    found = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if '"nocode.requests"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("method") != method or entry.get("route") != route:
                continue
            began = datetime.fromisoformat(entry["ts"]).timestamp() - entry["duration_ms"] / 1000
            if since <= began <= until:
                found.append(entry["duration_ms"])
    return found


async def app_schema(database_url: str, key: str = APP):
    """The app's tables and columns (runtime.tables.AppSchema), for SQL on the benchmark's side."""
    from runtime.db import create_engine
    from runtime.tables import SchemaCache

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await SchemaCache().get(conn, key)
    finally:
        await engine.dispose()

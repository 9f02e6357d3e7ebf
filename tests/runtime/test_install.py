"""`nocode install` run for real into a temporary directory, as an operator would on a new server: the database made
with superuser access, the rendered services started and healthy, nginx and systemd satisfied with their files,
a backup taken while running, the database and files wiped, and everything found again after the restore."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import PG_URL, _RUN, _counter, _pg_admin, run

ROOT = Path(__file__).resolve().parents[2]
STEP = re.compile(r"^\s+(ok|done|unchanged|would do|skipped|warning|FAILED)\s+([^:]+):", re.M)


def clean_env() -> dict:
    """The installer's config file alone says where things are: no NOCODE_* from the test run."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NOCODE_")}


def nocode(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True,
                          env=clean_env(), cwd=ROOT, timeout=timeout)


def steps(output: str) -> dict[str, str]:
    return {name.strip(): status for status, name in STEP.findall(output)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """Runs a rendered systemd unit's ExecStart the way systemd would: its Environment= and WorkingDirectory=."""

    def __init__(self, unit: Path, log: Path):
        fields = [line.split("=", 1) for line in unit.read_text().splitlines() if "=" in line and line[0] != "#"]
        env = clean_env()
        env.update(dict(value.split("=", 1) for key, value in fields if key == "Environment"))
        command = next(value for key, value in fields if key == "ExecStart").replace("%i", "1")
        workdir = next(value for key, value in fields if key == "WorkingDirectory")
        self.log = log
        self.process = subprocess.Popen(shlex.split(command), env=env, cwd=workdir, stdout=log.open("ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # what systemctl stop sends
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def wait_healthy(base: str, want_workers: dict, services: list[Service]) -> dict:
    deadline = time.monotonic() + 60
    body: dict = {}
    while time.monotonic() < deadline:
        for service in services:
            assert service.process.poll() is None, service.log.read_text()[-3000:]
        try:
            body = httpx.get(f"{base}/api/health", timeout=5).json()
            if body["status"] == "ok" and all(body["workers"][k] == v for k, v in want_workers.items()):
                return body
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"not healthy in 60 s: {body}")


def check_nginx(site: Path, tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is missing in CI: `make ops-deps` installs Debian's nginx")
        pytest.skip("nginx is not installed (make ops-deps installs it)")
    # a site file lives inside nginx's http block: wrap it the way /etc/nginx/nginx.conf includes conf.d/*.conf
    wrapper = tmp_path / "nginx-test.conf"
    wrapper.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\nhttp {{\n    include {site};\n}}\n")
    result = subprocess.run([nginx, "-t", "-c", str(wrapper), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0 and "test is successful" in result.stderr, result.stderr


def check_units(units: list[Path]) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return  # systemd-analyze is not on this machine; the units are still started by hand below
    result = subprocess.run([analyze, "verify", *map(str, units)], capture_output=True, text=True,
                            cwd=units[0].parent)
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr and "Unknown section" not in result.stderr, result.stderr


@pytest.fixture
def pg_names(pg_template):
    """A role and a database name of our own; both dropped afterwards (never any other)."""
    name = f"nocode_inst_{_RUN}_{next(_counter)}"
    yield name
    run(_pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    run(_pg_admin, f"DROP ROLE IF EXISTS {name}")


def test_install_serve_back_up_wipe_and_restore_on_postgresql(tmp_path, pg_names):
    port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=shop.test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    args = ["install", "--yes", "--config-dir", str(tmp_path / "etc"), "--data-dir", str(tmp_path / "data"),
            "--systemd-dir", str(tmp_path / "systemd"), "--nginx-dir", str(tmp_path / "nginx"),
            "--pg-superuser-url", f"{PG_URL}/postgres", "--db-name", pg_names, "--db-user", pg_names,
            "--scrm", "--demo-data", "--demo-scale", "0.01", "--system-user", os.environ.get("USER") or "root", "--port", str(port),
            "--api-workers", "2", "--server-name", "shop.test",
            "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")]
    first = nocode(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    done = steps(first.stdout)
    for step in ("PostgreSQL role", "PostgreSQL database", "config file", "migrations", "admin", "SCRM app",
                 "systemd unit (API)", "systemd unit (workers)", "nginx site", "compose file"):
        assert done[step] == "done", (step, first.stdout)
    assert re.search(r"scrm version 1, \d{4} demo records", first.stdout), first.stdout
    password = re.search(r"password: (\S+)", first.stdout).group(1)
    config = tmp_path / "etc" / "nocode.toml"
    assert config.stat().st_mode & 0o777 == 0o640 and "secret_key" in config.read_text()
    assert "jobs_in_process = false" in config.read_text()
    assert "nocode-worker@1" in first.stdout and "nginx -t" in first.stdout  # the next steps

    # again: the plan shows nothing to do, and doing it changes nothing
    written = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file() and "data" not in p.parts}
    plan = nocode(*args, "--dry-run")
    assert plan.returncode == 0 and "dry run" in plan.stdout
    again = nocode(*args)
    assert again.returncode == 0, again.stderr
    for output in (plan.stdout, again.stdout):
        assert {s for s in steps(output).values()} <= {"ok", "unchanged", "warning"}, output
    assert {p: p.stat().st_mtime_ns for p in written} == written

    check_nginx(tmp_path / "nginx" / "nocode.conf", tmp_path)
    site = (tmp_path / "nginx" / "nocode.conf").read_text()
    assert "client_max_body_size 200m;" in site and "proxy_set_header Upgrade $http_upgrade;" in site
    assert f"ssl_certificate     {tmp_path / 'cert.pem'};" in site and f"server 127.0.0.1:{port};" in site
    check_units([tmp_path / "systemd" / "nocode-api.service", tmp_path / "systemd" / "nocode-worker@.service"])
    compose = yaml.safe_load((tmp_path / "etc" / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"db", "migrate", "api", "worker"}
    assert compose["services"]["api"]["command"][-1] == "2"

    base = f"http://127.0.0.1:{port}"
    api_unit, worker_unit = tmp_path / "systemd" / "nocode-api.service", tmp_path / "systemd" / "nocode-worker@.service"
    services = [Service(api_unit, tmp_path / "api.log"), Service(worker_unit, tmp_path / "worker.log")]
    try:
        health = wait_healthy(base, {"worker": 1, "serve": 0}, services)
        assert health["database_kind"] == "postgresql"
        doctor = nocode("doctor", "--config", str(config))
        assert doctor.returncode == 0, doctor.stdout
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post("/api/auth/login", json={"username": "admin", "password": password}).json()
            client.headers["Authorization"] = "Bearer " + token["access_token"]
            upload = client.post("/api/files", files={"file": ("报价单.txt", "报价 ¥99".encode())},
                                 data={"app": "scrm"}).json()
            made = client.post("/api/apps/scrm/forms/product/records",
                               json={"name": "团购鸡蛋", "sku": "EGG-30", "price": 29.9})
            assert made.status_code == 201, made.text
            before = {form: client.get(f"/api/apps/scrm/forms/{form}/records", params={"page_size": 500}).json()
                      for form in ("leader", "community", "customer", "product", "order")}
            assert client.get("/metrics").status_code == 200  # from this host
        backup = nocode("backup", str(tmp_path / "backup.tar.gz"), "--config", str(config))
        assert backup.returncode == 0 and "1 files" in backup.stdout, backup.stderr
    finally:
        for service in services:
            service.stop()
    logs = (tmp_path / "api.log").read_text()
    request_lines = [json.loads(line) for line in logs.splitlines() if '"nocode.requests"' in line]
    assert any(line["path"] == "/api/files" and line["user_id"] == 1 for line in request_lines)
    assert password not in logs and token["access_token"] not in logs

    # wipe: an empty database and no files, as on a new server
    run(_pg_admin, f"DROP DATABASE {pg_names} WITH (FORCE)")
    run(_pg_admin, f"CREATE DATABASE {pg_names} OWNER {pg_names}")
    shutil.rmtree(tmp_path / "data" / "files")
    restored = nocode("restore", str(tmp_path / "backup.tar.gz"), "--config", str(config))
    assert restored.returncode == 0, restored.stderr
    refused = nocode("restore", str(tmp_path / "backup.tar.gz"), "--config", str(config))
    assert refused.returncode != 0 and "--force" in refused.stderr

    services = [Service(api_unit, tmp_path / "api-after.log"), Service(worker_unit, tmp_path / "worker-after.log")]
    try:
        wait_healthy(base, {"worker": 1}, services)
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post("/api/auth/login", json={"username": "admin", "password": password}).json()
            client.headers["Authorization"] = "Bearer " + token["access_token"]
            after = {form: client.get(f"/api/apps/scrm/forms/{form}/records", params={"page_size": 500}).json()
                     for form in before}
            assert after == before
            assert client.get(f"/api/files/{upload['token']}").content == "报价 ¥99".encode()
    finally:
        for service in services:
            service.stop()


def test_install_with_sqlite_runs_jobs_in_the_api_and_upgrades_with_a_backup(tmp_path):
    port = free_port()
    args = ["install", "--yes", "--sqlite", "--config-dir", str(tmp_path / "etc"), "--data-dir", str(tmp_path / "data"),
            "--systemd-dir", str(tmp_path / "systemd"), "--nginx-dir", str(tmp_path / "nginx"), "--no-scrm",
            "--system-user", os.environ.get("USER") or "root", "--port", str(port), "--admin-password", "s3cret-pass"]
    plan = nocode(*args, "--dry-run")
    assert plan.returncode == 0 and steps(plan.stdout)["migrations"] == "would do", plan.stdout
    assert not (tmp_path / "etc").exists() and not (tmp_path / "data").exists()  # a dry run changes nothing
    first = nocode(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "password:" not in first.stdout  # given, so not printed
    config = tmp_path / "etc" / "nocode.toml"
    assert "jobs_in_process = true" in config.read_text()
    assert "--workers 1" in (tmp_path / "systemd" / "nocode-api.service").read_text()
    assert "nocode-worker@" not in first.stdout.split("Next steps:")[1].split("\n")[2]

    service = Service(tmp_path / "systemd" / "nocode-api.service", tmp_path / "api.log")
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}", {"serve": 1}, [service])
        assert health["database_kind"] == "sqlite"
    finally:
        service.stop()

    # an older database: `nocode upgrade` backs it up before it migrates
    from alembic import command
    from sqlalchemy import create_engine

    from runtime.migrate import _config
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'nocode.db'}")
    with engine.begin() as conn:  # the migrations' own downgrades take the database back to 0012
        command.downgrade(_config(conn), "0012")
    engine.dispose()
    upgraded = nocode("upgrade", "--config", str(config))
    assert upgraded.returncode == 0, upgraded.stderr
    assert re.search(r"backed up to .*/backups/pre-upgrade-0012-\d{8}-\d{6}\.tar\.gz", upgraded.stdout)
    assert "migrated 0012 → " in upgraded.stdout
    assert nocode("upgrade", "--config", str(config)).stdout.startswith("the database is at the newest revision")


def test_the_installer_says_what_it_needs(tmp_path):
    no_database = nocode("install", "--yes", "--config-dir", str(tmp_path / "etc"))
    assert no_database.returncode == 2 and "give --database-url, --pg-superuser-url or --sqlite" in no_database.stderr
    half_tls = nocode("install", "--yes", "--sqlite", "--config-dir", str(tmp_path), "--tls-cert", "/x.pem")
    assert half_tls.returncode == 2 and "both --tls-cert and --tls-key" in half_tls.stderr
    unreachable = nocode("install", "--yes", "--config-dir", str(tmp_path / "etc"), "--data-dir", str(tmp_path / "d"),
                         "--database-url", "postgresql://nocode:pw@127.0.0.1:1/nocode", "--system-user",
                         os.environ.get("USER") or "root", "--systemd-dir", str(tmp_path), "--nginx-dir", str(tmp_path))
    assert unreachable.returncode == 1 and "FAILED  database: cannot reach" in unreachable.stdout
    assert ":pw@" not in unreachable.stdout and not (tmp_path / "etc").exists()  # stopped before writing anything

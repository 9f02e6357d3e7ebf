"""A real server for browser tests: the built frontend and the API on a free port, SQLite, the SCRM app."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e.browser import browser_page, chromium_browser  # noqa: F401  (fixtures for every browser test)
from tests.e2e.steps import Api

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    admin_username: str
    admin_password: str
    app_name: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    dist = ROOT / "frontend" / "dist" / "index.html"
    if not dist.exists() or not Path("/usr/bin/chromium").exists():
        message = "browser tests need frontend/dist and /usr/bin/chromium (make test installs both)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path_factory.mktemp("live")
    env = {**os.environ, "NOCODE_DATABASE_URL": f"sqlite+aiosqlite:///{home}/nocode.db",
           "NOCODE_DATA_DIR": str(home / "data"), "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "runtime.cli"]
    for args in (["migrate"], ["create-admin", "--username", "admin", "--password", "e2e-password"],
                 ["import-template", str(ROOT / "templates" / "scrm_app.json"), "--demo-data", "--scale", "0.05"]):
        subprocess.run(cli + args, env=env, cwd=home, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = open(home / "server.log", "w")
    server = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.terminate()
        pytest.fail("the server did not start: " + (home / "server.log").read_text())
    yield LiveServer(url, "admin", "e2e-password", "私域社群团购")
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture
def admin_api(live_server):
    """The HTTP API signed in as the live server's admin, for setting up a test's own app."""
    with closing(Api(live_server.url, live_server.admin_username, live_server.admin_password)) as api:
        yield api

"""The nocode command as an admin uses it: migrate, create-admin, import-template, export-app, bootstrap."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEMPLATE_PATH


def nocode(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


@pytest.fixture
def cli_env(tmp_path, database_url):
    env = {**os.environ, "NOCODE_DATABASE_URL": database_url, "NOCODE_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return env


def test_the_admin_journey_through_the_command_line(cli_env, tmp_path):
    assert nocode("migrate", env=cli_env, cwd=tmp_path).returncode == 0
    made = nocode("create-admin", "--username", "boss", "--password", "s3cret-pass", env=cli_env, cwd=tmp_path)
    assert made.returncode == 0 and "boss" in made.stdout
    again = nocode("create-admin", "--username", "boss", "--password", "s3cret-pass", env=cli_env, cwd=tmp_path)
    assert again.returncode != 0 and "already exists" in again.stderr
    imported = nocode("import-template", str(TEMPLATE_PATH), "--demo-data", "--scale", "0.01", env=cli_env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    # the seed records, then the demo recipe at a hundredth of its size
    assert re.search(r"imported app 'scrm' as version 1 with \d{4} demo records", imported.stdout), imported.stdout
    out = tmp_path / "scrm.json"
    exported = nocode("export-app", "scrm", "-o", str(out), env=cli_env, cwd=tmp_path)
    assert exported.returncode == 0
    assert [f["key"] for f in json.loads(out.read_text(encoding="utf-8"))["forms"]][:5] == [
        "leader", "community", "customer", "product", "order"]
    missing = nocode("export-app", "nope", env=cli_env, cwd=tmp_path)
    assert missing.returncode != 0 and "not found" in missing.stderr


def test_a_broken_template_is_explained_and_not_installed(cli_env, tmp_path):
    nocode("migrate", env=cli_env, cwd=tmp_path)
    doc = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    doc["forms"][0]["fields"][0]["type"] = "hologram"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    result = nocode("import-template", str(bad), env=cli_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "/forms/0/fields/0/type: unknown field type 'hologram'" in result.stderr
    (tmp_path / "broken.json").write_text("{nope", encoding="utf-8")
    broken = nocode("import-template", str(tmp_path / "broken.json"), env=cli_env, cwd=tmp_path)
    assert broken.returncode != 0 and "cannot read" in broken.stderr


def test_bootstrap_installs_once_and_prints_the_admin_login(cli_env, tmp_path):
    first = nocode("bootstrap", "--scale", "0.01", env=cli_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "installed app 'scrm'" in first.stdout and "username: admin" in first.stdout
    password = next(line.split(": ", 1)[1] for line in first.stdout.splitlines() if "password:" in line)
    second = nocode("bootstrap", env=cli_env, cwd=tmp_path)
    assert second.returncode == 0 and "installed app" not in second.stdout
    assert f"password: {password}" in second.stdout  # the same login, still shown


def test_create_admin_and_reset_password_keep_to_the_password_policy(cli_env, tmp_path):
    nocode("migrate", env=cli_env, cwd=tmp_path)
    weak = nocode("create-admin", "--username", "boss", "--password", "12345678", env=cli_env, cwd=tmp_path)
    assert weak.returncode != 0 and "--password: this password is too common" in weak.stderr
    assert "only digits or only letters" in weak.stderr
    assert nocode("create-admin", "--username", "boss", "--password", "s3cret-pass", env=cli_env, cwd=tmp_path).returncode == 0
    same = nocode("reset-password", "--username", "boss", "--password", "boss", env=cli_env, cwd=tmp_path)
    assert same.returncode != 0 and "cannot be the username" in same.stderr
    reset = nocode("reset-password", "--username", "boss", "--password", "n3w-secret", env=cli_env, cwd=tmp_path)
    assert reset.returncode == 0 and "sessions have ended" in reset.stdout
    nobody = nocode("reset-password", "--username", "ghost", "--password", "n3w-secret", env=cli_env, cwd=tmp_path)
    assert nobody.returncode != 0 and "no user 'ghost'" in nobody.stderr

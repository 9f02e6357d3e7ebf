"""Settings from a TOML config file, with the environment winning over it and mistakes named by file and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from runtime.settings import DEFAULT_DATABASE_URL, ConfigError, Settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("NOCODE_CONFIG", "NOCODE_DATABASE_URL", "NOCODE_DATA_DIR", "NOCODE_SECRET_KEY",
                 "NOCODE_WORKERS_IN_PROCESS", "NOCODE_METRICS_ALLOW", "NOCODE_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_file_is_read_and_the_environment_wins(tmp_path, clean_env):
    config = tmp_path / "etc" / "nocode.toml"
    config.parent.mkdir()
    config.write_text('database_url = "postgresql+asyncpg://app:pw@db/nocode"\ndata_dir = "../var"\n'
                      'secret_key = "from-the-file"\njobs_in_process = false\nmetrics_allow = ["10.0.0.0/8"]\n')
    settings = Settings.from_env(config)
    assert settings.database_url == "postgresql+asyncpg://app:pw@db/nocode" and settings.secret_key == "from-the-file"
    assert settings.data_dir == tmp_path / "etc" / ".." / "var"  # relative to the file, not to the shell
    assert settings.jobs_in_process is False and settings.metrics_allow == ("10.0.0.0/8",)
    assert settings.config_file == config

    clean_env.setenv("NOCODE_CONFIG", str(config))
    clean_env.setenv("NOCODE_WORKERS_IN_PROCESS", "1")
    clean_env.setenv("NOCODE_METRICS_ALLOW", "127.0.0.1, 192.168.1.0/24")
    settings = Settings.from_env(database_url="sqlite+aiosqlite:///x.db")  # a flag wins over both
    assert settings.jobs_in_process is True and settings.metrics_allow == ("127.0.0.1/32", "192.168.1.0/24")
    assert settings.database_url == "sqlite+aiosqlite:///x.db" and settings.secret_key == "from-the-file"


def test_without_a_file_the_defaults_of_make_run_hold(tmp_path, clean_env):
    clean_env.chdir(tmp_path)
    settings = Settings.from_env()
    assert settings.database_url == DEFAULT_DATABASE_URL and settings.data_dir == Path("./data")
    assert settings.config_file is None and (tmp_path / "data" / "secret_key").read_text() == settings.secret_key


@pytest.mark.parametrize("text, message", [
    ('databse_url = "x"', "unknown setting 'databse_url'"),
    ("jobs_concurrency = \"many\"", "jobs_concurrency: invalid literal"),
    ("jobs_in_process = \"sometimes\"", "jobs_in_process: 'sometimes' is not true or false"),
    ('metrics_allow = ["everyone"]', "metrics_allow: 'everyone' does not appear to be an IPv4 or IPv6 network"),
    ('timezone = "Mars/Olympus"', "timezone: unknown time zone 'Mars/Olympus'"),
    ("database_url = ", "cannot read"),
    ('database_url = "mysql+aiomysql://u@h/db"', "database_url: mysql is not supported; use SQLite"),
    ('database_url = "postgresql://u@h/db"', r"database_url: postgresql through psycopg2? is not supported; "
                                             r"write postgresql\+asyncpg://"),
    ('database_url = "nocode.db"', "database_url: 'nocode.db' is not a database URL"),
])
def test_a_mistake_in_the_file_is_named(tmp_path, clean_env, text, message):
    config = tmp_path / "nocode.toml"
    config.write_text(text + "\nsecret_key = \"k\"\n")
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(config)


def test_a_missing_file_is_named(tmp_path, clean_env):
    clean_env.setenv("NOCODE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="nope.toml does not exist"):
        Settings.from_env()

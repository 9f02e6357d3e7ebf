"""Settings, read once at start-up: a TOML config file (`--config`, NOCODE_CONFIG, or /etc/nocode/nocode.toml when
it exists), then the environment (NOCODE_*), which wins over the file. Without either, `make run`'s defaults:
SQLite in ./data."""
from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/nocode.db"
DEFAULT_CONFIG = Path("/etc/nocode/nocode.toml")
LOG_FORMATS = ("auto", "json", "text")


class ConfigError(ValueError):
    """A config file or variable that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path("./data")
    secret_key: str = ""
    lang: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    token_ttl_seconds: int = 12 * 3600
    max_body_bytes: int = 4 * 1024 * 1024
    max_bulk_items: int = 5000
    max_upload_bytes: int = 20 * 1024 * 1024  # one uploaded file (POST /api/files)
    max_import_bytes: int = 200 * 1024 * 1024  # one spreadsheet of records to import (100,000 rows is ~20 MB)
    jobs_in_process: bool = True  # `nocode serve` runs due jobs itself; off when separate `nocode worker`s do
    jobs_concurrency: int = 4  # jobs one process runs at once
    jobs_poll_seconds: float = 0.5  # how often an idle runner looks for due jobs
    jobs_lease_seconds: float = 30.0  # a job whose worker stopped renewing its claim this long ago runs again
    frontend_dir: Path = field(default_factory=lambda: Path(__file__).resolve().parent.parent / "frontend" / "dist")
    log_format: str = "auto"  # json under systemd or when not on a terminal, text on a terminal
    log_level: str = "info"
    metrics_token: str = ""  # GET /metrics with `Authorization: Bearer <token>` from anywhere
    metrics_allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")  # or, without a token, only from these networks
    config_file: Path | None = None  # the file these settings were read from, if any

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, config: str | Path | None = None, **overrides) -> "Settings":
        """File, then environment, then `overrides` (command-line flags; None means not given)."""
        env = os.environ
        path = _config_path(config)
        values: dict[str, Any] = _read_file(path) if path else {}
        for name, option in OPTIONS.items():
            raw = env.get(option.env)
            if raw:  # set and not empty
                values[name] = _parse(option, raw, option.env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values, config_file=path)
        settings.check()
        if not settings.secret_key:
            settings = cls(**{**values, "secret_key": _stored_secret(settings.data_dir)}, config_file=path)
        return settings

    def check(self) -> None:
        """Values that parse but cannot work, named before anything starts."""
        try:
            self.tz
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"timezone: unknown time zone {self.timezone!r}") from None
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"log_format: {self.log_format!r} is none of {', '.join(LOG_FORMATS)}")
        _check_database_url(self.database_url)


# The databases and drivers the platform runs on (its SQL is written and tested for these two).
DATABASE_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}


def _check_database_url(url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database_url: {url!r} is not a database URL (e.g. {DEFAULT_DATABASE_URL} or "
                          "postgresql+asyncpg://user:password@host:5432/nocode)") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    wanted = DATABASE_DRIVERS.get(backend)
    if wanted is None:
        raise ConfigError(f"database_url: {backend} is not supported; use SQLite (sqlite+aiosqlite:///path) or "
                          "PostgreSQL (postgresql+asyncpg://user:password@host:5432/nocode)")
    if driver != wanted:
        raise ConfigError(f"database_url: {backend} through {driver} is not supported; write {backend}+{wanted}://…")


@dataclass(frozen=True)
class Option:
    env: str  # the environment variable; the file's key is the Settings field's name
    parse: Callable[[Any], Any]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _networks(value: Any) -> tuple[str, ...]:
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    return tuple(str(ipaddress.ip_network(v, strict=False)) for v in items if v)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _number(kind: type) -> Callable[[Any], Any]:
    def parse(value: Any):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        return kind(value)
    return parse


OPTIONS: dict[str, Option] = {
    "database_url": Option("NOCODE_DATABASE_URL", _text),
    "data_dir": Option("NOCODE_DATA_DIR", Path),
    "secret_key": Option("NOCODE_SECRET_KEY", _text),
    "lang": Option("NOCODE_LANG", _text),
    "timezone": Option("NOCODE_TIMEZONE", _text),
    "token_ttl_seconds": Option("NOCODE_TOKEN_TTL", _number(int)),
    "max_body_bytes": Option("NOCODE_MAX_BODY_BYTES", _number(int)),
    "max_upload_bytes": Option("NOCODE_MAX_UPLOAD_BYTES", _number(int)),
    "max_import_bytes": Option("NOCODE_MAX_IMPORT_BYTES", _number(int)),
    "jobs_in_process": Option("NOCODE_WORKERS_IN_PROCESS", _flag),
    "jobs_concurrency": Option("NOCODE_JOBS_CONCURRENCY", _number(int)),
    "jobs_poll_seconds": Option("NOCODE_JOBS_POLL_SECONDS", _number(float)),
    "jobs_lease_seconds": Option("NOCODE_JOBS_LEASE_SECONDS", _number(float)),
    "frontend_dir": Option("NOCODE_FRONTEND_DIR", Path),
    "log_format": Option("NOCODE_LOG_FORMAT", _text),
    "log_level": Option("NOCODE_LOG_LEVEL", _text),
    "metrics_token": Option("NOCODE_METRICS_TOKEN", _text),
    "metrics_allow": Option("NOCODE_METRICS_ALLOW", _networks),
}
_PATHS = ("data_dir", "frontend_dir")


def _parse(option: Option, raw: Any, where: str) -> Any:
    try:
        return option.parse(raw)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"{where}: {e}") from None


def _config_path(config: str | Path | None) -> Path | None:
    if config:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return path.resolve()
    if os.environ.get("NOCODE_CONFIG"):
        return _config_path(os.environ["NOCODE_CONFIG"])
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    values = {}
    for key, raw in document.items():
        option = OPTIONS.get(key)
        if option is None:
            raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(OPTIONS)})")
        value = _parse(option, raw, f"{path}: {key}")
        if key in _PATHS and not value.is_absolute():  # relative to the file, not to wherever a command runs
            value = path.parent / value
        values[key] = value
    return values


def _stored_secret(data_dir: Path) -> str:
    """Without a secret key set, a random key kept in the data dir so tokens survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key

"""Settings from the environment (NOCODE_*), read once at start-up."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/nocode.db"


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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        values = dict(
            database_url=env.get("NOCODE_DATABASE_URL", DEFAULT_DATABASE_URL),
            data_dir=Path(env.get("NOCODE_DATA_DIR", "./data")),
            secret_key=env.get("NOCODE_SECRET_KEY", ""),
            lang=env.get("NOCODE_LANG", "zh-CN"),
            timezone=env.get("NOCODE_TIMEZONE", "Asia/Shanghai"),
            token_ttl_seconds=int(env.get("NOCODE_TOKEN_TTL", 12 * 3600)),
            max_body_bytes=int(env.get("NOCODE_MAX_BODY_BYTES", 4 * 1024 * 1024)),
            max_upload_bytes=int(env.get("NOCODE_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)),
            max_import_bytes=int(env.get("NOCODE_MAX_IMPORT_BYTES", 200 * 1024 * 1024)),
            jobs_in_process=env.get("NOCODE_WORKERS_IN_PROCESS", "1").strip().lower() not in ("0", "false", "off"),
            jobs_concurrency=int(env.get("NOCODE_JOBS_CONCURRENCY", 4)),
            jobs_poll_seconds=float(env.get("NOCODE_JOBS_POLL_SECONDS", 0.5)),
            jobs_lease_seconds=float(env.get("NOCODE_JOBS_LEASE_SECONDS", 30)),
        )
        if env.get("NOCODE_FRONTEND_DIR"):
            values["frontend_dir"] = Path(env["NOCODE_FRONTEND_DIR"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if not settings.secret_key:
            settings = cls(**{**values, "secret_key": _stored_secret(settings.data_dir)})
        return settings


def _stored_secret(data_dir: Path) -> str:
    """Without NOCODE_SECRET_KEY, a random key kept in the data dir so tokens survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key

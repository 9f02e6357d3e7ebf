"""Backups: one .tar.gz holding everything a company owns here — every table (platform and app tables) and every
uploaded file — and restore from it, on SQLite or PostgreSQL, whichever the backup came from.

Archive layout (format `nocode.backup/v1`):
  manifest.json       format, code version, schema revision (Alembic), database kind, created at, row and file counts
  schema.json         every table's columns, keys and indexes, in portable types
  data/<table>.jsonl  one JSON array per row, after a first line naming the columns
  files/…             the uploads named by the `files` table, at their paths under the data dir

Tables are read through the database driver, not pg_dump: the same code serves both databases, needs no
client binary whose version must match the server, and makes a SQLite backup restorable into PostgreSQL (the way
from the embedded default to production) and back. The snapshot is consistent: PostgreSQL is read in one
REPEATABLE READ READ ONLY transaction; SQLite is first copied with its online backup API, so a running server
may keep writing. Restore is one transaction: migrate an empty database to the backup's revision, create the app
tables, load the rows, check the counts, migrate to this code's newest revision; then the files are put in place.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Connection, Date, DateTime, Float, ForeignKeyConstraint,
                        Index, Integer, LargeBinary, MetaData, Numeric, String, Table, Text, Time, UniqueConstraint,
                        bindparam, create_engine as create_sync_engine, func, inspect, select, text)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.schema import sort_tables_and_constraints

from runtime.migrate import head_revision, known_revisions, upgrade_sync
from runtime.models import Json
from runtime.settings import Settings

__all__ = ["FORMAT", "BackupError", "Manifest", "make_backup", "read_manifest", "restore_backup"]

FORMAT = "nocode.backup/v1"
BATCH = 1000
VERSION_TABLE = "alembic_version"
# Tables whose rows describe the processes running now, not anybody's data: a restored heartbeat would report a
# worker that is not there.
EPHEMERAL = {"worker_heartbeats"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Manifest:
    format: str
    nocode_version: str
    revision: str
    database: str  # sqlite or postgresql
    created_at: str
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    files: int = 0
    file_bytes: int = 0
    missing_files: list[str] = field(default_factory=list)  # named by the files table, absent from disk

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


# --- portable types ------------------------------------------------------------------------------------------------

def _type_name(sql_type, where: str) -> str:
    """A reflected column type → its portable name. Order matters: Float is a Numeric, Text a String."""
    for kind, name in ((Boolean, "boolean"), (BigInteger, "bigint"), (Integer, "integer"), (Float, "float"),
                       (DateTime, "datetime"), (Date, "date"), (Time, "time"), (JSON, "json"),
                       (LargeBinary, "binary")):
        if isinstance(sql_type, kind):
            return name
    if isinstance(sql_type, Numeric):
        return f"numeric:{sql_type.precision or 18}:{sql_type.scale or 0}"
    if isinstance(sql_type, String):
        return f"string:{sql_type.length}" if sql_type.length else "text"
    raise BackupError(f"{where}: a column of type {sql_type!r} cannot be backed up portably")


def _sql_type(name: str, primary_key: bool = False):
    if name.startswith("numeric:"):
        _, precision, scale = name.split(":")
        return Numeric(int(precision), int(scale))
    if name.startswith("string:"):
        return String(int(name.split(":")[1]))
    if name == "bigint" and primary_key:  # SQLite numbers rows only through an INTEGER primary key
        return BigInteger().with_variant(Integer, "sqlite")
    return {"boolean": Boolean, "bigint": BigInteger, "integer": Integer, "float": lambda: Float(53),
            "datetime": DateTime, "date": Date, "time": Time, "json": lambda: Json, "binary": LargeBinary,
            "text": Text}[name]()


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    return value


def _decoder(sql_type) -> Callable[[Any], Any] | None:
    """How a JSON value goes back into a column of this (target) type; None: as it is."""
    if isinstance(sql_type, DateTime):
        return datetime.fromisoformat
    if isinstance(sql_type, Date):
        return date.fromisoformat
    if isinstance(sql_type, Time):
        return time.fromisoformat
    if isinstance(sql_type, Float):
        return None
    if isinstance(sql_type, Numeric):
        return lambda v: Decimal(str(v))
    if isinstance(sql_type, LargeBinary):
        return base64.b64decode
    return None


def describe_tables(conn: Connection) -> dict[str, dict]:
    """Every table but Alembic's, in portable terms."""
    inspector = inspect(conn)
    described = {}
    for name in inspector.get_table_names():
        if name == VERSION_TABLE:
            continue
        pk = inspector.get_pk_constraint(name).get("constrained_columns") or []
        columns = [{"name": c["name"], "type": _type_name(c["type"], f"{name}.{c['name']}"),
                    "nullable": bool(c["nullable"]), "primary_key": c["name"] in pk}
                   for c in inspector.get_columns(name)]
        indexes = [{"name": i["name"], "columns": i["column_names"], "unique": bool(i["unique"])}
                   for i in inspector.get_indexes(name)
                   if "duplicates_constraint" not in i and None not in i["column_names"]]
        uniques = [{"name": u["name"], "columns": u["column_names"]} for u in inspector.get_unique_constraints(name)]
        foreign_keys = [{"name": fk["name"], "columns": fk["constrained_columns"], "table": fk["referred_table"],
                         "ref_columns": fk["referred_columns"], "ondelete": fk.get("options", {}).get("ondelete")}
                        for fk in inspector.get_foreign_keys(name)]
        described[name] = {"columns": columns, "primary_key": pk, "indexes": indexes, "uniques": uniques,
                           "foreign_keys": foreign_keys}
    return described


def build_table(metadata: MetaData, name: str, spec: dict) -> Table:
    single_pk = len(spec["primary_key"]) == 1
    columns = [Column(c["name"], _sql_type(c["type"], single_pk and c["primary_key"]), primary_key=c["primary_key"],
                      nullable=c["nullable"]) for c in spec["columns"]]
    constraints = [ForeignKeyConstraint(fk["columns"], [f"{fk['table']}.{col}" for col in fk["ref_columns"]],
                                        name=fk["name"], ondelete=fk["ondelete"]) for fk in spec["foreign_keys"]]
    constraints += [UniqueConstraint(*u["columns"], name=u["name"]) for u in spec["uniques"]]
    table = Table(name, metadata, *columns, *constraints)
    for index in spec["indexes"]:
        Index(index["name"], *[table.c[c] for c in index["columns"]], unique=index["unique"])
    return table


def _reflect(conn: Connection, names: list[str] | None = None) -> MetaData:
    """The target's tables as they are, JSON columns with the platform's rule that an empty value is SQL NULL."""
    metadata = MetaData()
    metadata.reflect(conn, only=names)
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, JSON):
                column.type = Json
    return metadata


# --- dump ----------------------------------------------------------------------------------------------------------

def _dump_tables(conn: Connection, workdir: Path) -> tuple[dict, dict[str, int], list[str]]:
    """schema, rows per table, file paths named by the files table; the table files land in workdir/data."""
    schema = describe_tables(conn)
    metadata = _reflect(conn, list(schema))
    (workdir / "data").mkdir()
    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name in EPHEMERAL:
            continue
        count = 0
        with gzip.open(workdir / "data" / f"{table.name}.jsonl.gz", "wt", encoding="utf-8", compresslevel=3) as out:
            out.write(json.dumps([c.name for c in table.columns]) + "\n")
            for row in conn.execute(select(table).execution_options(yield_per=BATCH)):
                out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                count += 1
        counts[table.name] = count
    paths = []
    if "files" in metadata.tables:
        files = metadata.tables["files"]
        paths = [p for (p,) in conn.execute(select(files.c.path).order_by(files.c.path))]
    return schema, counts, paths


def _revision_of(conn: Connection) -> str:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        raise BackupError("the database has no platform tables yet (run `nocode migrate` or `nocode install`)")
    return revision


async def _dump_postgresql(engine: AsyncEngine, workdir: Path):
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():  # one snapshot for every table, however long the dump takes
            revision = await conn.run_sync(_revision_of)
            return revision, *await conn.run_sync(_dump_tables, workdir)


def _dump_sqlite(url: str, workdir: Path):
    database = make_url(url).database
    if not database or database == ":memory:" or not Path(database).exists():
        raise BackupError(f"there is no SQLite database at {database}")
    snapshot = workdir / "snapshot.db"
    source = sqlite3.connect(f"file:{Path(database).resolve()}?mode=ro", uri=True)
    target = sqlite3.connect(snapshot)
    try:
        source.backup(target)  # all pages in one step: a consistent copy while writers wait briefly
    finally:
        target.close()
        source.close()
    engine = create_sync_engine(f"sqlite:///{snapshot}")
    try:
        with engine.connect() as conn:
            return _revision_of(conn), *_dump_tables(conn, workdir)
    finally:
        engine.dispose()
        snapshot.unlink()


async def make_backup(engine: AsyncEngine, settings: Settings, target: Path, version: str) -> tuple[Manifest, Path]:
    """Writes the archive to `target` (a directory gets a dated file name); returns its manifest and path."""
    target = Path(target)
    if target.is_dir():
        target = target / f"nocode-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".nocode-backup-") as tmp:
        workdir = Path(tmp)
        if engine.dialect.name == "postgresql":
            revision, schema, counts, paths = await _dump_postgresql(engine, workdir)
        else:
            revision, schema, counts, paths = _dump_sqlite(str(engine.url), workdir)
        manifest = Manifest(FORMAT, version, revision, engine.dialect.name,
                            datetime.now(timezone.utc).isoformat(timespec="seconds"), counts)
        (workdir / "schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            present = []
            for path in paths:  # the uploads of this snapshot, not whatever arrived since
                source = settings.data_dir / path
                if _safe_member(path) and source.is_file():
                    present.append((path, source))
                    manifest.file_bytes += source.stat().st_size
                else:
                    manifest.missing_files.append(path)
            manifest.files = len(present)
            _add_bytes(tar, "manifest.json", json.dumps(manifest.__dict__, ensure_ascii=False, indent=1).encode())
            tar.add(workdir / "schema.json", "schema.json")
            for table_file in sorted((workdir / "data").iterdir()):
                tar.add(table_file, f"data/{table_file.name}")
            for path, source in present:
                tar.add(source, path)
        os.replace(partial, target)
        target.chmod(0o600)  # it holds every password hash and every customer's data
    return manifest, target


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _safe_member(path: str) -> bool:
    parts = Path(path).parts
    return bool(parts) and parts[0] == "files" and ".." not in parts and not Path(path).is_absolute()


# --- restore -------------------------------------------------------------------------------------------------------

def read_manifest(archive: Path) -> Manifest:
    """The manifest alone (the first member), checked for a format this code reads."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != "manifest.json":
                raise BackupError(f"{archive} is not a nocode backup (no manifest.json first)")
            manifest = Manifest.from_json(json.loads(tar.extractfile(first).read()))
    except (OSError, tarfile.TarError, json.JSONDecodeError, TypeError) as e:
        raise BackupError(f"cannot read {archive}: {e}") from None
    if manifest.format != FORMAT:
        raise BackupError(f"{archive} has format {manifest.format!r}; this nocode reads {FORMAT!r}")
    return manifest


def check_revision(manifest: Manifest) -> None:
    """A backup from a newer nocode has tables this code does not know how to use: upgrade the code first."""
    if manifest.revision not in known_revisions():
        raise BackupError(f"the backup was made by a newer nocode (schema revision {manifest.revision}, version "
                          f"{manifest.nocode_version}); this nocode knows revisions up to {head_revision()}: "
                          "upgrade nocode first, then restore")


def _existing_data(conn: Connection) -> str | None:
    """What makes the target not empty, or None. A freshly migrated database with no users and no apps counts as
    empty: `nocode install` followed by `nocode restore` is the usual way onto a new server."""
    from runtime.models import metadata as platform

    names = set(inspect(conn).get_table_names())
    held = []
    for name in ("users", "apps"):
        if name in names:
            count = conn.execute(select(func.count()).select_from(platform.tables[name])).scalar_one()
            if count:
                held.append(f"{count} {name}")
    foreign = sorted(names - set(platform.tables) - {VERSION_TABLE})
    if foreign:
        held.append(f"{len(foreign)} other tables")
    return ", ".join(held) or None


def _wipe(conn: Connection) -> None:
    """Drops everything in the target's schema, so migrations can start from nothing."""
    inspector = inspect(conn)
    preparer = conn.dialect.identifier_preparer
    for view in inspector.get_view_names():
        conn.exec_driver_sql(f"DROP VIEW {preparer.quote(view)}")
    if conn.dialect.name == "postgresql":
        for name in inspector.get_table_names():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {preparer.quote(name)} CASCADE")
        # functions made by migrations (trigger functions); those of extensions stay
        functions = conn.exec_driver_sql(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.objid = p.oid AND d.deptype = 'e')").scalars().all()
        for signature in functions:
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
        for sequence in inspector.get_sequence_names():
            conn.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {preparer.quote(sequence)} CASCADE")
        return
    metadata = MetaData()
    metadata.reflect(conn)
    for table in reversed(metadata.sorted_tables):  # children first: SQLite checks foreign keys on DROP
        table.drop(conn)


def _load_order(metadata: MetaData) -> tuple[list[Table], dict[str, list[str]]]:
    """Tables parents first, and per table the columns to fill in after every row exists: references to the
    same table (a manager, a parent department) and to tables in a cycle."""
    ordered, deferred = [], {}
    for table, constraints in sort_tables_and_constraints(metadata.sorted_tables):
        if table is not None:
            ordered.append(table)
            for fk in constraints:
                if fk.referred_table is table:
                    deferred.setdefault(table.name, []).extend(fk.column_keys)
        else:
            for fk in constraints:
                deferred.setdefault(fk.table.name, []).extend(fk.column_keys)
    return ordered, deferred


def _rows(path: Path) -> Iterator[list]:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        source.readline()
        for line in source:
            yield json.loads(line)


def _load_tables(conn: Connection, workdir: Path, manifest: Manifest, schema: dict) -> None:
    from runtime.models import metadata as platform

    upgrade_sync(conn, manifest.revision)
    present = set(inspect(conn).get_table_names())
    seeded = _reflect(conn, sorted(present & set(schema)))
    for table in reversed(seeded.sorted_tables):  # rows migrations put in (counters) make way for the backup's
        conn.execute(table.delete())
    created = MetaData()
    created.reflect(conn)  # what the new tables' foreign keys may point at
    for name, spec in schema.items():
        if name not in present:
            if name in platform.tables:
                raise BackupError(f"platform table {name} is in the backup but revision {manifest.revision} "
                                  "does not make it")
            build_table(created, name, spec)
    created.create_all(conn)
    metadata = _reflect(conn, sorted(schema))
    ordered, deferred = _load_order(metadata)
    later: list[tuple[Table, list[str], list[dict]]] = []
    for table in ordered:
        path = workdir / "data" / f"{table.name}.jsonl.gz"
        if not path.exists():
            continue
        with gzip.open(path, "rt", encoding="utf-8") as source:
            names = json.loads(source.readline())
        missing = [n for n in names if n not in table.c]
        if missing:
            raise BackupError(f"table {table.name}: columns {missing} of the backup do not exist here")
        decoders = [(i, d) for i, n in enumerate(names) if (d := _decoder(table.c[n].type))]
        late = [n for n in deferred.get(table.name, []) if n in names]
        key = [c.name for c in table.primary_key.columns]
        if late and not key:
            raise BackupError(f"table {table.name} refers to itself but has no primary key")
        updates: list[dict] = []
        batch: list[dict] = []
        loaded = 0
        for values in _rows(path):
            for i, decode in decoders:
                if values[i] is not None:
                    values[i] = decode(values[i])
            row = dict(zip(names, values))
            if late and any(row[n] is not None for n in late):
                updates.append({**{f"k_{k}": row[k] for k in key}, **{f"v_{n}": row[n] for n in late}})
                row.update({n: None for n in late})
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                loaded += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            loaded += len(batch)
        if loaded != manifest.tables.get(table.name, loaded):
            raise BackupError(f"table {table.name}: {loaded} rows read, the manifest says "
                              f"{manifest.tables[table.name]}")
        if updates:
            later.append((table, late, updates))
    for table, late, updates in later:
        condition = [table.c[k] == bindparam(f"k_{k}") for k in (c.name for c in table.primary_key.columns)]
        for start in range(0, len(updates), BATCH):
            conn.execute(table.update().where(*condition).values({n: bindparam(f"v_{n}") for n in late}),
                         updates[start:start + BATCH])
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, metadata)
    upgrade_sync(conn, "head")  # a backup of an older version is brought up to this one


def _reset_sequences(conn: Connection, metadata: MetaData) -> None:
    """Rows came with their ids; the next id handed out must follow the largest."""
    for table in metadata.tables.values():
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                quote = conn.dialect.identifier_preparer.quote
                conn.execute(text(f"SELECT setval(:sequence, COALESCE((SELECT MAX({quote(column.name)}) "
                                  f"FROM {quote(table.name)}), 0) + 1, false)"), {"sequence": sequence})


def _extract(archive: Path, workdir: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            name = member.name
            if name in ("manifest.json", "schema.json") or (name.startswith("data/") and "/" not in name[5:]):
                tar.extract(member, workdir, filter="data")
            elif _safe_member(name) and member.isfile():
                tar.extract(member, workdir, filter="data")
            else:
                raise BackupError(f"{archive} holds an unexpected entry {name!r}; not restoring from it")


async def restore_backup(engine: AsyncEngine, settings: Settings, archive: Path, force: bool = False) -> Manifest:
    archive = Path(archive)
    manifest = read_manifest(archive)
    check_revision(manifest)
    async with engine.connect() as conn:
        held = await conn.run_sync(_existing_data)
    if held and not force:
        raise BackupError(f"the database already holds data ({held}); restore into an empty database, "
                          "or pass --force to replace everything in it")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".restore-") as tmp:
        workdir = Path(tmp)
        _extract(archive, workdir)
        schema = json.loads((workdir / "schema.json").read_text(encoding="utf-8"))
        async with engine.begin() as conn:  # all or nothing: a failed restore leaves the database as it was
            await conn.run_sync(_wipe)
            await conn.run_sync(_load_tables, workdir, manifest, schema)
        if (workdir / "files").is_dir():
            for source in (workdir / "files").rglob("*"):
                if source.is_file():
                    destination = settings.data_dir / source.relative_to(workdir)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(source, destination)
    return manifest

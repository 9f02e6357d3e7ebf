"""Backup and restore as an operator relies on them: every record, user and upload comes back — on the same kind of
database, from SQLite into PostgreSQL, and from an older version — and restores that would do harm are refused."""
from __future__ import annotations

import io
import json
import tarfile
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from PIL import Image

from runtime.app import create_app
from runtime.backup import FORMAT, BackupError, make_backup, read_manifest, restore_backup
from runtime.db import create_engine
from runtime.migrate import current_revision, head_revision, upgrade
from tests.conftest import PG_URL, TEMPLATE_PATH, _RUN, _counter, _pg_admin, run

SCRM = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
FORMS = [form["key"] for form in SCRM["forms"]]


@pytest.fixture
def fresh_database(request, tmp_path):
    """Makes empty databases of a kind ("sqlite" or "postgresql") and drops the PostgreSQL ones afterwards."""
    made: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'restored-{next(_counter)}.db'}"
        request.getfixturevalue("pg_template")  # skips (or fails in CI) without a server
        name = f"nocode_r_{_RUN}_{next(_counter)}"
        run(_pg_admin, f"CREATE DATABASE {name}")
        made.append(name)
        return f"{PG_URL}/{name}"

    yield make
    for name in made:
        run(_pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


async def fill(api) -> dict:
    """The SCRM app with its demo data, people whose manager was created after them, and uploads."""
    await api.import_app(SCRM, demo_data=True)
    amy = (await api.client.post("/api/admin/users", json={"username": "amy", "password": "amy-pass-1"})).json()["id"]
    bob = (await api.client.post("/api/admin/users", json={"username": "bob", "password": "bob-pass-1"})).json()["id"]
    assert (await api.client.patch(f"/api/admin/users/{amy}", json={"manager": bob})).status_code == 200
    uploads = {}
    for name, content in (("门店.png", png("red")), ("合同.txt", "合同内容".encode())):
        body = (await api.client.post("/api/files", files={"file": (name, content)}, data={"app": "scrm"})).json()
        uploads[body["token"]] = content
    return {"uploads": uploads}


async def everything(client: httpx.AsyncClient, uploads: dict) -> dict:
    """What a user sees: every record of every form, every user with their manager, every upload's bytes."""
    seen = {}
    for form in FORMS:
        response = await client.get(f"/api/apps/scrm/forms/{form}/records", params={"page_size": 500, "sort": "id"})
        assert response.status_code == 200, response.text
        seen[form] = response.json()["items"]
    users = (await client.get("/api/admin/users", params={"page_size": 100})).json()["items"]
    seen["users"] = sorted((u["id"], u["username"], u["manager"]) for u in users)
    seen["files"] = {token: (await client.get(f"/api/files/{token}")).content for token in uploads}
    for form in FORMS:  # signed links differ with the server's clock; what they point at must not
        for record in seen[form]:
            record.pop("signed_urls", None)
    return seen


@asynccontextmanager
async def signed_in(settings, url: str, data_dir):
    """A server on the restored database and files, and the admin signed in with the password of before."""
    app = create_app(replace(settings, database_url=url, data_dir=data_dir))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                                 headers={"Accept-Language": "en"}) as client:
        token = (await client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})).json()
        client.headers["Authorization"] = "Bearer " + token["access_token"]
        yield client
    await app.state.platform.engine.dispose()


@pytest.mark.parametrize("into", ["same", "postgresql"])
async def test_a_backup_restores_every_record_user_and_upload(api, settings, fresh_database, tmp_path, into):
    kind = api.platform.engine.dialect.name
    if into == "postgresql" and kind == "postgresql":
        pytest.skip("same as 'same'")
    made = await fill(api)
    before = await everything(api.client, made["uploads"])
    assert sum(len(before[f]) for f in FORMS) == sum(len(rows) for rows in SCRM["data"].values()) and len(before["files"]) == 2

    (tmp_path / "backups").mkdir()  # a directory gets a dated file name
    manifest, path = await make_backup(api.platform.engine, settings, tmp_path / "backups", "test")
    assert path.parent == tmp_path / "backups" and path.name.endswith(".tar.gz") and path.stat().st_mode & 0o077 == 0
    assert read_manifest(path).revision == head_revision() == manifest.revision
    assert manifest.format == FORMAT and manifest.database == kind and manifest.files == 2
    assert manifest.tables["users"] == 3 and manifest.missing_files == []

    url = fresh_database(kind if into == "same" else into)
    engine = create_engine(url)
    await restore_backup(engine, replace(settings, database_url=url, data_dir=tmp_path / "restored"), path)
    assert await current_revision(engine) == (head_revision(), head_revision())
    await engine.dispose()
    async with signed_in(settings, url, tmp_path / "restored") as client:
        assert await everything(client, made["uploads"]) == before
        # the restored database goes on: new rows get new ids, not ones taken by restored rows
        created = await client.post("/api/apps/scrm/forms/product/records",
                                    json={"name": "新品", "sku": "NEW-1", "price": 9.9})
        assert created.status_code == 201, created.text
        assert created.json()["id"] > max(r["id"] for r in before["product"])
        amy = (await client.post("/api/admin/users", json={"username": "cat", "password": "cat-pass-1"})).json()
        assert amy["id"] == 4


async def test_restore_refuses_a_database_with_data_unless_forced(api, settings, tmp_path):
    await api.import_app(SCRM)
    _manifest, path = await make_backup(api.platform.engine, settings, tmp_path / "b.tar.gz", "test")
    async with api.platform.begin() as conn:  # data added after the backup
        from runtime.auth import create_user
        await create_user(conn, "late", "late-pass-1", name="late")
    with pytest.raises(BackupError, match=r"already holds data \(2 users, 1 apps, \d+ other tables\).*--force"):
        await restore_backup(api.platform.engine, settings, path)
    await restore_backup(api.platform.engine, settings, path, force=True)
    users = (await api.client.get("/api/admin/users")).json()["items"]
    assert [u["username"] for u in users] == ["admin"]


def _rewrite_manifest(source, target, **changes) -> None:
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), **changes}).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))


async def test_a_backup_from_a_newer_version_or_of_another_kind_is_refused(api, settings, tmp_path, fresh_database):
    _manifest, path = await make_backup(api.platform.engine, settings, tmp_path / "b.tar.gz", "test")
    newer = tmp_path / "newer.tar.gz"
    _rewrite_manifest(path, newer, revision="9999", nocode_version="9.0")
    engine = create_engine(fresh_database("sqlite"))
    with pytest.raises(BackupError, match="made by a newer nocode .*revision 9999, version 9.0.*upgrade nocode first"):
        await restore_backup(engine, settings, newer)
    other = tmp_path / "other.tar.gz"
    _rewrite_manifest(path, other, format="somebody.else/v3")
    with pytest.raises(BackupError, match="has format 'somebody.else/v3'"):
        await restore_backup(engine, settings, other)
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    with pytest.raises(BackupError, match="cannot read"):
        await restore_backup(engine, settings, tmp_path / "junk.tar.gz")
    await engine.dispose()


async def test_a_backup_of_an_older_version_is_migrated_after_restoring(settings, tmp_path, fresh_database):
    from runtime.auth import create_user

    old_url = fresh_database("sqlite")
    engine = create_engine(old_url)
    await upgrade(engine, "0012")
    async with engine.begin() as conn:
        await create_user(conn, "veteran", "veteran-pass-1", name="老员工", is_admin=True)
    manifest, path = await make_backup(engine, replace(settings, database_url=old_url), tmp_path / "old.tar.gz", "0.0")
    await engine.dispose()
    assert manifest.revision == "0012"

    url = fresh_database(settings.database_url.split("+")[0].split(":")[0])
    engine = create_engine(url)
    await restore_backup(engine, replace(settings, database_url=url), path)
    assert await current_revision(engine) == (head_revision(), head_revision())
    async with engine.connect() as conn:
        from sqlalchemy import select

        from runtime.models import users, worker_heartbeats
        assert (await conn.execute(select(users.c.username))).scalars().all() == ["veteran"]
        assert (await conn.execute(select(worker_heartbeats))).all() == []  # made by the migration after loading
    await engine.dispose()

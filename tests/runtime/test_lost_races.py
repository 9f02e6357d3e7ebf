"""A write that lost a race to another (PostgreSQL's deadlock_detected or serialization_failure) is rolled back
whole and run again by the server; the caller hears 409 write_conflict only when every attempt lost."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from runtime.write import RecordWriter
from tests.runtime.apps import records_url

APP = {"format": "nocode.app/v1", "key": "shop", "name": "小店", "forms": [
    {"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text", "required": True},
        {"key": "phone", "type": "phone", "unique": True}]}]}


class _Deadlock(Exception):
    sqlstate = "40P01"  # as asyncpg reports it


def _losing(monkeypatch, times: int) -> list[int]:
    """Make the next `times` record writes lose a race after their row is written; counts the attempts."""
    attempts = []
    real = RecordWriter._start_flows

    async def start_flows(self, *args):
        attempts.append(1)
        if len(attempts) <= times:
            raise DBAPIError("SELECT … FOR NO KEY UPDATE", {}, _Deadlock("deadlock detected"))
        return await real(self, *args)

    monkeypatch.setattr(RecordWriter, "_start_flows", start_flows)
    return attempts


async def _created_count(api) -> float:
    """Requests the metrics count as record creates answered 201 (by this process, across tests)."""
    line = 'nocode_http_requests_total{method="POST",route="/api/apps/{app}/forms/{form}/records",status="201"} '
    metrics = (await api.client.get("/metrics")).text
    return next((float(row[len(line):]) for row in metrics.splitlines() if row.startswith(line)), 0.0)


async def test_a_create_that_lost_a_race_is_run_again_and_saved_once(api, monkeypatch):
    await api.import_app(APP)
    created_before = await _created_count(api)
    attempts = _losing(monkeypatch, times=2)
    response = await api.client.post(records_url("customer"), json={"name": "张三", "phone": "13800000001"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "张三" and len(attempts) == 3
    listed = (await api.client.get(records_url("customer"))).json()
    assert listed["total"] == 1  # the lost attempts left nothing behind (nor a unique phone taken twice)
    assert await _created_count(api) == created_before + 1  # logged and counted once, under its route


async def test_a_patch_that_lost_a_race_is_run_again_with_its_body(api, monkeypatch):
    await api.import_app(APP)
    created = (await api.client.post(records_url("customer"), json={"name": "张三"})).json()
    attempts = _losing(monkeypatch, times=1)
    response = await api.client.patch(f"{records_url('customer')}/{created['id']}",
                                      json={"name": "张三丰", "version": created["version"]})
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["version"], len(attempts)) == ("张三丰", 2, 2)


async def test_a_write_that_keeps_losing_answers_409_and_keeps_nothing(api, monkeypatch):
    await api.import_app(APP)
    attempts = _losing(monkeypatch, times=100)
    response = await api.client.post(records_url("customer"), json={"name": "张三"},
                                     headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "write_conflict" and len(attempts) == 4
    monkeypatch.undo()
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0

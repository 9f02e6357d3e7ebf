"""Outbound webhooks: what a subscription costs a record write, and deliveries per second from N subscriptions × M
writes to a local receiver, against the same number of bare `http_request` jobs to the same receiver (the ratio:
how close signed, logged webhook delivery comes to the job runner's own HTTP limit).

    python -m bench.webhooks [--subscriptions 4] [--writes 250] [--db sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from engines.form.fields.base import Context
from runtime.db import create_engine
from runtime.jobs import Runner, enqueue_many
from runtime.migrate import upgrade
from runtime.models import jobs, webhook_deliveries, webhooks
from runtime.settings import Settings
from runtime.tables import SchemaCache
from runtime.webhooks import bump, new_secret, utcnow
from runtime.write import RecordWriter

APP = {"format": "nocode.app/v1", "key": "bench", "name": "bench", "forms": [
    {"key": "order", "name": "订单", "fields": [{"key": "no", "type": "text"}, {"key": "amount", "type": "money"},
                                              {"key": "status", "type": "select", "options": ["new", "paid"]}]}]}
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _receiver() -> tuple[asyncio.AbstractServer, str, list]:
    """The fastest honest receiver: reads each request whole and answers 204 (keep-alive)."""
    seen: list = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                seen.append(1)
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/hook", seen


async def _setup(url: str) -> tuple:
    from builder.lifecycle import import_app  # the same path as POST /api/apps/import

    engine = create_engine(url)
    await upgrade(engine)
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, data_dir=Path(tempfile.mkdtemp()),
                        jobs_concurrency=8, jobs_poll_seconds=0.02)
    async with engine.begin() as conn:
        await import_app(conn, APP, Context(tz=settings.tz), None)
        schema = await SchemaCache().get(conn, "bench")
    return engine, settings, schema


async def _writes(engine, schema, count: int) -> float:
    """Seconds per write: one transaction each, through RecordWriter (the API's write path)."""
    started = time.perf_counter()
    for n in range(count):
        async with engine.begin() as conn:
            await RecordWriter(conn, schema, Context(), None).create("order", {"no": f"N{n}", "amount": 9.9,
                                                                                  "status": "paid"})
    return (time.perf_counter() - started) / count


async def _drain(engine, settings, kind: str, total: int) -> float:
    runner = Runner(engine, settings, concurrency=settings.jobs_concurrency, poll_seconds=0.02)
    started = time.perf_counter()
    await runner.start()
    try:
        while True:
            async with engine.connect() as conn:
                done = (await conn.execute(select(func.count()).select_from(jobs).where(
                    jobs.c.kind == kind, jobs.c.status.in_(("done", "dead"))))).scalar_one()
            if done >= total:
                break
            await asyncio.sleep(0.02)
    finally:
        await runner.stop()
    return time.perf_counter() - started


async def measure(url: str, subscriptions: int, writes: int) -> dict:
    engine, settings, schema = await _setup(url)
    server, hook, seen = await _receiver()
    try:
        await _writes(engine, schema, 20)  # warm caches
        plain = await _writes(engine, schema, writes)
        async with engine.begin() as conn:
            now = utcnow()
            await conn.execute(webhooks.insert(), [
                {"app_id": schema.app_id, "url": hook, "events": ["order.created"], "secret": new_secret(
                    settings.secret_key)[1], "active": True, "failures": 0, "created_at": now, "updated_at": now}
                for _ in range(subscriptions)])
            await bump(conn, schema.app_id)
        subscribed = await _writes(engine, schema, writes)
        deliveries = subscriptions * writes
        webhook_seconds = await _drain(engine, settings, "webhook_delivery", deliveries)
        async with engine.connect() as conn:
            succeeded = (await conn.execute(select(func.count()).select_from(webhook_deliveries).where(
                webhook_deliveries.c.status == "succeeded"))).scalar_one()
        async with engine.begin() as conn:
            await enqueue_many(conn, "http_request", [({"url": hook, "json": {"n": n}}, None)
                                                      for n in range(deliveries)])
        bare_seconds = await _drain(engine, settings, "http_request", deliveries)
    finally:
        server.close()
        await engine.dispose()
    return {"plain_ms": plain * 1000, "subscribed_ms": subscribed * 1000, "deliveries": deliveries,
            "succeeded": succeeded, "webhooks_per_s": deliveries / webhook_seconds,
            "bare_per_s": deliveries / bare_seconds, "received": len(seen)}


async def _fresh_pg() -> str:
    import asyncpg

    name = f"bench_webhooks_{int(time.time())}"
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return f"{PG_URL}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=4)
    parser.add_argument("--writes", type=int, default=250)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    if args.db == "sqlite":
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    else:
        url = asyncio.run(_fresh_pg())
    result = asyncio.run(measure(url, args.subscriptions, args.writes))
    print(f"webhooks on {args.db}: {args.subscriptions} subscriptions × {args.writes} writes")
    print(f"  one write, no subscription:      {result['plain_ms']:.2f} ms")
    print(f"  one write, {args.subscriptions} subscriptions:     {result['subscribed_ms']:.2f} ms "
          f"(+{result['subscribed_ms'] - result['plain_ms']:.2f} ms: record read, delivery rows, jobs)")
    print(f"  deliveries: {result['deliveries']} ({result['succeeded']} succeeded; the receiver answered "
          f"{result['received']} requests over both runs)")
    print(f"  signed webhook deliveries/s: {result['webhooks_per_s']:.0f}")
    print(f"  bare http_request jobs/s:    {result['bare_per_s']:.0f}")
    print(f"  ratio (webhooks / bare jobs): {result['webhooks_per_s'] / result['bare_per_s']:.2f}")


if __name__ == "__main__":
    main()

"""Connectors at run time: an app's `connectors` (engines/integration) sent over HTTP with their auth, rate limit and
mappings; records written from what comes back (or in) through the one write path; every refusal logged.

Used by flows (the `http_request` node with `connector` + `operation`), by rules (`call` / `enqueue_call`), by
`POST /api/hooks/{app}/connectors/{connector}/{operation}` (inbound) and by scheduled pulls (a schedule flow).

    result = await call(conn_or_engine, schema, "erp", "pull_stock", {"sku": "A1"}, settings=settings)
    # {"ok": True, "status": 200, "body": {...}, "values": {response mapping}, "written": 1, "refused": 0}
"""
from __future__ import annotations

import asyncio
import hmac
import importlib.util
import json
import logging
import re
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from sqlalchemy import case, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engines._registry import Registry
from engines.expr import EvalContext, ExprError, parse
from engines.expr.ast import Name, walk
from engines.form.fields.base import Context, FieldError
from engines.form.record import coerce_value
from engines.integration import (ConnectorDef, EachDef, Evaluator, MappingError, OperationDef, digest,
                                 digest_matches, items_of)
from engines.integration.mapping import is_path, text
from engines.problems import MESSAGES, Problem, ProblemsError, pointer
from runtime.errors import ApiError
from runtime.jobs import JOBS, RETRYABLE_STATUS, JobContext, PermanentError, enqueue, job
from runtime.models import apps, connector_windows, integration_log
from runtime.secrets import read_secret
from runtime.settings import Settings
from runtime.tables import AppSchema, load_schema

__all__ = ["CALL_JOB", "ConnectorError", "apply_write", "call", "enqueue_call", "verify_inbound"]

log = logging.getLogger("nocode.connectors")
CALL_JOB = "connector_call"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
MAX_RATE_WAIT = 65.0  # seconds a call may wait for its rate-limit window before giving up (and retrying later)

MESSAGES.update({
    "connector_unreachable": ("连接器「{connector}」无法访问：{error}", "connector {connector!r} cannot be reached: {error}"),
    "connector_rate_limited": ("连接器「{connector}」超出频率限制", "connector {connector!r} is over its rate limit"),
    "connector_refused": ("连接器「{connector}」的「{operation}」返回 HTTP {status}",
                          "{operation!r} of connector {connector!r} answered HTTP {status}"),
    "bad_signature": ("签名或令牌不正确", "the signature or token does not match"),
    "not_inbound": ("连接器「{connector}」没有可接收的操作「{operation}」",
                    "connector {connector!r} has no inbound operation {operation!r}"),
    "bad_payload": ("无法读取请求体（需 JSON 或 XML）：{error}", "cannot read the body (JSON or XML expected): {error}"),
    "customer_events_unavailable": ("客户事件库尚未安装，不能接收客户事件", "the customer-event store is not installed"),
    "record_refused": ("记录未写入：{problems}", "record not written: {problems}"),
})


class ConnectorError(Exception):
    """A call that did not get an answer (network, rate limit, auth); `retryable` for the job queue."""

    def __init__(self, code: str, retryable: bool = True, **params: Any):
        self.code, self.retryable, self.params = code, retryable, params
        super().__init__(Problem("", code, params).message("en"))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def definition(schema: AppSchema, connector_key: str, operation_key: str) -> tuple[ConnectorDef, OperationDef]:
    connector = next((c for c in schema.definition.connectors if c.key == connector_key), None)
    if connector is None:
        raise ApiError(404, "unknown_connector", key=connector_key)
    operation = connector.operation(operation_key)
    if operation is None:
        raise ApiError(404, "unknown_operation", connector=connector_key, key=operation_key)
    return connector, operation


# ---- auth kinds ------------------------------------------------------------------------------------------------------
@dataclass
class Request:
    method: str
    url: str
    params: dict
    headers: dict
    content: bytes | None


class AuthKind:
    key: ClassVar[str]

    async def apply(self, auth, request: Request, secret: str, session: "_Session") -> None:
        """Add what the remote side checks to an outbound request."""

    def verify(self, auth, headers, body: bytes, secret: str) -> bool:
        """An inbound call carries what this auth asks for."""
        return False

    def forget(self, auth, session: "_Session") -> None:
        """The remote side refused the credentials: drop anything cached."""


class HeaderAuth(AuthKind):
    key = "header"

    async def apply(self, auth, request, secret, session):
        request.headers[auth.name] = auth.prefix + secret

    def verify(self, auth, headers, body, secret):
        return hmac.compare_digest((headers.get(auth.name) or "").encode(), (auth.prefix + secret).encode())


class HmacAuth(AuthKind):
    key = "hmac"

    async def apply(self, auth, request, secret, session):
        request.headers[auth.header] = digest(secret, request.content or b"", auth.algorithm, auth.encoding)

    def verify(self, auth, headers, body, secret):
        given = headers.get(auth.header)
        return bool(given) and digest_matches(secret, body, given, auth.algorithm, auth.encoding)


_TOKENS: dict[tuple, tuple[str, float]] = {}  # (database, app, connector, client id) → (token, expires at)


class OAuth2ClientCredentials(AuthKind):
    key = "oauth2_client_credentials"

    async def apply(self, auth, request, secret, session):
        cache_key = (session.database, session.schema.app_id, session.connector.key, auth.client_id)
        token, expires = _TOKENS.get(cache_key, ("", 0.0))
        if not token or expires <= time.time():
            form = {"grant_type": "client_credentials", "client_id": auth.client_id, "client_secret": secret}
            if auth.scope:
                form["scope"] = auth.scope
            try:
                response = await session.http.post(auth.token_url, data=form, timeout=20)
            except httpx.HTTPError as e:
                raise ConnectorError("connector_unreachable", connector=session.connector.key, error=str(e)) from e
            answer = response.json() if response.is_success else {}
            if not answer.get("access_token"):
                raise ConnectorError("connector_refused", retryable=response.status_code >= 500,
                                     connector=session.connector.key, operation="token", status=response.status_code)
            token = answer["access_token"]
            lifetime = float(answer.get("expires_in") or 3600)
            _TOKENS[cache_key] = (token, time.time() + max(0.0, lifetime - 60))  # renewed a minute early
        request.headers["Authorization"] = f"Bearer {token}"

    def forget(self, auth, session):
        _TOKENS.pop((session.database, session.schema.app_id, session.connector.key, auth.client_id), None)


AUTH_KINDS: Registry[AuthKind] = Registry("connector auth")
for _kind in (HeaderAuth(), HmacAuth(), OAuth2ClientCredentials()):
    AUTH_KINDS.register(_kind)


# ---- one call --------------------------------------------------------------------------------------------------------
@dataclass
class _Session:
    conn_or_engine: AsyncConnection | AsyncEngine
    schema: AppSchema
    connector: ConnectorDef
    settings: Settings
    http: httpx.AsyncClient

    @property
    def database(self) -> str:
        engine = self.conn_or_engine if isinstance(self.conn_or_engine, AsyncEngine) else self.conn_or_engine.engine
        return str(engine.url)

    async def run(self, work):
        """`work(conn)` on the caller's connection, or in a short transaction of its own."""
        if isinstance(self.conn_or_engine, AsyncConnection):
            return await work(self.conn_or_engine)
        async with self.conn_or_engine.begin() as conn:
            return await work(conn)


async def call(conn_or_engine: AsyncConnection | AsyncEngine, schema: AppSchema, connector_key: str,
               operation_key: str, scope: dict, *, form: str | None = None, settings: Settings | None = None,
               http: httpx.AsyncClient | None = None, idempotency_key: str | None = None,
               user_id: int | None = None) -> dict:
    """Send one operation. `scope` is what its mappings read (a record's values by field key, variables); with
    `form` (or the operation's own) and an `id` in the scope, the record is re-read with the linked values the
    mappings reach (`customer.phone`). The answer's mapping lands in "values"; an operation with `write` writes
    records from the answer through the validated path (each item on its own; refusals are logged).

    Returns {"ok", "status", "body", "values", "written", "refused"}; a 4xx/5xx is an answer (ok False).
    Raises ConnectorError when there is no answer (network, rate limit, credentials refused) and ApiError for an
    unknown connector, operation or secret. On a connection, everything runs in the caller's transaction."""
    connector, operation = definition(schema, connector_key, operation_key)
    settings = settings or Settings.from_env()
    own_client = http is None
    http = http or httpx.AsyncClient(timeout=30, follow_redirects=False)
    session = _Session(conn_or_engine, schema, connector, settings, http)
    try:
        values = await session.run(lambda conn: _scope_values(conn, schema, operation, scope, form))
        ctx = EvalContext(utcnow(), settings.tz, user_id)
        status, body = await _send(session, operation, Evaluator(values, ctx), idempotency_key)
    finally:
        if own_client:
            await http.aclose()
    ok = 200 <= status < 300
    mapped = Evaluator({**values, "response": body}, ctx, document=body).build(operation.response) if ok else {}
    result = {"ok": ok, "status": status, "body": body, "values": jsonable(mapped), "written": 0, "refused": 0}
    if ok and operation.write is not None:
        counts = await session.run(lambda conn: apply_write(conn, schema, connector.key, operation_key, operation,
                                                            body, settings.tz, user_id, all_or_nothing=False))
        result.update(counts)
    return result


async def _send(session: _Session, operation: OperationDef, values: Evaluator,
                idempotency_key: str | None) -> tuple[int, Any]:
    connector = session.connector
    try:
        request = _request(connector, operation, values)
    except (MappingError, ExprError) as e:
        raise ConnectorError("mapping_expression", retryable=False, spec=getattr(e, "params", {}).get("spec", ""),
                             error=str(e)) from e
    key = text(values.value(operation.idempotency_key)) if operation.idempotency_key else idempotency_key
    if key:
        request.headers["Idempotency-Key"] = key
    auth = connector.auth
    secret = await session.run(lambda conn: read_secret(conn, session.settings.secret_key, auth.secret)) if auth else ""
    response = await _send_once(session, request, operation, secret)
    if response.status_code == 401 and auth is not None and auth.type == "oauth2_client_credentials":
        AUTH_KINDS.get(auth.type).forget(auth, session)  # the cached token was revoked early: one fresh try
        response = await _send_once(session, request, operation, secret)
    return response.status_code, _body_of(response)


async def _send_once(session: _Session, request: Request, operation: OperationDef, secret: str) -> httpx.Response:
    await _take_slot(session)
    auth = session.connector.auth
    if auth is not None:
        await AUTH_KINDS.get(auth.type).apply(auth, request, secret, session)
    try:
        return await session.http.request(request.method, request.url, params=request.params,
                                          headers=request.headers, content=request.content,
                                          timeout=operation.timeout_seconds)
    except httpx.HTTPError as e:
        raise ConnectorError("connector_unreachable", connector=session.connector.key,
                             error=f"{type(e).__name__}: {e}") from e


def _request(connector: ConnectorDef, operation: OperationDef, values: Evaluator) -> Request:
    url = connector.base_url.rstrip("/") + values.render(operation.path)
    params = {}
    for key, spec in operation.query.items():
        value = values.value(spec)
        if value is not None:
            params[key] = text(value)
    headers = {key: values.render(template) for key, template in operation.headers.items()}
    content = None
    if operation.body is not None:
        content = json.dumps(jsonable(values.build(operation.body)), ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    return Request(operation.method, url, params, headers, content)


def _body_of(response: httpx.Response) -> Any:
    raw = response.text[:1_000_000]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def _take_slot(session: _Session) -> None:
    """One call in the connector's current window, counted in one row every process shares; a full window waits
    for the next (up to MAX_RATE_WAIT, then the call fails retryably)."""
    limit = session.connector.rate_limit
    if limit is None:
        return
    seconds, allowed = limit.window
    waited = 0.0
    while True:
        now = time.time()
        window = int(now // seconds) * seconds
        calls = await session.run(lambda conn: _count_call(conn, session.schema.app_id, session.connector.key, window))
        if calls <= allowed:
            return
        pause = window + seconds - now + 0.001
        if waited + pause > MAX_RATE_WAIT:
            raise ConnectorError("connector_rate_limited", connector=session.connector.key)
        await asyncio.sleep(pause)
        waited += pause


async def _count_call(conn: AsyncConnection, app_id: int, connector: str, window: int) -> int:
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    table = connector_windows
    statement = make(table).values(app_id=app_id, connector=connector, window_start=window, calls=1)
    statement = statement.on_conflict_do_update(index_elements=["app_id", "connector"], set_={
        "calls": case((table.c.window_start == window, table.c.calls + 1), else_=1), "window_start": window})
    return (await conn.execute(statement.returning(table.c.calls))).scalar_one()


# ---- the scope mappings read -----------------------------------------------------------------------------------------
async def _scope_values(conn: AsyncConnection, schema: AppSchema, operation: OperationDef, scope: dict,
                        form: str | None) -> dict:
    form = form or operation.form
    record_id = scope.get("id") if isinstance(scope, dict) else None
    if form is None or not isinstance(record_id, int) or schema.form(form) is None:
        return dict(scope or {})
    from runtime.expressions import record_envs

    env = (await record_envs(conn, schema, form, [record_id], _paths(operation))).get(record_id, {})
    return {**scope, **env}


def _paths(operation: OperationDef) -> set[tuple[str, ...]]:
    """Field paths the outbound mappings read, so linked records and sub-table rows are loaded. Inside `each`, a
    name may be the item's (a sub-table row's) or the record's: both are loaded where they exist."""
    pairs: list[tuple[tuple[str, ...], str]] = []

    def mapping(specs: dict, prefix: tuple[str, ...]) -> None:
        for spec in specs.values():
            if isinstance(spec, EachDef):
                pairs.append((prefix, spec.each))
                mapping(spec.map, prefix if is_path(spec.each) else prefix + tuple(spec.each.split(".")))
            else:
                pairs.append((prefix, spec))

    mapping(operation.body or {}, ())
    pairs += [((), spec) for spec in [*operation.query.values(), *([operation.idempotency_key] * bool(
        operation.idempotency_key))]]
    pairs += [((), p.strip()) for t in [operation.path, *operation.headers.values()] for p in _PLACEHOLDER.findall(t)]
    found: set[tuple[str, ...]] = set()
    for prefix, spec in pairs:
        if is_path(spec):
            continue
        try:
            node = parse(spec)
        except ExprError:
            continue
        for name in (n for n in walk(node) if isinstance(n, Name)):
            found.add(tuple(name.path))
            if prefix:
                found.add(prefix + tuple(name.path))
    return found


# ---- records from a document (a pulled answer, an inbound payload) ---------------------------------------------------
async def apply_write(conn: AsyncConnection, schema: AppSchema, connector: str, operation_key: str,
                      operation: OperationDef, document: Any, tz, user_id: int | None = None,
                      all_or_nothing: bool = True) -> dict:
    """The operation's `write` over the document's items, through RecordWriter (validation, permissions as the
    system, audit, rules, flows). `all_or_nothing`: one refused item refuses all (ProblemsError, paths under
    /items/i); otherwise each item in a savepoint and refusals logged. → {"written", "refused"}."""
    from runtime.write import RecordWriter

    write = operation.write
    form = schema.form(write.form)
    writer = RecordWriter(conn, schema, Context(tz=tz), user_id)
    ctx = EvalContext(utcnow(), tz, user_id)
    items = items_of(document, write.items)
    written, refused, problems = 0, 0, []
    for i, item in enumerate(items):
        values = Evaluator(item if isinstance(item, dict) else {"value": item}, ctx, document=item)
        try:
            mapped = {key: values.value(spec) for key, spec in write.values.items()}
            if all_or_nothing:
                await _write_one(conn, writer, form, write, mapped)
            else:
                async with conn.begin_nested():
                    await _write_one(conn, writer, form, write, mapped)
            written += 1
        except (ProblemsError, ApiError, MappingError) as e:
            found = _problems_of(e)
            if all_or_nothing:
                problems += [p.under(f"/items/{i}") for p in found]
                continue
            refused += 1
            await log_event(conn, schema.app_id, connector, operation_key, "error", "record_refused",
                            detail={"item": jsonable(item), "problems": [_plain(p) for p in found]})
    if problems:
        raise ProblemsError(problems)
    return {"written": written, "refused": refused}


async def _write_one(conn, writer, form, write, mapped: dict) -> None:
    record_id = None
    if write.match is not None:
        store = form.fields[write.match]
        try:
            key = coerce_value(store.field, mapped.get(write.match), writer.ctx)
        except FieldError as e:
            raise ProblemsError([Problem(pointer(write.match), e.code, e.params)]) from e
        if key is None:
            raise ProblemsError([Problem(pointer(write.match), "required")])
        record_id = (await conn.execute(select(form.table.c.id).where(store.column == key).limit(1))).scalar()
    if record_id is None:
        if write.mode == "update":
            raise ApiError(404, "not_found", what=f"{form.key} {write.match} = {mapped.get(write.match)!r}")
        await writer.create(form.key, mapped)
    elif write.mode == "create":
        raise ProblemsError([Problem(pointer(write.match), "duplicate_value", {"value": mapped.get(write.match)})])
    else:
        await writer.update(form.key, record_id, mapped, None)


def _problems_of(error: Exception) -> list[Problem]:
    if isinstance(error, ProblemsError):
        return list(error.problems)
    if isinstance(error, MappingError):
        return [Problem("", error.code, error.params)]
    return [Problem("", error.code, error.params), *error.details]


def _plain(problem: Problem) -> dict:
    return {"path": problem.path, "code": problem.code, "message": problem.message("zh-CN"),
            "message_en": problem.message("en")}


async def log_event(conn: AsyncConnection, app_id: int, connector: str, operation: str, level: str, code: str,
                    message: str | None = None, detail: Any = None) -> None:
    await conn.execute(insert(integration_log).values(app_id=app_id, connector=connector, operation=operation,
                                                      at=utcnow().replace(tzinfo=None), level=level, code=code,
                                                      message=message, detail=detail))


# ---- inbound ---------------------------------------------------------------------------------------------------------
async def verify_inbound(conn: AsyncConnection, settings: Settings, connector: ConnectorDef, headers,
                         body: bytes) -> bool:
    auth = connector.auth
    if auth is None:
        return False
    secret = await read_secret(conn, settings.secret_key, auth.secret)
    return AUTH_KINDS.get(auth.type).verify(auth, headers, body, secret)


def parse_payload(body: bytes, content_type: str) -> Any:
    """JSON, or XML (WeCom and WeChat callbacks, once decrypted): elements as keys, text as values."""
    try:
        if "xml" in content_type.lower():
            return _xml_value(ElementTree.fromstring(body))
        return json.loads(body or b"null")
    except (ValueError, ElementTree.ParseError) as e:
        raise ApiError(400, "bad_payload", error=str(e)[:200]) from e


def _xml_value(element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    out: dict = {}
    for child in children:
        value = _xml_value(child)
        if child.tag in out:  # repeated elements become a list
            out[child.tag] = [*out[child.tag], value] if isinstance(out[child.tag], list) else [out[child.tag], value]
        else:
            out[child.tag] = value
    return out


def customer_events(operation: OperationDef, document: Any, ctx: EvalContext) -> list[dict]:
    """The operation's `events` mapping over the payload: the event dicts runtime.customer_events.ingest takes."""
    spec = operation.events
    events = []
    for item in items_of(document, spec.items):
        values = Evaluator(item if isinstance(item, dict) else {"value": item}, ctx, document=item)
        occurred = values.value(spec.occurred_at) if spec.occurred_at else None
        event = {
            "type": text(values.value(spec.type)),
            "occurred_at": _moment(occurred, ctx),
            "identities": {k: text(v) for k, v in ((k, values.value(s)) for k, s in spec.identities.items())
                           if v not in (None, "")},
            "profile": jsonable({k: values.value(s) for k, s in spec.profile.items()}),
            "data": jsonable({k: values.value(s) for k, s in spec.data.items()}),
        }
        if spec.id is not None and values.value(spec.id) not in (None, ""):
            event["id"] = text(values.value(spec.id))
        events.append(event)
    return events


def _moment(value: Any, ctx: EvalContext) -> str:
    """An event's time as ISO text: unix seconds (WeCom's CreateTime) or text as given; now when absent."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(float(value), timezone.utc).isoformat()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else ctx.now.isoformat()


async def ingest_events(conn: AsyncConnection, schema: AppSchema, channel: str, events: list[dict]) -> dict:
    """Hand events to the customer-event store (runtime.customer_events, when installed)."""
    if importlib.util.find_spec("runtime.customer_events") is None:
        raise ApiError(501, "customer_events_unavailable")
    from runtime.customer_events import ingest

    result = await ingest(conn, schema, channel, events)
    rejected = [{**r, "problems": [_plain(p) for p in r.get("problems", [])]} for r in result.get("rejected", [])]
    return {**result, "rejected": rejected}


# ---- through the job queue -------------------------------------------------------------------------------------------
async def enqueue_call(conn: AsyncConnection, schema: AppSchema, connector_key: str, operation_key: str, scope: dict,
                       *, form: str | None = None, user_id: int | None = None, dedupe_key: str | None = None,
                       reply: dict | None = None) -> int | None:
    """`call` later, from the job queue, in the caller's transaction (the job exists iff the caller's writes
    commit): retried with backoff on no answer, 5xx, 408/425/429; the same Idempotency-Key on every attempt."""
    definition(schema, connector_key, operation_key)  # an unknown key fails now, in the caller's request
    payload = {"app": schema.app_id, "version": schema.version, "connector": connector_key,
               "operation": operation_key, "scope": jsonable(scope), "form": form, "user": user_id}
    if reply is not None:
        payload["reply"] = reply
    return await enqueue(conn, CALL_JOB, payload, dedupe_key=dedupe_key)


_SCHEMAS: dict[tuple[str, int, int], AppSchema] = {}


async def _schema(engine: AsyncEngine, app_id: int, version: int) -> AppSchema:
    key = (str(engine.url), app_id, version)
    if key not in _SCHEMAS:
        async with engine.connect() as conn:
            app_key = (await conn.execute(select(apps.c.key).where(apps.c.id == app_id))).scalar_one()
            _SCHEMAS[key] = await load_schema(conn, app_id, app_key, version)
    return _SCHEMAS[key]


async def _call_from_job(ctx: JobContext, payload: dict) -> dict | None:
    """The call a job makes; None when it gave up for good (logged). Raises to be retried."""
    schema = await _schema(ctx.engine, payload["app"], payload["version"])
    last = ctx.attempt >= JOBS.get(ctx.kind).max_attempts
    connector, operation = payload["connector"], payload["operation"]
    try:
        result = await call(ctx.engine, schema, connector, operation, payload.get("scope") or {},
                            form=payload.get("form"), settings=ctx.settings, http=ctx.http,
                            idempotency_key=ctx.idempotency_key, user_id=payload.get("user"))
    except ConnectorError as e:
        if e.retryable and not last:
            raise
        return await _give_up(ctx, schema, connector, operation, e.code, e.params, 0, str(e))
    except ApiError as e:  # a secret not set: nothing a retry changes until an admin acts
        return await _give_up(ctx, schema, connector, operation, e.code, e.params, 0, e.code)
    status = result["status"]
    if not result["ok"]:
        if (status >= 500 or status in RETRYABLE_STATUS) and not last:
            raise RuntimeError(f"HTTP {status} from connector {connector!r} ({operation})")
        params = {"connector": connector, "operation": operation, "status": status}
        await _give_up(ctx, schema, connector, operation, "connector_refused", params, status,
                       json.dumps(result["body"], ensure_ascii=False)[:2000] if result["body"] is not None else "")
    return result


async def _give_up(ctx: JobContext, schema, connector: str, operation: str, code: str, params: dict, status: int,
                   message: str) -> None:
    """No retry will help (or none is left): the connector's log says why."""
    async with ctx.engine.begin() as conn:
        await log_event(conn, schema.app_id, connector, operation, "error", code, message,
                        detail={"status": status, "job": ctx.job_id, **jsonable(params)})
    return None


@job(CALL_JOB, max_attempts=8, timeout=150, transactional=False, backoff_base=10)
async def _connector_job(ctx: JobContext, payload: dict) -> None:
    result = await _call_from_job(ctx, payload)
    if result is None or not result["ok"]:  # logged in the connector's log; the job stays dead for the record
        raise PermanentError(f"connector {payload['connector']!r} gave no usable answer "
                             f"(HTTP {result['status'] if result else 0})")


async def flow_call(ctx: JobContext, payload: dict) -> None:
    """The `flow_http` job of an http_request node that names a connector and waits: the mapped answer (or status
    0 after the last attempt) goes back to the instance as HttpResponse and picks its edge."""
    from engines.flow import HttpResponse
    from runtime.flows import apply_event

    result = await _call_from_job(ctx, payload)
    status, values = (result["status"], result["values"]) if result is not None else (0, {})
    reply = payload["reply"]
    async with ctx.engine.begin() as conn:
        await apply_event(conn, reply["instance"], HttpResponse(utcnow(), reply["request"], status, values),
                          ctx.settings.tz)


async def enqueue_flow_call(run, item) -> None:
    """An http_request node's effect with a connector: a connector_call job, or a flow_http job when it waits."""
    from runtime.flows import HTTP_JOB

    form = run.state.instance.form
    scope = jsonable(item.scope or {})
    if item.wait:
        payload = {"app": run.schema.app_id, "version": run.schema.version, "connector": item.connector,
                   "operation": item.operation, "scope": scope, "form": form, "user": run.initiator,
                   "reply": {"instance": run.instance_id, "request": item.request}}
        await enqueue(run.conn, HTTP_JOB, payload, dedupe_key=f"flow-http:{run.instance_id}:{item.request}")
    else:
        await enqueue_call(run.conn, run.schema, item.connector, item.operation, scope, form=form,
                           user_id=run.initiator)

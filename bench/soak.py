"""Concurrency soak: the SCRM app on PostgreSQL behind `nocode serve --workers 4` with 2 `nocode worker` processes
running every job, under minutes of mixed load from concurrent clients signed in as users with the app's roles —
customer, lead and order creates, PATCHes with the version (some deliberately stale), flash-sale orders against a
product with little stock, refunds whose approval flow the service and finance users decide through the task API,
sales users filling in lead tasks, report and dashboard reads — while the flows' timers (shortened from hours and
days to seconds) fall due. Afterwards the invariants are checked with SQL on the database."""
from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from bench.server import APP, TEMPLATE, Deployment, app_schema

SECTION = "## Soak"
SOAK_SECONDS = 300.0
API_WORKERS, JOB_WORKERS = 4, 2
DEMO_SCALE = 0.1
PASSWORD = "Soak-Passw0rd1"
USERS = {"operator": 2, "service": 2, "finance": 1, "sales": 2}
HOT_RECORDS = 8  # customers every patcher competes for: version conflicts happen by themselves too
REFUND_AMOUNTS = (50, 500, 1500)  # auto-approved; service approves; service then finance
SHORTER = {"PT15M": "PT20S", "P3D": "PT50S", "PT4H": "PT30S", "P1D": "PT30S", "P2D": "PT20S", "PT2H": "PT20S"}
TIMED_FLOWS = ("welcome_sop", "coupon_reminder", "lead_assignment", "refund_approval")
LONGEST_TIMER = 60  # seconds from the last write of the load to the last timer it leads to (welcome: 20 s + 30 s)
DRAIN_SECONDS = 120  # after the load: how long due timers may take to fire
SOLD_OUT = "已售罄"


def rejected(record_id: int) -> bool:
    """The approvers' decision for a refund, so the expected outcome is known: every fourth is refused."""
    return record_id % 4 == 0


def soak_template() -> dict:
    """The SCRM template with its flows' timers shortened to seconds, so they fall due during the run."""
    doc = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    for flow in doc["flows"]:
        if flow["key"] in TIMED_FLOWS:
            for node in flow["nodes"]:
                if node.get("duration") in SHORTER:
                    node["duration"] = SHORTER[node["duration"]]
                for timeout in node.get("timeout", []):
                    timeout["after"] = SHORTER.get(timeout["after"], timeout["after"])
    return doc


@dataclass
class Tally:
    """What the clients saw and what they had accepted: the expectations the invariants are checked against."""
    requests: Counter = field(default_factory=Counter)  # kind → count
    refusals: Counter = field(default_factory=Counter)  # (kind, error code) → count, the expected 409s
    unexpected: Counter = field(default_factory=Counter)  # (kind, status, code) → count
    server_errors: list = field(default_factory=list)  # (kind, status, body)
    samples: dict = field(default_factory=dict)  # (kind, status, code) → first body, to explain an unexpected answer
    transport_errors: Counter = field(default_factory=Counter)
    patches: Counter = field(default_factory=Counter)  # customer id → accepted PATCHes
    stale_accepted: int = 0  # deliberately stale PATCHes answered 2xx: a lost update
    created: dict = field(default_factory=dict)  # form → ids answered 201
    flash_sold: dict = field(default_factory=dict)  # order id → qty
    refunds: dict = field(default_factory=dict)  # after_sale id → (order id, amount)
    decided: Counter = field(default_factory=Counter)  # (user id, action) → task actions answered 200

    def note(self, kind: str, response: httpx.Response, expected: tuple[int, ...], refusable: bool) -> None:
        self.requests[kind] += 1
        status = response.status_code
        if status in expected:
            return
        code = _code(response)
        if status >= 500:
            self.server_errors.append((kind, status, response.text[:300]))
        elif status == 409 and refusable:
            self.refusals[(kind, code)] += 1
        else:
            self.unexpected[(kind, status, code)] += 1
            self.samples.setdefault((kind, status, code), response.text[:300])


def _code(response: httpx.Response) -> str:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return "-"


class Client:
    """One signed-in user's connection; every answer is tallied under its kind."""

    def __init__(self, deployment: Deployment, token: str, user_id: int, tally: Tally):
        self.user_id, self.tally = user_id, tally
        self.http = httpx.AsyncClient(base_url=deployment.base_url, timeout=120,
                                      headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})

    async def call(self, kind: str, method: str, url: str, expected: tuple[int, ...] = (200,), refusable=False,
                   **kwargs) -> httpx.Response | None:
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            self.tally.transport_errors[f"{kind}: {type(e).__name__}"] += 1
            return None
        self.tally.note(kind, response, expected, refusable)
        return response

    async def create(self, kind: str, form: str, values: dict, refusable=False) -> dict | None:
        response = await self.call(kind, "POST", f"/api/apps/{APP}/forms/{form}/records", (201,), refusable,
                                   json=values)
        if response is None or response.status_code != 201:
            return None
        record = response.json()
        self.tally.created.setdefault(form, []).append(record["id"])
        return record


@dataclass
class Shop:
    """The records the load works on, made before the clock starts."""
    flash: int  # product id with little stock
    flash_stock: int
    plenty: int  # product id that never sells out
    hot: list[int]  # customers the patchers fight over
    buyers: list[int]  # demo customers who place orders


class Soak:
    def __init__(self, deployment: Deployment, seconds: float, log):
        self.d, self.seconds, self.log = deployment, seconds, log
        self.tally = Tally()
        self.clients: dict[str, list[Client]] = {}
        self.phones = iter(range(random.randrange(10**7), 10**8))

    # ---- set-up ------------------------------------------------------------------------------------------------
    async def users(self) -> None:
        """Users with the app's roles, created and granted through the admin API, each signed in."""
        admin = Client(self.d, self.d.admin_token, 1, self.tally)
        self.clients["admin"] = [admin]
        for role, count in USERS.items():
            for i in range(1, count + 1):
                username = f"soak_{role}{i}"
                response = await admin.call("set-up", "POST", "/api/admin/users", (201,),
                                            json={"username": username, "password": PASSWORD, "name": username})
                response.raise_for_status()
                user_id = response.json()["id"]
                (await admin.call("set-up", "POST", f"/api/admin/users/{user_id}/roles",
                                  json={"app": APP, "role": role})).raise_for_status()
                token = await asyncio.to_thread(self.d.login, username, PASSWORD)
                self.clients.setdefault(role, []).append(Client(self.d, token, user_id, self.tally))

    async def shop(self) -> Shop:
        op = self.clients["operator"][0]
        flash_stock = max(20, round(self.seconds / 3))
        flash = await op.create("set-up", "product", {"sku": "SOAK-FLASH", "name": "秒杀：阳光玫瑰葡萄 2 斤",
                                                      "category": "水果", "price": 99, "on_sale": True})
        plenty = await op.create("set-up", "product", {"sku": "SOAK-PLENTY", "name": "东北大米 10kg",
                                                       "category": "粮油", "price": 59, "on_sale": True})
        for product, qty in ((flash, flash_stock), (plenty, 1_000_000)):  # the warehouse's form: as the admin
            await self.clients["admin"][0].create("set-up", "stock_move", {"product": product["id"], "kind": "purchase_in", "qty": qty})
        hot = [(await self.new_customer(op, "set-up", f"热点客户{i}", note="soak:0"))["id"] for i in range(HOT_RECORDS)]
        listed = await op.call("set-up", "GET", f"/api/apps/{APP}/forms/customer/records",
                               params={"page_size": 200, "filter": "NOT ISBLANK(phone)"})
        buyers = [c["id"] for c in listed.json()["items"] if c["id"] not in hot]
        return Shop(flash["id"], flash_stock, plenty["id"], hot, buyers)

    async def new_customer(self, client: Client, kind: str, name: str, **values) -> dict | None:
        return await client.create(kind, "customer", {"name": name, "phone": f"197{next(self.phones):08d}",
                                                      "source": "社群", **values})

    # ---- the clients -------------------------------------------------------------------------------------------
    async def until(self, work, pause: tuple[float, float] = (0.0, 0.2)) -> None:
        while time.monotonic() < self.deadline:
            await work()
            await asyncio.sleep(random.uniform(*pause))

    def creator(self, client: Client, shop: Shop):
        """New customers (welcome flow: task, notice, two timers), leads (SLA timers) and ordinary orders."""
        kinds = iter(range(10**9))

        async def work():
            n = next(kinds) % 3
            if n == 0:
                await self.new_customer(client, "create customer", f"新客{random.randrange(10**6)}")
            elif n == 1:
                await client.create("create lead", "lead", {"name": f"线索{random.randrange(10**6)}",
                                                            "phone": f"196{next(self.phones):08d}",
                                                            "source": random.choice(["广告", "直播", "官网"])})
            else:
                qty = random.randint(1, 3)
                await client.create("create order", "order", {
                    "customer": random.choice(shop.buyers), "amount": 59 * qty,
                    "lines": [{"product": shop.plenty, "qty": qty, "price": 59}]})
        return work

    def patcher(self, client: Client, shop: Shop):
        """Read a hot customer, then PATCH its counter with the version read (one in five deliberately with an
        older version, which must be refused)."""
        async def work():
            record_id = random.choice(shop.hot)
            url = f"/api/apps/{APP}/forms/customer/records/{record_id}"
            got = await client.call("read before patch", "GET", url)
            if got is None or got.status_code != 200:
                return
            record = got.json()
            count = int(record["note"].split(":")[1])
            stale = record["version"] > 1 and random.random() < 0.2
            kind = "patch (stale version)" if stale else "patch"
            response = await client.call(kind, "PATCH", url, refusable=True, json={
                "note": f"soak:{count + 1}", "version": record["version"] - 1 if stale else record["version"]})
            if response is not None and response.status_code == 200:
                self.tally.patches[record_id] += 1
                self.tally.stale_accepted += stale
        return work

    def flash_buyer(self, client: Client, shop: Shop):
        async def work():
            record = await client.create("flash-sale order", "order", {
                "customer": random.choice(shop.buyers), "amount": 99,
                "lines": [{"product": shop.flash, "qty": 1, "price": 99}]}, refusable=True)
            if record is not None:
                self.tally.flash_sold[record["id"]] = 1
        return work

    def refunder(self, client: Client):
        """Refunds of sold flash-sale orders, each starting the approval flow (amount decides the path)."""
        done: set[int] = set()
        amounts = iter(range(10**9))

        async def work():
            waiting = [o for o in self.tally.flash_sold if o not in done]
            if not waiting:
                return
            order = random.choice(waiting)
            done.add(order)
            amount = REFUND_AMOUNTS[next(amounts) % len(REFUND_AMOUNTS)]
            record = await client.create("refund request", "after_sale", {
                "order": order, "kind": "refund", "amount": amount, "reason": "压测：客户申请退款"})
            if record is not None:
                self.tally.refunds[record["id"]] = (order, amount)
        return work

    def decider(self, client: Client, flow: str):
        """An approver (or a sales user filling in a lead) working through their inbox. Two service users hold a
        task each for one refund; the one who acts second is refused (409)."""
        async def work():
            inbox = await client.call("task inbox", "GET", "/api/tasks", params={"box": "todo", "page_size": 20})
            if inbox is None or inbox.status_code != 200:
                return
            for task in (t for t in inbox.json()["items"] if t["flow"] == flow and t["status"] == "pending"):
                if flow == "lead_assignment":
                    if task["record_id"] % 2:  # the odd ones are left to time out (remind, then escalate)
                        continue
                    body = {"action": "submit", "values": {
                        "first_contact_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "stage": "需求确认"}}
                else:
                    body = {"action": "reject" if rejected(task["record_id"]) else "approve", "comment": "压测审批"}
                response = await client.call("task action", "POST", f"/api/tasks/{task['id']}/actions",
                                             refusable=True, json=body)
                if response is not None and response.status_code == 200:
                    self.tally.decided[(client.user_id, body["action"])] += 1
        return work

    def reader(self, client: Client):
        reads = [("report read", f"/api/apps/{APP}/reports/{key}/data", None)
                 for key in ("gmv_by_month", "hot_products", "leader_ranking", "daily_sales")]
        reads += [("dashboard read", f"/api/apps/{APP}/dashboards/main", None),
                  ("list read", f"/api/apps/{APP}/forms/order/records",
                   {"filter": "status = 'refunded'", "page_size": 20})]

        async def work():
            kind, url, params = random.choice(reads)
            await client.call(kind, "GET", url, params=params)
        return work

    async def run(self) -> Shop:
        await self.users()
        shop = await self.shop()
        c = self.clients
        operators, service, finance, sales = c["operator"], c["service"], c["finance"], c["sales"]
        actors = [self.until(self.creator(operators[0], shop)), self.until(self.creator(operators[1], shop)),
                  *(self.until(self.patcher(operators[i % 2], shop)) for i in range(3)),
                  *(self.until(self.flash_buyer(operators[i % 2], shop)) for i in range(3)),
                  self.until(self.refunder(operators[1]), (0.5, 1.0)),
                  *(self.until(self.decider(u, "refund_approval"), (0.3, 0.6)) for u in service + finance),
                  *(self.until(self.decider(u, "lead_assignment"), (0.5, 1.0)) for u in sales),
                  self.until(self.reader(c["admin"][0]), (0.1, 0.4)), self.until(self.reader(operators[1]))]
        self.actors = len(actors)
        self.log(f"soak: {self.actors} concurrent clients for {self.seconds:.0f} s")
        self.started_at = datetime.now(timezone.utc).replace(tzinfo=None)
        self.deadline = time.monotonic() + self.seconds
        await asyncio.gather(*actors)
        for clients in c.values():
            for client in clients:
                await client.http.aclose()
        return shop


# ---- afterwards: the invariants ------------------------------------------------------------------------------------
@dataclass
class Invariant:
    name: str
    holds: bool
    detail: str


@dataclass
class SoakReport:
    seconds: float
    clients: int = 0
    tally: Tally = field(default_factory=Tally)
    invariants: list[Invariant] = field(default_factory=list)
    flash_stock: int = 0
    timers: Counter = field(default_factory=Counter)  # purpose/status → count
    drain_seconds: float = 0.0
    pg_version: str = ""
    load: str = ""


async def drain(conn, load_end: float, log) -> float:
    """Wait until every timer set during the load has come due and none is overdue."""
    started = time.monotonic()
    while True:
        overdue = await conn.fetchval(
            "SELECT (SELECT count(*) FROM flow_timers WHERE status = 'scheduled' "
            "        AND at < (now() AT TIME ZONE 'UTC') - interval '2 seconds')"
            " + (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running') "
            "        AND run_at < (now() AT TIME ZONE 'UTC') - interval '2 seconds')")
        if time.monotonic() > load_end + LONGEST_TIMER and overdue == 0:
            return time.monotonic() - started
        if time.monotonic() - started > DRAIN_SECONDS + LONGEST_TIMER:
            log(f"  {overdue} timers or jobs still overdue after {DRAIN_SECONDS + LONGEST_TIMER} s")
            return time.monotonic() - started
        await asyncio.sleep(1)


def _log_count(path, test) -> int:
    count = 0
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            count += bool(test(entry))
    return count


async def check(conn, d: Deployment, schema, soak: Soak, shop: Shop, report: SoakReport) -> list[Invariant]:
    tally, since = soak.tally, soak.started_at
    found: list[Invariant] = []

    # no 5xx, seen by the clients or logged by the API processes
    logged = _log_count(d.log_path(), lambda e: e.get("logger") == "nocode.requests" and e.get("status", 0) >= 500)
    worker_errors = sum(_log_count(d.log_path(f"worker{i + 1}"), lambda e: e.get("level") in ("error", "critical"))
                        for i in range(JOB_WORKERS))
    dropped = sum(tally.transport_errors.values())
    found.append(Invariant("no 5xx", not tally.server_errors and not logged and not dropped,
                           f"{len(tally.server_errors)} answered, {logged} in the API log, {dropped} connections "
                           f"dropped; {worker_errors} errors in the worker logs"))

    # no lost update: each hot customer's counter and audit trail show every accepted PATCH, and nothing else
    customer = schema.form("customer")
    note = customer.fields["note"].column.name
    rows = await conn.fetch(f"SELECT id, version, {note} AS note FROM {customer.table.name} WHERE id = ANY($1)",
                            shop.hot)
    audits = dict(await conn.fetch(
        "SELECT record_id, count(*) FROM audit_log WHERE app_id = $1 AND form = 'customer' AND action = 'update' "
        "AND record_id = ANY($2) GROUP BY record_id", schema.app_id, shop.hot))
    patched = dict(await conn.fetch(
        "SELECT record_id, count(*) FROM audit_log WHERE app_id = $1 AND form = 'customer' AND action = 'update' "
        "AND record_id = ANY($2) AND detail->'changes' ? 'note' GROUP BY record_id", schema.app_id, shop.hot))
    wrong = [r["id"] for r in rows if r["note"] != f"soak:{tally.patches[r['id']]}"
             or patched.get(r["id"], 0) != tally.patches[r["id"]] or r["version"] != 1 + audits.get(r["id"], 0)]
    found.append(Invariant("no lost update", not wrong and not tally.stale_accepted,
                           f"{sum(tally.patches.values()):,} accepted PATCHes on {len(shop.hot)} customers: counter, "
                           f"audit and version agree" + (f" except #{wrong}" if wrong else "")
                           + f"; {tally.stale_accepted} deliberately stale PATCHes accepted"))

    # stock ≥ 0 and what the stock moves and the live orders say, for every product
    product, order, move = schema.form("product"), schema.form("order"), schema.form("stock_move")
    p = {k: product.fields[k].column.name for k in ("received", "sold", "stock")}
    lines = order.fields["lines"].child
    stock = await conn.fetch(
        f"SELECT p.id, p.{p['stock']} AS stock, p.{p['received']} AS received, p.{p['sold']} AS sold, "
        f"  (SELECT coalesce(sum(m.{move.fields['qty'].column.name}), 0) FROM {move.table.name} m "
        f"   WHERE m.{move.fields['product'].column.name} = p.id) AS moved, "
        f"  (SELECT coalesce(sum(l.{lines.fields['qty'].column.name}), 0) FROM {lines.table.name} l "
        f"   JOIN {order.table.name} o ON o.id = l.parent_id "
        f"   WHERE l.{lines.fields['product'].column.name} = p.id "
        f"   AND o.{order.fields['status'].column.name} NOT IN ('cancelled', 'refunded')) AS live "
        f"FROM {product.table.name} p")
    bad = [r["id"] for r in stock if r["stock"] < 0 or r["stock"] != r["received"] - r["sold"]
           or r["received"] != r["moved"] or r["sold"] != r["live"]]
    status = order.fields["status"].column.name
    statuses = dict(await conn.fetch(f"SELECT id, {status} FROM {order.table.name} WHERE id = ANY($1)",
                                     list(tally.flash_sold)))
    flash = next(r for r in stock if r["id"] == shop.flash)
    refunded = sum(1 for s in statuses.values() if s == "refunded")
    flash_ok = flash["sold"] == len(tally.flash_sold) - refunded and flash["received"] == shop.flash_stock
    found.append(Invariant("stock ≥ 0 and consistent with orders", not bad and flash_ok,
                           f"{len(stock)} products: stock = received − sold, received = Σ stock moves, sold = Σ lines "
                           f"of live orders" + (f" fails for #{bad}" if bad else "") + f"; flash sale: "
                           f"{shop.flash_stock} in stock, {len(tally.flash_sold)} orders accepted, {refunded} "
                           f"refunded, sold {flash['sold']:.0f}, left {flash['stock']:.0f}"))

    # refunds: the order is refunded exactly when its after-sale was approved, as the approvers decided
    after = schema.form("after_sale")
    a_status = after.fields["status"].column.name
    decided = dict(await conn.fetch(f"SELECT id, {a_status} FROM {after.table.name} WHERE id = ANY($1)",
                                    list(tally.refunds)))
    order_status = dict(await conn.fetch(f"SELECT id, {status} FROM {order.table.name} WHERE id = ANY($1)",
                                         [o for o, _ in tally.refunds.values()]))
    outcome = Counter(decided.values())
    mismatched = [i for i, (o, amount) in tally.refunds.items()
                  if (decided.get(i) == "approved") != (order_status.get(o) == "refunded")
                  or (decided.get(i) == "approved" and amount > 100 and rejected(i))
                  or (decided.get(i) == "rejected" and not rejected(i))]
    failed_flows = await conn.fetchval("SELECT count(*) FROM flow_instances WHERE status = 'failed'")
    found.append(Invariant("refunds follow the approvals", not mismatched and not failed_flows,
                           f"{len(tally.refunds)} refunds: " + ", ".join(f"{n} {s}" for s, n in sorted(outcome.items()))
                           + f"; {failed_flows} failed flow instances"
                           + (f"; wrong: after-sales #{mismatched[:10]}" if mismatched else "")))

    # every due timer fired, once; only the worker processes ran jobs
    report.timers = Counter({f"{r['purpose']} {r['status']}": r["n"] for r in await conn.fetch(
        "SELECT purpose, status, count(*) AS n FROM flow_timers GROUP BY 1, 2")})
    overdue, waiting = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE at < (now() AT TIME ZONE 'UTC') - interval '2 seconds'), count(*) "
        "FROM flow_timers WHERE status = 'scheduled'")
    waiting -= overdue
    twice = await conn.fetchval(
        "SELECT count(*) FROM (SELECT t.instance_id, t.node, count(*) FILTER (WHERE t.status = 'fired') AS fired, "
        "  (SELECT count(*) FROM flow_history h WHERE h.instance_id = t.instance_id AND h.node = t.node "
        "   AND h.action IN ('waited', 'timeout')) AS effects "
        "  FROM flow_timers t GROUP BY t.instance_id, t.node) x WHERE fired <> effects")
    jobs = {r["status"]: (r["n"], r["retried"]) for r in await conn.fetch(
        "SELECT status, count(*) AS n, count(*) FILTER (WHERE attempts > 1) AS retried FROM jobs "
        "WHERE kind = 'flow_timer' GROUP BY status")}
    dead = dict(await conn.fetch("SELECT kind, count(*) FROM jobs WHERE status = 'dead' GROUP BY kind"))
    roles = Counter(dict(await conn.fetch("SELECT role, count(*) FROM worker_heartbeats GROUP BY role")))
    fired = sum(n for k, n in report.timers.items() if k.endswith(" fired"))
    found.append(Invariant(
        "every due timer fired exactly once",
        not overdue and not twice and not dead and roles["serve"] == 0 and roles["worker"] == JOB_WORKERS,
        f"{fired:,} timers fired, {overdue} overdue ({waiting} not yet due), {twice} (instance, node) pairs whose fired timers and "
        f"their history entries differ; timer jobs " + ", ".join(f"{n:,} {s}" for s, (n, _) in sorted(jobs.items()))
        + f" ({sum(r for _, r in jobs.values())} retried); dead jobs: {dict(dead) or 'none'}; job runners seen: "
        f"{roles['worker']} worker, {roles['serve']} serve"))

    # audit: one create entry per record made since the start (by the clients or by flows), one update entry per
    # accepted PATCH (above), one history entry per task action the clients were told succeeded
    missing = duplicated = made = 0
    for form in (f for f in schema.forms.values() if f.parent is None):
        row = await conn.fetchrow(
            f"SELECT count(*) AS made, count(*) FILTER (WHERE n = 0) AS missing, "
            f"count(*) FILTER (WHERE n > 1) AS duplicated FROM (SELECT t.id, (SELECT count(*) FROM audit_log a "
            f"WHERE a.app_id = $1 AND a.form = $2 AND a.record_id = t.id AND a.action = 'create') AS n "
            f"FROM {form.table.name} t WHERE t.created_at >= $3) x", schema.app_id, form.key, since)
        made, missing, duplicated = made + row["made"], missing + row["missing"], duplicated + row["duplicated"]
    acted = dict(await conn.fetch(
        "SELECT \"by\", count(*) FROM flow_history WHERE task IS NOT NULL AND action <> 'auto_pass' AND at >= $1 "
        "GROUP BY \"by\"", since))
    said = Counter()
    for (user, _action), n in tally.decided.items():
        said[user] += n
    unrecorded = {u: n for u, n in said.items() if acted.get(u, 0) != n}
    accepted = sum(len(ids) for ids in tally.created.values())
    found.append(Invariant("audit complete", not missing and not duplicated and not unrecorded,
                           f"{made:,} records created during the run ({accepted:,} by the clients, the rest by flows): "
                           f"{missing} without a create entry, {duplicated} with more than one; "
                           f"{sum(said.values())} task actions, "
                           + (f"history differs for users {unrecorded}" if unrecorded else "each in the flow history")))
    return found


async def run_soak(pg_url: str, seconds: float = SOAK_SECONDS, log=print) -> SoakReport:
    import asyncpg

    report = SoakReport(seconds)
    log(f"soak: SCRM app (demo scale {DEMO_SCALE}, timers shortened) behind `nocode serve --workers {API_WORKERS}` "
        f"+ {JOB_WORKERS} `nocode worker`, {seconds:.0f} s of mixed load")
    async with Deployment(pg_url, "nocode_bench_soak", api_workers=API_WORKERS, job_workers=JOB_WORKERS,
                          template=soak_template(), scale=DEMO_SCALE, log=log) as d:
        report.pg_version = d.pg_version
        soak = Soak(d, seconds, log)
        shop = await soak.run()
        report.tally, report.flash_stock = soak.tally, shop.flash_stock
        report.clients = soak.actors
        report.load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
        log(f"  load done: {sum(soak.tally.requests.values()):,} requests; waiting for due timers")
        schema = await app_schema(d.database_url)
        conn = await asyncpg.connect(d.dsn)
        try:
            report.drain_seconds = await drain(conn, time.monotonic(), log)
            report.invariants = await check(conn, d, schema, soak, shop, report)
        finally:
            await conn.close()
    for invariant in report.invariants:
        log(f"  {'✓' if invariant.holds else '✗'} {invariant.name}: {invariant.detail}")
    return report


# ---- output --------------------------------------------------------------------------------------------------------
REASONS = {
    "stale_version": "PATCH with a version someone else's write has moved on (deliberately stale, or lost the race)",
    "guard_failed": f"order refused whole: the flash-sale product's stock would go below 0 ({SOLD_OUT})",
    "flow_task_closed": "task already decided (the other service user, or the timeout, got there first)",
    "flow_instance_closed": "the refund's flow had ended (the other service user decided it first)",
    "write_conflict": "PostgreSQL found a deadlock with a concurrent write and aborted this one; nothing saved "
                      "(the platform's answer for a lost race: retry)",
}


def soak_text(report: SoakReport) -> str:
    t = report.tally
    lines = [f"soak {report.seconds:.0f} s: {sum(t.requests.values()):,} requests, {len(t.server_errors)} 5xx"]
    lines += [f"  {kind:<24} {n:>7,}" for kind, n in sorted(t.requests.items())]
    lines += [f"  409 {kind} / {code}: {n:,}" for (kind, code), n in sorted(t.refusals.items())]
    lines += [f"  unexpected {status} {kind} / {code}: {n:,}" for (kind, status, code), n in sorted(t.unexpected.items())]
    lines += [f"  {'✓' if i.holds else '✗'} {i.name}: {i.detail}" for i in report.invariants]
    return "\n".join(lines)


def soak_markdown(report: SoakReport) -> list[str]:
    t = report.tally
    total = sum(t.requests.values())
    shortened = ", ".join(f"{old} → {new}" for old, new in SHORTER.items())
    out = [
        SECTION,
        "",
        f"{report.seconds:.0f} s of mixed load on PostgreSQL: the SCRM template with demo data at scale {DEMO_SCALE} "
        f"in a fresh database, `nocode serve --workers {API_WORKERS}` (`NOCODE_WORKERS_IN_PROCESS=0`) and "
        f"{JOB_WORKERS} `nocode worker` processes running every job, each a real process on a real socket. "
        f"The flows' timers of {', '.join(f'`{f}`' for f in TIMED_FLOWS)} are shortened ({shortened}) so they fall "
        f"due during the run. {sum(USERS.values())} users with the app's roles "
        f"({', '.join(f'{n} {r}' for r, n in USERS.items())}) are created and granted through the admin API; "
        f"{report.clients} concurrent clients (httpx; a random pause of 0–0.2 s between requests, longer for the "
        "refunder, the approvers and one reader):",
        "",
        "- 2 operators creating customers (welcome flow: adviser assigned, task, notice, a 20 s delay, a coupon "
        "whose reminder flow waits 20 s, a 30 s delay), "
        "leads (round-robin to sales, first-contact task with a 20 s reminder and a 50 s escalation) and orders;",
        f"- 3 patchers: read one of {HOT_RECORDS} hot customers, PATCH its counter with the version read — one in "
        "five deliberately with the previous version;",
        f"- 3 flash-sale buyers ordering one unit of a product with {report.flash_stock} in stock, and a refunder "
        f"asking refunds of sold units ({', '.join(f'¥{a}' for a in REFUND_AMOUNTS)} in turn: auto-approved; "
        "service approves; service then finance), which returns stock when approved;",
        "- 2 service users and 1 finance user acting on their refund tasks through `POST /api/tasks/{id}/actions` "
        "(every fourth after-sale refused), 2 sales users filling in every second lead's first-contact task "
        "(the others time out);",
        "- 2 readers of reports (`gmv_by_month`, `hot_products`, `leader_ranking`, `daily_sales`), the main "
        "dashboard and a filtered order list.",
        "",
        f"Afterwards the benchmark waits until every timer set during the load is due and fired "
        f"({report.drain_seconds:.0f} s), then checks the invariants with SQL on the database. Load average at the "
        f"end of the load: {report.load} (the machine is shared).",
        "",
        "| requests | count |",
        "| --- | ---: |",
        *[f"| {kind} | {n:,} |" for kind, n in sorted(t.requests.items(), key=lambda x: -x[1])],
        f"| **all** | **{total:,}** ({total / report.seconds:,.0f}/s) |",
        "",
        "| 409 by reason | request | count |",
        "| --- | --- | ---: |",
        *[f"| `{code}`: {REASONS.get(code, '')} | {kind} | {n:,} |" for (kind, code), n in sorted(t.refusals.items())],
        "",
        f"5xx answers: **{len(t.server_errors)}**; other unexpected answers: "
        + ("none" if not t.unexpected else ", ".join(f"{status} `{code}` to {kind} × {n}"
                                                     for (kind, status, code), n in sorted(t.unexpected.items())))
        + (f"; connection errors: {dict(t.transport_errors)}" if t.transport_errors else "") + ".",
        "",
        "| invariant | holds | measured |",
        "| --- | :---: | --- |",
        *[f"| {i.name} | {'✓' if i.holds else '✗'} | {i.detail} |" for i in report.invariants],
        "",
        "This section alone: `.venv/bin/python -m bench soak [--soak-seconds 300]`.",
        "",
    ]
    return out

"""The SCRM app through its roles, in a real browser (issue 12).

An admin sets up, through the API, two 团长 (group leaders) with their own customers, a 客服 and a 财务, and stock
for a product. Then 团长 A signs in: the customer list holds only A's customers, A places an order through the record
form and sees it listed, and the 团长看板 dashboard draws its charts. 客服 asks for a refund of that order in the
browser and approves it from the task inbox in a fresh context; the API then shows the after-sale approved and the
order refunded. Last, 团长 A uses the app on a phone.

Each step leaves a screenshot in tests/e2e/screenshots/ (``roles-NN-….png``; the folder is git-ignored).
Needs the ``live_server`` fixture (tests/e2e/conftest.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import DEFAULT_TIMEOUT_MS
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).parent / "screenshots"
APP = "scrm"
PASSWORD = "Roles-journey-2026"
TAG = "（角色测试）"
A_CUSTOMERS = ["甲客一" + TAG, "甲客二" + TAG]
B_CUSTOMERS = ["乙客一" + TAG]
PRODUCT = "角色测试苹果"
REFUND = 300  # > 100 and ≤ 1000: one 客服 approval, no 财务 review


@dataclass
class Cast:
    """Who the journey needs: usernames by role, the product sold, and the order once placed."""
    leader_a: str
    leader_b: str
    service: str
    finance: str
    leader_a_name: str
    product_id: int
    order: dict | None = None


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"roles-{name}.png"))


def settled(page: Page, selector: str) -> None:
    """Waits until the element has stopped moving (a drawer sliding in), so a screenshot shows it in place."""
    page.wait_for_function(
        """(selector) => new Promise((done) => {
            const left = () => document.querySelector(selector)?.getBoundingClientRect().left;
            const before = left();
            setTimeout(() => done(before !== undefined && before === left()), 200);
        })""", arg=selector, polling=100)


class Api:
    """Admin (or any user's) calls to the live server."""

    def __init__(self, base: str, username: str, password: str):
        self.client = httpx.Client(base_url=base, timeout=30)
        answer = self.client.post("/api/auth/login", json={"username": username, "password": password})
        answer.raise_for_status()
        self.client.headers["Authorization"] = "Bearer " + answer.json()["access_token"]

    def call(self, method: str, path: str, **kw) -> dict:
        answer = self.client.request(method, path, **kw)
        assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else {}

    def create(self, form: str, values: dict) -> dict:
        return self.call("POST", f"/api/apps/{APP}/forms/{form}/records", json=values)

    def record(self, form: str, record_id: int) -> dict:
        return self.call("GET", f"/api/apps/{APP}/forms/{form}/records/{record_id}")

    def by_no(self, form: str, no: str) -> dict:
        """The record numbered ``no`` (autonumbers are found by quick search, not by equality)."""
        items = self.call("GET", f"/api/apps/{APP}/forms/{form}/records", params={"q": no})["items"]
        [record] = [r for r in items if r["no"] == no]
        return record


@pytest.fixture(scope="module")
def cast(live_server) -> Cast:
    admin = Api(live_server.url, live_server.admin_username, live_server.admin_password)
    users = {}
    for username, name, role in (("tz_jia", "甲团长", "leader"), ("tz_yi", "乙团长", "leader"),
                                 ("kf_role", "客服小周", "service"), ("cw_role", "财务小钱", "finance")):
        user = admin.call("POST", "/api/admin/users", json={"username": username, "password": PASSWORD, "name": name})
        admin.call("POST", f"/api/admin/users/{user['id']}/roles", json={"app": APP, "role": role})
        users[username] = user["id"]
    leader_a = admin.create("leader", {"name": "甲团长" + TAG, "phone": "13912340001",
                                  "account": users["tz_jia"], "level": "gold", "active": True})
    leader_b = admin.create("leader", {"name": "乙团长" + TAG, "phone": "13912340002",
                                  "account": users["tz_yi"], "level": "silver", "active": True})
    for names, leader in ((A_CUSTOMERS, leader_a), (B_CUSTOMERS, leader_b)):
        for i, name in enumerate(names):
            phone = f"1390000{leader['id']:02d}{i:02d}"
            admin.create("customer", {"name": name, "phone": phone, "leader": leader["id"]})
    product = admin.create("product", {"sku": "E2E-ROLE-1", "name": PRODUCT, "unit": "箱", "category": "水果",
                                       "on_sale": True, "price": 150, "cost": 90})
    admin.create("stock_move", {"product": product["id"], "kind": "purchase_in", "qty": 20, "note": "角色测试入库"})
    assert admin.record("product", product["id"])["stock"] == 20
    return Cast("tz_jia", "tz_yi", "kf_role", "cw_role", "甲团长" + TAG, product["id"])


@contextmanager
def fresh_page(browser: Browser, name: str, **options) -> Iterator[Page]:
    """A page in a new browser context (nobody signed in); on failure its last state is saved as roles-failed-NAME."""
    context = browser.new_context(locale="zh-CN", **({"viewport": {"width": 1280, "height": 800}} | options))
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    try:
        yield page
    except BaseException:
        shot(page, f"failed-{name}")
        raise


def open_app_as(page: Page, live_server, username: str) -> str:
    """Sign in and open the SCRM app; the app's URL."""
    base = live_server.url.rstrip("/")
    page.goto(base + "/login")
    sign_in(page, username, PASSWORD)
    page.wait_for_url(base + "/")
    page.get_by_test_id("apps-list").get_by_test_id("app-name").filter(has_text=live_server.app_name).first.click()
    page.wait_for_url(re.compile(r"/apps/[^/]+$"))
    return page.url


def rows_of(page: Page):
    return page.get_by_test_id("records-table").locator("tbody tr.ant-table-row")


def open_form(page: Page, label: str, form: str) -> None:
    page.get_by_test_id("app-menu").get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(re.compile(rf"/forms/{form}"))
    # the list page stays mounted between forms: wait for this form's header before using its buttons
    expect(page.locator(".page-header").first).to_contain_text(label)


def pick(page: Page, field_id: str, search: str, option: str) -> None:
    """A relation picker: type to search, choose the option whose label is ``option``."""
    box = page.locator(f"#{field_id}")
    box.click()
    # the picker searches the server after a pause and then replaces its options: wait for that answer, so the
    # click does not land on an option that is being swapped out
    with page.expect_response(lambda r: "/records?" in r.url and "q=" in r.url and r.ok):
        box.fill(search)
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter(has_text=option).first.click()
    expect(page.locator(".ant-select").filter(has=box)).to_contain_text(option)


def test_leader_sees_own_customers_and_places_an_order(live_server, chromium_browser, cast: Cast):
    with fresh_page(chromium_browser, "leader-order") as page:
        open_app_as(page, live_server, cast.leader_a)

        # Row permissions: A's customers only, none of B's (nor any demo customer of other leaders).
        open_form(page, "客户", "customer")
        rows = rows_of(page)
        for name in A_CUSTOMERS:
            expect(rows.filter(has_text=name)).to_have_count(1)
        expect(rows).to_have_count(len(A_CUSTOMERS))
        for name in B_CUSTOMERS:
            expect(page.get_by_text(name)).to_have_count(0)
        # The side menu offers only what the role reads: 团长 reads no stock moves nor leads.
        menu = page.get_by_test_id("app-menu")
        expect(menu.get_by_role("link", name="订单", exact=True)).to_have_count(1)
        expect(menu.get_by_role("link", name="库存流水", exact=True)).to_have_count(0)
        expect(menu.get_by_role("link", name="线索", exact=True)).to_have_count(0)
        shot(page, "01-leader-a-customers")

        # An order through the form: customer and leader pickers with search, one line, the amount paid.
        open_form(page, "订单", "order")
        page.get_by_test_id("record-new").click()
        form = page.get_by_test_id("record-form")
        expect(form).to_be_visible()
        pick(page, "customer", "甲客一", A_CUSTOMERS[0])
        pick(page, "leader", "甲团长", cast.leader_a_name)
        if form.locator("#lines_0_product").count() == 0:
            page.get_by_test_id("add-row-lines").click()
        pick(page, "lines_0_product", "角色测试", PRODUCT)
        form.locator("#lines_0_qty").fill("2")
        form.locator("#lines_0_price").fill("150")
        form.locator("#amount").fill("300")
        shot(page, "02-leader-a-order-form")
        page.get_by_test_id("record-save").click()

        title = page.get_by_test_id("record-title")
        expect(title).to_have_text(re.compile(r"^DD\d{8}\d{4}$"))
        no = title.inner_text()
        expect(page.get_by_test_id("record-fields")).to_contain_text(A_CUSTOMERS[0])
        shot(page, "03-leader-a-order-saved")
        page.keyboard.press("Escape")
        expect(rows_of(page).filter(has_text=no)).to_have_count(1)

        admin = Api(live_server.url, live_server.admin_username, live_server.admin_password)
        order = admin.by_no("order", no)
        assert order["customer"]["title"] == A_CUSTOMERS[0] and order["leader"]["title"] == cast.leader_a_name
        assert order["amount"] == 300 and order["lines"][0]["qty"] == 2
        assert admin.record("product", cast.product_id)["stock"] == 18
        cast.order = order
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_leader_dashboard_draws_its_widgets(live_server, chromium_browser, cast: Cast):
    with fresh_page(chromium_browser, "dashboard") as page:
        open_app_as(page, live_server, cast.leader_a)
        page.get_by_test_id("app-menu").get_by_role("link", name="团长看板", exact=True).click()
        page.wait_for_url(re.compile(r"/dashboards/leader"))
        widgets = page.get_by_test_id("dashboard-widget")
        expect(widgets).to_have_count(7)
        expect(widgets.locator("canvas").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        expect(page.locator(".ant-alert-error")).to_have_count(0)
        expect(page.get_by_test_id("dashboard")).not_to_contain_text(re.compile("错误|失败|无权|Error|error"))
        page.evaluate("() => window.scrollTo(0, 0)")
        shot(page, "04-leader-a-dashboard")
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_service_refund_then_approve_in_the_inbox(live_server, chromium_browser, cast: Cast):
    if cast.order is None:
        pytest.skip("needs the order placed by test_leader_sees_own_customers_and_places_an_order")
    no = cast.order["no"]

    # 客服 asks for a refund of 团长 A's order through the after-sale form.
    with fresh_page(chromium_browser, "refund-request") as page:
        open_app_as(page, live_server, cast.service)
        open_form(page, "售后单", "after_sale")
        page.get_by_test_id("record-new").click()
        form = page.get_by_test_id("record-form")
        expect(form).to_be_visible()
        pick(page, "order", no, no)
        form.locator("#amount").fill(str(REFUND))
        form.locator("#reason").fill("水果有磕碰，客户要求退款（角色测试）")
        shot(page, "05-service-refund-form")
        page.get_by_test_id("record-save").click()
        title = page.get_by_test_id("record-title")
        expect(title).to_have_text(re.compile(r"^SH\d{12}$"))
        after_sale_no = title.inner_text()

    admin = Api(live_server.url, live_server.admin_username, live_server.admin_password)
    after_sale = admin.by_no("after_sale", after_sale_no)
    assert after_sale["status"] == "pending" and after_sale["kind"] == "refund"

    # A fresh context: 客服 finds the approval in the inbox and approves it with a comment.
    with fresh_page(chromium_browser, "inbox") as page:
        open_app_as(page, live_server, cast.service)
        page.get_by_test_id("nav-tasks").click()
        page.wait_for_url(re.compile(r"/tasks"))
        item = page.get_by_test_id("task-item").filter(has_text=f"#{after_sale['id']}")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("客服审核")
        shot(page, "06-service-inbox")
        item.click()
        drawer = page.get_by_test_id("task-drawer")
        expect(drawer.get_by_test_id("task-actions")).to_be_visible()
        expect(drawer).to_contain_text(no)
        drawer.get_by_test_id("task-comment").fill("凭证清楚，同意退款")
        shot(page, "07-service-task-drawer")
        drawer.get_by_test_id("task-submit").click()
        expect(page.get_by_test_id("task-drawer")).to_have_count(0)
        expect(page.get_by_test_id("task-item").filter(has_text=f"#{after_sale['id']}")).to_have_count(0)
        page.get_by_test_id("box-done").click()
        expect(page.get_by_role("tab", name=re.compile("已办"))).to_have_attribute("aria-selected", "true")
        settled(page, ".ant-tabs-ink-bar")
        expect(page.get_by_test_id("task-item").filter(has_text=f"#{after_sale['id']}")).to_have_count(1)
        shot(page, "08-service-done-box")
        assert page.js_errors == []  # type: ignore[attr-defined]

    approved = admin.record("after_sale", after_sale["id"])
    assert approved["status"] == "approved" and approved["decided_at"]
    refunded = admin.record("order", cast.order["id"])
    assert refunded["status"] == "refunded"
    assert after_sale_no in refunded["refund_reason"]
    assert admin.record("product", cast.product_id)["stock"] == 20  # the refund gives the units back

    # ≤ 1000 stops at 客服: 财务 never had a task for it.
    finance = Api(live_server.url, cast.finance, PASSWORD)
    for box in ("todo", "done"):
        tasks = finance.call("GET", "/api/tasks", params={"box": box})["items"]
        assert all(task["record_id"] != after_sale["id"] for task in tasks)


def test_leader_on_a_phone(live_server, chromium_browser, cast: Cast):
    with fresh_page(chromium_browser, "phone",
                    viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True) as page:
        app_url = open_app_as(page, live_server, cast.leader_a)
        shot(page, "09-phone-app-home")

        # The customer list is cards, A's only, without sideways scrolling; a card opens the record full screen.
        page.goto(app_url + "/forms/customer")
        cards = page.get_by_test_id("record-card")
        expect(cards).to_have_count(len(A_CUSTOMERS))
        assert page.get_by_test_id("records-table").count() == 0
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        shot(page, "10-phone-customer-cards")
        cards.filter(has_text=A_CUSTOMERS[0]).click()
        expect(page.get_by_test_id("record-title")).to_have_text(A_CUSTOMERS[0])
        drawer = page.locator(".ant-drawer-content-wrapper").filter(has=page.get_by_test_id("record-title"))
        assert drawer.bounding_box()["width"] >= 389
        settled(page, ".ant-drawer-content-wrapper")
        shot(page, "11-phone-customer-record")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("record-drawer")).to_have_count(0)

        # The inbox: reachable from the header, its boxes switch, nothing wider than the screen.
        page.get_by_test_id("nav-tasks").click()
        page.wait_for_url(re.compile(r"/tasks"))
        expect(page.get_by_test_id("task-inbox")).to_be_visible()
        page.get_by_test_id("box-cc").click()
        expect(page.get_by_role("tab", name=re.compile("抄送我"))).to_have_attribute("aria-selected", "true")
        expect(page.get_by_test_id("task-list").locator(".ant-spin-spinning")).to_have_count(0)
        settled(page, ".ant-tabs-ink-bar")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        shot(page, "12-phone-inbox")
        assert page.js_errors == []  # type: ignore[attr-defined]

"""The flow designer in a real browser: an admin draws a two-step expense approval on the canvas and it runs.

Through the API the test makes its own app (a 报销 form with an amount, two roles 组长 and 财务) and a user holding
each role. In the builder it adds a flow from the workspace's add dialog, deletes the blank flow's start → end edge,
drags two approval nodes from the palette onto the canvas, connects start → 组长审批 → 财务审批 → end by dragging
from handle to handle, names the steps and picks their approvers, sets the trigger to "record created" on the form,
then saves and publishes. The published definition holds what was drawn (with the node positions). A claim created
through the API waits for 组长, who approves it through the API, then for 财务, who approves it in the task inbox;
the instance ends completed. The SCRM app of the live server is left alone.

Screenshots land in tests/e2e/screenshots/ (``flow-NN-….png``; git-ignored).
"""
from __future__ import annotations

import re
import uuid
from contextlib import closing

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.steps import Api, add_item, pick, publish, save, shooter, sign_in_admin
from tests.e2e.test_login_journey import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "Flow-designer-2026"

shot = shooter("flow", full_page=False)


def expense_app(key: str) -> dict:
    claim = {"form": "claim", "ops": ["read", "update"]}
    return {
        "format": "nocode.app/v1", "key": key, "name": "报销（流程设计测试）",
        "forms": [{"key": "claim", "name": "报销", "fields": [
            {"key": "title", "type": "text", "label": "事由"},
            {"key": "amount", "type": "number", "label": "金额"},
            {"key": "status", "type": "text", "label": "状态"},
        ]}],
        # drawn by nobody: the designer lays it out (manual, so that new claims start only the flow drawn below)
        "flows": [{"key": "routing", "name": "分级审批", "trigger": {"type": "manual", "form": "claim"},
                   "nodes": [{"id": "start", "type": "start"}, {"id": "route", "type": "condition"},
                             {"id": "small", "type": "approval", "name": "组长审批", "assignees": {"role": "lead"}},
                             {"id": "big", "type": "approval", "name": "财务审批", "assignees": {"role": "cfo"}},
                             {"id": "ok", "type": "update_record", "set": {"status": "'approved'"}},
                             {"id": "no", "type": "update_record", "set": {"status": "'rejected'"}},
                             {"id": "end", "type": "end"}],
                   "edges": [{"from": "start", "to": "route"},
                             {"from": "route", "to": "small", "condition": "amount <= 500"},
                             {"from": "route", "to": "big", "default": True},
                             {"from": "small", "to": "ok", "outcome": "approved"},
                             {"from": "small", "to": "no", "outcome": "rejected"},
                             {"from": "big", "to": "ok", "outcome": "approved"},
                             {"from": "big", "to": "no", "outcome": "rejected"},
                             {"from": "ok", "to": "end"}, {"from": "no", "to": "end"}]}],
        "roles": [{"key": "lead", "name": "组长", "permissions": [claim]},
                  {"key": "cfo", "name": "财务", "permissions": [claim]}],
        "menus": [{"label": "报销", "form": "claim"}],
    }


def drag_between(page: Page, source: str, target: str) -> None:
    """Presses on one element, moves to the other in steps (React Flow follows the pointer) and lets go there."""
    start = page.get_by_test_id(source).bounding_box()
    end = page.get_by_test_id(target).bounding_box()
    assert start and end, (source, target)
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def drop_from_palette(page: Page, node_type: str, x: int, y: int) -> None:
    """Drags a palette entry onto the canvas at (x, y) of the canvas (HTML5 drag and drop)."""
    page.get_by_test_id(f"flow-palette-{node_type}").drag_to(page.get_by_test_id("flow-canvas"),
                                                              target_position={"x": x, "y": y})


@pytest.fixture
def shoot_on_failure(request, browser_page: Page):
    """The designer's last state as flow-failed.png when the test fails (pytest's tmp dirs are shared and pruned)."""
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        print("page errors:", getattr(browser_page, "js_errors", None))
        try:
            shot(browser_page, "failed")
        except Exception:  # the page may be gone
            pass


def test_a_two_step_approval_drawn_on_the_canvas_runs(live_server, admin_api: Api, browser_page: Page,
                                                      chromium_browser: Browser, shoot_on_failure):
    key = f"flow_{uuid.uuid4().hex[:6]}"
    admin_api.call("POST", "/api/apps/import", json=expense_app(key))
    people = {}
    for username, name, role in ((f"lead_{key[-6:]}", "王组长", "lead"), (f"cfo_{key[-6:]}", "钱财务", "cfo")):
        user = admin_api.call("POST", "/api/admin/users",
                              json={"username": username, "password": PASSWORD, "name": name})
        admin_api.call("POST", f"/api/admin/users/{user['id']}/roles", json={"app": key, "role": role})
        people[role] = (username, user["id"])

    page = browser_page
    page.set_viewport_size({"width": 1600, "height": 1000})
    base = sign_in_admin(page, live_server)

    # A flow made elsewhere (no positions) is laid out top to bottom, its edges labelled, nothing wrong with it.
    page.goto(f"{base}/build/{key}/flows/routing")
    expect(page.get_by_test_id("flow-node-route")).to_be_visible()
    expect(page.get_by_test_id("flow-node-summary-small")).to_contain_text("组长 · 或签")
    labels = page.locator("[data-testid^=flow-edge-label-]")
    expect(labels).to_have_count(6)
    for text in ("amount <= 500", "默认", "通过", "驳回"):
        expect(labels.filter(has_text=text).first).to_be_visible()
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    tops = [page.get_by_test_id(f"flow-node-{node}").bounding_box()["y"] for node in ("start", "route", "small", "ok", "end")]
    assert tops == sorted(tops) and len(set(tops)) == 5, tops
    shot(page, "00-laid-out")

    page.goto(f"{base}/build/{key}/flows")

    # A new flow from the workspace's add dialog opens in the designer: a start, an end and an edge between them.
    add_item(page, key, "flows", "报销审批", "claim_approval")
    expect(page.get_by_test_id("flow-node-start")).to_be_visible()
    expect(page.get_by_test_id("flow-node-end")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(1)

    # The blank edge goes: click it, delete it with the toolbar button.
    # (a straight vertical edge has a box of no width, which Playwright will not click: the mouse clicks between)
    top = page.get_by_test_id("flow-node-start").bounding_box()
    bottom = page.get_by_test_id("flow-node-end").bounding_box()
    assert top and bottom
    page.mouse.click(top["x"] + top["width"] / 2, (top["y"] + top["height"] + bottom["y"]) / 2)
    expect(page.get_by_test_id("flow-edge-panel")).to_be_visible()
    page.get_by_test_id("flow-delete").click()
    expect(page.locator(".react-flow__edge")).to_have_count(0)

    # Two approvals dragged from the palette, each opening its panel; names and approvers set there.
    canvas = page.get_by_test_id("flow-canvas").bounding_box()
    assert canvas
    drop_from_palette(page, "approval", int(canvas["width"] * 0.22), int(canvas["height"] * 0.45))
    expect(page.get_by_test_id("flow-node-approval_1")).to_be_visible()
    panel = page.get_by_test_id("flow-node-panel")
    expect(panel).to_have_attribute("data-node", "approval_1")
    page.get_by_test_id("flow-node-name").fill("组长审批")
    expect(page.get_by_test_id("flow-assignees-0-role")).to_contain_text("组长")
    page.get_by_test_id("flow-sla-add").click()  # an SLA of two days: reminds by default
    page.get_by_test_id("flow-sla-0-after").get_by_role("spinbutton").fill("2")

    drop_from_palette(page, "approval", int(canvas["width"] * 0.75), int(canvas["height"] * 0.5))
    expect(page.get_by_test_id("flow-node-approval_2")).to_be_visible()
    expect(panel).to_have_attribute("data-node", "approval_2")
    page.get_by_test_id("flow-node-name").fill("财务审批")
    pick(page, "flow-assignees-0-role", "财务")
    page.get_by_test_id("flow-mode-countersign").click()
    expect(page.get_by_test_id("flow-node-summary-approval_2")).to_contain_text("财务 · 会签")
    shot(page, "01-approval-panel")

    # A node added by a click on the palette, and taken away again with the Delete key.
    page.get_by_test_id("flow-palette-cc").click()
    expect(page.get_by_test_id("flow-node-cc_1")).to_be_visible()
    expect(panel).to_have_attribute("data-node", "cc_1")
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("flow-node-cc_1")).to_have_count(0)

    # Connected by dragging from each node's bottom handle to the next one's top handle.
    drag_between(page, "flow-handle-out-start", "flow-handle-in-approval_1")
    drag_between(page, "flow-handle-out-approval_1", "flow-handle-in-approval_2")
    drag_between(page, "flow-handle-out-approval_2", "flow-handle-in-end")
    expect(page.locator(".react-flow__edge")).to_have_count(3)

    # The trigger: a new 报销 record starts the flow when its amount is positive.
    page.get_by_test_id("flow-settings").click()
    pick(page, "flow-trigger-type", "新增记录时")
    expect(page.get_by_test_id("flow-trigger-form")).to_contain_text("报销")
    page.get_by_test_id("flow-trigger-condition-input").fill("amount > 0")
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过", timeout=10_000)
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    shot(page, "02-designer")

    # A broken condition is pinned on the panel (the server's check), then put right.
    page.get_by_test_id("flow-trigger-condition-input").fill("amount >")
    expect(page.get_by_test_id("flow-all-problems")).to_be_visible(timeout=10_000)
    shot(page, "03-problem")
    page.get_by_test_id("flow-trigger-condition-input").fill("amount > 0")
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过", timeout=10_000)

    save(page)
    publish(page, 2)
    assert not page.js_errors

    # What was drawn is what got published.
    [flow] = [f for f in admin_api.call("GET", f"/api/apps/{key}")["flows"] if f["key"] == "claim_approval"]
    assert flow["trigger"] == {"type": "record_created", "form": "claim", "condition": "amount > 0"}
    steps = {node["id"]: node for node in flow["nodes"]}
    assert steps["approval_1"]["name"] == "组长审批" and steps["approval_1"]["assignees"] == [{"role": "lead"}]
    assert steps["approval_1"]["timeout"] == [{"after": "P2D", "action": "remind"}]
    assert steps["approval_2"]["assignees"] == [{"role": "cfo"}] and steps["approval_2"]["mode"] == "countersign"
    assert all("position" in node for node in flow["nodes"])
    assert [(e["from"], e["to"]) for e in flow["edges"]] == [
        ("start", "approval_1"), ("approval_1", "approval_2"), ("approval_2", "end")]

    # A claim starts it: 组长 approves through the API …
    claim = admin_api.call("POST", f"/api/apps/{key}/forms/claim/records", json={"title": "出差打车", "amount": 88})
    with closing(Api(base, people["lead"][0], PASSWORD)) as lead:
        [task] = [t for t in lead.call("GET", "/api/tasks", params={"box": "todo"})["items"]
                  if t["app"] == key and t["record_id"] == claim["id"]]
        assert task["node"] == "approval_1"
        lead.call("POST", f"/api/tasks/{task['id']}/actions", json={"action": "approve", "comment": "属实"})

    # … and 财务 in the task inbox.
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        inbox = context.new_page()
        inbox.goto(base + "/login")
        sign_in(inbox, people["cfo"][0], PASSWORD)
        inbox.wait_for_url(re.compile(r"/$|/apps"))
        inbox.goto(base + "/tasks")
        item = inbox.get_by_test_id("task-item").filter(has_text=f"#{claim['id']}")
        expect(item).to_have_count(1)
        expect(item).to_contain_text("财务审批")
        item.click()
        drawer = inbox.get_by_test_id("task-drawer")
        expect(drawer.get_by_test_id("task-actions")).to_be_visible()
        drawer.get_by_test_id("task-comment").fill("同意报销")
        drawer.get_by_test_id("task-submit").click()
        expect(inbox.get_by_test_id("task-drawer")).to_have_count(0)
        shot(inbox, "04-inbox-approved")
    finally:
        context.close()

    instance = admin_api.call("GET", f"/api/flow-instances/{task['instance']}")
    status = instance.get("status") or instance.get("instance", {}).get("status")
    assert status == "completed", instance


def test_every_flow_of_the_scrm_app_opens_in_the_designer(live_server, admin_api: Api, browser_page: Page,
                                                         shoot_on_failure):
    """Reading only: each SCRM flow is drawn whole, and one node of each type opens its property panel."""
    flows = admin_api.call("GET", "/api/apps/scrm")["flows"]
    page = browser_page
    page.set_viewport_size({"width": 1600, "height": 1000})
    base = sign_in_admin(page, live_server)
    for flow in flows:
        page.goto(f"{base}/build/scrm/flows/{flow['key']}")
        expect(page.locator("[data-testid^=flow-node-summary-], .flow-node")).not_to_have_count(0)
        expect(page.locator(".flow-node")).to_have_count(len(flow["nodes"]))
        expect(page.get_by_test_id("flow-problem-count")).to_have_count(0)
        seen = set()
        for node in flow["nodes"]:
            if node["type"] in seen or node["type"] == "start":
                continue
            seen.add(node["type"])
            page.get_by_test_id("flow-settings").click()  # panel back to the flow, so the next click is a change
            page.get_by_test_id(f"flow-node-{node['id']}").click()
            expect(page.get_by_test_id("flow-node-panel")).to_have_attribute("data-node", node["id"])
            shot(page, f"scrm-{node['type']}")
        if flow["key"] == "refund_approval":
            shot(page, "05-scrm-refund")
        expect(page.get_by_test_id("builder-status")).not_to_have_text("有未保存的更改")
    assert not page.js_errors

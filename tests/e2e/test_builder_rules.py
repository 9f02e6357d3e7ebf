"""The rule designer and the roles editor in a real browser: an admin adds a rule to an app of customers, draws the
condition "金额 > 100" with the condition builder, sees how many records match now, adds a tag action, publishes,
runs the rule now and finds the tag on exactly those records; then ticks permissions in a role's matrix.
The app is the test's own (made through the API); the SCRM app of the live server is left alone.

Screenshots land in tests/e2e/screenshots/ (``rules-NN-….png``; git-ignored).
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import Api, add_item, pick, publish, save, shooter, sign_in_admin

pytestmark = pytest.mark.browser

TAG = "大客户"
AMOUNTS = {"甲": 50, "乙": 150, "丙": 300, "丁": 80, "戊": 1000}

shot = shooter("rules")


def make_app(api: Api, key: str) -> None:
    doc = {"format": "nocode.app/v1", "key": key, "name": "客户规则测试",
           "forms": [{"key": "customer", "name": "客户", "title_field": "name", "fields": [
               {"key": "name", "type": "text", "label": "名称", "required": True},
               {"key": "amount", "type": "money", "label": "金额"},
               {"key": "region", "type": "select", "label": "地区", "options": ["华东", "华南"]},
               {"key": "tags", "type": "tags", "label": "标签"}]}],
           "roles": [{"key": "sales", "name": "销售", "permissions": []}]}
    response = api.post("/api/apps/import", json=doc)
    assert response.status_code == 201, response.text
    for name, amount in AMOUNTS.items():
        response = api.post(f"/api/apps/{key}/forms/customer/records", json={"name": name, "amount": amount})
        assert response.status_code == 201, response.text


def test_a_rule_drawn_previewed_published_and_run_then_a_role_ticked(live_server, admin_api: Api, browser_page: Page):
    page = browser_page
    key = f"rl_{uuid.uuid4().hex[:6]}"
    make_app(admin_api, key)

    base = sign_in_admin(page, live_server)
    page.goto(f"{base}/build/{key}/rules")

    # A rule through the workspace's add dialog opens in the rule designer, on the first form, with no condition.
    add_item(page, key, "rules", "大客户标签", "big")
    expect(page.get_by_test_id("rule-designer")).to_be_visible()
    expect(page.get_by_test_id("rule-preview")).to_contain_text("当前 5 条记录符合（共 5 条）")

    # 金额 大于 100, drawn as a row: the preview counts the records that match now.
    page.get_by_test_id("cond-add-row").click()
    pick(page, "cond-row-0-field", "金额（amount）", exact=True)
    pick(page, "cond-row-0-op", "大于", exact=True)
    page.get_by_test_id("cond-row-0-value").fill("100")
    expect(page.get_by_test_id("rule-preview")).to_contain_text("当前 3 条记录符合（共 5 条）")

    # Then: add the tag.
    page.get_by_test_id("rule-add-action-then").click()
    page.get_by_role("menuitem", name="添加标签").click()
    page.get_by_test_id("action-then-0-tag").locator("input").fill(TAG)
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    shot(page, "01-rule-drawn")

    # The formula mode shows the expression the rows compile to.
    page.get_by_test_id("cond-mode").get_by_text("公式").click()
    expect(page.get_by_test_id("rule-when-formula")).to_have_value("amount > 100")
    page.get_by_test_id("cond-mode").get_by_text("条件").click()
    expect(page.get_by_test_id("cond-row-0-field")).to_contain_text("金额")

    # Not published yet: run now says so.
    expect(page.get_by_test_id("rule-run-unpublished")).to_be_visible()

    save(page)
    publish(page, 2)

    # Run now over every record: 3 match and 3 change.
    expect(page.get_by_test_id("rule-run-unpublished")).to_have_count(0, timeout=10_000)
    page.get_by_test_id("rule-run").click()
    page.get_by_test_id("rule-run-confirm").click()
    expect(page.get_by_test_id("rule-run-result")).to_contain_text("已运行：3 条符合，3 条被修改")
    shot(page, "02-ran")

    records = admin_api.get(f"/api/apps/{key}/forms/customer/records", params={"page_size": 50}).json()["items"]
    tagged = {r["name"]: TAG in (r.get("tags") or []) for r in records}
    assert tagged == {name: amount > 100 for name, amount in AMOUNTS.items()}

    # Opening the rule again restores the condition row from the saved expression.
    page.get_by_test_id("builder-settings").click()
    page.get_by_test_id("builder-item-rules-big").click()
    expect(page.get_by_test_id("cond-row-0-field")).to_contain_text("金额")
    expect(page.get_by_test_id("cond-row-0-op")).to_contain_text("大于")
    expect(page.get_by_test_id("cond-row-0-value")).to_have_value("100")

    # The roles editor: 销售 may read and update customers, only their own.
    page.get_by_test_id("builder-item-roles-sales").click()
    page.wait_for_url(re.compile(rf"/build/{key}/roles/sales$"))
    page.get_by_test_id("role-perm-customer-read").click()
    page.get_by_test_id("role-perm-customer-update").click()
    pick(page, "role-rows-customer", "本人负责的", exact=True)
    page.get_by_role("button", name=re.compile("展开行|Expand row")).first.click()
    page.get_by_test_id("role-field-customer-amount").get_by_text("只读").click()
    expect(page.get_by_test_id("role-field-customer-amount").get_by_role("radio", name="只读")).to_be_checked()
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    page.mouse.move(0, 0)
    page.wait_for_timeout(400)  # antd's colour transitions, for a screenshot that shows the settled state
    shot(page, "03-role")
    save(page)
    draft = admin_api.get(f"/api/apps/{key}/draft").json()
    assert draft["roles"][0]["permissions"] == [
        {"form": "customer", "ops": ["read", "update"], "rows": "own", "fields": {"amount": "readonly"}}]
    assert not page.js_errors

"""The report and dashboard designers in a real browser: an admin drags a select field to 维度 and the amount to
指标, switches to a bar chart and sees the live preview draw the app's own orders; saves and publishes the report,
puts it on a new dashboard, resizes its widget and opens the dashboard in the running app. The app is the test's own
(imported with seed records); the SCRM app of the live server is left alone.

Screenshots land in tests/e2e/screenshots/ (``report-NN-….png``; git-ignored).
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.steps import Api, add_item, pick, publish, save, shooter, sign_in_admin

pytestmark = pytest.mark.browser

STATUSES = [{"value": "paid", "label": "已支付"}, {"value": "pending", "label": "待支付"},
            {"value": "refunded", "label": "已退款"}]
# (status, amount): paid 100 + 250 = 350, pending 40, refunded 60
ORDERS = [("paid", 100), ("pending", 40), ("paid", 250), ("refunded", 60)]


shot = shooter("report")


def import_shop(api: Api) -> str:
    key = f"rep_{uuid.uuid4().hex[:6]}"
    doc = {
        "format": "nocode.app/v1", "key": key, "name": "报表小店",
        "forms": [{"key": "order", "name": "订单", "fields": [
            {"key": "no", "type": "text", "label": "单号"},
            {"key": "status", "type": "select", "label": "状态", "options": STATUSES},
            {"key": "amount", "type": "money", "label": "金额"},
            {"key": "paid_at", "type": "date", "label": "支付日期"},
        ]}],
        "data": {"order": [{"no": f"O{i}", "status": s, "amount": a, "paid_at": (date.today() - timedelta(days=i)).isoformat()}
                           for i, (s, a) in enumerate(ORDERS, start=1)]},
    }
    answer = api.post("/api/apps/import?demo_data=true", json=doc)
    assert answer.status_code in (200, 201), answer.text
    return key


def drag(page: Page, source: Locator, target: Locator) -> None:
    """A pointer drag in small steps, as dnd-kit's pointer sensor wants (it starts after a few pixels)."""
    a, b = source.bounding_box(), target.bounding_box()
    assert a and b
    page.mouse.move(a["x"] + a["width"] / 3, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + a["width"] / 3 + 10, a["y"] + a["height"] / 2 + 5, steps=3)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()


def test_a_report_is_dragged_together_previewed_published_and_put_on_a_dashboard(live_server, admin_api: Api,
                                                                                browser_page: Page):
    page = browser_page
    key = import_shop(admin_api)
    base = sign_in_admin(page, live_server)

    # A new report through the workspace's add dialog starts as a count of the first form's records.
    page.goto(f"{base}/build/{key}/reports")
    add_item(page, key, "reports", "按状态的销售额", "sales_by_status")
    expect(page.get_by_test_id("report-designer")).to_be_visible()

    # Drag 状态 to 维度 and 金额 to 指标 (summed, as money is); the record count goes.
    drag(page, page.get_by_test_id("report-field-status"), page.get_by_test_id("report-zone-dimensions"))
    expect(page.get_by_test_id("report-dimension-0")).to_have_attribute("data-field", "status")
    drag(page, page.get_by_test_id("report-field-amount"), page.get_by_test_id("report-zone-measures"))
    expect(page.get_by_test_id("report-measure-1")).to_have_attribute("data-field", "amount")
    expect(page.get_by_test_id("report-measure-agg-1")).to_contain_text("求和")
    page.get_by_test_id("report-measure-remove-0").click()
    expect(page.get_by_test_id("report-measure-as-0")).to_have_value("sum_amount")

    # A bar chart: the preview draws the statuses in option order on a canvas.
    page.get_by_test_id("report-chart-type-bar").click()
    expect(page.get_by_test_id("report-chart-x")).to_contain_text("状态")
    chart = page.get_by_test_id("report-preview-chart")
    expect(chart).to_have_attribute("data-categories", "已支付|待支付|已退款")
    expect(chart.locator("canvas")).to_be_visible()
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    shot(page, "01-designer-bar")

    # 状态 dragged to 筛选 becomes a condition row: 不等于 已退款 leaves the refunds out of the preview.
    drag(page, page.get_by_test_id("report-field-status"), page.get_by_test_id("report-zone-filters"))
    pick(page, "report-filter-op-0", "不等于", exact=True)
    pick(page, "report-filter-value-0", "已退款")
    expect(chart).to_have_attribute("data-categories", "已支付|待支付")
    page.get_by_test_id("report-filter-mode").get_by_text("公式").click()
    expect(page.get_by_test_id("report-filter-formula")).to_have_value("status != 'refunded'")
    shot(page, "02-designer-filter")

    # The numbers behind the bars.
    page.get_by_test_id("report-preview-mode").get_by_text("数据").click()
    table = page.get_by_test_id("report-preview-table")
    rows = table.locator("tbody tr.ant-table-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("已支付")
    expect(rows.nth(0)).to_contain_text("350")
    expect(rows.nth(1)).to_contain_text("待支付")
    expect(rows.nth(1)).to_contain_text("40")
    expect(table.locator("thead")).to_contain_text("金额（求和）")
    page.get_by_test_id("report-preview-mode").get_by_text("图表").click()

    # Save and publish.
    save(page)
    publish(page)

    # A dashboard with the published report: its widget shows the report's data.
    add_item(page, key, "dashboards", "经营看板", "main")
    pick(page, "dashboard-add-widget", "按状态的销售额")
    widget = page.get_by_test_id("dashboard-widget-0")
    expect(widget).to_have_attribute("data-report", "sales_by_status")
    expect(widget.get_by_test_id("dashboard-widget-body")).to_have_attribute("data-source", "published")
    expect(widget.get_by_test_id("report-preview-chart")).to_have_attribute("data-categories", "已支付|待支付")
    expect(widget.locator("canvas")).to_be_visible()

    # Resizing the widget on the grid writes its width back.
    handle = widget.locator(".react-resizable-handle-se")
    box = handle.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 60, steps=10)
    page.mouse.up()
    expect(widget).not_to_have_attribute("data-grid-w", "12")
    width = int(widget.get_attribute("data-grid-w") or 0)
    assert 12 < width <= 24
    # A shared date filter targets the report's date field by itself.
    page.get_by_test_id("dashboard-filter-add").click()
    expect(page.get_by_test_id("dashboard-filter-target-0-sales_by_status")).to_contain_text("支付日期")
    pick(page, "dashboard-filter-default-period", "最近 12 个月")
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    shot(page, "03-dashboard-designer")

    publish(page)

    # The running app's dashboard draws the report under its shared filter.
    page.goto(f"{base}/apps/{key}/dashboards/main")
    expect(page.get_by_test_id("dashboard-filters")).to_contain_text("日期范围")
    card = page.get_by_test_id("dashboard-widget")
    expect(card).to_contain_text("按状态的销售额")
    expect(card.locator("canvas")).to_be_visible()
    shot(page, "04-runtime-dashboard")
    assert not page.js_errors

"""Printing records on both databases: HTML with values, rows and linked records, PDF through Chromium,
several records in one document, template lists, and template errors at publish time and at render time."""
from __future__ import annotations

import copy
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from runtime.printing import CHROMIUM
from tests.runtime.apps import records_url

SLIP = """<h1>{{ form.name }} {{ record.no }}</h1>
<p class="who">{{ form.labels.customer }}：{{ record.customer }} / {{ record.customer.phone }}
  / 团长 {{ record.customer.leader.name }}</p>
<p class="status">{{ record.status }} {{ raw.status }}</p>
<table>{% for row in record.lines %}
<tr class="line"><td>{{ loop.index }}</td><td>{{ row.product.name }}</td><td>{{ row.qty }}</td><td>{{ row.price|money }}</td></tr>
{% endfor %}</table>
<p class="total">{{ form.labels.amount }} {{ record.amount|money }} {{ record.amount|cn_upper }}</p>
<p class="raw">{{ record.raw.amount }}</p>
"""

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名"}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名", "required": True},
            {"key": "phone", "type": "phone", "label": "手机"},
            {"key": "leader", "type": "relation", "target": "leader", "label": "团长"}]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "品名", "required": True}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "autonumber", "label": "订单号", "pattern": "DD{seq:4}"},
            {"key": "customer", "type": "relation", "target": "customer", "label": "客户", "required": True},
            {"key": "status", "type": "select", "label": "状态", "default": "paid",
             "options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]},
            {"key": "lines", "type": "subtable", "label": "明细", "fields": [
                {"key": "product", "type": "relation", "target": "product", "label": "商品", "required": True},
                {"key": "qty", "type": "number", "label": "数量", "required": True},
                {"key": "price", "type": "money", "label": "单价", "required": True}]},
            {"key": "amount", "type": "money", "label": "金额"},
            {"key": "paid_at", "type": "datetime", "label": "支付时间"},
            {"key": "gift_wrap", "type": "checkbox", "label": "礼品包装"},
        ]},
    ],
    "print_templates": [{"key": "order_slip", "form": "order", "name": "订单小票", "html": SLIP, "paper": "A5"}],
}


def app_doc(**changes) -> dict:
    doc = copy.deepcopy(APP)
    doc.update(changes)
    return doc


async def seed(api, doc: dict | None = None) -> dict:
    await api.import_app(doc or app_doc())
    leader = (await api.client.post(records_url("leader"), json={"name": "李团长"})).json()
    customer = (await api.client.post(records_url("customer"),
                                      json={"name": "张三", "phone": "13800000001", "leader": leader["id"]})).json()
    apple = (await api.client.post(records_url("product"), json={"name": "苹果"})).json()
    rice = (await api.client.post(records_url("product"), json={"name": "东北大米"})).json()
    response = await api.client.post(records_url("order"), json={
        "customer": customer["id"], "amount": "1234.5", "paid_at": "2026-03-01T09:30:00", "gift_wrap": True,
        "lines": [{"product": apple["id"], "qty": 2, "price": 5}, {"product": rice["id"], "qty": 1, "price": 1224.5}]})
    assert response.status_code == 201, response.text
    return response.json()


def print_url(record_id: int, form: str = "order") -> str:
    return f"{records_url(form)}/{record_id}/print"


async def test_html_shows_values_rows_and_linked_records(api):
    order = await seed(api)
    response = await api.client.get(print_url(order["id"]), params={"template": "order_slip"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none' covers scripts
    html = response.text
    assert f"<h1>订单 {order['no']}</h1>" in html
    assert "客户：张三 / 13800000001" in html and "团长 李团长" in html
    assert '<p class="status">已支付 paid</p>' in html
    assert html.count('<tr class="line">') == 2
    assert "<td>1</td><td>苹果</td><td>2</td><td>¥5.00</td>" in html
    assert "<td>2</td><td>东北大米</td><td>1</td><td>¥1,224.50</td>" in html
    assert "金额 ¥1,234.50 壹仟贰佰叁拾肆元伍角整" in html
    assert '<p class="raw">1234.5</p>' in html
    assert "size: 148mm 210mm" in html  # A5 from the template


async def test_default_template_lists_every_field_and_the_rows(api):
    order = await seed(api, app_doc(print_templates=[]))
    html = (await api.client.get(print_url(order["id"]))).text
    for label in ("订单号", "客户", "状态", "金额", "支付时间", "礼品包装", "商品", "数量", "单价"):
        assert f"<th>{label}</th>" in html, label
    assert '<h2 class="print-subtitle">明细</h2>' in html
    assert "已支付" in html and "2026-03-01 09:30" in html and "1,234.50" in html
    assert '<td class="print-value">Yes</td>' in html  # the client asks for English
    chinese = await api.client.get(print_url(order["id"]), headers={"Accept-Language": "zh-CN"})
    assert '<td class="print-value">是</td>' in chinese.text and '<html lang="zh-CN">' in chinese.text
    assert '<td class="print-relation">东北大米</td>' in html and '<td class="print-money">1,224.50</td>' in html
    assert "size: 210mm 297mm" in html


async def test_list_of_templates_ends_with_the_default(api):
    await seed(api)
    items = (await api.client.get("/api/apps/shop/forms/order/print-templates")).json()["items"]
    assert [(t["key"], t["default"]) for t in items] == [("order_slip", False), ("default", True)]
    assert "{{ form.labels.amount }}" in items[1]["html"]
    customer_items = (await api.client.get("/api/apps/shop/forms/customer/print-templates")).json()["items"]
    assert [t["key"] for t in customer_items] == ["default"]


async def test_several_records_print_as_one_document_with_page_breaks(api):
    first = await seed(api)
    second = (await api.client.post(records_url("order"), json={
        "customer": first["customer"]["id"], "amount": 10, "lines": []})).json()
    response = await api.client.post(f"{records_url('order')}/print",
                                     json={"ids": [first["id"], second["id"]], "template": "order_slip"})
    assert response.status_code == 200, response.text
    html = response.text
    assert html.count('<section class="print-sheet">') == 2
    assert ".print-sheet + .print-sheet { break-before: page" in html
    assert html.index(first["no"]) < html.index(second["no"])
    assert "壹拾元整" in html
    missing = await api.client.post(f"{records_url('order')}/print", json={"ids": [first["id"], 999]})
    assert missing.status_code == 404 and "999" in missing.json()["error"]["message"]
    empty = await api.client.post(f"{records_url('order')}/print", json={"ids": []})
    assert empty.status_code == 422 and empty.json()["error"]["details"][0]["path"] == "/ids"


async def test_unknown_template_or_record_is_404(api):
    order = await seed(api)
    response = await api.client.get(print_url(order["id"]), params={"template": "nope"})
    assert response.status_code == 404 and "nope" in response.json()["error"]["message"]
    assert (await api.client.get(print_url(9999))).status_code == 404


async def test_template_failing_at_render_time_is_422_with_template_and_line(api):
    bad = "<p>{{ record.no }}</p>\n<p>{{ record.customer.nickname }}</p>\n"
    sneaky = "<p>ok</p>\n\n{{ ''.__class__.__mro__ }}"
    doc = app_doc(print_templates=[APP["print_templates"][0],
                                   {"key": "bad", "form": "order", "name": "坏模板", "html": bad},
                                   {"key": "sneaky", "form": "order", "name": "越权", "html": sneaky}])
    order = await seed(api, doc)
    response = await api.client.get(print_url(order["id"]), params={"template": "bad"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "print_template_failed"
    assert error["details"][0]["path"] == "/print_templates/1/html"
    assert "line 2" in error["details"][0]["message"] and "nickname" in error["details"][0]["message"]
    response = await api.client.get(print_url(order["id"]), params={"template": "sneaky"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "/print_templates/2/html"
    assert "line 3" in response.json()["error"]["details"][0]["message"]


async def test_bad_template_is_refused_at_publish_with_pointer_and_line(api):
    await api.import_app(app_doc())
    broken = app_doc(print_templates=[
        {"key": "slip", "form": "order", "name": "小票", "html": "<p>{{ record.no }}</p>\n{% for row in record.lines %}\n"},
        {"key": "slip", "form": "nothing", "name": "重复", "html": "<p>{{ record.no }</p>"},
        {"key": "default", "form": "order", "name": "占用默认", "html": "x"}])
    saved = await api.client.put("/api/apps/shop/draft", json=broken)
    response = saved if saved.status_code == 422 else await api.client.post("/api/apps/shop/publish")
    assert response.status_code == 422, response.text
    details = {d["path"]: d["message"] for d in response.json()["error"]["details"]}
    assert "line 2" in details["/print_templates/0/html"] and "endfor" in details["/print_templates/0/html"]
    assert "line 1" in details["/print_templates/1/html"]
    assert "/print_templates/1/key" in details and "/print_templates/1/form" in details
    assert "/print_templates/2/key" in details
    imported = await api.client.post("/api/apps/import", json={**broken, "key": "shop2"})
    assert imported.status_code == 422
    assert "/print_templates/0/html" in {d["path"] for d in imported.json()["error"]["details"]}


def _need_chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PDF printing needs Chromium in CI: {CHROMIUM} not found")
        pytest.skip(f"{CHROMIUM} not found")


async def test_pdf_is_a_real_pdf_with_the_chinese_text(api, tmp_path):
    _need_chromium()
    order = await seed(api)
    response = await api.client.get(print_url(order["id"]), params={"template": "order_slip", "format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1024
    if shutil.which("pdftotext"):  # poppler-utils: check the words came out as text, not as missing glyphs
        path = tmp_path / "slip.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        assert "东北大米" in text and "壹仟贰佰叁拾肆元伍角整" in text


async def test_pdf_without_chromium_is_503_not_500(api, monkeypatch):
    import runtime.printing

    order = await seed(api)
    monkeypatch.setattr(runtime.printing, "CHROMIUM", "/nonexistent/chromium")
    response = await api.client.get(print_url(order["id"]), params={"format": "pdf"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "pdf_unavailable"
    assert "chromium" in response.json()["error"]["message"]


async def test_every_form_of_the_scrm_app_prints_with_its_default_template(api):
    import json

    from tests.conftest import TEMPLATE_PATH

    doc = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    await api.import_app(doc, demo_data=True)
    for form in doc["forms"]:
        listed = (await api.client.get(records_url(form["key"], doc["key"]), params={"page_size": 1})).json()
        if not listed["items"]:
            continue
        record = listed["items"][0]
        response = await api.client.get(f"{records_url(form['key'], doc['key'])}/{record['id']}/print")
        assert response.status_code == 200, (form["key"], response.text)
        assert f"<h1>{form['name']}</h1>" in response.text

"""Export to CSV and Excel: every matching record, readable values, sub-table rows on their own sheet."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.runtime.apps import all_types_app, records_url
from tests.runtime.test_records_api import seed


async def test_csv_export_follows_the_filter_and_reads_well(api):
    c, p1, p2 = await seed(api)
    await api.client.post(records_url("order"), json={"customer": c["id"], "gifts": [p1["id"], p2["id"]], "amount": 88,
                                                      "gift_wrap": True, "paid_at": "2026-11-20T10:15:00",
                                                      "tags": ["团购", "复购"]})
    await api.client.post(records_url("order"), json={"customer": c["id"], "amount": 5})
    response = await api.client.get(records_url("order") + "/export", params={"format": "csv", "filter": "amount > 10"},
                                    headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    assert len(rows) == 2 and header[:2] == ["no", "customer"] and "创建时间" in header
    assert row["customer"] == "张三" and row["gifts"] == "荔枝, 大米" and row["gift_wrap"] == "是"
    assert row["paid_at"] == "2026-11-20 10:15:00" and row["tags"] == "团购, 复购" and row["amount"] == "88"


async def test_excel_export_has_a_sheet_per_sub_table(api):
    c, p1, _ = await seed(api)
    order = (await api.client.post(records_url("order"), json={
        "customer": c["id"], "lines": [{"product": p1["id"], "qty": 2, "price": 59.9}]})).json()
    response = await api.client.get(records_url("order") + "/export")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["订单", "订单-lines"]
    lines = list(book["订单-lines"].values)
    assert lines[0] == ("Record ID", "product", "qty", "price") and lines[1] == (order["id"], "荔枝", 2, 59.9)
    main = list(book["订单"].values)
    assert main[1][0] == order["no"] and main[1][1] == "张三"


async def test_export_refuses_a_bad_filter_and_format(api):
    await api.import_app(all_types_app())
    bad = await api.client.get(records_url("order") + "/export", params={"filter": "amount >"})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["path"] == "/query/filter"
    assert (await api.client.get(records_url("order") + "/export", params={"format": "pdf"})).status_code == 422

"""Spreadsheet import: headers by label or key, Chinese spellings, relations by title, a report per row,
nothing written unless every row is good (or only the good rows, when asked)."""
from __future__ import annotations

import io
import json

from openpyxl import Workbook

from tests.runtime.apps import all_types_app, records_url


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


async def upload(api, form: str, name: str, content: bytes, **data):
    return await api.client.post(records_url(form) + "/import", files={"file": (name, content)}, data=data)


async def test_an_excel_sheet_imports_with_labels_spellings_and_titles(api):
    await api.import_app(all_types_app())
    await api.client.post(records_url("product"), json={"name": "荔枝", "price": 10})
    await api.client.post(records_url("product"), json={"name": "大米", "price": 20})
    customers = xlsx([["姓名", "手机", "level", "tags", "备注列"],
                      ["张三", 13800000001, "VIP", "老客、宝妈", "x"],
                      ["李四", "+86 138-0000-0002", None, None, "y"]])
    response = await upload(api, "customer", "客户.xlsx", customers)
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 2 and response.json()["ignored_columns"] == ["备注列"]
    assert response.json()["columns"] == {"姓名": "name", "手机": "phone", "level": "level", "tags": "tags"}
    listed = (await api.client.get(records_url("customer"), params={"sort": "id"})).json()["items"]
    assert [(c["name"], c["phone"], c["level"], c["tags"]) for c in listed] == [
        ("张三", "13800000001", "VIP", ["老客", "宝妈"]), ("李四", "13800000002", "普通", None)]
    orders = csv_bytes("customer,gifts,paid_on,gift_wrap,status\n张三,\"荔枝, 大米\",2026年11月20日,是,已退款\n")
    response = await upload(api, "order", "orders.csv", orders)
    assert response.status_code == 200, response.text
    order = (await api.client.get(records_url("order"))).json()["items"][0]
    assert order["customer"]["title"] == "张三" and [g["title"] for g in order["gifts"]] == ["荔枝", "大米"]
    assert order["paid_on"] == "2026-11-20" and order["gift_wrap"] is True and order["status"] == "refunded"


async def test_one_bad_row_writes_nothing_and_every_problem_is_reported(api):
    await api.import_app(all_types_app())
    sheet = csv_bytes("name,phone\n甲,13800000001\n,13800000002\n丙,12345\n丁,13800000001\n")
    response = await upload(api, "customer", "c.csv", sheet)
    assert response.status_code == 422
    body = response.json()
    assert body["imported"] == 0 and body["failed"] == 3
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "name"), (4, "phone"), (5, "phone")]
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0
    good = await upload(api, "customer", "c.csv", sheet, mode="good_rows")
    assert good.status_code == 200 and good.json()["imported"] == 1 and good.json()["failed"] == 3
    assert [c["name"] for c in (await api.client.get(records_url("customer"))).json()["items"]] == ["甲"]


async def test_relations_by_a_missing_or_ambiguous_title_are_named(api):
    await api.import_app(all_types_app())
    for name in ("张三", "张三", "李四"):
        await api.client.post(records_url("customer"), json={"name": name})
    response = await upload(api, "order", "o.csv", csv_bytes("customer\n张三\n王五\n2\n"),
                            mode="good_rows")
    assert response.status_code == 200 and response.json()["imported"] == 1
    messages = [e["message"] for e in response.json()["errors"]]
    assert "several records titled '张三'" in messages[0] and "no record titled '王五'" in messages[1]


async def test_gb18030_csv_mapping_and_broken_files(api):
    await api.import_app(all_types_app())
    sheet = csv_bytes("客户名\n赵六\n", "gb18030")
    mapped = await upload(api, "customer", "c.csv", sheet, mapping=json.dumps({"客户名": "name"}))
    assert mapped.status_code == 200 and mapped.json()["imported"] == 1
    nothing = await upload(api, "customer", "c.csv", csv_bytes("颜色\n红\n"))
    assert nothing.status_code == 422 and nothing.json()["error"]["details"][0]["code"] == "no_columns"
    broken = await upload(api, "customer", "c.xlsx", b"not a spreadsheet")
    assert broken.status_code == 422 and broken.json()["error"]["details"][0]["code"] == "bad_file"
    bad_mapping = await upload(api, "customer", "c.csv", sheet, mapping="[1]")
    assert bad_mapping.status_code == 422 and bad_mapping.json()["error"]["details"][0]["path"] == "/mapping"


async def test_an_export_imports_back(api):
    await api.import_app(all_types_app())
    await api.client.post(records_url("customer"), json={"name": "张三", "phone": "13800000001", "tags": ["VIP"]})
    exported = await api.client.get(records_url("customer") + "/export")
    await api.client.delete(records_url("customer") + "/1")
    again = await upload(api, "customer", "back.xlsx", exported.content)
    assert again.status_code == 200, again.text
    customer = (await api.client.get(records_url("customer"))).json()["items"][0]
    assert (customer["name"], customer["phone"], customer["tags"]) == ("张三", "13800000001", ["VIP"])


async def test_a_utf8_sheet_imports_wherever_its_chinese_characters_fall(api):
    """The encoding is guessed from the first few KB; a character cut at that edge must not mislead it."""
    await api.import_app(all_types_app())
    for shift in range(3):
        body = "name\n" + "x" * shift + "\n" + "\n".join(f"客户{n:05d}" for n in range(800)) + "\n"
        assert len(body.encode()) > 8192
        response = await upload(api, "customer", f"c{shift}.csv", body.encode("utf-8"))
        assert response.status_code == 200, response.text
    names = (await api.client.get(records_url("customer"), params={"q": "客户00799"})).json()["items"]
    assert len(names) == 3


async def test_spreadsheets_may_be_larger_than_other_requests(api):
    """A year of orders is tens of MB; the API's general body limit must not stand in its way."""
    await api.import_app(all_types_app())
    limit = api.platform.settings.max_body_bytes
    rows = "\n".join(f"客户{n:07d},138{n:08d}" for n in range((limit // 25) + 1000))
    sheet = ("name,phone\n" + rows + "\n").encode()
    assert len(sheet) > limit
    response = await upload(api, "customer", "big.csv", sheet)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["imported"] == sheet.count(b"\n") - 1
    too_big = await api.client.post(records_url("customer") + "/bulk", content=b"{" + b" " * limit + b"}",
                                     headers={"content-type": "application/json"})
    assert too_big.status_code == 413


async def test_the_preview_shows_headers_first_rows_and_the_matched_columns(api):
    await api.import_app(all_types_app())
    sheet = xlsx([["姓名", "手机", "备注列"], ["张三", 13800000001, "x"], [None, None, None]]
                 + [[f"客户{n}", None, None] for n in range(8)])
    response = await api.client.post(records_url("customer") + "/import/preview", files={"file": ("c.xlsx", sheet)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["headers"] == ["姓名", "手机", "备注列"]
    assert body["rows"][0] == ["张三", 13800000001, "x"] and len(body["rows"]) == 5  # the blank line is skipped
    assert body["mapping"] == {"姓名": "name", "手机": "phone"}
    assert [f["key"] for f in body["fields"]] == ["name", "phone", "email", "site", "level", "tags"]
    assert body["fields"][0] == {"key": "name", "label": "姓名", "type": "text", "required": True}
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0
    broken = await api.client.post(records_url("customer") + "/import/preview", files={"file": ("c.xlsx", b"x")})
    assert broken.status_code == 422 and broken.json()["error"]["details"][0]["code"] == "bad_file"


async def test_a_dry_run_reports_every_row_and_writes_nothing(api):
    await api.import_app(all_types_app())
    sheet = csv_bytes("名字,电话,备注\n甲,13800000001,x\n,13800000002,y\n丙,12345,z\n丁,13800000003,w\n")
    mapping = json.dumps({"名字": "name", "电话": "phone", "备注": ""})
    dry = await upload(api, "customer", "c.csv", sheet, mapping=mapping, dry_run="true")
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert body["dry_run"] is True and body["valid"] == 2 and body["failed"] == 2 and body["imported"] == 0
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "name"), (4, "phone")]
    assert body["columns"] == {"名字": "name", "电话": "phone"} and body["ignored_columns"] == ["备注"]
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0
    real = await upload(api, "customer", "c.csv", sheet, mapping=mapping, mode="good_rows")
    assert real.status_code == 200 and real.json()["imported"] == 2


async def test_the_preview_and_dry_run_need_the_import_right(api):
    from tests.runtime.people import add_user, bearer, token_of

    app = all_types_app()
    app["roles"] = [{"key": "clerk", "name": "店员", "permissions": [
        {"form": "customer", "ops": ["read", "create", "import"], "fields": {"phone": "readonly"}},
        {"form": "product", "ops": ["read", "create"]}]}]
    await api.import_app(app)
    clerk = await add_user(api, "clerk")
    await api.client.post(f"/api/admin/users/{clerk}/roles", json={"app": "shop", "role": "clerk"})
    headers = bearer(await token_of(api, "clerk"))
    sheet = csv_bytes("name,phone\n甲,13800000001\n")
    shown = await api.client.post(records_url("customer") + "/import/preview", files={"file": ("c.csv", sheet)},
                                  headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json()["mapping"] == {"name": "name"} and "phone" not in [f["key"] for f in shown.json()["fields"]]
    refused = await api.client.post(records_url("product") + "/import/preview", files={"file": ("c.csv", sheet)},
                                    headers=headers)
    assert refused.status_code == 403
    dry = await api.client.post(records_url("product") + "/import", files={"file": ("c.csv", sheet)},
                                data={"dry_run": "true"}, headers=headers)
    assert dry.status_code == 403

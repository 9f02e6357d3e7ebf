"""Linkage rules enforced by the server on every write, for records and sub-table rows, on both databases."""
from __future__ import annotations

import copy

from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "order", "name": "订单", "fields": [
            {"key": "status", "type": "select", "default": "paid", "options": ["paid", "refunded"]},
            {"key": "refund_reason", "type": "text", "required": True},
            {"key": "channel", "type": "select", "options": ["online", "offline"]},
            {"key": "express_no", "type": "text"},
            {"key": "warehouse", "type": "select", "options": ["sz", "gz", "bj"]},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "kind", "type": "select", "options": ["goods", "gift"]},
                {"key": "qty", "type": "number"},
                {"key": "price", "type": "money"},
                {"key": "size", "type": "select", "options": ["S", "M", "L", "XL"]}],
             "linkage": [
                 {"when": "kind = 'gift'", "hide": ["price"]},
                 {"when": "kind = 'goods'", "require": ["qty", "price"]},
                 {"when": "kind = 'gift'", "options": {"size": ["M"]}}]}],
         "linkage": [
             {"when": "status = 'refunded'", "show": ["refund_reason"]},
             {"when": "channel = 'offline'", "hide": ["express_no"]},
             {"when": "channel = 'online'", "require": ["express_no"]},
             {"when": "channel = 'offline'", "options": {"warehouse": ["sz", "gz"]}}]},
    ],
}


def _problems(response) -> set[tuple[str, str]]:
    return {(p["path"], p["code"]) for p in response.json()["error"]["details"]}


async def test_the_server_enforces_show_hide_require_and_options(api):
    await api.import_app(APP)
    url = records_url("order")
    # refund_reason is required by its definition but hidden until the order is refunded: not required now
    ok = await api.client.post(url, json={"channel": "offline", "warehouse": "gz"})
    assert ok.status_code == 201, ok.text
    bad = await api.client.post(url, json={"channel": "offline", "express_no": "SF1", "warehouse": "bj",
                                           "refund_reason": "不想要了"})
    assert bad.status_code == 422
    assert _problems(bad) == {("/express_no", "hidden_by_linkage"), ("/warehouse", "option_ruled_out"),
                              ("/refund_reason", "hidden_by_linkage")}
    missing = await api.client.post(url, json={"channel": "online", "status": "refunded"})
    assert _problems(missing) == {("/express_no", "required"), ("/refund_reason", "required")}
    assert (await api.client.get(url)).json()["total"] == 1  # nothing of the refused writes was kept


async def test_an_update_is_judged_on_the_whole_record_and_clears_what_becomes_hidden(api):
    await api.import_app(APP)
    url = records_url("order")
    created = (await api.client.post(url, json={"channel": "online", "express_no": "SF100"})).json()
    # switching to offline hides the express number: it is emptied, not kept out of sight
    patched = await api.client.patch(f"{url}/{created['id']}", json={"channel": "offline", "version": created["version"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["express_no"] is None
    # refunding needs the reason, which the stored record lacks
    refused = await api.client.patch(f"{url}/{created['id']}", json={"status": "refunded",
                                                                      "version": patched.json()["version"]})
    assert _problems(refused) == {("/refund_reason", "required")}
    fine = await api.client.patch(f"{url}/{created['id']}", json={"status": "refunded", "refund_reason": "破损",
                                                                  "version": patched.json()["version"]})
    assert fine.status_code == 200 and fine.json()["refund_reason"] == "破损"


async def test_sub_table_rows_follow_their_own_rules_row_by_row(api):
    await api.import_app(APP)
    url = records_url("order")
    bad = await api.client.post(url, json={"lines": [
        {"kind": "goods", "qty": 1},
        {"kind": "gift", "price": 9.9, "size": "L"},
        {"kind": "gift", "size": "M"}]})
    assert bad.status_code == 422
    assert _problems(bad) == {("/lines/0/price", "required"), ("/lines/1/price", "hidden_by_linkage"),
                              ("/lines/1/size", "option_ruled_out")}
    good = await api.client.post(url, json={"lines": [
        {"kind": "goods", "qty": 1, "price": 20, "size": "XL"}, {"kind": "gift", "size": "M"}]})
    assert good.status_code == 201, good.text
    assert [line["price"] for line in good.json()["lines"]] == [20, None]


async def test_bad_rules_are_refused_at_their_place(api):
    doc = copy.deepcopy(APP)
    rules = doc["forms"][0]["linkage"]
    rules.append({"when": "status =", "show": ["nope"]})
    rules.append({"when": "status = 'paid'", "options": {"express_no": ["x"], "warehouse": ["hk"]}})
    rules.append({"when": "channel", "hide": ["status"]})
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    assert _problems(response) == {
        ("/forms/0/linkage/4/when", "expr_syntax"), ("/forms/0/linkage/4/show/0", "unknown_field"),
        ("/forms/0/linkage/5/options/express_no", "linkage_not_choice"),
        ("/forms/0/linkage/5/options/warehouse/0", "not_option"),
        ("/forms/0/linkage/6/when", "expr_not_condition"),
    }

"""The rule designer's preview on SQLite and PostgreSQL: how many records of the published form an unsaved
condition holds for now, counted by the database with the batch run's own SQL (so the preview and "run now" agree),
and problems by place (/when with the position, /form)."""
from __future__ import annotations

from sqlalchemy import event

from tests.runtime.people import add_user, bearer, token_of
from tests.runtime.test_rules import PEOPLE, RULES, create, run, shop

VIP = RULES[0]["when"]


def preview_url(app: str = "shop") -> str:
    return f"/api/apps/{app}/rules/preview"


async def preview(api, body: dict, app: str = "shop", status: int = 200, headers: dict | None = None) -> dict:
    response = await api.client.post(preview_url(app), json=body, headers=headers or {})
    assert response.status_code == status, response.text
    return response.json()


async def shop_with_people(api) -> None:
    await api.import_app(shop(on=False))  # no event-time rules: the records stay as written
    for person in PEOPLE:
        await create(api, person)


async def test_preview_counts_what_run_now_matches(api):
    await shop_with_people(api)
    counted = await preview(api, {"form": "customer", "when": VIP})
    assert counted == {"matched": 4, "total": 10}
    assert (await run(api, "vip"))["matched"] == 4  # the batch run's condition, the same SQL
    # a few shapes the condition builder writes: empty values, tags, text contains, NOT IN
    cases = {
        "ISBLANK(spent)": 2,  # F and I
        "NOT ISBLANK(spent)": 8,
        "HAS_TAG(tags, '老客户')": 3,  # D, H, J — and after the run, still by hand
        "CONTAINS(note, 'call')": 1,
        "region NOT IN ('华东', '华南')": 3,  # E (华北) and the two without a region: empty is a value for IN
        "spent >= 8000 OR orders > 8": 5,  # A, B, C, E, J
        "(spent > 5000 AND region = '华东') OR (orders > 8 AND region = '华南')": 5,  # A, B, H | C, J
    }
    for when, matched in cases.items():
        assert await preview(api, {"form": "customer", "when": when}) == {"matched": matched, "total": 10}, when
    # no condition: every record, as a rule without `when`
    assert await preview(api, {"form": "customer", "when": ""}) == {"matched": 10, "total": 10}
    assert await preview(api, {"form": "customer"}) == {"matched": 10, "total": 10}


async def test_a_whole_unsaved_rule_is_previewed_by_its_condition(api):
    await shop_with_people(api)
    half_written = {"key": "draft_rule", "name": "", "form": "customer", "on": ["created"], "when": "orders >= 3",
                    "then": [{"action": "add_tag"}]}  # the designer is mid-edit: the actions do not matter here
    assert await preview(api, half_written) == {"matched": 7, "total": 10}  # A C D E F H J


async def test_counted_in_sql_never_row_by_row(api):
    await shop_with_people(api)
    async with api.platform.engine.connect() as conn:
        table = (await api.platform.schemas.get(conn, "shop")).forms["customer"].table.name
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(api.platform.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await preview(api, {"form": "customer", "when": VIP})
    finally:
        event.remove(api.platform.engine.sync_engine, "before_cursor_execute", seen)
    reading = [s for s in statements if table in s]
    assert len(reading) == 1 and "count(" in reading[0].lower(), reading


async def test_problems_come_back_by_place(api):
    await shop_with_people(api)
    wrong = await preview(api, {"form": "customer", "when": "spent > "}, status=422)
    detail = wrong["error"]["details"][0]
    assert detail["path"] == "/when" and detail["position"] == 8
    unknown = await preview(api, {"form": "customer", "when": "orders > 1 AND spnt > 5"}, status=422)
    detail = unknown["error"]["details"][0]
    assert detail["path"] == "/when" and detail["position"] == 15 and "spnt" in detail["message"]
    not_bool = (await preview(api, {"form": "customer", "when": "spent + 1"}, status=422))["error"]["details"][0]
    assert not_bool["path"] == "/when"
    missing = (await preview(api, {"form": "order", "when": "TRUE"}, status=422))["error"]["details"][0]
    assert missing["path"] == "/form" and "order" in missing["message"]
    no_form = (await preview(api, {"when": "TRUE"}, status=422))["error"]["details"][0]
    assert no_form["path"] == "/form"
    await preview(api, {"form": "customer"}, app="nowhere", status=404)


async def test_only_administrators_preview(api):
    await shop_with_people(api)
    await add_user(api, "clerk")
    headers = bearer(await token_of(api, "clerk"))
    await preview(api, {"form": "customer", "when": VIP}, headers=headers, status=403)

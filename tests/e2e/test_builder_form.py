"""The form designer in a real browser: an admin builds a six-field form by dragging types from the palette.

Through the API the test makes its own app (a 巡店 form holding one text field). In the builder it drags six field
types onto the canvas with real pointer steps (dnd-kit follows the pointer): four to the end, one between two
cards, then sorts a card by dragging it; it deletes the starting field, names a field, writes a formula (the live
check answers with its type), looks at the preview, saves and publishes. The running app then takes a record
through the form that was drawn, with the formula worked out by the server. The SCRM app is left alone.

Screenshots land in tests/e2e/screenshots/ (``form-NN-….png``; git-ignored).
"""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import Api, pick, publish, save, shooter, sign_in_admin

pytestmark = pytest.mark.browser

shot = shooter("form")


def make_app(api: Api, key: str) -> None:
    answer = api.post("/api/apps/import", json={
        "format": "nocode.app/v1", "key": key, "name": "巡店（表单设计测试）",
        "forms": [{"key": "visit", "name": "巡店", "title_field": "title",
                   "fields": [{"key": "title", "type": "text", "label": "标题"}]}],
        "menus": [{"label": "巡店", "form": "visit"}],
    })
    assert answer.status_code == 201, answer.text


def centre(page: Page, test_id: str) -> tuple[float, float]:
    box = page.get_by_test_id(test_id).bounding_box()
    assert box, test_id
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Page, source: str, target: str, *, upper: bool = False) -> None:
    """Presses on one element, moves past dnd-kit's 5 px threshold, then to the target in steps, and lets go."""
    page.get_by_test_id(source).scroll_into_view_if_needed()
    x, y = centre(page, source)
    box = page.get_by_test_id(target).bounding_box()
    assert box, target
    tx = box["x"] + box["width"] / 2
    ty = box["y"] + (box["height"] / 4 if upper else box["height"] / 2)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 8, y + 8, steps=4)
    page.mouse.move(tx, ty, steps=15)
    page.mouse.move(tx + 1, ty + 1, steps=2)  # one more event where it stays, so the drop target settles
    page.mouse.up()


def card_keys(page: Page) -> list[str]:
    return page.get_by_test_id("fd-canvas").locator("[data-testid^='fd-field-']").evaluate_all(
        "cards => cards.map(c => c.dataset.testid.slice('fd-field-'.length))")


def test_a_form_is_drawn_by_dragging_published_and_filled_in(live_server, admin_api: Api, browser_page: Page):
    page = browser_page
    page.set_viewport_size({"width": 1600, "height": 1000})
    key = f"fd_{uuid.uuid4().hex[:6]}"
    make_app(admin_api, key)
    base = sign_in_admin(page, live_server)

    page.goto(f"{base}/build/{key}/forms/visit")
    expect(page.get_by_test_id("fd-palette")).to_be_visible()
    expect(page.get_by_test_id("fd-field-title")).to_be_visible()

    # Four types dragged to the end of the canvas, one by one.
    for type_key in ("text", "select", "date", "money"):
        drag(page, f"fd-palette-{type_key}", "fd-canvas")
    assert card_keys(page) == ["title", "field_1", "field_2", "field_3", "field_4"]
    # A number dropped onto the select's card lands before it; a formula at the end.
    drag(page, "fd-palette-number", "fd-field-field_2")
    drag(page, "fd-palette-formula", "fd-canvas")
    assert card_keys(page) == ["title", "field_1", "field_5", "field_2", "field_3", "field_4", "field_6"]
    shot(page, "01-dropped")

    # Sorting: the money card dragged onto the text card takes its place.
    drag(page, "fd-field-field_4", "fd-field-field_1")
    assert card_keys(page) == ["title", "field_4", "field_1", "field_5", "field_2", "field_3", "field_6"]

    # The starting field goes; the form keeps six fields, all placed by dragging.
    page.get_by_test_id("fd-field-title").hover()
    page.get_by_test_id("fd-delete-title").click()
    assert card_keys(page) == ["field_4", "field_1", "field_5", "field_2", "field_3", "field_6"]

    # Names and a formula through the property panel.
    page.get_by_test_id("fd-field-field_1").click()
    page.get_by_test_id("prop-label").fill("门店")
    expect(page.get_by_test_id("fd-field-field_1")).to_contain_text("门店")
    page.get_by_test_id("fd-field-field_5").click()
    page.get_by_test_id("prop-label").fill("人数")
    page.get_by_test_id("fd-field-field_4").click()
    page.get_by_test_id("prop-label").fill("销售额")
    page.get_by_test_id("fd-field-field_6").click()
    expr = page.get_by_test_id("prop-expr-input")
    expr.fill("field_4 / fiel")
    expect(page.get_by_test_id("formula-suggestion-field_4")).to_be_visible()
    expr.fill("field_4 / field_55")
    expect(page.get_by_test_id("formula-error-position")).to_have_attribute("data-position", "10")
    shot(page, "02-formula-error")
    expr.fill("field_4 / field_5")
    expect(page.get_by_test_id("formula-ok")).to_contain_text("数字")
    # The form's settings: the store names a record.
    page.get_by_test_id("fd-form-settings").click()
    pick(page, "form-title-field", "门店")
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    shot(page, "03-designed")

    # The preview is the runtime's form.
    page.get_by_test_id("fd-tab-preview").click()
    preview = page.get_by_test_id("fd-preview")
    expect(preview.get_by_test_id("record-form")).to_be_visible()
    expect(preview).to_contain_text("门店")
    shot(page, "04-preview")
    page.get_by_test_id("fd-tab-design").click()

    save(page)
    publish(page, 2)

    # The running app takes a record through the drawn form; the server works the formula out.
    page.goto(f"{base}/apps/{key}/forms/visit")
    page.get_by_test_id("record-new").click()
    form = page.get_by_test_id("record-form")
    form.locator("#field_1").fill("人民路店")
    form.locator("#field_5").fill("4")
    form.locator("#field_4").fill("1000")
    page.get_by_test_id("record-save").click()
    expect(page.get_by_test_id("record-title")).to_contain_text("人民路店")
    expect(page.get_by_test_id("record-fields")).to_contain_text("250")
    shot(page, "05-record")
    assert not page.js_errors

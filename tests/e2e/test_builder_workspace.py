"""The builder's workspace in a real browser: an admin makes a blank app from the app list, adds a form, saves the
draft, publishes it after reading the list of changes, renames the app in a second version, rolls back to the first
one, and opens the running app. The app is the test's own; the SCRM app of the live server is left alone.

Screenshots land in tests/e2e/screenshots/ (``builder-NN-….png``; git-ignored).
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import save, shooter, sign_in_admin

pytestmark = pytest.mark.browser

shot = shooter("builder")


def test_a_blank_app_is_built_published_renamed_and_rolled_back(live_server, browser_page: Page):
    page = browser_page
    key = f"ws_{uuid.uuid4().hex[:6]}"
    sign_in_admin(page, live_server)

    # A blank app from the app list lands in the builder.
    page.get_by_test_id("app-create").click()
    page.get_by_role("menuitem", name="空白应用").click()
    page.get_by_test_id("app-create-name").fill("巡店记录")
    page.get_by_test_id("app-create-key").fill(key)
    page.get_by_test_id("app-create-ok").click()
    page.wait_for_url(re.compile(rf"/build/{key}$"))
    expect(page.get_by_test_id("builder-status")).to_have_text("已发布 v1")

    # A form through the add dialog; the key follows the name until typed over.
    page.get_by_test_id("builder-add-forms").click()
    page.get_by_test_id("builder-new-name").fill("Store visit")
    expect(page.get_by_test_id("builder-new-key")).to_have_value("store_visit")
    page.get_by_test_id("builder-new-key").fill("visit")
    page.get_by_test_id("builder-new-ok").click()
    page.wait_for_url(re.compile(rf"/build/{key}/forms/visit$"))
    expect(page.get_by_test_id("builder-item-forms-visit")).to_be_visible()
    expect(page.get_by_test_id("builder-status")).to_have_text("有未保存的更改")
    expect(page.get_by_test_id("builder-problem-count")).to_have_text("检查通过")
    shot(page, "01-new-form")

    save(page)

    # Publishing lists what changes first.
    page.get_by_test_id("builder-publish").click()
    changes = page.get_by_test_id("builder-publish-changes")
    expect(changes).to_contain_text("Store visit")
    expect(changes).to_contain_text("新增")
    shot(page, "02-publish-dialog")
    page.get_by_test_id("builder-publish-confirm").click()
    expect(page.get_by_test_id("builder-status")).to_have_text("已发布 v2")

    # A second version renames the app; the working copy's check runs as one types.
    page.get_by_test_id("builder-settings").click()
    page.get_by_test_id("builder-app-name").fill("巡店记录（新）")
    expect(page.get_by_test_id("builder-status")).to_have_text("有未保存的更改")
    page.get_by_test_id("builder-publish").click()
    expect(page.get_by_test_id("builder-publish-changes")).to_contain_text("应用设置")
    page.get_by_test_id("builder-publish-confirm").click()
    expect(page.get_by_test_id("builder-status")).to_have_text("已发布 v3")
    expect(page.get_by_test_id("builder-app-name")).to_have_value("巡店记录（新）")

    # Rolling back to v2 publishes its definition again as v4.
    page.get_by_test_id("builder-more").click()
    page.get_by_role("menuitem", name="版本历史").click()
    drawer = page.get_by_test_id("builder-versions-drawer")
    expect(drawer.get_by_text("v3")).to_be_visible()
    shot(page, "03-versions")
    drawer.get_by_test_id("builder-rollback-2").click()
    page.get_by_role("button", name=re.compile(r"确\s*定|OK")).click()
    expect(page.get_by_test_id("builder-status")).to_have_text("已发布 v4")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("builder-app-name")).to_have_value("巡店记录")

    # The running app shows the new form.
    page.get_by_test_id("builder-run").click()
    page.wait_for_url(re.compile(rf"/apps/{key}$"))
    expect(page.get_by_test_id("app-menu").get_by_role("link", name="Store visit")).to_be_visible()
    assert not page.js_errors

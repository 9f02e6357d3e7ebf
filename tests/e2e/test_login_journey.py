"""The sign-in journey in a real browser against a live server serving the built frontend.

Needs the ``live_server`` fixture (tests/e2e/conftest.py): ``.url``, ``.admin_username``, ``.admin_password``
and ``.app_name`` (the name of an installed app).
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect


pytestmark = pytest.mark.browser


def server_error_message(url: str, username: str, password: str, lang: str = "zh-CN") -> str:
    """What the server itself says to a wrong sign-in, so the UI can be checked to show exactly that."""
    request = urllib.request.Request(
        url + "/api/auth/login",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "Accept-Language": lang},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 401
    return json.loads(info.value.read())["error"]["message"]


def sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def token(page: Page):
    return page.evaluate("() => window.localStorage.getItem('nocode.token')")


def test_sign_in_switch_language_and_sign_out(live_server, browser_page: Page):
    page = browser_page
    base = live_server.url.rstrip("/")
    wrong_password = live_server.admin_password + "-wrong"

    # Unauthenticated: the app sends us to the login page, in Chinese by default.
    page.goto(base + "/")
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_test_id("login-title")).to_have_text("登录")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # Wrong password: the server's own message is shown and we stay on /login without a token.
    expected_message = server_error_message(base, live_server.admin_username, wrong_password)
    sign_in(page, live_server.admin_username, wrong_password)
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(expected_message)
    assert re.search(r"/login$", page.url)
    assert token(page) is None

    # Right password: the apps page lists the installed app and shows who is signed in.
    sign_in(page, live_server.admin_username, live_server.admin_password)
    page.wait_for_url(base + "/")
    expect(page.get_by_test_id("apps-page")).to_be_visible()
    expect(page.get_by_test_id("apps-list").get_by_test_id("app-name").filter(has_text=live_server.app_name)).to_be_visible()
    expect(page.get_by_test_id("current-user-name")).not_to_be_empty()
    expect(page.get_by_test_id("page-title")).to_have_text("应用")
    expect(page.get_by_test_id("logout")).to_contain_text(re.compile(r"退\s*出\s*登\s*录"))
    assert token(page)

    # Switch to English: labels change, and the choice is remembered.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Apps")
    expect(page.get_by_test_id("logout")).to_contain_text("Sign out")
    expect(page.get_by_test_id("logo")).to_contain_text("No-code platform")
    expect(page.locator("html")).to_have_attribute("lang", "en-US")
    assert page.evaluate("() => window.localStorage.getItem('nocode.lang')") == "en-US"

    # Sign out: back on the login page (still English), the token gone, and / is closed again.
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_test_id("login-title")).to_have_text("Sign in")
    assert token(page) is None
    page.goto(base + "/")
    page.wait_for_url(re.compile(r"/login$"))

    assert page.js_errors == []


def test_open_an_app_and_reload_a_deep_link(live_server, browser_page: Page):
    page = browser_page
    base = live_server.url.rstrip("/")
    page.goto(base + "/login")
    sign_in(page, live_server.admin_username, live_server.admin_password)
    page.wait_for_url(base + "/")

    page.get_by_test_id("apps-list").get_by_test_id("app-name").filter(has_text=live_server.app_name).first.click()
    page.wait_for_url(re.compile(r"/apps/[^/]+$"))
    expect(page.get_by_test_id("page-title")).to_have_text(live_server.app_name)
    rows = page.get_by_test_id("forms-table").locator("tbody tr.ant-table-row")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 1

    # The server's SPA fallback serves index.html for the deep link; the session survives a reload.
    page.reload()
    expect(page.get_by_test_id("page-title")).to_have_text(live_server.app_name)

    assert page.js_errors == []

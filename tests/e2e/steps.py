"""Steps the builder's browser tests share: the HTTP API signed in as someone, the admin's sign-in, the workspace's add
dialog, saving and publishing, choosing in an antd Select, and screenshots in tests/e2e/screenshots/ (git-ignored).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.test_login_journey import sign_in

SHOTS = Path(__file__).parent / "screenshots"


def shooter(prefix: str, *, full_page: bool = True) -> Callable[[Page, str], None]:
    """A `shot(page, "01-name")` that saves the page as screenshots/{prefix}-01-name.png."""
    def shot(page: Page, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{prefix}-{name}.png"), full_page=full_page)
    return shot


class Api(httpx.Client):
    """The HTTP API signed in as one user (the `admin_api` fixture is the live server's admin).

    Close it with `contextlib.closing`: httpx refuses `with` on a client that has sent a request (the sign-in) already.
    """

    def __init__(self, base: str, username: str, password: str):
        super().__init__(base_url=base, timeout=30)
        answer = self.post("/api/auth/login", json={"username": username, "password": password})
        answer.raise_for_status()
        self.headers["Authorization"] = "Bearer " + answer.json()["access_token"]

    def call(self, method: str, path: str, **kw) -> dict:
        """The answer's JSON; an answer that is not a success fails the test."""
        answer = self.request(method, path, **kw)
        assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else {}


def sign_in_admin(page: Page, live_server) -> str:
    """Signs the live server's admin in through the login page and waits for the app list; gives the base URL."""
    base = live_server.url.rstrip("/")
    page.goto(base + "/login")
    sign_in(page, live_server.admin_username, live_server.admin_password)
    page.wait_for_url(base + "/")
    return base


def add_item(page: Page, app_key: str, section: str, name: str, key: str) -> None:
    """A new item of a section ("forms", "rules" …) through the workspace's add dialog, open in its designer."""
    page.get_by_test_id(f"builder-add-{section}").click()
    page.get_by_test_id("builder-new-name").fill(name)
    page.get_by_test_id("builder-new-key").fill(key)
    page.get_by_test_id("builder-new-ok").click()
    page.wait_for_url(re.compile(rf"/build/{app_key}/{section}/{key}$"))


def save(page: Page) -> None:
    page.get_by_test_id("builder-save").click()
    expect(page.get_by_test_id("builder-status")).to_have_text("草稿未发布")


def publish(page: Page, version: int | None = None) -> None:
    """Publishes the working copy once the dialog lists the changes; `version` is the one it must become, if known."""
    page.get_by_test_id("builder-publish").click()
    expect(page.get_by_test_id("builder-publish-changes")).to_be_visible()
    page.get_by_test_id("builder-publish-confirm").click()
    status = f"已发布 v{version}" if version is not None else re.compile(r"已发布 v\d+")
    expect(page.get_by_test_id("builder-status")).to_have_text(status, timeout=20_000)


def pick(page: Page, select_test_id: str, option: str, *, exact: bool = False) -> None:
    """Opens an antd Select by its test id and chooses the option with this text (all of it, when `exact`)."""
    page.get_by_test_id(select_test_id).click()
    text = re.compile(rf"^{re.escape(option)}$") if exact else option
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter(has_text=text).first.click()

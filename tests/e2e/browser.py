"""Browser fixtures for the end-to-end tests: Debian's Chromium driven by Playwright's sync API.

Import the fixtures into a test module (``from tests.e2e.browser import chromium_browser, browser_page``).
The system Chromium is used as is (``/usr/bin/chromium``, override with NOCODE_CHROMIUM); Playwright never
downloads a browser here. Without Chromium the tests are skipped locally and fail under CI=true.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NOCODE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests need Chromium in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the session."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - depends on the environment
        _unavailable(f"playwright is not installed: {e}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class PageErrors(list):
    """Uncaught JavaScript errors seen on a page (console errors are kept apart, as they may be expected 401s)."""


@pytest.fixture
def browser_page(chromium_browser, tmp_path):
    """A fresh browser context and page per test (empty localStorage), 1280×800, zh-CN.

    ``page.js_errors`` lists uncaught exceptions. The last state of the page is saved as a screenshot in the
    test's tmp_path (pytest prints its path with the output of a failing test).
    """
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        shot = tmp_path / "last-page.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"last state of the page: {shot}")
        except Exception:  # the page may be gone
            pass
        context.close()

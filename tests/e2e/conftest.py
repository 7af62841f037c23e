"""Browser tests: a real Kontor server in a background thread, driven by Debian's Chromium
through Playwright (sync API).

Run them with ``pytest -q tests/e2e`` (add ``KONTOR_TEST_DATABASE_URL=postgresql://...``
for PostgreSQL). Without Chromium or the ``playwright`` package they are skipped with
install instructions; on CI (``CI=true``) a missing browser fails the run instead.

Screenshots of the important steps land in ``test-artifacts/screenshots/<test>-<step>.png``
(git-ignored), and one named ``<test>-failure.png`` when a test fails.
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import ON_CI, OWNER_PASSWORD, create_user

CHROMIUM = "/usr/bin/chromium"
# Headless and offline: without these flags Chromium tries to reach Google's servers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install it with `apt-get install -y chromium` and `pip install -e .[test]`"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 5_000  # actions and navigation; `expect` waits less (see below)
EXPECT_TIMEOUT_MS = 3_000
OWNER_EMAIL = "owner@example.com"
OWNER_NAME = "Olga Owner"


def _browser_unavailable(what: str):
    message = f"Browser tests need {what}; {INSTALL_HINT}."
    if ON_CI:
        pytest.fail(message + " (CI=true: a missing browser is an error, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def playwright_api():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _browser_unavailable("the Python package `playwright`")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    return sync_playwright


@pytest.fixture(scope="session")
def browser(playwright_api):
    """One headless Chromium for the whole session."""
    if not os.path.exists(CHROMIUM):
        _browser_unavailable(f"Chromium at {CHROMIUM}")
    with playwright_api() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    app: Flask

    @property
    def instance_path(self) -> Path:
        return Path(self.app.instance_path)

    def print_setup_link(self) -> str:
        """What ``kontor run`` does on a fresh instance: create the one-time setup token
        in the instance folder. Returns the path of the link it would print."""
        from core.auth import setup

        with self.app.app_context():
            token = setup.setup_token()
        assert token, "an owner exists already: no setup link"
        return f"/setup?token={token}"

    def create_owner(self, email=OWNER_EMAIL, name=OWNER_NAME, password=OWNER_PASSWORD, **extra):
        with self.app.app_context():
            create_user(email=email, name=name, password=password, **extra)


def open_tab(page, name: str, exact: bool = False):
    """Open a (Bootstrap) tab and wait for its panel's fade-in; returns the panel. Waits for
    the page's scripts first: a click that comes before Bootstrap has loaded (a busy
    machine, tests in parallel) selects nothing."""
    from playwright.sync_api import expect

    page.wait_for_load_state("load")
    tab = page.get_by_role("tab", name=name, exact=exact)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.locator(f"#{tab.get_attribute('aria-controls')}")
    expect(panel).to_have_css("opacity", "1")
    return panel


@contextlib.contextmanager
def serve(app: Flask):
    """Serve ``app`` on a free port of 127.0.0.1 by werkzeug in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kontor-e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(make_app):
    """Kontor with the ``memo`` test plugin and CSRF protection on, served while the test
    runs. A test module needing other plugins overrides this fixture with ``serve``."""
    from tests.support import memo

    with serve(make_app(PLUGINS=[memo], WTF_CSRF_ENABLED=True)) as server:
        yield server


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _test_name(request) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name)


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(locale="de-DE")``: a page in a fresh browser context (no cookies), with
    relative URLs resolved against the live server. Every context is closed after the
    test; a failing test leaves a screenshot of each of its pages.

    Uncaught JavaScript errors and Content-Security-Policy violations fail the test."""
    contexts, pages, problems = [], [], []

    def make(locale: str = "en-US"):
        context = browser.new_context(base_url=live_server.url, locale=locale,
                                      viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text else None)
        contexts.append(context)
        pages.append(page)
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages):
            suffix = f"-{number}" if number else ""
            try:
                page.screenshot(path=str(SCREENSHOTS / f"{_test_name(request)}-failure{suffix}.png"), full_page=True)
            except Exception:  # the page may be gone; the failure itself matters more
                pass
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page):
    """A page in a fresh English (en-US) browser context."""
    return new_page()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves a full-page screenshot to
    ``test-artifacts/screenshots/<test>-<step>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{_test_name(request)}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD) -> None:
    """Sign in through the login form (language independent: by field names)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def owner_page(live_server, page):
    """A page signed in as the owner Olga Owner (English browser)."""
    live_server.create_owner()
    sign_in(page)
    return page

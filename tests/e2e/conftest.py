"""Browser journeys: Playwright (python) driving Debian's Chromium against a live server.

The server runs in a thread on a fresh database of the suite's kind (SQLite file, or a PostgreSQL database
next to TEST_DATABASE_URL) holding the demo VRU. Screenshots go to test-artifacts/e2e/ for people to look at.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import config

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DEMO_PASSWORD = "e2e demo password 2024"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    return config.chromium_path_override() or shutil.which("chromium") or shutil.which("chromium-browser")


def _e2e_database_url() -> str:
    from tests.conftest import ensure_postgres_database, reset_database

    if config.test_target() == "postgres":
        base = sa.engine.make_url(config.test_database_url())
        url = str(base.set(database=f"{base.database}_e2e"))
        ensure_postgres_database(url)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='waypoint-e2e-')) / 'e2e.db'}"
    reset_database(url)
    return url


@pytest.fixture(scope="session")
def live_server():
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from app.db import db
    from app.demo_years import load_demo

    url = _e2e_database_url()
    server_app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": DEMO_PASSWORD,
                                     "ARGON2_FAST": True})
    ctx = server_app.app_context()
    ctx.push()
    try:
        upgrade()
        # What `flask demo-data` loads — 2023-24, 2024-25 and every later year to today's — with fewer people in
        # the two seeded years (80, not 400) to keep the browser tests quick; the later years are the same.
        load_demo(DEMO_PASSWORD, people=80, today=date.today())
        db.session.remove()
    finally:
        ctx.pop()
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    yield type("LiveServer", (), {"url": base_url, "app": server_app})
    server.shutdown()
    with server_app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        import warnings

        msg = "NO CHROMIUM FOUND: browser journeys SKIPPED (apt-get install chromium)"
        print("\n" + "!" * 80 + "\n" + msg + "\n" + "!" * 80)
        warnings.warn(msg, stacklevel=1)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact (people look at these)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = "pg" if config.test_target() == "postgres" else "sqlite"
    path = ARTIFACTS / f"{name}-{suffix}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Authenticator apps of the demo users, as a person would hold them: email → (secret, last step used).
AUTHENTICATORS: dict[str, list] = {}


def _code_for(email: str) -> str:
    import time

    import pyotp

    secret, last = AUTHENTICATORS[email]
    step = max(int(time.time() // 30), (last or 0) + 1)  # a code is accepted once only
    if step > int(time.time() // 30) + 1:  # the server accepts one step ahead at most: wait, as a person would
        time.sleep(max(0.0, (step - 1) * 30 - time.time()) + 0.5)
    AUTHENTICATORS[email][1] = step
    return pyotp.TOTP(secret).at(step * 30)


def sign_in_as(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in as a person would, with the second factor: programme office, finance and admin set up their
    authenticator at first sign-in (the key is read off the set-up page) and type its code afterwards."""
    page.goto("/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Sign in'), input[value='Sign in']")
    page.wait_for_load_state("domcontentloaded")
    if page.url.endswith("/account/two-factor"):
        key = page.locator("[data-testid=totp-key]").text_content().replace(" ", "")
        AUTHENTICATORS[email] = [key, None]
        page.fill("#code", _code_for(email))
        page.click("button:has-text('Continue'), input[value='Continue']")
        page.wait_for_load_state("domcontentloaded")
    elif page.url.endswith("/sign-in/code"):
        page.fill("#code", _code_for(email))
        page.click("button:has-text('Continue'), input[value='Continue']")
        page.wait_for_load_state("domcontentloaded")


def sign_out(page) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/sign-in")

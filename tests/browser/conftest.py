"""Browser tests: the portal served over HTTP from its own app and database, driven by Debian's Chromium.

The live server is a separate app on a database of its own (SQLite, or PostgreSQL when the suite
runs there), migrated and filled with the demo data once per session, served by werkzeug from a
background thread. Nothing is pushed globally: each request the server handles pushes its own app
context in its own thread.
"""
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from playwright.sync_api import Page, expect
from test_small_screen import PHONE
from werkzeug.serving import WSGIRequestHandler, make_server

from portal import create_app
from portal.demo import DEMO_ACCOUNTS, STAFF_INSTITUTIONS, load_demo
from portal.extensions import db as _db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(autouse=True)
def db():
    """Replace the suite's per-test transaction fixture for browser tests.

    That fixture swaps the process-wide `db.session` for one bound to the main test app's
    connection; the live server's request threads would then read and write the wrong
    database. Browser tests work through HTTP only, so they need no session of their own.
    """
    yield _db


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, live_database_url):
    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "live-server-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
        "SQLALCHEMY_DATABASE_URI": live_database_url,
        # Without these the app would make its ID key and job queue under ./instance, not the tmp folder.
        "ID_KEY": "7b" * 32,
        "JOBS_IMMEDIATE": True,
    })
    app.instance_path = str(folder / "instance")
    with app.app_context():
        upgrade()
        load_demo(datetime.now(ZoneInfo("Asia/Shanghai")).date())
        _db.session.commit()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.engine.dispose()


class QuietHandler(WSGIRequestHandler):
    """Keeps one log line per request out of the test output; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture(scope="session")
def live_server(live_app):
    """The base URL, e.g. http://127.0.0.1:40123, of the portal served from a background thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open relative to the live server: page.goto("/courses").

    Defining it here also keeps pytest-playwright's own fallback fixture out of the run: that
    one is an instance method on a plugin class, which pytest 9 warns about (an error here).
    """
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


@pytest.fixture
def open_page(new_context):
    """A fresh browser (its own cookies): open_page() on a desktop, open_page(phone=True) on a 360 px phone."""
    def make(phone: bool = False) -> Page:
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2} if phone else {}
        page = new_context(**options).new_page()
        page.set_default_timeout(10_000)
        page.set_default_navigation_timeout(15_000)
        return page
    return make


@pytest.fixture(scope="session")
def demo_account():
    """Look up a demo account: demo_account("staff", "海南省技师学院")."""
    def find(role: str, institution: str | None = None):
        for a in DEMO_ACCOUNTS:
            if a.role == role and (institution is None or STAFF_INSTITUTIONS.get(a.login) == institution):
                return a
        raise LookupError(f"no demo account for {role} {institution or ''}")
    return find


@pytest.fixture
def log_in(page):
    """Log `page` (or the page given as `on`) in through the login form as `who`: a demo account, or
    anything with its login, password and name."""
    def do(who, on=None):
        on = on or page
        on.goto("/login")
        on.get_by_label("手机号或邮箱").fill(who.login)
        on.get_by_label("密码").fill(who.password)
        on.locator("main").get_by_role("button", name="登录").click()
        expect(on.locator("header .who")).to_have_text(who.name)
        return on
    return do


@pytest.fixture(scope="session")
def seed(live_app):
    """Put data into the live server's database through the services: seed(fn, *args) runs fn in an
    app context of the live app and commits. Return plain values (ids, names), not ORM objects."""
    def run(fn, *args, **kwargs):
        with live_app.app_context():
            try:
                result = fn(*args, **kwargs)
                _db.session.commit()
                return result
            finally:
                _db.session.remove()
    return run

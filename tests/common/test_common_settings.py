"""Behaviour that hangs on a setting, each checked on an app built with that setting.

These apps share the suite's database: the per-test transaction's session serves their
requests too, so the users made by the factories can log in to them. None of them enables
the rate limiter, so none changes the limiter shared with the suite's app.
"""
import re
import stat

import pytest

from portal import create_app
from portal.auth.models import Role
from portal.auth.services import hash_password

SHARED_KEYS = ("TESTING", "SECRET_KEY", "PASSWORD_HASH_METHOD", "RATELIMIT_ENABLED", "WTF_CSRF_ENABLED",
               "SERVER_NAME", "SQLALCHEMY_DATABASE_URI")
PASSWORD = "Shezhi2024"


@pytest.fixture
def make_app(app):
    """A new app with the suite's settings and `overrides`; keys overridden with None are dropped."""
    def make(**overrides):
        config = {key: app.config[key] for key in SHARED_KEYS} | overrides
        return create_app({k: v for k, v in config.items() if v is not None})
    return make


@pytest.fixture
def user(make_user):
    return make_user(Role.applicant, name="赵小红", mobile="13612345678", password_hash=hash_password(PASSWORD))


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def session_cookie_flags(response) -> list[str]:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return [part.strip().lower() for part in cookie.split(";")]


def test_secure_cookies_when_configured_for_https(make_app, user):
    client = make_app(SESSION_COOKIE_SECURE=True).test_client()
    response = client.post("/login", data={"login": "13612345678", "password": PASSWORD})

    assert response.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= set(session_cookie_flags(response))
    assert "secure" in client.get("/lang/en").headers["Set-Cookie"].lower()
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"


class TestCsrf:
    @pytest.fixture
    def client(self, make_app):
        return make_app(WTF_CSRF_ENABLED=True).test_client()

    def test_post_without_token_is_refused_with_a_page_that_says_why(self, client, user):
        response = client.post("/login", data={"login": "13612345678", "password": PASSWORD})
        assert response.status_code == 400
        assert "页面已过期" in response.text and "请刷新页面后重新提交" in response.text
        assert "赵小红" not in client.get("/").text

    def test_post_with_a_forged_token_is_refused(self, client, user):
        client.get("/login")
        response = client.post("/login", data={"login": "13612345678", "password": PASSWORD,
                                               "csrf_token": "forged"})
        assert response.status_code == 400

    def test_forms_carry_the_token_so_people_can_log_in_and_out(self, client, user):
        token = csrf_token(client.get("/login").text)
        response = client.post("/login", data={"login": "13612345678", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302

        home = client.get("/").text
        assert "赵小红" in home
        assert client.post("/logout").status_code == 400  # the button's token is required
        assert client.post("/logout", data={"csrf_token": csrf_token(home)}).status_code == 302
        assert "赵小红" not in client.get("/").text


def test_unexpected_error_shows_a_localized_500_page(make_app):
    failing = make_app(PROPAGATE_EXCEPTIONS=False)

    @failing.get("/boom")
    def boom():
        raise RuntimeError("database password is hunter2")

    client = failing.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "系统出错" in response.text and "请稍后再试" in response.text
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "Content-Security-Policy" in response.headers

    client.get("/lang/en")
    assert "System error" in client.get("/boom").text


class TestSecretKey:
    @pytest.fixture
    def instance(self, tmp_path, monkeypatch):
        folder = tmp_path / "instance"
        monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(folder))
        monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
        return folder

    def test_generated_on_first_start_and_kept_secret(self, make_app, instance):
        first = make_app(SECRET_KEY=None)

        key_file = instance / "secret_key"
        assert first.instance_path == str(instance)
        assert key_file.read_text() == first.secret_key
        assert re.fullmatch(r"[0-9a-f]{64}", first.secret_key)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    def test_reused_on_restart_so_people_stay_logged_in(self, make_app, instance, user):
        first = make_app(SECRET_KEY=None)
        before = first.test_client()
        assert before.post("/login", data={"login": "13612345678", "password": PASSWORD}).status_code == 302

        restarted = make_app(SECRET_KEY=None)
        assert restarted.secret_key == first.secret_key
        after = restarted.test_client()
        after.set_cookie("session", before.get_cookie("session", domain="portal.test").value, domain="portal.test")
        assert "赵小红" in after.get("/").text

    def test_configured_key_wins_and_nothing_is_written(self, make_app, instance, monkeypatch):
        monkeypatch.setenv("PORTAL_SECRET_KEY", "from-the-environment")
        assert make_app(SECRET_KEY=None).secret_key == "from-the-environment"
        assert not (instance / "secret_key").exists()

"""Login throttling: a burst of password guesses from one address is stopped with a 429 page.

The limiter is one module-level extension shared by every app in the process, and `init_app`
writes its settings (enabled, storage) onto that shared object. The throttled app here is
therefore built inside a fixture that puts the limiter back as it found it, so the rest of the
suite, whose app runs with throttling off, never inherits this app's limits or counters.
"""
import uuid
from datetime import timedelta

import pytest
import redis

from portal import create_app
from portal.auth.models import Role
from portal.auth.services import hash_password
from portal.db import utcnow
from portal.extensions import limiter

SHARED_KEYS = ("TESTING", "SECRET_KEY", "PASSWORD_HASH_METHOD", "WTF_CSRF_ENABLED", "SERVER_NAME",
               "SQLALCHEMY_DATABASE_URI")
PASSWORD = "Xianliu2024"


@pytest.fixture
def make_throttled_app(app):
    # Same database as the suite: the per-test transaction's session serves every app's requests.
    saved = dict(vars(limiter))
    config = {key: app.config[key] for key in SHARED_KEYS}

    def make(**extra):
        return create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                           "LOGIN_RATE_LIMIT": "3 per minute", **extra})
    try:
        yield make
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)
    assert limiter.enabled is False, "the suite's app must run unthrottled"


@pytest.fixture
def throttled_app(make_throttled_app):
    return make_throttled_app()


@pytest.fixture
def proxied_app(make_throttled_app):
    """Behind one reverse proxy (PROXY_COUNT=1)."""
    return make_throttled_app(PROXY_COUNT=1)


@pytest.fixture
def user(make_user):
    return make_user(Role.applicant, mobile="13712340000", password_hash=hash_password(PASSWORD))


def guess(client, password="Wrong12345", address="203.0.113.7"):
    return client.post("/login", data={"login": "13712340000", "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_fourth_attempt_within_a_minute_gets_the_localized_429_page(throttled_app, user):
    client = throttled_app.test_client()
    for _ in range(3):
        assert guess(client).status_code == 200

    blocked = guess(client, password=PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.text and "请稍等几分钟再试" in blocked.text
    assert '<html lang="zh-Hans"' in blocked.text


def test_throttling_counts_posts_per_address_and_account(throttled_app, user, make_user):
    client = throttled_app.test_client()
    for _ in range(4):
        guess(client)

    assert client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    neighbour = guess(client, password=PASSWORD, address="203.0.113.8")
    assert neighbour.status_code == 302


def test_people_sharing_one_address_are_not_locked_out_by_each_other(throttled_app, user, make_user):
    """Phones behind the same carrier NAT: one person's mistakes must not block another's login."""
    other = make_user(Role.applicant, mobile="13712340001", password_hash=hash_password(PASSWORD))
    client = throttled_app.test_client()
    for _ in range(4):
        guess(client)
    response = client.post("/login", data={"login": other.mobile, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 302


def test_one_address_trying_many_accounts_is_stopped(throttled_app, user, monkeypatch):
    monkeypatch.setitem(throttled_app.config, "LOGIN_ADDRESS_RATE_LIMIT", "5 per minute")
    client = throttled_app.test_client()
    statuses = [client.post("/login", data={"login": f"1371234{n:04d}", "password": "Wrong12345"},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_the_suite_app_is_not_throttled(client, user):
    """Guard for the fixture above: the main app keeps answering however often it is asked."""
    for _ in range(12):
        assert guess(client).status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_throttled(proxied_app, user):
    client = proxied_app.test_client()

    def via_proxy(visitor: str):
        return client.post("/login", data={"login": "13712340000", "password": "Wrong12345"},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": visitor})

    assert [via_proxy("198.51.100.1").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert via_proxy("198.51.100.2").status_code == 200  # another visitor, same proxy


def test_app_servers_share_their_counts_through_redis(make_throttled_app, user):
    """Two app servers behind one proxy: guesses spread over both still add up."""
    prefix = f"test-{uuid.uuid4()}"
    settings = dict(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15", RATELIMIT_KEY_PREFIX=prefix)
    first, second = make_throttled_app(**settings).test_client(), make_throttled_app(**settings).test_client()
    store = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        assert [guess(c).status_code for c in (first, second, first)] == [200, 200, 200]
        assert guess(second).status_code == 429
        assert store.keys(f"*{prefix}*"), "the counts should live in Redis"
    finally:
        for key in store.keys(f"*{prefix}*"):
            store.delete(key)
        store.close()


def test_guessing_the_current_password_on_the_change_page_is_throttled(throttled_app, user):
    """A borrowed phone left logged in must not let someone try password after password."""
    client = throttled_app.test_client()
    assert client.post("/login", data={"login": "13712340000", "password": PASSWORD}).status_code == 302
    attempts = [client.post("/account/password", data={"current": f"Guess{n}abc", "password": "Xinmima2025",
                                                        "confirm": "Xinmima2025"}).status_code for n in range(4)]
    assert attempts == [200, 200, 200, 429]


def test_an_expired_temporary_password_counts_as_a_failed_attempt(throttled_app, db, user):
    """A login refused because the temporary password expired counts towards the limit, as a wrong password does."""
    user.must_change_password, user.password_expires_at = True, utcnow() - timedelta(minutes=1)
    db.session.flush()
    client = throttled_app.test_client()
    for _ in range(3):
        refused = guess(client, password=PASSWORD)
        assert refused.status_code == 200 and "临时密码已过期" in refused.text

    assert guess(client, password=PASSWORD).status_code == 429

"""修改密码: a logged-in person changes their own password, which ends their other sessions; an account
reset to a temporary password must change it before anything else; 忘记密码 says whom to ask."""
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.auth.services import hash_password, reset_password
from portal.notifications.services import notify

OLD, NEW = "Jiumima2024", "Xinmima2025"


@pytest.fixture
def grandmother(make_user):
    return make_user(Role.applicant, name="王奶奶", mobile="13812340000", password_hash=hash_password(OLD))


def log_in(browser, password=OLD):
    return browser.post("/login", data={"login": "13812340000", "password": password})


def change(browser, current=OLD, new=NEW, confirm=None):
    return browser.post("/account/password", data={"current": current, "password": new,
                                                    "confirm": new if confirm is None else confirm})


def password_hash(db, user) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


def test_the_menu_leads_every_logged_in_user_to_the_page(client, grandmother, make_user, login):
    log_in(client)
    assert 'href="/account/password"' in client.get("/").text
    page = client.get("/account/password").text
    assert "当前密码" in page and "再次输入新密码" in page
    assert 'href="/account/password"' in login(make_user(Role.staff), on=client.application.test_client()).get(
        "/manage/courses").text


def test_change_keeps_this_session_and_the_old_password_no_longer_logs_in(client, app, grandmother):
    log_in(client)
    response = change(client)

    assert response.status_code == 302
    home = client.get("/").text
    assert "密码已修改" in home and "王奶奶" in home and "退出登录" in home
    fresh = app.test_client()
    assert log_in(fresh, OLD).status_code == 200
    assert log_in(fresh, NEW).status_code == 302


def test_change_logs_out_the_accounts_other_sessions(client, app, grandmother):
    other_phone = app.test_client()
    log_in(other_phone)
    log_in(client)
    assert other_phone.get("/applications").status_code == 200

    change(client)

    follow_up = other_phone.get("/applications")
    assert follow_up.status_code == 302 and follow_up.location.startswith("/login")
    assert client.get("/applications").status_code == 200


def test_wrong_current_password_is_refused_and_nothing_changes(client, db, grandmother):
    log_in(client)
    before = password_hash(db, grandmother)
    response = change(client, current="Cuowu12345")

    assert response.status_code == 200
    assert "当前密码不对，请重试。" in response.text and 'id="current-error"' in response.text
    assert password_hash(db, grandmother) == before


@pytest.mark.parametrize("new, confirm, message", [
    ("abc123", None, "密码至少需要8位。"),
    ("abcdefgh", None, "密码需要同时包含字母和数字。"),
    ("Xinmima2025", "Xinmima2026", "两次输入的密码不一致。"),
])
def test_weak_or_mistyped_new_password_is_refused(client, db, grandmother, new, confirm, message):
    log_in(client)
    before = password_hash(db, grandmother)
    response = change(client, new=new, confirm=confirm)

    assert response.status_code == 200 and message in response.text
    assert password_hash(db, grandmother) == before
    assert log_in(client.application.test_client()).status_code == 302


def test_change_is_audited_without_the_password(client, db, grandmother):
    log_in(client)
    change(client)

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password_change")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (grandmother.id, "users", grandmother.id)
    recorded = f"{entry.before} {entry.after}"
    assert NEW not in recorded and OLD not in recorded and "scrypt" not in recorded and "pbkdf2" not in recorded


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_login_page_leads_a_forgetful_grandmother_to_whom_to_ask(client):
    login_page = client.get("/login").text
    assert '<a href="/forgot-password">忘记密码？</a>' in login_page

    page = client.get("/forgot-password").text
    assert "请联系您报名的学校，或者当地的人社部门" in page
    assert "注册时用的手机号" in page and "报名学生的姓名" in page and "临时密码" in page


# --- after a reset to a temporary password ------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The time the password rules read, which a test moves on: clock.now += timedelta(...)."""
    clock = SimpleNamespace(now=datetime(2026, 11, 24, 2, 16, tzinfo=UTC))  # 10:16 in China
    monkeypatch.setattr("portal.auth.services.utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def temporary(db, clock, grandmother, make_user):
    password = reset_password(make_user(Role.admin), grandmother)
    db.session.flush()
    return password


def test_reset_account_is_sent_to_change_its_password_until_it_does(client, temporary):
    assert log_in(client, temporary).status_code == 302
    for page in ("/", "/applications", "/family"):
        response = client.get(page)
        assert response.status_code == 302 and response.location == "/account/password", page
    assert "您的密码已被重置。请先设一个自己的新密码" in client.get("/account/password").text

    change(client, current=temporary)

    assert client.get("/applications").status_code == 200
    assert "您的密码已被重置" not in client.get("/account/password").text


def test_reset_account_may_still_log_out_and_switch_language(client, temporary):
    log_in(client, temporary)
    assert client.get("/lang/en?next=/account/password").status_code == 302
    assert "Change password" in client.get("/account/password").text
    client.post("/logout")
    assert client.get("/account/password").location.startswith("/login")


def test_the_temporary_password_is_eight_digits(temporary):
    assert re.fullmatch(r"\d{8}", temporary)


def test_reset_account_reads_its_messages_before_choosing_a_password(client, db, grandmother, temporary):
    """The message saying who reset the password is there to be read; a message's page waits for the password."""
    notify(grandmother, "您的报名有新进展。", link="/applications")
    db.session.flush()
    log_in(client, temporary)

    page = client.get("/account/password").text
    assert "是谁重置的，消息里有通知。" in page and 'href="/notifications"' in page
    messages = client.get("/notifications")
    assert messages.status_code == 200
    assert "平台管理员重置了您的密码。如果不是您请管理员重置的，请马上联系当地的人社部门。" in messages.text
    opened = re.search(r'href="(/notifications/\d+)"', messages.text).group(1)
    assert client.get(opened).location == "/applications"
    assert client.get("/applications").location == "/account/password"
    assert client.post("/notifications/read").location == "/notifications"
    assert "未读" not in client.get("/notifications").text


def test_the_temporary_password_works_for_72_hours_as_the_page_says(client, db, clock, grandmother, temporary):
    log_in(client, temporary)
    assert "临时密码在2026年11月27日 10:16以前有效。" in client.get("/account/password").text
    db.session.expire_all()
    assert db.session.get(User, grandmother.id).password_expires_at == clock.now + timedelta(hours=72)

    clock.now += timedelta(hours=71, minutes=59)
    assert client.get("/account/password").status_code == 200
    assert log_in(client.application.test_client(), temporary).status_code == 302


def test_how_long_a_temporary_password_works_is_a_setting(app, db, clock, grandmother, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "TEMPORARY_PASSWORD_HOURS", 24)
    reset_password(make_user(Role.admin), grandmother)
    assert grandmother.password_expires_at == clock.now + timedelta(hours=24)


def test_an_expired_temporary_password_no_longer_logs_in_and_nothing_changes(client, db, clock, grandmother,
                                                                             temporary):
    before = password_hash(db, grandmother)
    clock.now += timedelta(hours=72)

    response = log_in(client, temporary)

    assert response.status_code == 200
    assert "临时密码已过期。请联系学校或当地的人社部门，再重置一次密码。" in response.text
    assert client.get("/applications").location.startswith("/login")
    user = db.session.get(User, grandmother.id)
    assert (user.password_hash, user.must_change_password) == (before, True)
    assert user.password_expires_at == clock.now


def test_a_session_whose_temporary_password_expires_is_logged_out_saying_why(client, db, clock, grandmother,
                                                                             temporary):
    log_in(client, temporary)
    before = password_hash(db, grandmother)
    clock.now += timedelta(hours=73)

    response = change(client, current=temporary)

    assert response.status_code == 302 and response.location == "/login"
    assert "临时密码已过期。请联系学校或当地的人社部门，再重置一次密码。" in client.get("/login").text
    assert password_hash(db, grandmother) == before
    for page in ("/account/password", "/notifications"):
        assert client.get(page).location.startswith("/login"), page


def test_a_password_of_her_own_no_longer_expires(client, db, clock, grandmother, temporary):
    log_in(client, temporary)
    change(client, current=temporary)
    db.session.expire_all()
    assert db.session.get(User, grandmother.id).password_expires_at is None

    clock.now += timedelta(days=30)

    assert client.get("/applications").status_code == 200
    assert log_in(client.application.test_client(), NEW).status_code == 302

"""A grandmother who forgot her password phones the school: staff reset it from her application's page."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.auth.services import hash_password

OLD = "Jiumima2024"


@pytest.fixture
def family(db, make_course, make_user, make_student, apply, staff_of):
    """黎阿婆's grandson applied to a course; a staff member of its school, and one of another school."""
    course = make_course()
    grandmother = make_user(Role.applicant, name="黎阿婆", mobile="13907550123", password_hash=hash_password(OLD))
    application = apply(make_student(account=grandmother, name="黎小海"), course)
    return grandmother, application, staff_of(course), make_user(Role.staff)


def reset(browser, application):
    return browser.post(f"/manage/applications/{application.id}/reset-password")


def temporary_password(page: str) -> str:
    return re.search(r'<p class="temporary-password"><strong>(\d{8})</strong></p>', page).group(1)


def test_the_review_page_asks_before_resetting(client, login, family):
    grandmother, application, staff, _ = family
    login(staff)
    page = client.get(f"/manage/applications/{application.id}").text
    confirm = re.search(r'<details class="confirm">.*?</details>', page, re.S).group(0)
    assert "重置申请人的密码…" in confirm and "请先在电话里确认对方是黎阿婆本人" in confirm
    assert f'action="/manage/applications/{application.id}/reset-password"' in confirm
    assert '<button type="submit" class="small">重置申请人的密码</button>' in confirm


def test_staff_reset_shows_a_temporary_password_once_that_logs_in(client, app, login, family, monkeypatch):
    grandmother, application, staff, _ = family
    login(staff)
    monkeypatch.setattr("portal.auth.services.utcnow", lambda: datetime(2026, 11, 24, 2, 16, tzinfo=UTC))
    response = reset(client, application)

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "黎阿婆（13907550123）的临时密码是" in response.text
    assert "也请告诉对方：临时密码在2026年11月27日 10:16以前有效，过期后要再重置一次。" in response.text
    temporary = temporary_password(response.text)
    assert temporary not in client.get(f"/manage/applications/{application.id}").text
    phone = app.test_client()
    assert phone.post("/login", data={"login": "13907550123", "password": OLD}).status_code == 200
    assert phone.post("/login", data={"login": "13907550123", "password": temporary}).status_code == 302


def test_each_reset_gives_a_new_temporary_password(client, login, family):
    _, application, staff, _ = family
    login(staff)
    assert temporary_password(reset(client, application).text) != temporary_password(reset(client, application).text)


def test_reset_logs_out_the_familys_phone(client, app, login, family):
    grandmother, application, staff, _ = family
    phone = app.test_client()
    phone.post("/login", data={"login": "13907550123", "password": OLD})
    assert phone.get("/applications").status_code == 200
    login(staff)
    reset(client, application)

    follow_up = phone.get("/applications")
    assert follow_up.status_code == 302 and follow_up.location.startswith("/login")


def test_staff_of_another_school_get_not_found_and_nothing_changes(client, db, login, family):
    grandmother, application, _, stranger = family
    login(stranger)
    assert reset(client, application).status_code == 404
    db.session.expire_all()
    user = db.session.get(User, grandmother.id)
    assert user.password_hash == grandmother.password_hash and not user.must_change_password


def test_the_audit_says_who_reset_whose_password_and_holds_no_password(client, db, login, family):
    grandmother, application, staff, _ = family
    login(staff)
    temporary = temporary_password(reset(client, application).text)

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password_reset")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (staff.id, "users", grandmother.id)
    assert entry.before is None and entry.after is None
    db.session.expire_all()
    assert temporary not in db.session.get(User, grandmother.id).password_hash


def test_the_family_is_told_in_their_messages_which_school_reset_it(client, app, login, family, make_institution):
    grandmother, application, staff, _ = family
    login(staff)
    temporary = temporary_password(reset(client, application).text)
    phone = app.test_client()
    phone.post("/login", data={"login": "13907550123", "password": temporary})
    phone.post("/account/password", data={"current": temporary, "password": "Xinmima2025", "confirm": "Xinmima2025"})

    messages = phone.get("/notifications").text
    assert f"{staff.institution.name}的工作人员重置了您的密码。如果不是您请他们重置的，请马上联系这所学校。" in messages
    assert temporary not in messages

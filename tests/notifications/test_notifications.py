"""Notifications: stored as msgid and parameters and shown in the reader's language, the inbox and
marking read (all at once, or one with no page to open), the unread count, and e-mail copies once the
change is committed."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.enrollment.models import ApplicationStatus
from portal.enrollment.services import submit_application, today, transition
from portal.notifications.models import Notification
from portal.notifications.services import notify, unread_count

S = ApplicationStatus


def inbox_items(page: str) -> list[str]:
    """Each notification's class ("unread" or "read") and text, newest first."""
    listing = re.search(r'<ul class="notifications">(.*?)</ul>', page, re.S)
    return [item.split('<span class="when">')[0] for item in listing.group(1).split('<li class="')[1:]]


def test_a_notification_keeps_its_msgid_and_parameters(db, make_user):
    user = make_user(Role.applicant)
    notification = notify(user, "%(student)s报名的“%(course)s”：%(status)s。", "/applications",
                          student="王小明", course="电工班", status="waitlisted")
    db.session.flush()
    db.session.expire_all()
    stored = db.session.get(Notification, notification.id)
    assert stored.message == "%(student)s报名的“%(course)s”：%(status)s。"
    assert stored.params == {"student": "王小明", "course": "电工班", "status": "waitlisted"}
    assert stored.read_at is None


def test_the_inbox_shows_them_newest_first_with_the_unread_marked(db, client, login, make_user):
    user, other = make_user(Role.applicant), make_user(Role.applicant)
    notify(user, "%(student)s报名的“%(course)s”：%(status)s。", "/applications", student="王小明", course="电工班",
           status="waitlisted")
    notify(user, "%(student)s已被“%(course)s”录取，请在%(expires_on)s前确认入学，过期名额将让给候补的同学。",
           "/applications", student="王小明", course="焊工班", expires_on="2030-03-05")
    notify(other, "%(student)s报名的“%(course)s”：%(status)s。", student="别人", course="别的班", status="rejected")
    login(user)
    page = client.get("/notifications").text
    items = inbox_items(page)
    assert len(items) == 2 and "别人" not in page
    assert "王小明已被“焊工班”录取，请在2030年3月5日前确认入学" in items[0]  # the date in the reader's locale
    assert "王小明报名的“电工班”：候补中。" in items[1]  # the status as its label, not its value
    assert all(item.startswith("unread") and "未读" in item for item in items)
    assert re.search(r'href="/notifications/\d+"', items[0])  # opened through the portal, which marks it read


def test_marking_all_read(db, client, login, make_user):
    user, other = make_user(Role.applicant), make_user(Role.applicant)
    for who in (user, user, other):
        notify(who, "课程已保存。")
    db.session.flush()
    assert unread_count(user) == 2
    login(user)
    response = client.post("/notifications/read")
    assert response.status_code == 302 and response.location.endswith("/notifications")
    page = client.get("/notifications").text
    assert "所有通知已标为已读。" in page and "未读" not in page and "全部标为已读" not in page
    db.session.expire_all()
    assert (unread_count(user), unread_count(other)) == (0, 1)


def test_a_reader_who_switches_language_sees_it_in_theirs(db, client, login, make_user):
    user = make_user(Role.applicant)
    notify(user, "课程已保存。")
    login(user)
    assert "课程已保存。" in client.get("/notifications").text
    client.get("/lang/en?next=/notifications")
    assert "Course saved." in client.get("/notifications").text


def test_the_inbox_pages(db, client, login, make_user, monkeypatch):
    monkeypatch.setattr("portal.notifications.views.PAGE_SIZE", 2)
    user = make_user(Role.applicant)
    for n in range(3):
        notify(user, "%(student)s报名的“%(course)s”：%(status)s。", student=f"学生{n}", course="班", status="submitted")
    login(user)
    first = client.get("/notifications").text
    assert len(inbox_items(first)) == 2 and "更早的通知" in first
    second = client.get("/notifications?page=2").text
    assert len(inbox_items(second)) == 1 and "学生0" in second and "较新的通知" in second
    past_the_end = client.get("/notifications?page=5")  # not "还没有通知", which would not be true
    assert past_the_end.status_code == 302 and past_the_end.headers["Location"] == "/notifications"


@pytest.mark.parametrize("role", list(Role))
def test_every_logged_in_user_has_an_inbox(client, login, make_user, role):
    login(make_user(role))
    assert client.get("/notifications").status_code == 200
    assert "还没有通知。" in client.get("/notifications").text


def test_visitors_are_sent_to_log_in(client):
    for response in (client.get("/notifications"), client.post("/notifications/read"),
                     client.post("/notifications/1/read")):
        assert response.status_code == 302 and "/login" in response.location


def test_a_notification_with_no_page_to_open_is_marked_read_on_its_own(db, client, login, make_user):
    user = make_user(Role.applicant)
    notify(user, "%(student)s报名的“%(course)s”：%(status)s。", "/applications", student="王小明", course="电工班",
           status="waitlisted")
    first, second = notify(user, "课程已保存。"), notify(user, "课程已提交审核。")
    db.session.flush()
    login(user)
    page = client.get("/notifications").text
    assert page.count("标为已读") - page.count("全部标为已读") == 2  # not on the one its link opens
    response = client.post(f"/notifications/{second.id}/read")
    assert response.status_code == 302 and response.location == f"/notifications#n-{second.id}"
    page = client.get("/notifications").text
    assert "2条未读" in page
    items = inbox_items(page)
    assert items[0].startswith("read") and "课程已提交审核。" in items[0]
    assert items[1].startswith("unread") and f'action="/notifications/{first.id}/read"' in page
    assert f'action="/notifications/{second.id}/read"' not in page
    assert client.post(f"/notifications/{second.id}/read").status_code == 302  # again: still fine


def test_marking_one_read_goes_back_to_its_inbox_page(db, client, login, make_user, monkeypatch):
    monkeypatch.setattr("portal.notifications.views.PAGE_SIZE", 1)
    user = make_user(Role.applicant)
    older = notify(user, "课程已保存。")
    db.session.flush()
    notify(user, "课程已提交审核。")
    login(user)
    page = client.get("/notifications?page=2").text
    assert f'action="/notifications/{older.id}/read?page=2"' in page
    response = client.post(f"/notifications/{older.id}/read?page=2")
    assert response.location == f"/notifications?page=2#n-{older.id}"


def test_nobody_marks_anothers_notification_read(db, client, login, make_user):
    user, other = make_user(Role.applicant), make_user(Role.applicant)
    theirs = notify(other, "课程已保存。")
    db.session.flush()
    login(user)
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    db.session.expire_all()
    assert unread_count(other) == 1


def test_opening_one_with_no_page_marks_it_read_in_the_inbox(db, client, login, make_user):
    user = make_user(Role.applicant)
    notification = notify(user, "课程已保存。")
    db.session.flush()
    login(user)
    response = client.get(f"/notifications/{notification.id}")
    assert response.status_code == 302 and response.location == "/notifications"
    assert inbox_items(client.get(response.location).text)[0].startswith("read")


# --- e-mail --------------------------------------------------------------------------------------

class FakeSMTP:
    """Stands in for smtplib.SMTP and keeps what would have been sent."""
    sent: list = []
    instances: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.calls = host, port, []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.instances = [], []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "portal")
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", "secret")
    return FakeSMTP


@pytest.fixture
def admitted_by_staff(db, make_user, make_course, make_student):
    """Admit a student whose account has an e-mail address: returns the application (not yet committed)."""
    def admit(email: str | None = "nainai@example.test"):
        family = make_user(Role.applicant, email=email)
        course = make_course(title="电工班")
        application = submit_application(family, make_student(account=family, name="黎小海"), course, today())
        transition(make_user(Role.staff, institution_id=course.institution_id), application, S.admitted)
        return application
    return admit


def test_a_change_is_e_mailed_once_committed(db, smtp, admitted_by_staff):
    admitted_by_staff()
    assert smtp.sent == []  # nothing before the change is committed
    db.session.commit()
    assert len(smtp.sent) == 1
    message = smtp.sent[0]
    assert message["To"] == "nainai@example.test"
    assert message["Subject"] == "技能扶贫报名平台通知"
    assert message["From"] == "noreply@portal.invalid"
    assert "黎小海已被“电工班”录取，请在" in message.get_content()
    assert smtp.instances[0].host == "smtp.example.test"
    assert smtp.instances[0].calls == ["starttls", ("login", "portal", "secret")]


def test_a_change_rolled_back_is_not_e_mailed(db, smtp, admitted_by_staff):
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            admitted_by_staff()
            raise RuntimeError("the request failed after the change")
    db.session.commit()
    assert smtp.sent == []


def test_no_e_mail_without_an_address_or_a_server(db, app, smtp, admitted_by_staff, monkeypatch):
    admitted_by_staff(email=None)
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    admitted_by_staff()
    db.session.commit()
    assert smtp.sent == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2  # in the portal all the same


def test_a_mail_server_that_fails_does_not_fail_the_change(db, smtp, admitted_by_staff, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no server")
    monkeypatch.setattr("smtplib.SMTP", refuse)
    application = admitted_by_staff()
    db.session.commit()
    assert application.status == S.admitted
    assert "could not e-mail a notification" in caplog.text


def test_a_change_made_by_the_cli_is_e_mailed_in_the_portals_language(app, db, smtp, admitted_by_staff):
    application = admitted_by_staff()
    application.offer_expires_on = today() - timedelta(days=1)
    db.session.commit()
    smtp.sent.clear()
    result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0, result.output
    assert [m.get_content().split("\n")[0] for m in smtp.sent] == ["黎小海报名的“电工班”：录取已过期。"]


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(db, client, login, make_user):
    user = make_user(Role.applicant)
    opened = notify(user, "%(student)s报名的“%(course)s”：%(status)s。", "/applications", student="王小明",
                    course="电工班", status="waitlisted")
    notify(user, "课程已保存。", "/family")
    db.session.flush()
    login(user)
    assert "2条未读" in client.get("/notifications").text
    response = client.get(f"/notifications/{opened.id}")
    assert response.status_code == 302 and response.location.endswith("/applications")
    page = client.get("/notifications").text
    assert "1条未读" in page
    items = inbox_items(page)
    assert items[0].startswith("unread") and items[1].startswith("read") and "王小明" in items[1]
    assert client.get(f"/notifications/{opened.id}").location.endswith("/applications")  # again: still fine


def test_nobody_opens_anothers_notification(db, client, login, make_user):
    user, other = make_user(Role.applicant), make_user(Role.applicant)
    theirs = notify(other, "课程已保存。", "/family")
    db.session.flush()
    login(user)
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    db.session.expire_all()
    assert unread_count(other) == 1

"""When staff change when a course's admitted students report, each family holding a place on it is
told the new day and time, as a printed admission notice keeps the old one; nobody else is told, and
nobody at all when the reporting day and time stay the same."""
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.courses.services import update_course
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import tell_report_change, today, transition
from portal.families.models import Student
from portal.notifications.models import Notification
from portal.notifications.services import text_of

S = ApplicationStatus


@pytest.fixture
def request_context(app):
    """Course rules and notifications are worded in the visitor's language, so this runs inside a request."""
    with app.test_request_context("/"):
        refresh()
        yield
        refresh()


@pytest.fixture
def course(make_course):
    return make_course(title="电工扶贫班", start_date=today() + timedelta(days=30),
                       report_date=today() + timedelta(days=29), report_time="上午 8:00–11:30")


def messages(db, user) -> list[str]:
    return [text_of(n) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.message.contains("报到时间改了"))
        .order_by(Notification.id))]


def edit(course, staff, **values) -> int:
    """Save the values as staff do, and tell the families as the course form does; how many were told."""
    was = course.reports_on, course.report_time
    update_course(staff, course, values)
    return tell_report_change(course, *was)


def long_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_families_holding_a_place_are_told_the_new_time(request_context, db, make_user, course, green_student,
                                                       plain_student, apply, staff_of):
    staff = staff_of(course)
    grandmother, mother, waiting, turned_down = (make_user(Role.applicant) for _ in range(4))
    apply(green_student(account=grandmother, name="黎小海"), course)  # admitted through the green channel
    transition(grandmother, apply(green_student(account=grandmother, name="黎小梅"), course), S.accepted)
    transition(staff, apply(plain_student(account=mother, name="王小明"), course), S.admitted)
    transition(staff, apply(plain_student(account=waiting), course), S.waitlisted)
    transition(staff, apply(plain_student(account=turned_down), course), S.rejected, "不符合条件")
    apply(plain_student(), course)  # still waiting for staff

    new_day = today() + timedelta(days=27)
    assert edit(course, staff, report_date=new_day, report_time="下午 14:00–17:00") == 2

    tail = "录取通知书上如果还是原来的时间，以这条通知为准。"
    assert messages(db, grandmother) == [
        f"“电工扶贫班”的报到时间改了：{name}请在{long_date(new_day)} 下午 14:00–17:00到校报到。{tail}"
        for name in ("黎小海", "黎小梅")]
    assert messages(db, mother) == [f"“电工扶贫班”的报到时间改了：王小明请在{long_date(new_day)} 下午 14:00–17:00"
                                    f"到校报到。{tail}"]
    assert messages(db, waiting) == messages(db, turned_down) == []
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.message.contains("报到时间改了"))) == 3
    link = db.session.scalars(select(Notification.link).where(Notification.user_id == mother.id)
                              .order_by(Notification.id.desc())).first()
    mothers = db.session.scalars(select(Application.id).join(Student).where(Student.account_id == mother.id)).one()
    assert link == f"/applications#application-{mothers}"  # her card on 我的报名


def test_only_the_day_when_the_school_gives_no_time(request_context, db, make_user, course, plain_student, apply,
                                                    staff_of):
    staff = staff_of(course)
    family = make_user(Role.applicant)
    transition(staff, apply(plain_student(account=family, name="王小明"), course), S.admitted)

    assert edit(course, staff, report_time="") == 1

    assert messages(db, family) == [f"“电工扶贫班”的报到时间改了：王小明请在{long_date(course.report_date)}到校报到。"
                                    "录取通知书上如果还是原来的时间，以这条通知为准。"]


def test_moving_the_first_day_moves_reporting_only_without_a_report_date(request_context, db, make_user, course,
                                                                         plain_student, apply, staff_of):
    staff = staff_of(course)
    family = make_user(Role.applicant)
    transition(staff, apply(plain_student(account=family), course), S.admitted)

    first_day = course.start_date + timedelta(days=1)
    assert edit(course, staff, start_date=first_day) == 0  # the report date holds
    assert edit(course, staff, report_date=None) == 1  # now the first day
    assert edit(course, staff, start_date=first_day + timedelta(days=7)) == 1

    told = messages(db, family)
    assert len(told) == 2
    assert f"请在{long_date(first_day)} 上午 8:00–11:30到校报到" in told[0]
    assert f"请在{long_date(first_day + timedelta(days=7))} 上午 8:00–11:30到校报到" in told[1]


def test_no_one_is_told_when_reporting_stays_the_same(request_context, db, make_user, course, plain_student, apply,
                                                      staff_of):
    staff = staff_of(course)
    family = make_user(Role.applicant)
    transition(staff, apply(plain_student(account=family), course), S.admitted)
    before = db.session.scalar(select(func.count()).select_from(Notification))

    assert edit(course, staff, title="电工扶贫班（二期）", report_date=course.report_date,
                report_time="上午 8:00–11:30", capacity=50) == 0

    assert db.session.scalar(select(func.count()).select_from(Notification)) == before


def test_an_offer_past_its_last_day_is_not_told(request_context, db, make_user, course, plain_student, apply,
                                                staff_of):
    staff, family = staff_of(course), make_user(Role.applicant)
    lapsing = apply(plain_student(account=family), course)
    transition(staff, lapsing, S.admitted)
    lapsing.offer_expires_on = today() - timedelta(days=1)
    db.session.flush()
    assert edit(course, staff, report_time="下午 2:00–5:00") == 0
    assert messages(db, family) == []

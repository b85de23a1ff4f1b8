"""The waiting list: a place freed by decline, withdrawal or lapse goes at once to the next waiting
(green channel first, then earliest), as a move by the portal itself; lapsing overdue offers,
from the CLI too."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import lapse_overdue, today, transition
from portal.families.models import Student
from portal.notifications.models import Notification
from portal.notifications.services import text_of

S = ApplicationStatus


@pytest.fixture
def full_course(db, make_course, green_student, plain_student, apply, staff_of):
    """A one-place course with its place taken, and a waiting list: plain B first, then green C, then plain D."""
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    holder = apply(plain_student(name="甲"), course)
    transition(staff, holder, S.admitted)
    waiting = {}
    for name, make in (("乙", plain_student), ("丙", green_student), ("丁", plain_student)):
        waiting[name] = apply(make(name=name), course)
        transition(staff, waiting[name], S.waitlisted)
    return course, staff, holder, waiting


def statuses(db, applications: dict) -> dict[str, S]:
    db.session.expire_all()
    return {name: db.session.get(Application, a.id).status for name, a in applications.items()}


@pytest.mark.parametrize("leave", [S.declined, S.withdrawn, S.lapsed])
def test_a_freed_place_goes_to_the_green_channel_first(db, full_course, check_places, leave):
    course, _, holder, waiting = full_course
    transition(None, holder, leave)
    assert statuses(db, waiting) == {"乙": S.waitlisted, "丙": S.admitted, "丁": S.waitlisted}
    check_places(course)


def test_then_to_the_earliest(db, full_course, check_places):
    course, _, holder, waiting = full_course
    transition(None, holder, S.declined)
    transition(None, waiting["丙"], S.declined)
    assert statuses(db, waiting) == {"乙": S.admitted, "丙": S.declined, "丁": S.waitlisted}
    transition(None, waiting["乙"], S.withdrawn)
    assert statuses(db, waiting)["丁"] == S.admitted
    check_places(course)


def test_a_promotion_is_a_move_by_the_portal_that_tells_the_family(db, full_course):
    course, _, holder, waiting = full_course
    promoted = waiting["丙"]
    transition(None, holder, S.declined)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_id == promoted.id, AuditEntry.action == "application.transition")
        .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert entry.actor_id is None
    assert (entry.before, entry.after) == ({"status": "waitlisted"},
                                           {"status": "admitted", "reason": "有名额空出，按候补顺序递补录取"})
    holder_id = db.session.get(Student, promoted.student_id).account_id
    notification = db.session.scalars(select(Notification).where(Notification.user_id == holder_id)
                                      .order_by(Notification.id.desc()).limit(1)).one()
    assert notification.params["student"] == "丙" and "expires_on" in notification.params
    assert promoted.offer_expires_on == today() + timedelta(days=course.offer_days)


def test_a_freed_reserved_place_is_not_given_to_a_plain_applicant(db, make_course, green_student, plain_student,
                                                                 apply, staff_of, check_places):
    course = make_course(capacity=2, reserved_places=1)
    staff = staff_of(course)
    green = apply(green_student(), course)  # takes the reserved place
    general = apply(plain_student(), course)
    transition(staff, general, S.admitted)
    waiting = apply(plain_student(), course)
    transition(staff, waiting, S.waitlisted)
    transition(None, green, S.declined)
    db.session.refresh(waiting)
    assert waiting.status == S.waitlisted  # the free place is a reserved one
    late_green = apply(green_student(), course)
    assert late_green.status == S.admitted and late_green.holds_reserved_place
    check_places(course)


def test_a_freed_general_place_goes_to_a_waiting_green_applicant_too(db, make_course, green_student, plain_student,
                                                                    apply, staff_of, check_places):
    course = make_course(capacity=2, reserved_places=1)
    staff = staff_of(course)
    apply(green_student(), course)  # the reserved place
    general = apply(plain_student(), course)
    transition(staff, general, S.admitted)
    plain_waiting = apply(plain_student(), course)
    green_waiting = apply(green_student(), course)
    for application in (plain_waiting, green_waiting):
        transition(staff, application, S.waitlisted)
    transition(None, general, S.withdrawn)
    db.session.expire_all()
    assert db.session.get(Application, green_waiting.id).status == S.admitted
    assert db.session.get(Application, green_waiting.id).holds_reserved_place is False
    assert db.session.get(Application, plain_waiting.id).status == S.waitlisted
    check_places(course)


def test_rejecting_or_withdrawing_from_the_waiting_list_frees_nothing(db, full_course, check_places):
    course, staff, holder, waiting = full_course
    transition(staff, waiting["乙"], S.rejected, "名额已满")
    transition(None, waiting["丙"], S.withdrawn)
    assert statuses(db, waiting) == {"乙": S.rejected, "丙": S.withdrawn, "丁": S.waitlisted}
    assert db.session.get(Application, holder.id).status == S.admitted
    check_places(course)


# --- lapsing offers ------------------------------------------------------------------------------

def overdue(db, application: Application, days: int = 1) -> None:
    application.offer_expires_on = today() - timedelta(days=days)
    db.session.flush()


def test_overdue_offers_lapse_and_their_places_are_passed_on(db, full_course, make_course, plain_student, apply,
                                                             check_places):
    course, _, holder, waiting = full_course
    overdue(db, holder)
    other_course = make_course()
    on_time = apply(plain_student(), other_course)
    transition(None, on_time, S.admitted)
    on_time.offer_expires_on = today()  # the last day to accept is today: not yet lapsed
    db.session.flush()
    assert lapse_overdue(today()) == 1
    db.session.expire_all()
    assert db.session.get(Application, holder.id).status == S.lapsed
    assert db.session.get(Application, holder.id).reason == "没有在期限内确认入学"
    assert db.session.get(Application, on_time.id).status == S.admitted
    assert statuses(db, waiting)["丙"] == S.admitted
    assert lapse_overdue(today()) == 0  # nothing left to do: running it again changes nothing
    check_places(course)


def test_lapsing_can_be_narrowed_to_some_applications(db, full_course):
    course, _, holder, _ = full_course
    overdue(db, holder)
    assert lapse_overdue(today(), Application.course_id == course.id + 1000) == 0
    assert lapse_overdue(today(), Application.course_id == course.id) == 1


def test_the_daily_chores_lapse_overdue_offers(app, db, full_course):
    course, _, holder, waiting = full_course
    overdue(db, holder, days=3)
    result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "1 offers lapsed"
    assert statuses(db, {"holder": holder, **waiting}) == {
        "holder": S.lapsed, "乙": S.waitlisted, "丙": S.admitted, "丁": S.waitlisted}


def test_the_daily_chores_remind_a_family_once_when_the_offers_last_day_comes(app, db, make_course, plain_student,
                                                                             apply):
    course = make_course(title="焊工班")
    due, later = apply(plain_student(name="黎小海"), course), apply(plain_student(name="符小兰"), course)
    for application, days in ((due, 1), (later, 2)):
        transition(None, application, S.admitted)
        application.offer_expires_on = today() + timedelta(days=days)
    db.session.flush()

    def reminders(application):
        account_id = db.session.get(Student, application.student_id).account_id
        return [text_of(n) for n in db.session.scalars(select(Notification).where(
            Notification.user_id == account_id, Notification.message.startswith("提醒")))]

    for _run in range(2):
        result = app.test_cli_runner().invoke(args=["portal", "daily"])
        assert result.exit_code == 0, result.output
    last_day = f"{due.offer_expires_on.year}年{due.offer_expires_on.month}月{due.offer_expires_on.day}日"
    assert reminders(due) == [f"提醒：黎小海被“焊工班”录取，{last_day}是确认入学的最后一天。"
                              "过期不确认，名额将让给候补的同学。"]
    assert reminders(later) == []

"""The one transition function: every allowed and every refused move, what each move writes (places,
audit entry, notification, enrollment and its benefits), and random sequences keeping the invariants."""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.courses.models import Course
from portal.enrollment.models import TRANSITIONS, Application, ApplicationStatus, Enrollment
from portal.enrollment.services import (
    ADMITTED_MESSAGE,
    EnrollmentError,
    NoPlaceLeft,
    benefits_for,
    lapse_overdue,
    today,
    transition,
)
from portal.families.models import Student, Verification
from portal.notifications.models import Notification

S = ApplicationStatus
# How to bring a fresh (submitted) application to each state through allowed moves.
PATHS = {
    S.submitted: [],
    S.under_review: [S.under_review],
    S.waitlisted: [S.waitlisted],
    S.admitted: [S.admitted],
    S.rejected: [S.rejected],
    S.accepted: [S.admitted, S.accepted],
    S.declined: [S.admitted, S.declined],
    S.lapsed: [S.admitted, S.lapsed],
    S.withdrawn: [S.withdrawn],
}
MOVES = [(before, to) for before in S for to in S]


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def at_state(db, make_course, plain_student, apply, staff_of):
    """at_state(status) -> (application, staff): a plain student's application brought to `status`."""
    def make(status: S, **course_values):
        course = make_course(**course_values)
        staff = staff_of(course)
        application = apply(plain_student(), course)
        for step in PATHS[status]:
            transition(staff, application, step)
        assert application.status == status
        return application, staff
    return make


@pytest.mark.parametrize("before, to", MOVES, ids=[f"{b}->{t}" for b, t in MOVES])
def test_every_move_is_allowed_exactly_when_the_table_says(db, at_state, check_places, before, to):
    application, staff = at_state(before)
    course = db.session.get(Course, application.course_id)
    entries = count(db, AuditEntry)
    if to in TRANSITIONS[before]:
        transition(staff, application, to, "按规定处理")
        db.session.expire_all()
        assert db.session.get(Application, application.id).status == to
        assert count(db, AuditEntry) > entries
    else:
        with pytest.raises(EnrollmentError) as refused:
            transition(staff, application, to, "按规定处理")
        assert refused.value.msgid == "这份报名现在是“%(status)s”，不能这样处理。"
        db.session.expire_all()
        assert db.session.get(Application, application.id).status == before
        assert count(db, AuditEntry) == entries
    check_places(course)


def test_the_table_is_complete_and_terminal_states_stay_put():
    assert set(TRANSITIONS) == set(S)
    for terminal in (S.accepted, S.rejected, S.declined, S.lapsed, S.withdrawn):
        assert TRANSITIONS[terminal] == set()


def test_a_move_is_audited_with_who_when_from_to_and_why(db, at_state):
    application, staff = at_state(S.submitted)
    transition(staff, application, S.rejected, "材料不全")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "applications", AuditEntry.object_id == application.id,
        AuditEntry.action == "application.transition")).one()
    assert entry.actor_id == staff.id
    assert entry.before == {"status": "submitted"}
    assert entry.after == {"status": "rejected", "reason": "材料不全"}
    assert entry.at is not None and entry.at.tzinfo is not None
    assert application.reason == "材料不全"


def test_every_move_notifies_the_account_holder(db, at_state):
    application, staff = at_state(S.submitted)
    holder_id = db.session.get(Student, application.student_id).account_id
    transition(staff, application, S.admitted)
    notification = db.session.scalars(select(Notification).where(Notification.user_id == holder_id)).one()
    assert notification.message == ADMITTED_MESSAGE
    assert notification.params == {"student": "王小明", "course": "电工（初级）扶贫班",
                                   "expires_on": (today() + timedelta(days=7)).isoformat()}
    assert notification.link == f"/applications#application-{application.id}"  # its card on 我的报名


@pytest.mark.parametrize("to", [S.accepted, S.declined])
def test_the_family_is_not_told_of_its_own_move(db, at_state, to):
    """Confirming or giving up a place is the family's own doing: no unread message about it."""
    application, _ = at_state(S.admitted)
    holder = db.session.get(User, db.session.get(Student, application.student_id).account_id)
    before = count(db, Notification, Notification.user_id == holder.id)
    transition(holder, application, to)
    assert application.status == to
    assert count(db, Notification, Notification.user_id == holder.id) == before


def test_admitting_takes_a_place_and_sets_the_offer_deadline(db, at_state):
    application, _ = at_state(S.admitted, offer_days=10, capacity=5, reserved_places=0)
    course = db.session.get(Course, application.course_id)
    db.session.refresh(course)
    assert (course.seats_filled, course.reserved_filled) == (1, 0)
    assert application.offer_expires_on == today() + timedelta(days=10)
    assert application.holds_reserved_place is False


def test_admitting_when_full_is_refused_and_changes_nothing(db, at_state, plain_student, apply, check_places):
    application, staff = at_state(S.admitted, capacity=1, reserved_places=0)
    course = db.session.get(Course, application.course_id)
    other = apply(plain_student(), course)
    entries = count(db, AuditEntry)
    with pytest.raises(NoPlaceLeft) as full:
        transition(staff, other, S.admitted)
    assert full.value.msgid == "名额已满，可以列入候补。"
    db.session.expire_all()
    assert db.session.get(Application, other.id).status == S.submitted
    assert count(db, AuditEntry) == entries
    check_places(course)
    transition(staff, other, S.waitlisted)  # what the message suggests still works
    assert other.status == S.waitlisted


def test_a_finished_course_admits_nobody_nor_gives_a_freed_place_to_its_waiting_list(
        db, make_course, plain_student, apply, staff_of, check_places):
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    holder, waiting, late = (apply(plain_student(), course) for _ in range(3))
    transition(staff, holder, S.admitted)
    transition(staff, waiting, S.waitlisted)
    course.start_date, course.end_date = today() - timedelta(days=30), today() - timedelta(days=1)
    db.session.flush()
    with pytest.raises(NoPlaceLeft) as ended:
        transition(staff, late, S.admitted)
    assert ended.value.msgid == "这门课程已经结束，不能再录取。"
    transition(None, holder, S.declined)  # the place frees, but the course is over
    db.session.expire_all()
    assert [db.session.get(Application, a.id).status for a in (late, waiting)] == [S.submitted, S.waitlisted]
    check_places(course)


@pytest.mark.parametrize("leave", [S.declined, S.lapsed, S.withdrawn])
def test_leaving_admitted_frees_the_place_including_a_reserved_one(db, make_course, green_student, apply, staff_of,
                                                                   check_places, leave):
    course = make_course(capacity=3, reserved_places=1)
    application = apply(green_student(), course)
    assert application.status == S.admitted and application.holds_reserved_place
    transition(None, application, leave)
    db.session.refresh(course)
    assert (course.seats_filled, course.reserved_filled) == (0, 0)
    assert application.holds_reserved_place is False
    check_places(course)


def test_accepting_keeps_the_place_and_makes_the_enrollment(db, at_state, check_places):
    application, _ = at_state(S.accepted)
    course = db.session.get(Course, application.course_id)
    db.session.refresh(course)
    assert course.seats_filled == 1
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.application_id == application.id)).one()
    assert (enrollment.student_id, enrollment.course_id) == (application.student_id, course.id)
    check_places(course)


def test_an_offer_past_its_deadline_cannot_be_accepted(db, at_state):
    application, _ = at_state(S.admitted)
    application.offer_expires_on = today() - timedelta(days=1)
    db.session.flush()
    with pytest.raises(EnrollmentError) as late:
        transition(None, application, S.accepted)
    assert late.value.msgid == "确认入学的期限已过，这个名额已经失效。"
    assert count(db, Enrollment, Enrollment.application_id == application.id) == 0


def test_a_move_on_a_stale_copy_is_refused(db, at_state):
    """Two staff open the same application; the second one's decision finds it already moved."""
    application, staff = at_state(S.submitted)
    db.session.execute(Application.__table__.update().where(Application.__table__.c.id == application.id)
                       .values(status="rejected"))
    with pytest.raises(EnrollmentError) as stale:
        transition(staff, application, S.admitted)
    assert stale.value.msgid == "这份报名刚刚被处理过，请刷新页面看看最新情况。"
    course = db.session.get(Course, application.course_id)
    db.session.refresh(course)
    assert course.seats_filled == 0  # the place it took was given back


# --- benefits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("verification, expected", [
    (Verification.registry_verified, {"fee_waiver": True, "national_grant": True, "living_allowance": False}),
    (Verification.proof_verified, {"fee_waiver": True, "national_grant": True, "living_allowance": False}),
    (Verification.not_found, {"fee_waiver": False, "national_grant": False, "living_allowance": False}),
    (Verification.name_mismatch, {"fee_waiver": False, "national_grant": False, "living_allowance": False}),
    (Verification.proof_rejected, {"fee_waiver": False, "national_grant": False, "living_allowance": False}),
])
def test_benefits_follow_verification_and_what_the_course_carries(make_course, make_student, verification, expected):
    course = make_course(fee_waiver=True, national_grant=True, living_allowance=False)
    assert benefits_for(make_student(verification=verification), course) == expected


def test_the_enrollment_of_a_registry_student_carries_the_benefits(db, make_course, green_student, plain_student,
                                                                   apply):
    course = make_course(fee_waiver=True, national_grant=True, living_allowance=True)
    poor, other = apply(green_student(), course), apply(plain_student(), course)
    transition(None, other, S.admitted)
    for application in (poor, other):
        transition(None, application, S.accepted)
    by_application = {e.application_id: e for e in db.session.scalars(select(Enrollment))}
    assert (by_application[poor.id].fee_waiver, by_application[poor.id].national_grant,
            by_application[poor.id].living_allowance) == (True, True, True)
    assert (by_application[other.id].fee_waiver, by_application[other.id].national_grant,
            by_application[other.id].living_allowance) == (False, False, False)
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enrollment.create",
                                                        AuditEntry.object_id == by_application[poor.id].id)).one()
    assert audit.after["fee_waiver"] is True


# --- random sequences ----------------------------------------------------------------------------

STUDENTS = 5  # the first two in the green channel
ACTIONS = st.one_of(
    st.tuples(st.just("apply"), st.integers(0, STUDENTS - 1)),
    st.tuples(st.just("staff"), st.integers(0, STUDENTS - 1),
              st.sampled_from([S.under_review, S.admitted, S.waitlisted, S.rejected])),
    st.tuples(st.just("family"), st.integers(0, STUDENTS - 1), st.sampled_from([S.accepted, S.declined, S.withdrawn])),
    st.tuples(st.just("expire"), st.integers(0, STUDENTS - 1)),
)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(actions=st.lists(ACTIONS, min_size=1, max_size=25))
def test_random_sequences_keep_places_and_counters_true(db, make_course, green_student, plain_student, apply,
                                                        staff_of, check_places, actions):
    course = make_course(capacity=3, reserved_places=1)
    staff = staff_of(course)
    students = [green_student() if i < 2 else plain_student() for i in range(STUDENTS)]
    latest: dict[int, Application] = {}
    for action, who, *how in actions:
        application = latest.get(who)
        try:
            if action == "apply":
                latest[who] = apply(students[who], course)
            elif application is None:
                continue
            elif action == "expire":
                if application.status == S.admitted:
                    application.offer_expires_on = today() - timedelta(days=1)
                    db.session.flush()
                    lapse_overdue(today())
            else:
                transition(staff if action == "staff" else None, application, how[0])
        except EnrollmentError:
            pass
        check_places(course)

"""The course rules without HTTP: `course_problems` rule by rule, the services that create,
update and move a course's status, and the database CHECK constraints that hold even when the
services are bypassed."""
from datetime import date, timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.courses.models import STATUS_TRANSITIONS, Course, CourseStatus
from portal.courses.services import CourseError, change_status, course_problems, create_course, update_course

START = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated for a request's locale, so the rules run inside one."""
    with app.test_request_context("/"):
        refresh()  # forget a locale Babel cached for an earlier request in the shared app context
        yield
        refresh()


def valid_values(**overrides) -> dict:
    values = dict(title="电工扶贫班", trade="电工", level="junior", kind="poverty_class", mode="on_site",
                  region_code="460100", address="", schedule="", hours=120,
                  start_date=START, end_date=START + timedelta(days=90),
                  apply_opens=START - timedelta(days=30), apply_closes=START - timedelta(days=1),
                  capacity=40, reserved_places=10, fee_fen=0, fee_waiver=True, national_grant=False,
                  living_allowance=False, description="", how_to_apply="")
    values.update(overrides)
    return values


def test_valid_values_have_no_problems():
    assert course_problems(valid_values()) == {}


@pytest.mark.parametrize("overrides, field, message", [
    (dict(capacity=0, reserved_places=0), "capacity", "招生人数至少为1。"),
    (dict(capacity=10, reserved_places=11), "reserved_places", "绿色通道预留名额不能超过招生人数（10人）。"),
    (dict(reserved_places=-1), "reserved_places", "绿色通道预留名额不能超过招生人数（40人）。"),
    (dict(end_date=START - timedelta(days=1)), "end_date", "结束日期不能早于开始日期。"),
    (dict(apply_closes=START - timedelta(days=31)), "apply_closes", "报名截止日期不能早于报名开始日期。"),
    (dict(apply_closes=START + timedelta(days=91)), "apply_closes", "报名截止日期不能晚于课程结束日期。"),
    (dict(report_date=START + timedelta(days=91)), "report_date", "报到日期不能晚于课程结束日期。"),
    (dict(report_date=START - timedelta(days=31)), "report_date", "报到日期不能早于报名开始日期。"),
    (dict(fee_fen=-1), "fee_fen", "费用不能为负数。"),
    (dict(hours=0), "hours", "课时至少为1。"),
    (dict(capacity=10_001), "capacity", "招生人数不能超过10000人。"),
    (dict(hours=10_001), "hours", "课时不能超过10000。"),
    (dict(fee_fen=100_000_001), "fee_fen", "费用不能超过1000000元。"),
    (dict(region_code="999999"), "region_code", "行政区划代码不存在，请从列表中选择。"),
])
def test_each_rule(overrides, field, message):
    assert course_problems(valid_values(**overrides)) == {field: message}


def test_boundaries_are_allowed():
    """Reserved equal to capacity, a one-day course, a one-day window closing on the last day,
    reporting on the day applications open or on the last day, and the largest capacity, hours and fee."""
    assert course_problems(valid_values(capacity=10, reserved_places=10, end_date=START,
                                        apply_opens=START, apply_closes=START)) == {}
    assert course_problems(valid_values(report_date=START - timedelta(days=30))) == {}
    assert course_problems(valid_values(report_date=START + timedelta(days=90))) == {}
    assert course_problems(valid_values(capacity=10_000, hours=10_000, fee_fen=100_000_000)) == {}


def test_several_problems_are_reported_together():
    problems = course_problems(
        valid_values(capacity=0, reserved_places=0, end_date=START - timedelta(days=1), fee_fen=-100))
    assert set(problems) == {"capacity", "end_date", "fee_fen"}


def test_an_existing_course_cannot_shrink_below_places_taken(make_course):
    course = make_course(capacity=40, seats_filled=30, reserved_places=10, reserved_filled=9)
    assert course_problems(valid_values(capacity=29, reserved_places=9), course) == {
        "capacity": "已有30人录取，招生人数不能少于此数。"}
    assert course_problems(valid_values(capacity=30, reserved_places=8), course) == {
        "reserved_places": "已有9人通过绿色通道录取，预留名额不能少于此数。"}
    assert course_problems(valid_values(capacity=30, reserved_places=9), course) == {}


# --- services --------------------------------------------------------------------------------

def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def staff(make_user):
    return make_user(role=Role.staff)


def test_create_course_makes_an_audited_draft(db, staff):
    course = create_course(staff, staff.institution, valid_values())
    assert course.status == CourseStatus.draft and course.institution_id == staff.institution_id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == course.id))
    assert (entry.action, entry.actor_id, entry.before, entry.after) == (
        "course.create", staff.id, None, {"title": "电工扶贫班", "status": "draft"})


def test_create_course_with_problems_saves_nothing(db, staff):
    with pytest.raises(CourseError) as refused:
        create_course(staff, staff.institution, valid_values(capacity=10, reserved_places=20))
    assert refused.value.problems == {"reserved_places": "绿色通道预留名额不能超过招生人数（10人）。"}
    assert count(db, Course) == 0 and count(db, AuditEntry) == 0


def test_update_course_records_only_what_changed(db, staff, make_course):
    course = make_course(institution=staff.institution, **valid_values(title="旧名称"))
    update_course(staff, course, valid_values(title="新名称", end_date=START + timedelta(days=100)))
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "course.update"
    assert entry.before == {"title": "旧名称", "end_date": (START + timedelta(days=90)).isoformat()}
    assert entry.after == {"title": "新名称", "end_date": (START + timedelta(days=100)).isoformat()}


def test_update_course_with_problems_changes_nothing(db, staff, make_course):
    course = make_course(institution=staff.institution, **valid_values(title="旧名称"))
    with pytest.raises(CourseError):
        update_course(staff, course, valid_values(title="新名称", hours=0))
    assert course.title == "旧名称"
    assert count(db, AuditEntry) == 0


ALL_MOVES = [(a, b) for a in CourseStatus for b in CourseStatus]


@pytest.mark.parametrize("start, target", ALL_MOVES, ids=[f"{a}->{b}" for a, b in ALL_MOVES])
def test_change_status_follows_the_transition_table(db, staff, make_course, start, target):
    course = make_course(institution=staff.institution, status=start)
    allowed = (start, target) in {(CourseStatus.draft, CourseStatus.published),
                                  (CourseStatus.published, CourseStatus.closed),
                                  (CourseStatus.closed, CourseStatus.published)}
    assert (target in STATUS_TRANSITIONS[start]) == allowed
    if allowed:
        change_status(staff, course, target)
        assert course.status == target
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.before, entry.after) == ({"status": str(start)}, {"status": str(target)})
    else:
        with pytest.raises(CourseError, match="课程当前状态不能执行这个操作。"):
            change_status(staff, course, target)
        assert course.status == start
        assert count(db, AuditEntry) == 0


# --- the database's own guard ----------------------------------------------------------------

# Seats or reserved places beyond capacity also break general_within, which PostgreSQL may name first.
@pytest.mark.parametrize("bad, constraint", [
    (dict(capacity=40, reserved_places=41), ("ck_courses_reserved_within_capacity", "ck_courses_general_within")),
    (dict(start_date=START, end_date=START - timedelta(days=1)), "ck_courses_ends_after_start"),
    (dict(apply_opens=START, apply_closes=START - timedelta(days=1)), "ck_courses_window_ordered"),
    (dict(capacity=0, reserved_places=0), "ck_courses_capacity_positive"),
    (dict(fee_fen=-1), "ck_courses_fee_not_negative"),
    (dict(capacity=40, seats_filled=41), ("ck_courses_seats_within_capacity", "ck_courses_general_within")),
    (dict(capacity=40, reserved_places=10, seats_filled=31), "ck_courses_general_within"),
    (dict(reserved_places=5, reserved_filled=6), "ck_courses_reserved_filled_within"),
    (dict(kind="bogus"), "ck_courses_kind_known"),
])
def test_check_constraints_refuse_rows_that_bypass_the_service(db, make_course, make_institution, bad, constraint):
    institution = make_institution()
    with pytest.raises(IntegrityError) as refused:
        with db.session.begin_nested():
            make_course(institution=institution, **bad)
    constraints = (constraint,) if isinstance(constraint, str) else constraint
    assert any(name in str(refused.value.orig) for name in constraints), refused.value.orig
    # the savepoint rolled back; the test's transaction goes on
    assert count(db, Course) == 0
    make_course(institution=institution)
    assert count(db, Course) == 1

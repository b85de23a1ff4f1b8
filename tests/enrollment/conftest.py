"""Enrollment fixtures: students inside and outside the green channel, applying, staff, invariants."""
import pytest
from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.courses.models import Course
from portal.enrollment.models import HOLDING_A_PLACE, Application
from portal.enrollment.services import submit_application, today
from portal.families.models import Verification


@pytest.fixture
def green_student(make_student, make_registry_person, id_number):
    """A registry-verified student (listed in the registry under the same name): green(account=…, name=…)."""
    def make(account: User | None = None, name: str = "黎小海", **overrides):
        number = id_number()
        person = make_registry_person(name, number)
        return make_student(account=account, number=number, name=name, verification=Verification.registry_verified,
                            registry_person_id=person.id, **overrides)
    return make


@pytest.fixture
def plain_student(make_student):
    """A student not in the registry: plain(account=…, name=…)."""
    def make(account: User | None = None, name: str = "王小明", **overrides):
        return make_student(account=account, name=name, **overrides)
    return make


@pytest.fixture
def apply(db):
    """Apply for the student to the course as their account holder, through the service."""
    def do(student, course) -> Application:
        return submit_application(db.session.get(User, student.account_id), student, course, today())
    return do


@pytest.fixture
def staff_of(make_user):
    def make(course: Course) -> User:
        return make_user(Role.staff, institution_id=course.institution_id)
    return make


@pytest.fixture
def check_places(db):
    """check_places(course): its counters agree with the applications holding its places, within every limit."""
    return lambda course: _check_places(db, course)


def _check_places(db, course: Course) -> None:
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    holding = select(func.count()).select_from(Application).where(
        Application.course_id == course.id, Application.status.in_(HOLDING_A_PLACE))
    assert course.seats_filled == db.session.scalar(holding)
    assert course.reserved_filled == db.session.scalar(holding.where(Application.holds_reserved_place))
    assert 0 <= course.reserved_filled <= course.reserved_places
    assert course.seats_filled <= course.capacity
    assert course.seats_filled - course.reserved_filled <= course.capacity - course.reserved_places

"""Staff editing a course cannot take away places already given: capacity, reserved places and the
general places outside the green channel each stay at or above what is filled."""
import pytest
from flask_babel import refresh

from portal.courses.models import Course
from portal.courses.services import CourseError, update_course
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import transition

S = ApplicationStatus


@pytest.fixture
def request_context(app):
    """course_problems words its messages in the visitor's language, so it runs inside a request."""
    with app.test_request_context("/"):
        refresh()  # forget a locale Babel cached for an earlier request in the shared app context
        yield
        refresh()


@pytest.fixture
def filled(db, make_course, green_student, plain_student, apply, staff_of):
    """A course of 10 places, 3 reserved: 2 green-channel students and 4 others admitted."""
    course = make_course(capacity=10, reserved_places=3)
    staff = staff_of(course)
    for _ in range(2):
        apply(green_student(), course)
    for _ in range(4):
        transition(staff, apply(plain_student(), course), S.admitted)
    db.session.refresh(course)
    assert (course.seats_filled, course.reserved_filled) == (6, 2)
    return course, staff


@pytest.mark.parametrize("values, field, message", [
    ({"capacity": 5, "reserved_places": 3}, "capacity", "已有6人录取，招生人数不能少于此数。"),
    ({"capacity": 10, "reserved_places": 1}, "reserved_places", "已有2人通过绿色通道录取，预留名额不能少于此数。"),
    ({"capacity": 10, "reserved_places": 7}, "reserved_places",
     "已有4人占用普通名额，招生人数减去预留名额不能少于此数。"),
    ({"capacity": 6, "reserved_places": 3}, "reserved_places",
     "已有4人占用普通名额，招生人数减去预留名额不能少于此数。"),
])
def test_a_course_cannot_shrink_below_its_filled_places(db, request_context, filled, values, field, message):
    course, staff = filled
    with pytest.raises(CourseError) as refused:
        update_course(staff, course, values)
    assert refused.value.problems == {field: message}
    db.session.refresh(course)
    assert (course.capacity, course.reserved_places) == (10, 3)


@pytest.mark.parametrize("values", [{"capacity": 6, "reserved_places": 2}, {"capacity": 20, "reserved_places": 16},
                                    {"reserved_places": 6}])
def test_it_may_shrink_down_to_them(db, filled, values):
    course, staff = filled
    update_course(staff, course, values)
    db.session.flush()
    db.session.refresh(course)
    assert course.reserved_places == values["reserved_places"]


def test_the_edit_page_says_why(db, client, login, filled):
    course, staff = filled
    login(staff)
    fields = ("title", "trade", "level", "kind", "mode", "region_code", "hours", "start_date", "end_date",
              "apply_opens", "apply_closes")
    data = {name: str(getattr(course, name)) for name in fields}
    data.update(capacity="10", reserved_places="8", fee_yuan="0")
    response = client.post(f"/manage/courses/{course.id}/edit", data=data)
    assert response.status_code == 200
    assert "已有4人占用普通名额，招生人数减去预留名额不能少于此数。" in response.text
    db.session.refresh(course)
    assert course.reserved_places == 3


def test_places_added_by_editing_the_course_go_to_the_waiting_list(db, login, make_course, plain_student, apply,
                                                                  staff_of):
    """Staff raise a full course's capacity: the first on its waiting list is admitted at once."""
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    transition(staff, apply(plain_student(name="先到的"), course), S.admitted)
    waiting = apply(plain_student(name="候补的"), course)
    transition(staff, waiting, S.waitlisted)

    form = {"title": course.title, "trade": course.trade, "level": course.level, "kind": course.kind,
            "mode": course.mode, "region_code": course.region_code, "hours": str(course.hours),
            "start_date": course.start_date.isoformat(), "end_date": course.end_date.isoformat(),
            "apply_opens": course.apply_opens.isoformat(), "apply_closes": course.apply_closes.isoformat(),
            "capacity": "2", "reserved_places": "0", "fee_yuan": "0"}
    response = login(staff).post(f"/manage/courses/{course.id}/edit", data=form)

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, waiting.id).status == S.admitted
    assert db.session.get(Course, course.id).seats_filled == 2

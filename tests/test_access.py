"""The access matrix: every route × every role, and what each role gets.

Modelled on Indico's access tests: one table of (method, rule, url builder, {role: expected}).
`test_matrix_covers_every_route` fails when a route is added without a row here, so nobody can
ship a view whose access nobody decided.

Write routes are sent a *valid* form, so a refused role is refused for who it is, not for what
it typed; each such row has a check that the write happened for the allowed roles only.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc

from portal.auth.models import Role, User
from portal.courses.models import Course, CourseStatus
from portal.institutions.models import Institution

ROLES = ("anonymous", "applicant", "own_staff", "other_staff", "finance", "admin")
LOGGED_IN = ROLES[1:]


def redirect_to(path: str) -> str:
    return f"302 → {path}"


LOGIN = redirect_to("/login")
HOME = redirect_to("/")


def everyone(expected) -> dict:
    return dict.fromkeys(ROLES, expected)


def members(expected, anonymous) -> dict:
    return {**dict.fromkeys(LOGGED_IN, expected), "anonymous": anonymous}


def staff_only(own=200, other=200) -> dict:
    """Institution staff pages: other roles are refused, visitors are sent to log in."""
    return {"anonymous": LOGIN, "applicant": 403, "own_staff": own, "other_staff": other,
            "finance": 403, "admin": 403}


def admin_only(admin=200) -> dict:
    return {"anonymous": LOGIN, "applicant": 403, "own_staff": 403, "other_staff": 403,
            "finance": 403, "admin": admin}


# Valid form submissions -------------------------------------------------------------------------

def course_form(title: str) -> dict:
    today = date.today()
    return {"title": title, "trade": "电工", "level": "junior", "kind": "poverty_class", "mode": "on_site",
            "region_code": "460100", "hours": "120", "capacity": "30", "reserved_places": "5", "fee_yuan": "0",
            "start_date": str(today + timedelta(days=30)), "end_date": str(today + timedelta(days=90)),
            "apply_opens": str(today), "apply_closes": str(today + timedelta(days=20))}


def institution_form(name: str, code: str = "") -> dict:
    body = "52460100MJ9999999"
    return {"name": name, "uscc": code or body + uscc.calc_check_digit(body), "kind": "technical_college",
            "region_code": "460100"}


# What must (not) have changed afterwards ---------------------------------------------------------

def count(world, model, *where) -> int:
    world.db.session.expire_all()
    return world.db.session.scalar(select(func.count()).select_from(model).where(*where))


def written_only_for(*allowed: str, model, where: Callable) -> Callable:
    """A check: exactly one matching row exists when the role is allowed to write, none otherwise."""
    def check(world, role):
        assert count(world, model, where(world)) == (1 if role in allowed else 0)
    return check


def published_only_by_own_staff(world, role) -> None:
    expected = CourseStatus.published if role == "own_staff" else CourseStatus.draft
    assert count(world, Course, Course.id == world.draft.id, Course.status == expected) == 1


def logged_out_afterwards(world, role) -> None:
    """After logging out, a members-only page sends the visitor to the login page."""
    follow_up = world.client.get("/admin/accounts")
    assert follow_up.status_code == 302 and urlsplit(follow_up.location).path == "/login"


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    url: Callable[[SimpleNamespace], str]
    expected: dict
    data: Callable[[SimpleNamespace], dict] | None = None
    check: Callable[[SimpleNamespace, str], None] | None = None
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}{' ' + self.note if self.note else ''}"


MATRIX = [
    # public pages
    Case("GET", "/", lambda w: "/", everyone(200)),
    Case("GET", "/courses", lambda w: "/courses", everyone(200)),
    Case("GET", "/courses/<int:course_id>", lambda w: f"/courses/{w.published.id}", everyone(200),
         note="published"),
    Case("GET", "/courses/<int:course_id>", lambda w: f"/courses/{w.draft.id}",
         {**everyone(404), "own_staff": 200}, note="draft"),
    Case("GET", "/institutions/<int:institution_id>", lambda w: f"/institutions/{w.own.id}", everyone(200)),
    Case("GET", "/healthz", lambda w: "/healthz", everyone(200)),
    Case("GET", "/lang/<code>", lambda w: "/lang/en?next=/courses", everyone(redirect_to("/courses"))),
    Case("GET", "/elder-mode/<state>", lambda w: "/elder-mode/on?next=/courses", everyone(redirect_to("/courses"))),

    # accounts
    Case("GET", "/login", lambda w: "/login", everyone(200)),
    Case("POST", "/login", lambda w: "/login", everyone(200), data=lambda w: {"login": "", "password": ""},
         note="blank"),
    Case("GET", "/register", lambda w: "/register", members(HOME, anonymous=200)),
    Case("POST", "/register", lambda w: "/register", members(HOME, anonymous=redirect_to("/courses")),
         data=lambda w: {"name": "新用户", "login": "13712345678", "password": "Xinmima2024", "confirm": "Xinmima2024"},
         check=written_only_for("anonymous", model=User, where=lambda w: User.mobile == "13712345678")),
    Case("POST", "/logout", lambda w: "/logout", members(HOME, anonymous=LOGIN), check=logged_out_afterwards),
    Case("GET", "/admin/accounts", lambda w: "/admin/accounts", admin_only()),
    Case("POST", "/admin/accounts", lambda w: "/admin/accounts", admin_only(admin=redirect_to("/admin/accounts")),
         data=lambda w: {"name": "新职员", "login": "13787654321", "password": "Zhiyuan2024", "role": "staff",
                         "institution_id": str(w.own.id), "region_code": ""},
         check=written_only_for("admin", model=User, where=lambda w: User.mobile == "13787654321")),

    # staff course management
    Case("GET", "/manage/courses", lambda w: "/manage/courses", staff_only()),
    Case("GET", "/manage/courses/new", lambda w: "/manage/courses/new", staff_only()),
    Case("POST", "/manage/courses/new", lambda w: "/manage/courses/new",
         staff_only(own=redirect_to("/manage/courses"), other=redirect_to("/manage/courses")),
         data=lambda w: course_form("新开课程"),
         check=written_only_for("own_staff", "other_staff", model=Course, where=lambda w: Course.title == "新开课程")),
    Case("GET", "/manage/courses/<int:course_id>/edit", lambda w: f"/manage/courses/{w.published.id}/edit",
         staff_only(other=404)),
    Case("POST", "/manage/courses/<int:course_id>/edit", lambda w: f"/manage/courses/{w.published.id}/edit",
         staff_only(own=redirect_to("/manage/courses"), other=404),
         data=lambda w: course_form("改过的课程"),
         check=written_only_for("own_staff", model=Course, where=lambda w: Course.title == "改过的课程")),
    Case("POST", "/manage/courses/<int:course_id>/status/<status>",
         lambda w: f"/manage/courses/{w.draft.id}/status/published",
         staff_only(own=redirect_to("/manage/courses"), other=404), check=published_only_by_own_staff),

    # admin institution management
    Case("GET", "/admin/institutions", lambda w: "/admin/institutions", admin_only()),
    Case("GET", "/admin/institutions/new", lambda w: "/admin/institutions/new", admin_only()),
    Case("POST", "/admin/institutions/new", lambda w: "/admin/institutions/new",
         admin_only(admin=redirect_to("/admin/institutions")), data=lambda w: institution_form("新建技工学校"),
         check=written_only_for("admin", model=Institution, where=lambda w: Institution.name == "新建技工学校")),
    Case("GET", "/admin/institutions/<int:institution_id>/edit",
         lambda w: f"/admin/institutions/{w.own.id}/edit", admin_only()),
    Case("POST", "/admin/institutions/<int:institution_id>/edit",
         lambda w: f"/admin/institutions/{w.own.id}/edit", admin_only(admin=redirect_to("/admin/institutions")),
         data=lambda w: institution_form("改名技工学校", code=w.own.uscc),
         check=written_only_for("admin", model=Institution, where=lambda w: Institution.name == "改名技工学校")),
]


@pytest.fixture
def world(db, client, make_institution, make_course, make_user):
    """Two institutions, a published and a draft course of the first, and one user per role."""
    own, other = make_institution(), make_institution()
    return SimpleNamespace(
        db=db, client=client, own=own, other=other,
        published=make_course(institution=own, title="公开课程"),
        draft=make_course(institution=own, title="草稿课程", status=CourseStatus.draft),
        users={
            "applicant": make_user(Role.applicant),
            "own_staff": make_user(Role.staff, institution_id=own.id),
            "other_staff": make_user(Role.staff, institution_id=other.id),
            "finance": make_user(Role.finance),
            "admin": make_user(Role.admin),
        },
    )


def test_matrix_covers_every_route(app):
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(case.method, case.rule) for case in MATRIX}
    assert routes - covered == set(), "routes without an access-matrix entry"
    assert covered - routes == set(), "access-matrix entries for routes that do not exist"
    assert all(set(case.expected) == set(ROLES) for case in MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda case: case.id)
def test_access(case: Case, role: str, world, login):
    if role != "anonymous":
        login(world.users[role])
    data = case.data(world) if case.data else None
    response = world.client.open(case.url(world), method=case.method, data=data)

    expected = case.expected[role]
    if isinstance(expected, str):
        assert response.status_code == 302, response.text[:500]
        target = urlsplit(response.location)
        assert target.netloc in ("", "portal.test")
        assert redirect_to(target.path) == expected
    else:
        assert response.status_code == expected, response.text[:500]
    if case.check:
        case.check(world, role)

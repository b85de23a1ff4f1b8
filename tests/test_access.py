"""The access matrix: every route × every role, and what each role gets.

Modelled on Indico's access tests: one table of (method, rule, url builder, {role: expected}).
`test_matrix_covers_every_route` fails when a route is added without a row here, so nobody can
ship a view whose access nobody decided.

Write routes are sent a *valid* form, so a refused role is refused for who it is, not for what
it typed; each such row has a check that the write happened for the allowed roles only.
"""
import io
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Callable
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select
from stdnum.cn import uscc
from werkzeug.security import check_password_hash

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.courses.models import Course, CourseStatus
from portal.db import today
from portal.enrollment.models import Application, ApplicationStatus, Enrollment
from portal.enrollment.notices import issue_notice
from portal.enrollment.services import submit_application, transition
from portal.families.models import ProofDocument, Student, Verification
from portal.families.services import add_document
from portal.institutions.models import Institution
from portal.notifications.models import Notification
from portal.registry.models import RegistryImport, RegistryPerson

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


def applicant_only(owner=200, anonymous=LOGIN) -> dict:
    """A family's own pages: staff, finance and admin are refused."""
    return {"anonymous": anonymous, "applicant": owner, "own_staff": 403, "other_staff": 403,
            "finance": 403, "admin": 403}


def signed_in(expected) -> dict:
    return members(expected, anonymous=LOGIN)


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


def student_form(name: str, number: str) -> dict:
    return {"name": name, "id_number": number, "relation": "grandchild", "region_code": "460107"}


def png_upload(colour: str = "black") -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return {"kind": "poverty_certificate", "file": (io.BytesIO(buffer.getvalue()), "证明.png")}


def registry_upload(number: str) -> dict:
    csv = f"姓名,身份证号,户编号\n符新来,{number},4690300019999\n".encode("gbk")
    return {"upload-file": (io.BytesIO(csv), "名单.csv"), "upload-full": "partial"}


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


def deactivated_only_by_admin(world, role) -> None:
    assert count(world, User, User.id == world.leaving_staff.id, ~User.active) == (1 if role == "admin" else 0)


def password_changed_by_its_holder(world, role) -> None:
    """Each logged-in role changed its own password; nobody else's changed."""
    world.db.session.expire_all()
    for name, user in world.users.items():
        assert check_password_hash(world.db.session.get(User, user.id).password_hash, "Xinmima2025") == (name == role)


def reset_only_by_own_staff(world, role) -> None:
    world.db.session.expire_all()
    family = world.db.session.get(User, world.users["applicant"].id)
    assert family.must_change_password == (role == "own_staff")
    assert check_password_hash(family.password_hash, "Test1234pw") == (role != "own_staff")


def reset_only_by_admin(world, role) -> None:
    assert count(world, User, User.id == world.leaving_staff.id, User.must_change_password) == (role == "admin")


def logged_out_afterwards(world, role) -> None:
    """After logging out, a members-only page sends the visitor to the login page."""
    follow_up = world.client.get("/admin/accounts")
    assert follow_up.status_code == 302 and urlsplit(follow_up.location).path == "/login"


def application_status_for(owner_status, others_status):
    """A check: the world's application is in `owner_status` after its owner acted, else unchanged."""
    def check(world, role):
        world.db.session.expire_all()
        expected = owner_status if role == "applicant" else others_status
        assert world.db.session.get(Application, world.application.id).status == expected
    return check


def decided_only_by_own_staff(world, role) -> None:
    world.db.session.expire_all()
    expected = ApplicationStatus.waitlisted if role == "own_staff" else ApplicationStatus.submitted
    assert world.db.session.get(Application, world.pending.id).status == expected


def verified_only_by_own_staff(world, role) -> None:
    world.db.session.expire_all()
    expected = Verification.proof_verified if role == "own_staff" else Verification.not_found
    assert world.db.session.get(Student, world.student.id).verification == expected


def proof_deleted_by(world, role, allowed) -> None:
    assert count(world, ProofDocument, ProofDocument.id == world.document.id) == (0 if role in allowed else 1)


def read_only_by_their_reader(world, role) -> None:
    """Marking read touches the caller's own notifications: the applicant's stays unread for others."""
    world.db.session.expire_all()
    unread = world.db.session.get(Notification, world.notification.id).read_at is None
    assert unread == (role != "applicant")


def revealed_only_to_admin(world, role) -> None:
    assert count(world, AuditEntry, AuditEntry.action == "registry_person.reveal_id") == (role == "admin")


def newest_import(world) -> str:
    world.db.session.expire_all()
    return redirect_to(f"/admin/registry/imports/{world.db.session.scalar(select(func.max(RegistryImport.id)))}")


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
         {**everyone(404), "own_staff": 200, "admin": 200}, note="draft"),
    Case("GET", "/institutions/<int:institution_id>", lambda w: f"/institutions/{w.own.id}", everyone(200)),
    Case("GET", "/healthz", lambda w: "/healthz", everyone(200)),
    Case("GET", "/favicon.ico", lambda w: "/favicon.ico", everyone(200)),
    Case("GET", "/favicon.svg", lambda w: "/favicon.svg", everyone(200)),
    Case("GET", "/lang/<code>", lambda w: "/lang/en?next=/courses", everyone(redirect_to("/courses"))),
    Case("GET", "/elder-mode/<state>", lambda w: "/elder-mode/on?next=/courses", everyone(redirect_to("/courses"))),

    # accounts
    Case("GET", "/login", lambda w: "/login", everyone(200)),
    Case("POST", "/login", lambda w: "/login", everyone(200), data=lambda w: {"login": "", "password": ""},
         note="blank"),
    Case("GET", "/forgot-password", lambda w: "/forgot-password", everyone(200)),
    Case("GET", "/register", lambda w: "/register", members(HOME, anonymous=200)),
    Case("POST", "/register", lambda w: "/register", members(HOME, anonymous=redirect_to("/courses")),
         data=lambda w: {"name": "新用户", "login": "13712345678", "password": "Xinmima2024", "confirm": "Xinmima2024"},
         check=written_only_for("anonymous", model=User, where=lambda w: User.mobile == "13712345678")),
    Case("POST", "/logout", lambda w: "/logout", members(HOME, anonymous=LOGIN), check=logged_out_afterwards),
    Case("GET", "/finance", lambda w: "/finance", {**signed_in(403), "finance": 200}),
    Case("GET", "/account/password", lambda w: "/account/password", signed_in(200)),
    Case("POST", "/account/password", lambda w: "/account/password",
         {"anonymous": LOGIN, "applicant": HOME, "own_staff": redirect_to("/manage/applications"),
          "other_staff": redirect_to("/manage/applications"), "finance": redirect_to("/finance"),
          "admin": redirect_to("/admin/institutions")},
         data=lambda w: {"current": "Test1234pw", "password": "Xinmima2025", "confirm": "Xinmima2025"},
         check=password_changed_by_its_holder),
    Case("GET", "/admin/accounts", lambda w: "/admin/accounts", admin_only()),
    Case("POST", "/admin/accounts", lambda w: "/admin/accounts", admin_only(admin=redirect_to("/admin/accounts")),
         data=lambda w: {"name": "新职员", "login": "13787654321", "password": "Zhiyuan2024", "role": "staff",
                         "institution_id": str(w.own.id), "region_code": ""},
         check=written_only_for("admin", model=User, where=lambda w: User.mobile == "13787654321")),
    Case("POST", "/admin/accounts/<int:user_id>/reset-password",
         lambda w: f"/admin/accounts/{w.leaving_staff.id}/reset-password", admin_only(), check=reset_only_by_admin),
    Case("POST", "/admin/accounts/<int:user_id>/reset-password",
         lambda w: f"/admin/accounts/{w.users['admin'].id}/reset-password", admin_only(admin=404),
         note="an admin's"),
    Case("POST", "/admin/accounts/<int:user_id>/<any(deactivate, activate):action>",
         lambda w: f"/admin/accounts/{w.leaving_staff.id}/deactivate", admin_only(admin=redirect_to("/admin/accounts")),
         check=deactivated_only_by_admin),

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

    # families: student profiles, proof documents, staff verification
    Case("GET", "/family", lambda w: "/family", applicant_only()),
    Case("GET", "/family/students/new", lambda w: "/family/students/new", applicant_only()),
    Case("POST", "/family/students/new", lambda w: "/family/students/new", applicant_only(owner=redirect_to("/family")),
         data=lambda w: student_form("新加的孙子", w.spare_id),
         check=written_only_for("applicant", model=Student, where=lambda w: Student.name == "新加的孙子")),
    Case("GET", "/family/students/<int:student_id>", lambda w: f"/family/students/{w.student.id}", applicant_only()),
    Case("GET", "/family/students/<int:student_id>", lambda w: f"/family/students/{w.strangers_student.id}",
         applicant_only(owner=404), note="another family's"),
    Case("GET", "/family/students/<int:student_id>/edit", lambda w: f"/family/students/{w.student.id}/edit",
         applicant_only()),
    Case("POST", "/family/students/<int:student_id>/edit", lambda w: f"/family/students/{w.strangers_student.id}/edit",
         applicant_only(owner=404), data=lambda w: student_form("改名的学生", ""),
         check=written_only_for(model=Student, where=lambda w: Student.name == "改名的学生"),
         note="another family's"),
    Case("POST", "/family/students/<int:student_id>/edit", lambda w: f"/family/students/{w.sibling.id}/edit",
         applicant_only(owner=redirect_to("/family")), data=lambda w: student_form("改名的学生", ""),
         check=written_only_for("applicant", model=Student, where=lambda w: Student.name == "改名的学生")),
    Case("POST", "/family/students/<int:student_id>/documents",
         lambda w: f"/family/students/{w.student.id}/documents",
         applicant_only(owner=redirect_to("/family/students/{student.id}")), data=lambda w: png_upload(),
         check=written_only_for("applicant", model=ProofDocument,
                                where=lambda w: ProofDocument.filename.like("证明%"))),
    Case("POST", "/family/students/<int:student_id>/documents/<int:document_id>/delete",
         lambda w: f"/family/students/{w.strangers_student.id}/documents/{w.document.id}/delete",
         applicant_only(owner=404), check=lambda w, role: proof_deleted_by(w, role, ()), note="another family's"),
    Case("POST", "/family/students/<int:student_id>/documents/<int:document_id>/delete",
         lambda w: f"/family/students/{w.student.id}/documents/{w.document.id}/delete",
         applicant_only(owner=redirect_to("/family/students/{student.id}")),
         check=lambda w, role: proof_deleted_by(w, role, ("applicant",))),
    Case("GET", "/documents/<int:document_id>", lambda w: f"/documents/{w.document.id}",
         {"anonymous": LOGIN, "applicant": 200, "own_staff": 200, "other_staff": 404, "finance": 404, "admin": 200}),
    Case("POST", "/manage/students/<int:student_id>/verification",
         lambda w: f"/manage/students/{w.student.id}/verification",
         staff_only(own=redirect_to("/manage/applications"), other=404),
         data=lambda w: {"decision": "accept", "reason": "贫困证明盖有乡镇公章"}, check=verified_only_by_own_staff),

    # enrollment: applying, the family's applications, staff review
    Case("GET", "/courses/<int:course_id>/apply", lambda w: f"/courses/{w.published.id}/apply", applicant_only()),
    Case("POST", "/courses/<int:course_id>/apply", lambda w: f"/courses/{w.published.id}/apply",
         applicant_only(owner=redirect_to("/applications")), data=lambda w: {"student_id": str(w.sibling.id)},
         check=written_only_for("applicant", model=Application,
                                where=lambda w: Application.student_id == w.sibling.id)),
    Case("GET", "/applications", lambda w: "/applications", applicant_only()),
    Case("POST", "/applications/<int:application_id>/accept", lambda w: f"/applications/{w.application.id}/accept",
         applicant_only(owner=redirect_to("/applications")),
         check=application_status_for(ApplicationStatus.accepted, ApplicationStatus.admitted)),
    Case("POST", "/applications/<int:application_id>/decline", lambda w: f"/applications/{w.application.id}/decline",
         applicant_only(owner=redirect_to("/applications")),
         check=application_status_for(ApplicationStatus.declined, ApplicationStatus.admitted)),
    Case("POST", "/applications/<int:application_id>/withdraw",
         lambda w: f"/applications/{w.application.id}/withdraw", applicant_only(owner=redirect_to("/applications")),
         check=application_status_for(ApplicationStatus.withdrawn, ApplicationStatus.admitted)),
    Case("POST", "/applications/<int:application_id>/withdraw",
         lambda w: f"/applications/{w.strangers_application.id}/withdraw", applicant_only(owner=404),
         note="another family's"),
    Case("GET", "/manage/applications", lambda w: "/manage/applications", staff_only()),
    Case("GET", "/manage/applications/<int:application_id>", lambda w: f"/manage/applications/{w.pending.id}",
         staff_only(other=404)),
    Case("POST", "/manage/applications/<int:application_id>/decision",
         lambda w: f"/manage/applications/{w.pending.id}/decision",
         staff_only(own=redirect_to("/manage/applications"), other=404),
         data=lambda w: {"decision": "waitlisted", "reason": ""}, check=decided_only_by_own_staff),
    Case("POST", "/manage/applications/<int:application_id>/reset-password",
         lambda w: f"/manage/applications/{w.application.id}/reset-password", staff_only(other=404),
         check=reset_only_by_own_staff),
    Case("POST", "/manage/applications/bulk", lambda w: "/manage/applications/bulk",
         staff_only(own=redirect_to("/manage/applications"), other=redirect_to("/manage/applications")),
         data=lambda w: {"decision": "waitlisted", "reason": "", "application_ids": [str(w.pending.id)]},
         check=decided_only_by_own_staff),
    Case("GET", "/enrollments/<int:enrollment_id>/notice.pdf", lambda w: f"/enrollments/{w.enrollment.id}/notice.pdf",
         {"anonymous": LOGIN, "applicant": 200, "own_staff": 200, "other_staff": 404, "finance": 404, "admin": 200}),
    Case("GET", "/notices/<token>", lambda w: f"/notices/{w.notice_token()}", everyone(200)),

    # the poverty registry (admin)
    Case("GET", "/admin/registry", lambda w: "/admin/registry", admin_only()),
    Case("GET", "/admin/audit", lambda w: "/admin/audit", admin_only()),
    Case("POST", "/admin/audit/exports", lambda w: "/admin/audit/exports", admin_only()),  # few entries: the file
    Case("GET", "/admin/audit/exports/<int:export_id>", lambda w: f"/admin/audit/exports/{w.audit_export.id}",
         admin_only()),
    Case("GET", "/admin/audit/exports/<int:export_id>/audit-log.xlsx",
         lambda w: f"/admin/audit/exports/{w.audit_export.id}/audit-log.xlsx", admin_only()),
    Case("POST", "/admin/registry/imports", lambda w: "/admin/registry/imports", admin_only(admin=newest_import),
         data=lambda w: registry_upload(w.spare_id),
         check=written_only_for("admin", model=RegistryPerson, where=lambda w: RegistryPerson.name == "符新来")),
    Case("GET", "/admin/registry/imports/<int:import_id>",
         lambda w: f"/admin/registry/imports/{w.registry_person.first_import_id}", admin_only()),
    Case("POST", "/admin/registry/imports/<int:import_id>/restart",
         lambda w: f"/admin/registry/imports/{w.registry_person.first_import_id}/restart",
         admin_only(admin=redirect_to("/admin/registry/imports/{registry_person.first_import_id}"))),
    Case("POST", "/admin/registry/imports/<int:import_id>/confirm-leaving",
         lambda w: f"/admin/registry/imports/{w.registry_person.first_import_id}/confirm-leaving",
         admin_only(admin=redirect_to("/admin/registry/imports/{registry_person.first_import_id}"))),
    Case("GET", "/admin/registry/template.xlsx", lambda w: "/admin/registry/template.xlsx", admin_only()),
    Case("GET", "/admin/registry/imports/<int:import_id>/rejections.xlsx",
         lambda w: f"/admin/registry/imports/{w.registry_person.first_import_id}/rejections.xlsx", admin_only()),
    Case("GET", "/admin/registry/people/<int:person_id>", lambda w: f"/admin/registry/people/{w.registry_person.id}",
         admin_only()),
    Case("POST", "/admin/registry/people/<int:person_id>/reveal",
         lambda w: f"/admin/registry/people/{w.registry_person.id}/reveal", admin_only(),
         check=revealed_only_to_admin),
    Case("POST", "/admin/registry/lookup", lambda w: "/admin/registry/lookup",
         admin_only(admin=redirect_to("/admin/registry/people/{registry_person.id}")),
         data=lambda w: {"lookup-number": w.registry_number}),

    # notifications
    Case("GET", "/notifications", lambda w: "/notifications", signed_in(200)),
    Case("GET", "/notifications/<int:notification_id>", lambda w: f"/notifications/{w.notification.id}",
         {**signed_in(404), "applicant": redirect_to("/applications")}, check=read_only_by_their_reader),
    Case("POST", "/notifications/read", lambda w: "/notifications/read", signed_in(redirect_to("/notifications")),
         check=read_only_by_their_reader),
    Case("POST", "/notifications/<int:notification_id>/read", lambda w: f"/notifications/{w.notification.id}/read",
         {**signed_in(404), "applicant": redirect_to("/notifications")}, check=read_only_by_their_reader),
]


@pytest.fixture
def world(db, client, make_institution, make_course, make_user, make_student, make_registry_person, id_number,
          finished_export):
    """Two institutions, a published and a draft course of the first, one user per role, and the
    applicant's family: a student with a proof document and an admitted application, a sibling who
    has not applied, one enrolled; and another family's student with an application waiting."""
    own, other = make_institution(), make_institution()
    users = {
        "applicant": make_user(Role.applicant),
        "own_staff": make_user(Role.staff, institution_id=own.id),
        "other_staff": make_user(Role.staff, institution_id=other.id),
        "finance": make_user(Role.finance),
        "admin": make_user(Role.admin),
    }
    published = make_course(institution=own, title="公开课程")
    family = users["applicant"]
    student, sibling, enrolled = (make_student(account=family, name=name) for name in ("黎小海", "黎小云", "黎小山"))
    strangers_student = make_student(name="陌生学生")
    registry_number = id_number()
    application = submit_application(family, student, published, today())
    transition(users["own_staff"], application, ApplicationStatus.admitted)
    accepted = Application(student_id=enrolled.id, course_id=published.id, status=ApplicationStatus.accepted)
    db.session.add(accepted)
    db.session.flush()
    enrollment = Enrollment(application_id=accepted.id, student_id=enrolled.id, course_id=published.id)
    db.session.add(enrollment)
    db.session.flush()
    stranger = db.session.get(User, strangers_student.account_id)
    strangers_application = submit_application(stranger, strangers_student, published, today())
    return SimpleNamespace(
        db=db, client=client, own=own, other=other, users=users, published=published,
        leaving_staff=make_user(Role.staff, institution_id=other.id),
        draft=make_course(institution=own, title="草稿课程", status=CourseStatus.draft),
        student=student, sibling=sibling, strangers_student=strangers_student, spare_id=id_number(),
        document=add_document(family, student, "poverty_certificate", "户口簿.png",
                              png_upload("white")["file"][0].read()),
        application=application, strangers_application=strangers_application, pending=strangers_application,
        enrollment=enrollment, notice_token=lambda: issue_notice(enrollment).token,
        notification=db.session.scalars(select(Notification).where(Notification.user_id == family.id)).first(),
        registry_number=registry_number, registry_person=make_registry_person("符在册", registry_number),
        audit_export=finished_export(users["admin"]),
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
    if callable(expected):  # a redirect to what the request made
        expected = expected(world)
    if isinstance(expected, str):
        expected = expected.format(**vars(world))
        assert response.status_code == 302, response.text[:500]
        target = urlsplit(response.location)
        assert target.netloc in ("", "portal.test")
        assert redirect_to(target.path) == expected
    else:
        assert response.status_code == expected, response.text[:500]
    if case.check:
        case.check(world, role)

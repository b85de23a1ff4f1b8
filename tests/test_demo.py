"""The demo loader: what a newcomer sees after `flask portal demo` on an empty database."""
import io
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from stdnum.cn import uscc

from portal.audit.display import FIELD_LABELS
from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.auth.services import authenticate, password_problem
from portal.common.regions import Region
from portal.courses.models import Course, CourseKind, CourseMode, CourseStatus
from portal.courses.services import CatalogQuery, poverty_class_places, search_catalog
from portal.demo import DEMO_ACCOUNTS, REGISTRY, STAFF_INSTITUTIONS, UNLISTED, load_demo, registry_id_number
from portal.enrollment.models import Application, ApplicationStatus
from portal.families.models import DocumentKind, ProofDocument, Student, Verification
from portal.institutions.models import Institution
from portal.registry.services import lookup

TODAY = date(2026, 3, 2)


@pytest.fixture
def demo(db):
    return load_demo(TODAY)


def organisation_code_is_valid(code: str) -> bool:
    """GB 11714: the ninth character checks the first eight (weights 3 7 9 10 5 8 4 2, mod 11)."""
    total = sum(int(c, 36) * w for c, w in zip(code[:8], (3, 7, 9, 10, 5, 8, 4, 2)))
    return code[8] == {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def test_organisation_check_agrees_with_a_real_code():
    assert organisation_code_is_valid(uscc.validate("91110000600037341L")[8:17])


def test_demo_password_passes_the_password_rule():
    assert all(password_problem(account.password) is None for account in DEMO_ACCOUNTS)


def test_demo_loads_both_provinces(db, demo):
    provinces = set(db.session.scalars(select(Region.name).where(Region.code.in_(("460000", "440000")))))
    assert provinces == {"海南省", "广东省"}
    assert db.session.scalar(select(func.count()).select_from(Region)) > 150


def test_demo_institutions_have_valid_credit_codes(db, demo):
    institutions = db.session.scalars(select(Institution)).all()
    assert demo["institutions"] == len(institutions) >= 10
    assert {"海南省技师学院", "三亚技师学院"} <= {i.name for i in institutions}
    assert {i.region_code[:2] for i in institutions} == {"46", "44"}
    for institution in institutions:
        assert uscc.validate(institution.uscc) == institution.uscc
        assert institution.uscc[2:8] == institution.region_code
        assert organisation_code_is_valid(institution.uscc[8:17]), institution.uscc
        assert institution.address and institution.phone


def test_demo_courses_cover_every_kind_and_mode(db, demo):
    courses = db.session.scalars(select(Course)).all()
    assert demo["courses"] == len(courses) >= 60
    published = [c for c in courses if c.status == CourseStatus.published]
    assert demo["published"] == len(published)
    assert {c.kind for c in published} == set(CourseKind)
    assert {c.mode for c in published} == set(CourseMode)
    assert {CourseStatus.draft, CourseStatus.closed} <= {c.status for c in courses}
    taking_applications = [c for c in published if c.apply_opens <= TODAY <= c.apply_closes < c.start_date]
    assert len(taking_applications) >= len(courses) * 0.8


def test_demo_poverty_classes_are_free_with_reserved_places(db, demo):
    classes = db.session.scalars(select(Course).where(Course.kind == CourseKind.poverty_class)).all()
    assert classes
    for course in classes:
        assert course.fee_fen == 0 and course.reserved_places > 0
        assert course.fee_waiver and course.national_grant and course.living_allowance
        assert "绿色通道" in course.how_to_apply


def test_demo_village_courses_are_held_in_rural_counties(db, demo):
    village = db.session.scalars(select(Course).where(Course.mode == CourseMode.village)).all()
    assert village
    assert all(c.region_code[4:] != "00" and c.address for c in village)


def test_demo_changes_are_audited(db, demo):
    created = db.session.scalar(select(func.count()).where(AuditEntry.action == "course.create"))
    assert created == demo["courses"]
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "user.create")) == len(DEMO_ACCOUNTS)


def test_every_field_the_demo_records_is_named_on_the_audit_log(db, demo):
    """The admin reads 文件类型, not content_type."""
    recorded = {field for entry in db.session.scalars(select(AuditEntry)) for values in (entry.before, entry.after)
                for field in values or {}}
    assert len(recorded) >= 20
    assert recorded <= set(FIELD_LABELS), recorded - set(FIELD_LABELS)


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.login)
def test_demo_accounts_log_in(db, demo, account):
    user = authenticate(account.login, account.password)
    assert user is not None
    assert (user.role, user.name) == (account.role, account.name)
    if user.role == Role.staff:
        assert user.institution.name in account.note
    if user.role == Role.finance:
        assert user.region_code == "460000"


def test_catalog_search_finds_poverty_class_places(db, demo):
    page = search_catalog(CatalogQuery(q="扶贫班", kind=CourseKind.poverty_class, green_left=True), TODAY, 20)
    assert page.total > 0
    assert all(c.kind == CourseKind.poverty_class and c.reserved_left > 0 for c in page.courses)
    assert poverty_class_places(TODAY)


def run_demo_from_the_command_line(folder: Path) -> list:
    """`flask db upgrade` then `flask portal demo` into a new instance folder, as `make run` does."""
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(folder)}
    for command in (["db", "upgrade"], ["portal", "demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *command], env=env, check=True,
                       capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    with sqlite3.connect(folder / "portal.sqlite3") as conn:
        return [conn.execute("SELECT name, uscc FROM institutions ORDER BY name").fetchall(),
                conn.execute("SELECT title, start_date, capacity, reserved_places, seats_filled FROM courses"
                             " ORDER BY title, start_date").fetchall(),
                conn.execute("SELECT name, household_no, in_registry FROM registry_people ORDER BY name").fetchall()]


def test_demo_is_the_same_every_time(tmp_path):
    first = run_demo_from_the_command_line(tmp_path / "first")
    assert all(first) and len(first[2]) == len(REGISTRY)
    assert run_demo_from_the_command_line(tmp_path / "second") == first


def test_demo_refuses_a_database_with_accounts(db, make_user):
    make_user()
    with pytest.raises(ValueError):
        load_demo(TODAY)


def test_demo_grandmother_sees_the_green_channel_at_work(db, demo):
    """王桂英's grandson is registry-verified and admitted to a 扶贫班 on a reserved place; her
    granddaughter is in the registry for a visitor to add."""
    grandmother = db.session.scalar(select(User).where(User.mobile == DEMO_ACCOUNTS[1].login))
    [grandson] = db.session.scalars(select(Student).where(Student.account_id == grandmother.id)).all()
    assert (grandson.name, grandson.verification) == ("黄明轩", Verification.registry_verified)
    [application] = db.session.scalars(select(Application).where(Application.student_id == grandson.id)).all()
    assert application.status == ApplicationStatus.admitted and application.holds_reserved_place
    granddaughter = next(p for p in REGISTRY if p.name == "黄小雨")
    assert lookup(registry_id_number(granddaughter)).name == "黄小雨"
    assert demo["registry people"] == len(REGISTRY)


def test_readme_gives_the_granddaughters_real_id_number():
    granddaughter = next(p for p in REGISTRY if p.name == "黄小雨")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"her ID number is `{registry_id_number(granddaughter)}`" in readme


def test_demo_review_queue_has_a_student_waiting_with_her_proof(db, demo):
    """林晓燕 is not in the registry: her application to 李老师's college waits for staff to check
    the 贫困证明 she uploaded, a PDF with its Chinese fonts embedded."""
    student = db.session.scalar(select(Student).where(Student.name == UNLISTED.name))
    assert db.session.get(User, student.account_id).mobile == DEMO_ACCOUNTS[5].login
    assert student.verification == Verification.not_found
    [application] = db.session.scalars(select(Application).where(Application.student_id == student.id)).all()
    assert application.status == ApplicationStatus.submitted and not application.green_channel
    course = db.session.get(Course, application.course_id)
    assert db.session.get(Institution, course.institution_id).name == STAFF_INSTITUTIONS[DEMO_ACCOUNTS[2].login]
    [proof] = db.session.scalars(select(ProofDocument).where(ProofDocument.student_id == student.id)).all()
    assert proof.kind == DocumentKind.poverty_certificate and proof.content_type == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(proof.data)).pages)
    assert f"兹证明{UNLISTED.name}" in text and "特此证明" in text
    fonts = {font["/BaseFont"] for page in PdfReader(io.BytesIO(proof.data)).pages
             for font in page["/Resources"]["/Font"].values()}
    assert any("CJK" in str(font) for font in fonts), fonts

"""Security headers on every page, pages that the CSP does not break, and session cookie flags."""
import re
from types import SimpleNamespace

import pytest
from werkzeug.exceptions import NotFound

from portal.auth.models import Role
from portal.auth.services import hash_password
from portal.courses.models import CourseStatus
from portal.db import today
from portal.enrollment.models import Application, ApplicationStatus, Enrollment
from portal.enrollment.notices import issue_notice
from portal.enrollment.services import submit_application
from portal.families.services import add_document
from portal.notifications.services import notify

# Every page a browser can open, and who opens it: (role, url template) over the fixtures below.
PAGES = [
    (None, "/"), (None, "/courses"), (None, "/courses/{course}"), (None, "/institutions/{institution}"),
    (None, "/login"), (None, "/forgot-password"), (None, "/register"), (None, "/healthz"), (None, "/lang/en"),
    (None, "/elder-mode/on"),
    (None, "/no-such-page"), (None, "/favicon.ico"), (Role.finance, "/finance"),
    (Role.applicant, "/account/password"),
    (Role.applicant, "/notifications/{notification}"),
    (Role.staff, "/manage/courses"), (Role.staff, "/manage/courses/new"),
    (Role.staff, "/manage/courses/{course}/edit"), (Role.staff, "/courses/{draft}"),
    (Role.admin, "/admin/accounts"), (Role.admin, "/admin/institutions"), (Role.admin, "/admin/institutions/new"),
    (Role.admin, "/admin/institutions/{institution}/edit"),
    (Role.applicant, "/family"), (Role.applicant, "/family/students/new"),
    (Role.applicant, "/family/students/{student}"),
    (Role.applicant, "/family/students/{student}/edit"), (Role.applicant, "/courses/{course}/apply"),
    (Role.applicant, "/applications"), (Role.applicant, "/notifications"),
    (Role.applicant, "/enrollments/{enrollment}/notice.pdf"), (None, "/notices/{token}"),
    (Role.staff, "/manage/applications"), (Role.staff, "/manage/applications/{application}"),
    (Role.admin, "/admin/registry"), (Role.admin, "/admin/registry/imports/{registry_import}"),
    (Role.admin, "/admin/registry/people/{registry_person}"), (Role.admin, "/admin/audit"),
    (Role.admin, "/admin/audit/exports/{audit_export}"),
]
# Served files carry a policy of their own (portal.families.views), and are not pages.
FILES = [(Role.applicant, "/documents/{document}"),
         (Role.admin, "/admin/registry/imports/{registry_import}/rejections.xlsx"),
         (Role.admin, "/admin/registry/template.xlsx"),
         (Role.admin, "/admin/audit/exports/{audit_export}/audit-log.xlsx")]
PLACEHOLDERS = ("course", "draft", "institution", "student", "application", "enrollment", "token", "document",
                "registry_import", "registry_person", "audit_export", "notification")
INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # inline script
    re.compile(r"<style\b", re.I),  # style element
    re.compile(r"<[^>]+\sstyle=", re.I),  # style attribute
    re.compile(r"<[^>]+\son[a-z]+=", re.I),  # onclick= and friends
    re.compile(r"""href=["']javascript:""", re.I),
]


class LazyIds(dict):
    """Ids for URL templates; a callable value is called when a template first uses it."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if callable(value):
            value = self[key] = value()
        return value


@pytest.fixture
def site(db, make_institution, make_course, make_user, make_student, make_registry_person, finished_export):
    """An institution with a published and a draft course, a staff member of it and an admin, and a
    family whose student has a proof document, an application to the course and an enrollment."""
    institution = make_institution()
    course = make_course(institution=institution)
    family = make_user(Role.applicant)
    student = make_student(account=family)
    application = submit_application(family, student, course, today())
    document = add_document(family, student, "household_register", "户口簿.pdf", b"%PDF-1.4\n%%EOF\n")
    accepted = Application(student_id=make_student(account=family).id, course_id=course.id,
                           status=ApplicationStatus.accepted)
    db.session.add(accepted)
    db.session.flush()
    enrollment = Enrollment(application_id=accepted.id, student_id=accepted.student_id, course_id=course.id)
    db.session.add(enrollment)
    db.session.flush()
    person = make_registry_person()
    admin = make_user(Role.admin)
    return SimpleNamespace(
        ids=LazyIds(institution=institution.id, course=course.id, student=student.id, application=application.id,
                    registry_import=person.first_import_id, registry_person=person.id, document=document.id,
                    enrollment=enrollment.id, token=lambda: issue_notice(enrollment).token,
                    draft=make_course(institution=institution, status=CourseStatus.draft).id,
                    audit_export=lambda: finished_export(admin).id,
                    notification=lambda: _notification(db, family)),
        users={Role.staff: make_user(Role.staff, institution_id=institution.id), Role.admin: admin,
               Role.applicant: family, Role.finance: make_user(Role.finance)})


def _notification(db, user) -> int:
    notification = notify(user, "课程已保存。", "/applications")
    db.session.flush()
    return notification.id


NOT_200 = {"/no-such-page": 404, "/lang/en": 302, "/elder-mode/on": 302, "/notifications/{notification}": 302}


def fetch(client, login, site, role, template):
    """The page as `role` sees it, after checking it answered as a working page does."""
    if role is not None:
        login(site.users[role])
    response = client.get(template.format_map(site.ids))
    assert response.status_code == NOT_200.get(template, 200)
    return response


def test_pages_cover_every_get_route(app):
    adapter = app.url_map.bind("portal.test")
    covered = set()
    for _role, template in PAGES + FILES:
        try:
            covered.add(adapter.match(template.format(**dict.fromkeys(PLACEHOLDERS, 1)))[0])
        except NotFound:  # the 404 probe matches no route, on purpose
            continue
    get_routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - {"static"}
    assert get_routes - covered == set()


@pytest.mark.parametrize("role, template", PAGES, ids=[f"{r or 'anon'} {t}" for r, t in PAGES])
def test_every_page_has_the_security_headers(client, login, site, role, template):
    response = fetch(client, login, site, role, template)

    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # only behind HTTPS


HTML_PAGES = [p for p in PAGES if p[1] not in ("/healthz", "/enrollments/{enrollment}/notice.pdf", *NOT_200)] + [
    (None, "/no-such-page")]


@pytest.mark.parametrize("role, template", HTML_PAGES, ids=[f"{r or 'anon'} {t}" for r, t in HTML_PAGES])
def test_pages_carry_no_inline_code_the_policy_would_block(client, login, site, role, template):
    html = fetch(client, login, site, role, template).text
    for pattern in INLINE_CODE:
        assert not pattern.search(html), pattern.pattern


def session_cookie(response) -> str:
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user(mobile="13512345678", password_hash=hash_password("Anquan2024"))
    response = client.post("/login", data={"login": "13512345678", "password": "Anquan2024"})

    assert response.status_code == 302
    flags = [part.strip().lower() for part in session_cookie(response).split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain-HTTP development must still keep the session


def test_preference_cookies_are_httponly_and_samesite_lax(client):
    for url in ("/lang/en", "/elder-mode/on"):
        [cookie] = client.get(url).headers.getlist("Set-Cookie")
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags and "samesite=lax" in flags
        assert any(f.startswith("max-age=") and int(f.split("=")[1]) >= 300 * 24 * 3600 for f in flags)


def test_opening_a_button_only_address_gets_the_portals_page_in_chinese(client):
    response = client.get("/logout")  # logging out is a form's button, never a link
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert "<h1>不能这样打开</h1>" in response.text and "返回上一页" in response.text


def test_every_page_names_the_portals_icon_and_the_old_address_finds_it(client):
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in client.get("/courses").text
    for address in ("/favicon.svg", "/favicon.ico"):
        icon = client.get(address)
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and icon.data.startswith(b"<svg")
        assert len(icon.data) < 1024

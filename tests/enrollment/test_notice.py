"""The admission notice (录取通知书): what the PDF says, that it is issued once and never changes,
who may download it, and the public page its QR code opens."""
import hashlib
import io
import json
import re
import subprocess
from datetime import date
from urllib.parse import quote, urlsplit

import pytest
from flask_babel import refresh
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.common import pdf
from portal.courses.models import CourseLevel
from portal.enrollment import notices
from portal.enrollment.models import AdmissionNotice, Application, ApplicationStatus, Enrollment
from portal.enrollment.notices import TEMPLATE_VERSION, issue_notice, mask_name

STUDENT_ID = "460107200805179012"  # born 2008-05-17, male; serial 901, past what id_number() hands out


@pytest.fixture
def school(make_institution):
    return make_institution(name="琼中县职业技术学校", region_code="469030", phone="0898-86220000",
                            address="琼中县营根镇教育路8号")


@pytest.fixture
def course(make_course, school):
    return make_course(institution=school, title="电工（初级）扶贫班", trade="电工", level=CourseLevel.junior,
                       region_code="469030", address="琼中县营根镇实训基地", schedule="周一至周五 8:30–17:00",
                       start_date=date(2026, 9, 1), end_date=date(2027, 1, 15), report_date=date(2026, 8, 31),
                       report_time="上午 8:00–11:30")


@pytest.fixture
def family(make_user):
    return make_user(Role.applicant, name="黎阿婆")


@pytest.fixture
def make_enrollment(db, make_student, family, course):
    """An accepted application's enrollment; benefit flags all on unless given."""
    def make(student=None, **flags):
        student = student or make_student(account=family, number=STUDENT_ID, name="黎小海")
        application = Application(student_id=student.id, course_id=course.id, status=ApplicationStatus.accepted,
                                  green_channel=True)
        db.session.add(application)
        db.session.flush()
        enrollment = Enrollment(application_id=application.id, student_id=student.id, course_id=course.id,
                                **{"fee_waiver": True, "national_grant": True, "living_allowance": True, **flags})
        db.session.add(enrollment)
        db.session.flush()
        return enrollment
    return make


@pytest.fixture
def in_request(app):
    """A request context for calling the service directly (templates and url_for need one)."""
    with app.test_request_context():
        refresh()
        yield


def pdf_url(enrollment) -> str:
    return f"/enrollments/{enrollment.id}/notice.pdf"


def pdf_text(data: bytes) -> str:
    """The page's text with whitespace removed (the spaced-out title and table cells come apart)."""
    return re.sub(r"\s+", "", PdfReader(io.BytesIO(data)).pages[0].extract_text())


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the PDF ------------------------------------------------------------------------------------

def test_applicant_downloads_a_notice_that_says_what_the_family_needs(client, login, db, family, make_enrollment,
                                                                       tmp_path):
    enrollment = make_enrollment()
    response = login(family).get(pdf_url(enrollment))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    notice = db.session.scalars(select(AdmissionNotice)).one()
    assert re.fullmatch(r"LQ\d{4}-\d{6}", notice.number) and notice.number.endswith(f"-{enrollment.id:06d}")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"admission-notice-{notice.number}.pdf\"; "
        f"filename*=UTF-8''{quote('录取通知书-' + notice.number + '.pdf')}")
    assert response.headers["Cache-Control"] == "private, no-store"

    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    text = pdf_text(response.data)
    issued_on = notice.snapshot["issued_on"]
    for printed in ["录取通知书", "琼中县职业技术学校", "黎小海同学：", "电工（初级）扶贫班", "初级工（五级）",
                    "2026年9月1日至2027年1月15日", "报到时间2026年8月31日上午8:00–11:30", "琼中县营根镇实训基地",
                    "周一至周五8:30–17:00", "男",
                    "2008年5月17日", "4601**********9012", f"编号：{notice.number}", "免学费", "国家助学金",
                    "生活补助", "扫码核验", "0898-86220000", "{}年{}月{}日".format(*map(int, issued_on.split("-")))]:
        assert printed in text, printed
    assert STUDENT_ID not in text and STUDENT_ID not in json.dumps(notice.snapshot, ensure_ascii=False)

    path = tmp_path / "notice.pdf"
    path.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" for row in rows), fonts  # every font embedded
    assert any("CJK-SC" in row[0] for row in rows), fonts


def test_the_notice_is_issued_once_and_never_changes(client, login, db, family, course, make_enrollment):
    enrollment = make_enrollment()
    client = login(family)
    first = client.get(pdf_url(enrollment))

    notice = db.session.scalars(select(AdmissionNotice)).one()
    assert len(notice.token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", notice.token)
    assert notice.template_version == TEMPLATE_VERSION
    assert notice.sha256 == hashlib.sha256(first.data).hexdigest() and notice.pdf == first.data
    assert notice.snapshot == {
        "number": notice.number, "issued_on": notice.snapshot["issued_on"], "institution": "琼中县职业技术学校",
        "institution_phone": "0898-86220000", "course_title": "电工（初级）扶贫班", "trade": "电工", "level": "junior",
        "start_date": "2026-09-01", "end_date": "2027-01-15", "report_date": "2026-08-31",
        "report_time": "上午 8:00–11:30", "address": "琼中县营根镇实训基地",
        "schedule": "周一至周五 8:30–17:00", "student_name": "黎小海", "id_masked": "4601**********9012",
        "sex": "male", "birth_date": "2008-05-17", "fee_waiver": True, "national_grant": True, "living_allowance": True}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admission_notice.issue")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (family.id, "admission_notices", notice.id)
    assert entry.after == {"number": notice.number, "sha256": notice.sha256}

    # Later changes to the enrollment or the course do not reach a notice already issued.
    db.session.get(Enrollment, enrollment.id).fee_waiver = False
    course.title = "电工（中级）扶贫班"
    db.session.flush()
    second = client.get(pdf_url(enrollment))

    assert second.status_code == 200 and second.data == first.data
    assert count(db, AdmissionNotice) == 1
    assert count(db, AuditEntry, AuditEntry.action == "admission_notice.issue") == 1


def test_a_course_without_a_report_date_reports_on_its_first_day(in_request, course, make_enrollment):
    course.report_date, course.report_time = None, ""

    notice = issue_notice(make_enrollment())

    assert notice.snapshot["report_date"] == "2026-09-01" and notice.snapshot["report_time"] == ""
    assert "报到时间2026年9月1日报到地点" in pdf_text(notice.pdf)


def test_a_notice_issued_before_report_dates_were_printed_still_renders(client, in_request, db, make_enrollment):
    """Snapshots of template version 1 have no report date or time: the first day is printed."""
    notice = issue_notice(make_enrollment())
    old = {k: v for k, v in notice.snapshot.items() if k not in ("report_date", "report_time")}
    notice.template_version, notice.snapshot = 1, old
    db.session.flush()

    assert "报到时间2026年9月1日报到地点" in pdf_text(notices.render_notice(old, notice.token))
    response = client.get(f"/notices/{notice.token}")
    assert response.status_code == 200
    assert "<dt>报到时间</dt><dd>2026年9月1日</dd>" in response.text


def test_benefits_printed_are_the_enrollments(in_request, db, make_enrollment, make_student, family):
    only_fees = issue_notice(make_enrollment(fee_waiver=True, national_grant=False, living_allowance=False))
    text = pdf_text(only_fees.pdf)
    assert "免学费" in text and "国家助学金" not in text and "生活补助" not in text

    other = make_student(account=family, name="黎小梅")
    none = issue_notice(make_enrollment(student=other, fee_waiver=False, national_grant=False,
                                        living_allowance=False))
    text = pdf_text(none.pdf)
    assert "享受政策无" in text and "免学费" not in text
    assert "黎小梅同学：" in text and none.number != only_fees.number


def test_the_notice_is_in_simplified_chinese_whatever_the_users_language(client, login, family, make_enrollment):
    enrollment = make_enrollment()
    client = login(family)
    client.get("/lang/en")
    text = pdf_text(client.get(pdf_url(enrollment)).data)

    assert "录取通知书" in text and "初级工（五级）" in text and "2026年9月1日" in text
    assert "Junior" not in text and "September" not in text


def test_a_simultaneous_first_download_keeps_the_first_notice(in_request, db, make_enrollment, monkeypatch):
    enrollment = make_enrollment()
    first = issue_notice(enrollment)
    real_notice_of, lookups = notices.notice_of, []

    def racing_notice_of(enrollment_id):
        """The second request looks before the first one's row is there, and finds it on its insert."""
        lookups.append(enrollment_id)
        return None if len(lookups) == 1 else real_notice_of(enrollment_id)
    monkeypatch.setattr(notices, "notice_of", racing_notice_of)

    second = issue_notice(enrollment)

    assert second.id == first.id and second.pdf == first.pdf
    assert count(db, AdmissionNotice) == 1
    assert count(db, AuditEntry, AuditEntry.action == "admission_notice.issue") == 1


def test_notices_share_the_processs_font_configuration(in_request, make_enrollment, make_student, family,
                                                       monkeypatch):
    seen = []
    real_write_pdf = pdf.HTML.write_pdf

    def spy(self, *args, **kwargs):
        seen.append(kwargs["font_config"])
        return real_write_pdf(self, *args, **kwargs)
    monkeypatch.setattr(pdf.HTML, "write_pdf", spy)

    issue_notice(make_enrollment())
    issue_notice(make_enrollment(student=make_student(account=family, name="黎小梅")))

    assert len(seen) == 2 and seen[0] is seen[1] is pdf.renderer().font_config


def test_the_qr_code_links_to_the_notices_verification_page(in_request, make_enrollment, monkeypatch):
    printed = []
    monkeypatch.setattr(notices, "qr_svg", lambda url: printed.append(url) or pdf.qr_svg(url))
    html = []
    real_html = pdf.HTML
    monkeypatch.setattr(pdf, "HTML", lambda **kwargs: html.append(kwargs["string"]) or real_html(**kwargs))

    notice = issue_notice(make_enrollment())

    assert printed == [f"http://portal.test/notices/{notice.token}"]
    # qr_svg is shown to encode its argument in tests/common/test_pdf.py; here: that SVG is in the page.
    assert str(pdf.qr_svg(printed[0])) in html[0]
    assert '<div class="verify"><svg' in html[0]


# --- who may download it ------------------------------------------------------------------------

@pytest.mark.parametrize("who, expected", [("family", 200), ("other_applicant", 404), ("own_staff", 200),
                                           ("other_staff", 404), ("finance", 404), ("admin", 200)])
def test_who_may_download_the_notice(who, expected, client, login, db, make_user, family, school, make_enrollment):
    enrollment = make_enrollment()
    users = {"family": family, "other_applicant": make_user(Role.applicant),
             "own_staff": make_user(Role.staff, institution_id=school.id), "other_staff": make_user(Role.staff),
             "finance": make_user(Role.finance), "admin": make_user(Role.admin)}

    response = login(users[who]).get(pdf_url(enrollment))

    assert response.status_code == expected
    assert count(db, AdmissionNotice) == (1 if expected == 200 else 0)
    if expected == 200:
        assert response.data.startswith(b"%PDF-")
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admission_notice.issue")).one()
        assert entry.actor_id == users[who].id


def test_visitors_are_sent_to_log_in(client, db, make_enrollment):
    enrollment = make_enrollment()
    response = client.get(pdf_url(enrollment))

    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    assert count(db, AdmissionNotice) == 0


def test_an_unknown_enrollment_is_404(client, login, make_user):
    assert login(make_user(Role.admin)).get("/enrollments/999999/notice.pdf").status_code == 404


# --- the verification page ----------------------------------------------------------------------

def test_verification_page_confirms_the_notice_and_shows_nothing_private(client, db, make_enrollment):
    with client.application.test_request_context():
        refresh()
        notice = issue_notice(make_enrollment())

    response = client.get(f"/notices/{notice.token}")

    assert response.status_code == 200
    page = response.text
    assert f"编号为 {notice.number} 的录取通知书真实有效。" in page
    for shown in ["琼中县职业技术学校", "电工（初级）扶贫班", "2026年9月1日", "2027年1月15日", "黎*海",
                  "4601**********9012"]:
        assert shown in page, shown
    # Whoever checks a paper notice can confirm the report time printed on it, as it was when issued.
    assert '<dt>报到时间</dt><dd>2026年8月31日 上午 <span class="nowrap">8:00–11:30</span></dd>' in page
    for private in ["黎小海", STUDENT_ID, "2008年5月17日", "13800000009", "海口市第一中学", "琼中县营根镇实训基地"]:
        assert private not in page, private
    assert '<meta name="robots" content="noindex">' in page


def test_an_unknown_token_says_no_such_notice(client):
    response = client.get("/notices/" + "x" * 43)

    assert response.status_code == 404
    assert "查无此通知书" in response.text


@pytest.mark.parametrize("name, masked", [("黎小海", "黎*海"), ("黎海", "黎*"), ("欧阳小海", "欧**海")])
def test_names_are_masked_keeping_first_and_last(name, masked):
    assert mask_name(name) == masked

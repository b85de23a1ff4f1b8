"""Admission notices (录取通知书): issuing the PDF once, serving it, and its public verification page.

A notice is rendered once, on its first download, from a snapshot of everything it prints; the
stored PDF is served from then on, so the paper a family holds never changes under it. Its QR
code links to a page anyone can open to check that the notice is genuine.
"""
import hashlib
import secrets
from datetime import date, datetime

from flask import Response, abort, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from portal.audit.services import record
from portal.auth.models import Role
from portal.common import idnumbers
from portal.common.downloads import attachment
from portal.common.pdf import qr_svg, render_pdf
from portal.courses.models import Course
from portal.db import local_date, utcnow
from portal.enrollment import bp
from portal.enrollment.models import AdmissionNotice, Enrollment
from portal.extensions import db
from portal.families.models import Student
from portal.institutions.models import Institution

TEMPLATE_VERSION = 2  # of enrollment/notice.html; bump it with every change to what the notice prints
NOTICE_LOCALE = "zh_Hans_CN"  # an official document, always in Simplified Chinese
SNAPSHOT_DATES = ("issued_on", "start_date", "end_date", "report_date", "birth_date")  # ISO text in the JSON snapshot


# --- issuing ------------------------------------------------------------------------------------

def issue_notice(enrollment: Enrollment, actor=None) -> AdmissionNotice:
    """The enrollment's notice (PDF loaded): rendered, stored and audited on the first call, as stored after.

    `actor` is the user whose download issued it (None for the system).
    """
    notice = notice_of(enrollment.id)
    if notice is not None:
        return notice
    issued_at = utcnow()
    snapshot = notice_snapshot(enrollment, issued_at)
    token = secrets.token_urlsafe(32)
    pdf = render_notice(snapshot, token)
    notice = AdmissionNotice(enrollment_id=enrollment.id, number=snapshot["number"], token=token,
                             template_version=TEMPLATE_VERSION, snapshot=snapshot, pdf=pdf,
                             sha256=hashlib.sha256(pdf).hexdigest(), issued_at=issued_at)
    try:
        with db.session.begin_nested():
            db.session.add(notice)
    except IntegrityError:  # a simultaneous first download issued it first: that one is the notice
        return notice_of(enrollment.id)
    record(actor, "admission_notice.issue", notice, after={"number": notice.number, "sha256": notice.sha256})
    db.session.flush()
    return notice


def notice_of(enrollment_id: int) -> AdmissionNotice | None:
    return db.session.scalar(select(AdmissionNotice).options(undefer(AdmissionNotice.pdf))
                             .where(AdmissionNotice.enrollment_id == enrollment_id))


def notice_snapshot(enrollment: Enrollment, issued_at: datetime) -> dict:
    """Everything the notice prints, as plain JSON values; the ID number only masked."""
    student = db.session.get(Student, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    institution = db.session.get(Institution, course.institution_id)
    issued_on = local_date(issued_at)
    return {
        "number": f"LQ{issued_on.year}-{enrollment.id:06d}",  # unique: an enrollment has one notice
        "issued_on": issued_on.isoformat(),
        "institution": institution.name,
        "institution_phone": institution.phone,
        "course_title": course.title,
        "trade": course.trade,
        "level": str(course.level),
        "start_date": course.start_date.isoformat(),
        "end_date": course.end_date.isoformat(),
        "report_date": course.reports_on.isoformat(),
        "report_time": course.report_time,
        "address": course.address or institution.address,
        "schedule": course.schedule,
        "student_name": student.name,
        "id_masked": idnumbers.mask(idnumbers.vault().decrypt(student.id_cipher)),
        "sex": student.sex,
        "birth_date": student.birth_date.isoformat(),
        "fee_waiver": enrollment.fee_waiver,
        "national_grant": enrollment.national_grant,
        "living_allowance": enrollment.living_allowance,
    }


def render_notice(snapshot: dict, token: str) -> bytes:
    """The PDF printed from `snapshot`, its QR code linking to the verification page of `token`."""
    with force_locale(NOTICE_LOCALE):
        return render_pdf("enrollment/notice.html", n=_printable(snapshot),
                          qr=qr_svg(url_for("enrollment.verify_notice", token=token, _external=True)))


def _printable(snapshot: dict) -> dict:
    # Snapshots of template version 1 hold no report date; without one, students report on the first day.
    snapshot = {"report_date": snapshot["start_date"], "report_time": "", **snapshot}
    return {key: date.fromisoformat(value) if key in SNAPSHOT_DATES else value for key, value in snapshot.items()}


def mask_name(name: str) -> str:
    """Enough of a name to match it against the paper: 黎小海 → 黎*海, 黎海 → 黎*, 欧阳小海 → 欧**海."""
    if len(name) < 3:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- views --------------------------------------------------------------------------------------

@bp.get("/enrollments/<int:enrollment_id>/notice.pdf")
@login_required
def notice_pdf(enrollment_id: int):
    """Who: the applicant holding the student, staff of the course's institution, admin; others 404.

    The first download issues the notice; every later one gets the same stored bytes.
    """
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or not _may_download(enrollment):
        abort(404)
    notice = issue_notice(enrollment, current_user)
    pdf, number = notice.pdf, notice.number
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(f"录取通知书-{number}.pdf", f"admission-notice-{number}.pdf"),
        "Cache-Control": "private, no-store",
    })


def _may_download(enrollment: Enrollment) -> bool:
    if current_user.role == Role.admin:
        return True
    if current_user.role == Role.staff:
        return current_user.is_staff_of(db.session.get(Course, enrollment.course_id).institution_id)
    if current_user.role == Role.applicant:
        return db.session.get(Student, enrollment.student_id).account_id == current_user.id
    return False


@bp.get("/notices/<token>")
def verify_notice(token: str):
    """Who: anyone (the QR code on a printed notice). Says whether the notice is genuine; names masked."""
    notice = db.session.scalar(select(AdmissionNotice).where(AdmissionNotice.token == token))
    if notice is None:
        return render_template("errors/error.html", code=404, title=_("查无此通知书"),
                               message=_("没有找到这份录取通知书。请核对链接是否完整，或向发通知书的学校咨询。")), 404
    n = _printable(notice.snapshot)
    return render_template("enrollment/notice_verify.html", n=n, student_name=mask_name(n["student_name"]))

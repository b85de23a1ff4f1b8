"""Applications to courses, their states, enrollments with their benefits, and admission notices."""
import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.common.i18n import N_
from portal.db import db, one_of, utcnow


class ApplicationStatus(enum.StrEnum):
    submitted = "submitted"
    under_review = "under_review"
    admitted = "admitted"  # holds a place until accepted, declined or lapsed
    waitlisted = "waitlisted"
    rejected = "rejected"
    accepted = "accepted"  # became an enrollment
    declined = "declined"
    lapsed = "lapsed"  # the offer was not accepted within the course's offer period
    withdrawn = "withdrawn"


S = ApplicationStatus
STATUS_LABELS = {
    S.submitted: N_("已提交"),
    S.under_review: N_("审核中"),
    S.admitted: N_("已录取"),
    S.waitlisted: N_("候补中"),
    S.rejected: N_("未录取"),
    S.accepted: N_("已确认入学"),  # reporting to the school comes later
    S.declined: N_("已放弃"),
    S.lapsed: N_("录取已过期"),
    S.withdrawn: N_("已撤回"),
}

# The only moves an application may make; portal.enrollment.services.transition applies them.
TRANSITIONS = {
    S.submitted: {S.under_review, S.admitted, S.waitlisted, S.rejected, S.withdrawn},
    S.under_review: {S.admitted, S.waitlisted, S.rejected, S.withdrawn},
    S.waitlisted: {S.admitted, S.rejected, S.withdrawn},
    S.admitted: {S.accepted, S.declined, S.lapsed, S.withdrawn},
    S.accepted: set(),
    S.rejected: set(),
    S.declined: set(),
    S.lapsed: set(),
    S.withdrawn: set(),
}

# A student has at most one of these per course (the partial unique index below).
LIVE = (S.submitted, S.under_review, S.admitted, S.waitlisted, S.accepted)
# These hold one of the course's places (courses.seats_filled counts them).
HOLDING_A_PLACE = (S.admitted, S.accepted)

_LIVE_SQL = text(one_of("status", LIVE))


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(one_of("status", ApplicationStatus), name="status_known"),
        CheckConstraint("NOT holds_reserved_place OR green_channel", name="reserved_only_green"),
        Index("uq_applications_live_student_course", "student_id", "course_id", unique=True,
              sqlite_where=_LIVE_SQL, postgresql_where=_LIVE_SQL),
        # The review queue and the waiting list: by course and state, green channel first, then earliest.
        Index("ix_applications_queue", "course_id", "status", "green_channel", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    status: Mapped[ApplicationStatus] = mapped_column(String(16), default=ApplicationStatus.submitted)
    # The student was registry- or proof-verified when applying: priority and benefits.
    green_channel: Mapped[bool] = mapped_column(default=False)
    # Holds one of the course's reserved green-channel places (courses.reserved_filled counts them).
    holds_reserved_place: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    offer_expires_on: Mapped[date | None] = mapped_column()  # set when admitted
    offer_reminded_at: Mapped[datetime | None] = mapped_column()  # the family was told the last day had come
    reason: Mapped[str] = mapped_column(Text, default="")  # the last decision's reason
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    student = relationship("Student", lazy="raise")
    course = relationship("Course", lazy="raise")

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.status}>"


class Enrollment(db.Model):
    """A student's place on a course, with the benefits their registry status implies."""
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("student_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    fee_waiver: Mapped[bool] = mapped_column(default=False)  # 免学费
    national_grant: Mapped[bool] = mapped_column(default=False)  # 国家助学金
    living_allowance: Mapped[bool] = mapped_column(default=False)  # 生活补助
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)

    application = relationship("Application", lazy="raise")
    student = relationship("Student", lazy="raise")
    course = relationship("Course", lazy="raise")

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} student {self.student_id} course {self.course_id}>"


class AdmissionNotice(db.Model):
    """A rendered 录取通知书: the PDF as issued, its inputs and template version, and its digest."""
    __tablename__ = "admission_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # printed on the notice
    token: Mapped[str] = mapped_column(String(43), unique=True)  # in the QR code's verification link
    template_version: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment = relationship("Enrollment", lazy="raise")

    def __repr__(self) -> str:
        return f"<AdmissionNotice {self.number}>"

"""Courses an institution offers, with their seats, dates, fees and the benefits that apply."""
import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common.i18n import N_
from portal.db import db, one_of, utcnow


class CourseKind(enum.StrEnum):
    free_training = "free_training"  # 免费职业技能培训
    poverty_class = "poverty_class"  # 技工院校扶贫班
    regular = "regular"  # 常规专业


class CourseMode(enum.StrEnum):
    on_site = "on_site"  # 到校面授
    village = "village"  # 送教下乡
    remote = "remote"  # 远程培训


class CourseLevel(enum.StrEnum):
    none = "none"
    junior = "junior"  # 初级工（五级）
    intermediate = "intermediate"  # 中级工（四级）
    senior = "senior"  # 高级工（三级）
    technician = "technician"  # 技师（二级）
    senior_technician = "senior_technician"  # 高级技师（一级）


class CourseStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"


# Label msgids; templates translate them with _(), forms wrap them in lazy_gettext.
KIND_LABELS = {
    CourseKind.free_training: N_("免费培训"),
    CourseKind.poverty_class: N_("扶贫班"),
    CourseKind.regular: N_("常规专业"),
}
MODE_LABELS = {
    CourseMode.on_site: N_("到校面授"),
    CourseMode.village: N_("送教下乡"),
    CourseMode.remote: N_("远程培训"),
}
LEVEL_LABELS = {
    CourseLevel.none: N_("不定级"),
    CourseLevel.junior: N_("初级工（五级）"),
    CourseLevel.intermediate: N_("中级工（四级）"),
    CourseLevel.senior: N_("高级工（三级）"),
    CourseLevel.technician: N_("技师（二级）"),
    CourseLevel.senior_technician: N_("高级技师（一级）"),
}
STATUS_LABELS = {
    CourseStatus.draft: N_("草稿"),
    CourseStatus.published: N_("已发布"),
    CourseStatus.closed: N_("已关闭"),
}

# The only moves a course's status may make; portal.courses.services.change_status applies them.
STATUS_TRANSITIONS = {
    CourseStatus.draft: {CourseStatus.published},
    CourseStatus.published: {CourseStatus.closed},
    CourseStatus.closed: {CourseStatus.published},
}


class Course(db.Model):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(one_of("kind", CourseKind), name="kind_known"),
        CheckConstraint(one_of("mode", CourseMode), name="mode_known"),
        CheckConstraint(one_of("level", CourseLevel), name="level_known"),
        CheckConstraint(one_of("status", CourseStatus), name="status_known"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("reserved_places >= 0 AND reserved_places <= capacity", name="reserved_within_capacity"),
        CheckConstraint("seats_filled >= 0 AND seats_filled <= capacity", name="seats_within_capacity"),
        CheckConstraint("reserved_filled >= 0 AND reserved_filled <= reserved_places", name="reserved_filled_within"),
        # Applicants outside the green channel never take a reserved place.
        CheckConstraint("seats_filled - reserved_filled <= capacity - reserved_places", name="general_within"),
        CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("end_date >= start_date", name="ends_after_start"),
        CheckConstraint("offer_days > 0", name="offer_days_positive"),
        CheckConstraint("apply_closes >= apply_opens", name="window_ordered"),
        # The unfiltered catalog walks this in start order without reading rows.
        Index("ix_courses_status_start", "status", "start_date", "apply_closes"),
        # Covers every catalog filter and the keyword column, so counting matches never reads rows.
        Index("ix_courses_catalog", "status", "kind", "region_code", "apply_closes", "start_date", "trade",
              "level", "mode", "fee_fen", "search_text"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    title: Mapped[str] = mapped_column(String(128))
    trade: Mapped[str] = mapped_column(String(64), index=True)  # 职业（工种）
    level: Mapped[CourseLevel] = mapped_column(String(24), default=CourseLevel.none)
    kind: Mapped[CourseKind] = mapped_column(String(24))
    mode: Mapped[CourseMode] = mapped_column(String(16), default=CourseMode.on_site)
    status: Mapped[CourseStatus] = mapped_column(String(16), default=CourseStatus.draft)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    address: Mapped[str] = mapped_column(String(255), default="")
    schedule: Mapped[str] = mapped_column(String(255), default="")
    hours: Mapped[int] = mapped_column()
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    apply_opens: Mapped[date] = mapped_column()
    apply_closes: Mapped[date] = mapped_column()
    capacity: Mapped[int] = mapped_column()
    reserved_places: Mapped[int] = mapped_column(default=0)  # 绿色通道 places for registry students
    # Places taken so far; enrollment moves these with a guarded UPDATE so the CHECKs above hold.
    seats_filled: Mapped[int] = mapped_column(default=0)
    reserved_filled: Mapped[int] = mapped_column(default=0)
    fee_fen: Mapped[int] = mapped_column(default=0)
    offer_days: Mapped[int] = mapped_column(default=7, server_default="7")  # to accept an offer before it lapses
    # When admitted students report (报到), as the admission notice prints it; no date means the first day.
    report_date: Mapped[date | None] = mapped_column()
    report_time: Mapped[str] = mapped_column(String(64), default="", server_default="")  # e.g. 上午 8:00–11:30
    fee_waiver: Mapped[bool] = mapped_column(default=False)  # 免学费
    national_grant: Mapped[bool] = mapped_column(default=False)  # 国家助学金
    living_allowance: Mapped[bool] = mapped_column(default=False)  # 生活补助
    description: Mapped[str] = mapped_column(Text, default="")
    how_to_apply: Mapped[str] = mapped_column(Text, default="")
    # title, trade and institution name, normalised for keyword search (courses.services.search_key)
    search_text: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution = relationship("Institution", lazy="raise")
    region = relationship("Region", lazy="raise")

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title}>"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_filled

    @property
    def reserved_left(self) -> int:
        return self.reserved_places - self.reserved_filled

    @property
    def is_free(self) -> bool:
        return self.fee_fen == 0

    @property
    def reports_on(self) -> date:
        """The day admitted students report: the one the school set, else the first day of class."""
        return self.report_date or self.start_date

    @property
    def duration_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def duration(self) -> tuple[str, int]:
        """The length as people say it: ("year", 2) for a two-year programme, ("month", 3), ("day", 10)."""
        days = self.duration_days
        if days >= 330:
            return "year", round(days / 365) or 1
        if days >= 56:
            return "month", round(days / 30.4)
        return "day", days

    def application_state(self, today: date) -> str:
        """'open', 'upcoming' (window not yet open) or 'ended' (closed, or the window has passed)."""
        if self.status != CourseStatus.published or today > self.apply_closes:
            return "ended"
        return "open" if today >= self.apply_opens else "upcoming"

"""Applying, the one function that moves an application, course places and the waiting list, the
benefits an enrollment carries, lapsing offers, telling families of a new report time, and the
queries the applicant's and staff pages read. Services flush; the caller commits.

Places are counted on the course (seats_filled, reserved_filled) and only ever moved by guarded
UPDATEs whose WHERE re-checks the room left: concurrent requests queue on the course row and each
sees the counters the previous one committed, so a course never over-fills, and the CHECK
constraints stand behind it. A move that touches places takes the course row first and the
application row second, always in that order, so two moves cannot deadlock.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from portal.audit.models import AuditEntry
from portal.audit.services import record
from portal.auth.models import User
from portal.common.i18n import N_
from portal.courses.models import Course, CourseKind
from portal.db import db, today, utcnow
from portal.enrollment.models import (
    HOLDING_A_PLACE,
    LIVE,
    STATUS_LABELS,
    TRANSITIONS,
    Application,
    ApplicationStatus,
    Enrollment,
)
from portal.families.models import VERIFIED, ProofDocument, Student, Verification
from portal.families.services import check_eligibility
from portal.notifications.services import notify

S = ApplicationStatus
BENEFITS = ("fee_waiver", "national_grant", "living_allowance")
# Waiting for staff, as the review queue shows by default.
PENDING = (S.submitted, S.under_review)
# Green channel first, then earliest: the review queue's and the waiting list's order.
PRIORITY = (Application.green_channel.desc(), Application.submitted_at, Application.id)

# Reasons the portal gives for its own moves: msgids, translated where they are shown.
GREEN_CHANNEL = N_("绿色通道：建档立卡家庭学生直接录取")
PROMOTED = N_("有名额空出，按候补顺序递补录取")
OFFER_LAPSED = N_("没有在期限内确认入学")
SYSTEM_REASONS = frozenset({GREEN_CHANNEL, PROMOTED, OFFER_LAPSED})

ADMITTED_MESSAGE = N_("%(student)s已被“%(course)s”录取，请在%(expires_on)s前确认入学，过期名额将让给候补的同学。")
OFFER_REMINDER_MESSAGE = N_("提醒：%(student)s被“%(course)s”录取，%(expires_on)s是确认入学的最后一天。"
                            "过期不确认，名额将让给候补的同学。")
REJECTED_MESSAGE = N_("%(student)s报名的“%(course)s”未被录取。原因：%(reason)s")
# A printed admission notice never changes: these tell the family its report time no longer holds.
REPORT_CHANGED_MESSAGE = N_("“%(course)s”的报到时间改了：%(student)s请在%(report_on)s %(report_time)s到校报到。"
                            "录取通知书上如果还是原来的时间，以这条通知为准。")
REPORT_DAY_CHANGED_MESSAGE = N_("“%(course)s”的报到时间改了：%(student)s请在%(report_on)s到校报到。"
                                "录取通知书上如果还是原来的时间，以这条通知为准。")
STATUS_MESSAGE = N_("%(student)s报名的“%(course)s”：%(status)s。")


class EnrollmentError(ValueError):
    """A refused action. It keeps the msgid, so it can be raised where there is no request (the
    CLI, a background job); `message` is the text in the current user's language."""

    def __init__(self, msgid: str, **params):
        super().__init__(msgid % params if params else msgid)
        self.msgid, self.params = msgid, params

    @property
    def message(self) -> str:
        params = {k: gettext(STATUS_LABELS[v]) if k == "status" else v for k, v in self.params.items()}
        return gettext(self.msgid, **params)


class NoPlaceLeft(EnrollmentError):
    pass


class AlreadyMoved(EnrollmentError):
    """Someone else changed the application between reading it and moving it."""


def submit_application(actor: User, student: Student, course: Course, on: date) -> Application:
    """`actor` applies for `student`, one of their family, to `course`. A verified student goes
    through the green channel: admitted at once while the course has a reserved place left,
    otherwise ahead of the others in staff's queue."""
    if course.application_state(on) != "open":
        raise EnrollmentError(N_("这门课程现在不接受报名。"))
    green = check_eligibility(student) in VERIFIED
    application = Application(student_id=student.id, course_id=course.id, status=S.submitted,
                              green_channel=green, submitted_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:  # the partial unique index: one live application per student and course
        raise EnrollmentError(N_("%(name)s已经报名了这门课程，不用重复报名。"), name=student.name) from None
    record(actor, "application.submit", application,
           after={"status": str(S.submitted), "green_channel": green})
    if green and course.reserved_places:
        try:
            transition(None, application, S.admitted, GREEN_CHANNEL, reserved_only=True)
        except NoPlaceLeft:
            pass  # the reserved places are taken: staff decide, with this one first in their queue
    return application


def transition(actor: User | None, application: Application, to: ApplicationStatus, reason: str = "", *,
               reserved_only: bool = False) -> Application:
    """The one way an application changes state, as TRANSITIONS allows. Admitting takes a place
    (a green-channel applicant a reserved one if left, else a general one; `reserved_only` for the
    automatic green-channel admission); leaving `admitted` other than by accepting frees it for the
    waiting list; accepting makes the enrollment. Audited, and the account holder is notified.
    Atomic: a refused move changes nothing, even inside a larger transaction."""
    before = application.status
    if to not in TRANSITIONS[before]:
        raise EnrollmentError(N_("这份报名现在是“%(status)s”，不能这样处理。"), status=str(before))
    course = db.session.get(Course, application.course_id)
    values: dict = {"status": to, "reason": reason}
    frees_place = before == S.admitted and to != S.accepted
    with db.session.begin_nested():
        if to == S.accepted and application.offer_expires_on < today():
            raise EnrollmentError(N_("确认入学的期限已过，这个名额已经失效。"))
        if to == S.admitted:
            if course.end_date < today():  # an offer to a finished course is a place nobody can take
                raise NoPlaceLeft(N_("这门课程已经结束，不能再录取。"))
            reserved = _take_place(course, application.green_channel, reserved_only)
            if reserved is None:
                raise _no_place_for(course, application.green_channel, reserved_only)
            values |= {"holds_reserved_place": reserved,
                       "offer_expires_on": today() + timedelta(days=course.offer_days)}
        elif frees_place:
            _free_place(course, application.holds_reserved_place)
            values["holds_reserved_place"] = False
        moved = db.session.execute(
            update(Application).where(Application.id == application.id, Application.status == before)
            .values(values).execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            raise AlreadyMoved(N_("这份报名刚刚被处理过，请刷新页面看看最新情况。"))
        for key, value in values.items():
            set_committed_value(application, key, value)
        db.session.expire(application, ["updated_at"])
        if to == S.accepted:
            _enroll(actor, application, course)
        record(actor, "application.transition", application,
               before={"status": str(before)}, after={"status": str(to), "reason": reason})
        _notify_holder(actor, application, course, to, reason)
    if frees_place:
        promote(course)
    return application


def _take_place(course: Course, green: bool, reserved_only: bool) -> bool | None:
    """Take one of the course's places: True for a reserved one, False for a general one, None
    when there is none this applicant may take. Never read-then-write: the UPDATE's rowcount decides."""
    c = Course.__table__.c
    kinds = ([True] if green else []) + ([] if reserved_only else [False])
    for reserved in kinds:
        if reserved:
            room = and_(c.reserved_filled < c.reserved_places, c.seats_filled < c.capacity)
            values = {"seats_filled": c.seats_filled + 1, "reserved_filled": c.reserved_filled + 1}
        else:  # outside the reserved places, whoever takes it
            room = and_(c.seats_filled < c.capacity,
                        c.seats_filled - c.reserved_filled < c.capacity - c.reserved_places)
            values = {"seats_filled": c.seats_filled + 1}
        if db.session.execute(update(Course.__table__).where(c.id == course.id, room).values(values)).rowcount:
            db.session.expire(course, ["seats_filled", "reserved_filled", "updated_at"])
            return reserved
    return None


def _no_place_for(course: Course, green: bool, reserved_only: bool) -> NoPlaceLeft:
    """Why the applicant found no place: a course whose free places are all reserved for the green
    channel says so, as staff see places left on its page and would otherwise not know why."""
    if not green and not reserved_only and course.seats_left > 0:
        return NoPlaceLeft(N_("剩下的%(num)d个名额是绿色通道预留名额，只能录取建档立卡家庭的学生。"
                              "可以列入候补；学生的证明材料审核通过后，就能用这些名额录取。"), num=course.seats_left)
    return NoPlaceLeft(N_("名额已满，可以列入候补。"))


def places_open_to(course: Course, green: bool) -> int:
    """How many of the course's free places an applicant could be admitted to now: a green-channel
    applicant any, another only those outside the places reserved for the green channel."""
    return course.seats_left if green else course.seats_left - course.reserved_left


def _free_place(course: Course, reserved: bool) -> None:
    c = Course.__table__.c
    values = {"seats_filled": c.seats_filled - 1}
    if reserved:
        values["reserved_filled"] = c.reserved_filled - 1
    db.session.execute(update(Course.__table__).where(c.id == course.id).values(values))
    db.session.expire(course, ["seats_filled", "reserved_filled", "updated_at"])


def promote(course: Course) -> None:
    """Give the course's free places to its waiting list, green channel first, then earliest: each
    promotion a move by the portal itself. The first who finds no place ends it, as everyone after
    them may take no more than they could."""
    passed: list[int] = []  # moved by someone else meanwhile
    while candidate := db.session.scalar(
            select(Application).where(Application.course_id == course.id, Application.status == S.waitlisted,
                                      Application.id.not_in(passed)).order_by(*PRIORITY).limit(1)):
        try:
            transition(None, candidate, S.admitted, PROMOTED)
        except NoPlaceLeft:
            return
        except AlreadyMoved:
            passed.append(candidate.id)


def green_channel_matters(course: Course) -> bool:
    """Whether being recognised as poor changes much on this course: a 扶贫班, or one with reserved places."""
    return course.kind == CourseKind.poverty_class or course.reserved_places > 0


def benefits_for(student: Student, course: Course) -> dict[str, bool]:
    """A verified poor-family student gets each benefit the course carries; anyone else none."""
    return {name: student.verified and getattr(course, name) for name in BENEFITS}


def _enroll(actor: User | None, application: Application, course: Course) -> Enrollment:
    student = db.session.get(Student, application.student_id)
    benefits = benefits_for(student, course)
    enrollment = Enrollment(application_id=application.id, student_id=student.id, course_id=course.id, **benefits)
    db.session.add(enrollment)
    db.session.flush()
    record(actor, "enrollment.create", enrollment, after={"application_id": application.id, **benefits})
    return enrollment


def _application_link(application_id: int) -> str:
    """我的报名, at the one application's card. Built from the URL map: the CLI and jobs have no request
    to build a URL from."""
    return current_app.url_map.bind("").build("enrollment.my_applications") + f"#application-{application_id}"


def _notify_holder(actor: User | None, application: Application, course: Course, to: ApplicationStatus,
                   reason: str) -> None:
    """Tell the family of a move they did not make themselves (confirming or withdrawing is news to nobody)."""
    student = db.session.get(Student, application.student_id)
    if actor is not None and actor.id == student.account_id:
        return
    holder = db.session.get(User, student.account_id)
    params = {"student": student.name, "course": course.title}
    link = _application_link(application.id)
    if to == S.admitted:
        notify(holder, ADMITTED_MESSAGE, link, expires_on=application.offer_expires_on.isoformat(), **params)
    elif to == S.rejected and reason:
        notify(holder, REJECTED_MESSAGE, link, reason=reason, **params)
    else:
        notify(holder, STATUS_MESSAGE, link, status=str(to), **params)


def lapse_overdue(on: date, *where) -> int:
    """Lapse admitted applications whose offer ran out before `on`, freeing their places for the
    waiting list; `where` narrows the search (one account's or one institution's applications)."""
    overdue = db.session.scalars(
        select(Application).where(Application.status == S.admitted, Application.offer_expires_on < on, *where)
        .order_by(Application.offer_expires_on, Application.id)).all()
    lapsed = 0
    for application in overdue:
        try:
            transition(None, application, S.lapsed, OFFER_LAPSED)
        except AlreadyMoved:  # accepted, declined or lapsed by someone else a moment ago
            continue
        lapsed += 1
    return lapsed


def remind_offers(on: date) -> int:
    """Remind each family whose offer's last day to accept is `on` or the day after, once per offer: a
    grandparent who missed the admission message would otherwise lose the place without a word."""
    due = db.session.execute(
        select(Application, Course.title, Student.name, Student.account_id)
        .join(Course, Course.id == Application.course_id).join(Student, Student.id == Application.student_id)
        .where(Application.status == S.admitted, Application.offer_reminded_at.is_(None),
               Application.offer_expires_on.between(on, on + timedelta(days=1)))
        .order_by(Application.id)).all()
    for application, course, student, account_id in due:
        notify(db.session.get(User, account_id), OFFER_REMINDER_MESSAGE, _application_link(application.id),
               student=student, course=course,
               expires_on=application.offer_expires_on.isoformat())
        application.offer_reminded_at = utcnow()
    return len(due)


@dataclass(frozen=True)
class OpenOffer:
    application_id: int
    student: str
    course: str
    expires_on: date


def open_offers(account: User, on: date) -> list[OpenOffer]:
    """The places offered to the account's students and not yet confirmed on `on`, soonest to run
    out first: the one thing a family must not miss, shown as soon as they log in."""
    rows = db.session.execute(
        select(Application.id, Student.name, Course.title, Application.offer_expires_on)
        .join(Student, Student.id == Application.student_id).join(Course, Course.id == Application.course_id)
        .where(Student.account_id == account.id, Application.status == S.admitted,
               Application.offer_expires_on >= on)
        .order_by(Application.offer_expires_on, Application.id))
    return [OpenOffer(*row) for row in rows]


def tell_report_change(course: Course, was_on: date, was_time: str) -> int:
    """Tell the family of every student admitted to or enrolled on the course when to report now, if
    that is no longer `was_on` at `was_time`: the day and time on a notice they may have printed.
    Returns how many families were told."""
    if (course.reports_on, course.report_time) == (was_on, was_time):
        return 0
    holders = db.session.execute(
        select(Application.id, Student.name, User).join(Application, Application.student_id == Student.id)
        .join(User, User.id == Student.account_id)
        .where(Application.course_id == course.id, Application.status.in_(HOLDING_A_PLACE),
               # an offer past its last day is lapsing, not a place to report to
               or_(Application.status == S.accepted, Application.offer_expires_on >= today()))
        .order_by(Application.id)).all()
    message, time = ((REPORT_CHANGED_MESSAGE, {"report_time": course.report_time}) if course.report_time
                     else (REPORT_DAY_CHANGED_MESSAGE, {}))
    for application_id, student, holder in holders:
        notify(holder, message, _application_link(application_id), student=student, course=course.title,
               report_on=course.reports_on.isoformat(), **time)
    return len({holder.id for _, _, holder in holders})


# --- what the pages read ------------------------------------------------------------------------

@dataclass
class TimelineStep:
    status: ApplicationStatus
    at: datetime
    reason: str = ""


def timelines(application_ids: list[int]) -> dict[int, list[TimelineStep]]:
    """Each application's states with when they began, from the audit log, in one query."""
    steps: dict[int, list[TimelineStep]] = defaultdict(list)
    if not application_ids:
        return steps
    for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == Application.__tablename__,
                                     AuditEntry.object_id.in_(application_ids),
                                     AuditEntry.action.in_(("application.submit", "application.transition")))
            .order_by(AuditEntry.at, AuditEntry.id)):
        after = entry.after or {}
        steps[entry.object_id].append(TimelineStep(ApplicationStatus(after["status"]), entry.at,
                                                   after.get("reason", "")))
    return steps


def waitlist_positions(applications: list[Application]) -> dict[int, int]:
    """Each waitlisted application's place in its course's waiting list (1 = next), in one query."""
    waiting = [a for a in applications if a.status == S.waitlisted]
    if not waiting:
        return {}
    ranked = (select(Application.id, func.row_number().over(partition_by=Application.course_id, order_by=PRIORITY)
                     .label("position"))
              .where(Application.status == S.waitlisted,
                     Application.course_id.in_({a.course_id for a in waiting}))
              .subquery())
    return dict(db.session.execute(select(ranked.c.id, ranked.c.position)
                                   .where(ranked.c.id.in_([a.id for a in waiting]))).tuples().all())


@dataclass
class FamilyApplication:
    application: Application
    enrollment_id: int | None
    timeline: list[TimelineStep]
    position: int | None  # on the waiting list


@dataclass
class FamilyStudent:
    student: Student
    applications: list[FamilyApplication] = field(default_factory=list)


def family_applications(account: User) -> list[FamilyStudent]:
    """Every student of the account, each with their applications (newest first), their courses and
    institutions, timelines and waiting-list places: a fixed handful of queries however many."""
    students = db.session.scalars(select(Student).where(Student.account_id == account.id)
                                  .order_by(Student.created_at, Student.id)).all()
    rows = db.session.execute(
        select(Application, Enrollment.id)
        .join(Application.course).join(Course.institution)
        .outerjoin(Enrollment, Enrollment.application_id == Application.id)
        .options(contains_eager(Application.course).contains_eager(Course.institution))
        .where(Application.student_id.in_([s.id for s in students]))
        .order_by(Application.submitted_at.desc(), Application.id.desc())).all() if students else []
    applications = [a for a, _ in rows]
    steps, positions = timelines([a.id for a in applications]), waitlist_positions(applications)
    family = {s.id: FamilyStudent(s) for s in students}
    for application, enrollment_id in rows:
        family[application.student_id].applications.append(
            FamilyApplication(application, enrollment_id, steps[application.id], positions.get(application.id)))
    return list(family.values())


# Which application a student's family should follow first: an offer to answer, then one still
# waiting (on staff or on the waiting list), then a place taken; any other has ended.
FOLLOW_FIRST = {S.admitted: 0, S.submitted: 1, S.under_review: 1, S.waitlisted: 1, S.accepted: 2}


def applications_to_follow(student_ids) -> dict[int, Application]:
    """For each student who has applied, the one application their family should follow (FOLLOW_FIRST,
    then the newest), with its course: one query whatever their number."""
    chosen: dict[int, Application] = {}
    ids = list(student_ids)
    if not ids:
        return chosen
    for application in db.session.scalars(
            select(Application).join(Application.course).options(contains_eager(Application.course))
            .where(Application.student_id.in_(ids))
            .order_by(Application.submitted_at.desc(), Application.id.desc())):
        current = chosen.get(application.student_id)
        if current is None or (FOLLOW_FIRST.get(application.status, 3) < FOLLOW_FIRST.get(current.status, 3)):
            chosen[application.student_id] = application
    return chosen


def family_for_course(account: User, course_id: int) -> list[tuple[Student, bool]]:
    """The account's students, each with whether they have a live application to the course: one query."""
    applied = exists().where(Application.student_id == Student.id, Application.course_id == course_id,
                             Application.status.in_(LIVE))
    return [(student, bool(has)) for student, has in db.session.execute(
        select(Student, applied).where(Student.account_id == account.id).order_by(Student.id))]


# The queue's verification filter value for students whose uploaded proof staff have still to check.
PROOF_WAITING = "proof_waiting"
# A student outside the registry with proof uploaded and no staff decision on it (a new upload after
# a rejection undoes the rejection, portal.families.services.add_document).
AWAITING_PROOF_CHECK = and_(Student.verification.in_((Verification.not_found, Verification.name_mismatch)),
                             exists().where(ProofDocument.student_id == Student.id))


@dataclass
class QueueFilters:
    course_id: int | None = None
    green: bool | None = None
    verification: str = ""  # one Verification, or PROOF_WAITING
    status: str = "pending"  # "pending" (needs a decision), "all", or one status


@dataclass
class QueuePage:
    rows: list[Application]  # with .student and .course loaded
    total: int
    page: int
    page_size: int
    proof_waiting: set[int] = field(default_factory=set)  # the rows' ids whose student's proof awaits checking

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def queue_page(institution_id: int, filters: QueueFilters, page: int, page_size: int) -> QueuePage:
    """One page of the institution's applications matching the filters, green channel first, then
    earliest. Two queries: the count and the page."""
    conditions = [Course.institution_id == institution_id]
    if filters.course_id:
        conditions.append(Application.course_id == filters.course_id)
    if filters.green is not None:
        conditions.append(Application.green_channel.is_(filters.green))
    if filters.verification == PROOF_WAITING:
        conditions.append(AWAITING_PROOF_CHECK)
    elif filters.verification:
        conditions.append(Student.verification == filters.verification)
    if filters.status == "pending":
        conditions.append(Application.status.in_(PENDING))
    elif filters.status != "all":
        conditions.append(Application.status == filters.status)
    base = select(Application).join(Application.course).join(Application.student).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.execute(
        base.add_columns(AWAITING_PROOF_CHECK)
        .options(contains_eager(Application.course), contains_eager(Application.student))
        .order_by(*PRIORITY).limit(page_size).offset((page - 1) * page_size)).all()
    return QueuePage([a for a, _ in rows], total, page, page_size, {a.id for a, waiting in rows if waiting})


def institution_application(institution_id: int, application_id: int) -> Application | None:
    """The application, with its student and course, if it is to one of the institution's courses."""
    return db.session.scalar(
        select(Application).join(Application.course).join(Application.student)
        .options(contains_eager(Application.course), contains_eager(Application.student))
        .where(Application.id == application_id, Course.institution_id == institution_id))


def institution_applications(institution_id: int, application_ids: list[int]) -> dict[int, Application]:
    return {a.id: a for a in db.session.scalars(
        select(Application).join(Application.course).join(Application.student)
        .options(contains_eager(Application.course), contains_eager(Application.student))
        .where(Application.id.in_(application_ids), Course.institution_id == institution_id))}


def family_application(account: User, application_id: int) -> Application | None:
    """The application if it is for one of the account's students."""
    return db.session.scalar(select(Application).join(Application.student)
                             .where(Application.id == application_id, Student.account_id == account.id))

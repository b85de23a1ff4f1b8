"""Course rules and the catalog search. Services flush; the caller commits."""
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, select
from sqlalchemy.orm import contains_eager

from portal.audit.services import record
from portal.common.cache import reference_data
from portal.common.i18n import chinese_converter
from portal.common.regions import Region, prefix_bounds
from portal.courses.models import KIND_LABELS, STATUS_TRANSITIONS, Course, CourseKind, CourseStatus
from portal.db import db
from portal.institutions.models import Institution

EDITABLE = ("title", "trade", "level", "kind", "mode", "region_code", "address", "schedule", "hours",
            "start_date", "end_date", "apply_opens", "apply_closes", "report_date", "report_time", "capacity",
            "reserved_places", "offer_days", "fee_fen", "fee_waiver", "national_grant", "living_allowance",
            "description", "how_to_apply")
# Far above any real course, and inside PostgreSQL's 32-bit integer columns.
MAX_CAPACITY = 10_000
MAX_HOURS = 10_000
MAX_FEE_FEN = 100_000_000  # 1,000,000 yuan
MAX_OFFER_DAYS = 60  # a place held longer than two months keeps the waiting list waiting too long


class CourseError(ValueError):
    """Course values that break a rule; `problems` maps each field to a message for the user."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def course_problems(values: dict, course: Course | None = None) -> dict[str, str]:
    """Every rule the given values break, by field. Empty when they may be saved."""
    problems: dict[str, str] = {}
    capacity, reserved = values.get("capacity"), values.get("reserved_places")
    if capacity is not None and capacity < 1:
        problems["capacity"] = _("招生人数至少为1。")
    if capacity is not None and capacity > MAX_CAPACITY:
        problems["capacity"] = _("招生人数不能超过%(n)d人。", n=MAX_CAPACITY)
    if capacity is not None and reserved is not None and not 0 <= reserved <= capacity:
        problems["reserved_places"] = _("绿色通道预留名额不能超过招生人数（%(n)d人）。", n=capacity)
    if course is not None and capacity is not None and capacity < course.seats_filled:
        problems["capacity"] = _("已有%(n)d人录取，招生人数不能少于此数。", n=course.seats_filled)
    if course is not None and reserved is not None and reserved < course.reserved_filled:
        problems["reserved_places"] = _("已有%(n)d人通过绿色通道录取，预留名额不能少于此数。",
                                        n=course.reserved_filled)
    if course is not None and "capacity" not in problems and "reserved_places" not in problems:
        general_filled = course.seats_filled - course.reserved_filled  # admitted outside the green channel
        general = ((capacity if capacity is not None else course.capacity)
                   - (reserved if reserved is not None else course.reserved_places))
        if general < general_filled:
            problems["reserved_places"] = _("已有%(n)d人占用普通名额，招生人数减去预留名额不能少于此数。",
                                            n=general_filled)
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        problems["end_date"] = _("结束日期不能早于开始日期。")
    opens, closes = values.get("apply_opens"), values.get("apply_closes")
    if opens and closes and closes < opens:
        problems["apply_closes"] = _("报名截止日期不能早于报名开始日期。")
    if closes and end and closes > end:
        problems["apply_closes"] = _("报名截止日期不能晚于课程结束日期。")
    if report := values.get("report_date"):
        if end and report > end:
            problems["report_date"] = _("报到日期不能晚于课程结束日期。")
        elif opens and report < opens:  # before anyone could even apply
            problems["report_date"] = _("报到日期不能早于报名开始日期。")
    if values.get("fee_fen") is not None and values["fee_fen"] < 0:
        problems["fee_fen"] = _("费用不能为负数。")
    if values.get("fee_fen") is not None and values["fee_fen"] > MAX_FEE_FEN:
        problems["fee_fen"] = _("费用不能超过%(n)d元。", n=MAX_FEE_FEN // 100)
    if values.get("hours") is not None and values["hours"] < 1:
        problems["hours"] = _("课时至少为1。")
    if values.get("hours") is not None and values["hours"] > MAX_HOURS:
        problems["hours"] = _("课时不能超过%(n)d。", n=MAX_HOURS)
    if (offer_days := values.get("offer_days")) is not None and not 1 <= offer_days <= MAX_OFFER_DAYS:
        problems["offer_days"] = _("确认入学期限要在1到%(n)d天之间。", n=MAX_OFFER_DAYS)
    if values.get("region_code") and db.session.get(Region, values["region_code"]) is None:
        problems["region_code"] = _("行政区划代码不存在，请从列表中选择。")
    return problems


def create_course(actor, institution: Institution, values: dict) -> Course:
    if problems := course_problems(values):
        raise CourseError(problems)
    course = Course(institution_id=institution.id, status=CourseStatus.draft,
                    **{k: values[k] for k in EDITABLE if k in values})
    refresh_search_text([course], institution.name)
    db.session.add(course)
    db.session.flush()
    record(actor, "course.create", course, after={"title": course.title, "status": str(course.status)})
    return course


def update_course(actor, course: Course, values: dict) -> Course:
    if problems := course_problems(values, course):
        raise CourseError(problems)
    before = {k: _plain(getattr(course, k)) for k in EDITABLE if k in values}
    for key in before:
        setattr(course, key, values[key])
    changed = {k: _plain(getattr(course, k)) for k in before if before[k] != _plain(getattr(course, k))}
    if "title" in changed or "trade" in changed:
        refresh_search_text([course], db.session.get(Institution, course.institution_id).name)
    if changed:
        db.session.flush()
        record(actor, "course.update", course, before={k: before[k] for k in changed}, after=changed)
    return course


def change_status(actor, course: Course, target: CourseStatus) -> Course:
    """The one way a course is published, closed or reopened."""
    if target not in STATUS_TRANSITIONS[course.status]:
        raise CourseError({"status": _("课程当前状态不能执行这个操作。")})
    before = course.status
    course.status = target
    db.session.flush()
    record(actor, "course.status", course, before={"status": str(before)}, after={"status": str(target)})
    return course


def publishing_problem(course: Course, on: date) -> str | None:
    """Why staff may not publish (or reopen) the course on `on`, if they may not: one whose application
    deadline has passed would be published with nobody able to apply."""
    if course.apply_closes < on:
        return _("报名截止日期（%(date)s）已经过了，发布后也没有人能报名。请先修改课程的报名日期，再发布。",
                 date=format_date(course.apply_closes, "long"))
    return None


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def published_courses_of(institution_id: int) -> list[Course]:
    return list(db.session.scalars(
        select(Course).join(Course.institution).options(contains_eager(Course.institution))
        .where(Course.institution_id == institution_id, Course.status == CourseStatus.published)
        .order_by(Course.start_date, Course.id)))


def load_course(course_id: int) -> Course | None:
    """A course with its institution, in one query."""
    return db.session.scalar(
        select(Course).join(Course.institution).options(contains_eager(Course.institution))
        .where(Course.id == course_id))


@dataclass
class CatalogQuery:
    q: str = ""
    region: str = ""
    trade: str = ""
    level: str = ""
    kind: str = ""
    mode: str = ""
    free_only: bool = False
    green_left: bool = False
    within_days: int | None = None
    sort: str = "start"
    page: int = 1


# Counting stops here: past five hundred matches (25 pages) the exact number helps nobody choose
# a course, and counting ten thousand rows on every page view would cost more than the page.
COUNT_CAP = 500


@dataclass
class CatalogPage:
    courses: list[Course]
    total: int  # at most COUNT_CAP
    more: bool  # True when there are more matches than COUNT_CAP
    page: int
    page_size: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, -(-self.total // self.page_size))


def search_key(text: str) -> str:
    """How keywords and the searched text are compared: full-width folded, case-insensitive."""
    return unicodedata.normalize("NFKC", text).casefold()


def course_search_text(title: str, trade: str, institution_name: str) -> str:
    """The text a catalog keyword is matched against, kept on the course so a search reads one column."""
    return search_key(f"{title} {trade} {institution_name}")


def refresh_search_text(courses, institution_name: str) -> None:
    for course in courses:
        course.search_text = course_search_text(course.title, course.trade, institution_name)


def keywords(q: str, trades: Iterable[str] = ()) -> list[str]:
    """The words a catalog search requires, at most eight: the typed words, each split around the
    trades and course kinds it holds, as people type them run together (电工扶贫班: 电工, 扶贫班).
    Words typed in Traditional characters (電工, as a phone set to them types) are read in Simplified,
    as courses are written."""
    terms = sorted({search_key(term) for term in (*trades, *KIND_LABELS.values()) if term}, key=len, reverse=True)
    known = re.compile("(" + "|".join(map(re.escape, terms)) + ")")
    words = [part for word in search_key(chinese_converter("t2s")(q)).split() for part in known.split(word) if part]
    return words[:8]


def search_catalog(query: CatalogQuery, today: date, page_size: int, trades: Iterable[str] = ()) -> CatalogPage:
    """Published courses still taking applications that match every filter, one page of them; the
    keywords are split around `trades` (see keywords).

    Two small queries: the matching ids in order (capped, answered from the ix_courses_catalog
    index), which give the count and the page, then the page's courses.
    """
    conditions = [Course.status == CourseStatus.published, Course.apply_closes >= today]
    for word in keywords(query.q, trades):
        conditions.append(Course.search_text.contains(word, autoescape=True))
    if query.region:
        low, high = prefix_bounds(query.region)
        conditions.append(and_(Course.region_code >= low, Course.region_code < high))
    for name in ("trade", "level", "kind", "mode"):
        if value := getattr(query, name):
            conditions.append(getattr(Course, name) == value)
    if query.free_only:
        conditions.append(Course.fee_fen == 0)
    if query.green_left:
        conditions.append(Course.reserved_filled < Course.reserved_places)
    if query.within_days is not None:
        conditions.append(Course.start_date.between(today, today + timedelta(days=query.within_days)))
    order = ((Course.capacity - Course.seats_filled).desc(), Course.start_date, Course.id) \
        if query.sort == "seats" else (Course.start_date, Course.id)
    # One pass over the index yields the matches in order (up to the cap), which gives both the
    # count and the page's ids; only the page's twenty rows are then read in full.
    ids = db.session.scalars(select(Course.id).where(*conditions).order_by(*order).limit(COUNT_CAP + 1)).all()
    offset = (query.page - 1) * page_size
    if offset + page_size <= COUNT_CAP:
        page_ids = ids[offset:offset + page_size]
        courses = _courses_in_order(page_ids) if page_ids else []
    else:  # a page past the counted matches: let the database skip there
        courses = db.session.scalars(
            select(Course).join(Course.institution).options(contains_eager(Course.institution))
            .where(*conditions).order_by(*order).limit(page_size).offset(offset)).all()
    return CatalogPage(list(courses), min(len(ids), COUNT_CAP), len(ids) > COUNT_CAP, query.page, page_size)


def _courses_in_order(ids: list[int]) -> list[Course]:
    """The courses with these ids, with their institutions, in the order of `ids`."""
    by_id = {c.id: c for c in db.session.scalars(
        select(Course).join(Course.institution).options(contains_eager(Course.institution))
        .where(Course.id.in_(ids)))}
    return [by_id[i] for i in ids]


@reference_data
def trades() -> list[str]:
    """The trades of published courses, for the catalog's filter."""
    return list(db.session.scalars(
        select(Course.trade).where(Course.status == CourseStatus.published).distinct().order_by(Course.trade)))


def poverty_class_places(today: date, limit: int = 6) -> list[Course]:
    """Upcoming 扶贫班 courses with green-channel places left, soonest first, for the home page."""
    return list(db.session.scalars(
        select(Course).join(Course.institution).options(contains_eager(Course.institution))
        .where(Course.status == CourseStatus.published, Course.kind == CourseKind.poverty_class,
               Course.apply_closes >= today, Course.reserved_filled < Course.reserved_places)
        .order_by(Course.start_date, Course.id).limit(limit)))

"""Institution staff managing their own courses over HTTP: create (as a draft), edit, publish,
close and reopen; every bad value refused with a Chinese message and nothing saved; every change
written to the audit log; another institution's courses out of reach."""
import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.courses.models import Course, CourseStatus
from portal.db import today
from portal.enrollment.models import Application
from portal.notifications.models import Notification

NEW = "/manage/courses/new"


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def course_form(**overrides) -> dict:
    """A complete, valid course form as the browser would post it."""
    values = dict(
        title="育婴员（五级）免费培训", trade="育婴员", level="junior", kind="free_training", mode="village",
        region_code="469030", address="琼中县营根镇文化室", schedule="每周六、周日 9:00–16:00", hours="80",
        start_date=days(40), end_date=days(80), apply_opens=days(0), apply_closes=days(30),
        capacity="30", reserved_places="10", offer_days="7", fee_yuan="0", fee_waiver="y", national_grant="y",
        living_allowance="y", description="学习婴幼儿生活照料。", how_to_apply="到村委会报名。")
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def course_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Course))


def row(db, course_id: int) -> dict:
    """The course's row as stored, read past the session's identity map."""
    return dict(db.session.execute(select(*Course.__table__.c).where(Course.id == course_id)).mappings().one())


def audit(db, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def field_errors(page: str) -> dict[str, str]:
    """The error shown under each form field, by field id."""
    return {name: html.unescape(text) for name, text in
            re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page, re.S)}


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash [a-z]+" role="status">(.*?)</p>', page)]


@pytest.fixture
def staff(make_user, make_institution):
    return make_user(role=Role.staff, institution_id=make_institution(name="琼中县职业技术学校").id)


@pytest.fixture
def as_staff(login, staff):
    return login(staff)


# --- create ----------------------------------------------------------------------------------

def test_staff_creates_a_draft_of_their_own_institution(db, as_staff, staff):
    response = as_staff.post(NEW, data=course_form(fee_yuan="1234.50", national_grant=None))
    assert response.status_code == 302 and response.location.endswith("/manage/courses")

    course = db.session.scalar(select(Course))
    assert course.institution_id == staff.institution_id
    assert course.status == CourseStatus.draft
    assert (course.title, course.trade, course.level, course.kind, course.mode) == (
        "育婴员（五级）免费培训", "育婴员", "junior", "free_training", "village")
    assert (course.region_code, course.hours, course.capacity, course.reserved_places) == ("469030", 80, 30, 10)
    assert course.start_date.isoformat() == days(40) and course.apply_closes.isoformat() == days(30)
    assert course.fee_fen == 123450
    assert (course.fee_waiver, course.national_grant, course.living_allowance) == (True, False, True)
    assert course.how_to_apply == "到村委会报名。"

    [entry] = audit(db)
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "course.create", "courses", course.id, staff.id)
    assert entry.after == {"title": "育婴员（五级）免费培训", "status": "draft"}

    manage = as_staff.get("/manage/courses").text
    assert "育婴员（五级）免费培训" in manage and "草稿" in manage


def test_new_draft_is_not_in_the_public_catalog(db, as_staff, client):
    as_staff.post(NEW, data=course_form(title="还没发布的育婴员班"))
    assert course_count(db) == 1
    assert "还没发布的育婴员班" not in client.get("/courses").text


def test_new_course_form_starts_in_the_institutions_region(as_staff, staff):
    page = as_staff.get(NEW).text
    assert re.search(rf'<option selected value="{staff.institution.region_code}">', page)


# --- bad values: refused, explained, nothing saved -------------------------------------------

BAD_VALUES = [
    pytest.param(dict(capacity="10", reserved_places="11"), "reserved_places",
                 "绿色通道预留名额不能超过招生人数（10人）。", id="reserved-over-capacity"),
    pytest.param(dict(start_date=days(40), end_date=days(39)), "end_date", "结束日期不能早于开始日期。",
                 id="end-before-start"),
    pytest.param(dict(apply_opens=days(10), apply_closes=days(9)), "apply_closes",
                 "报名截止日期不能早于报名开始日期。", id="window-reversed"),
    pytest.param(dict(apply_closes=days(81)), "apply_closes", "报名截止日期不能晚于课程结束日期。",
                 id="applications-after-the-end"),
    pytest.param(dict(report_date=days(81)), "report_date", "报到日期不能晚于课程结束日期。",
                 id="report-after-the-end"),
    pytest.param(dict(report_date=days(-1)), "report_date", "报到日期不能早于报名开始日期。",
                 id="report-before-applications-open"),
    pytest.param(dict(report_date="九月一日"), "report_date", "不是有效的日期值", id="report-not-a-date"),
    pytest.param(dict(report_time="上午" * 33), "report_time", "报到时间最多填64个字。", id="report-time-too-long"),
    pytest.param(dict(capacity="0"), "capacity", "招生人数至少为1。", id="capacity-zero"),
    pytest.param(dict(hours="0"), "hours", "课时至少为1。", id="hours-zero"),
    pytest.param(dict(reserved_places="-1"), "reserved_places", "预留名额不能为负数。", id="reserved-negative"),
    pytest.param(dict(fee_yuan="-5"), "fee_yuan", "费用不能为负数。", id="fee-negative"),
    pytest.param(dict(fee_yuan="Infinity"), "fee_yuan", "费用请填数字，例如0或1200.50。", id="fee-infinite"),
    pytest.param(dict(fee_yuan="NaN"), "fee_yuan", "费用请填数字，例如0或1200.50。", id="fee-not-a-number"),
    pytest.param(dict(fee_yuan="10.005"), "fee_yuan", "费用最多保留两位小数。", id="fee-three-decimals"),
    # numbers too large for the database's integer columns: a message, not a server error
    pytest.param(dict(fee_yuan="30000000"), "fee_yuan", "费用不能超过1000000元。", id="fee-too-large"),
    pytest.param(dict(capacity="9999999999"), "capacity", "招生人数不能超过10000人。", id="capacity-too-large"),
    pytest.param(dict(hours="99999999999"), "hours", "课时不能超过10000。", id="hours-too-large"),
    pytest.param(dict(title=""), "title", "请填写课程名称。", id="title-missing"),
    pytest.param(dict(title="   "), "title", "请填写课程名称。", id="title-blank"),
    pytest.param(dict(trade=""), "trade", "请填写职业（工种）。", id="trade-missing"),
    pytest.param(dict(start_date=""), "start_date", "请填写开课日期。", id="start-missing"),
    pytest.param(dict(start_date="明天"), "start_date", "不是有效的日期值", id="start-not-a-date"),
    pytest.param(dict(capacity="三十"), "capacity", "不是有效的整数", id="capacity-not-a-number"),
    pytest.param(dict(capacity=""), "capacity", "请填写招生人数。", id="capacity-missing"),
    pytest.param(dict(hours="　"), "hours", "请填写总课时。", id="hours-blank"),
    pytest.param(dict(fee_yuan=""), "fee_yuan", "请填写费用，免费请填0。", id="fee-missing"),
    pytest.param(dict(region_code="999999"), "region_code", "不是有效的选择", id="region-unknown"),
    pytest.param(dict(kind="bogus"), "kind", "不是有效的选择", id="kind-unknown"),
    pytest.param(dict(description="课" * 2001), "description", "最多写2000个字。", id="description-too-long"),
    pytest.param(dict(how_to_apply="到" * 2001), "how_to_apply", "最多写2000个字。", id="how-to-apply-too-long"),
    pytest.param(dict(offer_days=""), "offer_days", "请填写确认入学期限，例如7天。", id="offer-days-missing"),
    pytest.param(dict(offer_days="0"), "offer_days", "确认入学期限要在1到60天之间。", id="offer-days-zero"),
    pytest.param(dict(offer_days="61"), "offer_days", "确认入学期限要在1到60天之间。", id="offer-days-too-long"),
]


@pytest.mark.parametrize("bad, field, message", BAD_VALUES)
def test_create_refuses_bad_values_and_saves_nothing(db, as_staff, bad, field, message):
    response = as_staff.post(NEW, data=course_form(**bad))
    assert response.status_code == 200
    assert message in field_errors(response.text).get(field, "")
    assert "请按提示修改标出的内容后再提交。" in response.text
    assert course_count(db) == 0
    assert audit(db) == []


@pytest.mark.parametrize("bad, field, message", BAD_VALUES)
def test_edit_refuses_bad_values_and_changes_nothing(db, as_staff, staff, make_course, bad, field, message):
    course = make_course(institution=staff.institution, status=CourseStatus.draft)
    before = row(db, course.id)
    response = as_staff.post(f"/manage/courses/{course.id}/edit", data=course_form(**bad))
    assert response.status_code == 200
    assert message in field_errors(response.text).get(field, "")
    assert row(db, course.id) == before
    assert audit(db) == []


def test_capacity_cannot_drop_below_places_already_taken(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, capacity=40, seats_filled=25, reserved_places=10,
                         reserved_filled=8)
    before = row(db, course.id)
    response = as_staff.post(f"/manage/courses/{course.id}/edit",
                             data=course_form(capacity="20", reserved_places="5"))
    errors = field_errors(response.text)
    assert "已有25人录取" in errors["capacity"]
    assert "已有8人通过绿色通道录取" in errors["reserved_places"]
    assert row(db, course.id) == before


def test_every_problem_is_shown_at_once_not_the_dates_only_after_the_rest_is_fixed(db, as_staff):
    """Dates in the wrong order are told together with an empty title, so staff correct the form once."""
    response = as_staff.post(NEW, data=course_form(
        title="", hours="0", start_date=days(40), end_date=days(39), apply_opens=days(10), apply_closes=days(9),
        capacity="10", reserved_places="11"))
    errors = field_errors(response.text)
    assert errors["title"] == "请填写课程名称。"
    assert errors["hours"] == "课时至少为1。"
    assert errors["end_date"] == "结束日期不能早于开始日期。"
    assert errors["apply_closes"] == "报名截止日期不能早于报名开始日期。"
    assert errors["reserved_places"] == "绿色通道预留名额不能超过招生人数（10人）。"
    assert course_count(db) == 0


def test_a_field_with_its_own_error_shows_that_one_only(db, as_staff):
    errors = field_errors(as_staff.post(NEW, data=course_form(end_date="明天")).text)
    assert errors == {"end_date": "不是有效的日期值。"}


# --- how long a family has to accept an offer ---------------------------------------------------

def test_staff_set_how_long_families_have_to_accept_and_new_offers_follow_it(db, as_staff, staff, make_student):
    assert "录取后，家庭要在这些天内确认入学" in as_staff.get(NEW).text
    as_staff.post(NEW, data=course_form(offer_days="3", reserved_places="0"))
    course = db.session.scalar(select(Course))
    assert course.offer_days == 3
    page = as_staff.get(f"/manage/courses/{course.id}/edit").text
    assert re.search(r'id="offer_days"[^>]*value="3"', page)

    as_staff.post(f"/manage/courses/{course.id}/edit", data=course_form(offer_days="14", reserved_places="0"))
    assert row(db, course.id)["offer_days"] == 14
    [entry] = audit(db, "course.update")
    assert (entry.before, entry.after) == ({"offer_days": 3}, {"offer_days": 14})

    course.status = CourseStatus.published
    application = Application(student_id=make_student().id, course_id=course.id, status="submitted")
    db.session.add(application)
    db.session.flush()
    as_staff.post(f"/manage/applications/{application.id}/decision", data={"decision": "admitted"})
    db.session.refresh(application)
    assert application.offer_expires_on == today() + timedelta(days=14)


def test_a_form_sent_without_the_offer_period_keeps_the_saved_one(db, as_staff, staff, make_course):
    """A course page opened before the field was added still saves, and the period is left as it was."""
    course = make_course(institution=staff.institution, offer_days=10)
    response = as_staff.post(f"/manage/courses/{course.id}/edit", data=course_form(offer_days=None))
    assert response.status_code == 302
    assert row(db, course.id)["offer_days"] == 10


# --- edit ------------------------------------------------------------------------------------

def test_staff_say_when_admitted_students_report_or_leave_it_to_the_first_day(db, as_staff):
    assert "录取的学生到校报到的日期。不填就在开课当天报到。" in as_staff.get(NEW).text
    as_staff.post(NEW, data=course_form(report_date=days(39), report_time=" 上午 8:00–11:30 "))
    course = db.session.scalar(select(Course))
    assert (course.report_date.isoformat(), course.report_time) == (days(39), "上午 8:00–11:30")
    page = as_staff.get(f"/manage/courses/{course.id}/edit").text
    assert f'value="{days(39)}"' in page and 'value="上午 8:00–11:30"' in page

    response = as_staff.post(f"/manage/courses/{course.id}/edit", data=course_form(report_date="", report_time=""))
    assert response.status_code == 302
    stored = row(db, course.id)
    assert (stored["report_date"], stored["report_time"]) == (None, "")
    [entry] = audit(db, "course.update")
    assert entry.before == {"report_date": days(39), "report_time": "上午 8:00–11:30"}
    assert entry.after == {"report_date": None, "report_time": ""}


def told(db) -> int:
    """How many messages have told a family of a new report time."""
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.message.contains("报到时间改了")))


def test_changing_when_students_report_tells_each_family_holding_a_place(db, as_staff, make_student):
    as_staff.post(NEW, data=course_form(report_time="上午 8:00–11:30"), follow_redirects=True)
    course = db.session.scalar(select(Course))
    for status in ("admitted", "accepted", "waitlisted", "rejected"):
        db.session.add(Application(student_id=make_student().id, course_id=course.id, status=status,
                                   offer_expires_on=date.today() + timedelta(days=7) if status == "admitted" else None))
    db.session.flush()
    edit = f"/manage/courses/{course.id}/edit"

    page = as_staff.post(edit, data=course_form(report_time="下午 14:00–17:00"), follow_redirects=True).text
    assert flashes(page) == ["课程已保存，已通知2个家庭新的报到时间。"]
    assert told(db) == 2

    page = as_staff.post(edit, data=course_form(report_time="下午 14:00–17:00", hours="90"), follow_redirects=True).text
    assert flashes(page) == ["课程已保存。"]
    assert told(db) == 2


def test_a_form_missing_its_optional_text_fields_still_saves(db, as_staff):
    """A script or a stripped-down form may leave them out entirely, not even sending them empty."""
    response = as_staff.post(NEW, data=course_form(address=None, schedule=None, description=None,
                                                   how_to_apply=None))
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    assert (course.address, course.schedule, course.description, course.how_to_apply) == ("", "", "", "")


def test_edit_form_shows_the_saved_values(as_staff, staff, make_course):
    course = make_course(institution=staff.institution, title="电工扶贫班", fee_fen=123450)
    page = as_staff.get(f"/manage/courses/{course.id}/edit").text
    assert "<h1>修改课程 <small>电工扶贫班</small></h1>" in page  # which course, with the title being edited
    assert 'value="电工扶贫班"' in page
    assert 'value="1234.50"' in page or 'value="1234.5"' in page


def test_staff_edits_their_course_and_the_change_is_audited(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, status=CourseStatus.published, title="旧名称",
                         capacity=30, hours=80)
    response = as_staff.post(f"/manage/courses/{course.id}/edit", data=course_form(title="新名称", capacity="35"))
    assert response.status_code == 302

    stored = row(db, course.id)
    assert (stored["title"], stored["capacity"], stored["status"]) == ("新名称", 35, "published")
    [entry] = audit(db, "course.update")
    assert entry.actor_id == staff.id and entry.object_id == course.id
    assert entry.before["title"] == "旧名称" and entry.after["title"] == "新名称"
    assert entry.before["capacity"] == 30 and entry.after["capacity"] == 35
    assert "hours" not in entry.after  # only what changed


def test_saving_unchanged_values_writes_no_audit_entry(db, as_staff):
    as_staff.post(NEW, data=course_form())
    course_id = db.session.scalar(select(Course.id))
    response = as_staff.post(f"/manage/courses/{course_id}/edit", data=course_form())
    assert response.status_code == 302
    assert [e.action for e in audit(db)] == ["course.create"]


# --- status ----------------------------------------------------------------------------------

def set_status(client, course_id: int, status: str):
    return client.post(f"/manage/courses/{course_id}/status/{status}", follow_redirects=True)


@pytest.mark.parametrize("start", [CourseStatus.draft, CourseStatus.closed])
def test_a_course_past_its_application_deadline_is_not_published(db, as_staff, staff, make_course, start):
    """Nobody could apply to it: staff are told to move the dates first, and the course stays as it was."""
    course = make_course(institution=staff.institution, status=start, apply_opens=today() - timedelta(days=30),
                         apply_closes=today() - timedelta(days=1))
    page = set_status(as_staff, course.id, "published").text
    assert flashes(page) == [f"报名截止日期（{(today() - timedelta(days=1)):%Y年%-m月%-d日}）已经过了，"
                             "发布后也没有人能报名。请先修改课程的报名日期，再发布。"]
    assert row(db, course.id)["status"] == start
    assert audit(db) == []


def test_publish_close_and_reopen(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, status=CourseStatus.draft, title="育婴员班")
    for target, message in (("published", "已发布“育婴员班”。"), ("closed", "已关闭“育婴员班”的报名。"),
                            ("published", "已重新发布“育婴员班”。")):
        page = set_status(as_staff, course.id, target).text
        assert message in flashes(page)
        assert row(db, course.id)["status"] == target

    changes = [(e.before, e.after, e.actor_id) for e in audit(db, "course.status")]
    assert changes == [({"status": "draft"}, {"status": "published"}, staff.id),
                       ({"status": "published"}, {"status": "closed"}, staff.id),
                       ({"status": "closed"}, {"status": "published"}, staff.id)]


def test_closing_asks_first_and_each_course_leads_to_its_applications(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, status=CourseStatus.published, title="育婴员班")
    page = as_staff.get("/manage/courses").text
    confirm = re.search(r'<details class="confirm">\s*<summary[^>]*>(.*?)</summary>(.*?)</details>', page, re.S)
    assert html.unescape(re.sub(r"<.*?>", "", confirm.group(1))) == "关闭报名… 育婴员班"
    assert "关闭后，“育婴员班”不再接受新的报名" in html.unescape(confirm.group(2))
    assert f'action="/manage/courses/{course.id}/status/closed"' in confirm.group(2)
    assert page.count("/status/closed") == 1  # no one-tap close outside the warning
    assert f'<a href="/manage/applications?course={course.id}">报名审核' in page


def test_published_course_appears_in_the_catalog(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, status=CourseStatus.draft, title="刚发布的育婴员班")
    assert "刚发布的育婴员班" not in as_staff.get("/courses").text
    set_status(as_staff, course.id, "published")
    assert "刚发布的育婴员班" in as_staff.get("/courses").text


@pytest.mark.parametrize("start, target", [("draft", "closed"), ("published", "published"),
                                           ("closed", "closed"), ("published", "draft")])
def test_illegal_transition_is_refused_and_changes_nothing(db, as_staff, staff, make_course, start, target):
    course = make_course(institution=staff.institution, status=start)
    before = row(db, course.id)
    page = set_status(as_staff, course.id, target).text
    assert "课程当前状态不能执行这个操作。" in flashes(page)
    assert row(db, course.id) == before
    assert audit(db) == []


def test_unknown_status_is_404(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, status=CourseStatus.draft)
    assert as_staff.post(f"/manage/courses/{course.id}/status/archived").status_code == 404
    assert row(db, course.id)["status"] == "draft"


# --- another institution's courses -----------------------------------------------------------

def test_staff_cannot_touch_another_institutions_course(db, as_staff, make_course):
    other = make_course(status=CourseStatus.draft, title="别校的课")
    before = row(db, other.id)

    assert as_staff.get(f"/manage/courses/{other.id}/edit").status_code == 404
    assert as_staff.post(f"/manage/courses/{other.id}/edit", data=course_form(title="改掉")).status_code == 404
    assert as_staff.post(f"/manage/courses/{other.id}/status/published").status_code == 404
    assert row(db, other.id) == before
    assert audit(db) == []
    assert "别校的课" not in as_staff.get("/manage/courses").text


def test_applicant_cannot_create_a_course(db, client, make_user, login):
    login(make_user(role=Role.applicant))
    assert client.post(NEW, data=course_form()).status_code == 403
    assert course_count(db) == 0


def test_anonymous_visitor_is_sent_to_log_in(db, client):
    response = client.post(NEW, data=course_form())
    assert response.status_code == 302 and "/login" in response.location
    assert course_count(db) == 0


# --- numbers as people type them on a phone -------------------------------------------------

def test_a_number_that_is_not_a_number_gets_one_message(db, as_staff):
    errors = field_errors(as_staff.post(NEW, data=course_form(capacity="三十", fee_yuan="五百")).text)
    assert errors["capacity"] == "不是有效的整数。"
    assert errors["fee_yuan"] == "不是有效的小数。"
    assert course_count(db) == 0


def test_full_width_digits_and_thousands_separators_are_read(db, as_staff):
    as_staff.post(NEW, data=course_form(capacity="１２０", fee_yuan="2,800.50", reserved_places="１０"))
    course = db.session.scalars(select(Course)).one()
    assert (course.capacity, course.reserved_places, course.fee_fen) == (120, 10, 280050)


def test_form_library_messages_follow_traditional_chinese(db, as_staff):
    as_staff.get("/lang/zh_Hant_TW")
    errors = field_errors(as_staff.post(NEW, data=course_form(capacity="三十")).text)
    assert errors["capacity"] == "不是有效的整數值。"


def test_edit_form_shows_the_fee_in_yuan_with_its_fen(db, as_staff, staff, make_course):
    course = make_course(institution=staff.institution, kind="regular", fee_fen=280050)
    page = as_staff.get(f"/manage/courses/{course.id}/edit").text
    assert re.search(r'id="fee_yuan"[^>]*value="2800.50"', page)


def test_the_course_list_says_what_its_numbers_of_places_are(as_staff, staff, make_course):
    make_course(institution=staff.institution, title="电工班", capacity=50, reserved_places=10, seats_filled=3,
                reserved_filled=2)
    make_course(institution=staff.institution, title="育婴员班", capacity=30, reserved_places=0)

    page = as_staff.get("/manage/courses").text

    places = re.findall(r'<td data-label="名额">(.*?)</td>', page, re.S)
    assert sorted(places) == ["已录取 0 / 共 30", "已录取 3 / 共 50<br>绿色通道已录取 2 / 预留 10"]


def test_the_course_list_runs_a_fixed_number_of_queries(count_queries, db, as_staff, staff, make_course):
    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert as_staff.get("/manage/courses").status_code == 200
        return len(statements)

    for _ in range(2):
        make_course(institution=staff.institution)
    few = queries()
    for _ in range(20):
        make_course(institution=staff.institution)
    assert queries() == few


def test_the_course_list_says_when_a_published_course_is_not_taking_applications(as_staff, staff, make_course):
    """Published is not the same as open: staff see which courses families cannot apply to today."""
    make_course(institution=staff.institution, title="已截止班", apply_opens=today() - timedelta(days=30),
                apply_closes=today() - timedelta(days=1))
    make_course(institution=staff.institution, title="未开始班", apply_opens=today() + timedelta(days=3))
    make_course(institution=staff.institution, title="报名中班")
    page = as_staff.get("/manage/courses").text
    statuses = dict(re.findall(r'<th scope="row"><a [^>]*>(.*?)</a></th>.*?<td data-label="状态">(.*?)</td>',
                               page, re.S))
    assert statuses["已截止班"] == "已发布<br>报名已结束。"
    assert statuses["未开始班"] == f"已发布<br>{today() + timedelta(days=3):%Y年%-m月%-d日} 开始报名。"
    assert statuses["报名中班"] == "已发布"


def test_spaces_around_a_typed_value_are_not_saved(db, as_staff):
    """A trade saved as " 电工" would be listed in the catalog's filter as a second 电工."""
    as_staff.post(NEW, data=course_form(title=" 电工扶贫班　", trade="电工 ", address=" 营根镇 ", schedule=" 周末 "))
    course = db.session.scalar(select(Course))
    assert (course.title, course.trade, course.address, course.schedule) == ("电工扶贫班", "电工", "营根镇", "周末")

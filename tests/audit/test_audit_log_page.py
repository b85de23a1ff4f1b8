"""The admin's audit log page: entries in words, newest first; filters by action, object, person and
date; older entries page by page in a fixed number of queries; bad filters explained."""
import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import portal
from portal.audit import export as export_module
from portal.audit import views
from portal.audit.export import run_export, start_export
from portal.audit.forms import ACTION_LABELS
from portal.audit.models import AuditExport, ExportStatus
from portal.audit.services import LogFilters, newest_entry_id, record
from portal.auth.models import Role
from portal.common.spreadsheets import XLSX
from portal.courses.models import CourseStatus
from portal.courses.services import change_status, update_course
from portal.db import SHANGHAI
from portal.enrollment.models import Application
from portal.enrollment.services import GREEN_CHANNEL
from portal.registry.services import reveal_id

LOG = "/admin/audit"


@pytest.fixture
def admin(make_user):
    return make_user(Role.admin, name="管理员甲", email="jia@example.cn")


@pytest.fixture
def as_admin(login, admin):
    return login(admin)


def entries(page: str) -> list[str]:
    """Each entry of the log as its text, whitespace collapsed, newest first."""
    items = re.findall(r'<ol class="audit".*?</ol>', page, re.S)
    if not items:
        return []
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", items[0], re.S)]


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else ""


def test_changes_are_told_in_words_newest_first(db, as_admin, make_user, make_course):
    course = make_course(status=CourseStatus.draft, title="电工扶贫班")
    teacher = make_user(Role.staff, name="王老师", institution_id=course.institution_id)
    change_status(teacher, course, CourseStatus.published)
    db.session.flush()

    page = as_admin.get(LOG).text

    newest = entries(page)[0]
    assert "王老师" in newest and "发布或关闭课程" in newest and f"课程 #{course.id}" in newest
    assert "状态 草稿 → 已发布" in newest


def test_an_entry_links_to_its_objects_page_and_to_its_history(db, client, as_admin, make_course):
    course = make_course(status=CourseStatus.draft, title="电工扶贫班")
    record(None, "course.status", course, after={"status": "draft"})
    db.session.flush()

    page = as_admin.get(LOG).text
    course_link = re.search(rf'<a href="([^"]+)">课程 #{course.id}</a>', page).group(1)
    assert "电工扶贫班" in as_admin.get(course_link).text  # a draft, yet the admin may read it
    history = html.unescape(re.search(r'<a href="([^"]+)">它的全部记录', page).group(1))
    assert history == f"{LOG}?object_type=courses&object_id={course.id}"
    # Already reading that history, the entry offers no link to it.
    assert "它的全部记录" not in as_admin.get(history).text


def test_the_history_links_name_their_object_in_the_readers_brackets(db, client, as_admin, make_course):
    """A screen reader hears which object "All its entries" is for, bracketed as English writes it."""
    course = make_course(status=CourseStatus.draft, title="电工扶贫班")
    record(None, "course.status", course, after={"status": "draft"})
    db.session.flush()

    assert f"它的全部记录<span class=\"visually-hidden\">（课程 #{course.id}）</span>" in as_admin.get(LOG).text
    client.set_cookie("lang", "en", domain="portal.test")
    page = as_admin.get(LOG).text
    assert f"All its entries<span class=\"visually-hidden\"> (Course #{course.id})</span>" in page
    assert "（" not in page


def test_course_edits_show_places_and_dates_as_people_read_them(db, client, as_admin, make_course):
    course = make_course(region_code="460100", start_date=date(2027, 3, 1))
    update_course(None, course, {"region_code": "460200", "start_date": date(2027, 3, 15),
                                 "report_date": date(2027, 3, 14)})
    db.session.flush()

    newest = entries(as_admin.get(LOG).text)[0]
    assert "地区代码 海南省 海口市（460100） → 海南省 三亚市（460200）" in newest
    assert "开课日期 2027年3月1日 → 2027年3月15日" in newest
    assert "报到日期 （空） → 2027年3月14日" in newest
    client.set_cookie("lang", "en", domain="portal.test")
    assert "Mar 1, 2027 → Mar 15, 2027" in entries(as_admin.get(LOG).text)[0]


def test_a_region_and_its_code_are_put_together_in_the_readers_language(app, monkeypatch):
    """English brackets a code with "(…)", not the Chinese "（…）"."""
    from portal.audit import display
    monkeypatch.setattr(display, "_", lambda message, **values: "translated:" + message % values)
    with app.test_request_context():
        assert display._shown("courses", "region_code", "460100", {}) == "translated:海南省 海口市（460100）"


def test_an_id_number_reveal_is_listed_without_the_number(db, as_admin, admin, make_registry_person, id_number):
    number = id_number()
    person = make_registry_person("黎小海", number)
    reveal_id(admin, person)
    db.session.flush()

    page = as_admin.get(LOG).text

    assert "管理员甲 查看完整身份证号 建档立卡人员 #%d" % person.id in entries(page)[0]
    assert number not in page


def test_entries_recorded_by_the_portal_itself_name_no_person(db, as_admin, make_course):
    course = make_course()
    record(None, "course.status", course, before={"status": "published"}, after={"status": "closed"})
    db.session.flush()
    assert entries(as_admin.get(LOG).text)[0].split()[2] == "系统"


@pytest.fixture
def three(db, make_user, make_course):
    """A course made by one teacher a day ago; an account made and the course published by another,
    who also publishes a second course."""
    first, second = make_user(Role.staff, name="赵老师"), make_user(Role.staff, name="钱老师")
    course, other = make_course(), make_course()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    made = record(first, "course.create", course, after={"title": course.title, "status": "draft"})
    made.at = yesterday
    record(second, "user.create", first, after={"role": "staff"})
    record(second, "course.status", course, before={"status": "draft"}, after={"status": "published"})
    record(second, "course.status", other, before={"status": "draft"}, after={"status": "published"})
    db.session.flush()
    return first, second, course, yesterday


def test_filters_narrow_the_log(as_admin, three):
    first, second, course, yesterday = three
    by_action = entries(as_admin.get(f"{LOG}?action=course.create").text)
    assert len(by_action) == 1 and "创建课程" in by_action[0]
    by_type = entries(as_admin.get(f"{LOG}?object_type=courses").text)
    assert len(by_type) == 3 and not any("创建账号" in e for e in by_type)

    by_object = entries(as_admin.get(f"{LOG}?object_type=courses&object_id={course.id}").text)
    assert [("发布或关闭课程" in e, "创建课程" in e) for e in by_object] == [(True, False), (False, True)]

    by_person = entries(as_admin.get(f"{LOG}?actor={second.mobile}").text)
    assert len(by_person) == 3 and all("钱老师" in e for e in by_person)

    day = yesterday.astimezone(SHANGHAI).date()
    on_the_day = entries(as_admin.get(f"{LOG}?start={day}&end={day}&object_type=courses").text)
    assert len(on_the_day) == 1 and "创建课程" in on_the_day[0]


@pytest.mark.parametrize("query, field, message", [
    ("object_id=abc", "object_id", "不是有效的整数。"),
    ("actor=nobody@example.cn", "actor", "没有这个手机号或邮箱的账号。"),
    ("start=2026-11-30&end=2026-11-01", "end", "结束日期不能早于开始日期。"),
    ("start=30/11/2026", "start", "不是有效的日期值。"),
])
def test_a_bad_filter_is_explained(as_admin, three, query, field, message):
    page = as_admin.get(f"{LOG}?{query}").text
    assert field_error(page, field) == message
    if field in ("actor", "end"):  # nobody by that login, or no day in the range: nothing is shown
        assert entries(page) == [] and "没有符合条件的记录。" in page


def test_older_entries_come_page_by_page_in_a_fixed_number_of_queries(db, client, as_admin, count_queries,
                                                                         make_user, make_course):
    course = make_course()

    def add(n: int) -> None:
        for i in range(n):
            record(make_user(Role.staff), "course.update", course, before={"hours": i}, after={"hours": i + 1})
        db.session.flush()

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert entries(as_admin.get(f"{LOG}?object_type=courses").text)
        return len(statements)

    add(3)
    few = queries()
    add(views.PER_PAGE + 2)
    assert queries() == few

    first = as_admin.get(f"{LOG}?object_type=courses").text
    assert len(entries(first)) == views.PER_PAGE
    older = html.unescape(re.search(r'<a class="button secondary" href="([^"]+)">更早的记录</a>', first).group(1))
    assert "object_type=courses" in older
    rest = as_admin.get(older).text
    assert len(entries(rest)) == 5 and "更早的记录</a>" not in rest
    assert not set(entries(first)) & set(entries(rest))


def test_an_entry_names_its_object_and_the_institution_it_records(db, as_admin, admin, make_user, make_institution,
                                                                   make_course, make_student, make_registry_person):
    """An admin reading 停用账号 账号 #7 is told whose account it was, without opening anything."""
    college = make_institution(name="三亚技师学院")
    teacher = make_user(Role.staff, name="离职的老师", mobile="13911112222", institution_id=college.id)
    record(admin, "user.create", teacher, after={"role": "staff", "institution_id": college.id, "region_code": None})
    record(admin, "user.deactivate", teacher, before={"active": True}, after={"active": False})
    application = Application(student_id=make_student(name="黄明轩").id,
                              course_id=make_course(title="电工扶贫班", institution=college).id)
    db.session.add(application)
    db.session.flush()
    record(None, "application.transition", application, before={"status": "submitted"}, after={"status": "admitted"})
    reveal_id(admin, make_registry_person("黎小海"))
    db.session.flush()

    revealed, admitted, deactivated, created = entries(as_admin.get(LOG).text)[:4]

    assert f"停用账号 账号 #{teacher.id} 离职的老师（13911112222）" in deactivated
    assert f"创建账号 账号 #{teacher.id} 离职的老师（13911112222）" in created
    assert "所属机构 三亚技师学院" in created and "所属机构编号" not in created
    assert f"报名记录 #{application.id} 黄明轩 · 电工扶贫班" in admitted
    assert "建档立卡人员 #" in revealed and "黎小海" in revealed


def test_naming_the_objects_takes_a_fixed_number_of_queries(db, as_admin, admin, count_queries, make_user,
                                                             make_course, make_registry_person, id_number):
    def add(n: int) -> None:
        for _ in range(n):
            record(admin, "user.deactivate", make_user(Role.staff), before={"active": True}, after={"active": False})
            record(admin, "course.update", make_course(), before={"hours": 1}, after={"hours": 2})
            reveal_id(admin, make_registry_person(number=id_number()))
        db.session.flush()

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert entries(as_admin.get(LOG).text)
        return len(statements)

    add(1)
    few = queries()
    add(10)
    assert queries() == few


def test_a_page_link_that_cannot_be_read_shows_the_latest_entries_as_such(as_admin, three):
    page = as_admin.get(f"{LOG}?before=abc").text
    assert '<h2 id="log-title">最近的记录</h2>' in page and len(entries(page)) == 4


def test_admins_see_the_log_in_their_menu(as_admin):
    assert f'<a href="{LOG}">操作日志</a>' in as_admin.get("/").text


def test_reasons_the_portal_gives_are_translated_and_peoples_own_are_kept(db, client, as_admin, make_course):
    course = make_course()
    record(None, "course.status", course, after={"reason": "registry check"})
    record(None, "course.status", course, after={"reason": GREEN_CHANNEL})
    record(None, "course.status", course, after={"reason": "材料齐全 registry check"})
    db.session.flush()
    own, green, check = entries(as_admin.get(LOG).text)[:3]
    assert own.endswith("原因 材料齐全 registry check")
    assert green.endswith("原因 绿色通道：建档立卡家庭学生直接录取")
    assert check.endswith("原因 按建档立卡名单核对")
    client.set_cookie("lang", "en", domain="portal.test")
    own, green, check = entries(as_admin.get(LOG).text)[:3]
    assert own.endswith("Reason 材料齐全 registry check")
    assert "Reason" in green and "绿" not in green and "Reason Checked against the poverty registry" in check


def test_every_action_the_portal_records_has_a_name():
    """A new kind of entry must be named for the page, or admins would read its code."""
    recorded = set()
    for source in Path(portal.__file__).parent.rglob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            if re.search(r"\brecord\(", line) and "def record" not in line:
                recorded.update(re.findall(r'"([a-z_]+\.[a-z_]+)"', line))
    assert len(recorded) >= 20
    assert recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)


def exported(response) -> list[tuple]:
    """The exported sheet's rows; a cell the spreadsheet would run as a formula reads as ("formula", text)."""
    assert response.status_code == 200 and response.mimetype == XLSX
    assert re.fullmatch(r"attachment; filename=\"audit-log-(\d{8})\.xlsx\"; filename\*=UTF-8''[^']+-\1\.xlsx",
                        response.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [tuple(("formula", c.value) if c.data_type == "f" else c.value for c in row) for row in sheet.iter_rows()]


def export_form(page: str) -> dict[str, str]:
    """What the log page's export button posts: the filters shown."""
    form = re.search(r'<form method="post" action="/admin/audit/exports".*?</form>', page, re.S).group(0)
    assert "导出符合条件的全部记录（Excel）" in form
    return {name: html.unescape(value) for name, value in re.findall(r'name="(\w+)" value="([^"]*)"', form)}


def test_the_filtered_log_exports_to_excel_a_row_per_field_changed(db, client, as_admin, three, make_course):
    first, second, course, yesterday = three
    update_course(second, course, {"title": "=HYPERLINK(\"http://x\")", "hours": 90})
    db.session.flush()

    page = as_admin.get(f"{LOG}?object_type=courses&object_id={course.id}").text
    assert export_form(page).keys() == {"csrf_token", "object_type", "object_id"}
    assert export_form(page)["object_id"] == str(course.id)
    header, *rows = exported(as_admin.post(f"{LOG}/exports", data=export_form(page)))

    assert header == ("时间", "操作人", "操作人账号", "操作", "对象", "对象编号", "对象名称", "内容", "修改前",
                      "修改后")
    title = '=HYPERLINK("http://x")'  # the course's name now: text, never a formula the spreadsheet would run
    assert [row[1:8] for row in rows] == [
        ("钱老师", second.mobile, "修改课程", "课程", course.id, title, "名称"),
        ("钱老师", second.mobile, "修改课程", "课程", course.id, title, "总课时"),
        ("钱老师", second.mobile, "发布或关闭课程", "课程", course.id, title, "状态"),
        ("赵老师", first.mobile, "创建课程", "课程", course.id, title, "名称"),
        ("赵老师", first.mobile, "创建课程", "课程", course.id, title, "状态")]
    assert rows[0][9] == title
    assert rows[2][8:] == ("草稿", "已发布") and rows[4][8:] == (None, "草稿")
    made_at = yesterday.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    assert abs(rows[4][0] - made_at) <= timedelta(seconds=1)  # a date and time Excel can sort, in China's time

    client.set_cookie("lang", "en", domain="portal.test")
    header, *rows = exported(as_admin.post(f"{LOG}/exports", data={"action": "user.create"}))
    assert header[0] == "Time" and len(rows) == 1 and rows[0][3] == "Create account"
    assert "赵老师" in rows[0][6] and first.mobile in rows[0][6]  # whose account it was


def test_an_export_with_a_bad_filter_goes_back_to_the_explained_page(as_admin, three):
    response = as_admin.post(f"{LOG}/exports", data={"actor": "nobody@example.cn"})
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).text
    assert field_error(page, "actor") == "没有这个手机号或邮箱的账号。"
    assert "导出符合条件的全部记录" not in page


# --- long exports, written in the background --------------------------------------------------------

def text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


@pytest.fixture
def few_in_request(app, monkeypatch):
    """Exports of more than two entries go to the background."""
    monkeypatch.setitem(app.config, "AUDIT_EXPORT_IN_REQUEST", 2)


def test_a_long_export_is_written_in_the_background_and_downloaded_from_its_page(
        db, client, as_admin, three, few_in_request, monkeypatch):
    monkeypatch.setattr(export_module, "EXPORT_PAGE", 1)  # progress saved after each entry
    client.set_cookie("lang", "en", domain="portal.test")
    response = as_admin.post(f"{LOG}/exports", data={"object_type": "courses"})
    assert response.status_code == 302
    page = text(as_admin.get(response.headers["Location"]))

    assert "Status Done" in page and "Entries 3" in page
    link = re.search(r'href="(/admin/audit/exports/\d+/audit-log\.xlsx)"',
                     as_admin.get(response.headers["Location"]).text)
    download = as_admin.get(link.group(1))
    assert download.status_code == 200 and download.mimetype == XLSX
    assert re.fullmatch(r"attachment; filename=\"audit-log-(\d{8}-\d+)\.xlsx\"; filename\*=UTF-8''Audit%20log-\1\.xlsx",
                        download.headers["Content-Disposition"])  # named in the admin's language too
    header, *rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(download.data)).active.iter_rows()]
    assert header[0] == "Time"  # in the admin's language
    assert [row[3] for row in rows] == ["Course published or closed", "Course published or closed", "Course created",
                                        "Course created"]
    export = db.session.scalars(select(AuditExport)).one()
    assert (export.entries_done, export.entries_total, export.status) == (3, 3, ExportStatus.done)

    listed = text(as_admin.get(LOG))
    assert "My exports" in listed and "3 entries · Done" in listed


def test_a_waiting_export_shows_its_progress_and_has_no_file_yet(db, as_admin, admin, three):
    export = start_export(admin, LogFilters(before_id=newest_entry_id() + 1), 4)
    export.entries_done = 1
    db.session.flush()
    response = as_admin.get(f"{LOG}/exports/{export.id}")
    assert '<meta http-equiv="refresh" content="2">' in response.text
    assert "已写入 1 / 4 条" in text(response) and "排队中" in text(response)
    assert as_admin.get(f"{LOG}/exports/{export.id}/audit-log.xlsx").status_code == 404


def test_an_export_whose_job_was_stopped_says_so_instead_of_waiting_for_ever(db, as_admin, admin, three):
    export = start_export(admin, LogFilters(before_id=newest_entry_id() + 1), 4)
    export.status, export.progress_at = ExportStatus.running, datetime.now(UTC) - timedelta(minutes=20)
    db.session.flush()
    page = as_admin.get(f"{LOG}/exports/{export.id}")
    assert "refresh" not in page.text and "<progress" not in page.text
    assert "状态 已中断" in text(page) and "可能是服务器重启时中断了。请回到操作日志重新导出。" in text(page)
    assert "已中断" in text(as_admin.get(LOG))


def test_a_running_export_leaves_a_sign_of_life_as_it_goes(db, admin, three, monkeypatch):
    monkeypatch.setattr(export_module, "EXPORT_PAGE", 1)
    export = start_export(admin, LogFilters(before_id=newest_entry_id() + 1), 4)
    signs = []
    monkeypatch.setattr(export_module, "_set", lambda export_id, **values: signs.append(values.get("progress_at")))
    run_export(export.id)
    assert all(signs[:-1]) and len(signs) == 5  # after each of the four entries, then when done


def test_entries_made_after_the_export_was_asked_for_are_not_in_it(db, admin, three):
    first, second, course, _ = three
    export = start_export(admin, LogFilters(object_type="courses", before_id=newest_entry_id() + 1), 3)
    db.session.flush()
    record(second, "course.status", course, before={"status": "published"}, after={"status": "closed"})
    db.session.flush()

    run_export(export.id)

    db.session.refresh(export)
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))[1:]
    assert export.status == ExportStatus.done and len(rows) == 4  # three entries, one recording two fields
    assert "已关闭" not in {row[8] for row in rows}


def test_only_the_admin_who_asked_sees_an_export(db, client, login, make_user, admin, three, finished_export):
    export = finished_export(admin)
    own = login(admin)
    assert "<summary>我的导出</summary>" in own.get(LOG).text
    assert own.get(f"{LOG}/exports/{export.id}/audit-log.xlsx").status_code == 200
    own.post("/logout")
    other = login(make_user(Role.admin, name="管理员乙", email="yi@example.cn"))
    assert other.get(f"{LOG}/exports/{export.id}").status_code == 404
    assert other.get(f"{LOG}/exports/{export.id}/audit-log.xlsx").status_code == 404
    assert "<summary>我的导出</summary>" not in other.get(LOG).text


def test_the_daily_chores_delete_exports_a_week_old(app, db, admin, three):
    old, recent = start_export(admin, LogFilters(), 4), start_export(admin, LogFilters(), 4)
    old.created_at = datetime.now(UTC) - timedelta(days=8)
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["portal", "daily"])
    assert result.exit_code == 0, result.output
    assert "1 audit exports deleted" in result.output.splitlines()
    assert list(db.session.scalars(select(AuditExport.id))) == [recent.id]


def test_exports_a_week_old_are_deleted_when_another_is_started(db, admin, three):
    old, recent = start_export(admin, LogFilters(), 4), start_export(admin, LogFilters(), 4)
    old.created_at = datetime.now(UTC) - timedelta(days=8)
    recent.created_at = datetime.now(UTC) - timedelta(days=6)
    db.session.flush()
    new = start_export(admin, LogFilters(), 4)
    assert set(db.session.scalars(select(AuditExport.id))) == {recent.id, new.id}

"""The course page /courses/<id>, the home page's 扶贫班 list and search box, and money shown
through Babel (the `money` filter)."""
import html
import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from flask_babel import refresh

from portal.auth.models import Role
from portal.common.i18n import money
from portal.courses.models import CourseKind, CourseLevel, CourseStatus
from portal.db import today
from portal.enrollment.services import submit_application


def days(n: int):
    return today() + timedelta(days=n)


def long_date(d) -> str:
    return format_date(d, "long", locale="zh_Hans_CN")


def course_page(client, course) -> str:
    response = client.get(f"/courses/{course.id}")
    assert response.status_code == 200, response.status_code
    return response.text


def fact(page: str, label: str) -> str:
    """The text of the <dd> that follows the <dt>`label`</dt> in the course facts, as read: tags removed."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", page, re.S)
    assert match, f"no fact labelled {label!r}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def section(page: str, title_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{title_id}".*?</section>', page, re.S)
    assert match, f"no section {title_id!r}"
    return match.group(0)


# --- the course page -------------------------------------------------------------------------

def test_course_page_shows_what_an_applicant_needs(client, make_course, make_institution):
    school = make_institution(name="琼中县职业技术学校", region_code="469030", phone="0898-86220000")
    course = make_course(
        title="电工（初级）扶贫班", trade="电工", level=CourseLevel.intermediate, institution=school,
        region_code="469030", address="琼中县营根镇教育路8号", schedule="周一至周五 8:30–17:00", hours=160,
        start_date=days(30), end_date=days(120), capacity=40, seats_filled=6, reserved_places=10,
        reserved_filled=3, how_to_apply="带户口本到学校招生办报名。", description="学习低压电工实操。")
    page = course_page(client, course)

    assert "<h1>电工（初级）扶贫班</h1>" in page
    assert f'<a href="/institutions/{school.id}">琼中县职业技术学校</a>' in page
    assert fact(page, "职业（工种）") == "电工"
    assert fact(page, "等级") == "中级工（四级）"
    assert fact(page, "上课地区") == "海南省 琼中黎族苗族自治县"
    assert fact(page, "上课地址") == "琼中县营根镇教育路8号"
    assert long_date(days(30)) in fact(page, "上课时间")
    assert long_date(days(120)) in fact(page, "上课时间")
    assert "周一至周五 8:30–17:00" in fact(page, "上课时间")
    assert fact(page, "总课时") == "160课时"
    assert fact(page, "费用") == "免费"
    assert fact(page, "招生人数") == "40（剩余 34）"
    assert fact(page, "绿色通道预留名额") == "10（剩余 7）"
    apply = section(page, "apply-title")
    assert "带户口本到学校招生办报名。" in apply
    assert "0898-86220000" in apply
    assert "学习低压电工实操。" in page


def test_course_page_says_when_admitted_students_report(client, make_course):
    course = make_course(start_date=days(30), report_date=days(29), report_time="上午 8:00–11:30")
    page = course_page(client, course)
    assert fact(page, "录取后报到") == f"{long_date(days(29))} 上午 8:00–11:30"
    assert '<span class="nowrap">8:00–11:30</span>' in page

    first_day = make_course(start_date=days(30))
    assert fact(course_page(client, first_day), "录取后报到") == long_date(days(30))


def test_each_time_of_day_in_the_schedule_is_kept_on_one_line(client, make_course):
    course = make_course(schedule="周一至周五 8:30–11:30，周六 14:00-17:00 <带饭>")
    page = course_page(client, course)
    assert ('周一至周五 <span class="nowrap">8:30–11:30</span>，周六 <span class="nowrap">14:00-17:00</span> '
            '&lt;带饭&gt;') in page


def test_address_falls_back_to_the_institution(client, make_course, make_institution):
    school = make_institution(address="海口市龙华区学院路1号")
    course = make_course(institution=school, address="")
    assert fact(course_page(client, course), "上课地址") == "海口市龙华区学院路1号"


def test_benefits_are_listed(client, make_course):
    course = make_course(fee_waiver=True, national_grant=True, living_allowance=True, reserved_places=5)
    benefits = section(course_page(client, course), "benefits-title")
    for text in ("免学费", "国家助学金", "生活补助", "招生绿色通道"):
        assert text in benefits
    assert "没有额外补助政策" not in benefits


def test_course_without_benefits_says_so(client, make_course):
    course = make_course(kind=CourseKind.regular, fee_fen=150000, fee_waiver=False, national_grant=False,
                         living_allowance=False, reserved_places=0)
    page = course_page(client, course)
    benefits = section(page, "benefits-title")
    assert "本课程没有额外补助政策。" in benefits
    for text in ("免学费", "国家助学金", "生活补助", "招生绿色通道"):
        assert text not in benefits
    assert fact(page, "绿色通道预留名额") == "无"


def test_fee_is_money_formatted_by_babel(client, make_course):
    course = make_course(kind=CourseKind.regular, fee_fen=280000, fee_waiver=False)
    assert fact(course_page(client, course), "费用") == "¥2,800.00"


def test_fee_notes_the_waiver_for_registry_students(client, make_course):
    course = make_course(kind=CourseKind.regular, fee_fen=280000, fee_waiver=True)
    assert fact(course_page(client, course), "费用") == "¥2,800.00（建档立卡学生免学费）"


def test_the_footer_does_not_promise_a_paid_course_is_free(client, make_course):
    course = make_course(kind=CourseKind.regular, fee_fen=180000, fee_waiver=False)
    page = course_page(client, course)
    assert fact(page, "费用") == "¥1,800.00"
    footer = re.search(r'<footer class="site">(.*?)</footer>', page, re.S).group(1)
    assert "免费" not in footer and "报名不收任何费用。有的课程要交学费，费用写在每门课程的页面上。" in footer


def test_fee_in_english(client, make_course):
    course = make_course(kind=CourseKind.regular, fee_fen=123456, fee_waiver=False)
    client.set_cookie("lang", "en", domain="portal.test")
    assert "CN¥1,234.56" in course_page(client, course)


@pytest.mark.parametrize("window, status, expected", [
    ((-10, 20), CourseStatus.published, "正在报名，截止到 {closes}。"),
    ((0, 0), CourseStatus.published, "正在报名，截止到 {closes}。"),
    ((5, 20), CourseStatus.published, "{opens} 开始报名。"),
    ((-30, -1), CourseStatus.published, "报名已结束。"),
    ((-10, 20), CourseStatus.closed, "报名已结束。"),
])
def test_application_state(client, make_course, window, status, expected):
    opens, closes = days(window[0]), days(window[1])
    course = make_course(apply_opens=opens, apply_closes=closes, status=status)
    apply = section(course_page(client, course), "apply-title")
    assert expected.format(opens=long_date(opens), closes=long_date(closes)) in apply


@pytest.mark.parametrize("window, status", [((-30, -1), CourseStatus.published), ((-10, 20), CourseStatus.closed)])
def test_a_course_no_longer_taking_applications_points_to_others_of_its_trade(client, make_course, window, status):
    ended = make_course(title="焊工（初级）", trade="焊工", apply_opens=days(window[0]), apply_closes=days(window[1]),
                        status=status, how_to_apply="在本平台点“我要报名”报名。")
    make_course(title="焊工（中级）", trade="焊工")
    make_course(title="电工（初级）", trade="电工")
    apply = section(course_page(client, ended), "apply-title")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", apply))
    assert "报名已结束。这门课程不能再报名了，可以看看其他课程。" in text
    assert "我要报名" not in text
    link = re.search(r'<a class="button" href="([^"]+)">找其他“焊工”课程</a>', apply)
    catalog = client.get(html.unescape(link.group(1))).text
    assert "焊工（中级）" in catalog and "电工（初级）" not in catalog


@pytest.mark.parametrize("role", [None, Role.applicant])
def test_the_public_and_applicants_get_the_apply_button(client, make_course, make_user, login, role):
    course = make_course()
    if role:
        login(make_user(role=role))
    apply = section(course_page(client, course), "apply-title")
    assert f'href="/courses/{course.id}/apply"' in apply and "我要报名" in apply


def test_an_applicant_whose_students_have_all_applied_is_sent_to_their_applications(client, make_course, make_user,
                                                                                   make_student, login):
    course = make_course()
    parent = make_user(role=Role.applicant)
    for name in ("黎小海", "黎小梅"):
        submit_application(parent, make_student(account=parent, name=name), course, today())
    login(parent)
    apply = section(course_page(client, course), "apply-title")
    assert "黎小海、黎小梅都已经报名了这门课程，不用再报名。" in apply
    assert '<a class="button" href="/applications">查看我的报名</a>' in apply
    assert f'href="/family/students/new?next=/courses/{course.id}/apply">为其他学生报名？先添加学生</a>' in apply
    assert "我要报名" not in apply


def test_an_applicant_with_a_student_yet_to_apply_or_none_gets_the_apply_button(client, make_course, make_user,
                                                                                make_student, login):
    course, other_course = make_course(), make_course()
    parent = make_user(role=Role.applicant)
    login(parent)
    assert "我要报名" in section(course_page(client, course), "apply-title")  # no students yet
    submit_application(parent, make_student(account=parent), other_course, today())
    make_student(account=parent)
    submit_application(parent, make_student(account=parent), course, today())
    apply = section(course_page(client, course), "apply-title")
    assert "我要报名" in apply and "不用再报名" not in apply


def test_the_page_runs_a_fixed_number_of_queries_for_an_applicant(client, db, make_course, make_user, make_student,
                                                                   login, count_queries):
    course = make_course()
    parent = make_user(role=Role.applicant)
    login(parent)

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert "不用再报名" in course_page(client, course)
        return len(statements)

    submit_application(parent, make_student(account=parent), course, today())
    few = queries()
    for _ in range(4):
        submit_application(parent, make_student(account=parent), course, today())
    assert queries() == few


@pytest.mark.parametrize("role", [Role.staff, Role.finance, Role.admin])
def test_other_roles_are_told_to_apply_from_a_family_account(client, make_course, make_user, login, role):
    course = make_course()
    login(make_user(role=role))
    apply = section(course_page(client, course), "apply-title")
    assert "我要报名" not in apply and "报名要用学生或家长的账号" in apply


def test_missing_course_is_404(client):
    assert client.get("/courses/999999").status_code == 404


def test_draft_is_hidden_from_the_public_and_other_staff(client, make_course, make_user, login):
    course = make_course(status=CourseStatus.draft, title="还没发布的课")
    assert client.get(f"/courses/{course.id}").status_code == 404
    login(make_user(role=Role.applicant))
    assert client.get(f"/courses/{course.id}").status_code == 404
    login(make_user(role=Role.staff))
    assert client.get(f"/courses/{course.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.staff, Role.admin])
def test_draft_is_shown_to_its_own_staff_and_the_admin_marked_as_draft(client, make_course, make_user, login, role):
    course = make_course(status=CourseStatus.draft, title="还没发布的课")
    login(make_user(role=role, institution_id=course.institution_id if role == Role.staff else None))
    page = course_page(client, course)
    assert "还没发布的课" in page and "草稿" in page


# --- the home page ---------------------------------------------------------------------------

def test_home_lists_poverty_classes_with_green_channel_places_left(client, make_course):
    make_course(title="还有名额的扶贫班", reserved_places=10, reserved_filled=4, seats_filled=4)
    make_course(title="名额已满的扶贫班", reserved_places=10, reserved_filled=10, seats_filled=10)
    make_course(title="没有预留的扶贫班", reserved_places=0)
    make_course(title="免费短训班", kind=CourseKind.free_training)
    make_course(title="草稿扶贫班", status=CourseStatus.draft)
    make_course(title="已截止的扶贫班", apply_opens=days(-30), apply_closes=days(-1))

    page = client.get("/").text
    places = section(page, "places-title")
    assert "还有名额的扶贫班" in places
    assert "绿色通道 6" in places
    for hidden in ("名额已满的扶贫班", "没有预留的扶贫班", "免费短训班", "草稿扶贫班", "已截止的扶贫班"):
        assert hidden not in places


def test_home_without_places_says_so(client):
    places = section(client.get("/").text, "places-title")
    assert "目前没有正在报名的扶贫班" in places


def test_home_search_form_goes_to_the_catalog(client, make_course):
    make_course(title="中式烹调师培训班", trade="中式烹调师")
    page = client.get("/").text
    form = re.search(r'<form method="get" action="([^"]+)" role="search"[^>]*>(.*?)</form>', page, re.S)
    assert form and form.group(1) == "/courses"
    assert 'name="q"' in form.group(2)
    # what that form submits finds the course
    assert "中式烹调师培训班" in client.get(form.group(1), query_string={"q": "烹调"}).text


def test_home_points_a_logged_in_family_to_their_applications_and_new_messages(db, client, login, make_user):
    from portal.notifications.services import notify
    family = make_user(Role.applicant, name="黎奶奶")
    login(family)
    mine = section(client.get("/").text, "mine-title")
    assert "您好，黎奶奶" in mine
    assert 'href="/applications">我的报名</a>' in mine and 'href="/family">我的家庭</a>' in mine
    assert "报名结果、录取和确认入学，都在“我的报名”里。" in mine
    notify(family, "%(student)s已被录取。", "/applications", student="黎小海")
    db.session.flush()
    mine = section(client.get("/").text, "mine-title")
    assert "您有1条新消息。" in mine and 'href="/notifications">看消息</a>' in mine


@pytest.mark.parametrize("role", [None, Role.staff])
def test_home_has_no_family_box_for_visitors_or_staff(client, login, make_user, make_institution, role):
    if role:
        login(make_user(role, institution_id=make_institution().id))
    assert 'id="mine-title"' not in client.get("/").text


# --- the money filter ------------------------------------------------------------------------

@pytest.mark.parametrize("lang, fen, expected", [
    (None, 280000, "¥2,800.00"),
    (None, 0, "¥0.00"),
    (None, 5, "¥0.05"),
    (None, 123456789, "¥1,234,567.89"),
    ("en", 280000, "CN¥2,800.00"),
    ("zh_Hant_TW", 300000, "CN¥3,000.00"),
])
def test_money_filter_formats_fen_as_yuan_for_the_locale(app, lang, fen, expected):
    headers = {"Cookie": f"lang={lang}"} if lang else {}
    with app.test_request_context("/", headers=headers):
        refresh()  # Babel caches the locale in `g`, which the tests' shared app context keeps
        try:
            assert money(fen) == expected
            assert app.jinja_env.from_string("{{ amount|money }}").render(amount=fen) == expected
        finally:
            refresh()

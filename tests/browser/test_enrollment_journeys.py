"""Green-channel enrollment as people go through it: a grandmother applying for her grandchildren, a
student proving their household is poor with an upload, and a waiting list moving up when someone
gives a place back. Every page the journeys touch passes axe and fits its window without sideways
scrolling; the grandmother uses a 360 px phone, and every enrollment page is also checked on one."""
import io
import re
import secrets
from datetime import date, timedelta
from typing import NamedTuple

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select
from stdnum.cn import ric
from test_accessibility import assert_accessible
from test_small_screen import PHONE, assert_fits

from portal.auth.models import Role, User
from portal.auth.services import create_user, find_by_login
from portal.courses.models import Course, CourseKind, CourseLevel, CourseMode, CourseStatus
from portal.courses.services import change_status, create_course
from portal.db import db, today
from portal.demo import REGISTRY, registry_id_number
from portal.enrollment.models import ApplicationStatus
from portal.enrollment.services import submit_application, transition
from portal.families.models import Relation, Student
from portal.families.services import add_document, create_student

pytestmark = pytest.mark.browser

PASSWORD = "Journey2026pw"
S = ApplicationStatus


class Account(NamedTuple):
    """Enough of an account for the log_in fixture."""
    login: str
    password: str
    name: str


def unique_mobile() -> str:
    return f"13{secrets.randbelow(10 ** 9):09d}"


_NAMES_IN_USE = {person.name for person in REGISTRY}


def unique_name(surname: str) -> str:
    """A name no one on the demo registry or in an earlier test has: the live database is shared
    by the session's browser tests, and families and staff find people by these names."""
    while True:
        name = surname + "".join(secrets.choice("志明华强丽静芳海军燕玲杰涛霞") for _ in range(2))
        if name not in _NAMES_IN_USE:
            _NAMES_IN_USE.add(name)
            return name


def new_id_number(region: str, year: int) -> str:
    """A valid 身份证号 on no registry: a random day of `year` and a serial above the demo registry's."""
    born = date(year, 1, 1) + timedelta(days=secrets.randbelow(365))
    body = f"{region}{born:%Y%m%d}{500 + secrets.randbelow(500):03d}"
    return body + ric.calc_check_digit(body + "0")


def png(colour: str) -> bytes:
    """A small photo of a proof document, as a phone would upload it."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def looks_right(page: Page) -> None:
    """The page passes axe and does not scroll sideways in its window."""
    assert_accessible(page)
    assert_fits(page)


def card_of(page: Page, heading: str):
    return page.locator("main li.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def application_of(page: Page, student: str, course: str):
    """The card of `student`'s application to `course` on the applicant's 我的报名 page."""
    section = page.locator("main section.family-student").filter(
        has=page.get_by_role("heading", name=student, exact=True))
    return section.locator("li.application").filter(has=page.get_by_role("heading", name=course, exact=True))


def add_student(page: Page, name: str, id_number: str, relation: str, school: str = "") -> None:
    page.locator("header").get_by_role("link", name="我的家庭").click()
    expect(page.locator("h1")).to_have_text("我的家庭")
    page.locator("main").get_by_role("link", name="添加学生").click()
    fill_in_student(page, name, id_number, relation, school)
    expect(page.locator("h1")).to_have_text("我的家庭")


def fill_in_student(page: Page, name: str, id_number: str, relation: str, school: str = "") -> None:
    """On the 添加学生 form: fill it in and save."""
    expect(page.locator("h1")).to_have_text("添加学生")
    looks_right(page)
    page.get_by_label("学生姓名").fill(name)
    page.get_by_label("学生身份证号").fill(id_number)
    page.get_by_label("学生是您的").select_option(label=relation)
    if school:
        page.get_by_label("现在就读的学校（选填）").fill(school)
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main .flash")).to_contain_text(f"已保存{name}的资料")


def register(page: Page, name: str, mobile: str) -> None:
    page.goto("/")
    page.locator("header").get_by_role("link", name="注册").click()
    fill_in_registration(page, name, mobile)


def fill_in_registration(page: Page, name: str, mobile: str) -> None:
    """On the 注册 form: fill it in, register, and be logged in."""
    expect(page.locator("h1")).to_have_text("注册")
    looks_right(page)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号或邮箱").fill(mobile)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="注册").click()
    expect(page.locator("main .flash")).to_contain_text("注册成功")
    expect(page.locator("header .who")).to_have_text(name)


def open_course(page: Page, card) -> str:
    """From a catalog result card, open the course; return its title."""
    title = card.locator("h3").inner_text()
    card.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    looks_right(page)
    return title


def open_course_and_apply(page: Page, card) -> str:
    """From a catalog result card, open the course and its application form; return the title."""
    title = open_course(page, card)
    page.locator("main .apply").get_by_role("link", name="我要报名").click()
    expect(page.locator("h1")).to_contain_text("报名")
    expect(page.locator("h1")).to_contain_text(title)
    looks_right(page)
    return title


def staff_review_page(page: Page, log_in, staff, course: str) -> Page:
    """Staff log in and open 报名审核 narrowed to `course`, every state shown."""
    log_in(staff, on=page)
    page.locator("header").get_by_role("link", name="报名审核").click()
    expect(page.locator("h1")).to_contain_text("报名审核")
    expect(page.locator("h1")).to_contain_text("海南省技师学院")
    looks_right(page)
    page.get_by_label("课程", exact=True).select_option(label=course)
    page.get_by_label("状态", exact=True).select_option(label="全部")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"course=\d+.*status=all"))
    return page


# --- 1. a grandmother, on her phone ---------------------------------------------------------------

def test_grandmother_applies_through_the_green_channel_and_downloads_the_notice(open_page):
    phone = open_page(phone=True)
    [grandson] = [p for p in REGISTRY if p.name == "符志强"]
    granddaughter = unique_name("符")

    # Before she has an account, she looks for a 扶贫班 that still has green-channel places.
    phone.goto("/")
    phone.locator("header").get_by_role("link", name="找课程").click()
    phone.get_by_text("更多筛选条件").click()
    phone.get_by_label("类别").select_option(label="扶贫班")
    phone.get_by_label("只看有绿色通道名额").check()
    phone.get_by_role("button", name="筛选").click()
    expect(phone).to_have_url(re.compile(r"kind=poverty_class.*green_left=y"))
    results = phone.locator("ul.cards > li.card")
    expect(results.first).to_be_visible()
    assert set(results.locator(".tag[class*=kind-]").all_inner_texts()) == {"扶贫班"}
    looks_right(phone)
    course = open_course(phone, results.first)

    # 我要报名 asks her to log in; she registers instead, and each step brings her back to the course.
    phone.locator("main .apply").get_by_role("link", name="我要报名").click()
    expect(phone.locator("h1")).to_have_text("登录")
    expect(phone.locator("main .flash")).to_have_text("请先登录。还没有账号的，请先注册。")
    phone.locator("main").get_by_role("link", name="注册").click()
    fill_in_registration(phone, "符玉兰", unique_mobile())
    expect(phone.locator("h1")).to_contain_text(course)
    expect(phone.locator("main")).to_contain_text("请先登记要报名的学生")
    looks_right(phone)
    phone.locator("main").get_by_role("link", name="添加学生").click()
    fill_in_student(phone, "符志强", registry_id_number(grandson), "孙子女／外孙子女", school="琼中县湾岭中学")
    expect(phone.locator("h1")).to_contain_text(course)
    phone.locator("main").get_by_role("link", name="为其他学生报名？先添加学生").click()
    fill_in_student(phone, granddaughter, new_id_number("469030", 2009), "孙子女／外孙子女")
    expect(phone.locator("h1")).to_contain_text(course)
    looks_right(phone)

    # Back from adding her, she is the one chosen: the form is for applying for her.
    expect(phone.get_by_label(f"{granddaughter}（未在建档立卡名单中）")).to_be_checked()
    # Beside her name: no green channel without a registry match, and where to upload proof instead.
    hint = phone.locator("main .green-hint", has_text="这次报名不走绿色通道")
    expect(hint).to_contain_text("可以在学生资料页上传贫困证明或户口簿")
    expect(hint.get_by_role("link", name=f"上传证明材料 {granddaughter}")).to_be_visible()
    phone.get_by_label("符志强（建档立卡已核验）").check()
    phone.get_by_role("button", name="确认报名").click()

    # Admitted at once: the registry says the family is poor, and a reserved place was left.
    expect(phone).to_have_url(re.compile(r"/applications$"))
    expect(phone.locator("main .flash")).to_contain_text("符志强已通过绿色通道直接录取")
    application = application_of(phone, "符志强", course)
    expect(application.locator(".tag.status-admitted")).to_have_text("已录取")
    expect(application.locator(".tag.green")).to_have_text("绿色通道")
    expect(application.locator(".next-step")).to_contain_text(re.compile(r"请在.+前确认入学"))
    expect(application.locator(".timeline")).to_contain_text("绿色通道：建档立卡家庭学生直接录取")
    expect(phone.locator("main section.family-student", has_text=granddaughter)).to_contain_text("还没有报名")
    looks_right(phone)

    # Her family page tells her where each grandchild stands with the registry.
    phone.locator("header").get_by_role("link", name="我的家庭").click()
    card = card_of(phone, "符志强")
    expect(card).to_contain_text("建档立卡已核验")
    expect(card).to_contain_text("在建档立卡名单中，身份已核验")
    card = card_of(phone, granddaughter)
    expect(card).to_contain_text("未在建档立卡名单中")
    expect(card).to_contain_text("建档立卡名单中没有这个身份证号")
    expect(card.get_by_role("link", name="上传证明材料")).to_be_visible()
    looks_right(phone)
    phone.locator("header").get_by_role("link", name="我的报名").click()
    application = application_of(phone, "符志强", course)

    application.get_by_role("button", name=re.compile("^确认入学")).click()
    expect(phone.locator("main .flash")).to_contain_text("已确认入学")
    application = application_of(phone, "符志强", course)
    expect(application.locator(".tag.status-accepted")).to_have_text("已确认入学")
    notice = application.get_by_role("link", name="下载录取通知书")
    expect(notice).to_be_visible()
    expect(notice).to_have_class("button")
    looks_right(phone)
    # Her family page and, after logging in again, the home page lead to it too.
    phone.locator("header").get_by_role("link", name="我的家庭").click()
    expect(card_of(phone, "符志强").get_by_role("link", name="下载录取通知书")).to_have_attribute(
        "href", re.compile(r"/notice\.pdf$"))
    phone.goto("/")
    expect(phone.locator("main section.mine")).to_contain_text("您好，符玉兰")
    phone.locator("main section.mine").get_by_role("link", name="我的报名").click()
    application = application_of(phone, "符志强", course)
    notice = application.get_by_role("link", name="下载录取通知书")

    with phone.expect_download(timeout=30_000) as download:  # the process's first PDF also loads the fonts
        notice.click()
    assert download.value.suggested_filename.endswith(".pdf"), download.value.suggested_filename
    with open(download.value.path(), "rb") as f:
        pdf = f.read()
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000, f"a notice with its Chinese fonts embedded is bigger than {len(pdf)} bytes"


# --- 2. a student not in the registry, with proof -------------------------------------------------

def test_student_uploads_proof_and_staff_verify_it_and_admit(page: Page, open_page, log_in, demo_account,
                                                             tmp_path):
    student = unique_name("林")
    register(page, student, unique_mobile())
    add_student(page, student, new_id_number("460106", 2007), "本人")
    card = card_of(page, student)
    expect(card).to_contain_text("未在建档立卡名单中")
    card.get_by_role("link", name="上传证明材料").click()

    expect(page.locator("h1")).to_contain_text(student)
    looks_right(page)
    proof = tmp_path / "poverty-proof.png"
    proof.write_bytes(png("#c8b88a"))
    page.get_by_label("材料类型").select_option(label="贫困证明")
    page.get_by_label("选择文件").set_input_files(proof)
    page.get_by_role("button", name="上传").click()
    expect(page.locator("main .flash")).to_contain_text("材料已上传")
    expect(page.locator("main ul.proofs")).to_contain_text("贫困证明：poverty-proof.png")
    expect(page.locator("main .verification")).to_contain_text("已上传1份证明材料，报名后学校会审核")
    looks_right(page)

    # A 扶贫班 of 海南省技师学院, where 李老师 works.
    page.locator("header").get_by_role("link", name="找课程").click()
    page.locator("main").get_by_label("搜索课程、工种或学校").fill("海南省技师学院")
    page.get_by_text("更多筛选条件").click()
    page.get_by_label("类别").select_option(label="扶贫班")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"kind=poverty_class"))
    card = page.locator("ul.cards > li.card", has_text="海南省技师学院").first
    course = open_course_and_apply(page, card)
    expect(page.get_by_label(f"{student}（未在建档立卡名单中）")).to_be_checked()  # the only student
    expect(page.locator("main .green-hint")).to_have_text("证明材料已上传，报名后学校会审核；审核通过后走绿色通道。")
    page.get_by_role("button", name="确认报名").click()
    expect(page.locator("main .flash")).to_contain_text(f"已为{student}提交报名，请等待学校审核")
    application = application_of(page, student, course)
    expect(application.locator(".tag.status-submitted")).to_have_text("已提交")
    expect(application.locator(".next-step")).to_contain_text("等待学校审核")
    looks_right(page)

    # Staff, on their own computer, find the application and look at the proof.
    staff = staff_review_page(open_page(), log_in, demo_account("staff", "海南省技师学院"), course)
    row = staff.locator("main tbody tr", has_text=student)
    expect(row).to_contain_text("未在建档立卡名单中")
    expect(row).to_contain_text("已提交")
    looks_right(staff)
    row.get_by_role("link", name=student).click()
    expect(staff.locator("h1")).to_contain_text(student)
    evidence = staff.locator("main .evidence")
    document = evidence.get_by_role("link", name="贫困证明：poverty-proof.png")
    expect(document).to_be_visible()
    served = staff.request.get(document.get_attribute("href"))
    assert served.ok and served.headers["content-type"] == "image/png"
    assert served.body() == proof.read_bytes()
    looks_right(staff)

    verification = staff.get_by_role("group", name=f"审核{student}的证明材料")
    verification.get_by_label("材料属实，通过").check()
    verification.get_by_label("审核理由").fill("贫困证明盖有村委会公章，与户口簿一致。")
    verification.get_by_role("button", name="提交审核结果").click()
    expect(staff.locator("main .flash")).to_contain_text(f"已记录{student}的材料审核结果：证明材料已核验")
    expect(staff.locator("h1")).to_contain_text(student)  # back on the review page
    expect(evidence.locator(".verification")).to_have_text("证明材料已核验")
    expect(evidence).to_contain_text("审核理由：贫困证明盖有村委会公章，与户口簿一致。")
    looks_right(staff)

    staff.locator("main").get_by_role("button", name="录取", exact=True).click()
    expect(staff.locator("main .flash")).to_contain_text(f"已处理{student}的报名：已录取")
    expect(staff.locator("h1")).to_contain_text("报名审核")
    looks_right(staff)

    # Back with the student: admitted, and told so.
    page.locator("header").get_by_role("link", name="我的报名").click()
    application = application_of(page, student, course)
    expect(application.locator(".tag.status-admitted")).to_have_text("已录取")
    expect(application.get_by_role("button", name=re.compile("^确认入学"))).to_be_visible()
    looks_right(page)
    messages = page.locator("header").get_by_role("link", name=re.compile("^消息"))
    expect(messages).to_contain_text("2条未读")  # the proof accepted, then the offer
    messages.click()
    expect(page.locator("h1")).to_have_text("消息通知")
    expect(page.locator("main ul.notifications li.unread").first).to_contain_text(
        re.compile(f"{student}已被“{re.escape(course)}”录取，请在.+前确认入学"))
    expect(page.locator("main ul.notifications li.unread").nth(1)).to_contain_text(
        f"学校已审核通过{student}的证明材料")
    looks_right(page)


# --- 3. the waiting list moves up --------------------------------------------------------------------

STAFF_LOGIN = "13800000002"  # 李老师, 海南省技师学院


def _applicant_with_student(surname: str, region: str, year: int) -> tuple[Account, User, Student]:
    """A registered applicant applying for themself, with an ID number on no registry."""
    account = Account(unique_mobile(), PASSWORD, unique_name(surname))
    user = create_user(None, name=account.name, login=account.login, password=PASSWORD, role=Role.applicant)
    student = create_student(user, id_number=new_id_number(region, year), name=account.name, relation=Relation.self,
                             region_code="", phone="", school="")
    return account, user, student


def _one_place_course_with_a_waiting_list() -> dict:
    """A course of 海南省技师学院 with one place and no reserved ones: A admitted, B on the waiting list."""
    staff = find_by_login(STAFF_LOGIN)
    on = today()
    course = create_course(staff, staff.institution, {
        "title": f"育婴员（五级）周末班 {secrets.token_hex(3)}", "trade": "育婴员", "level": CourseLevel.junior,
        "kind": CourseKind.free_training, "mode": CourseMode.on_site, "region_code": "460106",
        "address": "海口市龙华区椰海大道368号", "schedule": "周六、周日 9:00–16:00", "hours": 40,
        "start_date": on + timedelta(days=30), "end_date": on + timedelta(days=60),
        "apply_opens": on - timedelta(days=3), "apply_closes": on + timedelta(days=20),
        "capacity": 1, "reserved_places": 0, "fee_fen": 0, "description": "周末上课，学习婴幼儿照护。"})
    change_status(staff, course, CourseStatus.published)
    first, first_user, first_student = _applicant_with_student("吴", "460106", 2006)
    second, second_user, second_student = _applicant_with_student("郑", "469030", 2007)
    transition(staff, submit_application(first_user, first_student, course, on), S.admitted)
    transition(staff, submit_application(second_user, second_student, course, on), S.waitlisted)
    return {"course": course.title, "first": first, "second": second}


def test_a_declined_place_goes_to_the_waiting_list(page: Page, open_page, log_in, demo_account, seed):
    seeded = seed(_one_place_course_with_a_waiting_list)
    course, first, second = seeded["course"], seeded["first"], seeded["second"]

    log_in(second)
    page.locator("header").get_by_role("link", name="我的报名").click()
    waiting = application_of(page, second.name, course)
    expect(waiting.locator(".tag.status-waitlisted")).to_have_text("候补中")
    expect(waiting.locator(".next-step")).to_contain_text("候补第1位")
    looks_right(page)

    # A gives the place up.
    admitted = open_page()
    log_in(first, on=admitted)
    admitted.locator("header").get_by_role("link", name="我的报名").click()
    offer = application_of(admitted, first.name, course)
    expect(offer.locator(".tag.status-admitted")).to_have_text("已录取")
    looks_right(admitted)
    # Giving a place up cannot be undone: the first press only opens a warning; from the keyboard too.
    expect(offer.get_by_role("button", name=re.compile("^确定放弃名额"))).to_be_hidden()
    offer.locator("summary", has_text="放弃名额…").focus()
    admitted.keyboard.press("Enter")
    confirm = offer.locator("details.confirm")
    expect(confirm).to_contain_text("放弃后，名额会马上让给等候的人，不能恢复。")
    looks_right(admitted)
    admitted.keyboard.press("Tab")
    expect(confirm.get_by_role("button", name=re.compile("^确定放弃名额"))).to_be_focused()
    admitted.keyboard.press("Enter")
    expect(admitted.locator("main .flash")).to_contain_text("已放弃这个名额，名额会让给候补的同学")
    expect(application_of(admitted, first.name, course).locator(".tag.status-declined")).to_have_text("已放弃")
    looks_right(admitted)

    # Staff see B promoted, by the portal itself.
    staff = staff_review_page(open_page(), log_in, demo_account("staff", "海南省技师学院"), course)
    expect(staff.locator("main tbody tr", has_text=first.name)).to_contain_text("已放弃")
    promoted = staff.locator("main tbody tr", has_text=second.name)
    expect(promoted).to_contain_text("已录取")
    looks_right(staff)
    promoted.get_by_role("link", name=second.name).click()
    expect(staff.locator("main .meta .tag.status-admitted")).to_have_text("已录取")
    expect(staff.locator("main .timeline")).to_contain_text("有名额空出，按候补顺序递补录取")
    expect(staff.locator("main")).to_contain_text("剩余名额0 / 1")
    looks_right(staff)

    # And B, on the page already open, sees the place once it reloads.
    page.reload()
    application = application_of(page, second.name, course)
    expect(application.locator(".tag.status-admitted")).to_have_text("已录取")
    expect(application.get_by_role("button", name=re.compile("^确认入学"))).to_be_visible()
    # Told twice: when put on the waiting list, and now.
    expect(page.locator("header").get_by_role("link", name=re.compile("^消息"))).to_contain_text("2条未读")
    looks_right(page)


# --- every enrollment page, on a phone, in both text sizes --------------------------------------------

def _family_with_applications_in_every_state(proofs: tuple[bytes, bytes]) -> dict:
    """A parent with a registry child and a child with uploaded proof, their applications to
    海南省技师学院 admitted, accepted, submitted, rejected and waitlisted."""
    staff = find_by_login(STAFF_LOGIN)
    on = today()
    poverty = [c for c in db.session.scalars(
        select(Course).where(Course.institution_id == staff.institution_id, Course.kind == CourseKind.poverty_class,
                             Course.status == CourseStatus.published, Course.reserved_places > Course.reserved_filled)
        .order_by(Course.id)) if c.application_state(on) == "open"][:3]
    assert len(poverty) == 3, "the demo has three open 扶贫班 at 海南省技师学院"
    [listed] = [p for p in REGISTRY if p.name == "陈家宝"]
    parent = Account(unique_mobile(), PASSWORD, "陈国强")
    user = create_user(None, name=parent.name, login=parent.login, password=PASSWORD, role=Role.applicant)
    registry_child = create_student(user, id_number=registry_id_number(listed), name=listed.name,
                                    relation=Relation.child, region_code="", phone="13976543210",
                                    school="五指山市第一中学")
    other_child = create_student(user, id_number=new_id_number("469001", 2008), name=unique_name("陈"),
                                 relation=Relation.child, region_code="", phone="", school="")
    add_document(user, other_child, "poverty_certificate", "贫困证明.png", proofs[0])
    add_document(user, other_child, "household_register", "户口簿首页.png", proofs[1])

    green = submit_application(user, registry_child, poverty[0], on)
    transition(user, submit_application(user, registry_child, poverty[1], on), S.accepted)
    pending = submit_application(user, other_child, poverty[0], on)
    transition(staff, submit_application(user, other_child, poverty[1], on), S.rejected, "本期名额已满，请报名下一期。")
    transition(staff, submit_application(user, other_child, poverty[2], on), S.waitlisted)
    assert green.status == S.admitted
    return {
        "applicant": (parent, {
            "my-applications": "/applications",
            "family": "/family",
            "add-student": "/family/students/new",
            "student-with-proof": f"/family/students/{other_child.id}",
            "edit-student-who-applied": f"/family/students/{registry_child.id}/edit",
            "apply": f"/courses/{poverty[2].id}/apply",
            "notifications": "/notifications",
        }),
        "staff": (None, {
            "queue": "/manage/applications",
            "queue-all-states": "/manage/applications?status=all",
            "review-with-proof": f"/manage/applications/{pending.id}",
            "review-registry-verified": f"/manage/applications/{green.id}",
            "notifications": "/notifications",
        }),
    }


@pytest.fixture(scope="module")
def family_pages(seed):
    return seed(_family_with_applications_in_every_state, (png("#d9c9a0"), png("#a0b9d9")))


PAGES = [("applicant", key) for key in ("my-applications", "family", "add-student", "student-with-proof",
                                        "edit-student-who-applied", "apply", "notifications")] + \
        [("staff", key) for key in ("queue", "queue-all-states", "review-with-proof", "review-registry-verified",
                                    "notifications")]


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize(("role", "key"), PAGES, ids=[f"{r}-{k}" for r, k in PAGES])
def test_enrollment_page_on_a_phone(open_page, log_in, demo_account, family_pages, role: str, key: str,
                                    elder: bool):
    account, pages = family_pages[role]
    phone = open_page(phone=True)
    if elder:
        phone.goto("/elder-mode/on")
    log_in(account or demo_account("staff", "海南省技师学院"), on=phone)
    response = phone.goto(pages[key])
    assert response.ok, f"{pages[key]} answered {response.status}"
    expect(phone.locator("h1")).to_be_visible()
    if elder:
        expect(phone.locator("html")).to_have_class("elder")
    assert phone.evaluate("window.innerWidth") == PHONE["width"]
    looks_right(phone)
    # A day or a state in an application's timeline is read whole: 已提交, never 已提 / 交.
    broken = phone.locator(".timeline .when, .timeline .what").evaluate_all(
        "spans => spans.filter(s => { const r = document.createRange(); r.selectNodeContents(s);"
        " return new Set([...r.getClientRects()].map(c => Math.round(c.top))).size > 1; }).map(s => s.textContent)")
    assert not broken, f"broken across lines: {broken}"


def test_student_form_with_errors_on_a_phone(open_page, log_in, family_pages):
    account, _ = family_pages["applicant"]
    phone = open_page(phone=True)
    phone.goto("/elder-mode/on")
    log_in(account, on=phone)
    phone.goto("/family/students/new")
    phone.get_by_label("学生身份证号").fill("469030200901015551")  # a wrong check digit
    phone.get_by_role("button", name="保存").click()
    expect(phone.get_by_role("alert")).to_be_visible()
    expect(phone.locator("#id_number-error")).to_contain_text("有一位填错了")
    expect(phone.locator("#name-error")).to_contain_text("请填写学生姓名")
    looks_right(phone)

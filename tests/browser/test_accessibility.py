"""axe-core finds no serious or critical WCAG problem on the pages people use most."""
import re
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal.demo import DEMO_ACCOUNTS

pytestmark = pytest.mark.browser

AXE = Axe()
BLOCKING = {"serious", "critical"}
# WCAG 2.0/2.1 A and AA, plus axe's best practices (landmarks, headings, skip link).
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}


def assert_accessible(page: Page) -> None:
    violations = [v for v in AXE.run(page, options=AXE_OPTIONS).response["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}\n"
        + "\n".join(f"    {' '.join(map(str, n['target']))}: {n['failureSummary']!s:.300}\n      {n['html']:.200}"
                    for n in v["nodes"][:8])
        for v in violations)
    assert not violations, f"axe found serious/critical violations on {page.url}:\n{report}"


def first_course_url(page: Page, query: str = "kind=poverty_class") -> str:
    page.goto(f"/courses?{query}")
    return page.locator("ul.cards > li.card h3 a").first.get_attribute("href")


PUBLIC_PAGES = {
    "home": "/",
    "catalog": "/courses",
    "catalog-filtered": "/courses?q=%E7%94%B5%E5%B7%A5&region=460000&kind=poverty_class&free_only=y",
    "catalog-no-results": "/courses?q=nothing-matches-this",
    "catalog-page-2": "/courses?page=2",
    "login": "/login",
    "forgot-password": "/forgot-password",
    "register": "/register",
}


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("path", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_public_page(page: Page, path: str, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    page.goto(path)
    if elder:
        expect(page.locator("html")).to_have_class("elder")
    assert_accessible(page)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_course_and_institution_pages(page: Page, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    page.goto(first_course_url(page))
    expect(page.get_by_role("heading", name="报名", exact=True)).to_be_visible()
    assert_accessible(page)
    page.locator("main dl.facts a").first.click()
    expect(page.get_by_role("heading", name="正在招生的课程")).to_be_visible()
    assert_accessible(page)


def test_course_page_with_a_fee_and_the_catalog_with_filters_open(page: Page):
    page.goto(first_course_url(page, "q=%E7%84%8A%E5%B7%A5%EF%BC%88%E4%B8%AD%E7%BA%A7%EF%BC%89"))  # 焊工（中级）
    assert_accessible(page)
    page.goto("/courses")
    page.get_by_text("更多筛选条件").click()
    expect(page.get_by_label("地区")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_register_page_showing_errors(page: Page, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    page.goto("/register")
    page.get_by_label("手机号或邮箱").fill("12345")
    page.get_by_label("密码", exact=True).fill("short")
    page.get_by_label("再次输入密码").fill("different")
    page.locator("main").get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("main p.error")).to_have_count(4)
    assert_accessible(page)


def test_login_page_showing_errors(page: Page):
    page.goto("/login")
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_staff_pages(page: Page, log_in, demo_account, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    log_in(demo_account("staff", "海南省技师学院"))
    assert_accessible(page)  # the review queue, where staff land
    page.goto("/manage/courses")
    assert_accessible(page)
    page.goto("/manage/courses/new")
    assert_accessible(page)
    # The form sent back with problems to fix.
    page.get_by_label("招生人数").fill("0")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_finance_start_page(page: Page, log_in, demo_account, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    log_in(demo_account("finance"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("补贴审核")
    assert_accessible(page)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_change_password_page_showing_errors(page: Page, log_in, demo_account, elder: bool):
    if elder:
        page.goto("/elder-mode/on")
    log_in(demo_account("applicant"))
    page.locator("header .who").click()  # opens the account's menu
    page.get_by_role("link", name="修改密码").click()
    assert_accessible(page)
    page.get_by_label("当前密码").fill("Cuowu12345")
    page.locator("main").get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("main p.error")).to_have_count(2)
    assert_accessible(page)


def test_password_reset_by_staff_and_the_forced_change(page: Page, open_page, log_in, demo_account):
    """李老师 resets 林晓燕's password on a 360 px phone; she logs in with it and must set her own."""
    staff = open_page(phone=True)
    log_in(demo_account("staff", "海南省技师学院"), on=staff)
    staff.get_by_role("link", name="林晓燕").first.click()
    staff.get_by_text("重置申请人的密码…").click()
    staff.get_by_role("button", name="重置申请人的密码").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("密码已重置")
    assert_accessible(staff)
    temporary = staff.locator(".temporary-password").inner_text()

    student = next(a for a in DEMO_ACCOUNTS if a.name == "林晓燕")
    log_in(SimpleNamespace(login=student.login, password=temporary, name=student.name))
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.get_by_text("您的密码已被重置")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(student.password)
    page.get_by_label("再次输入新密码").fill(student.password)
    page.locator("main").get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()

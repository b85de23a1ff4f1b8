"""Journeys through the portal as people take them: search, filter, read a course, register,
switch language and elder mode, and a member of staff publishing a course."""
import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from test_enrollment_journeys import PASSWORD, register, unique_mobile, unique_name

from portal.demo import SCHOOLS

pytestmark = pytest.mark.browser

HAINAN_SCHOOLS = {s.name for s in SCHOOLS if s.region_code.startswith("46")}


def card_titles(page: Page) -> list[str]:
    return page.locator("ul.cards > li.card h3").all_inner_texts()


def card_facts(page: Page, label: str) -> list[str]:
    """The value of the fact `label` (e.g. 学校) on every result card."""
    return page.locator("ul.cards > li.card").evaluate_all(
        """(cards, label) => cards.map(card => {
             const dt = [...card.querySelectorAll('dt')].find(d => d.textContent.trim() === label);
             return dt ? dt.nextElementSibling.textContent.trim() : null;
           })""", label)


def result_count(page: Page) -> int:
    text = page.locator("#results-title").inner_text()
    return int(re.search(r"\d[\d,]*", text).group().replace(",", ""))


def body_font_px(page: Page) -> float:
    page.wait_for_load_state("load")  # the stylesheet has been applied
    return page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")


def test_search_from_home_page_finds_courses_of_the_trade(page: Page):
    page.goto("/")
    search = page.get_by_role("search").get_by_label("搜索课程、工种或学校")
    search.fill("电工")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/courses\?q=%E7%94%B5%E5%B7%A5$"))
    expect(page.locator("h1")).to_have_text("找课程")
    titles = card_titles(page)
    assert titles, "searching 电工 found nothing"
    assert all("电工" in t for t in titles), titles
    assert result_count(page) == len(titles)
    expect(page.locator("main input[name=q]")).to_have_value("电工")


def test_filter_by_region_and_kind(page: Page):
    page.goto("/courses")
    everything = result_count(page)
    page.get_by_text("更多筛选条件").click()
    page.get_by_label("地区").select_option(label="海南省")
    page.get_by_label("类别").select_option(label="扶贫班")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"region=460000.*kind=poverty_class"))
    found = result_count(page)
    assert 0 < found < everything
    kinds = page.locator("ul.cards > li.card .tag[class*=kind-]").all_inner_texts()
    assert kinds and set(kinds) == {"扶贫班"}
    assert set(card_facts(page, "学校")) <= HAINAN_SCHOOLS
    # The form keeps the choices, so the visitor can see and change what they filtered on.
    expect(page.get_by_label("地区")).to_have_value("460000")
    expect(page.get_by_label("类别")).to_have_value("poverty_class")

    # Narrow to a city: only 三亚's college teaches there.
    page.get_by_label("地区").select_option(value="460200")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"region=460200"))
    assert 0 < result_count(page) < found
    assert set(card_facts(page, "学校")) == {"三亚技师学院"}


def test_course_page_shows_institution_application_and_benefits(page: Page):
    page.goto("/courses?kind=poverty_class")
    card = page.locator("ul.cards > li.card").first
    title = card.locator("h3").inner_text()
    school = card_facts(page, "学校")[0]
    card.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text(title)
    main = page.locator("main")
    expect(main.get_by_role("link", name=school)).to_be_visible()
    expect(main.get_by_role("heading", name="报名", exact=True)).to_be_visible()
    expect(main.get_by_role("heading", name="可以享受的政策")).to_be_visible()
    expect(main.locator(".apply")).to_contain_text("正在报名")
    expect(main).to_contain_text("免学费")
    main.get_by_role("link", name=school).click()
    expect(page.locator("h1")).to_have_text(school)
    expect(page.locator("main")).to_contain_text(title)


def test_register_log_out_and_log_in_again(page: Page):
    name, mobile = unique_name("张"), unique_mobile()
    register(page, name, mobile)  # to the header showing the new user's name
    header = page.locator("header")
    expect(header.get_by_role("link", name="登录")).to_have_count(0)

    header.locator(".who").click()  # opens the account's menu
    header.get_by_role("button", name="退出登录").click()
    expect(page.locator("main .flash")).to_contain_text("您已退出登录")
    expect(header.locator(".who")).to_have_count(0)

    header.get_by_role("link", name="登录").click()
    page.get_by_label("手机号或邮箱").fill(mobile)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(header.locator(".who")).to_have_text(name)


def test_wrong_password_is_refused_with_a_message(page: Page, demo_account):
    page.goto("/login")
    page.get_by_label("手机号或邮箱").fill(demo_account("applicant").login)
    page.get_by_label("密码").fill("not-the-password1")
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#password-error")).to_contain_text("密码不对")
    expect(page.locator("header .who")).to_have_count(0)


def test_switching_language_changes_the_interface_and_is_remembered(page: Page):
    page.goto("/courses")
    html, prefs = page.locator("html"), page.get_by_role("navigation", name="显示设置")
    main_nav = page.locator("header nav.main-nav")
    expect(html).to_have_attribute("lang", "zh-Hans")
    chinese_nav = main_nav.inner_text()

    prefs.get_by_role("link", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/courses$"))
    english_nav = main_nav.inner_text()
    hint = "still Chinese: are the catalogs compiled (make translations)?"
    assert english_nav != chinese_nav, hint
    assert not re.search(r"[\u4e00-\u9fff]", english_nav), f"{english_nav!r} {hint}"
    expect(page.locator("header .prefs [aria-current]")).to_have_text("English")

    main_nav.get_by_role("link").nth(1).click()  # log in: the next page stays in English
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/login"))
    assert not re.search(r"[\u4e00-\u9fff]", page.locator("h1").inner_text())

    page.locator("header .prefs").get_by_role("link", name="繁體中文").click()
    expect(html).to_have_attribute("lang", "zh-Hant")
    traditional_nav = main_nav.inner_text()
    assert "課程" in traditional_nav and "课程" not in traditional_nav, traditional_nav
    expect(page.locator("h1")).to_have_text(re.compile("^(登入|登錄)$"))
    page.goto("/")
    expect(html).to_have_attribute("lang", "zh-Hant")
    expect(main_nav).to_contain_text("找課程")

    page.locator("header .prefs").get_by_role("link", name="简体中文").click()
    expect(html).to_have_attribute("lang", "zh-Hans")
    expect(main_nav).to_contain_text("找课程")


def test_elder_mode_enlarges_text_and_is_remembered(page: Page):
    page.goto("/courses")
    html = page.locator("html")
    standard = body_font_px(page)
    prefs = page.get_by_role("navigation", name="显示设置")
    prefs.get_by_role("link", name="大字模式").click()
    expect(page).to_have_url(re.compile(r"/courses$"))
    expect(html).to_have_class("elder")
    large = body_font_px(page)
    assert large >= standard * 1.2, (standard, large)

    page.locator("ul.cards a").first.click()  # on to a course page
    expect(page).to_have_url(re.compile(r"/courses/\d+$"))
    expect(html).to_have_class("elder")
    assert body_font_px(page) == large

    page.get_by_role("navigation", name="显示设置").get_by_role("link", name="标准字号").click()
    expect(page).to_have_url(re.compile(r"/courses/\d+$"))
    expect(html).not_to_have_class("elder")
    assert body_font_px(page) == standard


def test_staff_create_publish_and_find_in_catalog(page: Page, log_in, new_context, demo_account):
    staff = demo_account("staff", "海南省技师学院")
    log_in(staff)
    title = f"光伏电站运维员免费培训 {secrets.token_hex(3)}"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()

    page.locator("header").get_by_role("link", name="本校课程").click()
    expect(page.locator("h1")).to_contain_text("海南省技师学院")
    page.locator("main").get_by_role("link", name="新建课程").click()
    expect(page.locator("h1")).to_have_text("新建课程")
    page.get_by_label("课程名称", exact=True).fill(title)
    page.get_by_label("职业（工种）", exact=True).fill("光伏电站运维员")
    page.get_by_label("等级", exact=True).select_option(label="初级工（五级）")
    page.get_by_label("类别", exact=True).select_option(label="免费培训")
    page.get_by_label("方式", exact=True).select_option(label="到校面授")
    expect(page.get_by_label("上课地区", exact=True)).to_have_value("460106")  # the institution's own district
    page.get_by_label("上课地址", exact=True).fill("海口市龙华区椰海大道368号 实训楼")
    page.get_by_label("上课安排", exact=True).fill("周一至周五 8:30–17:00")
    page.get_by_label("总课时", exact=True).fill("80")
    page.get_by_label("开课日期", exact=True).fill((today + timedelta(days=30)).isoformat())
    page.get_by_label("结束日期", exact=True).fill((today + timedelta(days=45)).isoformat())
    page.get_by_label("报名开始日期", exact=True).fill(today.isoformat())
    page.get_by_label("报名截止日期", exact=True).fill((today + timedelta(days=20)).isoformat())
    page.get_by_label("招生人数", exact=True).fill("30")
    page.get_by_label("绿色通道预留名额", exact=True).fill("10")
    page.get_by_label("费用（元）", exact=True).fill("0")
    page.get_by_label("课程介绍", exact=True).fill("学习光伏组件的巡检、清洗和故障排查。")
    page.get_by_label("报名方式", exact=True).fill("在本平台报名。")
    page.get_by_role("button", name="保存").click()

    expect(page.locator("main .flash")).to_contain_text("课程已保存")
    row = page.locator("main tr", has_text=title)
    expect(row).to_contain_text("草稿")
    row.get_by_role("button", name=re.compile("^发布")).click()
    expect(page.locator("main .flash")).to_contain_text(f"已发布“{title}”")
    expect(page.locator("main tr", has_text=title)).to_contain_text("已发布")

    # A visitor who is not logged in finds it by keyword and opens it.
    visitor = new_context().new_page()
    visitor.goto("/")
    search = visitor.get_by_role("search").get_by_label("搜索课程、工种或学校")
    search.fill("光伏电站运维员")
    search.press("Enter")
    expect(visitor.locator("ul.cards > li.card h3")).to_contain_text([title])
    visitor.get_by_role("link", name=title).click()
    expect(visitor.locator("h1")).to_have_text(title)
    expect(visitor.locator("main")).to_contain_text("海南省技师学院")
    expect(visitor.locator("main .apply")).to_contain_text("正在报名")

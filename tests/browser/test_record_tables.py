"""Staff's and the admin's tables on a 360 px phone: every column and action in view, nothing to scroll sideways;
and the course page's facts in 大字模式."""
import re

import pytest
from playwright.sync_api import Page, expect
from test_small_screen import PHONE, assert_fits, first_course_url

pytestmark = pytest.mark.browser

# Everything a table shows, and any part of the page, within the window: a table's wrapper that scrolls
# sideways hides its columns as surely as the page would.
OUT_OF_VIEW = """() => {
  const width = window.innerWidth;
  const shown = e => e.getClientRects().length && !e.closest('thead, .visually-hidden');
  const out = [...document.querySelectorAll('main table *')].filter(shown)
    .filter(e => { const r = e.getBoundingClientRect(); return r.left < -0.5 || r.right > width + 0.5; })
    .slice(0, 8).map(e => { const r = e.getBoundingClientRect(), text = e.textContent.trim().slice(0, 20);
      return `${e.tagName.toLowerCase()} "${text}" ${Math.round(r.left)}–${Math.round(r.right)}`; });
  const scrolling = [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth)
    .map(w => `.table-wrap ${w.scrollWidth} > ${w.clientWidth}`);
  return [...scrolling, ...out];
}"""


def assert_all_in_view(page: Page) -> None:
    assert_fits(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    out = page.evaluate(OUT_OF_VIEW)
    assert not out, f"{page.url}: outside a {PHONE['width']} px window: {out}"


def assert_in_view(locator) -> None:
    """The first control `locator` finds is shown, and all of it lies across the window's width."""
    control = locator.first
    expect(control).to_be_visible()
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{control} lies at {box}"


def staff_controls(page: Page) -> dict:
    return {
        "/manage/courses": [page.get_by_role("link", name=re.compile("^修改 ")),
                            page.get_by_role("button", name=re.compile("^(发布|重新发布) ")),
                            page.locator("main summary", has_text="关闭报名…"),
                            page.get_by_role("link", name=re.compile("^报名审核 ")),
                            page.locator("main td", has_text="已录取")],
        "/manage/applications?status=all": [page.get_by_role("checkbox", name=re.compile("^选择")),
                                            page.locator("main td", has_text=re.compile("^(是|否)$")),
                                            page.locator("main td", has_text=re.compile("^已"))],
    }


def admin_controls(page: Page) -> dict:
    return {
        "/admin/accounts": [page.locator("main summary", has_text="停用…"),
                            page.locator("main summary", has_text="重置密码…"),
                            page.locator("main td", has_text="在用"),
                            page.locator("main td", has_text="海南省技师学院")],
        "/admin/institutions": [page.get_by_role("link", name=re.compile("^修改 "))],
        "/admin/registry": [page.get_by_role("link", name=re.compile(r"^\d{4}\D\d")),
                            page.locator("main td", has_text="系统管理员")],
    }


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("role, controls", [("staff", staff_controls), ("admin", admin_controls)])
def test_tables_show_every_column_and_action_on_a_phone(open_page, log_in, demo_account, role, controls, elder):
    phone = open_page(phone=True)
    if elder:
        phone.goto("/elder-mode/on")
    log_in(demo_account(role, "海南省技师学院" if role == "staff" else None), on=phone)
    for path, wanted in controls(phone).items():
        assert phone.goto(path).ok
        assert phone.evaluate("window.innerWidth") == PHONE["width"]
        assert_all_in_view(phone)
        for locator in wanted:
            assert_in_view(locator)
    if role == "staff":  # the queue's checkboxes still pick applications for a decision in bulk
        pick = phone.get_by_role("checkbox", name=re.compile("^选择")).first
        pick.check()
        expect(pick).to_be_checked()


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_the_warnings_before_deactivating_and_resetting_fit_a_phone(open_page, log_in, demo_account, elder):
    phone = open_page(phone=True)
    if elder:
        phone.goto("/elder-mode/on")
    log_in(demo_account("admin"), on=phone)
    phone.goto("/admin/accounts")
    row = phone.get_by_role("row").filter(has_text="13800000002")
    row.locator("summary", has_text="停用…").click()
    expect(row).to_contain_text("不能再登录，已登录的设备也会立即退出登录。")
    assert_all_in_view(phone)
    assert_in_view(row.get_by_role("button", name=re.compile("^确定停用")))
    row.locator("summary", has_text="重置密码…").click()
    expect(row).to_contain_text("用临时密码登录后要马上设自己的新密码。")
    assert_all_in_view(phone)
    assert_in_view(row.get_by_role("button", name=re.compile("^确定重置密码")))


def assert_values_have_the_width(facts) -> None:
    """Each value of a list of facts has the list's width: its label is above it, not beside it."""
    width = facts.bounding_box()["width"]
    values = facts.locator("dd").evaluate_all("dds => dds.map(d => d.getBoundingClientRect().width)")
    assert values and min(values) >= 0.9 * width, f"values {values} beside labels in a list {width} px wide"


def test_course_facts_in_elder_mode_leave_the_values_the_width_of_a_phone(open_page):
    phone = open_page(phone=True)
    phone.goto("/elder-mode/on")
    phone.goto(first_course_url(phone))
    assert_values_have_the_width(phone.locator("main dl.facts").first)
    # A phone number broken across two lines is misread and misdialled.
    phone_number = phone.locator("main a[href^='tel:']").first
    expect(phone_number).to_be_visible()
    assert phone_number.evaluate("a => a.getClientRects().length") == 1


def test_a_familys_student_cards_in_elder_mode_read_each_value_on_its_own_lines(open_page, log_in, demo_account):
    """A grandmother in 大字模式 reads her grandchild's masked ID number and birth date whole, not broken."""
    phone = open_page(phone=True)
    phone.goto("/elder-mode/on")
    log_in(demo_account("applicant"), on=phone)
    phone.goto("/family")
    facts = phone.locator("main li.card dl.facts").first
    assert_values_have_the_width(facts)
    masked = facts.locator("dd").first
    expect(masked).to_have_text(re.compile(r"^\d{4}\*{10}\d{3}[\dX]$"))
    assert masked.evaluate("d => { const r = document.createRange(); r.selectNodeContents(d); "
                           "return r.getClientRects().length; }") == 1, "the masked ID number is broken across lines"

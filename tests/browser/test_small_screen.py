"""A cheap phone: 360 px wide, no horizontal scrolling; and everything reachable by keyboard."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PAGES = {
    "home": "/",
    "catalog": "/courses",
    "catalog-filtered": "/courses?q=%E7%94%B5%E5%B7%A5&region=460000&kind=poverty_class",
    "login": "/login",
    "register": "/register",
}

OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .filter(e => !e.closest('.table-wrap, .visually-hidden, .skip'))
    .slice(0, 8)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}`
              + `${e.className ? '.' + String(e.className).replace(/ /g, '.') : ''}`
              + ` right=${Math.round(e.getBoundingClientRect().right)}`);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide};
}"""


@pytest.fixture
def phone(new_context) -> Page:
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2).new_page()


def assert_fits(page: Page) -> None:
    """No sideways scrolling. Measured against the viewport asked for: a phone's browser zooms out
    to show a page wider than itself, and its window then reports the page's width."""
    result, width = page.evaluate(OVERFLOW), page.viewport_size["width"]
    assert result["scrollWidth"] <= width == result["innerWidth"], (
        f"{page.url} scrolls sideways at {width} px (scrollWidth {result['scrollWidth']}, window "
        f"{result['innerWidth']}); too wide: {result['wide']}")


def first_course_url(page: Page) -> str:
    page.goto("/courses?kind=poverty_class")
    return page.locator("ul.cards > li.card h3 a").first.get_attribute("href")


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_page_fits_a_phone(phone: Page, path: str, elder: bool):
    if elder:
        phone.goto("/elder-mode/on")
    phone.goto(path)
    assert phone.evaluate("window.innerWidth") == PHONE["width"]
    assert_fits(phone)
    if path.startswith("/courses"):
        if not phone.locator("details").evaluate("d => d.open"):
            phone.get_by_text("更多筛选条件").click()
        expect(phone.get_by_label("地区")).to_be_visible()
        assert_fits(phone)


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "elder"])
def test_course_and_institution_pages_fit_a_phone(phone: Page, elder: bool):
    if elder:
        phone.goto("/elder-mode/on")
    phone.goto(first_course_url(phone))
    expect(phone.get_by_role("heading", name="报名", exact=True)).to_be_visible()
    assert_fits(phone)
    phone.locator("main dl.facts a").first.click()
    expect(phone.get_by_role("heading", name="正在招生的课程")).to_be_visible()
    assert_fits(phone)


def test_register_errors_fit_a_phone(phone: Page):
    phone.goto("/elder-mode/on")
    phone.goto("/register")
    phone.locator("main").get_by_role("button", name="注册").click()
    expect(phone.get_by_role("alert")).to_be_visible()
    assert_fits(phone)


def test_logged_in_header_fits_a_phone(phone: Page, demo_account):
    who = demo_account("staff", "海南省技师学院")
    phone.goto("/elder-mode/on")
    phone.goto("/login")
    phone.get_by_label("手机号或邮箱").fill(who.login)
    phone.get_by_label("密码").fill(who.password)
    phone.locator("main").get_by_role("button", name="登录").click()
    expect(phone.locator("header .who")).to_have_text(who.name)
    assert_fits(phone)
    phone.goto("/manage/courses/new")
    assert_fits(phone)


@pytest.mark.parametrize("elder, most", [(False, 200), (True, 320)], ids=["standard", "elder"])
def test_a_familys_menu_leaves_the_page_in_view_on_a_phone(phone: Page, log_in, demo_account, elder: bool, most: int):
    """The account's own links (修改密码, 退出登录) open from its name: the header stays short enough for the
    page's heading to show above the fold, in elder mode too, and the links are a tap away without JavaScript."""
    who = demo_account("applicant")
    if elder:
        phone.goto("/elder-mode/on")
    log_in(who, on=phone)
    phone.goto("/applications")
    header = phone.locator("header.site")
    assert header.bounding_box()["height"] <= most
    logout = header.get_by_role("button", name="退出登录")
    expect(logout).to_be_hidden()
    header.locator(".who").click()
    expect(header.get_by_role("link", name="修改密码")).to_be_visible()
    assert_fits(phone)
    logout.click()
    expect(phone.locator("main .flash")).to_contain_text("您已退出登录")


def focused(page: Page) -> dict:
    return page.evaluate("""() => {
      const e = document.activeElement;
      return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className, href: e.getAttribute('href'),
              text: e.textContent.trim(), visible: !!(e.offsetWidth || e.offsetHeight)};
    }""")


@pytest.mark.parametrize("path", ["/", "/courses"])
def test_keyboard_reaches_skip_link_first_then_search(page: Page, path: str):
    page.goto(path)
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["cls"] == "skip" and first["href"] == "#main", first
    skip = page.locator("a.skip")
    expect(skip).to_be_in_viewport()  # it shows itself when focused
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["width"] > 0

    page.keyboard.press("Enter")  # follow it: the next Tab lands in the main content
    expect(page).to_have_url(re.compile(r"#main$"))
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main, focused(page)

    # From the top of the page, the search box is a few Tab presses away, never behind a mouse-only control.
    page.goto(path)
    search = page.get_by_role("search").get_by_role("searchbox")
    for _ in range(25):
        page.keyboard.press("Tab")
        if search.evaluate("e => e === document.activeElement"):
            break
    else:
        raise AssertionError(f"25 Tab presses from the top of {path} never reached the search box")
    page.keyboard.type("育婴员")
    page.keyboard.press("Enter")
    expect(page.locator("main input[name=q]")).to_have_value("育婴员")
    expect(page.locator("ul.cards > li.card").first).to_contain_text("育婴员")


def test_filters_work_by_keyboard_alone(page: Page):
    page.goto("/courses")
    summary = page.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")  # opens the filters
    expect(page.get_by_label("地区")).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "region"
    page.get_by_label("类别").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 全部类别 → 免费培训 → 扶贫班
    expect(page.get_by_label("类别")).to_have_value("poverty_class")
    page.get_by_role("button", name="筛选").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"kind=poverty_class"))
    kinds = page.locator("ul.cards > li.card .tag[class*=kind-]").all_inner_texts()
    assert kinds and set(kinds) == {"扶贫班"}


def test_long_english_labels_leave_room_on_a_phone(open_page, log_in, demo_account):
    """English field names and choices are longer than the Chinese: on a phone they wrap, and an audit entry's
    values keep a column wide enough to read, and each choice keeps a full-size radio button to tap."""
    page = log_in(demo_account("admin"), on=open_page(phone=True))
    page.goto("/lang/en?next=/admin/audit?object_type=registry_imports")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    values = page.locator("dl.changes dd").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
    assert values and min(values) > 120, values
    page.goto("/admin/registry")
    radios = page.locator(".field.check input[type=radio]").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(radios) == 2 and min(radios) >= 24, radios
    assert_fits(page)


def test_a_courses_action_links_stand_apart_on_a_phone(open_page, log_in, demo_account):
    """Staff's 修改 and 报名审核 beside each other are two taps, not one run of words: in English they would
    read as "Edit Review applications"."""
    page = log_in(demo_account("staff"), on=open_page(phone=True))
    page.goto("/lang/en?next=/manage/courses")
    edit, review = (page.locator("td.actions > a").nth(i).bounding_box() for i in range(2))
    if abs(review["y"] - edit["y"]) < 4:  # on one line: a clear gap between them
        assert review["x"] - (edit["x"] + edit["width"]) >= 12, (edit, review)
    else:  # each on a line of its own, neither running into the other
        assert review["y"] >= edit["y"] + edit["height"], (edit, review)
    assert min(edit["height"], review["height"]) >= 24
    assert_fits(page)

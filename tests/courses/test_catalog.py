"""The public catalog at /courses: keyword search, filters, sorting, paging, what a result card
shows, what is never listed, bad filter values, and a fixed number of queries per page."""
import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import format_date

from portal.auth.models import Role
from portal.courses.models import CourseKind, CourseLevel, CourseMode, CourseStatus
from portal.db import today

PAGE_SIZE = 20


def catalog(client, **params):
    response = client.get("/courses", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.text


def titles(page: str) -> list[str]:
    """The course titles on the result cards, in the order shown."""
    return [html.unescape(t) for t in re.findall(r'<h3><a href="/courses/\d+">(.*?)</a></h3>', page)]


def listed(client, **params) -> list[str]:
    return titles(catalog(client, **params))


def total(page: str) -> int:
    return int(re.search(r"找到 ([\d,]+) 门课程", page).group(1).replace(",", ""))


def card(page: str, title: str) -> str:
    """The HTML of the one result card whose heading is `title`."""
    cards = [c for c in re.findall(r'<li class="card">.*?\n</li>', page, re.S) if f">{title}</a></h3>" in c]
    assert len(cards) == 1, f"expected one card titled {title!r}"
    return cards[0]


def benefits(card_html: str) -> list[str]:
    block = re.search(r'<ul class="benefits">(.*?)</ul>', card_html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def days(n: int):
    return today() + timedelta(days=n)


# --- keyword ---------------------------------------------------------------------------------

@pytest.fixture
def keyword_courses(make_course, make_institution):
    haikou = make_institution(name="海口市高级技工学校")
    sanya = make_institution(name="三亚市技工学校", region_code="460200")
    make_course(title="厨房帮工班", trade="中式烹调师", institution=haikou)
    make_course(title="农村电工扶贫班", trade="电工", institution=sanya)
    make_course(title="育婴员培训", trade="育婴员", institution=haikou)


@pytest.mark.parametrize("q, expected", [
    ("帮工", ["厨房帮工班"]),               # title
    ("烹调", ["厨房帮工班"]),               # trade only: not in the title
    ("三亚", ["农村电工扶贫班"]),           # institution name only
    ("海口", ["厨房帮工班", "育婴员培训"]),
    ("电工 三亚", ["农村电工扶贫班"]),      # every word must match somewhere
    ("电工 海口", []),
    ("  育婴员  ", ["育婴员培训"]),
    ("焊工", []),
    ("電工 三亞", ["农村电工扶贫班"]),      # typed in Traditional characters, as a phone set to them types
    ("廚房幫工", ["厨房帮工班"]),
])
def test_keyword_matches_title_trade_and_institution(client, keyword_courses, q, expected):
    assert sorted(listed(client, q=q)) == sorted(expected)


@pytest.mark.parametrize("q, expected", [
    ("电工（初级）扶贫班", ["电工（初级）扶贫班"]),
    ("电工扶贫班", ["电工（初级）扶贫班"]),  # run together, as typed on a phone: the trade and the kind
    ("三亚电工", ["电工（初级）扶贫班"]),
    ("海口电工", []),
    ("焊工扶贫班", []),
])
def test_keywords_run_together_are_split_around_the_trades_and_kinds(client, make_course, make_institution, q,
                                                                    expected):
    sanya = make_institution(name="三亚市技工学校", region_code="460200")
    make_course(title="电工（初级）扶贫班", trade="电工", institution=sanya)
    make_course(title="焊工（初级）短期培训", trade="焊工", kind="free_training")
    assert listed(client, q=q) == expected


def test_keyword_with_like_wildcards_is_taken_literally(client, keyword_courses):
    assert listed(client, q="%") == []
    assert listed(client, q="_") == []


# --- filters ---------------------------------------------------------------------------------

@pytest.fixture
def regional_courses(make_course):
    for title, code in [("海口市课程", "460100"), ("秀英区课程", "460105"), ("琼中课程", "469030"),
                        ("海棠区课程", "460202"), ("吉阳区课程", "460203"), ("广州课程", "440100")]:
        make_course(title=title, region_code=code)


@pytest.mark.parametrize("region, expected", [
    ("460000", ["海口市课程", "秀英区课程", "琼中课程", "海棠区课程", "吉阳区课程"]),  # province: all of Hainan
    ("460100", ["海口市课程", "秀英区课程"]),  # city: itself and its districts
    ("460200", ["海棠区课程", "吉阳区课程"]),  # Sanya: only its own counties
    ("469030", ["琼中课程"]),                   # county: exact
    ("460105", ["秀英区课程"]),
    ("440000", ["广州课程"]),
])
def test_region_filter_covers_divisions_inside_it(client, regional_courses, region, expected):
    assert sorted(listed(client, region=region)) == sorted(expected)


def test_filters_by_trade_level_kind_and_mode(client, make_course):
    make_course(title="电工班", trade="电工", level=CourseLevel.junior, kind=CourseKind.poverty_class,
                mode=CourseMode.on_site)
    make_course(title="焊工班", trade="焊工", level=CourseLevel.intermediate, kind=CourseKind.free_training,
                mode=CourseMode.village)
    make_course(title="远程电工班", trade="电工", level=CourseLevel.intermediate, kind=CourseKind.regular,
                mode=CourseMode.remote, fee_fen=100000)

    assert sorted(listed(client, trade="电工")) == ["电工班", "远程电工班"]
    assert sorted(listed(client, level="intermediate")) == ["焊工班", "远程电工班"]
    assert listed(client, kind="free_training") == ["焊工班"]
    assert listed(client, mode="village") == ["焊工班"]
    assert listed(client, mode="remote", trade="电工") == ["远程电工班"]
    assert listed(client, trade="电工", level="junior", kind="poverty_class", mode="on_site") == ["电工班"]
    assert listed(client, trade="电工", kind="free_training") == []


def test_free_only_hides_paid_courses(client, make_course):
    make_course(title="免费班", fee_fen=0)
    make_course(title="收费班", kind=CourseKind.regular, fee_fen=280000)
    assert sorted(listed(client)) == ["免费班", "收费班"]
    assert listed(client, free_only="y") == ["免费班"]


def test_green_left_shows_only_courses_with_reserved_places_still_free(client, make_course):
    make_course(title="还有名额", reserved_places=10, reserved_filled=3, seats_filled=3)
    make_course(title="名额已满", reserved_places=10, reserved_filled=10, seats_filled=10)
    make_course(title="没有预留", reserved_places=0)
    assert listed(client, green_left="y") == ["还有名额"]


def test_within_days_limits_by_start_date(client, make_course):
    make_course(title="十天后开课", start_date=days(10), apply_closes=days(5))
    make_course(title="六十天后开课", start_date=days(60))
    make_course(title="两百天后开课", start_date=days(200), end_date=days(300))
    assert listed(client, within_days="30") == ["十天后开课"]
    assert listed(client, within_days="90") == ["十天后开课", "六十天后开课"]
    assert len(listed(client)) == 3


# --- sorting ---------------------------------------------------------------------------------

def test_sort_by_start_date_or_by_seats_left(client, make_course):
    make_course(title="最早开课", start_date=days(21), capacity=40, seats_filled=35, reserved_places=5)
    make_course(title="其次开课", start_date=days(40), capacity=40, seats_filled=0)
    make_course(title="最晚开课", start_date=days(90), capacity=60, seats_filled=10)

    assert listed(client) == ["最早开课", "其次开课", "最晚开课"]
    assert listed(client, sort="start") == ["最早开课", "其次开课", "最晚开课"]
    # seats left: 50, 40, 5
    assert listed(client, sort="seats") == ["最晚开课", "其次开课", "最早开课"]


# --- paging ----------------------------------------------------------------------------------

@pytest.fixture
def many_courses(make_course, make_institution):
    """25 electrician courses starting one day apart, and 3 welding courses."""
    institution = make_institution()
    for n in range(1, 26):
        make_course(title=f"电工第{n:02d}期", trade="电工", institution=institution, start_date=days(30 + n),
                    end_date=days(200))
    for n in range(1, 4):
        make_course(title=f"焊工第{n}期", trade="焊工", institution=institution, start_date=days(25),
                    end_date=days(200))


def pager_link(page: str, rel: str) -> dict[str, list[str]] | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    return parse_qs(urlsplit(html.unescape(match.group(1))).query) if match else None


def test_pages_of_twenty(client, many_courses):
    first = catalog(client, q="电工")
    assert total(first) == 25
    assert titles(first) == [f"电工第{n:02d}期" for n in range(1, 21)]
    assert "第 1 / 2 页" in first
    assert pager_link(first, "prev") is None

    second = catalog(client, q="电工", page="2")
    assert total(second) == 25
    assert titles(second) == [f"电工第{n:02d}期" for n in range(21, 26)]
    assert "第 2 / 2 页" in second
    assert pager_link(second, "next") is None


def test_a_page_past_the_end_goes_to_the_last_page_keeping_the_filters(client, many_courses):
    response = client.get("/courses", query_string={"q": "电工", "page": "7"})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"q": ["电工"], "page": ["2"]}
    assert titles(client.get(response.headers["Location"]).text) == [f"电工第{n:02d}期" for n in range(21, 26)]


def test_pager_links_keep_the_filters(client, many_courses):
    first = catalog(client, q="电工", region="460000", kind="poverty_class", sort="start")
    link = pager_link(first, "next")
    assert link == {"q": ["电工"], "region": ["460000"], "kind": ["poverty_class"], "sort": ["start"],
                    "page": ["2"]}

    second = client.get("/courses", query_string={k: v[0] for k, v in link.items()}).text
    assert titles(second) == [f"电工第{n:02d}期" for n in range(21, 26)]
    assert pager_link(second, "prev") == {"q": ["电工"], "region": ["460000"], "kind": ["poverty_class"],
                                          "sort": ["start"], "page": ["1"]}


# --- what is listed --------------------------------------------------------------------------

def test_only_published_courses_still_taking_applications_are_listed(client, make_course):
    make_course(title="正在报名")
    make_course(title="尚未开始报名", apply_opens=days(3), apply_closes=days(10))
    make_course(title="今天截止", apply_closes=today())
    make_course(title="草稿", status=CourseStatus.draft)
    make_course(title="已关闭", status=CourseStatus.closed)
    make_course(title="昨天截止", apply_opens=days(-30), apply_closes=days(-1))

    page = catalog(client)
    assert sorted(titles(page)) == sorted(["正在报名", "尚未开始报名", "今天截止"])
    assert total(page) == 3
    assert listed(client, q="草稿") == [] and listed(client, q="已关闭") == [] and listed(client, q="昨天") == []


def test_result_card_shows_institution_start_duration_seats_and_benefits(client, make_course, make_institution):
    school = make_institution(name="琼中县职业技术学校")
    start = days(30)
    make_course(title="电工扶贫班", institution=school, start_date=start, end_date=start + timedelta(days=19),
                hours=120, capacity=40, seats_filled=5, reserved_places=10, reserved_filled=3,
                fee_fen=0, fee_waiver=True, national_grant=True, living_allowance=True)
    make_course(title="收费普通班", kind=CourseKind.regular, fee_fen=280000, reserved_places=0,
                fee_waiver=False, national_grant=False, living_allowance=False)

    page = catalog(client)
    poverty = card(page, "电工扶贫班")
    assert "琼中县职业技术学校" in poverty
    assert format_date(start, "medium", locale="zh_Hans_CN") in poverty
    assert "20天" in poverty and "120课时" in poverty
    assert "35（绿色通道 7）" in poverty
    assert benefits(poverty) == ["免费", "免学费", "国家助学金", "生活补助"]

    paid = card(page, "收费普通班")
    assert benefits(paid) == []
    assert "绿色通道" not in paid


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"kind": "bogus"}, {"level": "master"}, {"mode": "teleport"}, {"region": "999999"}, {"region": "46"},
    {"within_days": "abc"}, {"within_days": "7"}, {"sort": "price"}, {"page": "abc"}, {"page": "0"},
    {"page": "-3"}, {"free_only": "maybe"}, {"q": "电" * 200},
    {"kind": "bogus", "region": "999999", "page": "abc", "trade": "电工"},
])
def test_invalid_filter_values_are_ignored(client, make_course, params):
    make_course(title="电工扶贫班", trade="电工")
    response = client.get("/courses", query_string=params)
    assert response.status_code == 200
    if "q" not in params:
        assert titles(response.text) == ["电工扶贫班"]


def test_absurd_page_number_goes_to_the_last_page_not_an_error(client, make_course):
    make_course(title="电工扶贫班")
    response = client.get("/courses", query_string={"page": "9" * 30})
    assert response.status_code == 302
    assert titles(client.get(response.headers["Location"]).text) == ["电工扶贫班"]


# --- queries per page ------------------------------------------------------------------------


def add_courses(make_course, n: int):
    for i in range(n):
        make_course(title=f"电工扶贫班{i}", trade="电工" if i % 2 else "焊工电工", region_code="460100",
                    start_date=days(25 + i % 40), end_date=days(200))


@pytest.mark.parametrize("params, as_applicant", [
    ({}, False),
    ({"q": "电工", "region": "460000", "kind": "poverty_class"}, False),
    ({"sort": "seats", "green_left": "y"}, False),
    ({}, True),
    ({"q": "电工", "region": "460000", "kind": "poverty_class"}, True),
])
def test_catalog_runs_a_fixed_number_of_queries(count_queries, client, db, make_course, make_user, login, params,
                                                as_applicant):
    if as_applicant:
        client = login(make_user(role=Role.applicant))

    statements_seen: list[str] = []

    def queries_for_page() -> int:
        db.session.expire_all()  # as in a real request, which starts with an empty session
        with count_queries() as statements:
            page = client.get("/courses", query_string=params).text
        assert titles(page), "the page should list courses"
        statements_seen.append([s[:100] for s in statements])
        return len(statements)

    add_courses(make_course, 5)
    with_five = queries_for_page()
    add_courses(make_course, 45)
    with_fifty = queries_for_page()
    assert with_five == with_fifty, statements_seen
    assert with_fifty <= 6, statements_seen


def test_count_stops_at_the_cap_and_says_so(client, make_course, monkeypatch):
    monkeypatch.setattr("portal.courses.services.COUNT_CAP", 3)
    add_courses(make_course, 5)
    page = client.get("/courses").text
    assert "找到 3 多门课程" in page
    assert len(titles(page)) == 5  # the page itself still lists every match


def test_keywords_match_full_width_and_any_case(client, make_course):
    make_course(title="PLC编程（中级）", trade="电工")
    assert listed(client, q="ｐｌｃ") == ["PLC编程（中级）"]
    assert listed(client, q="plc 电工") == ["PLC编程（中级）"]


def test_an_edited_title_is_what_the_search_finds(client, make_course, make_user, login):
    course = make_course(title="面点速成班", trade="中式面点师")
    login(make_user(role=Role.staff, institution_id=course.institution_id))
    fields = ("trade", "level", "kind", "mode", "region_code", "hours", "start_date", "end_date", "apply_opens",
              "apply_closes", "capacity", "reserved_places")
    data = {name: str(getattr(course, name)) for name in fields}
    data.update(title="西式面点师培训", fee_yuan="0")
    assert client.post(f"/manage/courses/{course.id}/edit", data=data).status_code == 302
    client.post("/logout")
    assert listed(client, q="西式") == ["西式面点师培训"]
    assert listed(client, q="速成") == []

"""The admin imports an update to the poverty registry, and a family already on the portal is recognised.

axe runs on every page the journey touches: the registry's pages for the admin, the family's on a
360 px phone.
"""
import csv
import io
import secrets
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from stdnum.cn import ric
from test_accessibility import assert_accessible
from test_enrollment_journeys import PASSWORD, Account, looks_right, unique_mobile, unique_name
from test_record_tables import assert_all_in_view

from portal.auth.models import Role
from portal.auth.services import create_user
from portal.families.models import Relation
from portal.families.services import create_student

pytestmark = pytest.mark.browser

HEADER = ["姓名", "身份证号", "户编号", "与户主关系", "行政区划代码", "县", "乡镇", "村", "识别年度", "脱贫状态",
          "是否低保"]


def fresh_id_number() -> str:
    """A valid 身份证号 of a Qiongzhong child, with a serial no other browser test uses."""
    born = date(2009, 1, 1) + timedelta(days=secrets.randbelow(365))
    body = f"469030{born:%Y%m%d}{900 + secrets.randbelow(100):03d}"
    return body + ric.calc_check_digit(body + "0")


def _family_with_an_unlisted_child(name: str, number: str) -> Account:
    parent = Account(unique_mobile(), PASSWORD, unique_name("王"))
    user = create_user(None, name=parent.name, login=parent.login, password=PASSWORD, role=Role.applicant)
    create_student(user, id_number=number, name=name, relation=Relation.child, region_code="", phone="",
                   school="琼中县湾岭中学")
    return parent


def gbk_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("gbk")


def test_admin_imports_an_update_and_the_family_is_recognised(page, open_page, log_in, demo_account, seed):
    child, number = unique_name("王"), fresh_id_number()
    family = seed(_family_with_an_unlisted_child, child, number)
    wrong_check_digit = number[:17] + ("0" if number[17] != "0" else "1")
    listed = ["4690300010099", "469030", "琼中黎族苗族自治县", "湾岭镇", "岭头村", "2016", "已脱贫", "否"]
    data = gbk_csv([[child, number, listed[0], "之子", *listed[1:]],
                    ["王某", wrong_check_digit, listed[0], "户主", *listed[1:]],
                    [child, number, listed[0], "之子", *listed[1:]],  # listed again exactly: counted once
                    [child, number, listed[0], "孙子", *listed[1:]]])  # listed again differently: refused

    log_in(demo_account("admin"))
    page.get_by_role("link", name="建档立卡名单").click()
    expect(page.get_by_role("heading", name="导入名单")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("名单文件").set_input_files(files=[{"name": "2026年补充名单.csv", "mimeType": "text/csv",
                                                        "buffer": data}])
    page.get_by_label("部分名单").check()  # an update: people it does not list stay listed
    page.get_by_role("button", name="导入").click()

    expect(page.locator("main")).to_contain_text("已完成")
    facts = page.locator("main dl.facts").last  # after the batch's own facts: what it did
    expect(facts).to_contain_text("新增1")
    expect(facts).to_contain_text("被拒绝的行2")
    expect(facts).to_contain_text("重复列出的行1（与前面某行所列相同，只计一次）")
    expect(facts).to_contain_text("平台中核验状态随之改变的学生1")
    rejections = page.get_by_role("table")
    expect(rejections).to_contain_text("身份证号有一位填错了")
    expect(rejections).to_contain_text("身份证号与第 2 行相同")
    assert number not in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="建档立卡名单").click()
    page.get_by_role("textbox", name="身份证号").fill(number)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(child)
    expect(page.locator("main")).to_contain_text(number[:4] + "*" * 10 + number[-4:])
    assert_accessible(page)

    phone = open_page(phone=True)
    log_in(family, on=phone)
    expect(phone.locator("header")).to_contain_text("消息")
    phone.locator("header").get_by_role("link", name="消息").click()  # the menu's link, not a page's 看消息
    expect(phone.locator("main")).to_contain_text(f"{child}已通过建档立卡名单核验")
    looks_right(phone)
    phone.get_by_role("link", name="我的家庭").click()
    expect(phone.locator("main")).to_contain_text("建档立卡已核验")
    looks_right(phone)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def per_township_workbook(towns: dict[str, list[list[str]]]) -> bytes:
    """A workbook with one sheet per township, each with the list's header, then its rows."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for town, rows in towns.items():
        sheet = workbook.create_sheet(town)
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_admin_imports_a_list_sent_as_one_sheet_per_township_on_a_phone(open_page, log_in, demo_account):
    """The result names the sheets read, and each refused row its sheet, at 360 px, in Chinese and
    in English: each refused row a card with every column in view."""
    first, second = fresh_id_number(), fresh_id_number()
    town = ["469030", "琼中黎族苗族自治县"]
    data = per_township_workbook({
        "湾岭镇": [["王一", first, "4690300020001", "户主", *town, "湾岭镇", "岭头村", "2016", "已脱贫", "否"]],
        "黎母山镇": [["王二", second, "4690300020002", "户主", *town, "黎母山镇", "榕木村", "2016", "已脱贫", "否"],
                    ["王三", first, "4690300020003", "户主", *town, "黎母山镇", "榕木村", "2016", "已脱贫", "否"]],
    })

    phone = open_page(phone=True)
    log_in(demo_account("admin"), on=phone)
    phone.goto("/admin/registry")
    workbook = {"name": "琼中县名单.xlsx", "mimeType": XLSX, "buffer": data}
    phone.get_by_label("名单文件").set_input_files(files=[workbook])
    phone.get_by_label("部分名单").check()
    phone.get_by_role("button", name="导入").click()

    expect(phone.locator("main")).to_contain_text("已完成")
    expect(phone.locator("main dl.facts").first).to_contain_text("读取的工作表湾岭镇、黎母山镇")
    expect(phone.locator("main")).to_contain_text("请在原文件中按工作表和行号找到并改正")
    rejected = phone.get_by_role("table").get_by_role("row").last
    expect(rejected.get_by_role("rowheader")).to_have_text("第 3 行")
    expect(rejected.get_by_role("cell", name="工作表 黎母山镇")).to_be_visible()  # the card names its column
    expect(rejected).to_contain_text("身份证号与“湾岭镇”工作表第 2 行相同")
    looks_right(phone)
    assert_all_in_view(phone)

    phone.get_by_role("link", name="English").click()  # longer labels, as in "Students on the portal whose …"
    expect(phone.locator("main dl.facts").first).to_contain_text("Sheets read湾岭镇, 黎母山镇")
    expect(rejected).to_contain_text("Same ID card number as row 2 of sheet “湾岭镇”")
    looks_right(phone)
    assert_all_in_view(phone)

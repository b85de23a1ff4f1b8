"""The administrator's pages pass axe and fit a 360 px phone, and an admin deactivates the account of a
teacher who has left, and exports the audit log."""
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select
from test_accessibility import assert_accessible
from test_enrollment_journeys import PASSWORD, Account, unique_mobile, unique_name
from test_small_screen import assert_fits

from portal.auth.models import Role
from portal.auth.services import create_user, find_by_login
from portal.db import db
from portal.institutions.models import Institution

pytestmark = pytest.mark.browser

ADMIN_PAGES = {
    "accounts": "/admin/accounts",
    "family-account-found": "/admin/accounts?find-family=13800000001",
    "institutions": "/admin/institutions",
    "new-institution": "/admin/institutions/new",
    "registry": "/admin/registry",
    "audit-log": "/admin/audit",
}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", ADMIN_PAGES.values(), ids=ADMIN_PAGES.keys())
def test_admin_page(open_page, log_in, demo_account, path: str, phone: bool):
    page = log_in(demo_account("admin"), on=open_page(phone=phone))
    response = page.goto(path)
    assert response.ok, f"{path} answered {response.status}"
    assert_accessible(page)
    assert_fits(page)


def _teacher(admin_login: str) -> Account:
    institution_id = db.session.scalar(select(Institution.id).order_by(Institution.id).limit(1))
    teacher = Account(unique_mobile(), PASSWORD, unique_name("林"))
    create_user(find_by_login(admin_login), name=teacher.name, login=teacher.login, password=PASSWORD,
                role=Role.staff, institution_id=institution_id)
    return teacher


def test_admin_deactivates_the_account_of_a_teacher_who_has_left(page, open_page, log_in, demo_account, seed):
    admin = demo_account("admin")
    teacher = seed(_teacher, admin.login)
    teachers_page = log_in(teacher, on=open_page())

    log_in(admin)
    page.get_by_role("link", name="账号管理").click()
    row = page.get_by_role("row").filter(has_text=teacher.login)
    expect(row).to_contain_text("在用")
    # Deactivating ends the teacher's sessions at once: the first press only opens a warning.
    confirm = row.get_by_role("button", name=f"确定停用 {teacher.name}")
    expect(confirm).to_be_hidden()
    row.locator("summary", has_text="停用…").click()
    expect(row).to_contain_text(f"停用后，{teacher.name} 不能再登录，已登录的设备也会立即退出登录。")
    confirm.click()

    expect(page.get_by_role("status")).to_contain_text(f"已停用 {teacher.name} 的账号")
    expect(page.get_by_role("row").filter(has_text=teacher.login)).to_contain_text("已停用")
    assert_accessible(page)

    teachers_page.reload()
    expect(teachers_page.locator("header")).not_to_contain_text(teacher.name)
    teachers_page.goto("/login")
    teachers_page.get_by_label("手机号或邮箱").fill(teacher.login)
    teachers_page.get_by_label("密码").fill(teacher.password)
    teachers_page.locator("main").get_by_role("button", name="登录").click()
    expect(teachers_page.locator("main")).to_contain_text("这个账号已停用")


def test_admin_exports_the_audit_log_at_once_or_in_the_background(open_page, log_in, demo_account, live_app,
                                                                  monkeypatch):
    """A short export downloads at once; a long one is written in the background, its page shows when it is
    done, and its file downloads from there, on a phone."""
    phone = log_in(demo_account("admin"), on=open_page(phone=True))
    phone.goto("/admin/audit")
    export = phone.get_by_role("button", name="导出符合条件的全部记录（Excel）")
    with phone.expect_download() as short:
        export.click()
    assert sheet_header(short.value)[0] == "时间"

    monkeypatch.setitem(live_app.config, "AUDIT_EXPORT_IN_REQUEST", 0)
    export.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("导出操作日志")
    expect(phone.locator("main dl.facts")).to_contain_text("已完成")
    assert_accessible(phone)
    assert_fits(phone)
    with phone.expect_download() as long:
        phone.get_by_role("link", name="下载 Excel 文件").click()
    assert sheet_header(long.value) == sheet_header(short.value)

    phone.get_by_role("link", name="返回操作日志").click()
    phone.locator("summary", has_text="我的导出").click()
    expect(phone.locator("details.exports li").first).to_contain_text("已完成")
    assert_accessible(phone)


def sheet_header(download) -> tuple:
    """The downloaded workbook's first row."""
    assert download.suggested_filename.startswith("操作日志-") and download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        return next(load_workbook(io.BytesIO(saved.read())).active.iter_rows(values_only=True))

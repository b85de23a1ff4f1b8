"""The admin makes staff accounts (bound to an institution) and finance accounts (bound to a region)."""
import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User
from portal.notifications.models import Notification

PASSWORD = "Zhanghao2024"


@pytest.fixture
def admin_client(make_user, login):
    return login(make_user(Role.admin, name="人社管理员"))


def create_account(client, role: str, login="13611112222", institution_id=0, region_code=""):
    return client.post("/admin/accounts", data={
        "name": "新账号", "login": login, "password": PASSWORD, "role": role,
        "institution_id": str(institution_id), "region_code": region_code})


def account(db, mobile: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.mobile == mobile))


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_staff_account_bound_to_an_institution(admin_client, db, make_institution):
    college = make_institution(name="海南省技师学院")
    response = create_account(admin_client, "staff", institution_id=college.id)

    assert response.status_code == 302 and response.location.endswith("/admin/accounts")
    staff = account(db, "13611112222")
    assert staff.role == Role.staff and staff.institution_id == college.id and staff.region_code is None
    listing = admin_client.get("/admin/accounts").text
    assert "账号已创建" in listing and "13611112222" in listing and "海南省技师学院" in listing


def test_new_staff_account_can_log_in_and_manage_its_courses(admin_client, make_institution, make_course):
    college = make_institution()
    make_course(institution=college, title="本校育婴员培训")
    create_account(admin_client, "staff", institution_id=college.id)
    admin_client.post("/logout")

    browser = admin_client
    assert browser.post("/login", data={"login": "13611112222", "password": PASSWORD}).status_code == 302
    # The admin knows the initial password: the holder first replaces it with one only they know.
    first = browser.get("/manage/courses", follow_redirects=True)
    assert first.request.path == "/account/password" and "管理员开账号时设的初始密码" in first.text
    assert "您的密码已被重置" not in first.text
    changed = browser.post("/account/password", data={"current": PASSWORD, "password": "Ziji2024mima",
                                                      "confirm": "Ziji2024mima"})
    assert changed.status_code == 302
    assert "本校育婴员培训" in browser.get("/manage/courses").text


def test_admin_creates_finance_account_bound_to_a_region(admin_client, db):
    response = create_account(admin_client, "finance", region_code="460000")

    assert response.status_code == 302
    officer = account(db, "13611112222")
    assert officer.role == Role.finance and officer.region_code == "460000" and officer.institution_id is None


def test_account_creation_is_audited(admin_client, db, make_institution):
    college = make_institution()
    create_account(admin_client, "staff", institution_id=college.id)
    staff = account(db, "13611112222")

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                       AuditEntry.object_id == staff.id))
    admin = db.session.scalar(select(User).where(User.name == "人社管理员"))
    assert entry.object_type == "users" and entry.actor_id == admin.id
    assert entry.after == {"role": "staff", "institution_id": college.id, "region_code": None}


@pytest.mark.parametrize("role, message", [("staff", "机构工作人员必须选择所属机构"),
                                           ("finance", "财务人员必须选择所属地区")])
def test_staff_needs_an_institution_and_finance_a_region(admin_client, db, role, message):
    before = user_count(db)
    response = create_account(admin_client, role)

    assert response.status_code == 200 and message in response.text
    assert user_count(db) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "user.create")) == 0


def test_account_with_a_taken_login_is_refused(admin_client, db, make_user):
    make_user(mobile="13611112222")
    before = user_count(db)
    response = create_account(admin_client, "finance", region_code="460000")
    # The admin is told to pick another login, not to log in as a person registering is.
    assert response.status_code == 200 and "已有账号用这个手机号或邮箱登录，不能再建一个。" in response.text
    assert "请直接登录" not in response.text
    assert user_count(db) == before


def test_a_taken_login_is_told_together_with_the_forms_other_mistakes(admin_client, db, make_user):
    make_user(mobile="13611112222")
    before = user_count(db)
    response = create_account(admin_client, "staff")  # and no institution chosen

    assert "机构工作人员必须选择所属机构。" in response.text
    assert "已有账号用这个手机号或邮箱登录，不能再建一个。" in response.text
    assert user_count(db) == before


def test_the_new_account_forms_mistakes_are_shown_in_view(admin_client):
    """The form comes after the list of every account: a refused form is answered scrolled to itself."""
    page = admin_client.get("/admin/accounts").text
    assert '<h2 id="new-account-heading">' in page
    assert 'action="/admin/accounts#new-account-heading"' in page


def test_weak_initial_password_is_refused(admin_client, db, make_institution):
    response = admin_client.post("/admin/accounts", data={
        "name": "新账号", "login": "13611112222", "password": "12345678", "role": "staff",
        "institution_id": str(make_institution().id), "region_code": ""})
    assert response.status_code == 200 and "密码需要同时包含字母和数字" in response.text
    assert account(db, "13611112222") is None


def test_admin_deactivates_a_staff_account_and_its_session_ends(admin_client, db, make_user, make_institution, app,
                                                                  login):
    college = make_institution(name="三亚技师学院")
    teacher = make_user(Role.staff, name="离职的老师", institution_id=college.id)
    teachers_browser = login(teacher, on=app.test_client())
    assert teachers_browser.get("/manage/courses").status_code == 200

    response = admin_client.post(f"/admin/accounts/{teacher.id}/deactivate")

    assert response.status_code == 302 and response.location.endswith("/admin/accounts")
    listing = admin_client.get("/admin/accounts").text
    assert "已停用 离职的老师 的账号，其登录已失效。" in listing and "已停用" in listing
    assert account_by_id(db, teacher.id).active is False
    follow_up = teachers_browser.get("/manage/courses")
    assert follow_up.status_code == 302 and follow_up.location.startswith("/login")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.deactivate")).one()
    assert (entry.object_id, entry.before, entry.after) == (teacher.id, {"active": True}, {"active": False})

    admin_client.post(f"/admin/accounts/{teacher.id}/activate")

    assert account_by_id(db, teacher.id).active is True
    assert "已启用 离职的老师 的账号。" in admin_client.get("/admin/accounts").text


def test_admin_cannot_deactivate_their_own_account(admin_client, db):
    admin = db.session.scalar(select(User).where(User.name == "人社管理员"))

    admin_client.post(f"/admin/accounts/{admin.id}/deactivate")

    assert account_by_id(db, admin.id).active is True
    assert "不能停用自己的账号。" in admin_client.get("/admin/accounts").text


def test_applicant_accounts_are_not_managed_here(admin_client, db, make_user):
    family = make_user(Role.applicant)

    assert admin_client.post(f"/admin/accounts/{family.id}/deactivate").status_code == 404
    assert admin_client.post("/admin/accounts/999999/deactivate").status_code == 404
    assert account_by_id(db, family.id).active is True


def account_by_id(db, user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def account_row(page: str, name: str) -> str:
    rows = re.findall(rf'<tr><th scope="row">{name}</th>.*?</tr>', page, re.S)
    assert len(rows) == 1, f"no single row for {name}"
    return rows[0]


def test_a_finance_officer_belongs_to_a_region_shown_by_its_name(admin_client, make_user):
    make_user(Role.finance, name="符会计", region_code="460000")

    row = account_row(admin_client.get("/admin/accounts").text, "符会计")

    assert '<td data-label="所属">海南省</td>' in row and "460000" not in row


def test_deactivating_an_account_asks_first_and_says_what_happens(admin_client, db, make_user):
    teacher = make_user(Role.staff, name="在职的老师")
    former = make_user(Role.staff, name="离职的老师", active=False)
    page = admin_client.get("/admin/accounts").text

    confirm = [d for d in re.findall(r'<details class="confirm">.*?</details>', account_row(page, "在职的老师"), re.S)
               if "/deactivate" in d]
    assert len(confirm) == 1, "deactivating is not behind a confirmation"
    assert re.search(r'<summary class="[^"]*">停用…<span class="visually-hidden"> 在职的老师</span></summary>',
                     confirm[0])
    assert "停用后，在职的老师 不能再登录，已登录的设备也会立即退出登录。" in confirm[0]
    assert f'action="/admin/accounts/{teacher.id}/deactivate"' in confirm[0]
    assert re.search(r'<button type="submit" class="small">确定停用<span class="visually-hidden"> 在职的老师</span>',
                     confirm[0])
    reactivate = account_row(page, "离职的老师")  # activating again takes one tap
    assert f'action="/admin/accounts/{former.id}/activate"' in reactivate
    assert not re.search(r"<details(?:(?!</details>).)*/activate", reactivate, re.S)
    assert account_by_id(db, teacher.id).active is True


def test_a_finance_officer_may_work_for_a_county_even_one_directly_under_the_province(admin_client, db):
    page = admin_client.get("/admin/accounts").text
    assert re.search(r'<option value="469030">\W*琼中黎族苗族自治县（469030）</option>', page)
    assert re.search(r'<option value="460107">\W*琼山区（460107）</option>', page)
    response = create_account(admin_client, "finance", region_code="469030")
    assert response.status_code == 302
    officer = db.session.scalar(select(User).where(User.mobile == "13611112222"))
    assert officer.region_code == "469030"
    assert "海南省 琼中黎族苗族自治县" in admin_client.get("/admin/accounts").text


def test_admin_resets_a_staff_password_after_a_confirmation(admin_client, db, make_user, app, login):
    teacher = make_user(Role.staff, name="忘了密码的老师")
    teachers_browser = login(teacher, on=app.test_client())
    row = account_row(admin_client.get("/admin/accounts").text, "忘了密码的老师")
    confirm = [d for d in re.findall(r'<details class="confirm">.*?</details>', row, re.S) if "/reset-password" in d]
    assert len(confirm) == 1 and "重置密码…" in confirm[0]
    assert f'action="/admin/accounts/{teacher.id}/reset-password"' in confirm[0]

    response = admin_client.post(f"/admin/accounts/{teacher.id}/reset-password")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'<p class="temporary-password"><strong>(\d{8})</strong></p>', response.text).group(1)
    assert '<a href="/admin/accounts">' in response.text
    assert "也请告诉对方：临时密码在" in response.text and "以前有效，过期后要再重置一次。" in response.text
    assert teachers_browser.get("/manage/courses").location.startswith("/login")
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": teacher.mobile, "password": temporary}).status_code == 302
    assert fresh.get("/manage/courses").location == "/account/password"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password_reset")).one()
    assert entry.object_id == teacher.id and entry.before is None and entry.after is None


def test_admin_resets_an_applicant_but_not_an_admin(admin_client, db, make_user):
    family, colleague = make_user(Role.applicant), make_user(Role.admin, name="另一位管理员")
    admin = db.session.scalar(select(User).where(User.name == "人社管理员"))

    assert admin_client.post(f"/admin/accounts/{family.id}/reset-password").status_code == 200
    assert account_by_id(db, family.id).must_change_password is True
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == family.id)).all()
    assert told == ["平台管理员重置了您的密码。如果不是您请管理员重置的，请马上联系当地的人社部门。"]
    for other in (colleague, admin):
        assert admin_client.post(f"/admin/accounts/{other.id}/reset-password").status_code == 404
        assert account_by_id(db, other.id).must_change_password is False
    assert "/reset-password" not in account_row(admin_client.get("/admin/accounts").text, "另一位管理员")


def test_admin_finds_a_familys_account_by_its_phone_and_resets_its_password(admin_client, db, make_user):
    """A grandmother who forgot her password phones the 人社 office; her account is not among the staff's."""
    grandmother = make_user(Role.applicant, name="王桂英", mobile="13912345678")
    make_user(Role.staff, name="李老师", mobile="13987654321")
    assert "王桂英" not in admin_client.get("/admin/accounts").text

    found = admin_client.get("/admin/accounts", query_string={"find-family": "139 1234 5678"}).text

    card = re.search(r'<dl class="facts family-account">.*?</details>', found, re.S).group(0)
    assert "王桂英" in card and "13912345678" in card and "在用" in card
    assert f'action="/admin/accounts/{grandmother.id}/reset-password"' in card
    for other in ("13987654321", "13900000000"):  # staff are listed above, not found here; nobody has the second
        missed = admin_client.get("/admin/accounts", query_string={"find-family": other}).text
        assert "没有用这个手机号或邮箱登录的家庭账号。" in missed and "family-account" not in missed
    typo = admin_client.get("/admin/accounts", query_string={"find-family": "1391234"}).text
    assert "手机号应为11位数字，您填写了7位。" in typo  # what is wrong with it, not that nobody has it
    assert "没有用这个手机号或邮箱登录的家庭账号。" not in typo and "family-account" not in typo


def test_a_deactivated_account_is_reactivated_before_its_password_is_reset(admin_client, db, make_user):
    former = make_user(Role.staff, name="离职的老师", active=False)
    family = make_user(Role.applicant, name="停用的家庭", mobile="13912340001", active=False)
    assert "/reset-password" not in account_row(admin_client.get("/admin/accounts").text, "离职的老师")
    found = admin_client.get("/admin/accounts", query_string={"find-family": family.mobile}).text
    assert "停用的家庭" in found and "/reset-password" not in found

    for user in (former, family):
        response = admin_client.post(f"/admin/accounts/{user.id}/reset-password")

        assert response.status_code == 302 and response.location.endswith("/admin/accounts")
        assert "这个账号已停用，不能重置密码。请先启用它。" in admin_client.get("/admin/accounts").text
        after = account_by_id(db, user.id)
        assert (after.password_hash, after.must_change_password, after.password_expires_at) == (
            user.password_hash, False, None)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "user.password_reset")) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0

    admin_client.post(f"/admin/accounts/{former.id}/activate")
    assert "/reset-password" in account_row(admin_client.get("/admin/accounts").text, "离职的老师")
    assert admin_client.post(f"/admin/accounts/{former.id}/reset-password").status_code == 200


def test_the_account_list_takes_a_fixed_number_of_queries(app, admin_client, db, count_queries, make_user,
                                                          make_institution, monkeypatch):
    monkeypatch.setitem(app.config, "REFERENCE_CACHE_SECONDS", 60)  # regions are read once, as in production

    def add(n: int) -> None:
        for _ in range(n):
            make_user(Role.staff, institution_id=make_institution().id)
            make_user(Role.finance, region_code="469030")

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert admin_client.get("/admin/accounts").status_code == 200
        return len(statements)

    add(1)
    few = queries()
    add(8)
    assert queries() == few

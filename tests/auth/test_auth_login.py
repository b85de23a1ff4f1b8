"""Logging in and out: by mobile or e-mail, refusals that give nothing away, and safe `next` targets."""
import re
from urllib.parse import unquote, urlsplit

import pytest

from portal.auth.models import Role
from portal.auth.services import hash_password

PASSWORD = "Denglu2024"  # set on every user made here


@pytest.fixture
def user(make_user):
    return make_user(Role.applicant, name="李大山", mobile="13912345678", email="li@example.cn",
                     password_hash=hash_password(PASSWORD))


def post_login(client, login, password=PASSWORD, next_=None):
    data = {"login": login, "password": password}
    if next_ is not None:
        data["next"] = next_
    return client.post("/login", data=data)


def landing(response) -> str:
    """Where a redirect sends the browser: path and query, after checking it stays on this site."""
    assert response.status_code == 302, response.text[:300]
    target = urlsplit(response.location)
    assert target.scheme in ("", "http") and target.netloc in ("", "portal.test"), response.location
    return target.path + (f"?{target.query}" if target.query else "")


def logged_in_as(client, name: str) -> bool:
    page = client.get("/").text
    return name in page and "退出登录" in page


@pytest.mark.parametrize("typed", ["13912345678", "+86 139-1234-5678", "１３９１２３４５６７８",
                                   "li@example.cn", "LI@Example.CN"])
def test_login_by_mobile_or_email(client, user, typed):
    assert landing(post_login(client, typed)) == "/"
    assert logged_in_as(client, "李大山")


@pytest.mark.parametrize("typed, password", [("13912345678", "Denglu2025"), ("13900000000", PASSWORD),
                                             ("nobody@example.cn", PASSWORD)])
def test_wrong_password_or_unknown_login_gets_the_same_message(client, user, typed, password):
    response = post_login(client, typed, password)
    assert response.status_code == 200
    assert "手机号/邮箱或密码不对，请重试。" in response.text
    assert not logged_in_as(client, "李大山")


def test_inactive_user_cannot_log_in(client, db, user):
    user.active = False
    db.session.flush()
    response = post_login(client, "13912345678")
    assert response.status_code == 200 and "这个账号已停用。如有疑问，请联系管理员。" in response.text
    assert not logged_in_as(client, "李大山")
    # Without the password nobody learns that the account exists, nor that it is deactivated.
    wrong = post_login(client, "13912345678", password="Wrong-password-1")
    assert "手机号/邮箱或密码不对" in wrong.text and "停用" not in wrong.text


def test_deactivated_user_is_logged_out_on_the_next_page(client, db, user):
    post_login(client, "13912345678")
    user.active = False
    db.session.flush()
    assert not logged_in_as(client, "李大山")


def test_logout_requires_post(client, user):
    post_login(client, "13912345678")
    assert client.get("/logout").status_code == 405
    assert logged_in_as(client, "李大山")

    assert landing(client.post("/logout")) == "/"
    page = client.get("/").text
    assert "您已退出登录" in page and "李大山" not in page


def test_login_form_carries_next_from_the_address(client):
    page = client.get("/login?next=/courses%3Fq%3Dx").text
    assert 'name="next" type="hidden" value="/courses?q=x"' in page


@pytest.mark.parametrize("page", ["/login", "/register"])
def test_sign_in_pages_link_to_each_other_keeping_next(client, page):
    html = client.get(f"{page}?next=/courses%3Fq%3Dx").text
    for path, label in (("/login", "登录"), ("/register", "注册")):
        links = re.findall(rf'<a href="([^"]*)">{label}</a>', html)
        assert links and {unquote(link) for link in links} == {f"{path}?next=/courses?q=x"}


def test_local_next_is_honoured(client, user):
    assert landing(post_login(client, "13912345678", next_="/courses?q=x")) == "/courses?q=x"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "http://portal.test.evil.com/", "/\\evil.com",
                                    "\\\\evil.com", "javascript:alert(1)", "/\t/evil.com", "evil.com", " //evil.com"])
def test_next_pointing_off_site_lands_on_home(client, user, target):
    assert landing(post_login(client, "13912345678", next_=target)) == "/"


# --- sent here by a page that needs an account -----------------------------------------------------

LOG_IN_FIRST = "请先登录。还没有账号的，请先注册。"


def test_a_visitor_sent_to_log_in_is_told_why(client, make_course):
    course = make_course()
    response = client.get(f"/courses/{course.id}/apply")  # 我要报名
    assert unquote(landing(response)) == f"/login?next=/courses/{course.id}/apply"
    page = client.get(landing(response)).text
    assert f'<p class="flash info" role="status">{LOG_IN_FIRST}</p>' in page
    assert LOG_IN_FIRST not in client.get(landing(response)).text  # said once


def test_choosing_to_log_in_is_not_met_with_the_reason(client):
    assert LOG_IN_FIRST not in client.get("/login?next=/courses").text  # the header's 登录 link


def test_the_reason_is_in_the_visitors_language(client, monkeypatch):
    import flask_babel

    real = flask_babel.Domain.get_translations

    class English:
        def __init__(self, catalog):
            self.catalog = catalog

        def ugettext(self, message):
            return "Please log in first." if message == LOG_IN_FIRST else self.catalog.ugettext(message)

        def __getattr__(self, name):
            return getattr(self.catalog, name)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: English(real(self)))
    client.set_cookie("lang", "en", domain="portal.test")
    page = client.get(landing(client.get("/applications"))).text
    assert "Please log in first." in page and LOG_IN_FIRST not in page


# --- where each role lands ---------------------------------------------------------------------------

@pytest.mark.parametrize("role, start, heading", [
    (Role.applicant, "/", "技能扶贫报名平台"),
    (Role.staff, "/manage/applications", "报名审核"),
    (Role.admin, "/admin/institutions", "机构管理"),
    (Role.finance, "/finance", "补贴审核"),
])
@pytest.mark.parametrize("next_", [None, "/", "https://evil.com"])
def test_each_role_lands_on_its_own_start_page(client, make_user, role, start, heading, next_):
    member = make_user(role, mobile="13712340000", password_hash=hash_password(PASSWORD))
    assert landing(post_login(client, member.mobile, next_=next_)) == start
    assert heading in client.get(start).text


def test_a_staff_member_sent_to_log_in_goes_back_to_the_page_they_asked_for(client, make_user):
    member = make_user(Role.staff, mobile="13712340000", password_hash=hash_password(PASSWORD))
    assert landing(post_login(client, member.mobile, next_="/manage/courses")) == "/manage/courses"


def test_finance_is_told_plainly_that_there_is_nothing_to_do_yet(client, make_user):
    member = make_user(Role.finance, mobile="13712340000", password_hash=hash_password(PASSWORD))
    page = client.get(landing(post_login(client, member.mobile))).text
    assert "补贴申领的审核、付款登记和付款文件导出还没有在平台上开放" in page and "海南省" in page
    assert '<a href="/finance">补贴审核</a>' in page  # and it stays in the menu


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_the_phone_or_email_field_does_not_force_an_email_keyboard(client, path):
    field = re.search(r'<input[^>]*name="login"[^>]*>', client.get(path).text).group(0)
    assert 'autocomplete="username"' in field and "inputmode" not in field

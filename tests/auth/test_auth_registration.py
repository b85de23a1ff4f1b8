"""Self-registration of applicants: login names tolerated as people type them, clear refusals.

Every refusal must leave the database as it was: no half-made account.
"""
import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal.auth.models import Role, User

GOOD_PASSWORD = "Nongjia2024"


def register(client, login, password=GOOD_PASSWORD, confirm=None, name="王秀英", next_=""):
    return client.post("/register", data={"name": name, "login": login, "password": password,
                                          "confirm": password if confirm is None else confirm, "next": next_})


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def find(db, **where) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).filter_by(**where))


@pytest.fixture
def refused(client, db):
    """Submit a registration that must be refused: the form comes back and no account is made."""
    def submit(*args, **kwargs) -> str:
        before = user_count(db)
        response = register(client, *args, **kwargs)
        assert response.status_code == 200
        assert user_count(db) == before
        assert "请按提示修改" in response.text
        return response.text
    return submit


def test_register_with_mobile_logs_in_as_applicant(client, db):
    response = register(client, "13812345678")

    assert response.status_code == 302 and response.location.endswith("/courses")
    user = find(db, mobile="13812345678")
    assert user.role == Role.applicant and user.name == "王秀英" and user.email is None
    welcome = client.get("/courses")
    assert "注册成功" in welcome.text and "王秀英" in welcome.text and "退出登录" in welcome.text


def test_registering_on_the_way_to_apply_goes_on_to_the_application(client, db):
    page = client.get("/register?next=/courses/7/apply").text
    assert 'name="next" type="hidden" value="/courses/7/apply"' in page
    response = register(client, "13812345678", next_="/courses/7/apply")
    assert response.status_code == 302 and response.location == "/courses/7/apply"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/courses"])
def test_registering_with_next_off_site_goes_to_the_catalog(client, db, target):
    response = register(client, "13812345678", next_=target)
    assert response.status_code == 302 and response.location.endswith("/courses")


def test_register_with_email_stores_it_lower_case(client, db):
    assert register(client, " Wang.XiuYing@Example.CN ").status_code == 302
    user = find(db, email="wang.xiuying@example.cn")
    assert user is not None and user.mobile is None


@pytest.mark.parametrize("typed", ["１３８１２３４５６７８", "+86 138-1234-5678", "+８６１３８１２３４５６７８"])
def test_full_width_digits_and_country_code_are_normalised(client, db, typed):
    assert register(client, typed).status_code == 302
    assert find(db, mobile="13812345678") is not None


@pytest.mark.parametrize("typed, message", [
    ("1381234567", "手机号应为11位数字，您填写了10位"),
    ("138123456789", "手机号应为11位数字，您填写了12位"),
    ("12812345678", "手机号应以1开头，第二位为3至9"),
    ("138abc45678", "请填写11位手机号或邮箱地址"),
    ("wang@example", "邮箱地址格式不对"),
])
def test_bad_login_name_is_refused_with_a_clear_message(refused, typed, message):
    assert message in refused(typed)


def test_wrong_length_mobile_message_mentions_eleven_digits(refused):
    assert "11位" in refused("138 1234 567")


@pytest.mark.parametrize("password, message", [
    ("Ab1234", "密码至少需要8位"),
    ("nongjiale", "密码需要同时包含字母和数字"),
    ("2024202420", "密码需要同时包含字母和数字"),
    ("password1", "这个密码太容易被猜到"),
    ("a1a1a1a1a1", "这个密码太容易被猜到"),
])
def test_weak_password_is_refused_with_the_reason(refused, password, message):
    assert message in refused("13812345678", password=password)


def test_mismatched_confirmation_is_refused(refused):
    assert "两次输入的密码不一致" in refused("13812345678", confirm=GOOD_PASSWORD + "x")


def test_missing_name_is_refused(refused):
    assert "请填写姓名" in refused("13812345678", name="  ")


@pytest.mark.parametrize("typed_again", ["13812345678", "+86 １３８１２３４５６７８"])
def test_a_mobile_cannot_register_twice(refused, make_user, typed_again):
    make_user(mobile="13812345678")
    assert "这个手机号或邮箱已经注册过" in refused(typed_again)


def test_an_email_cannot_register_twice_whatever_its_case(refused, make_user):
    make_user(mobile=None, email="wang@example.cn")
    assert "已经注册过" in refused("WANG@example.cn")


def test_password_is_stored_hashed_not_in_plain_text(client, db):
    register(client, "13812345678")
    user = find(db, mobile="13812345678")
    assert GOOD_PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert check_password_hash(user.password_hash, GOOD_PASSWORD)
    assert not check_password_hash(user.password_hash, GOOD_PASSWORD.lower())

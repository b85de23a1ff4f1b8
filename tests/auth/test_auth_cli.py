"""`flask portal create-admin`: how the first administrator is made."""
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal.audit.models import AuditEntry
from portal.auth.models import Role, User


def create_admin(app, *args: str):
    return app.test_cli_runner().invoke(args=["portal", "create-admin", *args])


def admins(db) -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(select(User).where(User.role == Role.admin)))


def test_create_admin_makes_an_account_that_can_log_in(app, db, client):
    result = create_admin(app, "--name", "人社管理员", "--login", "+86 138-0000-0001", "--password", "Guanli2024")

    assert result.exit_code == 0, result.output
    assert "administrator 13800000001 created" in result.output
    [admin] = admins(db)
    assert admin.name == "人社管理员" and admin.mobile == "13800000001"
    assert "Guanli2024" not in admin.password_hash and check_password_hash(admin.password_hash, "Guanli2024")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == admin.id))
    assert entry.action == "user.create" and entry.actor_id is None and entry.after["via"] == "cli"

    assert client.post("/login", data={"login": "13800000001", "password": "Guanli2024"}).status_code == 302
    assert client.get("/admin/accounts").status_code == 200


def test_create_admin_prompts_for_the_password_twice(app, db):
    result = app.test_cli_runner().invoke(args=["portal", "create-admin", "--name", "管理员", "--login",
                                                "admin@example.cn"], input="Guanli2024\nGuanli2024\n")
    assert result.exit_code == 0, result.output
    assert [a.email for a in admins(db)] == ["admin@example.cn"]


def test_create_admin_refuses_a_weak_password(app, db):
    result = create_admin(app, "--name", "管理员", "--login", "13800000001", "--password", "12345678")

    assert result.exit_code != 0
    assert "密码需要同时包含字母和数字" in result.output
    assert admins(db) == []


def test_create_admin_refuses_a_bad_login_and_a_taken_one(app, db, make_user):
    bad = create_admin(app, "--name", "管理员", "--login", "1380000000", "--password", "Guanli2024")
    assert bad.exit_code != 0 and "11位" in bad.output

    make_user(mobile="13800000001")
    taken = create_admin(app, "--name", "管理员", "--login", "13800000001", "--password", "Guanli2024")
    assert taken.exit_code != 0 and "exists already" in taken.output
    assert admins(db) == []
    assert db.session.scalar(select(func.count()).select_from(User).where(User.mobile == "13800000001")) == 1

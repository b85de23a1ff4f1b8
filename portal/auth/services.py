"""Account rules: login names, password strength, registration, authentication, admin-made accounts,
changing and resetting a password."""
import re
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.audit.services import record
from portal.auth.models import Role, User
from portal.common.i18n import N_
from portal.courses.models import Course
from portal.db import db, utcnow
from portal.enrollment.models import Application
from portal.families.models import Student
from portal.notifications.services import notify

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COMMON_PASSWORDS = {"12345678", "123456789", "1234567890", "password", "password1", "qwerty123",
                    "11111111", "88888888", "66666666", "abc12345", "a1234567", "aa123456"}


# Left in the account's messages (and e-mailed when it has an address), so that a reset its holder did
# not ask for is noticed.
RESET_BY_STAFF_MESSAGE = N_("%(institution)s的工作人员重置了您的密码。如果不是您请他们重置的，请马上联系这所学校。")
RESET_BY_ADMIN_MESSAGE = N_("平台管理员重置了您的密码。如果不是您请管理员重置的，请马上联系当地的人社部门。")


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user, already translated."""


# Said to the admin making an account for someone else: telling them to log in, as a person registering
# is told, would make no sense to them.
LOGIN_TAKEN_FOR_ADMIN = N_("已有账号用这个手机号或邮箱登录，不能再建一个。请换一个手机号或邮箱。")


def normalize_login(raw: str) -> tuple[str, str]:
    """('mobile', '13800138000') or ('email', 'a@b.cn') from what a person typed.

    Full-width digits, spaces, dashes and a +86 prefix are tolerated on a mobile number.
    """
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if "@" in value:
        if not EMAIL_RE.match(value):
            raise AccountError(_("邮箱地址格式不对，请检查。"))
        return "email", value.lower()
    digits = re.sub(r"[\s\-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if not digits.isdigit():
        raise AccountError(_("请填写11位手机号或邮箱地址。"))
    if len(digits) != 11:
        raise AccountError(_("手机号应为11位数字，您填写了%(n)d位。", n=len(digits)))
    if not MOBILE_RE.match(digits):
        raise AccountError(_("手机号应以1开头，第二位为3至9。"))
    return "mobile", digits


def password_problem(password: str) -> str | None:
    """Why `password` is too weak, or None when it will do."""
    if len(password) < 8:
        return _("密码至少需要8位。")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return _("密码需要同时包含字母和数字。")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return _("这个密码太容易被猜到，请换一个。")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_by_login(raw: str) -> User | None:
    try:
        field, value = normalize_login(raw)
    except AccountError:
        return None
    return db.session.scalar(select(User).where(getattr(User, field) == value))


def authenticate(raw_login: str, password: str) -> User | None:
    """The account with this login and password, or None. A deactivated account is returned too,
    so that its holder, who knows the password, can be told why they cannot log in."""
    user = find_by_login(raw_login)
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set `user`'s own new password after checking the current one. Their other sessions end at their
    next request (the session stamp changes with the password); the caller logs this one in again."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_("当前密码不对，请重试。"))
    if problem := password_problem(new):
        raise AccountError(problem)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_expires_at = None
    record(user, "user.password_change", user)


def temporary_password_expired(user: User) -> bool:
    """Whether `user`'s password is a temporary one past its time: it no longer opens the account, which
    waits for another reset."""
    return user.password_expires_at is not None and user.password_expires_at <= utcnow()


def may_reset_password(actor: User, user: User) -> bool:
    """Staff reset the password of a family's account holding a student who applied to their
    institution; the admin resets any account but an admin's. A deactivated account is reactivated first,
    so that a temporary password is never handed out for an account that cannot use it."""
    if not user.active:
        return False
    if actor.role == Role.admin:
        return user.role != Role.admin
    if actor.role != Role.staff or user.role != Role.applicant:
        return False
    applied_here = (select(Application.id).join(Student, Student.id == Application.student_id)
                    .join(Course, Course.id == Application.course_id)
                    .where(Student.account_id == user.id, Course.institution_id == actor.institution_id).limit(1))
    return db.session.scalar(applied_here) is not None


def reset_password(actor: User, user: User) -> str:
    """Give `user` a temporary password, returned once for `actor` to read out over the phone; the
    account's sessions end, and it must choose a password of its own before using the portal.

    The temporary password is 8 random digits, easy to read out and to type on a phone's keypad. It is
    exempt from password_problem's rules by design: it opens nothing but 修改密码, and logins are
    throttled far below the rate at which its hundred million values could be tried, and it stops
    working after TEMPORARY_PASSWORD_HOURS, so one read out but never used does not open the account for
    good. The audit entry says only who reset whose password; the account's holder is told in their messages.
    """
    if not may_reset_password(actor, user):
        raise AccountError(_("这个账号已停用，不能重置密码。请先启用它。") if not user.active
                           else _("您不能重置这个账号的密码。"))
    temporary = f"{secrets.randbelow(10**8):08d}"
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.password_expires_at = utcnow() + timedelta(hours=current_app.config["TEMPORARY_PASSWORD_HOURS"])
    record(actor, "user.password_reset", user)
    if actor.role == Role.staff:
        notify(user, RESET_BY_STAFF_MESSAGE, institution=actor.institution.name)
    else:
        notify(user, RESET_BY_ADMIN_MESSAGE)
    return temporary


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate or reactivate a staff, finance or admin account, as an admin. A deactivated account
    cannot log in, and its sessions end at their next request."""
    if actor.role != Role.admin or user.role == Role.applicant:
        raise AccountError(_("只有管理员可以停用或启用工作人员账号。"))
    if user.id == actor.id:
        raise AccountError(_("不能停用自己的账号。"))
    if user.active == active:
        return
    user.active = active
    record(actor, "user.activate" if active else "user.deactivate", user, before={"active": not active},
           after={"active": active})


def create_user(actor: User | None, *, name: str, login: str, password: str, role: Role,
                institution_id: int | None = None, region_code: str | None = None,
                initial: bool = False) -> User:
    """Create an account. Applicants register themselves; other roles are made by an admin. An `initial`
    password (the admin's choice, handed over) is replaced by the holder's own at their first login."""
    if role != Role.applicant and (actor is None or actor.role != Role.admin):
        raise AccountError(_("只有管理员可以创建工作人员账号。"))
    field, value = normalize_login(login)
    if problem := password_problem(password):
        raise AccountError(problem)
    if db.session.scalar(select(User.id).where(getattr(User, field) == value)) is not None:
        raise AccountError(_(LOGIN_TAKEN_FOR_ADMIN) if actor is not None
                           else _("这个手机号或邮箱已经注册过，请直接登录。"))
    if role == Role.staff and institution_id is None:
        raise AccountError(_("机构工作人员必须属于一个机构。"))
    if role == Role.finance and not region_code:
        raise AccountError(_("财务人员必须属于一个地区。"))
    user = User(name=name.strip(), role=role, password_hash=hash_password(password),
                institution_id=institution_id if role == Role.staff else None,
                region_code=region_code if role == Role.finance else None, must_change_password=initial,
                **{field: value})
    db.session.add(user)
    db.session.flush()
    record(actor or user, "user.create", user, after={"role": str(role), "institution_id": user.institution_id,
                                                      "region_code": user.region_code})
    return user

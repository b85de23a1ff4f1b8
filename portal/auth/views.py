"""Registration, login, logout, changing, forgetting and resetting a password, and the admin's accounts:
listing, creating, deactivating."""
import hmac

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.auth import bp
from portal.auth.access import role_required
from portal.auth.forms import (
    AccountForm,
    ActiveForm,
    ChangePasswordForm,
    FindFamilyForm,
    LoginForm,
    LogoutForm,
    RegisterForm,
    ResetPasswordForm,
)
from portal.auth.models import Role, User
from portal.auth.services import (
    AccountError,
    authenticate,
    change_password,
    create_user,
    find_by_login,
    normalize_login,
    reset_password,
    set_active,
    temporary_password_expired,
)
from portal.common.i18n import N_
from portal.common.regions import region_choices
from portal.common.security import safe_next
from portal.enrollment.services import institution_application
from portal.extensions import db, limiter, login_manager
from portal.institutions.models import Institution


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user while the account is active and its password is the one the session logged in
    with (User.get_id): deactivating the account, or changing or resetting its password, ends its sessions."""
    user_id, _colon, stamp = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or not hmac.compare_digest(stamp, user.session_stamp):
        return None
    return user


# Requests a browser makes by itself rather than pages a person opens: they never redirect or end a session.
NOT_PAGES = {"static", "common.favicon", "common.healthz"}
# What an account with a temporary password may open before it has chosen its own, besides 消息 (the
# notifications blueprint), where a message says who reset the password.
OPEN_BEFORE_OWN_PASSWORD = NOT_PAGES | {"auth.password", "auth.logout", "common.set_language", "common.set_elder_mode"}
TEMPORARY_PASSWORD_EXPIRED = N_("临时密码已过期。请联系学校或当地的人社部门，再重置一次密码。")


@bp.before_app_request
def _own_password_first():
    """Send an account whose password was reset to 修改密码 from every other page, and log it out once the
    temporary password has expired, as that password would no longer log it in."""
    if request.endpoint in NOT_PAGES or not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if temporary_password_expired(current_user):
        logout_user()
        flash(_(TEMPORARY_PASSWORD_EXPIRED), "error")
        return redirect(url_for("auth.login"))
    if request.endpoint not in OPEN_BEFORE_OWN_PASSWORD and request.blueprint != "notifications":
        return redirect(url_for("auth.password"))
    return None


login_manager.login_view = "auth.login"
# Flashed, in the visitor's language, when a page that needs an account (such as 我要报名) sends them to log in.
login_manager.login_message = N_("请先登录。还没有账号的，请先注册。")
login_manager.login_message_category = "info"
login_manager.localize_callback = _


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Who: anyone not logged in. Creates an applicant account, logs it in and goes on to `next`."""
    if current_user.is_authenticated:
        return redirect(url_for("courses.home"))
    form = RegisterForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = create_user(None, name=form.name.data, login=form.login.data,
                               password=form.password.data, role=Role.applicant)
        except AccountError as e:
            form.login.errors.append(str(e))
        else:
            db.session.commit()
            login_user(user)
            flash(_("注册成功，欢迎您！"), "success")
            return redirect(safe_next(form.next.data, url_for("courses.catalog")))
    return render_template("auth/register.html", form=form)


def _address_and_login() -> str:
    """Throttling key for one account from one address.

    Many rural phones share one public address behind the carrier's NAT, so a limit per address
    alone would lock out a whole township when one person mistypes; guessing is stopped per
    account and address, with a looser cap on the address as a whole.
    """
    return f"{get_remote_address()}|{(request.form.get('login') or '').strip()}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_address_and_login)
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"], methods=["POST"])
def login():
    """Who: anyone. Throttled per account and address so passwords cannot be guessed quickly. Goes on
    to `next` when it is a page of the portal other than the home page, else to the role's start page."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("手机号/邮箱或密码不对，请重试。"))
        elif not user.active:
            form.login.errors.append(_("这个账号已停用。如有疑问，请联系管理员。"))
        elif temporary_password_expired(user):
            form.password.errors.append(_(TEMPORARY_PASSWORD_EXPIRED))
        else:
            login_user(user)
            start = start_page(user)
            target = safe_next(form.next.data, start)
            # The header's 登录 link passes the page it was on: from the home page, begin the role's work.
            return redirect(start if target == url_for("courses.home") else target)
    return render_template("auth/login.html", form=form)


@bp.get("/forgot-password")
def forgot_password():
    """Who: anyone. There is no SMS gateway, so a forgotten password is reset by the school or the 人社
    office; this page says whom to ask and what to have ready."""
    return render_template("auth/forgot_password.html")


def start_page(user: User) -> str:
    """Where the role's work begins, for a login without a page to go back to."""
    return url_for({Role.staff: "enrollment.review_queue", Role.admin: "institutions.admin_list",
                    Role.finance: "auth.finance_home"}.get(user.role, "courses.home"))


@bp.get("/finance")
@role_required(Role.finance)
def finance_home():
    """Who: finance officers. Their start page, which says plainly that claims are not in the portal yet."""
    return render_template("auth/finance.html")


@bp.post("/logout")
@login_required
def logout():
    """Who: any logged-in user."""
    if LogoutForm().validate_on_submit():
        logout_user()
        flash(_("您已退出登录。"), "info")
    return redirect(url_for("courses.home"))


def _account() -> str:
    """Throttling key for checking a logged-in person's current password: their account, from any address."""
    return f"account|{current_user.id}" if current_user.is_authenticated else get_remote_address()


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_account)
@login_required
def password():
    """Who: any logged-in user, for their own account. Throttled like login, since it checks the current
    password. The account's other sessions end; this one stays logged in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current.data, form.password.data)
        except AccountError as e:
            form.current.errors.append(str(e))
        else:
            db.session.commit()
            login_user(user)
            flash(_("密码已修改。其他设备上的登录已退出，以后请用新密码登录。"), "success")
            return redirect(start_page(user))
    return render_template("auth/password.html", form=form)


def _reset(user: User, back: str):
    """Reset `user`'s password and answer with the temporary one: the only place it is ever shown, and never
    stored by a browser. A reset the rules refuse goes back to `back` saying why."""
    try:
        temporary = reset_password(current_user, user)
    except AccountError as e:
        flash(str(e), "error")
        return redirect(back)
    db.session.commit()
    response = make_response(render_template("auth/password_reset.html", user=user, temporary=temporary, back=back))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/manage/applications/<int:application_id>/reset-password")
@role_required(Role.staff)
def reset_applicant_password(application_id: int):
    """Who: staff of the institution the application is to (else 404). Resets the password of the family's
    account that applied, for a grandparent who forgot it and phoned the school."""
    application = institution_application(current_user.institution_id, application_id) or abort(404)
    back = url_for("enrollment.review", application_id=application.id)
    holder = db.session.get(User, application.student.account_id)
    if not ResetPasswordForm().validate_on_submit():
        return redirect(back)
    return _reset(holder, back)


@bp.route("/admin/accounts", methods=["GET", "POST"])
@role_required(Role.admin)
def accounts():
    """Who: admin. Lists staff, finance and admin accounts and creates new ones."""
    institutions = db.session.execute(select(Institution.id, Institution.name).order_by(Institution.name)).all()
    form = AccountForm()
    form.institution_id.choices = [(0, "—")] + [(i.id, i.name) for i in institutions]
    # Finance officers work for a province, a city or a county (海南's counties under the province too).
    form.region_code.choices = [("", "—")] + region_choices()
    if form.validate_on_submit():
        try:
            create_user(current_user, name=form.name.data, login=form.login.data, password=form.password.data,
                        role=Role(form.role.data), institution_id=form.institution_id.data or None,
                        region_code=form.region_code.data or None, initial=True)
        except AccountError as e:
            form.login.errors.append(str(e))
        else:
            db.session.commit()
            flash(_("账号已创建。"), "success")
            return redirect(url_for("auth.accounts"))
    staff = db.session.scalars(
        select(User).where(User.role != Role.applicant).order_by(User.role, User.name)).all()
    return render_template("auth/accounts.html", form=form, users=staff, active_form=ActiveForm(),
                           reset_form=ResetPasswordForm(), **_family_lookup())


def _family_lookup() -> dict:
    """The accounts page's lookup of a family's account (for a grandparent who forgot the password and
    phoned the 人社 office), with the account found, if any."""
    find_form, family = FindFamilyForm(request.args, prefix="find"), None
    if find_form.family.name in request.args and find_form.validate():
        try:  # a number mistyped is told as such, not as an account that does not exist
            normalize_login(find_form.family.data)
        except AccountError as e:
            find_form.family.errors.append(str(e))
            return {"find_form": find_form, "family": None}
        family = find_by_login(find_form.family.data)
        if family is None or family.role != Role.applicant:
            family = None
            find_form.family.errors.append(_("没有用这个手机号或邮箱登录的家庭账号。"))
    return {"find_form": find_form, "family": family}


@bp.post("/admin/accounts/<int:user_id>/reset-password")
@role_required(Role.admin)
def reset_account_password(user_id: int):
    """Who: admin. Resets the password of any account but an admin's (404 for those); a deactivated one is
    refused until it is reactivated."""
    user = db.session.get(User, user_id)
    if user is None or user.role == Role.admin:
        abort(404)
    if not ResetPasswordForm().validate_on_submit():
        return redirect(url_for("auth.accounts"))
    return _reset(user, url_for("auth.accounts"))


@bp.post("/admin/accounts/<int:user_id>/<any(deactivate, activate):action>")
@role_required(Role.admin)
def set_account_active(user_id: int, action: str):
    """Who: admin. Deactivates a staff, finance or admin account (not their own), or reactivates it."""
    user = db.session.get(User, user_id)
    if user is None or user.role == Role.applicant:
        abort(404)
    if ActiveForm().validate_on_submit():
        try:
            set_active(current_user, user, action == "activate")
        except AccountError as e:
            flash(str(e), "error")
        else:
            db.session.commit()
            flash(_("已启用 %(name)s 的账号。", name=user.name) if user.active
                  else _("已停用 %(name)s 的账号，其登录已失效。", name=user.name), "success")
    return redirect(url_for("auth.accounts"))

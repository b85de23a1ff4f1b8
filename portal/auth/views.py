"""Registration, login, logout, and the admin's list of accounts."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.auth import bp
from portal.auth.access import role_required
from portal.auth.forms import AccountForm, LoginForm, LogoutForm, RegisterForm
from portal.auth.models import Role, User
from portal.auth.services import AccountError, authenticate, create_user
from portal.common.regions import Region, RegionLevel
from portal.common.security import safe_next
from portal.extensions import db, limiter, login_manager
from portal.institutions.models import Institution


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


login_manager.login_view = "auth.login"
login_manager.login_message = None


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Who: anyone not logged in. Creates an applicant account and logs it in."""
    if current_user.is_authenticated:
        return redirect(url_for("courses.home"))
    form = RegisterForm()
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
            return redirect(url_for("courses.catalog"))
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
    """Who: anyone. Throttled per account and address so passwords cannot be guessed quickly."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("手机号/邮箱或密码不对，请重试。"))
        else:
            login_user(user)
            return redirect(safe_next(form.next.data, url_for("courses.home")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Who: any logged-in user."""
    if LogoutForm().validate_on_submit():
        logout_user()
        flash(_("您已退出登录。"), "info")
    return redirect(url_for("courses.home"))


@bp.route("/admin/accounts", methods=["GET", "POST"])
@role_required(Role.admin)
def accounts():
    """Who: admin. Lists staff, finance and admin accounts and creates new ones."""
    institutions = db.session.execute(select(Institution.id, Institution.name).order_by(Institution.name)).all()
    regions = db.session.execute(
        select(Region.code, Region.name).where(Region.level != RegionLevel.county).order_by(Region.code)).all()
    form = AccountForm()
    form.institution_id.choices = [(0, "—")] + [(i.id, i.name) for i in institutions]
    form.region_code.choices = [("", "—")] + [(r.code, f"{r.name}（{r.code}）") for r in regions]
    if form.validate_on_submit():
        try:
            create_user(current_user, name=form.name.data, login=form.login.data, password=form.password.data,
                        role=Role(form.role.data), institution_id=form.institution_id.data or None,
                        region_code=form.region_code.data or None)
        except AccountError as e:
            form.login.errors.append(str(e))
        else:
            db.session.commit()
            flash(_("账号已创建。"), "success")
            return redirect(url_for("auth.accounts"))
    staff = db.session.scalars(
        select(User).where(User.role != Role.applicant).order_by(User.role, User.name)).all()
    return render_template("auth/accounts.html", form=form, users=staff)

"""Forms for registration, login, changing a password and admin-made accounts."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from portal.auth.models import Role
from portal.auth.services import LOGIN_TAKEN_FOR_ADMIN, AccountError, find_by_login, normalize_login, password_problem
from portal.common.forms import PortalForm


class LoginNameMixin:
    def validate_login(self, field):
        try:
            normalize_login(field.data)
        except AccountError as e:
            raise ValidationError(str(e)) from None


class NewPasswordMixin:
    def validate_password(self, field):
        if problem := password_problem(field.data or ""):
            raise ValidationError(problem)


class RegisterForm(LoginNameMixin, NewPasswordMixin, PortalForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=64)])
    login = StringField(_l("手机号或邮箱"), validators=[DataRequired(_l("请填写手机号或邮箱。"))],
                        description=_l("以后用它登录。"))
    password = PasswordField(_l("密码"), validators=[InputRequired(_l("请设置密码。"))],
                             description=_l("至少8位，同时包含字母和数字。"))
    confirm = PasswordField(_l("再次输入密码"), validators=[
        InputRequired(_l("请再次输入密码。")), EqualTo("password", _l("两次输入的密码不一致。"))])
    next = HiddenField()
    submit = SubmitField(_l("注册"))


class LoginForm(PortalForm):
    login = StringField(_l("手机号或邮箱"), validators=[DataRequired(_l("请填写手机号或邮箱。"))])
    password = PasswordField(_l("密码"), validators=[InputRequired(_l("请填写密码。"))])
    next = HiddenField()
    submit = SubmitField(_l("登录"))


class ChangePasswordForm(NewPasswordMixin, PortalForm):
    current = PasswordField(_l("当前密码"), validators=[InputRequired(_l("请填写当前密码。"))],
                            description=_l("密码刚被重置的，填工作人员告诉您的临时密码；新开的账号填初始密码。"))
    password = PasswordField(_l("新密码"), validators=[InputRequired(_l("请设置新密码。"))],
                             description=_l("至少8位，同时包含字母和数字。"))
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        InputRequired(_l("请再次输入新密码。")), EqualTo("password", _l("两次输入的密码不一致。"))])
    submit = SubmitField(_l("修改密码"))


class ActiveForm(PortalForm):
    """One-button deactivate / reactivate of an account; which one rides in the URL. Only its CSRF token is
    used: the page's buttons name the account."""


class FindFamilyForm(PortalForm):
    """The admin's lookup of a family's account by the phone number or e-mail it logs in with: a GET."""
    class Meta:
        csrf = False

    family = StringField(_l("家庭账号的手机号或邮箱"), validators=[DataRequired(_l("请填写手机号或邮箱。"))])
    submit = SubmitField(_l("查找"))


class ResetPasswordForm(PortalForm):
    """The confirmed reset of another person's password to a temporary one. Only its CSRF token is used: the
    pages' buttons carry the person's name for screen readers, which a SubmitField cannot."""


class LogoutForm(PortalForm):
    """The header's 退出登录 button, which every page draws by hand: only the CSRF token is checked."""


ROLE_LABELS = {
    Role.applicant: _l("学生或家长"),
    Role.staff: _l("机构工作人员"),
    Role.finance: _l("财务人员"),
    Role.admin: _l("管理员"),
}
ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in (Role.staff, Role.finance, Role.admin)]


class AccountForm(LoginNameMixin, NewPasswordMixin, PortalForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")), Length(max=64)])
    login = StringField(_l("手机号或邮箱"), validators=[DataRequired(_l("请填写手机号或邮箱。"))])
    password = PasswordField(_l("初始密码"), validators=[InputRequired(_l("请设置初始密码。"))],
                             description=_l("告诉对方。对方第一次登录后，要先换成只有自己知道的新密码。"))
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)
    institution_id = SelectField(_l("所属机构（机构工作人员必填）"), coerce=int, choices=[])
    region_code = SelectField(_l("所属地区（财务人员必填）"), choices=[])
    submit = SubmitField(_l("创建账号"))

    def validate_login(self, field):
        """A login already taken is said together with the form's other mistakes, not only after they are
        put right (create_user checks it again when the account is made)."""
        super().validate_login(field)
        if find_by_login(field.data) is not None:
            raise ValidationError(_l(LOGIN_TAKEN_FOR_ADMIN))

    def validate_institution_id(self, field):
        if self.role.data == Role.staff and not field.data:
            raise ValidationError(_l("机构工作人员必须选择所属机构。"))

    def validate_region_code(self, field):
        if self.role.data == Role.finance and not field.data:
            raise ValidationError(_l("财务人员必须选择所属地区。"))

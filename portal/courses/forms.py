"""The catalog's filter form (GET, no CSRF: it changes nothing) and the staff course form."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from portal.common.forms import AmountField, LinesField, NumberField, PortalForm
from portal.common.i18n import N_
from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS, CourseStatus
from portal.courses.services import MAX_OFFER_DAYS


def _choices(labels):
    return [(k.value, _l(v)) for k, v in labels.items()]


def _filter_choices(labels, blank: str):
    """Choices for the catalog's filters: msgids, which the catalog template translates."""
    return [("", blank)] + [(k.value, v) for k, v in labels.items()]


def strip(value):
    """Spaces typed or pasted around a value (full-width ones too) are not part of it: a trade saved as " 电工"
    would be a second 电工 in the catalog's list."""
    return value.strip() if isinstance(value, str) else value


def finite_amount(form, field):
    """"NaN" and "Infinity" read as decimals, but are no amount of money."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("费用请填数字，例如0或1200.50。"))


# A course's description and how to apply: a page or two, not a pasted document.
MAX_TEXT = 2000


class RequiredWhenSent(InputRequired):
    """InputRequired for a field the page shows; a form sent without the field at all (opened before the
    field was added) keeps the value already saved."""

    def __call__(self, form, field):
        if not field.raw_data:
            field.errors[:] = []
            raise StopValidation()
        super().__call__(form, field)


class CatalogFilterForm(PortalForm):
    class Meta:
        csrf = False  # a search changes nothing

    q = StringField(_l("搜索课程、工种或学校"), validators=[Optional(), Length(max=50)])
    # The region and trade lists come from the database; the view checks the value against them.
    region = SelectField(_l("地区"), validators=[Optional()], validate_choice=False)
    trade = SelectField(_l("职业（工种）"), validators=[Optional()], validate_choice=False)
    level = SelectField(_l("等级"), choices=_filter_choices(LEVEL_LABELS, N_("全部等级")), validators=[Optional()])
    kind = SelectField(_l("类别"), choices=_filter_choices(KIND_LABELS, N_("全部类别")), validators=[Optional()])
    mode = SelectField(_l("方式"), choices=_filter_choices(MODE_LABELS, N_("全部方式")), validators=[Optional()])
    within_days = SelectField(_l("开课时间"), choices=[
        ("", N_("不限")), ("30", N_("30天内开课")), ("90", N_("90天内开课")), ("180", N_("半年内开课"))],
        validators=[Optional()])
    free_only = BooleanField(_l("只看免费"))
    green_left = BooleanField(_l("只看有绿色通道名额"))
    sort = SelectField(_l("排序"), choices=[("start", N_("开课时间最近")), ("seats", N_("剩余名额最多"))],
                       validators=[Optional()])


class CourseForm(PortalForm):
    title = StringField(_l("课程名称"), filters=[strip],
                        validators=[DataRequired(_l("请填写课程名称。")), Length(max=128)])
    trade = StringField(_l("职业（工种）"), filters=[strip],
                        validators=[DataRequired(_l("请填写职业（工种）。")), Length(max=64)],
                        description=_l("例如：电工、育婴员、中式烹调师"))
    level = SelectField(_l("等级"), choices=_choices(LEVEL_LABELS))
    kind = SelectField(_l("类别"), choices=_choices(KIND_LABELS))
    mode = SelectField(_l("方式"), choices=_choices(MODE_LABELS))
    region_code = SelectField(_l("上课地区"), choices=[])
    address = StringField(_l("上课地址"), filters=[strip], validators=[Optional(), Length(max=255)])
    schedule = StringField(_l("上课安排"), filters=[strip], validators=[Optional(), Length(max=255)],
                           description=_l("例如：周一至周五 8:30–17:00"))
    hours = NumberField(_l("总课时"), validators=[InputRequired(_l("请填写总课时。")),
                                                 NumberRange(min=1, message=_l("课时至少为1。"))])
    start_date = DateField(_l("开课日期"), validators=[InputRequired(_l("请填写开课日期。"))])
    end_date = DateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期。"))])
    apply_opens = DateField(_l("报名开始日期"), validators=[InputRequired(_l("请填写报名开始日期。"))])
    apply_closes = DateField(_l("报名截止日期"), validators=[InputRequired(_l("请填写报名截止日期。"))])
    report_date = DateField(_l("报到日期"), validators=[Optional()],
                            description=_l("录取的学生到校报到的日期。不填就在开课当天报到。"))
    report_time = StringField(_l("报到时间"), default="", filters=[str.strip],
                              validators=[Length(max=64, message=_l("报到时间最多填64个字。"))],
                              description=_l("选填，例如：上午 8:00–11:30"))
    capacity = NumberField(_l("招生人数"), validators=[InputRequired(_l("请填写招生人数。")),
                                                       NumberRange(min=1, message=_l("招生人数至少为1。"))])
    reserved_places = NumberField(_l("绿色通道预留名额"), default=0, validators=[
        InputRequired(_l("请填写预留名额，没有请填0。")), NumberRange(min=0, message=_l("预留名额不能为负数。"))],
        description=_l("留给建档立卡贫困家庭学生，优先录取。"))
    offer_days = NumberField(_l("确认入学期限（天）"), default=7, validators=[
        RequiredWhenSent(_l("请填写确认入学期限，例如7天。")),
        NumberRange(min=1, max=MAX_OFFER_DAYS, message=_l("确认入学期限要在1到%(n)d天之间。", n=MAX_OFFER_DAYS))],
        description=_l("录取后，家庭要在这些天内确认入学，过期不确认，名额让给候补的同学。改了只对以后的录取有效。"))
    fee_yuan = AmountField(_l("费用（元）"), places=2, default=Decimal(0), validators=[
        InputRequired(_l("请填写费用，免费请填0。")), finite_amount,
        NumberRange(min=0, message=_l("费用不能为负数。"))])
    fee_waiver = BooleanField(_l("免学费"))
    national_grant = BooleanField(_l("国家助学金"))
    living_allowance = BooleanField(_l("生活补助"))
    description = LinesField(_l("课程介绍"), validators=[
        Optional(), Length(max=MAX_TEXT, message=_l("最多写%(max)d个字。", max=MAX_TEXT))])
    how_to_apply = LinesField(_l("报名方式"), validators=[
        Optional(), Length(max=MAX_TEXT, message=_l("最多写%(max)d个字。", max=MAX_TEXT))],
                                 description=_l("学生在本平台上报名。这里可以写到哪里能请人帮忙报名、录取后报到要带什么。"))
    submit = SubmitField(_l("保存"))

    def validate_fee_yuan(self, field):
        if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
            raise ValidationError(_l("费用最多保留两位小数。"))


class StatusForm(PortalForm):
    """One-button publish / close / reopen; the target status rides in the URL. Only its CSRF token is used:
    the page's buttons name the course."""


# The one-tap status buttons; closing asks first, with its own words on the course page.
STATUS_ACTIONS = {
    CourseStatus.published: _l("发布"),
}

"""Applying for a student, the applicant's one-button actions, staff decisions and the queue's filters."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.common.forms import LinesField, PortalForm
from portal.common.i18n import N_
from portal.enrollment.models import STATUS_LABELS, ApplicationStatus
from portal.enrollment.services import PROOF_WAITING
from portal.families.models import VERIFICATION_LABELS

S = ApplicationStatus

# What staff may decide, with each button's words; transition() still checks the move is allowed.
DECISIONS = {
    S.admitted: N_("录取"),
    S.waitlisted: N_("列入候补"),
    S.rejected: N_("不录取"),
    S.under_review: N_("标记为审核中"),
}


class ApplyForm(PortalForm):
    # The choices are the account's students, filled in by the view.
    student_id = RadioField(_l("为哪位学生报名"), coerce=int, choices=[],
                            validators=[InputRequired(_l("请选择要报名的学生。"))])
    submit = SubmitField(_l("确认报名"))


class ActionForm(PortalForm):
    """The applicant's one-button accept, decline and withdraw: only its CSRF token is used, as each button
    says what it does."""


class DecisionForm(PortalForm):
    # Sent by the button pressed: each decision is its own submit button named "decision".
    decision = SelectField(_l("处理决定"), choices=[(s.value, label) for s, label in DECISIONS.items()],
                           validators=[InputRequired(_l("请选择处理决定。"))])
    reason = LinesField(_l("理由"), validators=[Length(max=500, message=_l("理由最多写500个字。"))],
                           description=_l("不录取时必须填写，申请人会看到。"))
    next = HiddenField()  # the queue as staff had filtered it, to return to

    def validate_reason(self, field):
        if self.decision.data == S.rejected and not (field.data or "").strip():
            raise ValidationError(_l("不录取时请写明理由。"))


class BulkDecisionForm(DecisionForm):
    application_ids = SelectMultipleField(_l("选择"), coerce=int, validate_choice=False,
                                          validators=[InputRequired(_l("请先勾选要处理的报名。"))])


class QueueFilterForm(PortalForm):
    class Meta:
        csrf = False  # filtering changes nothing

    # The institution's courses, filled in by the view.
    course = SelectField(_l("课程"), choices=[], validators=[Optional()], validate_choice=False)
    green = SelectField(_l("绿色通道"), choices=[("", N_("全部")), ("yes", N_("是")), ("no", N_("否"))],
                        validators=[Optional()])
    verification = SelectField(_l("身份核验"), choices=[("", N_("全部")), (PROOF_WAITING, N_("证明材料待审核"))] + [
        (k.value, v) for k, v in VERIFICATION_LABELS.items()], validators=[Optional()])
    status = SelectField(_l("状态"), choices=[("pending", N_("待处理")), ("all", N_("全部"))] + [
        (k.value, v) for k, v in STATUS_LABELS.items()], validators=[Optional()])

"""The student profile form, the proof upload form, and staff's verification form."""
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.common import idnumbers
from portal.common.forms import LinesField, PortalForm
from portal.common.i18n import N_
from portal.families.models import DOCUMENT_KIND_LABELS, RELATION_LABELS

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def _choices(labels):
    return [(k.value, _l(v)) for k, v in labels.items()]


def _digits_only(value: str | None) -> str:
    """A phone number as typed on a Chinese keyboard (full-width, with spaces or dashes) → plain digits."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value or ""))


class StudentForm(PortalForm):
    name = StringField(_l("学生姓名"), validators=[DataRequired(_l("请填写学生姓名。")), Length(max=64)],
                       description=_l("和户口簿、身份证上的一致。"))
    id_number = StringField(_l("学生身份证号"), filters=[idnumbers.normalize],
                            description=_l("18位，最后一位可能是字母X。出生日期和性别从身份证号自动读出。"),
                            render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    # No default: a grandmother who left it at 本人 would record her grandchild as herself.
    relation = SelectField(_l("学生是您的"), choices=[("", _l("请选择"))] + _choices(RELATION_LABELS),
                           validators=[DataRequired(_l("请选择学生是您的什么人。"))])
    region_code = SelectField(_l("户籍所在地区"), choices=[], validate_choice=False,
                              description=_l("不选时按身份证号前6位所属地区。"))
    phone = StringField(_l("学生手机号（选填）"), filters=[_digits_only], validators=[
        Optional(), Regexp(MOBILE_RE, message=_l("手机号应为11位数字，以1开头。"))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    school = StringField(_l("现在就读的学校（选填）"), validators=[Optional(), Length(max=128)])
    next = HiddenField()  # where to go on after saving: the application the student was added for
    submit = SubmitField(_l("保存"))

    # Editing keeps the stored number unless a new one is typed: it is never shown whole again.
    keep_id = False

    def validate_id_number(self, field):
        if self.keep_id and not field.data:
            return
        if message := idnumbers.problem(field.data):
            raise ValidationError(_l(message))


class DocumentForm(PortalForm):
    kind = SelectField(_l("材料类型"), choices=_choices(DOCUMENT_KIND_LABELS))
    file = FileField(_l("选择文件"), validators=[FileRequired(_l("请选择要上传的文件。"))],
                     description=_l("JPG、PNG图片或PDF文件，每份不超过5MB。可以用手机直接拍照上传；户口簿请每页分别上传。"),
                     render_kw={"accept": "image/jpeg,image/png,application/pdf"})
    submit = SubmitField(_l("上传"))


class DeleteDocumentForm(PortalForm):
    """The one-button delete of a proof uploaded by mistake: only its CSRF token is posted."""


DECISION_LABELS = {"accept": N_("材料属实，通过"), "reject": N_("材料不足或不属实，不通过")}


class VerificationForm(PortalForm):
    """Posted by the evidence macro's form (families/_evidence.html), which draws its fields by hand."""
    decision = RadioField(_l("审核结果"), choices=[(k, _l(v)) for k, v in DECISION_LABELS.items()],
                          validate_choice=False)
    reason = LinesField(_l("审核理由"), validators=[
        DataRequired(_l("请填写审核理由。")), Length(max=1000, message=_l("审核理由最多写1000个字。"))])
    next = HiddenField()

    def validate_decision(self, field):
        if field.data not in DECISION_LABELS:
            raise ValidationError(_l("请选择通过或不通过。"))

"""The admin's institution form."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.common.forms import PortalForm
from portal.courses.forms import strip
from portal.institutions.models import InstitutionKind
from portal.institutions.services import InstitutionError, clean_uscc

KIND_CHOICES = [(InstitutionKind.technical_college.value, _l("技工院校")),
                (InstitutionKind.training_centre.value, _l("职业培训机构"))]


class InstitutionForm(PortalForm):
    name = StringField(_l("机构名称"), filters=[strip],
                       validators=[DataRequired(_l("请填写机构名称。")), Length(max=128)])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码。"))],
                       description=_l("18位，见营业执照或事业单位法人证书。"))
    kind = SelectField(_l("机构类型"), choices=KIND_CHOICES)
    region_code = SelectField(_l("所在地区"), choices=[])
    address = StringField(_l("地址"), filters=[strip], validators=[Optional(), Length(max=255)])
    phone = StringField(_l("咨询电话"), filters=[strip], validators=[Optional(), Length(max=32)])
    website = StringField(_l("网址"), filters=[strip], validators=[Optional(), Length(max=255)])
    description = TextAreaField(_l("简介"), validators=[Optional()])
    submit = SubmitField(_l("保存"))

    def validate_uscc(self, field):
        try:
            clean_uscc(field.data)
        except InstitutionError as e:
            raise ValidationError(str(e)) from None

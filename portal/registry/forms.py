"""The admin's registry forms: uploading a file, looking a person up, revealing an ID number."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from portal.common import idnumbers
from portal.common.forms import PortalForm
from portal.registry.importer import FileProblem, check_header


class UploadForm(PortalForm):
    file = FileField(_l("名单文件"), validators=[FileRequired(_l("请选择要导入的名单文件。"))],
                     description=_l("Excel 或 WPS 表格（XLSX、XLS 或 ODS），或 CSV（UTF-8 或 GBK 编码）。"
                                    "第一行是列名（上面可以有表格标题）：姓名、身份证号（或身份证号码、证件号码）、户编号必须有；"
                                    "与户主关系、行政区划代码、县、乡镇、村、识别年度、脱贫状态、是否低保、联系电话可选。"
                                    "名单分在几个工作表里（如每个乡镇一个）时，各表一起导入。"))
    # Asked every time, with no default: a township's list taken for the whole list would mark
    # everyone else as having left the registry, and their families would lose the green channel.
    full = RadioField(_l("这是哪种名单？"), choices=[
        ("full", _l("完整名单：这次名单里没有的人，标记为已退出名单")),
        ("partial", _l("部分名单（补充、更新，或一个乡镇的名单）：只新增和更新，不标记退出"))],
        validators=[InputRequired(_l("请选择这是完整名单还是部分名单。"))])
    submit = SubmitField(_l("导入"))

    def validate_file(self, field):
        """Refuse at once a file that cannot be imported at all (empty, not a table, a required column
        missing); a workbook too large to import in this request is checked by its import."""
        try:
            check_header(field.data.stream, workbook_limit=current_app.config["REGISTRY_BACKGROUND_BYTES"],
                         workbook_memory=current_app.config["REGISTRY_WORKBOOK_MEMORY"])
        except FileProblem as problem:
            raise ValidationError(_(str(problem))) from None


class LookupForm(PortalForm):
    number = StringField(_l("身份证号"), validators=[DataRequired(_l("请填写身份证号。"))])
    submit = SubmitField(_l("查找"))

    def validate_number(self, field):
        field.data = idnumbers.normalize(field.data)
        if problem := idnumbers.problem(field.data):
            raise ValidationError(_(problem))


class RevealForm(PortalForm):
    submit = SubmitField(_l("显示完整身份证号"))

"""The audit log page's filters, and the names of what entries record."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import NumberRange, Optional, ValidationError

from portal.common.forms import NumberField, PortalForm
from portal.common.i18n import N_

# Every action the portal records (portal.audit.services.record), in the words the page shows.
ACTION_LABELS = {
    "user.create": N_("创建账号"),
    "user.activate": N_("启用账号"),
    "user.deactivate": N_("停用账号"),
    "user.password_change": N_("修改密码"),
    "user.password_reset": N_("重置密码"),
    "institution.create": N_("添加机构"),
    "institution.update": N_("修改机构信息"),
    "course.create": N_("创建课程"),
    "course.update": N_("修改课程"),
    "course.status": N_("发布或关闭课程"),
    "student.create": N_("登记学生"),
    "student.update": N_("修改学生资料"),
    "student.verification": N_("身份核验结果变化"),
    "proof_document.upload": N_("上传证明材料"),
    "proof_document.delete": N_("删除证明材料"),
    "application.submit": N_("提交报名"),
    "application.transition": N_("报名状态变化"),
    "application.green_channel": N_("绿色通道变化"),
    "enrollment.create": N_("确认入学"),
    "admission_notice.issue": N_("出具录取通知书"),
    "registry_import.create": N_("上传建档立卡名单"),
    "registry_import.finish": N_("建档立卡名单导入结束"),
    "registry_import.restart": N_("重新开始中断的名单导入"),
    "registry_import.confirm_leaving": N_("确认完整名单中大量人员退出"),
    "registry_person.reveal_id": N_("查看完整身份证号"),
}
OBJECT_LABELS = {
    "users": N_("账号"),
    "institutions": N_("机构"),
    "courses": N_("课程"),
    "students": N_("学生"),
    "proof_documents": N_("证明材料"),
    "applications": N_("报名记录"),  # not 报名, which is the Apply button elsewhere
    "enrollments": N_("入学"),
    "admission_notices": N_("录取通知书"),
    "registry_imports": N_("名单导入"),
    "registry_people": N_("建档立卡人员"),
}


class AuditFilterForm(PortalForm):
    class Meta:
        csrf = False  # filtering changes nothing

    action = SelectField(_l("操作"), choices=[("", N_("全部"))] + list(ACTION_LABELS.items()),
                         validators=[Optional()])
    object_type = SelectField(_l("对象"), choices=[("", N_("全部"))] + list(OBJECT_LABELS.items()),
                              validators=[Optional()])
    object_id = NumberField(_l("对象编号"), validators=[Optional(), NumberRange(min=1, message=_l("编号是正整数。"))])
    actor = StringField(_l("操作人（手机号或邮箱）"), validators=[Optional()])
    start = DateField(_l("从（日期）"), validators=[Optional()])
    end = DateField(_l("到（日期）"), validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("结束日期不能早于开始日期。"))

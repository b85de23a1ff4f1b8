"""How audit entries read: each recorded field and value named in the reader's language, as the log page
and its Excel export show them."""
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from portal.audit.models import AuditEntry
from portal.auth.forms import ROLE_LABELS
from portal.common.i18n import N_, money
from portal.common.regions import region_label
from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS
from portal.courses.models import STATUS_LABELS as COURSE_STATUS_LABELS
from portal.enrollment.models import STATUS_LABELS as APPLICATION_STATUS_LABELS
from portal.enrollment.services import SYSTEM_REASONS as ENROLLMENT_REASONS
from portal.families.models import DOCUMENT_KIND_LABELS, RELATION_LABELS, VERIFICATION_LABELS
from portal.registry.models import IMPORT_STATUS_LABELS

# The names entries give the fields they record; a field not named here is shown as recorded.
FIELD_LABELS = {
    "status": N_("状态"), "reason": N_("原因"), "green_channel": N_("绿色通道"), "verification": N_("身份核验"),
    "name": N_("姓名"), "title": N_("名称"), "id_number": N_("身份证号"), "relation": N_("关系"),
    "region_code": N_("地区代码"), "role": N_("角色"), "active": N_("启用"), "institution_id": N_("所属机构编号"),
    "via": N_("创建方式"), "uscc": N_("统一社会信用代码"), "kind": N_("类别"), "level": N_("等级"), "mode": N_("方式"),
    "trade": N_("职业（工种）"), "hours": N_("总课时"), "schedule": N_("上课安排"), "description": N_("课程介绍"),
    "how_to_apply": N_("报名方式"), "address": N_("地址"), "phone": N_("电话"), "school": N_("学校"),
    "capacity": N_("招生人数"), "reserved_places": N_("绿色通道预留名额"), "fee_fen": N_("费用"),
    "fee_waiver": N_("免学费"), "national_grant": N_("国家助学金"), "living_allowance": N_("生活补助"),
    "start_date": N_("开课日期"), "end_date": N_("结课日期"), "apply_opens": N_("报名开始"),
    "apply_closes": N_("报名截止"), "report_date": N_("报到日期"), "report_time": N_("报到时间"),
    "number": N_("编号"), "filename": N_("文件名"), "size": N_("大小（字节）"),
    "content_type": N_("文件类型"), "sha256": N_("文件校验值（SHA-256）"),
    "full": N_("完整名单"), "application_id": N_("报名编号"), "student_id": N_("学生编号"),
    "added": N_("新增"), "updated": N_("更新"), "unchanged": N_("未变"), "left": N_("移出名单"),
    "rejected": N_("拒绝"), "repeated": N_("重复"), "students_changed": N_("学生核验变化"), "error": N_("错误"),
}
# Reasons the portal itself records (any other reason is a person's own words, shown as written).
REASONS = {**{reason: reason for reason in ENROLLMENT_REASONS},
           "registry check": N_("按建档立卡名单核对"), "new proof uploaded": N_("上传了新的证明材料"),
           "new proof deleted": N_("新上传的证明材料已删除，原来的审核结果恢复")}
# Which label table a recorded value is named in, by object and field.
VALUE_LABELS = {
    ("applications", "status"): APPLICATION_STATUS_LABELS, ("courses", "status"): COURSE_STATUS_LABELS,
    ("registry_imports", "status"): IMPORT_STATUS_LABELS, ("courses", "kind"): KIND_LABELS,
    ("courses", "level"): LEVEL_LABELS, ("courses", "mode"): MODE_LABELS,
    ("proof_documents", "kind"): DOCUMENT_KIND_LABELS,
}
FIELD_VALUE_LABELS = {"verification": VERIFICATION_LABELS, "relation": RELATION_LABELS, "role": ROLE_LABELS}
DATE_FIELDS = {"start_date", "end_date", "apply_opens", "apply_closes", "report_date"}  # recorded as ISO dates
@dataclass
class Change:
    field: str
    before: str | None  # None: the entry records no earlier value
    after: str | None


def _shown(object_type: str, field: str, value) -> str:
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field == "fee_fen" and isinstance(value, int):
        return money(value)
    if field == "reason":
        return _(REASONS[value]) if value in REASONS else str(value)
    if field == "error":
        return _(value)  # a failed registry import's message
    if field in DATE_FIELDS:
        try:
            return format_date(date.fromisoformat(value), "medium")
        except (TypeError, ValueError):
            return str(value)
    if field == "region_code":
        label = region_label(value)
        return f"{label}（{value}）" if label != value else str(value)
    labels = VALUE_LABELS.get((object_type, field)) or FIELD_VALUE_LABELS.get(field)
    if labels and value in labels:
        return str(_(labels[value]))  # some tables hold lazy strings
    return str(value)


def changes(entry: AuditEntry) -> list[Change]:
    """What the entry records, field by field, as the page shows it."""
    before, after = entry.before or {}, entry.after or {}
    return [Change(_(FIELD_LABELS.get(field, field)),
                   _shown(entry.object_type, field, before[field]) if field in before else None,
                   _shown(entry.object_type, field, after[field]) if field in after else None)
            for field in dict.fromkeys([*before, *after])]

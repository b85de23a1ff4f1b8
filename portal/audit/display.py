"""How audit entries read: each recorded field and value named in the reader's language, and each entry's
object by its name, as the log page and its Excel export show them."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.forms import ROLE_LABELS
from portal.auth.models import User
from portal.common.i18n import N_, money
from portal.common.regions import region_label
from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS, Course
from portal.courses.models import STATUS_LABELS as COURSE_STATUS_LABELS
from portal.db import db
from portal.enrollment.models import STATUS_LABELS as APPLICATION_STATUS_LABELS
from portal.enrollment.models import Application
from portal.enrollment.services import SYSTEM_REASONS as ENROLLMENT_REASONS
from portal.families.models import DOCUMENT_KIND_LABELS, RELATION_LABELS, VERIFICATION_LABELS, Student
from portal.institutions.models import Institution
from portal.registry.models import IMPORT_STATUS_LABELS, RegistryImport, RegistryPerson

# The names entries give the fields they record; a field not named here is shown as recorded.
FIELD_LABELS = {
    "status": N_("状态"), "reason": N_("原因"), "green_channel": N_("绿色通道"), "verification": N_("身份核验"),
    "name": N_("姓名"), "title": N_("名称"), "id_number": N_("身份证号"), "relation": N_("关系"),
    "region_code": N_("地区代码"), "role": N_("角色"), "active": N_("启用"), "institution_id": N_("所属机构"),
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
    "added": N_("新增"), "updated": N_("更新"), "unchanged": N_("未变"), "left": N_("退出名单"),
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


# What an object of each kind is called, by its id: an account by its holder and login, a course by its
# title, an application by its student and course; (object type, id) -> name.
Names = dict[tuple[str, int], str]


def _name_queries(ids: dict[str, set[int]]):
    if ids.get("users"):
        yield "users", select(User.id, User.name, User.mobile, User.email).where(User.id.in_(ids["users"]))
    for object_type, model, column in (("institutions", Institution, Institution.name),
                                       ("courses", Course, Course.title), ("students", Student, Student.name),
                                       ("registry_people", RegistryPerson, RegistryPerson.name),
                                       ("registry_imports", RegistryImport, RegistryImport.filename)):
        if ids.get(object_type):
            yield object_type, select(model.id, column).where(model.id.in_(ids[object_type]))
    if ids.get("applications"):
        yield "applications", (select(Application.id, Student.name, Course.title)
                               .join(Student, Student.id == Application.student_id)
                               .join(Course, Course.id == Application.course_id)
                               .where(Application.id.in_(ids["applications"])))


def object_names(entries: Iterable[AuditEntry]) -> Names:
    """The names of the entries' objects, and of the institutions their fields record by id: one query for
    each kind of object, however many entries there are. An object since deleted has no name."""
    ids: dict[str, set[int]] = {}
    for entry in entries:
        ids.setdefault(entry.object_type, set()).add(entry.object_id)
        for values in (entry.before or {}, entry.after or {}):
            if isinstance(values.get("institution_id"), int):
                ids.setdefault("institutions", set()).add(values["institution_id"])
    names: Names = {}
    for object_type, query in _name_queries(ids):
        for row in db.session.execute(query):
            if object_type == "users":
                name = _("%(name)s（%(login)s）", name=row.name, login=row.mobile or row.email)
            elif object_type == "applications":
                name = _("%(student)s · %(course)s", student=row[1], course=row[2])
            else:
                name = row[1]
            names[object_type, row[0]] = name
    return names


def _shown(object_type: str, field: str, value, names: Names) -> str:
    if value is None or value == "":
        return _("（空）")
    if field == "institution_id" and ("institutions", value) in names:
        return names["institutions", value]
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
        return _("%(region)s（%(code)s）", region=label, code=value) if label != value else str(value)
    labels = VALUE_LABELS.get((object_type, field)) or FIELD_VALUE_LABELS.get(field)
    if labels and value in labels:
        return str(_(labels[value]))  # some tables hold lazy strings
    return str(value)


def changes(entry: AuditEntry, names: Names | None = None) -> list[Change]:
    """What the entry records, field by field, as the page shows it; an institution recorded by its id is
    named when `names` (from object_names) has it."""
    before, after, names = entry.before or {}, entry.after or {}, names or {}
    return [Change(_(FIELD_LABELS.get(field, field)),
                   _shown(entry.object_type, field, before[field], names) if field in before else None,
                   _shown(entry.object_type, field, after[field], names) if field in after else None)
            for field in dict.fromkeys([*before, *after])]

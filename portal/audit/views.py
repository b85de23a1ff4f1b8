"""The admin's audit log page: every recorded change, newest first, narrowed by what was done, to
what, by whom and when."""
import io
from dataclasses import astuple, dataclass
from datetime import date

from flask import redirect, render_template, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portal.audit import bp
from portal.audit.forms import ACTION_LABELS, OBJECT_LABELS, AuditFilterForm
from portal.audit.models import AuditEntry
from portal.audit.services import LogFilters, log_entries, log_page
from portal.auth.access import role_required
from portal.auth.forms import ROLE_LABELS
from portal.auth.models import Role
from portal.auth.services import find_by_login
from portal.common.i18n import N_, money
from portal.common.regions import region_label
from portal.common.spreadsheets import XLSX, saved, text_cell
from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS
from portal.courses.models import STATUS_LABELS as COURSE_STATUS_LABELS
from portal.db import SHANGHAI, today
from portal.enrollment.models import STATUS_LABELS as APPLICATION_STATUS_LABELS
from portal.enrollment.services import SYSTEM_REASONS as ENROLLMENT_REASONS
from portal.families.models import DOCUMENT_KIND_LABELS, RELATION_LABELS, VERIFICATION_LABELS
from portal.registry.models import IMPORT_STATUS_LABELS

PER_PAGE = 50

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
    "apply_closes": N_("报名截止"), "number": N_("编号"), "filename": N_("文件名"), "size": N_("大小（字节）"),
    "full": N_("完整名单"), "application_id": N_("报名编号"), "student_id": N_("学生编号"),
    "added": N_("新增"), "updated": N_("更新"), "unchanged": N_("未变"), "left": N_("移出名单"),
    "rejected": N_("拒绝"), "repeated": N_("重复"), "students_changed": N_("学生核验变化"), "error": N_("错误"),
}
# Reasons the portal itself records (any other reason is a person's own words, shown as written).
REASONS = {**{reason: reason for reason in ENROLLMENT_REASONS},
           "registry check": N_("按建档立卡名单核对"), "new proof uploaded": N_("上传了新的证明材料")}
# Which label table a recorded value is named in, by object and field.
VALUE_LABELS = {
    ("applications", "status"): APPLICATION_STATUS_LABELS, ("courses", "status"): COURSE_STATUS_LABELS,
    ("registry_imports", "status"): IMPORT_STATUS_LABELS, ("courses", "kind"): KIND_LABELS,
    ("courses", "level"): LEVEL_LABELS, ("courses", "mode"): MODE_LABELS,
    ("proof_documents", "kind"): DOCUMENT_KIND_LABELS,
}
FIELD_VALUE_LABELS = {"verification": VERIFICATION_LABELS, "relation": RELATION_LABELS, "role": ROLE_LABELS}
DATE_FIELDS = {"start_date", "end_date", "apply_opens", "apply_closes"}  # recorded as ISO dates
# The page an admin reads each kind of object on, and the name of its id in that page's URL.
OBJECT_PAGES = {"courses": ("courses.detail", "course_id"),
                "institutions": ("institutions.admin_edit", "institution_id"),
                "registry_imports": ("registry.import_detail", "import_id"),
                "registry_people": ("registry.person", "person_id")}


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


def object_page(entry: AuditEntry) -> str | None:
    """The address of the page that shows the entry's object, where the admin has one."""
    if entry.object_type not in OBJECT_PAGES:
        return None
    endpoint, id_arg = OBJECT_PAGES[entry.object_type]
    return url_for(endpoint, **{id_arg: entry.object_id})


def _filters(form: AuditFilterForm) -> LogFilters | None:
    """The log's filters as the form gives them; None when they name a person who has no account.

    A choice not on the list (a stale link) is left off; a number or date that could not be read is
    None. An end before the start is explained under it, and no day falls in such a range.
    """
    form.validate()
    actor = find_by_login(form.actor.data) if form.actor.data else None
    if form.actor.data and actor is None:
        form.actor.errors.append(_("没有这个手机号或邮箱的账号。"))
        return None
    return LogFilters(action="" if form.action.errors else form.action.data,
                      object_type="" if form.object_type.errors else form.object_type.data,
                      object_id=form.object_id.data, actor_id=actor.id if actor else None,
                      start=form.start.data, end=form.end.data)


@bp.get("/admin/audit")
@role_required(Role.admin)
def log():
    """Who: admin. The audit log, newest first, PER_PAGE at a time, with filters."""
    form = AuditFilterForm(request.args)
    filters = _filters(form)
    entries = []
    if filters is not None:
        filters.before_id = request.args.get("before", type=int)
        entries = log_page(filters, PER_PAGE + 1)
    older = (url_for("audit.log", **{**request.args.to_dict(), "before": entries[PER_PAGE - 1].id})
             if len(entries) > PER_PAGE else None)
    more_in_use = any(f.data is not None and f.data != "" or f.errors
                      for f in (form.object_id, form.actor, form.start, form.end))
    export = url_for("audit.export", **{k: v for k, v in request.args.items() if k != "before"})
    return render_template("audit/log.html", form=form, more_in_use=more_in_use, entries=entries[:PER_PAGE],
                           older=older, export=export if entries and not form.errors else None, changes=changes,
                           object_page=object_page, ACTION_LABELS=ACTION_LABELS, OBJECT_LABELS=OBJECT_LABELS)


@bp.get("/admin/audit/export.xlsx")
@role_required(Role.admin)
def export():
    """Who: admin. Every entry the filters match, as an XLSX file with a row for each field changed."""
    form = AuditFilterForm(request.args)
    filters = _filters(form)
    if filters is None or form.errors:  # the log page explains what is wrong with the filters
        return redirect(url_for("audit.log", **request.args))
    workbook = log_workbook(log_entries(filters))
    return send_file(workbook, as_attachment=True, mimetype=XLSX,
                     download_name=f"audit-log-{today():%Y%m%d}.xlsx")


def _label(labels: dict, key: str) -> str:
    return _(labels[key]) if key in labels else key


def log_workbook(entries) -> io.BytesIO:
    """The entries as an XLSX sheet: when (Asia/Shanghai), who, what, which object, then the field, its
    value before and after, in the reader's language; an entry that records no field takes one row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("操作日志"))
    sheet.append([_("时间"), _("操作人"), _("操作人账号"), _("操作"), _("对象"), _("对象编号"),
                  _("内容"), _("修改前"), _("修改后")])
    for entry in entries:
        when = WriteOnlyCell(sheet, value=entry.at.astimezone(SHANGHAI).replace(tzinfo=None))
        when.number_format = "yyyy-mm-dd hh:mm:ss"
        head = [when, text_cell(sheet, entry.actor.name) if entry.actor else _("系统"),
                entry.actor.login_name if entry.actor else "", _label(ACTION_LABELS, entry.action),
                _label(OBJECT_LABELS, entry.object_type), entry.object_id]
        for change in changes(entry) or [Change("", None, None)]:
            sheet.append([*head, *(text_cell(sheet, value or "") for value in astuple(change))])
    return saved(workbook)

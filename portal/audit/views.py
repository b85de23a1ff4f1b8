"""The admin's audit log page: every recorded change, newest first, narrowed by what was done, to
what, by whom and when; and its export to Excel."""
import io

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.audit import bp
from portal.audit.display import changes, object_names
from portal.audit.export import EXPORT_KEPT_DAYS, log_workbook, run_export, start_export
from portal.audit.forms import ACTION_LABELS, OBJECT_LABELS, AuditFilterForm
from portal.audit.models import EXPORT_STATUS_LABELS, AuditEntry, AuditExport, ExportStatus
from portal.audit.services import LogFilters, log_count, log_entries, log_page, newest_entry_id
from portal.auth.access import role_required
from portal.auth.models import Role
from portal.auth.services import find_by_login
from portal.common.downloads import xlsx_download
from portal.common.i18n import N_
from portal.common.jobs import enqueue, stalled
from portal.db import db, local_date, today

PER_PAGE = 50
LOG_FILE_NAME = N_("操作日志")  # an export's file name begins with it, in the admin's language

# The page an admin reads each kind of object on, and the name of its id in that page's URL.
OBJECT_PAGES = {"courses": ("courses.detail", "course_id"),
                "institutions": ("institutions.admin_edit", "institution_id"),
                "registry_imports": ("registry.import_detail", "import_id"),
                "registry_people": ("registry.person", "person_id")}


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
    entries = entries[:PER_PAGE]
    return render_template("audit/log.html", form=form, more_in_use=more_in_use, entries=entries,
                           names=object_names(entries), earlier=request.args.get("before", type=int) is not None,
                           older=older, exportable=bool(entries) and not form.errors, exports=_own_exports(),
                           export_args={k: v for k, v in request.args.items() if k != "before"}, changes=changes,
                           object_page=object_page, ACTION_LABELS=ACTION_LABELS, OBJECT_LABELS=OBJECT_LABELS,
                           EXPORT_STATUS_LABELS=EXPORT_STATUS_LABELS)


def _own_exports() -> list[AuditExport]:
    return list(db.session.scalars(select(AuditExport).where(AuditExport.requested_by_id == current_user.id)
                                   .order_by(AuditExport.id.desc())))


@bp.post("/admin/audit/exports")
@role_required(Role.admin)
def export():
    """Who: admin. Every entry the filters match, as an XLSX file with a row for each field changed: sent at
    once when there are few, else written by a background job whose page the admin is taken to."""
    form = AuditFilterForm(request.form)
    filters = _filters(form)
    if filters is None or form.errors:  # the log page explains what is wrong with the filters
        return redirect(url_for("audit.log", **{k: v for k, v in request.form.items() if k != "csrf_token"}))
    filters.before_id = newest_entry_id() + 1
    total = log_count(filters)
    if total <= current_app.config["AUDIT_EXPORT_IN_REQUEST"]:
        return xlsx_download(log_workbook(log_entries(filters)), f"{_(LOG_FILE_NAME)}-{today():%Y%m%d}.xlsx",
                             f"audit-log-{today():%Y%m%d}.xlsx")
    started = start_export(current_user, filters, total)
    db.session.commit()
    enqueue(run_export, started.id)
    return redirect(url_for("audit.export_detail", export_id=started.id))


def _own_export(export_id: int) -> AuditExport:
    export = db.session.get(AuditExport, export_id)
    if export is None or export.requested_by_id != current_user.id:
        abort(404)
    return export


@bp.get("/admin/audit/exports/<int:export_id>")
@role_required(Role.admin)
def export_detail(export_id: int):
    """Who: the admin who asked for the export. Its progress, then its file."""
    export = _own_export(export_id)
    return render_template("audit/export.html", export=export, EXPORT_STATUS_LABELS=EXPORT_STATUS_LABELS,
                           EXPORT_KEPT_DAYS=EXPORT_KEPT_DAYS,
                           running=export.status in (ExportStatus.queued, ExportStatus.running) and not stalled(export))


@bp.get("/admin/audit/exports/<int:export_id>/audit-log.xlsx")
@role_required(Role.admin)
def export_file(export_id: int):
    """Who: the admin who asked for the export, once it is done."""
    export = _own_export(export_id)
    if export.status != ExportStatus.done:
        abort(404)
    name = f"{local_date(export.created_at):%Y%m%d}-{export.id}.xlsx"
    return xlsx_download(io.BytesIO(export.content), f"{_(LOG_FILE_NAME)}-{name}", f"audit-log-{name}")

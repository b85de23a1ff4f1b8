"""The audit log as an Excel file. An export of up to AUDIT_EXPORT_IN_REQUEST entries is written while the
admin waits; a longer one (a year of a province's log runs to hundreds of thousands) by a background job,
whose progress the admin watches and whose file they download when it is done."""
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, astuple
from datetime import date, timedelta
from itertools import islice

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import delete, update

from portal.audit.display import Change, changes, object_names
from portal.audit.forms import ACTION_LABELS, OBJECT_LABELS
from portal.audit.models import AuditExport, ExportStatus
from portal.audit.services import LogFilters, log_page
from portal.common.jobs import job
from portal.common.spreadsheets import saved, text_cell
from portal.db import SHANGHAI, db, utcnow

EXPORT_PAGE = 2_000  # entries read, written and counted as done at a time
EXPORT_KEPT_DAYS = 7
NAMED_AT_ONCE = 1_000  # entries whose objects are named with one query per kind of object


def _label(labels: dict, key: str) -> str:
    return _(labels[key]) if key in labels else key


def log_workbook(entries: Iterable) -> io.BytesIO:
    """The entries as an XLSX sheet: when (Asia/Shanghai), who, what, which object and its name, then the
    field, its value before and after, in the reader's language; an entry that records no field takes one row."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("操作日志"))
    sheet.append([_("时间"), _("操作人"), _("操作人账号"), _("操作"), _("对象"), _("对象编号"), _("对象名称"),
                  _("内容"), _("修改前"), _("修改后")])
    for batch in _batches(entries, NAMED_AT_ONCE):
        names = object_names(batch)
        for entry in batch:
            for change in changes(entry, names) or [Change("", None, None)]:
                values = (text_cell(sheet, value or "") for value in astuple(change))
                sheet.append([*_head(sheet, entry, names), *values])
    return saved(workbook)


def _head(sheet, entry, names) -> list:
    """The entry's columns before the field changed, as new cells for each row: the sheet writes the values
    after a cell of its own into that cell, so a cell is never given to two rows."""
    when = WriteOnlyCell(sheet, value=entry.at.astimezone(SHANGHAI).replace(tzinfo=None))
    when.number_format = "yyyy-mm-dd hh:mm:ss"
    return [when, text_cell(sheet, entry.actor.name) if entry.actor else _("系统"),
            entry.actor.login_name if entry.actor else "", _label(ACTION_LABELS, entry.action),
            _label(OBJECT_LABELS, entry.object_type), entry.object_id,
            text_cell(sheet, names.get((entry.object_type, entry.object_id), ""))]


def _batches(items: Iterable, size: int) -> Iterator[list]:
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch


def delete_old_exports() -> int:
    """Delete the exports started EXPORT_KEPT_DAYS or more ago, files and all; how many there were.
    A copy of the log's personal details is not kept longer than its admin needs to download it."""
    old = delete(AuditExport).where(AuditExport.created_at < utcnow() - timedelta(days=EXPORT_KEPT_DAYS))
    return db.session.execute(old).rowcount


def start_export(admin, filters: LogFilters, total: int) -> AuditExport:
    """Queue an export of the `total` entries `filters` match (bounded by the newest entry, so entries
    made meanwhile do not join it), in the admin's language; exports past keeping are deleted."""
    delete_old_exports()
    export = AuditExport(requested_by_id=admin.id, locale=str(get_locale()), entries_total=total,
                         filters={k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(filters).items()})
    db.session.add(export)
    db.session.flush()
    return export


@job
def run_export(export_id: int) -> None:
    """Background job: write a queued export's file, counting the entries written as it goes."""
    export = db.session.get(AuditExport, export_id)
    if export is None or export.status != ExportStatus.queued:  # deleted, or the job ran twice
        return
    export.status, export.progress_at = ExportStatus.running, utcnow()
    locale, stored = export.locale, export.filters
    db.session.commit()
    filters = LogFilters(**{k: date.fromisoformat(v) if k in ("start", "end") and v else v for k, v in stored.items()})
    try:
        with force_locale(locale):
            content = log_workbook(_entries_counted(export_id, filters)).getvalue()
    except Exception:
        db.session.rollback()
        _set(export_id, status=ExportStatus.failed, finished_at=utcnow())
        raise
    _set(export_id, status=ExportStatus.done, content=content, finished_at=utcnow())


def _entries_counted(export_id: int, filters: LogFilters):
    """The entries, newest first, a page at a time; after each page the export's progress is saved."""
    done = 0
    while page := log_page(filters, EXPORT_PAGE):
        yield from page
        done += len(page)
        filters.before_id = page[-1].id
        _set(export_id, entries_done=done, progress_at=utcnow())


def _set(export_id: int, **values) -> None:
    db.session.execute(update(AuditExport).where(AuditExport.id == export_id).values(**values))
    db.session.commit()

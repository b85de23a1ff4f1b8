"""Audit entries (rows are only ever inserted; nothing in the portal updates or deletes one), and the
log's exports made in the background."""
import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.auth.models import User
from portal.common.i18n import N_
from portal.db import db, one_of, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column()
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}#{self.object_id}>"


class ExportStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


EXPORT_STATUS_LABELS = {
    ExportStatus.queued: N_("排队中"),
    ExportStatus.running: N_("导出中"),
    ExportStatus.done: N_("已完成"),
    ExportStatus.failed: N_("失败"),
}


class AuditExport(db.Model):
    """An export of the log too long to write while the admin waits: written by a background job for the
    admin who asked for it, and deleted EXPORT_KEPT_DAYS after it was asked for (see export.delete_old_exports)."""
    __tablename__ = "audit_exports"
    __table_args__ = (
        CheckConstraint(one_of("status", ExportStatus), name="status_known"),
        CheckConstraint("entries_done >= 0 AND entries_done <= entries_total", name="progress_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filters: Mapped[dict] = mapped_column(JSON)  # LogFilters, dates as ISO text, bounded by the newest entry then
    locale: Mapped[str] = mapped_column(String(16))  # the admin's language, which the file is written in
    status: Mapped[ExportStatus] = mapped_column(String(16), default=ExportStatus.queued)
    entries_total: Mapped[int] = mapped_column()
    entries_done: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    progress_at: Mapped[datetime | None] = mapped_column()  # its job's last sign of life (see jobs.stalled)
    finished_at: Mapped[datetime | None] = mapped_column()
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # the XLSX file, once done

    def __repr__(self) -> str:
        return f"<AuditExport {self.id} {self.status}>"

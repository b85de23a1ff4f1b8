"""The 建档立卡 poverty registry: people as the poverty office lists them, import batches, history."""
import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, SmallInteger, String, Text, false
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.common.i18n import N_
from portal.db import db, one_of, utcnow


class PovertyStatus(enum.StrEnum):
    not_lifted = "not_lifted"  # 未脱贫
    lifted = "lifted"  # 已脱贫
    relapsed = "relapsed"  # 返贫
    monitored = "monitored"  # 监测对象


POVERTY_STATUS_LABELS = {
    PovertyStatus.not_lifted: N_("未脱贫"),
    PovertyStatus.lifted: N_("已脱贫"),
    PovertyStatus.relapsed: N_("返贫"),
    PovertyStatus.monitored: N_("监测对象"),
}


class ImportStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"  # the file as a whole could not be read; nothing was changed
    # A full list leaving out so many of the registry that the admin must confirm it (see services._merge);
    # nothing was changed, and the file is kept to import from once confirmed.
    held = "held"


IMPORT_STATUS_LABELS = {
    ImportStatus.queued: N_("排队中"),
    ImportStatus.running: N_("导入中"),
    ImportStatus.done: N_("已完成"),
    ImportStatus.failed: N_("失败"),
    ImportStatus.held: N_("待确认"),
}


class ChangeKind(enum.StrEnum):
    updated = "updated"  # a listed field changed
    left = "left"  # missing from a newer full import
    returned = "returned"  # listed again after having left


CHANGE_KIND_LABELS = {
    ChangeKind.updated: N_("信息变更"),
    ChangeKind.left: N_("退出名单"),
    ChangeKind.returned: N_("重新列入"),
}


class RegistryImport(db.Model):
    """One file imported as a batch, with what it did."""
    __tablename__ = "registry_imports"
    __table_args__ = (
        CheckConstraint(one_of("status", ImportStatus), name="status_known"),
        CheckConstraint("rows_done >= 0 AND rows_done <= rows_total", name="progress_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column()
    status: Mapped[ImportStatus] = mapped_column(String(16), default=ImportStatus.queued)
    # A full import lists everyone; people it does not list have left the registry.
    full: Mapped[bool] = mapped_column(default=True)
    # The admin confirmed that this full list leaves out as many as it does (see ImportStatus.held).
    leaving_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_done: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    left: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # Rows listing someone as an earlier row did (a summary sheet and a township's): counted once.
    repeated: Mapped[int] = mapped_column(default=0, server_default="0")
    # Students on the portal whose verification the import changed (recognised, or no longer).
    students_changed: Mapped[int] = mapped_column(default=0)
    unknown_columns: Mapped[list] = mapped_column(JSON, default=list)
    sheets: Mapped[list | None] = mapped_column(JSON)  # the workbook's sheets the list was read from, in order
    error: Mapped[str | None] = mapped_column(Text)  # why a failed file was refused (a msgid)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    progress_at: Mapped[datetime | None] = mapped_column()  # its job's last sign of life (see jobs.stalled)
    # Which run of its job may write it: a restart counts on, and a run that was only thought stopped
    # finds itself superseded at its next write and stops (see services.run_import).
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    finished_at: Mapped[datetime | None] = mapped_column()

    created_by = relationship("User", lazy="raise")

    def __repr__(self) -> str:
        return f"<RegistryImport {self.id} {self.filename} {self.status}>"


class RegistryFile(db.Model):
    """An uploaded file waiting for its background import, encrypted (it lists ID numbers).

    Deleted when the import finishes.
    """
    __tablename__ = "registry_files"

    import_id: Mapped[int] = mapped_column(ForeignKey("registry_imports.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<RegistryFile for import {self.import_id}>"


class RegistryPerson(db.Model):
    __tablename__ = "registry_people"
    __table_args__ = (
        CheckConstraint(f"poverty_status IS NULL OR {one_of('poverty_status', PovertyStatus)}",
                        name="poverty_status_known"),
        CheckConstraint("in_registry OR left_on IS NOT NULL", name="left_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)  # portal.common.idnumbers
    id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    name: Mapped[str] = mapped_column(String(64))
    household_no: Mapped[str] = mapped_column(String(64), index=True)  # 户编号
    relation: Mapped[str] = mapped_column(String(32), default="")  # 与户主关系
    region_code: Mapped[str] = mapped_column(String(6), default="")
    county: Mapped[str] = mapped_column(String(64), default="")
    township: Mapped[str] = mapped_column(String(64), default="")
    village: Mapped[str] = mapped_column(String(64), default="")
    year_identified: Mapped[int | None] = mapped_column()  # 识别年度
    poverty_status: Mapped[PovertyStatus | None] = mapped_column(String(16))
    dibao: Mapped[bool | None] = mapped_column()  # 是否低保
    phone: Mapped[str] = mapped_column(String(32), default="")
    # Digest of the listed fields, so an import tells unchanged rows without comparing each field.
    row_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    in_registry: Mapped[bool] = mapped_column(default=True)
    left_on: Mapped[date | None] = mapped_column()
    first_import_id: Mapped[int] = mapped_column(ForeignKey("registry_imports.id"))

    def __repr__(self) -> str:
        return f"<RegistryPerson {self.id} {self.name}>"


class RegistryChange(db.Model):
    """History: what an import changed about a person (their first listing is first_import_id)."""
    __tablename__ = "registry_changes"
    __table_args__ = (CheckConstraint(one_of("kind", ChangeKind), name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("registry_people.id"), index=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_imports.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(String(16))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # field → [before, after]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RegistryChange {self.kind} person {self.person_id}>"


class RegistryRejection(db.Model):
    """A row an import refused, with where it is in the file and why (a msgid and its detail)."""
    __tablename__ = "registry_rejections"
    __table_args__ = (Index("ix_registry_rejections_import_row", "import_id", "sheet_no", "row_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_imports.id", ondelete="CASCADE"))
    sheet_no: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # in the import's sheets
    row_no: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(String(128))
    # The row as read, with any ID number masked: enough to find and fix it in the source file.
    values: Mapped[dict] = deferred(mapped_column(JSON, default=dict))

    def __repr__(self) -> str:
        return f"<RegistryRejection import {self.import_id} row {self.row_no}>"

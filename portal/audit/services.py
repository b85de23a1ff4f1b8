"""Writing to the audit log (callers pass plain dicts of the fields that changed), and reading it."""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.audit.models import AuditEntry
from portal.db import SHANGHAI, db


def record(actor, action: str, obj, before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Append one entry for `obj` (a flushed model instance) changed by `actor` (a User or None)."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__tablename__,
        object_id=obj.id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


@dataclass
class LogFilters:
    """What the audit log page is narrowed to; None or "" leaves a filter off."""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    actor_id: int | None = None
    start: date | None = None  # days in China, both ends included
    end: date | None = None
    before_id: int | None = None  # keyset paging: entries older than this one


def log_page(filters: LogFilters, limit: int) -> list[AuditEntry]:
    """Up to `limit` entries matching `filters`, newest first, each with its actor loaded."""
    return list(db.session.scalars(_log_query(filters).limit(limit)))


def log_entries(filters: LogFilters) -> Iterator[AuditEntry]:
    """Every entry matching `filters`, newest first, each with its actor loaded, read a thousand at a time."""
    return db.session.scalars(_log_query(filters).execution_options(yield_per=1_000))


def log_count(filters: LogFilters) -> int:
    """How many entries match `filters`."""
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(*_conditions(filters)))


def newest_entry_id() -> int:
    """The id of the newest entry (0 when there is none): an export covers the entries up to it."""
    return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def _log_query(filters: LogFilters):
    return (select(AuditEntry).options(joinedload(AuditEntry.actor)).where(*_conditions(filters))
            .order_by(AuditEntry.id.desc()))


def _conditions(filters: LogFilters) -> list:
    conditions = []
    for column, value in ((AuditEntry.action, filters.action), (AuditEntry.object_type, filters.object_type),
                          (AuditEntry.object_id, filters.object_id), (AuditEntry.actor_id, filters.actor_id)):
        if value is not None and value != "":
            conditions.append(column == value)
    if filters.start:
        conditions.append(AuditEntry.at >= datetime.combine(filters.start, time(), SHANGHAI))
    if filters.end:
        conditions.append(AuditEntry.at < datetime.combine(filters.end + timedelta(days=1), time(), SHANGHAI))
    if filters.before_id is not None:
        conditions.append(AuditEntry.id < filters.before_id)
    return conditions

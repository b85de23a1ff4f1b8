"""Writing to the audit log. Callers pass plain dicts of the fields that changed."""
from portal.audit.models import AuditEntry
from portal.db import db


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

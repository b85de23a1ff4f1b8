"""Registry rules: importing a file as a batch, the people's history, lookups by ID number.

An import runs in two phases on one database connection. First every row is read, checked and
staged into a TEMP table, with refused rows recorded and progress committed block by block (a
TEMP table survives commits on its connection, and on SQLite it does not lock the database).
Then one transaction merges the staged rows into the registry with set-based SQL, so a failure
at any point leaves the registry as it was. PostgreSQL stages with COPY; SQLite with executemany.
Last, students on the portal whose listing the import added or changed are checked again.
"""
import hashlib
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from psycopg import Copy
from psycopg.types.json import Json
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    MetaData,
    Table,
    UniqueConstraint,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, undefer
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from portal.audit.services import record
from portal.common import idnumbers
from portal.common.i18n import N_
from portal.common.jobs import job, stalled, stalled_where
from portal.common.spreadsheets import saved, text_cell
from portal.db import db, today, utcnow
from portal.families.services import recheck_after_import
from portal.registry.importer import (
    DIBAO,
    DUPLICATE_ID,
    DUPLICATE_ID_ON_SHEET,
    LISTED,
    REFUSED,
    STAGED,
    FileProblem,
    RowChecker,
    checked_blocks,
    open_table,
)
from portal.registry.models import (
    POVERTY_STATUS_LABELS,
    ChangeKind,
    ImportStatus,
    RegistryChange,
    RegistryFile,
    RegistryImport,
    RegistryPerson,
    RegistryRejection,
)

NO_ROWS = N_("文件中只有列名，没有数据行。")
# Refusing the whole file keeps a wrong file (say, with shifted columns) from marking everyone as left.
NO_VALID_ROWS = N_("没有一行数据通过检查。请按下面列出的原因修改后重新导入。")
INTERNAL_ERROR = N_("导入时系统出错。请稍后重试；如果再次出错，请联系技术支持。")
# A row's listing, as one int: its digests (see Checked.digests) above its place, and its sheet's
# index above its row number.
SHEET_SHIFT = 32
ROW_MASK = (1 << SHEET_SHIFT) - 1
DIGEST_SHIFT = 64
PLACE_MASK = (1 << DIGEST_SHIFT) - 1
DIGEST_BITS = 128
DIGEST_MASK = (1 << DIGEST_BITS) - 1
STOPPED_FILE_KEPT_DAYS = 7
HOLD_LEAVING_FLOOR = 5  # a full list leaving out this many or fewer is never held, however small the registry
MERGE_LOCK = 0x5245_4749  # PostgreSQL advisory lock key: one merge into the registry at a time
# The merge's working memory on PostgreSQL, so that joining a million staged rows to the registry
# hashes them in memory. With the default 4 MB the planner walks both ID-hash indexes instead, in
# hash order, reading both tables at random: importing a million-row file again took 31 s, not 23.
MERGE_WORK_MEM = "64MB"

PEOPLE = RegistryPerson.__table__
CHANGES = RegistryChange.__table__
REJECTIONS = RegistryRejection.__table__
HOUSEHOLD_INDEX = next(index for index in PEOPLE.indexes if list(index.columns.keys()) == ["household_no"])
UNIQUE_ID_HASH = next(c for c in PEOPLE.constraints if isinstance(c, UniqueConstraint) and "id_hash" in c.columns)
FIRST_IMPORT_FK = next(iter(PEOPLE.c.first_import_id.foreign_keys)).constraint
# The staged rows: the columns of registry_people an import writes, on the import's own connection.
STAGE = Table("registry_stage", MetaData(), *(Column(name, PEOPLE.c[name].type) for name in STAGED),
              prefixes=["TEMPORARY"])


def lookup(number: str) -> RegistryPerson | None:
    """The person listed in the registry now under this ID number (normalised here), or None."""
    return db.session.scalar(select(RegistryPerson).where(
        RegistryPerson.id_hash == idnumbers.vault().hash(idnumbers.normalize(number)), RegistryPerson.in_registry))


def find_person(number: str) -> RegistryPerson | None:
    """The person ever listed under this (normalised) ID number, also when they have left."""
    return db.session.scalar(select(RegistryPerson).where(RegistryPerson.id_hash == idnumbers.vault().hash(number)))


def reveal_id(actor, person: RegistryPerson) -> str:
    """The person's whole ID number, for an admin who asked to see it; the request is audited."""
    record(actor, "registry_person.reveal_id", person)
    return idnumbers.vault().decrypt(person.id_cipher)


def masked_id(person: RegistryPerson) -> str:
    return idnumbers.mask(idnumbers.vault().decrypt(person.id_cipher))


def history(person: RegistryPerson) -> list[RegistryChange]:
    return list(db.session.scalars(select(RegistryChange).where(RegistryChange.person_id == person.id)
                                   .order_by(RegistryChange.id)))


# --- starting an import --------------------------------------------------------------------------

def delete_stale_files() -> int:
    """Delete the stored files of batches stopped or held STOPPED_FILE_KEPT_DAYS ago; how many there were.
    Whoever meant to import them has uploaded the list afresh by now, and a list of the poor is not kept
    for nothing."""
    week_ago = utcnow() - timedelta(days=STOPPED_FILE_KEPT_DAYS)
    return db.session.execute(delete(RegistryFile).where(RegistryFile.import_id.in_(select(RegistryImport.id).where(or_(
        stalled_where(RegistryImport, timedelta(days=STOPPED_FILE_KEPT_DAYS)),
        (RegistryImport.status == ImportStatus.held) & (RegistryImport.finished_at < week_ago)))))).rowcount


def create_import(actor, filename: str, source: BinaryIO, *, full: bool, keep_file: bool,
                  leaving_confirmed: bool = False) -> RegistryImport:
    """A queued batch for the file. With `keep_file` the file is stored, sealed, for a background job.
    Stored files past keeping are deleted first (delete_stale_files)."""
    delete_stale_files()
    digest, size = hashlib.sha256(), 0
    while block := source.read(1 << 20):
        digest.update(block)
        size += len(block)
    source.seek(0)
    batch = RegistryImport(filename=filename[-255:], sha256=digest.hexdigest(), size=size, full=full,
                           leaving_confirmed=leaving_confirmed, status=ImportStatus.queued,
                           created_by_id=actor.id if actor else None)
    db.session.add(batch)
    db.session.flush()
    if keep_file:
        store_file(batch, source)
    record(actor, "registry_import.create", batch, after={"filename": batch.filename, "size": size, "full": full})
    return batch


def store_file(batch: RegistryImport, source: BinaryIO) -> None:
    """Keep the batch's file, sealed, to be imported from later (by a job, a restart or a confirmation)."""
    source.seek(0)
    db.session.add(RegistryFile(import_id=batch.id, data=idnumbers.vault().seal(source.read())))
    source.seek(0)


@job
def import_stored_file(import_id: int, attempt: int = 1) -> None:
    """Background job: import a queued batch from its stored file, then delete the file.

    `attempt` is the batch's attempt when this run was queued: a run queued before a restart stops
    without writing anything, and leaves the file to the restarted run."""
    sealed = db.session.scalar(select(RegistryFile.data).where(RegistryFile.import_id == import_id))
    db.session.commit()  # end the read, so the import's own connection does not wait behind it
    if sealed is None:  # imported already: the job ran twice
        return
    held = False
    try:
        held = run_import(import_id, io.BytesIO(idnumbers.vault().unseal(sealed)), attempt).status == ImportStatus.held
    finally:
        if not held:  # kept for the admin's confirmation
            db.session.execute(delete(RegistryFile).where(
                RegistryFile.import_id == import_id,
                select(RegistryImport.attempt).where(RegistryImport.id == import_id).scalar_subquery() == attempt))
        db.session.commit()


def can_restart(batch: RegistryImport) -> bool:
    """Whether a batch whose job was stopped (see jobs.stalled) can be imported again from its stored file."""
    return stalled(batch) and has_file(batch)


def can_confirm_leaving(batch: RegistryImport) -> bool:
    """Whether a held batch (see ImportStatus.held) can be imported from its stored file once confirmed."""
    return batch.status == ImportStatus.held and has_file(batch)


def has_file(batch: RegistryImport) -> bool:
    return db.session.scalar(select(exists().where(RegistryFile.import_id == batch.id)))


def restart_import(actor, batch: RegistryImport) -> bool:
    """Queue a stopped batch again from its stored file, as it was before its job began: the rows its job
    refused before it stopped are dropped (its merge, one transaction, never happened). The caller
    commits, then enqueues import_stored_file with the batch's new attempt.

    Returns False, changing nothing, when the job has shown a sign of life since the batch was read:
    the batch's row is written (and so locked) before the refusals are deleted, so a run writing a
    block at the same moment either finishes it first, and is seen alive, or finds itself superseded."""
    return _requeue(actor, batch, "registry_import.restart", stalled_where(RegistryImport))


def confirm_leaving(actor, batch: RegistryImport) -> bool:
    """Queue a held full list again from its stored file, now to mark everyone it leaves out as left.
    The caller commits, then enqueues import_stored_file with the batch's new attempt. Returns False,
    changing nothing, when the batch is no longer held (confirmed already)."""
    # The entry says how many the admin agreed to mark as left, as the button they pressed did.
    return _requeue(actor, batch, "registry_import.confirm_leaving", RegistryImport.status == ImportStatus.held,
                    recorded={"left": batch.left}, leaving_confirmed=True)


def _requeue(actor, batch: RegistryImport, action: str, condition, recorded: dict | None = None, **values) -> bool:
    """Queue `batch` afresh (its counts and refusals dropped, its attempt counted on) if `condition` holds;
    the audit entry records the status it leaves and `recorded`."""
    before = {"status": str(batch.status)}
    requeued = db.session.execute(
        update(RegistryImport).where(RegistryImport.id == batch.id, RegistryImport.attempt == batch.attempt, condition)
        .values(attempt=RegistryImport.attempt + 1, status=ImportStatus.queued, progress_at=utcnow(),
                started_at=None, finished_at=None, error=None, rows_done=0, rows_total=0, rejected=0, repeated=0,
                left=0, **values)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(batch)
    if not requeued:
        return False
    db.session.execute(delete(RegistryRejection).where(RegistryRejection.import_id == batch.id))
    record(actor, action, batch, before=before, after={"status": str(batch.status), **(recorded or {})})
    return True


# --- running an import ---------------------------------------------------------------------------

@contextmanager
def _session_on_one_connection() -> Iterator[Session]:
    """A session whose commits keep its connection, which holds the TEMP staging table.

    db.session hands its connection back to the pool at each commit. When it is bound to a single
    connection already (as each test is, inside a transaction of its own), it is used as it is.
    """
    if isinstance(db.session.get_bind(), Connection):
        yield db.session
        return
    # End db.session's transaction: on SQLite, a reader whose snapshot predates the import's commits
    # could not write afterwards.
    db.session.commit()
    with db.engine.connect() as connection, _import_session(connection) as session:
        yield session


def _import_session(connection: Connection) -> Session:
    """A session on `connection` whose every transaction holds the write lock from its start (see
    _hold_write_lock)."""
    session = Session(connection)
    event.listen(session, "after_begin", lambda _session, _transaction, begun: _hold_write_lock(begun))
    return session


def _hold_write_lock(connection: Connection) -> None:
    """On SQLite, take the database's write lock for the transaction just begun, before it reads.

    A SQLite transaction that has read cannot write once another connection has committed since (an
    upload, a family applying), and fails at once rather than waiting its turn: an import's transactions
    all write, so each waits for the lock first. A no-op write takes it; other databases need nothing."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("UPDATE registry_imports SET id = id WHERE 0")


class LeavingHeld(Exception):
    """A full list leaves out more of the registry than REGISTRY_HOLD_LEAVING (and more than
    HOLD_LEAVING_FLOOR people): the admin must confirm it, lest a township's list be imported as the
    whole county's and take the green channel from everyone else."""

    def __init__(self, leaving: int):
        super().__init__(leaving)
        self.leaving = leaving


class Superseded(Exception):
    """The batch was restarted (see restart_import) while this run of its job, thought stopped, was at work."""


def _claim(session: Session, import_id: int, attempt: int) -> None:
    """Leave a sign of life on the batch, or raise Superseded if it has been restarted since this run
    was queued. The write locks the batch's row until the session's transaction ends."""
    claimed = session.execute(
        update(RegistryImport).where(RegistryImport.id == import_id, RegistryImport.attempt == attempt)
        .values(progress_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise Superseded


def run_import(import_id: int, source: BinaryIO, attempt: int = 1) -> RegistryImport:
    """Import `source` as the queued batch `import_id`; return the batch as it ended (done or failed).

    Problems with single rows are recorded as rejections; a problem with the whole file fails the
    batch with its message and leaves the registry unchanged. A run superseded by a restart of its
    batch stops where it is, undoing its open transaction, and leaves the batch to the new run.
    """
    with _session_on_one_connection() as session:
        try:
            _claim(session, import_id, attempt)
        except Superseded:
            session.rollback()
            return db.session.get(RegistryImport, import_id)
        batch = session.get(RegistryImport, import_id)
        batch.status, batch.started_at = ImportStatus.running, utcnow()
        batch.progress_at = batch.started_at
        _drop_stage(session)
        STAGE.create(session.connection())
        session.commit()
        try:
            with open_table(source, current_app.config["REGISTRY_WORKBOOK_MEMORY"]) as table:
                batch.unknown_columns, batch.sheets = table.layout.unknown, table.sheets
                batch.rows_total = table.estimate
                session.commit()
                staged = _stage(session, batch, table, attempt)
            if staged:
                _merge(session, batch, staged, attempt)
            else:
                batch.status, batch.error = ImportStatus.failed, NO_VALID_ROWS if batch.rows_done else NO_ROWS
            batch.finished_at = utcnow()
            session.commit()
        except Superseded:
            session.rollback()
            return db.session.get(RegistryImport, import_id)
        except LeavingHeld as held:
            session.rollback()
            batch = session.get(RegistryImport, import_id)
            batch.status, batch.left, batch.finished_at = ImportStatus.held, held.leaving, utcnow()
            session.commit()
        except FileProblem as problem:
            _fail(session, import_id, str(problem))
        except BaseException:
            _fail(session, import_id, INTERNAL_ERROR)
            raise
        finally:
            _drop_stage(session)
            session.commit()
    _hold_write_lock(db.session.connection())  # the recheck reads the registry's students, then writes
    batch = db.session.get(RegistryImport, import_id)
    if batch.status == ImportStatus.done:
        batch.students_changed = recheck_after_import(import_id)
    record(None, "registry_import.finish", batch, after={
        "status": str(batch.status), "error": batch.error,
        **{count: getattr(batch, count)
           for count in ("added", "updated", "unchanged", "left", "rejected", "repeated", "students_changed")}})
    return batch


def _drop_stage(session: Session) -> None:
    session.connection().exec_driver_sql("DROP TABLE IF EXISTS registry_stage")


def _fail(session: Session, import_id: int, message: str) -> None:
    """Undo the import's transaction and mark the batch failed, without the rejections of a file that
    could not be read to its end."""
    session.rollback()
    session.execute(delete(RegistryRejection).where(RegistryRejection.import_id == import_id))
    batch = session.get(RegistryImport, import_id)
    batch.status, batch.error, batch.finished_at = ImportStatus.failed, message, utcnow()
    batch.rejected = batch.repeated = 0
    session.commit()


def _stage(session: Session, batch: RegistryImport, table, attempt: int) -> int:
    """Check every row into the staging table or the rejections, committing progress per block.

    Returns how many rows were staged. Of two rows with one ID number, the first is kept: the
    second is counted as repeated when it lists the person as the first did (as a summary sheet
    and a township's sheet both do; see Checked.digests), and refused when it differs.
    """
    postgresql = session.connection().dialect.name == "postgresql"
    checker = RowChecker(table, today(), idnumbers.vault(), copy_text=postgresql)
    kind_of = checker.kind_of

    def toward(listing: int, kind: int) -> int:
        """A listing's digest of the fields its sheet and a sheet of that kind both list."""
        return (listing >> (DIGEST_SHIFT + DIGEST_BITS * (checker.kinds - 1 - kind))) & DIGEST_MASK

    def alike(first: int, listing: int, sheet: int) -> bool:
        """Whether two listings of one ID number agree in the fields both their sheets list."""
        return toward(first, kind_of[sheet]) == toward(listing, kind_of[(first & PLACE_MASK) >> SHEET_SHIFT])

    import_id, total = batch.id, batch.rows_total
    # End the read just made (the batch reloaded after the last commit). On SQLite a transaction that has
    # read cannot write once another connection has committed since (an upload, another page), and it
    # fails at once rather than waiting: checking the first block takes long enough for that to happen.
    session.commit()
    first_row: dict[bytes, int] = {}  # ID hash → the row that listed it first (see DIGEST_SHIFT)
    done = rejected = repeated = 0
    for block, checked in checked_blocks(table, checker):
        sheet, row_before = table.position(block, done)  # row_before: the number of the row before index 1
        rows, repeats, here = [], [], sheet << SHEET_SHIFT
        for index, id_hash, digest, row in zip(checked.indexes, checked.hashes, checked.digests, checked.staged):
            listing = int.from_bytes(digest) << DIGEST_SHIFT | here | (row_before + index)
            first = first_row.setdefault(id_hash, listing)
            if first == listing:
                rows.append(row)
            elif alike(first, listing, sheet):
                repeated += 1
            else:
                repeats.append((index, first & PLACE_MASK))
        refusals = [(row_before + index, refusal) for index, refusal in checked.rejected]
        if repeats:
            for (index, first), cells in zip(repeats, checker.cells(block, [i for i, _ in repeats])):
                refusals.append((row_before + index, checker.refusal(*_repeat(table.sheets, sheet, first), cells)))
        _claim(session, import_id, attempt)
        connection = session.connection()
        if postgresql:
            _copy_text(connection, STAGE, STAGED, rows)
            _copy_text(connection, REJECTIONS, REFUSED,
                       [f"{import_id}\t{sheet}\t{row_no}\t{refusal}" for row_no, refusal in refusals])
        else:
            _bulk_insert(connection, STAGE, STAGED, rows)
            _bulk_insert(connection, REJECTIONS, REFUSED,
                         [(import_id, sheet, row_no, *refusal) for row_no, refusal in refusals])
        done += checked.rows
        rejected += len(refusals)
        total = max(total, done)
        batch.rows_done, batch.rows_total, batch.rejected, batch.repeated = done, total, rejected, repeated
        session.commit()
    batch.rows_total = done  # the estimate counted line breaks
    return len(first_row)


def _repeat(sheets: list[str] | None, sheet: int, first: int) -> tuple[str, dict]:
    """A repeated ID number's reason and its params: the row that listed it first, and its sheet if
    that is another."""
    first_sheet, row = first >> SHEET_SHIFT, first & ROW_MASK
    if first_sheet == sheet:
        return DUPLICATE_ID, {"row": row}
    return DUPLICATE_ID_ON_SHEET, {"row": row, "sheet": sheets[first_sheet]}


def _bulk_insert(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert tuples of `columns`: by COPY on PostgreSQL (several times faster), else executemany."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    json_at = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    with _copy(connection, table, columns) as copy:
        for row in rows:
            if json_at:
                row = tuple(Json(value) if i in json_at else value for i, value in enumerate(row))
            copy.write_row(row)


def _copy_text(connection: Connection, table: Table, columns: Sequence[str], lines: list[str]) -> None:
    """COPY lines already in PostgreSQL's COPY text format into `columns` of `table`, in one write."""
    if lines:
        with _copy(connection, table, columns) as copy:
            copy.write("".join(lines))


@contextmanager
def _copy(connection: Connection, table: Table, columns: Sequence[str]) -> Iterator[Copy]:
    """psycopg's COPY … FROM STDIN into `columns` of `table`, on PostgreSQL."""
    quote = connection.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in columns)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        yield copy


@contextmanager
def _bulk_loading(connection: Connection, bulk: bool) -> Iterator[None]:
    """Around adding more people than the registry holds (its first import, say): on PostgreSQL, the
    unique ID-hash and household indexes and the foreign key to the import are dropped, then built
    again in one pass each, as PostgreSQL's manual advises for bulk loads ("Populating a Database"):
    several times quicker than keeping them up row by row. The new rows are unique already (the
    staging table's own unique index, and the merge lock). It all happens in the import's
    transaction, which holds both registry_people and registry_imports exclusively until it
    commits: pages reading either wait those few seconds, then see the finished registry."""
    if not bulk or connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(DropConstraint(FIRST_IMPORT_FK))
    connection.execute(DropConstraint(UNIQUE_ID_HASH))
    connection.execute(DropIndex(HOUSEHOLD_INDEX))
    yield
    connection.execute(AddConstraint(UNIQUE_ID_HASH))
    connection.execute(CreateIndex(HOUSEHOLD_INDEX))
    connection.execute(AddConstraint(FIRST_IMPORT_FK))


def _merge(session: Session, batch: RegistryImport, staged: int, attempt: int) -> None:
    """Apply the staged rows to the registry in the session's transaction, and count what changed.

    Only people whose listed fields changed are touched, so importing a file again writes nothing.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(MERGE_LOCK)))
        connection.execute(select(func.set_config("work_mem", MERGE_WORK_MEM, true())))  # SET LOCAL
    _claim(session, batch.id, attempt)  # held to the merge's commit: no restart can begin meanwhile
    connection.exec_driver_sql("CREATE UNIQUE INDEX registry_stage_id_hash ON registry_stage (id_hash)")
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE registry_stage (id_hash)")  # autovacuum skips TEMP tables
    import_id, now = batch.id, utcnow()
    listed = PEOPLE.c.id_hash == STAGE.c.id_hash
    differs = or_(PEOPLE.c.row_hash != STAGE.c.row_hash, ~PEOPLE.c.in_registry)
    absent = PEOPLE.c.in_registry & ~exists().where(STAGE.c.id_hash == PEOPLE.c.id_hash)
    if batch.full and not batch.leaving_confirmed:
        leaving = connection.scalar(select(func.count()).where(absent))
        if leaving > HOLD_LEAVING_FLOOR and leaving > current_app.config["REGISTRY_HOLD_LEAVING"] * connection.scalar(
                select(func.count()).where(PEOPLE.c.in_registry)):
            raise LeavingHeld(leaving)

    listed_before = connection.scalar(select(func.count()).select_from(STAGE.join(PEOPLE, listed)))
    updated = 0
    pairs = connection.execute(
        select(PEOPLE.c.id, PEOPLE.c.in_registry, *(PEOPLE.c[f] for f in LISTED), *(STAGE.c[f] for f in LISTED))
        .select_from(STAGE.join(PEOPLE, listed)).where(differs).execution_options(yield_per=5_000))
    for part in pairs.partitions():
        changes = []
        for person_id, in_registry, *values in part:
            diff = {field: [before, after] for field, before, after in zip(LISTED, values, values[len(LISTED):])
                    if before != after}
            if diff or not in_registry:
                changes.append((person_id, import_id, ChangeKind.updated if in_registry else ChangeKind.returned,
                                diff, now))
        _bulk_insert(connection, CHANGES, ("person_id", "import_id", "kind", "changes", "at"), changes)
        updated += len(changes)
    # Also rows whose digest alone differs (a person made some other way), with nothing to record.
    connection.execute(update(PEOPLE).where(listed, differs).values(
        **{f: STAGE.c[f] for f in LISTED}, row_hash=STAGE.c.row_hash, in_registry=True, left_on=None))

    left = 0
    if batch.full:
        connection.execute(insert(CHANGES).from_select(
            ["person_id", "import_id", "kind", "changes", "at"],
            select(PEOPLE.c.id, literal(import_id), literal(ChangeKind.left.value), literal({}, JSON),
                   literal(now, CHANGES.c.at.type)).where(absent)))
        left = connection.execute(update(PEOPLE).where(absent).values(
            in_registry=False, left_on=today())).rowcount

    added = staged - listed_before
    with _bulk_loading(connection, added > connection.scalar(select(func.count()).select_from(PEOPLE))):
        connection.execute(insert(PEOPLE).from_select(
            [*STAGED, "in_registry", "first_import_id"],
            select(*STAGE.c, true(), literal(import_id))
            .where(~exists().where(PEOPLE.c.id_hash == STAGE.c.id_hash))))

    batch.added, batch.updated, batch.unchanged, batch.left = added, updated, listed_before - updated, left
    batch.status = ImportStatus.done


# --- showing an import ---------------------------------------------------------------------------

def change_counts(batch: RegistryImport) -> dict[ChangeKind, int]:
    return dict(db.session.execute(select(RegistryChange.kind, func.count()).where(
        RegistryChange.import_id == batch.id).group_by(RegistryChange.kind)).all())


REJECTION_ORDER = (RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.id)


def rejections_page(batch: RegistryImport, page: int, per_page: int) -> list[RegistryRejection]:
    return list(db.session.scalars(
        select(RegistryRejection).options(undefer(RegistryRejection.values))
        .where(RegistryRejection.import_id == batch.id).order_by(*REJECTION_ORDER)
        .offset((page - 1) * per_page).limit(per_page)))


def reason_text(rejection: RegistryRejection) -> str:
    return _(rejection.reason, **rejection.values["params"])


def several_sheets(batch: RegistryImport) -> bool:
    """Whether the batch read lists on more than one sheet, so that a row number needs its sheet."""
    return len(batch.sheets or ()) > 1


def rejections_workbook(batch: RegistryImport) -> io.BytesIO:
    """The batch's refused rows as an XLSX file: 工作表 (when it read several), 行号, 原因, then the
    row's own columns."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("被拒绝的行"))
    rows = db.session.execute(
        select(RegistryRejection.sheet_no, RegistryRejection.row_no, RegistryRejection.reason, RegistryRejection.values)
        .where(RegistryRejection.import_id == batch.id).order_by(*REJECTION_ORDER)
        .execution_options(yield_per=1_000))
    several = several_sheets(batch)
    where = [_("工作表"), _("行号")] if several else [_("行号")]
    headers = None
    for sheet_no, row_no, reason, values in rows:
        if headers is None:
            headers = list(values["cells"])  # every row of one file has the same columns
            sheet.append([*where, _("原因"), *headers])
        texts = [_(reason, **values["params"]), *(values["cells"].get(h, "") for h in headers)]
        place = [text_cell(sheet, batch.sheets[sheet_no]), row_no] if several else [row_no]
        sheet.append([*place, *(text_cell(sheet, text) for text in texts)])
    if headers is None:
        sheet.append([*where, _("原因")])
    return saved(workbook)


# The template's columns: header (as the importer reads it), required, what to write (a msgid).
TEMPLATE_COLUMNS = [
    ("姓名", True, N_("与身份证上的姓名一致。")),
    ("身份证号", True, N_("18位，最后一位可以是X。这一列已设为文本，Excel 不会把号码改成数字。")),
    ("户编号", True, N_("同一户的人填同一个编号。")),
    ("与户主关系", False, N_("例如：户主、配偶、之子、之女、孙子。")),
    ("行政区划代码", False, N_("6位数字，例如 469030；12位统计用区划代码也可以。")),
    ("县", False, ""),
    ("乡镇", False, ""),
    ("村", False, ""),
    ("识别年度", False, N_("四位数的年份，例如 2016。")),
    ("脱贫状态", False, N_("从下拉列表中选：未脱贫、已脱贫、返贫、监测对象。")),
    ("是否低保", False, N_("从下拉列表中选：是、否。")),
    ("联系电话", False, ""),
]
TEXT_COLUMNS = ("身份证号", "户编号", "行政区划代码", "联系电话")  # digits Excel would otherwise turn into numbers
CHOICES = {"脱贫状态": list(POVERTY_STATUS_LABELS.values()), "是否低保": list(DIBAO)}


def template_workbook() -> io.BytesIO:
    """An empty registry file to fill in Excel: the headers the import reads, number-like columns
    formatted as text (so an ID number keeps its 18 digits), drop-down lists for the fixed values,
    and a second sheet saying what each column holds. Headers and values stay in Chinese, which
    is what the import reads, whatever the admin's language."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "名单"
    sheet.append([header for header, _required, _help in TEMPLATE_COLUMNS])
    sheet.freeze_panes = "A2"
    for column, (header, required, help_text) in enumerate(TEMPLATE_COLUMNS, 1):
        letter = get_column_letter(column)
        sheet.cell(1, column).font = Font(bold=required)
        sheet.column_dimensions[letter].width = 22 if header == "身份证号" else 14
        if header in TEXT_COLUMNS:
            sheet.column_dimensions[letter].number_format = "@"
        if header in CHOICES:
            choices = DataValidation(type="list", formula1=f'"{",".join(CHOICES[header])}"', allow_blank=True,
                                     showErrorMessage=True, error=_(help_text))
            choices.add(f"{letter}2:{letter}1048576")
            sheet.add_data_validation(choices)
    notes = workbook.create_sheet(_("填写说明"))
    notes.append([_("列名"), _("是否必填"), _("怎么填")])
    for header, required, help_text in TEMPLATE_COLUMNS:
        notes.append([header, _("必填") if required else _("选填"), _(help_text) if help_text else ""])
    notes.append([])
    notes.append([_("每人一行，不要合并单元格。列的顺序可以调整，列名不能改。")])
    notes.column_dimensions["A"].width, notes.column_dimensions["C"].width = 14, 60
    return saved(workbook)

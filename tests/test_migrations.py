"""The migrations build exactly the schema the models describe, so a model changed without a
migration fails here; and the revision files are named and chained as people expect."""
import re
from datetime import datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
REVISION_FILE = re.compile(r"^(?P<date>\d{8})_(?P<rev>[0-9a-f]{12})_(?P<slug>\w+)\.py$")


def differences(db, metadata) -> list:
    """What autogenerate would write to bring the test database (built by `upgrade`) to `metadata`."""
    return compare_metadata(MigrationContext.configure(db.session.connection()), metadata)


def test_migrated_schema_matches_the_models(db):
    assert differences(db, db.metadata) == []


def test_a_model_change_without_a_migration_is_noticed(db):
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["courses"].append_column(Column("min_age", Integer, nullable=True))
    diffs = differences(db, changed)
    assert [(op, table, column.name) for op, _schema, table, column in diffs] == [
        ("add_column", "courses", "min_age")]


def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def test_revision_files_are_date_prefixed():
    files = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    assert files, "no migration revisions found"
    for name in files:
        match = REVISION_FILE.match(name)
        assert match, f"{name} is not named YYYYMMDD_<revision>_<slug>.py"
        datetime.strptime(match["date"], "%Y%m%d")  # a real calendar date


def test_file_names_agree_with_the_revisions_they_hold():
    directory = scripts()
    for revision in directory.walk_revisions():
        name = Path(revision.path).name
        match = REVISION_FILE.match(name)
        assert match and match["rev"] == revision.revision, name
        created = re.search(r"^Create Date: (\d{4})-(\d{2})-(\d{2})", revision.module.__doc__ or "", re.M)
        if created:
            assert match["date"] == "".join(created.groups()), f"{name}: prefix and Create Date differ"


def test_revisions_form_a_single_line(db):
    directory = scripts()
    assert len(directory.get_heads()) == 1, "more than one head: merge the branches"
    applied = MigrationContext.configure(db.session.connection()).get_current_heads()
    assert applied == tuple(directory.get_heads()), "the test database is not at the latest revision"


def test_rows_refused_under_reworded_id_number_messages_are_still_translated(tmp_path):
    """A refused row keeps its reason as a msgid: one stored under wording since changed would no longer
    be found in the catalogs, so the migration that rewords the message rewords the rows too."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from portal import create_app
    from portal.common import idnumbers
    from portal.extensions import db
    from portal.registry.models import RegistryImport, RegistryRejection

    old = "身份证号校验位不对，请逐位核对。"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ID_KEY": "5e" * 32, "JOBS_IMMEDIATE": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.sqlite3'}"})
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade(revision="5e7a0c3d2b91")
        with Session(db.engine) as session:
            batch = RegistryImport(filename="名单.csv", sha256="0" * 64, size=1, status="done")
            session.add(batch)
            session.flush()
            session.add_all([RegistryRejection(import_id=batch.id, row_no=3, reason=old),
                             RegistryRejection(import_id=batch.id, row_no=4, reason=idnumbers.BAD_LENGTH)])
            session.commit()

        def reasons():
            with Session(db.engine) as session:
                return list(session.scalars(select(RegistryRejection.reason).order_by(RegistryRejection.row_no)))

        upgrade()
        assert reasons() == [idnumbers.BAD_CHECK_DIGIT, idnumbers.BAD_LENGTH]
        downgrade(revision="5e7a0c3d2b91")
        assert reasons() == [old, idnumbers.BAD_LENGTH]
        db.engine.dispose()

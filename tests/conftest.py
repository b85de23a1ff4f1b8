"""Fixtures: an app on a migrated database, each test in a rolled-back transaction, factories.

The database is SQLite in a temporary folder, or, when PORTAL_TEST_DATABASE_URL names a
PostgreSQL server, a database created on it for this run and dropped afterwards; so is the browser
tests' live server's.
"""
import os
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from portal import create_app
from portal.audit.export import run_export, start_export
from portal.audit.models import AuditExport
from portal.audit.services import LogFilters, log_count, newest_entry_id
from portal.auth.models import Role, User
from portal.auth.services import hash_password
from portal.common.regions import load_regions
from portal.courses.models import Course, CourseKind, CourseMode, CourseStatus
from portal.courses.services import refresh_search_text
from portal.extensions import db as _db
from portal.institutions.models import Institution, InstitutionKind

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests make many accounts
    "RATELIMIT_ENABLED": False,
    "WTF_CSRF_ENABLED": False,
    "SERVER_NAME": "portal.test",
    "REFERENCE_CACHE_SECONDS": 0,  # each test sees the trades, regions and pages it made
    "PUBLIC_PAGE_CACHE_SECONDS": 0,
    "ID_KEY": "5e" * 32,
    "JOBS_IMMEDIATE": True,
}
PASSWORD = "Test1234pw"


@contextmanager
def _scratch_database(folder):
    """The URL of an empty database: a SQLite file in `folder`, or, when PORTAL_TEST_DATABASE_URL
    names a PostgreSQL server, a database of its own there, dropped afterwards."""
    server = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{folder / 'test.sqlite3'}"
        return
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    # No pool: an idle connection kept here would count against the server's max_connections.
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with _scratch_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory):
    """The browser tests' live server's database, apart from the suite's (on the same kind of server)."""
    with _scratch_database(tmp_path_factory.mktemp("live-db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
        load_regions(("46", "44"))
        _db.session.commit()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def fresh_g_per_request():
    """Start every request with an empty `g`, as a real server does.

    The app fixture keeps one app context pushed for the whole run and Flask reuses it for each
    test-client request, so `g` would otherwise carry Flask-Login's cached user, Flask-Babel's
    cached locale and Flask-WTF's token from one request (or test, or client) into the next.
    """
    def clear(sender, **extra):
        g.__dict__.clear()
    request_started.connect(clear, weak=False)
    yield
    request_started.disconnect(clear)


class ConnectionSession(FlaskSQLAlchemySession):
    """A session that stays on the test's connection.

    Flask-SQLAlchemy's session picks the engine from each table's bind key and ignores `bind`, so
    without this a view's commit would reach the database and outlive the test's rollback.
    """

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def db(app):
    """Run the test inside a transaction that is rolled back, so tests never see each other."""
    connection = _db.engine.connect()
    transaction = connection.begin()
    session = _db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint",
                                        "class_": ConnectionSession})
    original, _db.session = _db.session, session
    try:
        yield _db
    finally:
        session.remove()
        _db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def count_queries(db):
    """`with count_queries() as statements:` collects the SQL the engine runs, without the savepoints
    the harness adds."""
    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
    return counting


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_institution(db):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Institution:
        from stdnum.cn import uscc
        n = next(counter)
        region = overrides.get("region_code", "460100")
        body = f"52{region}MJ{n:07d}"  # 17 characters; the 18th is the check digit
        values = dict(name=f"测试技工学校{n}", kind=InstitutionKind.technical_college, region_code=region,
                      uscc=body + uscc.calc_check_digit(body), address="海口市龙华区测试路1号", phone="0898-66000000")
        values.update(overrides)
        institution = Institution(**values)
        db.session.add(institution)
        db.session.flush()
        return institution
    return make


@pytest.fixture
def make_course(db, make_institution):
    def make(**overrides) -> Course:
        today = date.today()
        institution = overrides.pop("institution", None) or make_institution()
        values = dict(title="电工（初级）扶贫班", trade="电工", kind=CourseKind.poverty_class, mode=CourseMode.on_site,
                      status=CourseStatus.published, region_code=institution.region_code, hours=120,
                      start_date=today + timedelta(days=30), end_date=today + timedelta(days=120),
                      apply_opens=today - timedelta(days=10), apply_closes=today + timedelta(days=20),
                      capacity=40, reserved_places=10, fee_fen=0, fee_waiver=True, national_grant=True,
                      living_allowance=True)
        values.update(overrides)
        course = Course(institution_id=institution.id, **values)
        refresh_search_text([course], institution.name)
        db.session.add(course)
        db.session.flush()
        return course
    return make


@pytest.fixture
def make_user(db, make_institution):
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.applicant, **overrides) -> User:
        n = next(counter)
        values = dict(name=f"用户{n}", mobile=f"139{n:08d}", password_hash=hash_password(PASSWORD), role=role)
        if role == Role.staff and "institution_id" not in overrides:
            values["institution_id"] = make_institution().id
        if role == Role.finance:
            values["region_code"] = "460000"
        values.update(overrides)
        user = User(**values)
        db.session.add(user)
        db.session.flush()
        return user
    return make


@pytest.fixture
def login(client):
    """Log `user` in on the test client (or the client given as `on`); returns that client."""
    def do(user: User, on=None):
        browser = on or client
        response = browser.post("/login", data={"login": user.login_name, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return browser
    return do


def make_id_number(region: str = "460107", born: date = date(2008, 5, 17), serial: int = 123) -> str:
    """A valid 18-digit ID number (check digit computed by python-stdnum)."""
    from stdnum.cn import ric
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def id_number():
    """Distinct valid ID numbers: id_number() or id_number(region=…, born=…)."""
    serials = iter(range(1, 1000))

    def make(region: str = "460107", born: date = date(2008, 5, 17)) -> str:
        return make_id_number(region, born, next(serials))
    return make


@pytest.fixture
def make_registry_person(db, id_number):
    """A person listed in the registry by an import batch made for them: make(name, number, **fields)."""
    from portal.common.idnumbers import vault
    from portal.registry.models import ImportStatus, PovertyStatus, RegistryImport, RegistryPerson

    def make(name: str = "黎小海", number: str | None = None, **overrides) -> RegistryPerson:
        number = number or id_number()
        batch = RegistryImport(filename="名单.xlsx", sha256="0" * 64, size=1, status=ImportStatus.done)
        db.session.add(batch)
        db.session.flush()
        values = dict(name=name, id_hash=vault().hash(number), id_cipher=vault().encrypt(number),
                      household_no="4601070010001", relation="之子", region_code=number[:6], county="琼山区",
                      township="云龙镇", village="云蛟村", year_identified=2016,
                      poverty_status=PovertyStatus.lifted, dibao=False, row_hash=b"\0" * 16,
                      first_import_id=batch.id)
        values.update(overrides)
        person = RegistryPerson(**values)
        db.session.add(person)
        db.session.flush()
        return person
    return make


@pytest.fixture
def make_student(db, make_user, id_number):
    """A student profile on an applicant account (made when not given): make(account=…, **fields).

    The verification defaults to not_found; pass verification=… (and registry_person_id) as needed.
    """
    from portal.common.idnumbers import birth_date, sex, vault
    from portal.families.models import Relation, Student, Verification

    def make(account: User | None = None, number: str | None = None, **overrides) -> Student:
        number = number or id_number()
        values = dict(name="黎小海", id_hash=vault().hash(number), id_cipher=vault().encrypt(number),
                      birth_date=birth_date(number), sex=sex(number), phone="13800000009",
                      region_code="460100", school="海口市第一中学", relation=Relation.grandchild,
                      verification=Verification.not_found)
        values.update(overrides)
        student = Student(account_id=(account or make_user(Role.applicant)).id, **values)
        db.session.add(student)
        db.session.flush()
        return student
    return make


@pytest.fixture
def finished_export(db):
    """An audit log export of every entry so far, asked for by `admin` and written as the background job does."""
    def make(admin: User) -> AuditExport:
        filters = LogFilters(before_id=newest_entry_id() + 1)
        export = start_export(admin, filters, log_count(filters))
        run_export(export.id)
        return export
    return make

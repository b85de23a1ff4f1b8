"""Capacity under load, on PostgreSQL: 100 green-channel applicants apply at the same moment for 10
places, each in a thread of its own with a connection of its own, and exactly 10 are admitted; a
decline racing a staff admission never fills a place twice.

Runs on PostgreSQL in both CI passes, SQLite's too: it makes a scratch database of its own on the
server named by PORTAL_TEST_DATABASE_URL (or the local one), migrates it, and drops it afterwards.
The suite's per-test transaction is not used here: the threads need the process-wide session,
each in its own app context, and they commit for real.
"""
import os
import threading
import uuid
from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from stdnum.cn import ric, uscc

from portal import create_app
from portal.auth.models import Role, User
from portal.common.idnumbers import birth_date, sex, vault
from portal.common.regions import load_regions
from portal.courses.models import Course, CourseKind, CourseStatus
from portal.enrollment.models import HOLDING_A_PLACE, Application, ApplicationStatus
from portal.enrollment.services import EnrollmentError, submit_application, today, transition
from portal.extensions import db as _db
from portal.families.models import Relation, Student, Verification
from portal.institutions.models import Institution, InstitutionKind
from portal.registry.models import ImportStatus, RegistryImport, RegistryPerson

S = ApplicationStatus
SERVER = os.environ.get("PORTAL_TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
APPLICANTS = 100
PLACES = 10
BARRIER_SECONDS = 60


@pytest.fixture(autouse=True)
def db(app):
    """Replaces the suite's per-test transaction (see the module docstring), and closes the suite's
    idle pooled connections: on PostgreSQL they count against the server's connection limit."""
    _db.engine.dispose()
    yield _db


def connection_budget(admin) -> int:
    """How many connections this test may open now: the server's limit less those others hold."""
    with admin.connect() as conn:
        limit = int(conn.execute(text("SHOW max_connections")).scalar())
        if not conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            limit -= int(conn.execute(text("SHOW superuser_reserved_connections")).scalar())
        others = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                                   "AND pid <> pg_backend_pid()")).scalar()
    return limit - others


@pytest.fixture(scope="module")
def scratch(app, tmp_path_factory):
    """An app with the suite's settings on a freshly migrated PostgreSQL database of its own, its pool
    as large as the connections the server can give (at most one per applicant): (app, pool size)."""
    name = f"portal_concurrency_{uuid.uuid4().hex[:10]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        threads = min(APPLICANTS, connection_budget(admin))
        assert threads > 2 * PLACES, f"the server can give only {threads} connections"
        scratch_app = create_app({**app.config,
                          "SQLALCHEMY_DATABASE_URI": make_url(SERVER).set(database=name).render_as_string(False),
                          "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": threads, "max_overflow": 0, "pool_timeout": 60}})
        scratch_app.instance_path = str(tmp_path_factory.mktemp("concurrency"))
        with scratch_app.app_context():
            upgrade()
            load_regions(("46",))
            _db.session.commit()
            _db.session.remove()
        yield scratch_app, threads
        with scratch_app.app_context():
            _db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def id_number(serial: int) -> str:
    body = f"460107{date(2008, 5, 17):%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def seed_course(capacity: int, reserved: int) -> Course:
    n = uuid.uuid4().int % 10_000_000
    body = f"52460100MJ{n:07d}"
    institution = Institution(name=f"并发测试学校{n}", kind=InstitutionKind.technical_college, region_code="460100",
                              uscc=body + uscc.calc_check_digit(body))
    _db.session.add(institution)
    _db.session.flush()
    day = today()
    course = Course(institution_id=institution.id, title="并发电工扶贫班", trade="电工", kind=CourseKind.poverty_class,
                    status=CourseStatus.published, region_code="460100", hours=120,
                    start_date=day + timedelta(days=30), end_date=day + timedelta(days=120),
                    apply_opens=day - timedelta(days=10), apply_closes=day + timedelta(days=20),
                    capacity=capacity, reserved_places=reserved)
    _db.session.add(course)
    _db.session.flush()
    return course


def seed_students(count: int, first_serial: int) -> list[Student]:
    """Registry-listed students, each on an applicant account of their own."""
    batch = RegistryImport(filename="名单.xlsx", sha256="0" * 64, size=1, status=ImportStatus.done)
    _db.session.add(batch)
    _db.session.flush()
    students = []
    for serial in range(first_serial, first_serial + count):
        number, name = id_number(serial), f"学生{serial}"
        user = User(name=f"家长{serial}", mobile=f"137{serial:08d}", password_hash="-", role=Role.applicant)
        person = RegistryPerson(name=name, id_hash=vault().hash(number), id_cipher=vault().encrypt(number),
                                household_no=f"46010700{serial:05d}", row_hash=b"\0" * 16, first_import_id=batch.id)
        _db.session.add_all([user, person])
        _db.session.flush()
        students.append(Student(account_id=user.id, name=name, id_hash=person.id_hash, id_cipher=person.id_cipher,
                                birth_date=birth_date(number), sex=sex(number), region_code="460100",
                                relation=Relation.self, verification=Verification.registry_verified,
                                registry_person_id=person.id))
    _db.session.add_all(students)
    _db.session.flush()
    return students


def run_together(app, jobs: list) -> list:
    """Run each job (a function of no arguments, using the session) in a thread of its own with its
    own app context and connection, all released at once; returns what each returned or raised."""
    barrier = threading.Barrier(len(jobs), timeout=BARRIER_SECONDS)
    results: list = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            try:
                _db.session.execute(text("SELECT 1"))  # hold a connection before the start
                barrier.wait()
                results[i] = job()
                _db.session.commit()
            except Exception as e:  # reported to the test, which decides what was expected
                barrier.abort()
                _db.session.rollback()
                results[i] = e
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def places(course_id: int) -> tuple[int, int, int, int]:
    """seats_filled, reserved_filled, and the applications holding places and reserved places."""
    course = _db.session.get(Course, course_id)
    holding = select(func.count()).select_from(Application).where(
        Application.course_id == course_id, Application.status.in_(HOLDING_A_PLACE))
    return (course.seats_filled, course.reserved_filled, _db.session.scalar(holding),
            _db.session.scalar(holding.where(Application.holds_reserved_place)))


def test_100_applicants_at_once_for_10_places_admit_exactly_10(scratch):
    app, threads = scratch
    with app.app_context():
        course_id = seed_course(capacity=PLACES, reserved=PLACES).id
        students = [(s.account_id, s.id) for s in seed_students(threads, first_serial=1)]
        _db.session.commit()
        _db.session.remove()

    def applying(account_id, student_id):
        def job():
            student = _db.session.get(Student, student_id)
            course = _db.session.get(Course, course_id)
            return submit_application(_db.session.get(User, account_id), student, course, today()).status
        return job

    outcomes = run_together(app, [applying(*s) for s in students])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count(S.admitted) == PLACES, f"{threads} applicants"
    assert outcomes.count(S.submitted) == threads - PLACES
    with app.app_context():
        assert places(course_id) == (PLACES, PLACES, PLACES, PLACES)
        assert _db.session.scalar(select(func.count()).select_from(Application).where(
            Application.course_id == course_id, Application.green_channel)) == threads
        _db.session.remove()


def test_a_decline_racing_a_staff_admission_never_fills_a_place_twice(scratch):
    app, _ = scratch
    rounds = []
    with app.app_context():
        for r in range(10):
            course = seed_course(capacity=2, reserved=0)
            staff = User(name="职员", mobile=f"136{r:04d}{uuid.uuid4().int % 10_000:04d}", password_hash="-",
                         role=Role.staff, institution_id=course.institution_id)
            _db.session.add(staff)
            holder, first, second = seed_students(3, first_serial=200 + 3 * r)
            applications = {}
            for name, student in (("holder", holder), ("first", first), ("second", second)):
                applications[name] = submit_application(_db.session.get(User, student.account_id), student, course,
                                                         today())
            transition(staff, applications["holder"], S.admitted)
            for name in ("first", "second"):
                transition(staff, applications[name], S.waitlisted)
            rounds.append((course.id, staff.id, {k: a.id for k, a in applications.items()}))
        _db.session.commit()
        _db.session.remove()

    def move(user_id, application_id, to):
        def job():
            actor = _db.session.get(User, user_id) if user_id else None
            return transition(actor, _db.session.get(Application, application_id), to).status
        return job

    for course_id, staff_id, ids in rounds:
        outcomes = run_together(app, [move(None, ids["holder"], S.declined),
                                      move(staff_id, ids["first"], S.admitted)])
        unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, EnrollmentError)]
        assert not unexpected, outcomes
        with app.app_context():
            statuses = {k: _db.session.get(Application, i).status for k, i in ids.items()}
            assert statuses == {"holder": S.declined, "first": S.admitted, "second": S.admitted}
            assert places(course_id) == (2, 0, 2, 0)
            _db.session.remove()

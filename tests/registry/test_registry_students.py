"""A registry import reaches the students already on the portal: recognised, or no longer, and told."""
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import submit_application, today
from portal.families.models import Student, Verification
from portal.families.services import (
    NAME_DIFFERS_MESSAGE,
    NO_LONGER_LISTED_MESSAGE,
    NOW_VERIFIED_MESSAGE,
    check_eligibility,
)
from portal.notifications.models import Notification


def messages(db, student: Student) -> list[tuple[str, dict]]:
    return [(n.message, n.params) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == student.account_id).order_by(Notification.id))]


def waiting_application(db, student: Student, course) -> Application:
    application = submit_application(db.session.get(User, student.account_id), student, course, today())
    assert application.status == ApplicationStatus.submitted
    return application


def test_a_student_listed_by_a_new_import_is_recognised_and_their_application_takes_the_green_channel(
        db, import_file, registry_csv, row, make_student, make_course, id_number, as_admin, text):
    number = id_number()
    student = make_student(number=number, name="黄小雨")
    application = waiting_application(db, student, make_course(reserved_places=0))
    assert application.green_channel is False

    batch = import_file(registry_csv([row(number, "黄小雨"), row(id_number(), "别人")]))

    db.session.expire_all()
    assert student.verification == Verification.registry_verified and student.registry_person_id is not None
    assert application.green_channel is True
    assert messages(db, student)[-1] == (NOW_VERIFIED_MESSAGE, {"student": "黄小雨"})
    assert batch.students_changed == 1
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "student.verification", AuditEntry.object_id == student.id)).actor_id is None
    page = text(as_admin.get(f"/admin/registry/imports/{batch.id}"))
    assert "平台中核验状态随之改变的学生 1" in page and "家庭已收到通知" in page

    again = import_file(registry_csv([row(number, "黄小雨"), row(id_number(), "别人")]))
    assert again.students_changed == 0 and len(messages(db, student)) == 1


def test_a_student_who_leaves_the_registry_loses_the_green_channel_and_is_told(
        db, import_file, registry_csv, row, make_student, make_course, id_number, login, text):
    number, other = id_number(), id_number()
    import_file(registry_csv([row(number, "黄小雨"), row(other, "别人")]))
    student = make_student(number=number, name="黄小雨")
    check_eligibility(student)
    application = waiting_application(db, student, make_course(reserved_places=0))
    assert application.green_channel is True

    batch = import_file(registry_csv([row(other, "别人")]))

    db.session.expire_all()
    assert student.verification == Verification.not_found and application.green_channel is False
    assert messages(db, student)[-1] == (NO_LONGER_LISTED_MESSAGE, {"student": "黄小雨"})
    assert batch.students_changed == 1
    family = text(login(db.session.get(User, student.account_id)).get("/family"))
    assert "现在的建档立卡名单中没有这个身份证号" in family  # not as if it never had been


def test_a_name_that_differs_is_told_and_a_corrected_listing_verifies(db, import_file, registry_csv, row,
                                                                       make_student, id_number):
    number = id_number()
    student = make_student(number=number, name="黄小雨")

    import_file(registry_csv([row(number, "黄晓雨")]))
    db.session.expire_all()
    assert student.verification == Verification.name_mismatch
    assert messages(db, student)[-1] == (NAME_DIFFERS_MESSAGE, {"student": "黄小雨"})

    import_file(registry_csv([row(number, "黄小雨")]))
    db.session.expire_all()
    assert student.verification == Verification.registry_verified
    assert messages(db, student)[-1] == (NOW_VERIFIED_MESSAGE, {"student": "黄小雨"})


def test_staff_accepted_proof_stands_when_an_import_does_not_list_the_student(
        db, import_file, registry_csv, row, make_student, id_number):
    number = id_number()
    import_file(registry_csv([row(number, "黄小雨")]))
    student = make_student(number=number, name="黄小雨", verification=Verification.proof_verified)

    batch = import_file(registry_csv([row(id_number(), "别人")]))

    db.session.expire_all()
    assert student.verification == Verification.proof_verified
    assert batch.students_changed == 0 and messages(db, student) == []

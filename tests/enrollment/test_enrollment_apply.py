"""Applying: the apply page, the green channel's immediate admission while reserved places last,
eligibility checked again at application, one live application per student and course, and
courses that are not taking applications."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.courses.models import CourseKind, CourseStatus
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import (
    EnrollmentError,
    NoPlaceLeft,
    QueueFilters,
    queue_page,
    today,
    transition,
)
from portal.families.models import ProofDocument, Student, Verification

S = ApplicationStatus


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def places(db, course) -> tuple[int, int]:
    db.session.refresh(course)
    return course.seats_filled, course.reserved_filled


# --- the green channel ---------------------------------------------------------------------------

def test_a_registry_student_is_admitted_at_once_to_a_reserved_place(db, make_course, green_student, apply):
    course = make_course(capacity=40, reserved_places=10, offer_days=5)
    application = apply(green_student(), course)
    assert application.status == S.admitted
    assert application.green_channel and application.holds_reserved_place
    assert application.offer_expires_on == today() + timedelta(days=5)
    assert application.reason == "绿色通道：建档立卡家庭学生直接录取"
    assert places(db, course) == (1, 1)
    admitted = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_id == application.id, AuditEntry.action == "application.transition")).one()
    assert admitted.actor_id is None  # the portal admitted them, not a person
    assert admitted.after["status"] == "admitted"


def test_green_applicants_beyond_the_reserved_places_wait_first_in_the_queue(db, make_course, green_student,
                                                                             plain_student, apply, check_places):
    course = make_course(capacity=10, reserved_places=2)
    plain = apply(plain_student(), course)
    green = [apply(green_student(), course) for _ in range(3)]
    assert [a.status for a in green] == [S.admitted, S.admitted, S.submitted]
    assert green[2].green_channel and not green[2].holds_reserved_place
    assert plain.status == S.submitted and not plain.green_channel
    assert places(db, course) == (2, 2)  # general places are staff's to give
    check_places(course)
    queue = queue_page(course.institution_id, QueueFilters(), 1, 20).rows
    assert [a.id for a in queue] == [green[2].id, plain.id]  # green first, though later


def test_a_course_without_reserved_places_admits_nobody_automatically(db, make_course, green_student, apply):
    course = make_course(capacity=10, reserved_places=0)
    application = apply(green_student(), course)
    assert application.status == S.submitted and application.green_channel
    assert places(db, course) == (0, 0)


def test_a_proof_verified_student_is_in_the_green_channel(db, make_course, make_student, apply):
    application = apply(make_student(verification=Verification.proof_verified), make_course())
    assert application.green_channel and application.status == S.admitted


@pytest.mark.parametrize("verification", [Verification.not_found, Verification.name_mismatch,
                                          Verification.proof_rejected])
def test_students_not_verified_apply_outside_the_green_channel(db, make_course, make_student, apply, verification):
    application = apply(make_student(verification=verification), make_course())
    assert not application.green_channel and application.status == S.submitted


def test_eligibility_is_checked_again_when_applying(db, make_course, make_student, make_registry_person, id_number,
                                                   apply):
    course = make_course()
    number = id_number()
    listed_since = make_student(number=number, name="符小梅", verification=Verification.not_found)
    make_registry_person("符小梅", number)  # the registry was imported after the profile was saved
    assert apply(listed_since, course).green_channel

    left_number = id_number()
    person = make_registry_person("陈小军", left_number, in_registry=False, left_on=today() - timedelta(days=30))
    left = make_student(number=left_number, name="陈小军", verification=Verification.registry_verified,
                        registry_person_id=person.id)
    application = apply(left, course)
    assert not application.green_channel and application.status == S.submitted


def test_a_non_green_applicant_never_takes_a_reserved_place(db, make_course, green_student, plain_student, apply,
                                                            staff_of, check_places):
    course = make_course(capacity=2, reserved_places=1)
    staff = staff_of(course)
    first, second = apply(plain_student(), course), apply(plain_student(), course)
    transition(staff, first, S.admitted)
    assert first.holds_reserved_place is False
    with pytest.raises(NoPlaceLeft):
        transition(staff, second, S.admitted)  # one place is left, but it is reserved
    assert places(db, course) == (1, 0)
    assert apply(green_student(), course).status == S.admitted  # the reserved place is still there
    check_places(course)


def test_staff_admit_a_green_applicant_to_a_general_place_when_the_reserved_ones_are_gone(
        db, make_course, green_student, apply, staff_of, check_places):
    course = make_course(capacity=3, reserved_places=1)
    apply(green_student(), course)
    waiting = apply(green_student(), course)
    assert waiting.status == S.submitted
    transition(staff_of(course), waiting, S.admitted)
    assert waiting.holds_reserved_place is False
    assert places(db, course) == (2, 1)
    check_places(course)


# --- one live application per student and course -------------------------------------------------

def test_a_second_live_application_is_refused_and_nothing_is_written(db, make_course, plain_student, apply):
    course, student = make_course(), plain_student(name="王小明")
    apply(student, course)
    applications, entries = count(db, Application), count(db, AuditEntry)
    with pytest.raises(EnrollmentError) as twice:
        apply(student, course)
    assert twice.value.msgid == "%(name)s已经报名了这门课程，不用重复报名。"
    assert str(twice.value) == "王小明已经报名了这门课程，不用重复报名。"
    assert (count(db, Application), count(db, AuditEntry)) == (applications, entries)


def test_after_withdrawing_the_student_may_apply_again(db, make_course, plain_student, apply):
    course, student = make_course(), plain_student()
    transition(None, apply(student, course), S.withdrawn)
    assert apply(student, course).status == S.submitted


def test_one_student_may_apply_to_several_courses(db, make_course, plain_student, apply):
    student = plain_student()
    apply(student, make_course())
    apply(student, make_course())
    assert count(db, Application, Application.student_id == student.id) == 2


# --- courses not taking applications ------------------------------------------------------------

@pytest.mark.parametrize("values", [
    {"status": CourseStatus.closed},
    {"status": CourseStatus.draft},
    {"apply_opens": today() + timedelta(days=3)},
    {"apply_opens": today() - timedelta(days=30), "apply_closes": today() - timedelta(days=1)},
], ids=["closed", "draft", "not-yet-open", "window-passed"])
def test_a_course_not_taking_applications_refuses_them(db, make_course, green_student, apply, values):
    course = make_course(**values)
    with pytest.raises(EnrollmentError) as refused:
        apply(green_student(), course)
    assert refused.value.msgid == "这门课程现在不接受报名。"
    assert count(db, Application) == 0
    assert places(db, course) == (0, 0)


def test_the_last_day_of_the_window_still_takes_applications(db, make_course, plain_student, apply):
    course = make_course(apply_closes=today())
    assert apply(plain_student(), course).status == S.submitted


# --- the apply page ------------------------------------------------------------------------------

def test_the_course_page_links_to_applying(client, make_course):
    course = make_course()
    assert f'href="/courses/{course.id}/apply"' in client.get(f"/courses/{course.id}").text


def test_the_apply_page_lists_the_family_and_applies_for_the_one_chosen(db, client, login, make_user, make_course,
                                                                       green_student, plain_student):
    grandmother = make_user(Role.applicant)
    green, other = green_student(account=grandmother, name="黎小海"), plain_student(account=grandmother, name="黎小妹")
    course = make_course()
    login(grandmother)
    page = client.get(f"/courses/{course.id}/apply").text
    assert "黎小海（建档立卡已核验）" in page and "黎小妹（未在建档立卡名单中）" in page
    assert page.count('type="radio"') == 2
    response = client.post(f"/courses/{course.id}/apply", data={"student_id": str(green.id)})
    assert response.status_code == 302 and response.location.endswith("/applications")
    assert "黎小海已通过绿色通道直接录取！请在" in client.get("/applications").text
    application = db.session.scalars(select(Application).where(Application.course_id == course.id)).one()
    assert (application.student_id, application.status) == (green.id, S.admitted)
    assert count(db, Application, Application.student_id == other.id) == 0
    assert "已报名" in client.get(f"/courses/{course.id}/apply").text


def test_a_plain_application_is_submitted_for_review(db, client, login, make_user, make_course, plain_student):
    parent = make_user(Role.applicant)
    student = plain_student(account=parent, name="王小明")
    course = make_course()
    login(parent)
    client.post(f"/courses/{course.id}/apply", data={"student_id": str(student.id)})
    assert "已为王小明提交报名，请等待学校审核。" in client.get("/applications").text


def test_a_family_applying_to_a_full_course_is_told_before_and_after_it_will_wait_for_a_place(
        db, client, login, make_user, make_course, plain_student):
    parent = make_user(Role.applicant)
    student = plain_student(account=parent, name="王小明")
    course, roomy = make_course(capacity=2, reserved_places=0), make_course(capacity=2, reserved_places=0)
    course.seats_filled = 2
    db.session.flush()
    login(parent)
    full = "名额已满。现在报名，学校审核后会列入候补名单；有人放弃名额时按顺序递补，建档立卡家庭的学生优先。"

    assert full in client.get(f"/courses/{course.id}").text and full in client.get(f"/courses/{course.id}/apply").text
    assert full not in client.get(f"/courses/{roomy.id}").text + client.get(f"/courses/{roomy.id}/apply").text
    client.post(f"/courses/{course.id}/apply", data={"student_id": str(student.id)})

    assert ("已为王小明提交报名。这门课程名额已满，学校审核后会列入候补名单，有人放弃名额时按顺序递补。"
            in client.get("/applications").text)


def test_applying_twice_on_the_page_says_so_and_writes_nothing(db, client, login, make_user, make_course,
                                                              plain_student, apply):
    parent = make_user(Role.applicant)
    student = plain_student(account=parent, name="王小明")
    course = make_course()
    apply(student, course)
    login(parent)
    applications = count(db, Application)
    response = client.post(f"/courses/{course.id}/apply", data={"student_id": str(student.id)})
    assert response.status_code == 200
    assert "王小明已经报名了这门课程，不用重复报名。" in response.text
    assert count(db, Application) == applications


@pytest.mark.parametrize("names, message", [
    (["王小明"], "王小明已经报名了这门课程，不用再报名。"),
    (["黎小海", "黎小梅"], "黎小海、黎小梅都已经报名了这门课程，不用再报名。"),
], ids=["one-student", "two-students"])
def test_when_every_student_has_applied_the_page_says_so_instead_of_a_form(db, client, login, make_user, make_course,
                                                                          plain_student, apply, names, message):
    parent = make_user(Role.applicant)
    course = make_course()
    for name in names:
        apply(plain_student(account=parent, name=name), course)
    login(parent)
    page = client.get(f"/courses/{course.id}/apply").text
    assert message in page
    assert '<a class="button" href="/applications">查看我的报名</a>' in page
    assert f'href="/family/students/new?next=/courses/{course.id}/apply">为其他学生报名？先添加学生</a>' in page
    assert "确认报名" not in page and 'type="radio"' not in page


def test_a_student_added_from_the_apply_page_comes_back_chosen(db, client, login, make_user, make_course,
                                                               plain_student, id_number):
    parent = make_user(Role.applicant)
    course = make_course()
    plain_student(account=parent, name="黎小海")  # another student, so the choice is not made by elimination
    login(parent)
    back = f"/courses/{course.id}/apply"
    response = client.post(f"/family/students/new?next={back}", data={
        "name": "黎小雨", "id_number": id_number(), "relation": "grandchild", "region_code": "", "next": back})
    added = db.session.scalars(select(Student).where(Student.name == "黎小雨")).one()
    assert response.status_code == 302 and response.location.endswith(f"{back}?student={added.id}")
    page = client.get(response.location).text
    checked = re.findall(r'<input type="radio" id="student-(\d+)"[^>]*\schecked', page)
    assert checked == [str(added.id)]
    # Submitted as it comes, the form applies for her.
    client.post(back, data={"student_id": added.id})
    assert db.session.scalars(select(Application).where(Application.student_id == added.id)).one()


def test_a_student_saved_for_another_page_goes_back_to_it_unchanged(client, login, make_user, make_student):
    parent = make_user(Role.applicant)
    student = make_student(account=parent, name="黎小海")
    login(parent)
    response = client.post(f"/family/students/{student.id}/edit?next=/applications", data={
        "name": "黎小海", "relation": "grandchild", "region_code": "", "id_number": "", "next": "/applications"})
    assert response.status_code == 302 and response.location.endswith("/applications")


def test_the_one_student_left_to_apply_is_chosen_already(db, client, login, make_user, make_course, plain_student,
                                                         apply):
    parent = make_user(Role.applicant)
    course = make_course()
    applied, left = plain_student(account=parent, name="黎小海"), plain_student(account=parent, name="黎小梅")
    apply(applied, course)
    login(parent)
    page = client.get(f"/courses/{course.id}/apply").text
    assert re.search(rf'<input type="radio" id="student-{applied.id}"[^>]* disabled>', page)
    assert re.search(rf'<input type="radio" id="student-{left.id}"[^>]* checked[ >]', page)
    assert "确认报名" in page and "不用再报名" not in page


def test_after_withdrawing_the_form_is_offered_again(db, client, login, make_user, make_course, plain_student, apply):
    parent = make_user(Role.applicant)
    course = make_course()
    transition(parent, apply(plain_student(account=parent), course), S.withdrawn)
    login(parent)
    page = client.get(f"/courses/{course.id}/apply").text
    assert "确认报名" in page and "不用再报名" not in page


def green_hint(page: str, student) -> str:
    """The words beside the student on the apply page about the green channel, tags removed ("" if none)."""
    found = re.search(rf'<p class="hint green-hint" id="student-{student.id}-green">(.*?)</p>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def test_each_student_is_told_where_they_stand_for_the_green_channel(db, client, login, make_user, make_course,
                                                                     make_student, green_student):
    parent = make_user(Role.applicant)
    course = make_course(reserved_places=5)
    listed = green_student(account=parent, name="黎小海")
    proven = make_student(account=parent, name="黎小湖", verification=Verification.proof_verified)
    unlisted = make_student(account=parent, name="黎小梅")
    waiting = make_student(account=parent, name="黎小山")
    db.session.add(ProofDocument(student_id=waiting.id, kind="poverty_certificate", filename="贫困证明.png",
                                 content_type="image/png", size=3, sha256="0" * 64, data=b"png",
                                 uploaded_by_id=parent.id))
    refused = make_student(account=parent, name="黎小河", verification=Verification.proof_rejected)
    misnamed = make_student(account=parent, name="黎小江", verification=Verification.name_mismatch)
    db.session.flush()
    login(parent)
    page = client.get(f"/courses/{course.id}/apply").text

    def upload_link(student, words: str) -> str:
        return (f'<a href="/family/students/{student.id}?next=/courses/{course.id}/apply#upload">{words}'
                f'<span class="visually-hidden"> {student.name}</span></a>')

    assert green_hint(page, listed) == green_hint(page, proven) == "报名走绿色通道。"
    assert green_hint(page, unlisted) == ("没有在建档立卡名单中找到，这次报名不走绿色通道。"
                                          "如果家里是建档立卡贫困户，可以在学生资料页上传贫困证明或户口簿，"
                                          "学校审核通过后走绿色通道。上传证明材料 黎小梅")
    assert upload_link(unlisted, "上传证明材料") in page
    assert green_hint(page, waiting) == "证明材料已上传，报名后学校会审核；审核通过后走绿色通道。"
    assert f"/family/students/{waiting.id}?" not in page
    assert green_hint(page, refused).startswith(
        "证明材料没有通过学校审核，这次报名不走绿色通道。可以在学生资料页上传新的贫困证明或户口簿")
    assert upload_link(refused, "上传新的证明材料") in page
    # A misspelt name can still be corrected before applying, and never after: the family is told so and
    # offered the correction first, coming back here once it is saved.
    assert green_hint(page, misnamed) == (
        "姓名和建档立卡名单上的不一致，现在报名不走绿色通道。请先核对姓名是否和户口簿上的一样，"
        "填错了请改正后再报名：报名后姓名不能再修改。修改姓名 黎小江 "
        "也可以在学生资料页上传贫困证明或户口簿，学校审核通过后走绿色通道。上传证明材料 黎小江")
    assert (f'<a href="/family/students/{misnamed.id}/edit?next=/courses/{course.id}/apply">修改姓名'
            f'<span class="visually-hidden"> 黎小江</span></a>') in page
    assert upload_link(misnamed, "上传证明材料") in page
    assert f'value="{unlisted.id}" aria-describedby="student-{unlisted.id}-green">' in page


def test_a_name_corrected_from_the_apply_page_takes_the_green_channel(db, client, login, make_user, make_course,
                                                                      make_registry_person, make_student, id_number):
    parent = make_user(Role.applicant)
    course = make_course(reserved_places=5)
    number = id_number()
    make_registry_person("黎小江", number)
    misnamed = make_student(account=parent, name="黎小红", number=number, verification=Verification.name_mismatch)
    login(parent)
    edit = f"/family/students/{misnamed.id}/edit?next=/courses/{course.id}/apply"
    assert f'href="{edit}"' in client.get(f"/courses/{course.id}/apply").text
    form = client.get(edit).text
    assert 'readonly' not in form.split('id="name"')[1].split(">")[0]  # not applied yet: the name can change
    response = client.post(edit, data={"name": "黎小江", "relation": "grandchild", "region_code": "",
                                       "id_number": "", "next": f"/courses/{course.id}/apply"})
    assert response.status_code == 302
    assert response.location.endswith(f"/courses/{course.id}/apply?student={misnamed.id}")
    assert green_hint(client.get(response.location).text, misnamed) == "报名走绿色通道。"


def test_after_applying_a_misnamed_student_is_not_asked_to_correct_the_name(
        db, client, login, make_user, make_course, make_registry_person, make_student, id_number, apply):
    parent = make_user(Role.applicant)
    number = id_number()
    make_registry_person("黎小红", number)
    misnamed = make_student(account=parent, name="黎小江", number=number, verification=Verification.name_mismatch)
    application = apply(misnamed, make_course(reserved_places=5))
    login(parent)
    page = client.get("/applications").text
    hint = page.split(f'id="application-{application.id}-green">')[1].split("</p>")[0]
    assert "姓名填错了的，请联系报名学校更正。" in hint  # the name is fixed now: only the school can
    assert "请核对姓名" not in hint and "/edit" not in hint


def test_the_green_channel_is_not_mentioned_where_it_does_not_apply(db, client, login, make_user, make_course,
                                                                    make_student, apply):
    parent = make_user(Role.applicant)
    regular = make_course(kind=CourseKind.free_training, reserved_places=0)
    unlisted = make_student(account=parent, name="黎小梅")
    login(parent)
    assert "green-hint" not in client.get(f"/courses/{regular.id}/apply").text
    course = make_course()
    other = make_student(account=parent, name="黎小山")
    apply(unlisted, course)  # already applied: nothing to choose, nothing to advise
    page = client.get(f"/courses/{course.id}/apply").text
    assert green_hint(page, unlisted) == "" and green_hint(page, other).startswith("没有在建档立卡名单中找到")


def test_a_family_without_students_is_sent_to_add_one(client, login, make_user, make_course):
    login(make_user(Role.applicant))
    course = make_course()
    page = client.get(f"/courses/{course.id}/apply").text
    assert "请先登记要报名的学生" in page and f'href="/family/students/new?next=/courses/{course.id}/apply"' in page
    assert 'type="radio"' not in page


def test_choosing_nobody_or_someone_elses_student_is_refused(db, client, login, make_user, make_course,
                                                            plain_student):
    parent = make_user(Role.applicant)
    plain_student(account=parent)
    stranger = plain_student()
    course = make_course()
    login(parent)
    for data in ({}, {"student_id": str(stranger.id)}, {"student_id": "abc"}):
        response = client.post(f"/courses/{course.id}/apply", data=data)
        assert response.status_code == 200
        assert "请按提示修改标出的内容后再提交。" in response.text
    assert count(db, Application) == 0


@pytest.mark.parametrize("values, message", [
    ({"status": CourseStatus.closed}, "这门课程的报名已经结束。"),
    ({"apply_opens": today() + timedelta(days=3)}, "开始报名，现在还不能报名。"),
])
def test_the_apply_page_of_a_course_not_taking_applications(db, client, login, make_user, make_course, plain_student,
                                                            values, message):
    parent = make_user(Role.applicant)
    student = plain_student(account=parent)
    course = make_course(**values)
    login(parent)
    assert message in client.get(f"/courses/{course.id}/apply").text
    response = client.post(f"/courses/{course.id}/apply", data={"student_id": str(student.id)})
    assert "这门课程现在不接受报名。" in response.text
    assert count(db, Application) == 0


def test_a_draft_or_missing_course_has_no_apply_page(client, login, make_user, make_course):
    login(make_user(Role.applicant))
    assert client.get(f"/courses/{make_course(status=CourseStatus.draft).id}/apply").status_code == 404
    assert client.get("/courses/999999/apply").status_code == 404


@pytest.mark.parametrize("role", [Role.staff, Role.finance, Role.admin])
def test_only_applicants_apply(client, login, make_user, make_course, role):
    course = make_course()
    login(make_user(role))
    assert client.get(f"/courses/{course.id}/apply").status_code == 403
    assert client.post(f"/courses/{course.id}/apply", data={"student_id": "1"}).status_code == 403


def test_visitors_are_sent_to_log_in_first(client, make_course):
    course = make_course()
    response = client.get(f"/courses/{course.id}/apply")
    assert response.status_code == 302 and "/login" in response.location

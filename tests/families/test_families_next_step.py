"""The next step the family page and a student's page give: find a course until the student has
applied, then the application to follow (an offer to answer first), and after a refusal, other courses."""
from datetime import timedelta

import pytest
from babel.dates import format_date

from portal.db import today
from portal.enrollment.models import ApplicationStatus
from portal.enrollment.services import submit_application, transition
from portal.families.models import ProofDocument

S = ApplicationStatus


@pytest.fixture
def student(applicant, make_student):
    return make_student(account=applicant, name="黎小梅")


@pytest.fixture
def proof(db, student, png):
    document = ProofDocument(student_id=student.id, kind="poverty_certificate", filename="贫困证明.png",
                             content_type="image/png", size=len(png), sha256="0" * 64, data=png,
                             uploaded_by_id=student.account_id)
    db.session.add(document)
    db.session.flush()
    return document


@pytest.fixture
def applied(applicant, student, make_course):
    """Apply for the student to a new course titled `title`, then move the application to `to`."""
    def make(title: str, to: S | None = None, reason: str = ""):
        application = submit_application(applicant, student, make_course(title=title, reserved_places=0), today())
        if to is not None:
            transition(None, application, to, reason)
        return application
    return make


def card(as_applicant, page) -> str:
    (only,) = as_applicant.get("/family").text.split('<li class="card">')[1:]
    return page.of(only)


def pages(as_applicant, page, student):
    """The family page's card and the student's own page: both give the same next step."""
    return card(as_applicant, page), page(as_applicant.get(f"/family/students/{student.id}"))


def test_before_applying_the_next_step_is_finding_a_course(as_applicant, page, student, proof):
    for shown in pages(as_applicant, page, student):
        assert "已上传1份证明材料，报名后学校会审核。" in shown and "去找课程" in shown


def test_after_applying_the_family_follows_the_application(as_applicant, page, student, proof, applied):
    application = applied("电工扶贫班")
    for shown in pages(as_applicant, page, student):
        assert "已上传1份证明材料，等待学校审核。" in shown
        assert "下一步： 已报名“电工扶贫班”，等待学校审核。 查看报名进度" in shown
        assert "报名后学校会审核" not in shown and "去找课程" not in shown
    assert f'href="/applications#application-{application.id}"' in as_applicant.get("/family").text
    assert f'id="application-{application.id}"' in as_applicant.get("/applications").text


def test_after_a_rejection_the_family_is_told_plainly_and_pointed_to_other_courses(
        as_applicant, page, student, proof, applied):
    applied("电工扶贫班", S.rejected, "名额已满")
    for shown in pages(as_applicant, page, student):
        assert "下一步： 报名的“电工扶贫班”没有被录取。可以报名其他课程。 去找其他课程" in shown
        assert "等待学校审核" not in shown
    assert 'href="/courses">去找其他课程' in as_applicant.get("/family").text


def test_an_offer_to_answer_comes_before_a_newer_application(as_applicant, page, student, applied):
    offer = applied("电工扶贫班", S.admitted)
    applied("焊工班")
    deadline = format_date(offer.offer_expires_on, "long", locale="zh_Hans_CN")
    for shown in pages(as_applicant, page, student):
        assert f"下一步： 已被“电工扶贫班”录取，请在{deadline}前确认入学。 去确认入学" in shown
        assert "焊工班" not in shown


def test_a_student_enrolled_before_follows_their_new_application(db, as_applicant, page, student, applied):
    enrolled = applied("电工扶贫班", S.admitted)
    transition(None, enrolled, S.accepted)
    for shown in pages(as_applicant, page, student):
        assert "下一步： 已在“电工扶贫班”入学" in shown
    waiting = applied("焊工班")
    waiting.submitted_at += timedelta(seconds=1)
    db.session.flush()
    for shown in pages(as_applicant, page, student):
        assert "下一步： 已报名“焊工班”，等待学校审核。" in shown


def test_an_enrolled_student_is_told_the_day_and_time_to_report(as_applicant, applicant, page, student, make_course):
    course = make_course(title="电工扶贫班", reserved_places=0, report_date=today() + timedelta(days=29),
                         report_time="上午 8:00–11:30")
    application = submit_application(applicant, student, course, today())
    transition(None, application, S.admitted)
    transition(None, application, S.accepted)
    day = format_date(course.report_date, "long", locale="zh_Hans_CN")
    for shown in pages(as_applicant, page, student):
        assert f"下一步： 已在“电工扶贫班”入学，到校报到时间：{day} 上午 8:00–11:30 。 下载录取通知书" in shown


def test_an_enrolled_student_s_notice_downloads_straight_from_the_family_pages(db, as_applicant, applicant, student,
                                                                              make_course):
    """Not a link to another page where the notice is to be found: the PDF itself, from the card and the student's
    page alike."""
    from portal.enrollment.models import Enrollment
    application = submit_application(applicant, student, make_course(title="电工扶贫班", reserved_places=0), today())
    transition(None, application, S.admitted)
    transition(None, application, S.accepted)
    enrollment = db.session.query(Enrollment).filter_by(application_id=application.id).one()
    link = (f'<a href="/enrollments/{enrollment.id}/notice.pdf">下载录取通知书'
            f'<span class="visually-hidden"> {student.name}</span></a>')
    for url in ("/family", f"/family/students/{student.id}"):
        assert link in as_applicant.get(url).text
    pdf = as_applicant.get(f"/enrollments/{enrollment.id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_family_page_runs_the_same_queries_for_one_applicant_or_five(db, as_applicant, applicant, make_student,
                                                                         make_course, queries):
    def add_student():
        student = make_student(account=applicant)
        for _ in range(2):
            submit_application(applicant, student, make_course(), today())

    add_student()
    with queries() as one:
        assert as_applicant.get("/family").status_code == 200
    for _ in range(4):
        add_student()
    with queries() as five:
        assert "下一步" in as_applicant.get("/family").text
    assert five[0] == one[0]


def test_a_name_that_differs_from_the_registry_can_be_corrected_until_the_student_applies(
        db, as_applicant, applicant, make_student, make_registry_person, id_number, make_course):
    from portal.families.models import Verification
    number = id_number()
    make_registry_person("黎小红", number)
    misnamed = make_student(account=applicant, name="黎小梅", number=number, verification=Verification.name_mismatch)
    edit = f'<a href="/family/students/{misnamed.id}/edit">修改姓名<span class="visually-hidden"> 黎小梅</span></a>'
    assert edit in as_applicant.get("/family").text
    submit_application(applicant, misnamed, make_course(), today())
    assert misnamed.verification == Verification.name_mismatch
    assert "修改姓名" not in as_applicant.get("/family").text  # fixed once applied: the school corrects it

"""The applicant's page (/applications): every student of the family, each application with its
course, institution, timeline and the one next step; accepting, declining and withdrawing;
nobody else's applications; a fixed number of queries."""
import re
from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from portal.auth.models import Role
from portal.courses.models import Course
from portal.enrollment.models import Application, ApplicationStatus, Enrollment
from portal.enrollment.services import today, transition
from portal.families.models import ProofDocument

S = ApplicationStatus


def long_date(day) -> str:
    return format_date(day, "long", locale="zh_Hans_CN")


def card(page: str, course_title: str) -> str:
    """The HTML of the application card for the course titled `course_title`."""
    cards = [c.split("\n  </ul>")[0] for c in page.split('<li class="card application"')[1:]
             if f">{course_title}</a></h3>" in c]
    assert len(cards) == 1, f"expected one card for {course_title!r}"
    return cards[0]


@pytest.fixture
def family(db, make_user, make_institution, make_course, green_student, plain_student, apply, staff_of):
    """A grandmother with three grandchildren: one admitted, one waitlisted (second in line) and one
    who has not applied; plus a course accepted, one submitted and one rejected."""
    grandmother = make_user(Role.applicant, name="黎奶奶")
    hai = green_student(account=grandmother, name="黎小海")
    mei = plain_student(account=grandmother, name="黎小梅")
    plain_student(account=grandmother, name="黎小山")
    school = make_institution(name="海南省技师学院")
    electric = make_course(institution=school, title="电工扶贫班")
    welding = make_course(institution=school, title="焊工班", capacity=1, reserved_places=0)
    cooking = make_course(institution=school, title="中式烹调班")
    sewing = make_course(institution=school, title="缝纫班")
    nursing = make_course(institution=school, title="育婴员班")
    staff = staff_of(electric)
    admitted = apply(hai, electric)
    transition(staff, apply(plain_student(), welding), S.admitted)
    first_in_line = apply(green_student(), welding)
    transition(staff, first_in_line, S.waitlisted)
    waitlisted = apply(mei, welding)
    transition(staff, waitlisted, S.waitlisted)
    accepted = apply(hai, cooking)
    transition(grandmother, accepted, S.accepted)
    submitted = apply(mei, sewing)
    rejected = apply(mei, nursing)
    transition(staff, rejected, S.rejected, "名额已满")
    return grandmother, {"admitted": admitted, "waitlisted": waitlisted, "accepted": accepted,
                         "submitted": submitted, "rejected": rejected}


def test_every_student_with_each_application_and_its_one_next_step(db, client, login, family):
    grandmother, apps = family
    login(grandmother)
    page = client.get("/applications").text
    assert [h for h in re.findall(r"<h2 id=\"student-\d+\">(.*?)</h2>", page)] == ["黎小海", "黎小梅", "黎小山"]
    assert "还没有报名。" in page  # 黎小山
    electric = card(page, "电工扶贫班")
    assert "海南省技师学院" in electric and "已录取" in electric and "绿色通道" in electric
    deadline = long_date(apps["admitted"].offer_expires_on)
    assert f"下一步：</strong>请在{deadline}前确认入学" in electric
    assert f'action="/applications/{apps["admitted"].id}/accept"' in electric
    assert f'action="/applications/{apps["admitted"].id}/decline"' in electric
    assert "候补第2位" in card(page, "焊工班")  # behind the green applicant who waited first
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.application_id == apps["accepted"].id)).one()
    # The notice is the one thing left to do: a button of its own, not a link inside a sentence.
    assert (f'<a class="button" href="/enrollments/{enrollment.id}/notice.pdf">下载录取通知书'
            '<span class="visually-hidden"> 中式烹调班</span></a>') in card(page, "中式烹调班")
    sewing = card(page, "缝纫班")
    assert "等待学校审核" in sewing and f'action="/applications/{apps["submitted"].id}/withdraw"' in sewing
    nursing = card(page, "育婴员班")
    assert "未录取" in nursing and "名额已满" in nursing and "withdraw" not in nursing


def test_an_offer_and_a_place_say_when_to_report(db, client, login, make_user, make_course, green_student, apply):
    grandmother = make_user(Role.applicant)
    electric = make_course(title="电工扶贫班", report_date=today() + timedelta(days=28), report_time="下午 14:00–17:00")
    cooking = make_course(title="中式烹调班")  # no report date: students report on the first day
    apply(green_student(account=grandmother, name="黎小海"), electric)
    accepted = apply(green_student(account=grandmother, name="黎小梅"), cooking)
    transition(grandmother, accepted, S.accepted)
    login(grandmother)
    page = client.get("/applications").text

    def text(course_title):
        return " ".join(re.sub(r"<[^>]+>", " ", card(page, course_title)).split())

    assert f"报到时间：{long_date(electric.report_date)} 下午 14:00–17:00 。" in text("电工扶贫班")
    assert (f"下载录取通知书，到校报到时间：{long_date(cooking.start_date)}。"
            "报到时带上录取通知书和身份证（或户口簿）。") in text("中式烹调班")


def test_the_timeline_shows_each_state_with_its_day(client, login, family):
    grandmother, _ = family
    login(grandmother)
    cooking = card(client.get("/applications").text, "中式烹调班")
    steps = re.findall(r'<li><span class="when">(.*?)</span> <span class="what">(\w+)</span>', cooking)
    day = format_date(today(), "medium", locale="zh_Hans_CN")
    assert steps == [(day, "已提交"), (day, "已录取"), (day, "已确认入学")]
    assert "绿色通道：建档立卡家庭学生直接录取" in cooking  # why it was admitted, in plain words


def test_a_family_with_no_students_is_asked_to_add_one(client, login, make_user):
    login(make_user(Role.applicant))
    page = client.get("/applications").text
    assert "还没有登记学生" in page and 'href="/family/students/new"' in page


def test_an_overdue_offer_shows_as_lapsed(db, client, login, family):
    grandmother, apps = family
    apps["admitted"].offer_expires_on = today() - timedelta(days=1)
    db.session.flush()
    login(grandmother)
    electric = card(client.get("/applications").text, "电工扶贫班")
    assert "没有在期限内确认，录取已过期" in electric
    db.session.expire_all()
    assert db.session.get(Application, apps["admitted"].id).status == S.lapsed


# --- actions -------------------------------------------------------------------------------------

def test_accepting_enrolls_the_student_and_says_when_to_report(db, client, login, family):
    grandmother, apps = family
    course = db.session.get(Course, apps["admitted"].course_id)
    course.report_date, course.report_time = today() + timedelta(days=28), "下午 14:00–17:00"
    db.session.flush()
    login(grandmother)
    response = client.post(f"/applications/{apps['admitted'].id}/accept")
    assert response.status_code == 302 and response.location.endswith("/applications")
    page = client.get("/applications").text
    assert (f"已确认入学。请下载录取通知书，到校报到时间：{long_date(course.report_date)} "
            '下午 <span class="nowrap">14:00–17:00</span>。') in page
    assert "下载录取通知书" in card(page, "电工扶贫班")
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.application_id == apps["admitted"].id)).one()
    assert enrollment.fee_waiver and enrollment.national_grant and enrollment.living_allowance


def test_declining_gives_the_place_to_the_next_in_line(db, client, login, make_course, green_student, plain_student,
                                                      apply, staff_of, make_user):
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    parent = make_user(Role.applicant)
    mine = apply(plain_student(account=parent), course)
    transition(staff, mine, S.admitted)
    next_in_line = apply(plain_student(), course)
    transition(staff, next_in_line, S.waitlisted)
    login(parent)
    client.post(f"/applications/{mine.id}/decline")
    assert "已放弃这个名额，名额会让给候补的同学。" in client.get("/applications").text
    db.session.expire_all()
    assert db.session.get(Application, mine.id).status == S.declined
    assert db.session.get(Application, next_in_line.id).status == S.admitted


def test_withdrawing(db, client, login, family):
    grandmother, apps = family
    login(grandmother)
    client.post(f"/applications/{apps['submitted'].id}/withdraw")
    assert "已撤回报名。" in client.get("/applications").text
    db.session.expire_all()
    assert db.session.get(Application, apps["submitted"].id).status == S.withdrawn


def confirmation(card_html: str, action: str) -> str:
    """The <details> that holds the form posting to `action`: its button only appears once opened."""
    found = [d for d in re.findall(r"<details class=\"confirm\">.*?</details>", card_html, re.S)
             if f'/{action}"' in d]
    assert len(found) == 1, f"the {action} form is not behind a confirmation"
    return found[0]


def test_declining_and_withdrawing_ask_first_and_say_what_cannot_be_undone(client, login, family):
    grandmother, apps = family
    login(grandmother)
    page = client.get("/applications").text
    electric = card(page, "电工扶贫班")
    decline = confirmation(electric, "decline")
    assert re.search(r"<summary[^>]*>放弃名额…<span class=\"visually-hidden\"> 电工扶贫班</span></summary>", decline)
    assert "放弃后，名额会马上让给等候的人，不能恢复。" in decline
    assert re.search(r'<button type="submit">确定放弃名额<', decline)
    assert f'action="/applications/{apps["admitted"].id}/accept"' not in decline  # accepting stays one tap
    for title, application in (("缝纫班", apps["submitted"]), ("焊工班", apps["waitlisted"])):
        withdraw = confirmation(card(page, title), "withdraw")
        assert f'action="/applications/{application.id}/withdraw"' in withdraw
        assert re.search(r"<summary[^>]*>撤回报名…<", withdraw)
        assert "撤回后，这份报名就取消了，不能恢复。" in withdraw
        assert re.search(r'<button type="submit">确定撤回报名<', withdraw)


def test_an_action_the_state_does_not_allow_is_refused_with_a_message(db, client, login, family):
    grandmother, apps = family
    login(grandmother)
    client.post(f"/applications/{apps['submitted'].id}/accept")
    assert "这份报名现在是“已提交”，不能这样处理。" in client.get("/applications").text
    db.session.expire_all()
    assert db.session.get(Application, apps["submitted"].id).status == S.submitted
    assert db.session.scalar(select(func.count()).select_from(Enrollment)
                             .where(Enrollment.application_id == apps["submitted"].id)) == 0


@pytest.mark.parametrize("action", ["accept", "decline", "withdraw"])
def test_another_familys_application_is_not_found(db, client, login, make_user, family, action):
    _, apps = family
    login(make_user(Role.applicant))
    assert client.post(f"/applications/{apps['admitted'].id}/{action}").status_code == 404
    assert client.post(f"/applications/999999/{action}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Application, apps["admitted"].id).status == S.admitted


@pytest.mark.parametrize("role", [Role.staff, Role.finance, Role.admin])
def test_the_page_and_actions_are_for_applicants(client, login, make_user, family, role):
    _, apps = family
    login(make_user(role))
    assert client.get("/applications").status_code == 403
    assert client.post(f"/applications/{apps['admitted'].id}/accept").status_code == 403


def test_visitors_are_sent_to_log_in(client, family):
    _, apps = family
    for response in (client.get("/applications"), client.post(f"/applications/{apps['admitted'].id}/withdraw")):
        assert response.status_code == 302 and "/login" in response.location


# --- queries -------------------------------------------------------------------------------------

def test_the_page_runs_a_fixed_number_of_queries(count_queries, db, client, login, make_user, make_course,
                                                 green_student,
                                                plain_student, apply, staff_of):
    parent = make_user(Role.applicant)
    students = [green_student(account=parent), plain_student(account=parent)]
    login(parent)

    def add_applications(n: int):
        for _ in range(n):
            course = make_course(capacity=1, reserved_places=0)
            staff = staff_of(course)
            transition(staff, apply(plain_student(), course), S.admitted)
            for student in students:
                transition(staff, apply(student, course), S.waitlisted)
            admitted = apply(green_student(account=parent), make_course())
            transition(parent, admitted, S.accepted)

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            page = client.get("/applications").text
        assert "候补第" in page and "下载录取通知书" in page
        return len(statements)

    add_applications(1)
    few = queries()
    add_applications(6)
    assert queries() == few
    assert few <= 8  # user, unread count, overdue offers, students, applications, timelines, waiting-list
    # places, proof counts


# --- proof for the green channel -----------------------------------------------------------------

def text_of(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def test_an_applicant_not_in_the_registry_is_asked_for_proof_until_it_is_uploaded(
        db, client, login, make_user, make_course, plain_student, green_student, apply, staff_of):
    grandmother = make_user(Role.applicant)
    mei = plain_student(account=grandmother, name="黎小梅")
    hai = green_student(account=grandmother, name="黎小海")
    course = make_course(title="电工扶贫班", reserved_places=0)
    applied = apply(mei, course)
    apply(hai, make_course(title="焊工扶贫班", reserved_places=0))
    login(grandmother)

    waiting = card(client.get("/applications").text, "电工扶贫班")
    assert ("如果家里是建档立卡贫困户，可以在学生资料页上传贫困证明或户口簿，学校审核通过后走绿色通道。"
            in text_of(waiting))
    assert (f'<a href="/family/students/{mei.id}?next=/applications#upload">上传证明材料'
            f'<span class="visually-hidden"> 黎小梅</span></a>') in waiting
    assert "上传证明材料" not in card(client.get("/applications").text, "焊工扶贫班")  # in the registry already

    db.session.add(ProofDocument(student_id=mei.id, kind="poverty_certificate", filename="贫困证明.png",
                                 content_type="image/png", size=3, sha256="0" * 64, data=b"png",
                                 uploaded_by_id=grandmother.id))
    db.session.flush()
    waiting = card(client.get("/applications").text, "电工扶贫班")
    assert "证明材料已上传，等待学校审核；审核通过后走绿色通道。" in text_of(waiting)
    assert "上传证明材料" not in waiting

    transition(staff_of(course), applied, S.rejected, "不符合条件")
    assert "green-hint" not in card(client.get("/applications").text, "电工扶贫班")  # nothing left to wait for


def test_the_home_page_puts_a_place_waiting_to_be_confirmed_first(db, client, login, family, make_course, apply,
                                                                   green_student):
    """A family logging in lands on the home page: an offer that lapses unless confirmed is there, with its
    last day and the way to confirm it, until it is confirmed or has run out."""
    grandmother, applications = family
    admitted = applications["admitted"]
    later = apply(green_student(account=grandmother, name="黎小玉"), make_course(title="电子商务扶贫班"))
    admitted.offer_expires_on, later.offer_expires_on = today() + timedelta(days=3), today() + timedelta(days=9)
    db.session.flush()
    login(grandmother)

    offers = re.findall(r'<p class="offer">(.*?)</p>', client.get("/").text, re.S)
    soon, last = long_date(today() + timedelta(days=3)), long_date(today() + timedelta(days=9))
    assert [re.sub(r"<[^>]+>|\s+", " ", offer).split() for offer in offers] == [
        ["黎小海", f"已被“电工扶贫班”录取，请在{soon}前确认入学。", "去确认入学", "黎小海"],
        ["黎小玉", f"已被“电子商务扶贫班”录取，请在{last}前确认入学。", "去确认入学", "黎小玉"]]
    assert f'href="/applications#application-{admitted.id}"' in offers[0]

    transition(grandmother, admitted, S.accepted)
    later.offer_expires_on = today() - timedelta(days=1)  # run out: the applications page lapses it
    db.session.flush()
    assert '<p class="offer">' not in client.get("/").text

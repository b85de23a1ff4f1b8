"""Staff's review queue: their institution's applications only, filters, order (green channel first,
then earliest), paging; the detail page with the evidence; decisions one by one and in bulk."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.common.idnumbers import mask, vault
from portal.enrollment.models import Application, ApplicationStatus
from portal.enrollment.services import today, transition
from portal.families.models import DocumentKind, ProofDocument, Student, Verification
from portal.notifications.models import Notification

S = ApplicationStatus


# A row's student, linked to the review page (which returns to the queue as filtered).
ROW = r'<th scope="row"><a href="/manage/applications/\d+(?:\?back=[^"]+)?">(.*?)</a></th>'


def names_in_queue(page: str) -> list[str]:
    return re.findall(ROW, page)


def status_of(db, application) -> S:
    db.session.expire_all()
    return db.session.get(Application, application.id).status


@pytest.fixture
def school(db, make_institution, make_course, make_user, green_student, plain_student, apply):
    """An institution with two courses and applications in several states, one staff member, and
    another institution with an application of its own."""
    institution = make_institution(name="海南省技师学院")
    electric = make_course(institution=institution, title="电工扶贫班", capacity=10, reserved_places=1)
    welding = make_course(institution=institution, title="焊工班", capacity=10, reserved_places=0)
    staff = make_user(Role.staff, institution_id=institution.id)
    start = datetime.now(UTC) - timedelta(hours=5)
    apps = {}
    for i, (name, make, course) in enumerate([("甲", plain_student, electric), ("乙", green_student, welding),
                                              ("丙", plain_student, welding), ("丁", green_student, electric),
                                              ("戊", green_student, electric)]):
        apps[name] = apply(make(name=name), course)
        apps[name].submitted_at = start + timedelta(hours=i)
    db.session.flush()
    transition(staff, apps["丙"], S.under_review)
    elsewhere = make_course(title="别校课程")
    apps["外"] = apply(plain_student(name="外校"), elsewhere)
    return staff, electric, welding, apps


def test_the_queue_shows_what_needs_a_decision_green_first_then_earliest(client, login, school):
    staff, _, _, apps = school
    assert apps["丁"].status == S.admitted  # took the one reserved place at once
    login(staff)
    page = client.get("/manage/applications").text
    assert names_in_queue(page) == ["乙", "戊", "甲", "丙"]
    assert "外校" not in page and "共 4 份报名" in page


@pytest.mark.parametrize("params, expected", [
    ({"status": "all"}, ["乙", "丁", "戊", "甲", "丙"]),
    ({"status": "admitted"}, ["丁"]),
    ({"status": "under_review"}, ["丙"]),
    ({"green": "yes"}, ["乙", "戊"]),
    ({"green": "no"}, ["甲", "丙"]),
    ({"verification": "registry_verified"}, ["乙", "戊"]),
    ({"verification": "not_found"}, ["甲", "丙"]),
    ({"verification": "proof_verified"}, []),
    ({"status": "nonsense", "green": "maybe", "verification": "x"}, ["乙", "戊", "甲", "丙"]),  # stale link
])
def test_the_queue_filters(client, login, school, params, expected):
    staff, _, _, _ = school
    login(staff)
    assert names_in_queue(client.get("/manage/applications", query_string=params).text) == expected


def test_the_queue_filters_by_course_and_ignores_another_institutions_course(db, client, login, school):
    staff, electric, welding, apps = school
    login(staff)
    assert names_in_queue(client.get("/manage/applications", query_string={"course": welding.id}).text) == ["乙", "丙"]
    other = db.session.get(Application, apps["外"].id).course_id
    assert names_in_queue(client.get("/manage/applications", query_string={"course": other}).text) == [
        "乙", "戊", "甲", "丙"]
    page = client.get("/manage/applications").text
    assert "别校课程" not in page and f'<option value="{electric.id}">电工扶贫班</option>' in page


def test_the_queue_pages(db, client, login, make_course, plain_student, apply, staff_of, monkeypatch):
    monkeypatch.setattr("portal.enrollment.views.QUEUE_PAGE_SIZE", 2)
    course = make_course()
    for i in range(5):
        apply(plain_student(name=f"学生{i}"), course)
    login(staff_of(course))
    first = client.get("/manage/applications").text
    assert names_in_queue(first) == ["学生0", "学生1"] and "第 1 / 3 页" in first
    assert names_in_queue(client.get("/manage/applications?page=3").text) == ["学生4"]
    assert names_in_queue(client.get("/manage/applications?page=99").text) == []


def test_the_queue_runs_a_fixed_number_of_queries(count_queries, db, client, login, make_course, green_student,
                                                  plain_student,
                                                  apply, staff_of):
    course = make_course(reserved_places=0)
    login(staff_of(course))

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as statements:
            page = client.get("/manage/applications?status=all").text
        assert names_in_queue(page)
        return len(statements)

    for _ in range(2):
        apply(green_student(), course), apply(plain_student(), course)
    few = queries()
    for _ in range(20):
        apply(green_student(), course), apply(plain_student(), course)
    assert queries() == few
    assert few <= 7  # user, unread count, overdue offers, courses, count, page (and the user's institution)


# --- the detail page -----------------------------------------------------------------------------

def test_the_detail_page_shows_student_evidence_timeline_and_decisions(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    page = client.get(f"/manage/applications/{apps['乙'].id}").text
    student = db.session.get(Student, apps["乙"].student_id)
    number = vault().decrypt(student.id_cipher)
    assert mask(number) in page and number not in page
    assert "焊工班" in page and "建档立卡已核验" in page
    assert "4601070010001" in page  # the household number from the registry listing
    assert "已提交" in page
    buttons = re.findall(r'<button type="submit" name="decision" value="(\w+)"[^>]*>(.*?)</button>', page)
    assert buttons == [("admitted", "录取"), ("waitlisted", "列入候补"), ("rejected", "不录取"),
                       ("under_review", "标记为审核中")]


def test_an_admitted_application_waits_for_the_family(client, login, school):
    staff, _, _, apps = school
    login(staff)
    page = client.get(f"/manage/applications/{apps['丁'].id}").text
    assert "已录取，等待申请人在" in page and 'name="decision"' not in page


def test_another_institutions_application_is_not_found(client, login, school):
    staff, _, _, apps = school
    login(staff)
    assert client.get(f"/manage/applications/{apps['外'].id}").status_code == 404
    assert client.post(f"/manage/applications/{apps['外'].id}/decision",
                       data={"decision": "admitted"}).status_code == 404
    assert client.get("/manage/applications/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.applicant, Role.finance, Role.admin])
def test_the_queue_is_for_staff(client, login, make_user, school, role):
    _, _, _, apps = school
    login(make_user(role))
    assert client.get("/manage/applications").status_code == 403
    assert client.get(f"/manage/applications/{apps['甲'].id}").status_code == 403
    assert client.post("/manage/applications/bulk", data={"application_ids": str(apps["甲"].id),
                                                          "decision": "admitted"}).status_code == 403


# --- decisions -----------------------------------------------------------------------------------

def test_admitting_one(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    response = client.post(f"/manage/applications/{apps['甲'].id}/decision", data={"decision": "admitted"})
    assert response.status_code == 302 and response.location.endswith("/manage/applications")
    assert "已处理甲的报名：已录取。" in client.get("/manage/applications").text
    assert status_of(db, apps["甲"]) == S.admitted


def test_rejecting_needs_a_reason_which_the_family_is_told(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    url = f"/manage/applications/{apps['甲'].id}/decision"
    response = client.post(url, data={"decision": "rejected", "reason": " "})
    # back to the review page, scrolled to the form's message at the foot of a page several phone screens long
    assert response.status_code == 302
    assert response.location == f"/manage/applications/{apps['甲'].id}#decision-title"
    page = client.get(response.location).text
    assert "不录取时请写明理由。" in page and 'id="decision-title"' in page
    assert "不录取时请写明理由。" not in client.get(response.location).text  # shown once
    assert status_of(db, apps["甲"]) == S.submitted
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    client.post(url, data={"decision": "rejected", "reason": "年龄不符合要求"})
    assert status_of(db, apps["甲"]) == S.rejected
    notification = db.session.scalars(select(Notification).order_by(Notification.id.desc()).limit(1)).one()
    assert notification.params["reason"] == "年龄不符合要求"


def test_a_reason_typed_up_to_the_limit_over_several_lines_is_taken(db, client, login, school):
    """The box stops typing at 500 characters, counting a line break as one; browsers send it as two."""
    staff, _, _, apps = school
    login(staff)
    reason = "\r\n".join(["年龄不符合要求，" + "请" * 41] * 10) + "。"
    assert len(reason.replace("\r\n", "\n")) == 500
    client.post(f"/manage/applications/{apps['甲'].id}/decision", data={"decision": "rejected", "reason": reason})
    assert status_of(db, apps["甲"]) == S.rejected


def test_admitting_when_full_says_so_and_changes_nothing(db, client, login, make_course, plain_student, apply,
                                                         staff_of):
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    transition(staff, apply(plain_student(), course), S.admitted)
    waiting = apply(plain_student(), course)
    login(staff)
    response = client.post(f"/manage/applications/{waiting.id}/decision", data={"decision": "admitted"})
    assert response.location.endswith(f"/manage/applications/{waiting.id}")
    assert "名额已满，可以列入候补。" in client.get(f"/manage/applications/{waiting.id}").text
    assert status_of(db, waiting) == S.submitted


def test_admitting_outside_the_green_channel_to_reserved_places_only_says_they_are_reserved(
        db, client, login, make_course, plain_student, apply, staff_of):
    """The course page shows places left; a student outside the green channel may not take them, and the
    refusal says why rather than that the course is full."""
    course = make_course(capacity=3, reserved_places=2)
    staff = staff_of(course)
    transition(staff, apply(plain_student(), course), S.admitted)
    waiting = apply(plain_student(), course)
    login(staff)
    client.post(f"/manage/applications/{waiting.id}/decision", data={"decision": "admitted"})
    page = client.get(f"/manage/applications/{waiting.id}").text
    assert "剩下的2个名额是绿色通道预留名额，只能录取建档立卡家庭的学生。" in page
    assert "名额已满" not in page
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page))
    assert (facts["剩余名额"], facts["普通名额"]) == ("2 / 3", "剩余 0 / 1")  # the page shows why beforehand
    assert status_of(db, waiting) == S.submitted


def test_an_unknown_decision_is_refused(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    for decision in ("accepted", "lapsed", ""):
        response = client.post(f"/manage/applications/{apps['甲'].id}/decision", data={"decision": decision},
                               follow_redirects=True)
        assert response.status_code == 200 and "请按提示修改标出的内容后再提交。" in response.text
    assert status_of(db, apps["甲"]) == S.submitted


def test_staff_see_the_proof_of_a_student_outside_the_registry(db, client, login, make_course, make_student, apply,
                                                              staff_of):
    course = make_course()
    student = make_student(name="符小梅", verification=Verification.not_found)
    db.session.add(ProofDocument(student_id=student.id, kind=DocumentKind.poverty_certificate, filename="证明.pdf",
                                 content_type="application/pdf", size=10, sha256="0" * 64, data=b"%PDF-1.4 %%EOF",
                                 uploaded_by_id=student.account_id))
    application = apply(student, course)
    login(staff_of(course))
    page = client.get(f"/manage/applications/{application.id}").text
    assert "贫困证明：证明.pdf" in page and "未在建档立卡名单中" in page


# --- bulk ----------------------------------------------------------------------------------------

def test_bulk_admitting_reports_what_succeeded_and_what_did_not(db, client, login, make_course, plain_student,
                                                                apply, staff_of, school):
    course = make_course(title="小班", capacity=2, reserved_places=0)
    staff = staff_of(course)
    applications = [apply(plain_student(name=name), course) for name in ("一", "二", "三")]
    _, _, _, other_school = school
    login(staff)
    ids = [a.id for a in applications] + [other_school["甲"].id]
    response = client.post("/manage/applications/bulk", data={
        "application_ids": [str(i) for i in ids], "decision": "admitted",
        "next": f"/manage/applications?course={course.id}"})
    assert response.location.endswith(f"/manage/applications?course={course.id}")
    page = client.get("/manage/applications?status=all").text
    assert "已处理2份报名：已录取。" in page
    assert "2份没有处理：三（小班）：名额已满，可以列入候补。；报名" in page
    assert f"报名{other_school['甲'].id}：找不到这份报名。" in page
    assert [status_of(db, a) for a in applications] == [S.admitted, S.admitted, S.submitted]
    assert status_of(db, other_school["甲"]) == S.submitted  # another institution's: untouched


def test_bulk_waitlisting_and_rejecting(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    client.post("/manage/applications/bulk", data={"application_ids": [str(apps["甲"].id), str(apps["丙"].id)],
                                                   "decision": "waitlisted"})
    assert (status_of(db, apps["甲"]), status_of(db, apps["丙"])) == (S.waitlisted, S.waitlisted)
    response = client.post("/manage/applications/bulk", data={"application_ids": [str(apps["甲"].id)],
                                                              "decision": "rejected"}, follow_redirects=True)
    assert "不录取时请写明理由。" in response.text
    assert status_of(db, apps["甲"]) == S.waitlisted
    client.post("/manage/applications/bulk", data={"application_ids": [str(apps["甲"].id)], "decision": "rejected",
                                                   "reason": "名额已满"})
    assert status_of(db, apps["甲"]) == S.rejected


def test_a_bulk_decision_that_moves_none_does_not_claim_to_have_handled_any(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    page = client.post("/manage/applications/bulk", data={"application_ids": [str(apps["丁"].id)],
                                                          "decision": "admitted"}, follow_redirects=True).text
    assert "已处理0份" not in page and "已处理" not in page
    assert "1份没有处理：丁（电工扶贫班）：这份报名现在是“已录取”，不能这样处理。" in page


@pytest.mark.parametrize("bulk", [False, True], ids=["one", "bulk"])
def test_a_reason_too_long_is_refused_in_plain_words(db, client, login, school, bulk):
    staff, _, _, apps = school
    login(staff)
    data = {"decision": "rejected", "reason": "不符合" * 167}
    if bulk:
        page = client.post("/manage/applications/bulk", data={**data, "application_ids": [str(apps["甲"].id)]},
                           follow_redirects=True).text
    else:
        page = client.post(f"/manage/applications/{apps['甲'].id}/decision", data=data, follow_redirects=True).text
    assert "理由最多写500个字。" in page
    assert status_of(db, apps["甲"]) == S.submitted


def test_a_page_past_the_last_goes_to_the_last_with_its_filters(db, client, login, school, monkeypatch):
    """Deciding every application on the last page moves them out of the pending queue: coming back to that
    page shows the last one there is, not an empty page under a count of applications."""
    staff, _, welding, apps = school
    monkeypatch.setattr("portal.enrollment.views.QUEUE_PAGE_SIZE", 1)
    login(staff)
    response = client.get(f"/manage/applications?course={welding.id}&page=2")
    assert response.status_code == 200 and names_in_queue(response.text) == ["丙"]
    transition(staff, apps["丙"], S.waitlisted)
    response = client.get(f"/manage/applications?course={welding.id}&page=2")
    assert response.status_code == 302
    assert response.location == f"/manage/applications?page=1&course={welding.id}"
    assert names_in_queue(client.get(response.location).text) == ["乙"]


def test_bulk_with_nothing_ticked_says_so(client, login, school):
    staff, _, _, _ = school
    login(staff)
    response = client.post("/manage/applications/bulk", data={"decision": "admitted", "next": "https://evil.test/"})
    # never elsewhere; straight to the form and its message, below the page's rows
    assert response.status_code == 302 and response.location == "/manage/applications#bulk"
    page = client.get(response.location).text
    assert "请先勾选要处理的报名。" in page and '<fieldset class="bulk" id="bulk">' in page
    assert names_in_queue(page) == ["乙", "戊", "甲", "丙"]


def ticked(page: str) -> list[str]:
    return re.findall(r'<input type="checkbox" name="application_ids" value="(\d+)"[^>]* checked>', page)


def test_a_refused_bulk_decision_keeps_the_ticks_the_reason_and_the_filters(db, client, login, school):
    staff, _, welding, apps = school
    login(staff)
    back = f"/manage/applications?course={welding.id}&status=all"
    response = client.post("/manage/applications/bulk", data={
        "application_ids": [str(apps["乙"].id), str(apps["丙"].id)], "decision": "admitted", "reason": "a" * 501,
        "next": back})
    assert response.status_code == 302 and response.location == back + "#bulk"  # a reload sends nothing again
    page = client.get(back).text
    assert "请按提示修改标出的内容后再提交。" in page
    assert names_in_queue(page) == ["乙", "丙"]  # still the course asked for
    assert sorted(ticked(page)) == sorted([str(apps["乙"].id), str(apps["丙"].id)])
    assert "a" * 501 + "</textarea>" in page
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in page
    assert (status_of(db, apps["乙"]), status_of(db, apps["丙"])) == (S.submitted, S.under_review)
    again = client.get(back).text  # shown once: a reload is a fresh queue
    assert "请按提示修改标出的内容后再提交。" not in again and ticked(again) == [] and "a" * 501 not in again
    assert names_in_queue(again) == ["乙", "丙"]


def test_a_reason_far_too_long_still_comes_back_with_its_error(db, client, login, school):
    """What is kept waits in the session cookie, which a browser drops past about 4 KB."""
    staff, _, _, apps = school
    login(staff)
    reason = "".join(chr(0x4E00 + i * 7919 % 20000) for i in range(3000))  # varied: it would not compress
    response = client.post("/manage/applications/bulk", data={
        "application_ids": [str(apps["甲"].id)], "decision": "rejected", "reason": reason}, follow_redirects=True)
    assert "请按提示修改标出的内容后再提交。" in response.text and ticked(response.text) == [str(apps["甲"].id)]
    assert status_of(db, apps["甲"]) == S.submitted


def test_rejecting_ticked_ones_without_a_reason_keeps_them_ticked(db, client, login, school):
    staff, _, _, apps = school
    login(staff)
    response = client.post("/manage/applications/bulk", data={
        "application_ids": [str(apps["甲"].id), str(apps["丙"].id)], "decision": "rejected", "reason": "  "},
        follow_redirects=True)
    assert "不录取时请写明理由。" in response.text
    assert sorted(ticked(response.text)) == sorted([str(apps["甲"].id), str(apps["丙"].id)])
    assert status_of(db, apps["甲"]) == S.submitted


def test_the_queue_lapses_overdue_offers_of_the_institution(db, client, login, school):
    staff, _, _, apps = school
    apps["丁"].offer_expires_on = today() - timedelta(days=1)
    db.session.flush()
    login(staff)
    assert names_in_queue(client.get("/manage/applications?status=lapsed").text) == ["丁"]
    assert status_of(db, apps["戊"]) == S.submitted  # a freed place goes only to the waiting list


def add_proof(db, student):
    db.session.add(ProofDocument(student_id=student.id, kind=DocumentKind.poverty_certificate, filename="证明.pdf",
                                 content_type="application/pdf", size=10, sha256=f"{student.id:064d}",
                                 data=b"%PDF-1.4 %%EOF", uploaded_by_id=student.account_id))
    db.session.flush()


def test_the_queue_marks_and_filters_the_proof_waiting_to_be_checked(db, client, login, make_course, make_student,
                                                                      apply, staff_of):
    course = make_course()
    waiting = make_student(name="符小梅", verification=Verification.not_found)
    mismatch = make_student(name="陈小兰", verification=Verification.name_mismatch)
    checked = make_student(name="吴小军", verification=Verification.proof_verified)
    no_proof = make_student(name="林小东", verification=Verification.not_found)
    for student in (waiting, mismatch, checked):
        add_proof(db, student)
    for student in (waiting, mismatch, checked, no_proof):
        apply(student, course)
    login(staff_of(course))
    page = client.get("/manage/applications").text
    marked = re.findall(ROW + r'(?:(?!</tr>).)*'
                        r'<span class="tag warn">证明材料待审核</span>', page, re.S)
    assert sorted(marked) == ["符小梅", "陈小兰"]
    filtered = client.get("/manage/applications", query_string={"verification": "proof_waiting"}).text
    assert sorted(names_in_queue(filtered)) == ["符小梅", "陈小兰"]
    assert '<option value="proof_waiting" selected>证明材料待审核</option>' in filtered


def test_the_detail_page_gives_the_account_holders_phone(db, client, login, make_course, make_user, make_student,
                                                         apply, staff_of):
    course = make_course()
    grandmother = make_user(Role.applicant, name="黎阿婆", mobile="13907550123")
    application = apply(make_student(account=grandmother, name="黎小海", phone=""), course)
    login(staff_of(course))
    page = client.get(f"/manage/applications/{application.id}").text
    assert "<dt>申请人（账号持有人）</dt><dd>黎阿婆</dd>" in page
    assert '<dt>申请人电话</dt><dd><a href="tel:13907550123">13907550123</a></dd>' in page


# --- the waiting list ----------------------------------------------------------------------------

def test_the_waiting_list_shows_each_ones_place_green_channel_first(db, client, login, make_institution,
                                                                    make_course, green_student, plain_student,
                                                                    apply, staff_of):
    institution = make_institution()
    course = make_course(institution=institution, title="满员班", capacity=1, reserved_places=0)
    other = make_course(institution=institution, title="另一班", capacity=1, reserved_places=0)
    staff = staff_of(course)
    transition(staff, apply(plain_student(name="已录"), course), S.admitted)
    start = datetime.now(UTC) - timedelta(hours=5)
    for i, (name, make, to) in enumerate([("早", plain_student, course), ("绿", green_student, course),
                                          ("晚", plain_student, course), ("别", plain_student, other)]):
        application = apply(make(name=name), to)
        application.submitted_at = start + timedelta(hours=i)
        transition(staff, application, S.waitlisted)
    login(staff)
    page = client.get("/manage/applications?status=waitlisted").text
    rows = re.findall(ROW + r'.*?候补第(\d+)位', page, re.S)
    assert rows == [("绿", "1"), ("早", "2"), ("晚", "3"), ("别", "1")]


def test_waitlisting_while_places_are_free_says_so(db, client, login, make_course, plain_student, green_student,
                                                   apply, staff_of):
    course = make_course(title="电工班", capacity=5, reserved_places=2)
    plain, taken = apply(plain_student(name="甲"), course), apply(green_student(name="丙"), course)
    assert taken.status == S.admitted  # took a reserved place: 4 left, 1 of them reserved
    green = Application(student_id=green_student(name="乙").id, course_id=course.id, status=S.submitted,
                        green_channel=True, submitted_at=datetime.now(UTC))
    db.session.add(green)
    db.session.flush()
    staff = staff_of(course)
    login(staff)
    client.post(f"/manage/applications/{plain.id}/decision", data={"decision": "waitlisted"})
    page = client.get("/manage/applications").text
    assert "已处理甲的报名：候补中。" in page
    assert "“电工班”还有3个名额空着，候补的报名可以直接录取。" in page  # the places not reserved
    assert status_of(db, plain) == S.waitlisted
    client.post("/manage/applications/bulk", data={"application_ids": [str(green.id)], "decision": "waitlisted"})
    page = client.get("/manage/applications").text
    assert "已处理1份报名：候补中。" in page
    assert "“电工班”还有4个名额空着，候补的报名可以直接录取。" in page  # a green-channel one may take any of the 4


def test_waitlisting_when_full_says_nothing_more(db, client, login, make_course, plain_student, apply, staff_of):
    course = make_course(title="电工班", capacity=1, reserved_places=0)
    staff = staff_of(course)
    transition(staff, apply(plain_student(name="已录"), course), S.admitted)
    waiting = apply(plain_student(name="甲"), course)
    login(staff)
    client.post("/manage/applications/bulk", data={"application_ids": [str(waiting.id)], "decision": "waitlisted"})
    page = client.get("/manage/applications").text
    assert "已处理1份报名：候补中。" in page and "名额空着" not in page


def test_the_waiting_list_runs_a_fixed_number_of_queries(count_queries, db, client, login, make_course,
                                                        plain_student, apply, staff_of):
    course = make_course(capacity=1, reserved_places=0)
    staff = staff_of(course)
    login(staff)

    def queries(n: int) -> int:
        for _ in range(n):
            transition(staff, apply(plain_student(), course), S.waitlisted)
        db.session.expire_all()
        with count_queries() as statements:
            page = client.get("/manage/applications?status=waitlisted").text
        assert "候补第" in page
        return len(statements)

    assert queries(2) == queries(10)


def test_staff_download_an_enrolled_students_admission_notice_from_the_review_page(db, client, login, school):
    staff, _, _, apps = school
    transition(None, apps["丁"], S.accepted)
    login(staff)
    page = client.get(f"/manage/applications/{apps['丁'].id}").text
    [link] = re.findall(r'<a class="button secondary" href="(/enrollments/\d+/notice.pdf)">下载录取通知书</a>', page)
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "下载录取通知书" not in client.get(f"/manage/applications/{apps['甲'].id}").text  # not enrolled


def test_a_decision_returns_to_the_queue_as_staff_had_filtered_it(db, client, login, school):
    staff, _, welding, apps = school
    login(staff)
    queue = f"/manage/applications?course={welding.id}&status=all"
    page = client.get(queue).text
    [link] = re.findall(rf'<a href="(/manage/applications/{apps["丙"].id}\?back=[^"]+)">', page)
    review = client.get(html.unescape(link)).text
    assert f'<a href="{queue.replace("&", "&amp;")}">报名审核</a>' in review
    assert f'name="next" type="hidden" value="{queue.replace("&", "&amp;")}"' in review

    response = client.post(f"/manage/applications/{apps['丙'].id}/decision",
                           data={"decision": "waitlisted", "next": queue})
    assert response.location == queue
    assert status_of(db, apps["丙"]) == S.waitlisted
    # an address elsewhere, even on this site, is not followed
    response = client.post(f"/manage/applications/{apps['甲'].id}/decision",
                           data={"decision": "waitlisted", "next": "/admin/accounts"})
    assert response.location == "/manage/applications"
    response = client.get(f"/manage/applications/{apps['乙'].id}?back=https://evil.test/manage/applications")
    assert '<a href="/manage/applications">报名审核</a>' in response.text


def test_the_masked_id_number_is_not_broken_across_lines(client, login, school):
    """On a phone's narrow column the number would wrap mid-digits, to be misread as two."""
    staff, _, _, apps = school
    login(staff)
    page = client.get(f"/manage/applications/{apps['甲'].id}").text
    assert re.search(r'<dt>身份证号</dt><dd><span class="nowrap">\d{4}\*{10}[\dX]{4}</span></dd>', page)


def test_a_refused_decision_keeps_its_reason_and_leaves_the_page_at_an_address_that_opens(db, client, login,
                                                                                        school):
    """The review page after a refused decision is a page of its own: its language links, and checking the proof
    from it, come back to it rather than to the decision's POST address."""
    staff, _, welding, apps = school
    login(staff)
    queue = f"/manage/applications?course={welding.id}&status=all"
    response = client.post(f"/manage/applications/{apps['丙'].id}/decision",
                           data={"decision": "rejected", "reason": "短" * 501, "next": queue})
    assert response.location.startswith(f"/manage/applications/{apps['丙'].id}?back=")
    page = client.get(response.location).text
    assert "理由最多写500个字。" in page and "短" * 501 + "</textarea>" in page
    assert f'<a href="{queue.replace("&", "&amp;")}">报名审核</a>' in page  # still returns to the queue as filtered
    assert page.count("/decision") == 1  # the form's action; no link leads to the POST-only address

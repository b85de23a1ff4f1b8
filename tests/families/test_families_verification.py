"""Staff's manual check of uploaded proof: accept or reject with a reason, audited, only for students who
applied to their institution; and the evidence block the review pages show (registry listing, documents,
the decision form), read for many students in a fixed number of queries."""
import hashlib
import re
from datetime import date
from io import BytesIO

import pytest
from flask import render_template_string
from flask_login import login_user

from portal.auth.models import Role
from portal.enrollment.models import Application
from portal.families.models import ProofDocument, Student, Verification
from portal.families.services import evidence_for, masked_id, verification_label

NEXT = "/manage/applications/7"


@pytest.fixture
def student(applicant, make_student, id_number):
    return make_student(account=applicant, name="黎小梅", number=id_number())


def add_proof(db, student, data: bytes = b"%PDF-1.4\n%%EOF\n") -> ProofDocument:
    document = ProofDocument(student_id=student.id, kind="poverty_certificate", filename="贫困证明.pdf",
                             content_type="application/pdf", size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by_id=student.account_id)
    db.session.add(document)
    db.session.flush()
    return document


@pytest.fixture
def proof(db, student):
    return add_proof(db, student)


def apply(db, student, course) -> Application:
    application = Application(student_id=student.id, course_id=course.id)
    db.session.add(application)
    db.session.flush()
    return application


@pytest.fixture
def staff(db, make_user, make_course, student):
    course = make_course()
    apply(db, student, course)
    return make_user(Role.staff, institution_id=course.institution_id)


def verify(client, student, **data):
    return client.post(f"/manage/students/{student.id}/verification", data={"next": NEXT, **data})


def row(db, student) -> Student:
    db.session.expire_all()
    return db.session.get(Student, student.id)


def test_staff_accept_proof_with_a_reason(db, login, staff, student, proof, audit):
    response = verify(login(staff), student, decision="accept", reason="村委会证明和户口簿一致")
    assert response.status_code == 302 and response.location == NEXT

    saved = row(db, student)
    assert saved.verification == Verification.proof_verified and saved.verified
    assert (saved.verified_by_id, saved.verification_note) == (staff.id, "村委会证明和户口簿一致")
    assert saved.verified_at is not None
    (entry,) = audit("student.verification")
    assert (entry.actor_id, entry.object_id, entry.before, entry.after) == (
        staff.id, student.id, {"verification": "not_found"},
        {"verification": "proof_verified", "reason": "村委会证明和户口簿一致"})


def test_accepted_proof_puts_waiting_applications_in_the_green_channel(db, login, staff, student, proof, audit):
    """Staff see proof only after the student applied, so the applications made must gain the priority."""
    (application,) = db.session.query(Application).filter_by(student_id=student.id).all()
    assert not application.green_channel

    verify(login(staff), student, decision="accept", reason="乡镇出具的贫困证明")

    db.session.expire_all()
    assert db.session.get(Application, application.id).green_channel
    (entry,) = audit("application.green_channel")
    assert (entry.actor_id, entry.after) == (staff.id, {"green_channel": True})


def test_accepted_proof_gives_a_waiting_student_a_free_reserved_place(db, login, make_course, make_user, student,
                                                                     proof, audit):
    """On the waiting list because the places left were reserved for the green channel: once the proof
    is accepted, the student is in the green channel and takes one of them at once."""
    course = make_course(capacity=2, reserved_places=1, seats_filled=1)  # the one general place is taken
    application = apply(db, student, course)
    application.status = "waitlisted"
    db.session.flush()
    staff = make_user(Role.staff, institution_id=course.institution_id)

    verify(login(staff), student, decision="accept", reason="乡镇出具的贫困证明")

    db.session.expire_all()
    admitted = db.session.get(Application, application.id)
    assert (admitted.status, admitted.holds_reserved_place) == ("admitted", True)
    assert db.session.get(type(course), course.id).seats_left == 0
    (entry,) = audit("application.transition")
    assert (entry.actor_id, entry.after["status"]) == (None, "admitted")


def test_a_rejection_is_shown_to_the_family_until_new_proof_reopens_it(db, login, staff, applicant, student, proof,
                                                                       png, audit, page):
    verify(login(staff), student, decision="reject", reason="证明没有盖章")
    assert row(db, student).verification == Verification.proof_rejected

    family = login(applicant)
    shown = page(family.get("/family"))
    assert "证明材料未通过" in shown and "理由：证明没有盖章" in shown and "上传新的证明材料" in shown
    assert family.post(f"/family/students/{student.id}/edit", data=dict(
        name="黎小梅", relation="grandchild", region_code="460107")).status_code == 302
    assert row(db, student).verification == Verification.proof_rejected  # re-saving does not clear it

    family.post(f"/family/students/{student.id}/documents", content_type="multipart/form-data",
                data={"kind": "household_register", "file": (BytesIO(png), "户口簿.png")})
    assert row(db, student).verification == Verification.not_found
    assert audit("student.verification")[-1].after == {"verification": "not_found", "reason": "new proof uploaded"}
    assert "已上传2份证明材料，等待学校审核。" in page(family.get("/family"))  # with the application made


@pytest.mark.parametrize("decision, reason, told", [
    ("accept", "乡镇出具的贫困证明",
     "学校已审核通过黎小梅的证明材料：报名扶贫班走绿色通道，学费减免和助学金按政策享受。"),
    ("reject", "证明没有盖章。",
     "黎小梅的证明材料没有通过学校审核，可以上传新的材料，学校会重新审核。理由：证明没有盖章。"),
])
def test_the_family_is_told_the_decision_on_their_proof(db, login, staff, applicant, student, proof, decision, reason,
                                                       told):
    verify(login(staff), student, decision=decision, reason=reason)
    family = login(applicant)
    inbox = family.get("/notifications").text
    assert told in inbox
    opened = family.get(re.search(r'href="(/notifications/\d+)"', inbox).group(1))  # to the student's page
    assert opened.status_code == 302 and opened.location == f"/family/students/{student.id}"


def flashed(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


@pytest.mark.parametrize("data, messages", [
    (dict(decision="accept", reason="  "), ["请填写审核理由。"]),
    (dict(reason="看过了"), ["请选择通过或不通过。"]),
    (dict(decision="maybe", reason="看过了"), ["请选择通过或不通过。"]),
    (dict(), ["请选择通过或不通过。", "请填写审核理由。"]),
    (dict(decision="accept", reason="证" * 1001), ["审核理由最多写1000个字。"]),
])
def test_a_decision_needs_a_choice_and_a_reason(db, login, staff, student, proof, counts, data, messages):
    client = login(staff)
    before = counts()
    response = verify(client, student, **data)
    assert response.status_code == 302 and response.location == NEXT
    assert flashed(client) == messages
    assert counts() == before and row(db, student).verification == Verification.not_found


def test_staff_cannot_verify_a_registry_verified_student(db, login, staff, student, proof, counts):
    student.verification = Verification.registry_verified
    db.session.flush()
    before = counts()
    client = login(staff)
    verify(client, student, decision="reject", reason="不像")
    assert counts() == before and row(db, student).verification == Verification.registry_verified
    assert flashed(client) == ["这个学生已通过建档立卡名单核验，不需要审核证明材料。"]


def test_nothing_to_verify_without_proof(db, login, staff, student, counts):
    before = counts()
    client = login(staff)
    verify(client, student, decision="accept", reason="看过了")
    assert counts() == before
    assert flashed(client) == ["这个学生还没有上传证明材料，无法审核。"]


def test_an_unsafe_next_falls_back_to_the_review_queue(login, staff, student, proof):
    response = login(staff).post(f"/manage/students/{student.id}/verification",
                                 data={"decision": "accept", "reason": "属实", "next": "https://evil.example/"})
    assert response.location == "/manage/applications"


@pytest.mark.parametrize("who, expected", [
    ("other_staff", 404), ("applicant", 403), ("finance", 403), ("admin", 403), ("anonymous", 302)])
def test_only_staff_the_student_applied_to_may_decide(db, client, login, make_user, applicant, student, proof,
                                                      staff, counts, who, expected):
    users = {"other_staff": lambda: make_user(Role.staff), "applicant": lambda: applicant,
             "finance": lambda: make_user(Role.finance), "admin": lambda: make_user(Role.admin)}
    if who != "anonymous":
        login(users[who]())
    before = counts()
    response = verify(client, student, decision="accept", reason="属实")
    assert response.status_code == expected
    if who == "anonymous":
        assert response.location.startswith("/login")
    assert counts() == before and row(db, student).verification == Verification.not_found


def test_staff_of_a_student_who_never_applied_get_not_found(db, login, make_user, make_student, counts):
    stranger = make_student()
    add_proof(db, stranger)
    before = counts()
    assert verify(login(make_user(Role.staff)), stranger, decision="accept", reason="属实").status_code == 404
    assert counts() == before


# --- the evidence block --------------------------------------------------------------------------

EVIDENCE = ('{% from "families/_evidence.html" import evidence with context %}'
            '{{ evidence(student, ev.documents, ev.person, verify_next="/back") }}')


def render_evidence(app, user, student) -> str:
    with app.test_request_context("/manage/applications/1"):
        login_user(user)
        return render_template_string(EVIDENCE, student=student, ev=evidence_for([student.id])[student.id])


def test_evidence_shows_the_registry_listing_of_a_verified_student(app, db, make_user, make_student,
                                                                   make_registry_person, id_number):
    number = id_number()
    person = make_registry_person("黎小海", number, household_no="4601070010042", dibao=True,
                                  poverty_status="monitored", year_identified=2015)
    student = make_student(number=number, name="黎小海", verification=Verification.registry_verified,
                           registry_person_id=person.id)
    html = render_evidence(app, make_user(Role.staff), student)
    for shown in ("建档立卡已核验", "4601070010042", "琼山区 云龙镇 云蛟村", "监测对象", "是", "2015"):
        assert shown in html
    assert "<form" not in html and "没有上传证明材料" not in html


def test_evidence_of_a_name_mismatch_shows_the_registry_name_and_the_decision_form_to_staff(
        app, db, make_user, make_student, make_registry_person, id_number):
    number = id_number()
    make_registry_person("黎晓海", number, in_registry=False, left_on=date(2024, 6, 30))
    student = make_student(number=number, name="黎小海", verification=Verification.name_mismatch)
    add_proof(db, student)
    html = render_evidence(app, make_user(Role.staff), student)
    assert "名单上的姓名是“黎晓海”" in html and "退出建档立卡名单" in html
    assert f'action="/manage/students/{student.id}/verification"' in html
    assert 'name="reason"' in html and '<input type="hidden" name="next" value="/back">' in html
    assert "贫困证明：贫困证明.pdf" in html
    assert "<form" not in render_evidence(app, make_user(Role.admin), student)


def test_evidence_of_a_student_not_in_the_registry(app, make_user, make_student):
    html = render_evidence(app, make_user(Role.staff), make_student())
    assert "建档立卡名单中没有这个身份证号" in html and "没有上传证明材料" in html and "<form" not in html


def test_evidence_for_many_students_takes_two_queries(app, db, make_student, make_registry_person, id_number,
                                                      queries):
    number = id_number()
    make_registry_person("黎小海", number)
    listed, plain = make_student(number=number, name="黎小海"), make_student()
    for s in (listed, plain, listed):
        add_proof(db, s, data=f"%PDF-1.4 {s.id} {id(s)}\n%%EOF".encode())
    with queries() as n:
        evidence = evidence_for([listed.id, plain.id, 999_999])
    assert n[0] == 2
    assert evidence[listed.id].person.name == "黎小海" and len(evidence[listed.id].documents) == 2
    assert evidence[plain.id].person is None and len(evidence[plain.id].documents) == 1
    assert evidence[999_999].person is None and evidence[999_999].documents == []
    assert evidence_for([]) == {}


def test_helpers_for_other_pages(app, make_student, id_number):
    number = id_number()
    student = make_student(number=number)
    assert masked_id(student) == f"{number[:4]}**********{number[-4:]}"
    with app.test_request_context():
        assert verification_label(Verification.not_found) == "未在建档立卡名单中"

"""Proof uploads: JPEG, PNG and PDF kept in the database with their digest, the type read from the content;
anything else, an empty file or one over 5 MB refused with a clear message and nothing stored; and the
proof served only to the family, staff of an institution the student applied to, and admins."""
import hashlib
from io import BytesIO

import pytest
from sqlalchemy import select

from portal.auth.models import Role
from portal.enrollment.models import Application
from portal.families.models import ProofDocument, Student, Verification

MB = 1024 * 1024


@pytest.fixture
def student(applicant, make_student):
    return make_student(account=applicant, name="黎小梅")


def upload(client, student, data: bytes, filename: str, kind: str = "poverty_certificate",
           content_type: str = "application/octet-stream"):
    response = client.post(f"/family/students/{student.id}/documents",
                           data={"kind": kind, "file": (BytesIO(data), filename, content_type)},
                           content_type="multipart/form-data")
    response.request.input_stream.close()  # the test client spools a large body to a temporary file
    return response


def documents(db) -> list[ProofDocument]:
    db.session.expire_all()
    return list(db.session.scalars(select(ProofDocument).order_by(ProofDocument.id)))


@pytest.mark.parametrize("kind, name, stored, content_type", [
    ("jpeg", "贫困证明.jpg", "贫困证明.jpg", "image/jpeg"),
    ("png", "户口簿第2页.PNG", "户口簿第2页.png", "image/png"),
    ("pdf", "scan.pdf", "scan.pdf", "application/pdf"),
    ("png", "photo.jpeg", "photo.png", "image/png"),  # named as a JPEG, stored as what it is
])
def test_real_images_and_pdfs_are_stored_with_their_digest(db, request, as_applicant, applicant, student, audit,
                                                           page, kind, name, stored, content_type):
    data = request.getfixturevalue(kind)
    response = upload(as_applicant, student, data, name, kind="household_register")
    assert response.status_code == 302 and response.location.endswith(f"/family/students/{student.id}")

    (document,) = documents(db)
    assert (document.student_id, document.kind, document.filename, document.content_type) == (
        student.id, "household_register", stored, content_type)
    assert (document.size, document.sha256, document.data) == (len(data), hashlib.sha256(data).hexdigest(), data)
    assert document.uploaded_by_id == applicant.id
    (entry,) = audit("proof_document.upload")
    assert entry.object_id == document.id and entry.after["sha256"] == document.sha256

    shown = page(as_applicant.get(response.location))
    assert "材料已上传。" in shown and f"户口簿：{stored}" in shown
    assert "已上传1份证明材料，报名后学校会审核。" in shown


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF is what this says, but it is a letter.\n", "证明.pdf", "只能上传JPG、PNG图片或PDF文件"),
    ("村委会证明：黎小梅家是贫困户。".encode(), "证明.pdf", "只能上传JPG、PNG图片或PDF文件"),
    (b"\xff\xd8\xff\xe0" + b"not really a photo" * 20, "photo.jpg", "只能上传JPG、PNG图片或PDF文件"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.png", "只能上传JPG、PNG图片或PDF文件"),
    (b"GIF89a" + b"\0" * 64, "photo.gif", "只能上传JPG、PNG图片或PDF文件"),
    (b"", "空.jpg", "文件是空的，请重新选择要上传的文件。"),
], ids=["text claiming pdf", "chinese text as pdf", "fake jpeg", "fake png", "gif", "empty"])
def test_files_that_are_not_proof_are_refused_and_nothing_is_stored(as_applicant, student, counts, field_error,
                                                                   data, name, message):
    before = counts()
    response = upload(as_applicant, student, data, name, content_type="application/pdf")
    assert response.status_code == 200
    assert field_error(response, "file").startswith(message)
    assert counts() == before


def test_no_file_chosen_is_explained(as_applicant, student, counts, field_error):
    before = counts()
    response = as_applicant.post(f"/family/students/{student.id}/documents", data={"kind": "other"})
    assert field_error(response, "file") == "请选择要上传的文件。" and counts() == before


def test_a_6_mb_photo_gets_the_message_not_a_bare_error(as_applicant, student, jpeg, counts, page):
    before = counts()
    response = upload(as_applicant, student, jpeg + b"\0" * (6 * MB), "大照片.jpg")
    assert response.status_code == 302 and response.location.endswith(f"/family/students/{student.id}")
    assert "文件超过5MB，请拍照时选择较小尺寸或分几次上传。" in page(as_applicant.get(response.location))
    assert counts() == before


def test_the_size_limit_holds_before_csrf_protection_reads_the_body(app, as_applicant, student, jpeg, counts, page,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = counts()
    response = upload(as_applicant, student, jpeg + b"\0" * (6 * MB), "大照片.jpg")
    assert response.status_code == 302
    assert "文件超过5MB" in page(as_applicant.get(response.location)) and counts() == before


def test_a_file_just_over_5_mb_gets_the_same_message(as_applicant, student, jpeg, counts, field_error):
    before = counts()
    response = upload(as_applicant, student, jpeg + b"\0" * (5 * MB + 1 - len(jpeg)), "照片.jpg")
    assert field_error(response, "file") == "文件超过5MB，请拍照时选择较小尺寸或分几次上传。"
    assert counts() == before


def test_exactly_5_mb_is_accepted(db, as_applicant, student, jpeg):
    assert upload(as_applicant, student, jpeg + b"\0" * (5 * MB - len(jpeg)), "照片.jpg").status_code == 302
    assert documents(db)[0].size == 5 * MB


def test_the_same_file_twice_is_refused(as_applicant, student, png, counts, field_error):
    upload(as_applicant, student, png, "a.png")
    before = counts()
    assert field_error(upload(as_applicant, student, png, "b.png"), "file") == "这个文件已经上传过了。"
    assert counts() == before


def test_opened_from_an_application_form_the_upload_goes_back_to_it(db, as_applicant, student, png):
    back = "/courses/7/apply"
    shown = as_applicant.get(f"/family/students/{student.id}?next={back}").text
    assert f'<a href="{back}">返回报名</a>' in shown and "返回我的家庭" not in shown
    assert f'action="/family/students/{student.id}/documents?next=/courses/7/apply"' in shown
    response = as_applicant.post(f"/family/students/{student.id}/documents?next={back}",
                                 data={"kind": "poverty_certificate", "file": (BytesIO(png), "证明.png")},
                                 content_type="multipart/form-data")
    # Back on the form with the student chosen: the family came to upload proof on the way to applying.
    assert response.status_code == 302 and response.location == f"{back}?student={student.id}"
    assert len(documents(db)) == 1


@pytest.mark.parametrize("target", ["https://example.com/apply", "//example.com/apply", "courses/7/apply"])
def test_only_pages_of_the_portal_are_gone_back_to(as_applicant, student, png, target):
    shown = as_applicant.get(f"/family/students/{student.id}", query_string={"next": target}).text
    assert "返回报名" not in shown and f'href="{target}"' not in shown
    assert f'action="/family/students/{student.id}/documents"' in shown
    response = as_applicant.post(f"/family/students/{student.id}/documents", query_string={"next": target},
                                 data={"kind": "poverty_certificate", "file": (BytesIO(png), "证明.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith(f"/family/students/{student.id}")


def test_a_verified_student_is_not_asked_for_proof(as_applicant, applicant, make_student):
    student = make_student(account=applicant, verification=Verification.registry_verified)
    page = as_applicant.get(f"/family/students/{student.id}").text
    assert "可以直接报名扶贫班，免学费等待遇自动享受" in page and 'enctype="multipart/form-data"' not in page


@pytest.mark.parametrize("role", [Role.staff, Role.finance, Role.admin])
def test_only_applicants_upload(login, make_user, student, png, counts, role):
    before = counts()
    assert upload(login(make_user(role)), student, png, "a.png").status_code == 403
    assert counts() == before


# --- serving -------------------------------------------------------------------------------------

@pytest.fixture
def proof(db, student, pdf):
    document = ProofDocument(student_id=student.id, kind="poverty_certificate", filename="贫困证明.pdf",
                             content_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
                             data=pdf, uploaded_by_id=student.account_id)
    db.session.add(document)
    db.session.flush()
    return document


@pytest.fixture
def applied_to(db, student, make_course, make_institution):
    """The institution the student applied to (the application is withdrawn: any application counts)."""
    institution = make_institution()
    db.session.add(Application(student_id=student.id, course_id=make_course(institution=institution).id,
                               status="withdrawn"))
    db.session.flush()
    return institution


def test_the_family_sees_its_proof_inline_and_locked_down(as_applicant, proof, pdf):
    response = as_applicant.get(f"/documents/{proof.id}")
    assert response.status_code == 200 and response.data == pdf
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_an_image_is_served_sandboxed(db, as_applicant, student, png):
    upload(as_applicant, student, png, "户口簿.png")
    response = as_applicant.get(f"/documents/{documents(db)[0].id}")
    assert response.mimetype == "image/png" and response.data == png
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("who, expected", [
    ("other_applicant", 404), ("staff_applied_to", 200), ("other_staff", 404), ("finance", 404), ("admin", 200),
])
def test_who_else_may_see_a_proof(login, make_user, proof, applied_to, who, expected):
    user = {
        "other_applicant": lambda: make_user(Role.applicant),
        "staff_applied_to": lambda: make_user(Role.staff, institution_id=applied_to.id),
        "other_staff": lambda: make_user(Role.staff),
        "finance": lambda: make_user(Role.finance),
        "admin": lambda: make_user(Role.admin),
    }[who]()
    assert login(user).get(f"/documents/{proof.id}").status_code == expected


def test_visitors_are_sent_to_log_in_and_missing_proof_is_not_found(client, login, applicant, proof):
    response = client.get(f"/documents/{proof.id}")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert login(applicant).get(f"/documents/{proof.id + 1000}").status_code == 404


# --- deleting ------------------------------------------------------------------------------------

def delete(client, student, document):
    return client.post(f"/family/students/{student.id}/documents/{document.id}/delete")


def test_a_proof_uploaded_by_mistake_is_deleted_and_the_deletion_audited(db, as_applicant, applicant, student, png,
                                                                         audit, page):
    upload(as_applicant, student, png, "猫的照片.png", kind="other")
    (document,) = documents(db)
    student_page = as_applicant.get(f"/family/students/{student.id}").text
    assert "删除后不能恢复。" in page.of(student_page)
    assert f'action="/family/students/{student.id}/documents/{document.id}/delete"' in student_page

    response = delete(as_applicant, student, document)
    assert response.status_code == 302 and response.location.endswith(f"/family/students/{student.id}")
    assert documents(db) == []
    (entry,) = audit("proof_document.delete")
    assert (entry.actor_id, entry.object_id, entry.before["filename"], entry.before["sha256"]) == (
        applicant.id, document.id, "猫的照片.png", document.sha256)
    shown = page(as_applicant.get(response.location))
    assert "已删除材料：猫的照片.png。" in shown and "还没有上传证明材料。" in shown


def test_deleting_the_new_proof_that_reopened_a_rejection_lets_the_rejection_stand_again(
        db, as_applicant, student, proof, make_user, png, page):
    """Staff turned the proof down; the family uploads a new one by mistake and deletes it."""
    db.session.execute(Student.__table__.update().where(Student.id == student.id).values(
        verification=Verification.proof_rejected, verification_note="没有盖章", verified_at=proof.uploaded_at,
        verified_by_id=make_user(Role.staff).id))
    db.session.expire_all()
    upload(as_applicant, student, png, "猫的照片.png", kind="other")
    db.session.refresh(student)
    assert student.verification != Verification.proof_rejected  # back in staff's queue
    mistake = max(documents(db), key=lambda d: d.id)

    delete(as_applicant, student, mistake)

    db.session.refresh(student)
    assert (student.verification, student.verification_note) == (Verification.proof_rejected, "没有盖章")
    assert "学校审核后，证明材料没有通过。理由：没有盖章" in page(as_applicant.get(f"/family/students/{student.id}"))


def test_a_proof_staff_have_reviewed_stays(db, as_applicant, student, proof, make_user, counts, page):
    db.session.execute(Student.__table__.update().where(Student.id == student.id).values(
        verification=Verification.proof_rejected, verification_note="没有盖章", verified_at=proof.uploaded_at,
        verified_by_id=make_user(Role.staff).id))
    before = counts()
    shown = as_applicant.get(f"/family/students/{student.id}").text
    assert "学校已审核" in page.of(shown) and "/delete" not in shown

    response = delete(as_applicant, student, proof)
    assert response.status_code == 302
    assert "学校已经审核过这份材料，不能删除。" in page(as_applicant.get(response.location))
    assert counts() == before


def test_another_familys_proof_is_not_found_even_under_ones_own_student(db, as_applicant, applicant, student,
                                                                       make_student, png, counts):
    other = make_student(name="别人家的孩子")
    theirs = ProofDocument(student_id=other.id, kind="other", filename="别人的.png", content_type="image/png",
                           size=len(png), sha256=hashlib.sha256(png).hexdigest(), data=png,
                           uploaded_by_id=other.account_id)
    db.session.add(theirs)
    db.session.flush()
    upload(as_applicant, student, png, "我家的.png")
    before = counts()
    assert delete(as_applicant, student, theirs).status_code == 404
    assert delete(as_applicant, other, theirs).status_code == 404
    assert counts() == before
    (mine,) = [d for d in documents(db) if d.student_id == student.id]
    assert delete(as_applicant, student, mine).status_code == 302  # the same request for their own is done


def test_a_refused_uploads_language_links_come_back_to_the_students_page(as_applicant, student):
    """The refused upload is drawn at its post-only address: switching language or 大字模式 there comes
    back to the page the form was on (the student's), not to an address that cannot be opened."""
    page = f"http://portal.test/family/students/{student.id}"
    response = as_applicant.post(f"/family/students/{student.id}/documents", data={"kind": "other"},
                                 headers={"Referer": page})
    html = response.get_data(as_text=True)
    assert "请选择要上传的文件。" in html
    assert f"/lang/en?next=/family/students/{student.id}" in html
    assert f"/elder-mode/on?next=/family/students/{student.id}" in html
    assert f"next=/family/students/{student.id}/documents" not in html
    # Without a page to go back to (a browser that sends no Referer), to the home page.
    html = as_applicant.post(f"/family/students/{student.id}/documents", data={"kind": "other"}).get_data(as_text=True)
    assert '/lang/en?next=/"' in html

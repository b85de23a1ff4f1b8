"""Student profiles over HTTP: adding and editing them, ID numbers validated and kept encrypted, one ID per
account, the registry check (verified, name mismatch, not found) told plainly, and who may see what."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from portal.auth.models import Role
from portal.common.idnumbers import vault
from portal.enrollment.models import Application
from portal.families.models import Student, Verification
from portal.families.services import check_eligibility

NEW = "/family/students/new"
CLAIMED = "该身份证号已由其他账号登记。如果这是您家孩子，请联系报名学校确认。"


def students(db, account) -> list[Student]:
    db.session.expire_all()
    return list(db.session.scalars(select(Student).where(Student.account_id == account.id).order_by(Student.id)))


def full_width(number: str) -> str:
    return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


# --- adding students -----------------------------------------------------------------------------

def test_grandmother_adds_two_grandchildren_and_is_told_where_each_stands(
        db, as_applicant, applicant, student_form, make_registry_person, id_number, page):
    in_registry, not_listed = id_number(born=date(2009, 3, 1)), id_number(born=date(2011, 9, 9))
    person = make_registry_person("黎小海", in_registry)

    first = as_applicant.post(NEW, data=student_form(in_registry, name="黎小海"))
    second = as_applicant.post(NEW, data=student_form(not_listed, name="黎小梅", relation="grandchild", phone=""))
    assert first.status_code == second.status_code == 302 and first.location.endswith("/family")

    hai, mei = students(db, applicant)
    assert (hai.name, hai.verification, hai.registry_person_id) == ("黎小海", Verification.registry_verified, person.id)
    assert (mei.name, mei.verification, mei.registry_person_id) == ("黎小梅", Verification.not_found, None)
    assert (hai.birth_date, mei.birth_date) == (date(2009, 3, 1), date(2011, 9, 9))
    assert mei.sex in ("male", "female") and mei.phone == "" and hai.region_code == "460107"

    response = as_applicant.get("/family")
    family = page(response)
    assert "添加学生" in family
    hai_card, mei_card = (page.of(card) for card in response.text.split('<li class="card">')[1:])
    assert "黎小海" in hai_card and "黎小梅" in mei_card
    assert f"{in_registry[:4]}**********{in_registry[-4:]}" in hai_card
    assert "建档立卡已核验" in hai_card and "可以直接报名扶贫班，免学费等待遇自动享受" in hai_card
    assert "未在建档立卡名单中" in mei_card and "建档立卡名单中没有这个身份证号" in mei_card
    assert "上传证明材料" in mei_card and "上传证明材料" not in hai_card
    assert in_registry not in family and not_listed not in family
    assert f'href="/family/students/{mei.id}#upload"' in as_applicant.get("/family").text


def test_the_form_asks_for_the_id_in_a_text_box_phones_can_type_x_into(as_applicant):
    form = as_applicant.get(NEW).text
    box = form[form.index('id="id_number"') - 200:form.index('id="id_number"') + 200]
    assert 'type="text"' in box and 'autocomplete="off"' in box and "inputmode" not in box
    assert "最后一位可能是字母X" in form
    assert 'name="birth_date"' not in form and 'name="sex"' not in form


def test_full_width_digits_spaces_and_a_lower_case_x_are_accepted(db, as_applicant, applicant, student_form,
                                                                 id_number):
    number = next(n for n in iter(id_number, None) if n.endswith("X"))
    typed = " ".join([full_width(number[:6]), number[6:14], full_width(number[14:]).lower()])
    response = as_applicant.post(NEW, data=student_form(typed))
    assert response.status_code == 302
    (student,) = students(db, applicant)
    assert student.id_hash == vault().hash(number)
    assert vault().decrypt(student.id_cipher) == number


def test_a_blank_region_means_the_region_of_the_id_number(db, as_applicant, applicant, student_form, id_number):
    assert as_applicant.post(NEW, data=student_form(id_number(region="469030"), region_code="")).status_code == 302
    assert students(db, applicant)[0].region_code == "469030"


def test_a_student_added_on_the_way_to_apply_goes_back_to_the_application(as_applicant, student_form, id_number):
    form = as_applicant.get(f"{NEW}?next=/courses/7/apply").text
    assert 'name="next" type="hidden" value="/courses/7/apply"' in form
    response = as_applicant.post(NEW, data={**student_form(id_number()), "next": "/courses/7/apply"})
    assert response.status_code == 302 and response.location.startswith("/courses/7/apply?student=")
    elsewhere = as_applicant.post(NEW, data={**student_form(id_number(born=date(2010, 1, 2))), "next": "//evil.com"})
    assert elsewhere.status_code == 302 and elsewhere.location.endswith("/family")


@pytest.mark.parametrize("number, message", [
    (lambda make: wrong_check_digit(make()), "身份证号有一位填错了，请对照身份证逐位核对。"),
    (lambda make: make(born=date.today() + timedelta(days=3)), "身份证号中的出生日期晚于今天。"),
    (lambda make: make(region="990101"), "身份证号前6位（地区编码）不对，请对照身份证核对。"),
    (lambda make: make()[:14], "身份证号应为18位。"),
    (lambda make: "", "请填写身份证号。"),
], ids=["check digit", "future birth date", "bad region", "too short", "empty"])
def test_a_bad_id_number_is_explained_and_nothing_is_saved(as_applicant, student_form, id_number, counts,
                                                           field_error, number, message):
    before = counts()
    response = as_applicant.post(NEW, data=student_form(number(id_number)))
    assert response.status_code == 200
    assert field_error(response, "id_number") == message
    assert "请按提示修改标出的内容后再提交。" in response.text
    assert counts() == before


@pytest.mark.parametrize("field, value, message", [
    ("name", "　 ", "请填写学生姓名。"),
    ("phone", "1380013800", "手机号应为11位数字，以1开头。"),
    ("region_code", "999999", "请选择户籍所在地区。"),
    ("relation", "", "请选择学生是您的什么人。"),  # left as the form first shows it
])
def test_other_bad_fields_are_explained_and_nothing_is_saved(as_applicant, student_form, id_number, counts,
                                                             field_error, field, value, message):
    before = counts()
    response = as_applicant.post(NEW, data=student_form(id_number(), **{field: value}))
    assert response.status_code == 200 and field_error(response, field) == message
    assert counts() == before


def test_the_relation_is_asked_not_assumed(as_applicant):
    select = re.search(r'<select id="relation".*?</select>', as_applicant.get(NEW).text, re.S).group(0)
    assert '<option value="">请选择</option><option value="self">本人</option>' in select
    assert "selected" not in select


def test_the_region_list_and_the_student_page_name_places_without_codes(db, as_applicant, applicant, student_form,
                                                                      id_number):
    """A grandmother picks and reads her county by name; the 6-digit code is staff's."""
    select = re.search(r'<select [^>]*id="region_code".*?</select>', as_applicant.get(NEW).text, re.S).group(0)
    assert '<option value="469030">　琼中黎族苗族自治县</option>' in select
    assert "（469030）" not in select
    assert as_applicant.post(NEW, data=student_form(id_number(), region_code="460107")).status_code == 302
    page = as_applicant.get(f"/family/students/{students(db, applicant)[0].id}").text
    assert "<dt>户籍所在地区</dt><dd>海南省 海口市 琼山区</dd>" in page


def test_a_full_width_phone_number_is_read(db, as_applicant, applicant, student_form, id_number):
    assert as_applicant.post(NEW, data=student_form(id_number(), phone="１３８ ００１３-８０００")).status_code == 302
    assert students(db, applicant)[0].phone == "13800138000"


# --- one ID number, one account ------------------------------------------------------------------

def test_a_second_account_claiming_an_id_is_told_to_contact_the_institution(
        db, login, make_user, make_student, student_form, id_number, counts, field_error):
    number = id_number()
    make_student(number=number)
    before = counts()
    response = login(make_user(Role.applicant)).post(NEW, data=student_form(full_width(number)))
    assert response.status_code == 200 and field_error(response, "id_number") == CLAIMED
    assert counts() == before


def test_the_same_account_adding_an_id_twice_is_told_it_is_already_there(
        as_applicant, applicant, make_student, student_form, id_number, counts, field_error):
    number = id_number()
    make_student(account=applicant, number=number, name="黎小海")
    before = counts()
    response = as_applicant.post(NEW, data=student_form(number, name="黎晓海"))
    assert field_error(response, "id_number") == "这个身份证号已在您的家庭中（黎小海），不用重复添加。"
    assert counts() == before


def test_the_unique_constraint_is_the_last_line_and_gives_the_same_message(
        db, app, applicant, make_user, make_student, id_number, monkeypatch):
    """Two accounts saving the same number at once: the first check passes for both, the database refuses one."""
    from portal.families import services
    number = id_number()
    make_student(account=make_user(Role.applicant), number=number)
    real, calls = services._refuse_if_claimed, []

    def first_check_misses(actor, id_hash):
        calls.append(id_hash)
        if len(calls) > 1:
            real(actor, id_hash)
    monkeypatch.setattr(services, "_refuse_if_claimed", first_check_misses)
    with app.test_request_context(), pytest.raises(services.FamilyError, match="该身份证号已由其他账号登记"):
        services.create_student(applicant, id_number=number, name="黎小海", relation="child", region_code="460107")
    assert len(calls) == 2  # the constraint fired, and the second look named the owner
    assert db.session.scalar(select(Student).where(Student.account_id == applicant.id)) is None


# --- eligibility ---------------------------------------------------------------------------------

def test_a_name_that_differs_from_the_registry_is_told_plainly(db, as_applicant, applicant, student_form,
                                                              make_registry_person, id_number, page):
    number = id_number()
    make_registry_person("黎晓海", number)
    as_applicant.post(NEW, data=student_form(number, name="黎小海"))
    (student,) = students(db, applicant)
    assert student.verification == Verification.name_mismatch and student.registry_person_id is None
    family = page(as_applicant.get("/family"))
    assert "身份证号在建档立卡名单中，但姓名不一致" in family
    assert "找村委会更正" in family and "上传证明材料" in family
    assert "黎晓海" not in family  # the registry's spelling is for staff, not for whoever typed the number


def test_spaces_inside_a_name_do_not_count(db, as_applicant, applicant, student_form, make_registry_person,
                                           id_number):
    number = id_number()
    make_registry_person("阿依古丽 买买提", number)
    as_applicant.post(NEW, data=student_form(number, name="阿依古丽　买买提 "))
    assert students(db, applicant)[0].verification == Verification.registry_verified


def test_someone_who_left_the_registry_is_not_found(db, as_applicant, applicant, student_form,
                                                   make_registry_person, id_number):
    number = id_number()
    make_registry_person("黎小海", number, in_registry=False, left_on=date(2024, 1, 1))
    as_applicant.post(NEW, data=student_form(number, name="黎小海"))
    assert students(db, applicant)[0].verification == Verification.not_found


def test_staff_decisions_stand_until_the_registry_verifies_or_new_proof_arrives(
        db, make_student, make_registry_person, id_number, audit):
    number = id_number()
    accepted = make_student(verification=Verification.proof_verified)
    rejected = make_student(number=number, name="黎小海", verification=Verification.proof_rejected)
    assert check_eligibility(accepted) == Verification.proof_verified
    assert check_eligibility(rejected) == Verification.proof_rejected
    assert audit("student.verification") == []

    person = make_registry_person("黎小海", number)
    assert check_eligibility(rejected) == Verification.registry_verified
    assert rejected.registry_person_id == person.id
    (entry,) = audit("student.verification")
    assert (entry.object_id, entry.actor_id, entry.before, entry.after) == (
        rejected.id, None, {"verification": "proof_rejected"},
        {"verification": "registry_verified", "reason": "registry check"})


def test_leaving_the_registry_is_noticed_at_the_next_check(db, make_student, make_registry_person, id_number):
    number = id_number()
    person = make_registry_person("黎小海", number)
    student = make_student(number=number, name="黎小海", verification=Verification.registry_verified,
                           registry_person_id=person.id)
    person.in_registry, person.left_on = False, date.today()
    assert check_eligibility(student) == Verification.not_found and student.registry_person_id is None


# --- editing -------------------------------------------------------------------------------------

def test_correcting_the_name_runs_the_check_again_and_audits_without_the_plain_id(
        db, as_applicant, applicant, student_form, make_registry_person, id_number, audit):
    number = id_number()
    make_registry_person("黎晓海", number)
    as_applicant.post(NEW, data=student_form(number, name="黎小海"))
    (student,) = students(db, applicant)
    edit = as_applicant.get(f"/family/students/{student.id}/edit").text
    assert number not in edit and f"{number[:4]}**********{number[-4:]}" in edit

    response = as_applicant.post(f"/family/students/{student.id}/edit",
                                 data=student_form("", name="黎晓海", school="海南省技师学院"))
    assert response.status_code == 302
    (student,) = students(db, applicant)
    assert student.verification == Verification.registry_verified and student.id_hash == vault().hash(number)

    (created,) = audit("student.create")
    assert created.after["id_number"] == f"{number[:4]}**********{number[-4:]}"
    (updated,) = audit("student.update")
    assert updated.before == {"name": "黎小海", "school": "琼山区云龙中学"}
    assert updated.after == {"name": "黎晓海", "school": "海南省技师学院"}
    assert audit("student.verification")[0].after["verification"] == "registry_verified"
    assert all(number not in str((e.before, e.after)) for e in audit("student.create") + audit("student.update"))


def test_a_new_id_number_replaces_the_old_one(db, as_applicant, applicant, make_student, student_form, id_number,
                                             audit):
    old, new = id_number(), id_number(born=date(2010, 1, 2))
    student = make_student(account=applicant, number=old)
    assert as_applicant.post(f"/family/students/{student.id}/edit", data=student_form(new)).status_code == 302
    (student,) = students(db, applicant)
    assert student.id_hash == vault().hash(new) and student.birth_date == date(2010, 1, 2)
    (updated,) = audit("student.update")
    assert updated.before["id_number"] == f"{old[:4]}**********{old[-4:]}"
    assert updated.after["id_number"] == f"{new[:4]}**********{new[-4:]}"


def test_name_and_id_are_fixed_once_the_student_has_applied(db, as_applicant, applicant, make_student,
                                                            make_course, student_form, id_number, counts,
                                                            field_error):
    number = id_number()
    student = make_student(account=applicant, number=number, name="黎小海")
    db.session.add(Application(student_id=student.id, course_id=make_course().id))
    db.session.flush()
    url = f"/family/students/{student.id}/edit"
    shown = as_applicant.get(url).text
    assert "已有报名记录，姓名和身份证号不能再修改" in shown
    id_box = re.search(r'<input[^>]*id="id_number"[^>]*>', shown).group(0)
    assert "readonly" in id_box and f'placeholder="{number[:4]}**********{number[-4:]}"' in id_box
    before = counts()
    for change in (dict(name="黎晓海"), dict(number=id_number())):
        form = student_form(change.get("number", ""), name=change.get("name", "黎小海"))
        response = as_applicant.post(url, data=form)
        field = "name" if "name" in change else "id_number"
        assert field_error(response, field) == "已有报名记录，姓名和身份证号不能再修改。如有错误，请联系报名学校。"
    assert counts() == before
    assert as_applicant.post(url, data=student_form(number, school="新学校")).status_code == 302
    assert students(db, applicant)[0].school == "新学校"


def test_the_id_number_is_stored_only_encrypted(db, as_applicant, applicant, student_form, id_number):
    number = id_number()
    as_applicant.post(NEW, data=student_form(number))
    row = db.session.execute(text("SELECT * FROM students")).one()
    stored = repr(tuple(row)).encode() + b"".join(v for v in row if isinstance(v, bytes))
    assert number.encode() not in stored and number[6:14].encode() not in stored
    audit_rows = db.session.execute(text("SELECT before, after FROM audit_entries")).all()
    assert number not in repr(audit_rows)


# --- who may see what ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.staff, Role.finance, Role.admin])
@pytest.mark.parametrize("url", ["/family", NEW])
def test_family_pages_are_for_applicants_only(login, make_user, role, url):
    assert login(make_user(role)).get(url).status_code == 403


@pytest.mark.parametrize("url", ["/family", NEW, "/family/students/1", "/family/students/1/edit"])
def test_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")


def test_another_familys_student_is_not_found(db, as_applicant, make_student, student_form, id_number, counts):
    other = make_student(name="别人家的孩子")
    before = counts()
    assert as_applicant.get(f"/family/students/{other.id}").status_code == 404
    assert as_applicant.get(f"/family/students/{other.id}/edit").status_code == 404
    assert as_applicant.post(f"/family/students/{other.id}/edit", data=student_form(id_number())).status_code == 404
    assert as_applicant.post(f"/family/students/{other.id}/documents", data={}).status_code == 404
    assert "别人家的孩子" not in as_applicant.get("/family").text
    assert counts() == before


def test_the_family_page_runs_the_same_queries_for_one_child_or_five(as_applicant, applicant, make_student,
                                                                    queries):
    make_student(account=applicant)
    with queries() as one:
        assert as_applicant.get("/family").status_code == 200
    for _ in range(4):
        make_student(account=applicant)
    with queries() as five:
        assert as_applicant.get("/family").status_code == 200
    assert five[0] == one[0]

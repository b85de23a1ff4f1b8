"""Institutions: the public page with only the published courses, and the admin creating and
editing institutions with a checked 统一社会信用代码 — bad input refused with a Chinese message and
nothing saved, every change audited, the credit code fixed once made."""
import html
import re

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.courses.models import CourseStatus
from portal.institutions.models import Institution

NEW = "/admin/institutions/new"


def make_uscc(n: int, region: str = "460100") -> str:
    """A valid 18-character code: 8 digits, 9 characters of the USCC alphabet, then the check digit."""
    body = f"12{region}MB{n:07d}"
    assert len(body) == 17
    return body + uscc.calc_check_digit(body)


def wrong_check_digit(code: str) -> str:
    last = "0" if code[-1] != "0" else "1"
    return code[:-1] + last


def institution_form(**overrides) -> dict:
    values = dict(name="琼中县职业技术学校", uscc=make_uscc(1, "469030"), kind="technical_college",
                  region_code="469030", address="琼中县营根镇教育路8号", phone="0898-86220000",
                  website="https://qzzj.example.cn", description="县属中等职业学校。")
    values.update(overrides)
    return values


def institution_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Institution))


def row(db, institution_id: int) -> dict:
    return dict(db.session.execute(select(*Institution.__table__.c).where(Institution.id == institution_id))
                .mappings().one())


def audit(db) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def field_errors(page: str) -> dict[str, str]:
    return {name: html.unescape(text) for name, text in
            re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page, re.S)}


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.admin)


@pytest.fixture
def as_admin(login, admin):
    return login(admin)


# --- the public page -------------------------------------------------------------------------

def test_public_page_shows_the_institution_and_its_published_courses(client, make_institution, make_course):
    school = make_institution(name="琼中县职业技术学校", region_code="469030", address="琼中县营根镇教育路8号",
                              phone="0898-86220000", description="县属中等职业学校。")
    make_course(institution=school, title="已发布的电工班")
    make_course(institution=school, title="第二门已发布的课", kind="free_training")
    make_course(institution=school, title="草稿课程", status=CourseStatus.draft)
    make_course(institution=school, title="已关闭的课程", status=CourseStatus.closed)
    make_course(title="别的学校的课程")

    response = client.get(f"/institutions/{school.id}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>琼中县职业技术学校</h1>" in page
    for text in ("技工院校", "琼中黎族苗族自治县", "琼中县营根镇教育路8号", "0898-86220000", school.uscc,
                 "县属中等职业学校。"):
        assert text in page
    listed = re.findall(r'<h3><a href="/courses/\d+">(.*?)</a></h3>', page)
    assert sorted(listed) == ["已发布的电工班", "第二门已发布的课"]


def test_public_page_without_courses_says_so(client, make_institution):
    school = make_institution()
    assert "这所学校目前没有正在招生的课程。" in client.get(f"/institutions/{school.id}").text


def test_missing_institution_is_404(client):
    assert client.get("/institutions/999999").status_code == 404


# --- admin: create ---------------------------------------------------------------------------

def test_admin_creates_an_institution(db, as_admin, admin):
    code = make_uscc(7, "469030")
    response = as_admin.post(NEW, data=institution_form(uscc=code))
    assert response.status_code == 302 and response.location.endswith("/admin/institutions")

    school = db.session.scalar(select(Institution))
    assert (school.name, school.uscc, school.kind, school.region_code) == (
        "琼中县职业技术学校", code, "technical_college", "469030")
    assert (school.address, school.phone, school.website) == (
        "琼中县营根镇教育路8号", "0898-86220000", "https://qzzj.example.cn")

    [entry] = audit(db)
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "institution.create", "institutions", school.id, admin.id)
    assert entry.after == {"name": "琼中县职业技术学校", "uscc": code}

    assert "琼中县职业技术学校" in as_admin.get("/admin/institutions").text


def test_credit_code_typed_loosely_is_stored_clean(db, as_admin):
    code = make_uscc(8)
    loose = f"{code[:6]} {code[6:12]} {code[12:]}".lower()
    assert as_admin.post(NEW, data=institution_form(uscc=loose)).status_code == 302
    assert db.session.scalar(select(Institution.uscc)) == code


def test_create_refuses_a_duplicate_credit_code(db, as_admin, make_institution):
    existing = make_institution()
    assert_refused(db, as_admin, institution_form(uscc=existing.uscc), "uscc", "这个统一社会信用代码已登记过。")


def test_create_refuses_a_duplicate_name(db, as_admin, make_institution):
    make_institution(name="琼中县职业技术学校")
    assert_refused(db, as_admin, institution_form(name="琼中县职业技术学校"), "name", "已有同名机构。")
    # spaces typed or pasted around it do not make it another institution
    assert_refused(db, as_admin, institution_form(name=" 琼中县职业技术学校　"), "name", "已有同名机构。")


@pytest.mark.parametrize("bad, field, message", [
    pytest.param(dict(uscc=wrong_check_digit(make_uscc(3))), "uscc", "校验位不对", id="check-digit"),
    pytest.param(dict(uscc=make_uscc(3)[:17]), "uscc", "应为18位，您填写了17位", id="too-short"),
    pytest.param(dict(uscc=make_uscc(3) + "1"), "uscc", "应为18位，您填写了19位", id="too-long"),
    pytest.param(dict(uscc=make_uscc(3)[:10] + "IOSVZ" + make_uscc(3)[15:]), "uscc", "格式不对", id="bad-letters"),
    pytest.param(dict(uscc=""), "uscc", "请填写统一社会信用代码。", id="uscc-missing"),
    pytest.param(dict(name=""), "name", "请填写机构名称。", id="name-missing"),
    pytest.param(dict(region_code="999999"), "region_code", "不是有效的选择", id="region-unknown"),
    pytest.param(dict(kind="university"), "kind", "不是有效的选择", id="kind-unknown"),
])
def test_create_refuses_bad_values(db, as_admin, bad, field, message):
    assert_refused(db, as_admin, institution_form(**bad), field, message)


def assert_refused(db, client, data, field, message):
    before = institution_count(db)
    response = client.post(NEW, data=data)
    assert response.status_code == 200
    assert message in field_errors(response.text).get(field, ""), field_errors(response.text)
    assert institution_count(db) == before
    assert audit(db) == []


# --- admin: edit -----------------------------------------------------------------------------

def test_edit_changes_details_but_keeps_the_credit_code(db, as_admin, admin, make_institution):
    school = make_institution(name="旧校名", region_code="460100")
    original_code = school.uscc
    edit = f"/admin/institutions/{school.id}/edit"

    page = as_admin.get(edit).text
    assert re.search(rf'value="{original_code}"[^>]*readonly|readonly[^>]*value="{original_code}"', page)

    response = as_admin.post(edit, data=institution_form(name="新校名", uscc=make_uscc(99), region_code="460100"))
    assert response.status_code == 302
    stored = row(db, school.id)
    assert stored["name"] == "新校名"
    assert stored["uscc"] == original_code

    [entry] = audit(db)
    assert (entry.action, entry.object_id, entry.actor_id) == ("institution.update", school.id, admin.id)
    assert entry.before["name"] == "旧校名" and entry.after["name"] == "新校名"
    assert "uscc" not in entry.after


def test_edit_refuses_another_institutions_name(db, as_admin, make_institution):
    make_institution(name="海口市高级技工学校")
    school = make_institution(name="琼中县职业技术学校")
    before = row(db, school.id)
    response = as_admin.post(f"/admin/institutions/{school.id}/edit",
                             data=institution_form(name="海口市高级技工学校", uscc=school.uscc))
    assert "已有同名机构。" in field_errors(response.text)["name"]
    assert row(db, school.id) == before
    assert audit(db) == []


def test_edit_refuses_an_unknown_region(db, as_admin, make_institution):
    school = make_institution()
    before = row(db, school.id)
    response = as_admin.post(f"/admin/institutions/{school.id}/edit", data=institution_form(region_code="999999"))
    assert "region_code" in field_errors(response.text)
    assert row(db, school.id) == before


def test_editing_a_missing_institution_is_404(as_admin):
    assert as_admin.get("/admin/institutions/999999/edit").status_code == 404


@pytest.mark.parametrize("role", [Role.staff, Role.applicant, Role.finance])
def test_only_admins_create_institutions(db, client, make_user, login, role):
    login(make_user(role=role))
    before = institution_count(db)
    assert client.post(NEW, data=institution_form()).status_code == 403
    assert institution_count(db) == before


def test_a_renamed_institutions_courses_are_found_by_the_new_name(db, as_admin, client, make_institution,
                                                                  make_course):
    school = make_institution(name="旧校名技工学校", region_code="460100")
    make_course(institution=school, title="育婴员培训班", trade="育婴员")
    as_admin.post(f"/admin/institutions/{school.id}/edit",
                  data=institution_form(name="海口新港技工学校", region_code="460100"))
    as_admin.post("/logout")
    assert "育婴员培训班" in client.get("/courses", query_string={"q": "新港"}).text
    assert "育婴员培训班" not in client.get("/courses", query_string={"q": "旧校名"}).text

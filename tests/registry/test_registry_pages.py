"""The registry pages are the admin's alone; looking a person up by ID number and revealing one is audited."""
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.auth.models import Role
from portal.common.idnumbers import mask
from portal.registry.models import ImportStatus, RegistryImport
from portal.registry.services import lookup


@pytest.fixture
def listed(make_registry_person, id_number):
    number = id_number()
    return number, make_registry_person("黎小海", number)


def routes(person_id: int, import_id: int) -> list[tuple[str, str]]:
    return [("get", "/admin/registry"), ("post", "/admin/registry/imports"),
            ("get", f"/admin/registry/imports/{import_id}"),
            ("get", f"/admin/registry/imports/{import_id}/rejections.xlsx"),
            ("get", f"/admin/registry/people/{person_id}"), ("post", f"/admin/registry/people/{person_id}/reveal"),
            ("post", "/admin/registry/lookup")]


@pytest.mark.parametrize("role", [Role.applicant, Role.staff, Role.finance])
def test_other_roles_are_refused(client, login, make_user, listed, role):
    _, person = listed
    login(make_user(role))
    for method, url in routes(person.id, person.first_import_id):
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, listed):
    _, person = listed
    for method, url in routes(person.id, person.first_import_id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_an_upload_that_does_not_say_full_or_partial_is_asked_and_imports_nothing(db, as_admin, registry_csv, row,
                                                                                 id_number):
    data = registry_csv([row(id_number())])
    response = as_admin.post("/admin/registry/imports", data={"upload-file": (io.BytesIO(data), "名单.csv")},
                             content_type="multipart/form-data")
    assert response.status_code == 200
    assert '<p class="error" id="upload-full-error">请选择这是完整名单还是部分名单。</p>' in response.text
    assert db.session.scalar(select(func.count()).select_from(RegistryImport)) == 0


def test_unknown_ids_give_404(as_admin):
    for url in ("/admin/registry/imports/999999", "/admin/registry/imports/999999/rejections.xlsx",
                "/admin/registry/people/999999"):
        assert as_admin.get(url).status_code == 404
    assert as_admin.post("/admin/registry/people/999999/reveal").status_code == 404


def test_the_registry_page_lists_past_imports(db, as_admin, admin, text):
    db.session.add(RegistryImport(filename="2025年名单.xlsx", sha256="0" * 64, size=1, status=ImportStatus.done,
                                  added=1200, rejected=3, created_by_id=admin.id))
    db.session.add(RegistryImport(filename="补充名单.csv", sha256="0" * 64, size=1, status=ImportStatus.failed,
                                  full=False))
    db.session.flush()

    page = as_admin.get("/admin/registry")

    assert page.status_code == 200
    # Full or partial is asked each time: neither is chosen for the admin.
    assert re.findall(r'<input[^>]*name="upload-full"[^>]*>', page.text) == [
        '<input id="upload-full-0" name="upload-full" required type="radio" value="full">',
        '<input id="upload-full-1" name="upload-full" required type="radio" value="partial">']
    shown = text(page)
    assert "2025年名单.xlsx 已完成 1,200 0 0 0 3 人社管理员" in shown
    assert "补充名单.csv 部分名单 失败" in shown


def test_older_imports_are_listed_page_by_page_in_a_fixed_number_of_queries(db, as_admin, admin, count_queries,
                                                                            monkeypatch):
    """Years of monthly lists from every county run past one page: the oldest stay within reach."""
    from portal.registry import views
    monkeypatch.setattr(views, "IMPORTS_SHOWN", 3)
    for n in range(7):
        db.session.add(RegistryImport(filename=f"第{n}批.csv", sha256="0" * 64, size=1, status=ImportStatus.done,
                                      created_by_id=admin.id))
    db.session.flush()

    def files(page: str) -> list[str]:
        return re.findall(r"第\d批\.csv", page)

    newest = as_admin.get("/admin/registry").text
    assert files(newest) == ["第6批.csv", "第5批.csv", "第4批.csv"]
    older = re.search(r'<a class="button secondary" href="([^"]+)">更早的导入记录</a>', newest).group(1)
    db.session.expire_all()
    with count_queries() as three_shown:
        middle = as_admin.get(older).text
    assert files(middle) == ["第3批.csv", "第2批.csv", "第1批.csv"] and "最近的导入记录" in middle
    db.session.expire_all()
    with count_queries() as one_shown:
        oldest = as_admin.get(re.search(r'href="([^"]+)">更早的导入记录', middle).group(1)).text
    assert files(oldest) == ["第0批.csv"] and "更早的导入记录" not in oldest
    assert len(three_shown) == len(one_shown)


def test_the_person_page_masks_the_id_number(as_admin, listed, text):
    number, person = listed

    page = as_admin.get(f"/admin/registry/people/{person.id}")

    assert page.status_code == 200
    assert mask(number) in page.text and number not in page.text
    assert "在名单中" in text(page) and "户编号 4601070010001" in text(page)


def test_the_person_page_says_which_fields_the_poverty_office_left_unrecorded(as_admin, make_registry_person, text):
    person = make_registry_person("符阿妹", relation="", region_code=None, county="", township="", village="",
                                  year_identified=None, poverty_status=None, dibao=None, phone="")
    page = text(as_admin.get(f"/admin/registry/people/{person.id}"))
    for field in ("与户主关系", "脱贫状态", "是否低保", "识别年度", "地址", "联系电话"):
        assert f"{field} 未登记" in page


def test_the_person_page_in_english_has_no_chinese_brackets(as_admin, listed, text):
    _, person = listed
    as_admin.get("/lang/en")

    page = as_admin.get(f"/admin/registry/people/{person.id}")

    assert "（" not in page.text and "）" not in page.text
    assert f'<a href="/admin/registry/imports/{person.first_import_id}">' in page.text  # the link, not its text


def test_reveal_shows_the_whole_number_once_and_is_audited(db, as_admin, admin, listed):
    number, person = listed

    revealed = as_admin.post(f"/admin/registry/people/{person.id}/reveal")
    again = as_admin.get(f"/admin/registry/people/{person.id}")

    assert revealed.status_code == 200 and number in revealed.text
    assert revealed.headers["Cache-Control"] == "no-store"
    assert number not in again.text
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registry_person.reveal_id"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (admin.id, "registry_people", person.id)


def test_lookup_by_id_number_opens_the_person(as_admin, listed):
    number, person = listed
    typed = " ".join(number.translate(str.maketrans("0123456789", "０１２３４５６７８９")))

    response = as_admin.post("/admin/registry/lookup", data={"lookup-number": typed})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/registry/people/{person.id}")


@pytest.mark.parametrize("typed, message", [("4601", "身份证号应为18位。"), ("", "请填写身份证号。")])
def test_lookup_of_a_bad_number_says_why(as_admin, text, typed, message):
    response = as_admin.post("/admin/registry/lookup", data={"lookup-number": typed})

    assert response.status_code == 200 and message in text(response)


def test_lookup_of_a_number_not_listed_says_so(as_admin, id_number, listed, text):
    response = as_admin.post("/admin/registry/lookup", data={"lookup-number": id_number()})

    assert response.status_code == 200 and "名单中没有这个身份证号。" in text(response)


def test_a_lookup_answers_where_the_lookup_form_is(as_admin):
    """The lookup form sits below the upload form, out of view on a phone: its answer is scrolled to."""
    page = as_admin.get("/admin/registry").text
    assert '<h2 id="lookup-heading">' in page
    assert 'action="/admin/registry/lookup#lookup-heading"' in page


def test_lookup_service_finds_only_people_in_the_registry(db, make_registry_person, id_number):
    here, gone = id_number(), id_number()
    person = make_registry_person("黎小海", here)
    make_registry_person("符阿妹", gone, in_registry=False, left_on=date(2025, 1, 1))

    assert lookup(here.lower()) == person
    assert lookup(gone) is None and lookup(id_number()) is None


@pytest.mark.parametrize("role", [Role.admin, Role.staff, Role.applicant])
def test_only_the_admins_menu_leads_to_the_registry(client, login, make_user, role):
    menu = login(make_user(role)).get("/courses").text.split('class="main-nav"')[1].split("</nav>")[0]
    assert ('href="/admin/registry">建档立卡名单</a>' in menu) == (role == Role.admin)


@pytest.mark.parametrize("package", ["registry", "auth", "audit"])
def test_every_message_the_admins_pages_translate_is_found_for_translation(package):
    """A message written inside an f-string is translated at run time but never extracted for translators,
    so English pages would show it in Chinese (the registry template's file name did)."""
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    import portal
    for source in (Path(portal.__file__).parent / package).rglob("*.py"):
        extracted = {message for _line, message, _comments, _context in extract_from_file("python", str(source))}
        called = set(re.findall(r"""\b_\((["'])(.+?)\1""", source.read_text(encoding="utf-8")))
        missed = {message for _quote, message in called} - extracted
        assert not missed, f"{source.name}: {missed}"

"""The Traditional Chinese and English catalogs: complete, current with the source, and actually used.

Refresh the catalogs after changing UI strings (the test below fails until you do):

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -c TRANSLATORS: --add-location=file \
        --project=jineng-fupin-portal -o portal/translations/messages.pot .
    .venv/bin/pybabel update --ignore-obsolete -i portal/translations/messages.pot -d portal/translations
    .venv/bin/python portal/translations/zh_hant.py      # fills zh_Hant_TW with OpenCC
    (translate the new English entries in portal/translations/en/LC_MESSAGES/messages.po by hand)
    .venv/bin/pybabel compile -d portal/translations
"""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
POT = TRANSLATIONS / "messages.pot"
LOCALES = ["zh_Hant_TW", "en"]  # every key of Config.LANGUAGES except the default, zh_Hans_CN

# %(name)s, %d, and %% — everything Python's % operator acts on.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _load(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _messages(catalog):
    return [m for m in catalog if m.id]


def _forms(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _zh_hant():
    spec = importlib.util.spec_from_file_location("zh_hant", TRANSLATIONS / "zh_hant.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pot():
    return _load(POT)


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request):
    return _load(TRANSLATIONS / request.param / "LC_MESSAGES" / "messages.po")


def test_template_is_current_with_the_source(tmp_path, pot):
    """A string added to a template or to Python code fails here until the catalogs are refreshed."""
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(fresh), "."],
                   cwd=ROOT, check=True, capture_output=True)
    extracted = {m.id for m in _messages(_load(fresh))}
    assert extracted, "extraction found no strings: check babel.cfg"
    committed = {m.id for m in _messages(pot)}
    new, gone = sorted(map(repr, extracted - committed)), sorted(map(repr, committed - extracted))
    assert not new, "strings not in messages.pot yet; refresh the catalogs (module docstring):\n" + "\n".join(new)
    assert not gone, "messages.pot has strings the source no longer uses; refresh the catalogs:\n" + "\n".join(gone)


def test_every_message_is_translated(pot, catalog):
    by_id = {m.id: m for m in _messages(catalog)}
    problems = []
    for template in _messages(pot):
        message = by_id.get(template.id)
        if message is None:
            problems.append(f"missing (run pybabel update): {template.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {template.id!r}")
        elif not all(_forms(message.string)) or len(_forms(message.string)) != (
                catalog.num_plurals if message.pluralizable else 1):
            problems.append(f"untranslated: {template.id!r} → {message.string!r}")
    assert not problems, f"{catalog.locale}:\n" + "\n".join(problems)


def test_placeholders_match(catalog):
    problems = []
    for message in _messages(catalog):
        wanted = sorted(PLACEHOLDER.findall(_forms(message.id)[-1]))
        for form in _forms(message.string):
            if form and sorted(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"{message.id!r} → {form!r}")
    assert not problems, f"{catalog.locale}: placeholders differ:\n" + "\n".join(problems)


def test_no_errors_from_babel_checkers(catalog):
    problems = [f"{message.id!r}: {error}" for message, errors in catalog.check() for error in errors]
    assert not problems, "\n".join(problems)


def test_traditional_chinese_is_opencc_with_documented_fixes():
    """zh_Hant_TW is exactly OpenCC s2twp of each msgid plus zh_hant.TERMS / MESSAGE_OVERRIDES.

    To change a Traditional Chinese string, change the rules in portal/translations/zh_hant.py and run
    `.venv/bin/python portal/translations/zh_hant.py --all`; hand edits to the .po fail here.
    """
    zh_hant = _zh_hant()
    catalog = _load(zh_hant.CATALOG)
    wrong = [f"{m.id!r}: has {m.string!r}, expected {zh_hant.expected(m)!r}"
             for m in _messages(catalog) if m.string != zh_hant.expected(m)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("msgid, taiwan", [
    ("列名有重复，每一列只能出现一次", "欄名有重複，每一欄只能出現一次"),
    ("身份证号与第 %(row)s 行相同，其他信息却不一样；导入的是那一行。",
     "身份證號與第 %(row)s 列相同，其他資訊卻不一樣；匯入的是那一列。"),
    ("每人一行，不要合并单元格。", "每人一列，不要合併儲存格。"),
    ("下载名单模板（XLSX）", "下載名單範本（XLSX）"),
    ("行政区划代码不存在，请从列表中选择。", "行政區劃代碼不存在，請從列表中選擇。"),
    ("学校审核后会列入候补名单", "學校審核後會列入候補名單"),
])
def test_traditional_chinese_names_spreadsheet_rows_and_columns_as_taiwan_does(msgid, taiwan):
    """A registry file's rows are 列 and its columns 欄 in Taiwan (the mainland says 行 and 列), and words
    that only contain those characters stay as they were."""
    assert _zh_hant().convert(msgid) == taiwan


def test_traditional_chinese_has_no_simplified_characters():
    """Independent of the rules above: OpenCC s2t leaves every msgstr unchanged."""
    import opencc
    s2t = opencc.OpenCC("s2t")
    catalog = _load(TRANSLATIONS / "zh_Hant_TW" / "LC_MESSAGES" / "messages.po")
    left = [(m.id, form) for m in _messages(catalog) for form in _forms(m.string) if s2t.convert(form) != form]
    assert not left, left


def test_english_has_no_chinese_left():
    catalog = _load(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    left = [(m.id, form) for m in _messages(catalog) for form in _forms(m.string) if CJK.search(form)]
    assert not left, left


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_po(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    mo = folder / "messages.mo"
    hint = "run: .venv/bin/pybabel compile -d portal/translations (make test does this)"
    assert mo.exists(), f"{mo} is missing; {hint}"
    with mo.open("rb") as f:
        compiled = {_tuple(m.id): _tuple(m.string) for m in read_mo(f) if m.id}
    source = {_tuple(m.id): _tuple(m.string) for m in _messages(_load(folder / "messages.po")) if not m.fuzzy}
    assert compiled == source, f"{mo} is out of date; {hint}"


# The catalogs in use: the language cookie picks the catalog, as set by the /lang/<code> link.

HEADINGS = {"zh_Hans_CN": ("zh-Hans", "找课程"), "zh_Hant_TW": ("zh-Hant", "找課程"), "en": ("en", "Find courses")}


def _choose(client, code):
    assert client.get(f"/lang/{code}?next=/courses").status_code == 302


def _h1(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize("code", list(HEADINGS))
def test_catalog_page_in_each_language(client, code):
    _choose(client, code)
    html = client.get("/courses").text
    lang, heading = HEADINGS[code]
    assert f'<html lang="{lang}"' in html
    assert _h1(html) == heading


def test_switching_language_back_and_forth(client):
    for code in ["en", "zh_Hant_TW", "zh_Hans_CN", "en"]:
        _choose(client, code)
        assert _h1(client.get("/courses").text) == HEADINGS[code][1]


@pytest.mark.parametrize(("code", "title"), [("en", "Page not found"), ("zh_Hant_TW", "頁面不存在"),
                                            ("zh_Hans_CN", "页面不存在")])
def test_not_found_page_is_translated(client, code, title):
    _choose(client, code)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert _h1(response.text) == title


def test_english_plural_forms(client, make_course):
    _choose(client, "en")
    make_course(title="电工班", hours=1)
    html = client.get("/courses").text
    assert "1 course found" in html
    assert "1 class hour<" in html or "1 class hour " in html
    make_course(title="育婴员班", hours=120)
    html = client.get("/courses").text
    assert "2 courses found" in html
    assert "120 class hours" in html


def test_form_labels_made_at_import_follow_the_request_language(client):
    """lazy_gettext labels are translated per request, not frozen when the module was imported."""
    _choose(client, "en")
    assert "Mobile number or email" in client.get("/login").text
    _choose(client, "zh_Hant_TW")
    assert "手機號或電子郵件" in client.get("/login").text


@pytest.mark.parametrize("code, shown", [("zh_Hans_CN", "2026年11月24日 05:10"), ("en", "Nov 24, 2026 5:10\u202fAM"),
                                          ("zh_Hant_TW", "2026年11月24日 清晨5:10")])
def test_a_moment_reads_like_the_portals_dates_in_chinas_time(app, code, shown):
    from datetime import UTC, datetime

    from portal.common.i18n import format_moment
    late_evening_utc = datetime(2026, 11, 23, 21, 10, tzinfo=UTC)  # already the next morning in China
    assert format_moment({"current_locale": code}, late_evening_utc) == shown

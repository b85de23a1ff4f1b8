"""Display preferences (language, elder mode), localized error pages and the health check."""
import html
import re
from urllib.parse import unquote, urlsplit

import pytest

from portal.auth.models import Role


def html_tag(response) -> str:
    text = response.text
    return text[text.index("<html"):text.index(">", text.index("<html")) + 1]


def redirect_path(response) -> str:
    assert response.status_code == 302
    target = urlsplit(response.location)
    assert target.netloc in ("", "portal.test"), response.location
    return unquote(target.path + (f"?{target.query}" if target.query else ""))


def test_pages_are_simplified_chinese_by_default(client):
    page = client.get("/courses")
    assert html_tag(page) == '<html lang="zh-Hans">'
    assert "找课程" in page.text


@pytest.mark.parametrize("code, lang, word", [("zh_Hant_TW", "zh-Hant", "找課程"), ("en", "en", "Find courses"),
                                              ("zh_Hans_CN", "zh-Hans", "找课程")])
def test_language_switch_is_remembered_in_a_cookie(client, code, lang, word):
    response = client.get(f"/lang/{code}?next=/courses")
    assert redirect_path(response) == "/courses"
    assert client.get_cookie("lang", domain="portal.test").value == code

    for url in ("/courses", "/login"):
        page = client.get(url)
        assert html_tag(page).startswith(f'<html lang="{lang}"')
    assert word in client.get("/courses").text


def test_unknown_language_changes_nothing(client):
    client.get("/lang/en")
    assert redirect_path(client.get("/lang/klingon?next=/courses")) == "/courses"
    assert client.get_cookie("lang", domain="portal.test").value == "en"
    assert html_tag(client.get("/")).startswith('<html lang="en"')


def test_elder_mode_is_one_click_away_and_remembered(client):
    assert 'class="elder"' not in html_tag(client.get("/"))
    assert "大字模式" in client.get("/").text

    assert redirect_path(client.get("/elder-mode/on?next=/courses")) == "/courses"
    for url in ("/courses", "/login", "/no-such-page"):
        assert html_tag(client.get(url)).endswith(' class="elder">')
    assert "标准字号" in client.get("/").text

    client.get("/elder-mode/off")
    assert 'class="elder"' not in html_tag(client.get("/"))


@pytest.mark.parametrize("switch", ["/lang/en", "/elder-mode/on"])
@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/", "/\\evil.com", "javascript:alert(1)",
                                    "/\t/evil.com", "http:evil.com"])
def test_switches_redirect_only_to_this_site(client, switch, target):
    assert redirect_path(client.get(switch, query_string={"next": target})) == "/"


@pytest.mark.parametrize("switch", ["/lang/en", "/elder-mode/on"])
def test_switches_return_to_the_page_the_visitor_was_on(client, switch):
    response = client.get(switch, query_string={"next": "/courses?q=电工&free_only=y"})
    assert redirect_path(response) == "/courses?q=电工&free_only=y"
    assert redirect_path(client.get(switch)) == "/"


@pytest.mark.parametrize("link", ["/lang/en", "/elder-mode/on"])
def test_following_a_switch_link_comes_back_to_the_same_page(client, link):
    page = client.get("/courses?q=电工&mode=village").text
    [href] = re.findall(rf'href="({re.escape(link)}\?[^"]*)"', page)
    assert redirect_path(client.get(html.unescape(href))) == "/courses?q=电工&mode=village"


def test_404_page_is_localized(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.text and "回到首页" in response.text

    client.get("/lang/en")
    english = client.get("/no-such-page")
    assert english.status_code == 404 and "Page not found" in english.text
    assert "页面不存在" not in english.text

    client.get("/lang/zh_Hant_TW")
    assert "頁面不存在" in client.get("/no-such-page").text


def test_403_page_is_localized(client, make_user, login):
    login(make_user(Role.applicant))
    response = client.get("/admin/accounts")
    assert response.status_code == 403 and "没有权限" in response.text


def test_healthz_answers_ok_in_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json and response.get_json() == {"status": "ok", "database": "ok"}

"""The public-page cache: anonymous visitors get a copy a few seconds old, nobody else does."""
import pytest

from portal.auth.models import Role


@pytest.fixture
def cached(app, monkeypatch):
    """Turn the cache on with a clock the test moves; start from empty caches, and leave none behind.

    The clock reads far beyond any real one, so a list cached while it runs (the catalog's trades)
    would seem fresh to every later test if it were left behind."""
    clock = [1e9]
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_CACHE_SECONDS", 10)
    monkeypatch.setattr("portal.common.cache._clock", lambda: clock[0])
    for cache in ("public_pages", "reference_data"):
        app.extensions.pop(cache, None)
    yield clock
    for cache in ("public_pages", "reference_data"):
        app.extensions.pop(cache, None)


def test_anonymous_visitor_gets_the_same_page_within_the_time(client, make_course, cached):
    make_course(title="电工扶贫班")
    assert "电工扶贫班" in client.get("/courses").text
    make_course(title="焊工扶贫班")
    assert "焊工扶贫班" not in client.get("/courses").text
    cached[0] += 11
    assert "焊工扶贫班" in client.get("/courses").text


def test_logged_in_users_always_get_a_fresh_page(client, make_course, make_user, login, cached):
    make_course(title="电工扶贫班")
    client.get("/courses")
    make_course(title="焊工扶贫班")
    login(make_user(role=Role.applicant))
    page = client.get("/courses").text
    assert "焊工扶贫班" in page
    assert "退出登录" in page


def test_each_language_and_elder_mode_has_its_own_copy(client, make_course, cached):
    make_course(title="电工扶贫班")
    assert "找课程" in client.get("/courses").text
    client.get("/lang/en")
    assert "Find courses" in client.get("/courses").text
    client.get("/elder-mode/on")
    assert 'class="elder"' in client.get("/courses").text
    client.get("/lang/zh_Hans_CN")
    client.get("/elder-mode/off")
    page = client.get("/courses").text
    assert "找课程" in page and 'class="elder"' not in page


def test_query_strings_are_cached_apart(client, make_course, cached):
    make_course(title="电工扶贫班", trade="电工")
    make_course(title="焊工扶贫班", trade="焊工")
    assert "焊工扶贫班" not in client.get("/courses?q=电工").text
    assert "焊工扶贫班" in client.get("/courses?q=焊工").text


def test_a_missing_page_is_not_kept(client, make_course, cached):
    assert client.get("/courses/999999").status_code == 404
    assert client.get("/courses/999999").status_code == 404
    course = make_course(title="电工扶贫班")
    assert client.get(f"/courses/{course.id}").status_code == 200


def test_cached_pages_keep_the_security_headers(client, make_course, cached):
    make_course()
    client.get("/courses")
    again = client.get("/courses")
    assert "script-src 'self'" in again.headers["Content-Security-Policy"]
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_most_recent_pages_are_kept(app, client, make_course, cached, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_PAGE_CACHE_SIZE", 2)
    make_course(title="电工扶贫班", trade="电工")
    client.get("/courses?q=电工")
    client.get("/courses?q=焊工")
    client.get("/courses?q=茶艺")  # the third page pushes out the oldest, q=电工
    make_course(title="电工中级班", trade="电工")
    assert "电工中级班" in client.get("/courses?q=电工").text

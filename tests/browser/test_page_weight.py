"""Pages stay light for a slow connection, and nothing is fetched from anywhere but the portal."""
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

BUDGET = 50 * 1024  # bytes of HTML + CSS + JS, uncompressed
COUNTED = {"document", "stylesheet", "script"}


def load_and_weigh(page: Page, path: str) -> tuple[dict[str, int], set[str], list[str]]:
    """Load `path`; return bytes by resource type, every host asked for, and failed requests."""
    weights: dict[str, int] = {}
    hosts: set[str] = set()
    failed: list[str] = []

    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(path, wait_until="networkidle")
    for response in responses:
        kind = response.request.resource_type
        body = response.body() if response.status < 300 or response.status >= 400 else b""
        weights[kind] = weights.get(kind, 0) + len(body)
    return weights, hosts, failed


@pytest.mark.parametrize("path", [
    "/courses",
    "/courses?region=440000&sort=seats",
    "/",
])
def test_page_is_light_and_local(page: Page, path: str):
    weights, hosts, failed = load_and_weigh(page, path)
    counted = sum(v for k, v in weights.items() if k in COUNTED)
    assert weights.get("document", 0) > 1000, weights  # the page itself was weighed
    assert weights.get("stylesheet", 0) > 1000, weights  # and so was its stylesheet
    assert counted < BUDGET, f"{path}: {counted} bytes of HTML, CSS and JS (budget {BUDGET}): {weights}"
    assert hosts == {"127.0.0.1"}, f"{path} asked hosts other than the portal: {hosts}"
    assert not failed, failed


def test_catalog_page_of_twenty_courses_with_filters_open_is_light(page: Page):
    """The heaviest catalog page: a full page of results and every filter choice."""
    weights, hosts, _failed = load_and_weigh(page, "/courses?q=&free_only=y&region=&kind=&level=")
    assert page.locator("ul.cards > li.card").count() == 20
    counted = sum(v for k, v in weights.items() if k in COUNTED)
    assert counted < BUDGET, weights
    assert hosts == {"127.0.0.1"}, hosts

"""Response headers that lock pages down, and the guard on redirect targets."""
from urllib.parse import urlsplit

from flask import Flask, request, url_for

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """`target` when it is a path on this site, else `fallback` (the home page by default).

    Refuses absolute URLs, scheme-relative `//host` and backslash tricks browsers read as `//`.
    """
    fallback = fallback or url_for("courses.home")
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target.replace("\\", "/"))
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ord(c) < 32 for c in target):
        return fallback
    return target


def init_app(app: Flask) -> None:
    @app.after_request
    def secure_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.context_processor
    def current_path():
        return {"current_path": page_path() if request else "/"}


def page_path() -> str:
    """The page's own path and query, for the links that come back to it (language, 大字模式, log in).

    A page drawn in answer to a form posted to an address that only takes posts (a refused upload)
    cannot be opened again by that address, so those links come back to the page the form was on
    (the Referer, which the Referrer-Policy sends only within the site), else to the home page.
    """
    if request.method in ("GET", "HEAD") or (request.url_rule is not None and "GET" in request.url_rule.methods):
        return request.full_path.rstrip("?")
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/"):
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return url_for("courses.home")

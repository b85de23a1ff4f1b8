"""Health check, the site icon, and the visitor's display preferences (language, elder mode)."""
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from sqlalchemy import text

from portal.common.i18n import ELDER_COOKIE, LANG_COOKIE
from portal.common.security import safe_next
from portal.extensions import db

bp = Blueprint("common", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/healthz")
def healthz():
    """Who: anyone (load balancers). Answers 200 once the database answers a query."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means the database is unreachable
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@bp.get("/favicon.svg")
def favicon():
    """Who: anyone (browsers ask for it on their own, at either address). The portal's icon, static/favicon.svg,
    answered from memory: a browser often drops the request half-way, which must not leave a file open."""
    return Response(_icon(), mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@cache
def _icon() -> bytes:
    return (Path(current_app.static_folder) / "favicon.svg").read_bytes()


@bp.get("/lang/<code>")
def set_language(code: str):
    """Who: anyone. Remember the chosen language and go back to the page the visitor was on."""
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("/elder-mode/<state>")
def set_elder_mode(state: str):
    """Who: anyone. Turn the large-text, high-contrast elder mode on or off, and remember it."""
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(ELDER_COOKIE, "1" if state == "on" else "0", max_age=ONE_YEAR, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response

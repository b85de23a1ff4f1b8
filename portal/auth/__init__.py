"""Accounts, roles, login and the admin's management of staff and finance accounts."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.record_once
def _label_globals(state):
    from portal.auth.forms import ROLE_LABELS
    state.app.jinja_env.globals["ROLE_LABELS"] = ROLE_LABELS

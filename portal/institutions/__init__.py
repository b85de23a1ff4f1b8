"""Training institutions: technical colleges (技工院校) and training centres."""
from flask import Blueprint

bp = Blueprint("institutions", __name__, template_folder="templates")


@bp.record_once
def _label_globals(state):
    from portal.institutions.forms import KIND_CHOICES
    state.app.jinja_env.globals["INSTITUTION_KIND_LABELS"] = dict(KIND_CHOICES)

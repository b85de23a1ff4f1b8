"""The course catalog: free vocational courses and 扶贫班 places, and their management by staff."""
from flask import Blueprint

bp = Blueprint("courses", __name__, template_folder="templates")


@bp.record_once
def _label_globals(state):
    from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS, STATUS_LABELS
    state.app.jinja_env.globals.update(KIND_LABELS=KIND_LABELS, MODE_LABELS=MODE_LABELS,
                                       LEVEL_LABELS=LEVEL_LABELS, STATUS_LABELS=STATUS_LABELS)

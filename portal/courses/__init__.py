"""The course catalog: free vocational courses and 扶贫班 places, and their management by staff."""
import re

from flask import Blueprint
from flask_babel import format_date
from markupsafe import Markup, escape

bp = Blueprint("courses", __name__, template_folder="templates")
TIME_RANGE = re.compile(r"\d{1,2}[:：]\d{2}\s*[-–—~～至到]\s*\d{1,2}[:：]\d{2}")


@bp.app_template_filter("whole_times")
def whole_times(text: str) -> Markup:
    """Staff's schedule text with each time range (8:30–11:30) kept on one line, never 8:30– / 11:30."""
    return Markup(TIME_RANGE.sub(lambda m: f'<span class="nowrap">{m[0]}</span>', str(escape(text))))


@bp.app_template_filter("reports_when")
def reports_when(course) -> Markup:
    """When the course's admitted students report, as families read it: the date, then the school's time of day."""
    day = format_date(course.reports_on, "long")
    return whole_times(f"{day} {course.report_time}" if course.report_time else day)


@bp.record_once
def _label_globals(state):
    from portal.courses.models import KIND_LABELS, LEVEL_LABELS, MODE_LABELS, STATUS_LABELS
    state.app.jinja_env.globals.update(KIND_LABELS=KIND_LABELS, MODE_LABELS=MODE_LABELS,
                                       LEVEL_LABELS=LEVEL_LABELS, STATUS_LABELS=STATUS_LABELS)

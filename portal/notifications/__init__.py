"""In-portal notifications, and e-mail copies when SMTP is configured."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.record_once
def _header_count(state):
    """The header's unread badge; a function, so only pages for logged-in users run the count."""
    from flask_login import current_user

    from portal.notifications.services import unread_count
    state.app.jinja_env.globals["unread_notifications"] = lambda: unread_count(current_user)

"""In-portal notifications, and e-mail copies when SMTP is configured."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")

from portal.notifications import views  # noqa: E402,F401

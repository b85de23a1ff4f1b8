"""notifications views."""
from portal.notifications import bp, models  # noqa: F401

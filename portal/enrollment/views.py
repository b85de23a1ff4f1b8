"""enrollment views."""
from portal.enrollment import bp, models  # noqa: F401

"""registry views."""
from portal.registry import bp, models  # noqa: F401

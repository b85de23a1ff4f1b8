"""families views."""
from portal.families import bp, models  # noqa: F401

"""Admission notices (录取通知书): issuing the PDF and its public verification page."""
from portal.enrollment import bp  # noqa: F401

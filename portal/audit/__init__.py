"""The append-only audit log: who changed what, when, from what, to what; and the admin's page to read it."""
from flask import Blueprint

bp = Blueprint("audit", __name__, template_folder="templates")

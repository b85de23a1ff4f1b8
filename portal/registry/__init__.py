"""The 建档立卡 poverty registry: imports from the poverty office, and lookups by ID number."""
from flask import Blueprint

bp = Blueprint("registry", __name__, template_folder="templates")

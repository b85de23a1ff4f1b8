"""An applicant's family: the student profiles they keep, registry eligibility and proof documents."""
from flask import Blueprint

bp = Blueprint("families", __name__, template_folder="templates")

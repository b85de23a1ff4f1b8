"""Applications to courses, the green channel, waiting lists, enrollments and admission notices."""
from flask import Blueprint

bp = Blueprint("enrollment", __name__, template_folder="templates")

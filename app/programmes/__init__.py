from flask import Blueprint

bp = Blueprint("programmes", __name__, template_folder="templates")

from app.programmes import views  # noqa: E402,F401

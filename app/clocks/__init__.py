from flask import Blueprint

bp = Blueprint("clocks", __name__, template_folder="templates")

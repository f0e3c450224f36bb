"""Administration: accounts, organisations, the audit log, and the data-protection pages."""
from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")
URL_PREFIX = "/admin"

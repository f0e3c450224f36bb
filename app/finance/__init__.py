"""Finance: grant years, budget lines, spend, match funding and the grant rules (DOMAIN.md §4)."""
from flask import Blueprint

bp = Blueprint("finance", __name__, template_folder="templates")

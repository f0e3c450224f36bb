"""Bulk import of existing casework from a provider's spreadsheet (CSV or XLSX)."""
from flask import Blueprint

bp = Blueprint("imports", __name__, template_folder="templates")

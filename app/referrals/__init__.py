"""Casework: people, referrals, contacts, outcomes, caseloads, merge queue, evaluator export (issue 3)."""
from flask import Blueprint

bp = Blueprint("referrals", __name__, template_folder="templates")

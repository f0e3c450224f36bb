"""Offline capture (issue 14): the installable app for youth workers, its device keys and its outbox."""
from flask import Blueprint

bp = Blueprint("offline", __name__, template_folder="templates")

"""API tokens: people's own tokens (Your account) and service tokens for a provider's system (administrators)."""
from flask import Blueprint

bp = Blueprint("tokens", __name__, template_folder="templates")

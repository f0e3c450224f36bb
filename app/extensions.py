"""Flask extensions, created unbound; create_app() binds them."""
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from app.db import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()  # SMTP for reminder e-mails (MAIL_* settings in config.py)

__all__ = ["db", "migrate", "login_manager", "csrf", "mail"]

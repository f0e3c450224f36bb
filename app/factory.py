"""The application factory (DESIGN.md §4.1): it only wires — extensions, templates, blueprints, request hooks,
CLI and error pages. It sits on the top floor, so it may import every domain's views and commands."""
from __future__ import annotations

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

from app import models as _models  # noqa: F401  (the whole schema, for migrations and tests)
from app.admin import bp as admin_bp
from app.admin import views as _admin_views  # noqa: F401  (routes register on their blueprint)
from app.api.setup import register_api
from app.auth import bp as auth_bp
from app.auth import views as _auth_views  # noqa: F401
from app.auth.sessions import load_session_user
from app.clocks import bp as clocks_bp
from app.clocks import views as _clocks_views  # noqa: F401
from app.cli import register_commands
from app.db import db
from app.error_pages import register_errorhandlers as _register_error_pages
from app.extensions import csrf, login_manager, mail, migrate
from app.limits import limiter
from app.finance import bp as finance_bp
from app.forms import IdConverter
from app.finance import views as _finance_views  # noqa: F401
from app.imports import bp as imports_bp
from app.imports import views as _imports_views  # noqa: F401
from app.imports.uploads import UploadRequest
from app.main import bp as main_bp
from app.main import views as _main_views  # noqa: F401
from app.offline import bp as offline_bp
from app.offline import views as _offline_views  # noqa: F401
from app.production import check_production
from app.programmes import bp as programmes_bp
from app.programmes import views as _programmes_views  # noqa: F401
from app.referrals import bp as referrals_bp
from app.referrals.views import caseloads as _caseloads  # noqa: F401
from app.referrals.views import cases as _cases  # noqa: F401
from app.referrals.views import people as _people  # noqa: F401
from app.reports import bp as reports_bp
from app.reports import views as _reports_views  # noqa: F401
from app.security import register_security
from app.reminders import bp as reminders_bp
from app.reminders import views as _reminders_views  # noqa: F401
from app.todo import bp as todo_bp
from app.todo import views as _todo_views  # noqa: F401
from app.tokens import bp as tokens_bp
from app.tokens import views as _tokens_views  # noqa: F401
from app.sqlite import configure_postgresql, configure_sqlite
from app.templating import register_filters
from config import CONFIGS, config_name_from_env


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app. It only wires things together: no tables, migrations or seeding here."""
    app = Flask("app", instance_relative_config=False)  # the package, as before the factory had its own module
    app.request_class = UploadRequest  # casework imports have their own upload limit
    app.config.from_object(CONFIGS[config_name or config_name_from_env()])
    if overrides:
        app.config.update(overrides)
    app.url_map.converters["int"] = IdConverter  # every <int:…> in a route: 1 … 2**31 - 1, else 404
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    register_errorhandlers(app)
    if app.config.get("ENV_NAME") == "production":
        check_production(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
        configure_postgresql(db.engine)  # no JIT for short statements
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), compare_type=True,
                     render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        return load_session_user(user_id)


def register_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader([
        PackageLoader("app"),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)
    register_filters(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(programmes_bp, url_prefix="/programmes")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(finance_bp, url_prefix="/finance")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(clocks_bp, url_prefix="/programmes")
    app.register_blueprint(todo_bp)
    app.register_blueprint(reminders_bp, url_prefix="/reminders")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(tokens_bp)
    app.register_blueprint(offline_bp, url_prefix="/offline")
    register_api(app)


def register_request_hooks(app: Flask) -> None:
    register_security(app)


def register_cli(app: Flask) -> None:
    register_commands(app)


def register_errorhandlers(app: Flask) -> None:
    _register_error_pages(app)

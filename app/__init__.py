"""Waypoint: case management and reporting for violence-reduction navigator programmes."""
from __future__ import annotations

from flask import Flask

from config import CONFIGS, config_name_from_env


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app. It only wires things together: no tables, migrations or seeding here."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(CONFIGS[config_name or config_name_from_env()])
    if overrides:
        app.config.update(overrides)
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    register_errorhandlers(app)
    if app.config.get("ENV_NAME") == "production":
        from app.production import check_production

        check_production(app)
    return app


def register_extensions(app: Flask) -> None:
    from app.db import db
    from app.extensions import csrf, login_manager, migrate
    from app.sqlite import configure_sqlite

    from app import models as _models  # noqa: F401  (the whole schema, for migrations and tests)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), compare_type=True,
                     render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        from app.auth.sessions import load_session_user

        return load_session_user(user_id)


def register_templates(app: Flask) -> None:
    from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

    from app.templating import register_filters

    app.jinja_loader = ChoiceLoader([
        PackageLoader("app"),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)
    register_filters(app)


def register_blueprints(app: Flask) -> None:
    from app import auth, main, programmes

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(programmes.bp, url_prefix="/programmes")
    for name in ("referrals", "reports", "finance", "api", "admin"):
        _register_optional(app, name)


def _register_optional(app: Flask, name: str) -> None:
    """Domain blueprints land one issue at a time; each package exposes `bp` when it has views."""
    import importlib

    module = importlib.import_module(f"app.{name}")
    bp = getattr(module, "bp", None)
    if bp is not None:
        app.register_blueprint(bp, url_prefix=getattr(module, "URL_PREFIX", f"/{name}"))


def register_request_hooks(app: Flask) -> None:
    from app.security import register_security

    register_security(app)


def register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register_errorhandlers as _register

    _register(app)

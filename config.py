"""Configuration classes. This module is the ONLY reader of environment variables."""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


# Finance rule settings (DOMAIN.md §4). Parsed here, with the reason for any refusal, so a wrong value stops
# the app at start-up instead of quietly changing a compliance judgement.
EVALUATION_BASES = ("of_interventions", "of_interventions_plus_evaluation")
LINE_TYPES = ("programme_team", "evaluation", "training", "intervention", "data_sharing", "other")


def parse_evaluation_basis(value: str) -> str:
    value = value.strip().lower()
    if value not in EVALUATION_BASES:
        raise ValueError(f"FINANCE_EVALUATION_BASIS must be one of {', '.join(EVALUATION_BASES)}, not {value!r}")
    return value


def parse_q4_threshold(value: str) -> str:
    """A share of the year's spend, as a decimal string: "0.35" (35%). "35" and "35%" are read as 35%."""
    from decimal import Decimal, InvalidOperation

    text = value.strip().rstrip("%").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"FINANCE_Q4_THRESHOLD must be a share such as 0.35 or 35%, not {value!r}") from None
    if number > 1:
        number = number / 100
    if not Decimal("0") < number < Decimal("1"):
        raise ValueError(f"FINANCE_Q4_THRESHOLD must be between 0% and 100%, not {value!r}")
    return str(number)


def parse_intervention_line_types(value: str) -> tuple[str, ...]:
    types = tuple(dict.fromkeys(t.strip().lower() for t in value.split(",") if t.strip()))
    unknown = [t for t in types if t not in LINE_TYPES]
    if not types or unknown:
        raise ValueError(f"FINANCE_INTERVENTION_LINE_TYPES must list line types from {', '.join(LINE_TYPES)}, "
                         f"not {value!r}")
    if "evaluation" in types:
        raise ValueError("FINANCE_INTERVENTION_LINE_TYPES cannot include evaluation: the 10% rule compares "
                         "evaluation with intervention spend")
    return types


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def normalise_db_url(url: str) -> str:
    """Accept plain postgres:// URLs and route them through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Base:
    SERVICE_NAME = "Waypoint"
    SECRET_KEY = _env("SECRET_KEY", "dev-only-not-secret-change-me")
    SQLALCHEMY_DATABASE_URI = normalise_db_url(
        _env("DATABASE_URL", _sqlite_url(INSTANCE_DIR / "waypoint.db"))
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session, which has its own lifetime
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (ledgers, imports) are small
    # Casework imports: the largest file accepted (years of casework: about 50 MB holds 200,000 rows), and
    # whether the web works on a file in a background thread so the page can show progress.
    IMPORT_MAX_BYTES = int(_env("IMPORT_MAX_MB", "50")) * 1024 * 1024
    IMPORT_IN_BACKGROUND = True
    PER_PAGE = 25
    # API tokens (issue 9): days a new token lives before it must be replaced.
    API_TOKEN_DAYS = int(_env("API_TOKEN_DAYS", "90"))
    # API calls a minute per token and per client address (all API routes together; app/limits.py storage).
    API_TOKEN_RATE_LIMIT = _env("API_TOKEN_RATE_LIMIT", "120 per minute")
    API_IP_RATE_LIMIT = _env("API_IP_RATE_LIMIT", "600 per minute")
    # Sessions (SECURITY.md §5): minutes of inactivity, hours overall.
    SESSION_IDLE_MINUTES = int(_env("SESSION_IDLE_MINUTES", "30"))
    SESSION_ABSOLUTE_HOURS = int(_env("SESSION_ABSOLUTE_HOURS", "12"))
    # Sign-in defences (SECURITY.md §4, docs/security.md): first a limit per account *and* address (an attacker
    # elsewhere uses up only their own allowance), and per address across accounts (spraying); then, at a higher
    # count, the account itself locks for LOGIN_LOCKOUT_MINUTES — except from the places this account signed in
    # from in the last LOGIN_USUAL_PLACE_DAYS, so an attacker cannot keep the real user out.
    SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP = _env("SIGN_IN_LIMIT_PER_ACCOUNT_AND_IP", "10 per 15 minutes")
    SIGN_IN_LIMIT_PER_IP = _env("SIGN_IN_LIMIT_PER_IP", "60 per 15 minutes")
    PASSWORD_CHANGE_LIMIT = _env("PASSWORD_CHANGE_LIMIT", "10 per 15 minutes")
    LOGIN_MAX_FAILURES = int(_env("LOGIN_MAX_FAILURES", "20"))
    LOGIN_LOCKOUT_MINUTES = int(_env("LOGIN_LOCKOUT_MINUTES", "15"))
    LOGIN_USUAL_PLACE_DAYS = int(_env("LOGIN_USUAL_PLACE_DAYS", "30"))
    # Rate limits (SECURITY.md §4, app/limits.py). REDIS_URL makes every worker count against the same numbers;
    # without it each process counts on its own (see app/limits.py for what that means).
    # How many reverse proxies stand in front of the app (nginx: 1). Their X-Forwarded-For / -Proto are trusted;
    # with 0 (the default) those headers are ignored, so a client cannot choose the address that is audited.
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
    HSTS_SECONDS = 0  # Strict-Transport-Security: off by default (plain HTTP on a developer's machine) ...
    # The audit chain's key (HMAC): held outside the database, so whoever can rewrite the database cannot re-chain it.
    # Production refuses to start without a strong one. Checkpoints of the chain's head go to a file outside the
    # database (keep the instance folder on the app server, and a copy of each line elsewhere).
    AUDIT_KEY = _env("WAYPOINT_AUDIT_KEY", "dev-only-audit-key-not-secret")
    AUDIT_CHECKPOINT_FILE = _env("AUDIT_CHECKPOINT_FILE", str(INSTANCE_DIR / "audit-checkpoints.jsonl"))
    # `flask audit checkpoint` also e-mails the head here (comma-separated addresses; unset: no e-mail), by MAIL_*.
    AUDIT_CHECKPOINT_EMAIL = _env("AUDIT_CHECKPOINT_EMAIL")
    REDIS_URL = _env("REDIS_URL")
    RATELIMIT_STORAGE_URI = _env("REDIS_URL") or "memory://"
    RATELIMIT_STORAGE_OPTIONS = ({"socket_connect_timeout": 0.5, "socket_timeout": 0.5} if _env("REDIS_URL")
                                 else {})
    RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "waypoint")
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True  # a Redis outage must not refuse every request ...
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # ... counting carries on in memory until it is back
    # How many gunicorn workers share this app (the production gate refuses memory storage with more than one).
    WAYPOINT_WORKERS = int(_env("WAYPOINT_WORKERS", _env("WEB_CONCURRENCY", "1")) or "1")
    # Idempotency keys (app/idempotency.py) are kept this long, then purged.
    IDEMPOTENCY_KEEP_HOURS = int(_env("IDEMPOTENCY_KEEP_HOURS", "24"))
    # Offline capture (issue 14): hours a device may keep a caseload without reaching the server; the outbox's
    # API token lives as long.
    OFFLINE_MAX_AGE_HOURS = int(_env("OFFLINE_MAX_AGE_HOURS", "12"))
    # Retention (SECURITY.md §10): years after closure before anonymisation.
    RETENTION_YEARS = int(_env("RETENTION_YEARS", "6"))
    DEMO_PASSWORD = _env("WAYPOINT_DEMO_PASSWORD", "waypoint-demo-2024")
    # Finance rules (DOMAIN.md §4): which 10% measure decides (the other is shown for information); the share
    # of the year's spend in Q4 above which a warning shows; the line types whose spend counts as intervention
    # spend for the 30% rule (and as the 10% rule's denominator).
    FINANCE_EVALUATION_BASIS = parse_evaluation_basis(_env("FINANCE_EVALUATION_BASIS", "of_interventions"))
    FINANCE_Q4_THRESHOLD = parse_q4_threshold(_env("FINANCE_Q4_THRESHOLD", "0.35"))
    FINANCE_INTERVENTION_LINE_TYPES = parse_intervention_line_types(
        _env("FINANCE_INTERVENTION_LINE_TYPES", "intervention"))
    # Reminder e-mails (`flask reminders send`): the SMTP server, the sender, and the address links point to.
    MAIL_BACKEND = "smtp"  # always real SMTP, in tests too (they start their own server)
    MAIL_SERVER = _env("MAIL_SERVER", "localhost")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = _env("MAIL_USE_SSL", "false").lower() in ("1", "true", "yes")
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_TIMEOUT = int(_env("MAIL_TIMEOUT", "30"))
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Waypoint <waypoint@localhost>")
    BASE_URL = _env("WAYPOINT_BASE_URL", "http://127.0.0.1:5000")
    ENV_NAME = "base"


class Development(Base):
    ENV_NAME = "development"
    DEBUG = True


class Test(Base):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"
    # tests/conftest.py points this at a fresh SQLite file or at TEST_DATABASE_URL.
    SQLALCHEMY_DATABASE_URI = _sqlite_url(INSTANCE_DIR / "test.db")
    # CSRF stays on in tests: the test client adds the token (DESIGN.md §4.7).
    WTF_CSRF_ENABLED = True
    ARGON2_FAST = True  # cheaper hashes so the suite stays quick
    # Each test starts with no counts (tests/conftest.py resets them); tests that need Redis set it themselves.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STORAGE_OPTIONS: dict = {}
    IMPORT_IN_BACKGROUND = False  # each test runs in one rolled-back transaction
    AUDIT_KEY = "test-audit-key-not-for-production-0123456789"
    AUDIT_CHECKPOINT_FILE = str(INSTANCE_DIR / "test-audit-checkpoints.jsonl")


class Production(Base):
    ENV_NAME = "production"
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = int(_env("HSTS_SECONDS", str(365 * 24 * 3600)))  # ... a year in production
    SECRET_KEY = _env("SECRET_KEY")  # no default: the production gate refuses to start without one
    AUDIT_KEY = _env("WAYPOINT_AUDIT_KEY")  # no default either


CONFIGS = {
    "development": Development,
    "test": Test,
    "production": Production,
}


def config_name_from_env() -> str:
    return _env("WAYPOINT_CONFIG", _env("FLASK_CONFIG", "development"))


def test_database_url() -> str | None:
    """The PostgreSQL URL the suite also runs against (None: SQLite only)."""
    url = _env("TEST_DATABASE_URL")
    return normalise_db_url(url) if url else None


def test_target() -> str:
    """Which database this pytest run uses: 'sqlite' (default) or 'postgres'."""
    return _env("WAYPOINT_TEST_DB", "sqlite")


def chromium_path_override() -> str | None:
    return _env("CHROMIUM_PATH")

"""Authentication and account use cases. Services flush; the view or CLI commits."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth import sessions, two_factor
from app.auth.models import Organisation, OrganisationKind, User, UserSession
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.roles import Capability, Role
from app.db import db, utcnow
from app.errors import DomainError

SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_FAILED = "Enter the 6-digit code shown in your authenticator app now"


def _usual_place(user: User, ip: str | None) -> bool:
    """Has this account completed a sign-in from this address lately? (Its own sign-ins from there are limited per
    account and address by the rate limiter, not stopped by the account-wide lock an attacker elsewhere set off.)"""
    if not ip:
        return False
    since = utcnow() - timedelta(days=current_app.config["LOGIN_USUAL_PLACE_DAYS"])
    return db.session.execute(
        sa.select(UserSession.id).where(UserSession.user_id == user.id, UserSession.ip == ip,
                                        UserSession.created_at >= since).limit(1)
    ).first() is not None


def _reserve_attempt(user: User, now) -> int | None:
    """Count this attempt *before* checking the secret, in one statement: ``UPDATE … SET failed_logins =
    failed_logins + 1 WHERE not locked RETURNING failed_logins``. The row stays locked (PostgreSQL) or the database
    is written by one transaction at a time (SQLite, BEGIN IMMEDIATE) until the attempt commits, so parallel guesses
    take turns and each sees the count the one before left: exactly LOGIN_MAX_FAILURES are checked, never more.
    Returns the attempt's number, or None when the account is locked."""
    number = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, sa.or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.refresh(user)
    return number


def _attempt_failed(user: User, number: int | None, now) -> None:
    """A wrong password or code, already counted by _reserve_attempt: lock at the limit."""
    if number is not None and number >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        audit.record(user, "auth.locked_out", user)


def _attempt_passed(user: User, number: int | None) -> None:
    """The secret was right: this attempt does not count against the account."""
    if number is not None:
        user.failed_logins = max(0, number - 1)


def _open_for(user: User, now, ip: str | None) -> tuple[bool, int | None]:
    """(may this attempt be checked?, its number in the account's count). From a usual place the account-wide lock
    does not apply and nothing is counted against the account."""
    if _usual_place(user, ip):
        return True, None
    number = _reserve_attempt(user, now)
    if number is None:
        return False, None
    if number > current_app.config["LOGIN_MAX_FAILURES"]:  # a count left over (e.g. the setting was lowered)
        _attempt_failed(user, number, now)
        return False, None
    return True, number


def authenticate(email: str, password: str, ip: str | None = None) -> User | None:
    """Check the password. A success here is only the first factor: see complete_sign_in."""
    email = (email or "").strip().lower()
    user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
    now = utcnow()
    if user is None:
        verify_password(None, password)  # the same work as for a real account: no enumeration by timing
        audit.record(None, "auth.sign_in_failed", detail={"email": email[:254], "reason": "unknown"})
        return None
    allowed, number = _open_for(user, now, ip)
    if not allowed:
        verify_password(None, password)
        audit.record(user, "auth.sign_in_failed", user, detail={"reason": "locked"})
        return None
    ok = verify_password(user.password_hash, password)
    if not ok or not user.active:
        _attempt_failed(user, number, now)
        audit.record(user, "auth.sign_in_failed", user,
                     detail={"reason": "disabled" if ok else "bad_password"})
        return None
    _attempt_passed(user, number)
    if user.two_factor_enabled:
        audit.record(user, "auth.password_accepted", user)
    return user


def check_second_factor(user: User, code: str, ip: str | None = None) -> bool:
    """The TOTP step after a correct password. Wrong codes count towards the same lockout, the same way."""
    now = utcnow()
    if not user.active or not user.totp_secret:
        audit.record(user, "auth.two_factor_failed", user, detail={"reason": "locked_or_disabled"})
        return False
    allowed, number = _open_for(user, now, ip)
    if not allowed:
        audit.record(user, "auth.two_factor_failed", user, detail={"reason": "locked_or_disabled"})
        return False
    step = two_factor.matching_step(user.totp_secret, code, after=user.totp_last_step)
    if step is None:
        _attempt_failed(user, number, now)
        audit.record(user, "auth.two_factor_failed", user, detail={"reason": "bad_code"})
        return False
    _attempt_passed(user, number)
    user.totp_last_step = step
    return True


def begin_pending_sign_in(user: User) -> str:
    """The password was right and a code comes next: a single-use token for this browser, held on the server."""
    token = secrets.token_urlsafe(32)
    user.pending_sign_in_hash = hashlib.sha256(token.encode()).hexdigest()
    user.pending_sign_in_at = utcnow()
    return token


def pending_sign_in(user_id, token, max_age_seconds: int) -> User | None:
    """The user whose password step this browser completed, if that step is still live (not used, not replaced
    by a later one, not older than max_age_seconds)."""
    if not isinstance(user_id, int) or not isinstance(token, str) or not token:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.pending_sign_in_hash or not user.pending_sign_in_at:
        return None
    if (utcnow() - user.pending_sign_in_at).total_seconds() > max_age_seconds:
        return None
    if not hmac.compare_digest(user.pending_sign_in_hash, hashlib.sha256(token.encode()).hexdigest()):
        return None
    return user


def complete_sign_in(user: User) -> None:
    """Both factors passed: a fresh server-side session (never the one the browser brought)."""
    user.pending_sign_in_hash = None  # the password step is used up
    user.pending_sign_in_at = None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    sessions.start_session(user)
    audit.record(user, "auth.signed_in", user)


def sign_out(user: User) -> None:
    ended = sessions.revoke_all(user, "signed_out")
    audit.record(user, "auth.signed_out", user, detail={"sessions_ended": ended})


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise DomainError("Your current password is not correct", "current_password")
    problem = password_problem(new or "", email=user.email)
    if problem:
        raise DomainError(problem, "new_password")
    if verify_password(user.password_hash, new):
        raise DomainError("Choose a password different from your current one", "new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    ended = sessions.revoke_all(user, "password_changed")
    audit.record(user, "account.password_changed", user, detail={"sessions_ended": ended})


def enrol_two_factor(user: User, secret: str, code: str) -> None:
    step = two_factor.matching_step(secret, code)
    if step is None:
        raise DomainError("That code did not match. Enter the 6-digit code your app shows now", "code")
    user.totp_secret = secret
    user.totp_last_step = step
    audit.record(user, "account.two_factor_enrolled", user)


def turn_off_two_factor(user: User) -> None:
    if user.two_factor_required:
        raise DomainError("Your role must use a second factor; ask an administrator to reset it if you lose your phone")
    user.totp_secret = None
    user.totp_last_step = None
    audit.record(user, "account.two_factor_removed", user)


# --- administration -------------------------------------------------------------------------------------------

def _require_admin(actor) -> None:
    if not actor.can(Capability.MANAGE_USERS):
        raise DomainError("You cannot manage accounts")


def create_user(*, email: str, full_name: str, password: str, role, organisation, is_demo: bool = False) -> User:
    user = User(email=email.strip().lower(), full_name=full_name, password_hash=hash_password(password),
                role=role, organisation=organisation, is_demo=is_demo)
    db.session.add(user)
    db.session.flush()
    return user


def create_account(actor, *, email: str, full_name: str, password: str, role: Role, organisation) -> User:
    _require_admin(actor)
    email = email.strip().lower()
    if db.session.execute(sa.select(User.id).where(sa.func.lower(User.email) == email)).first():
        raise DomainError("There is already an account with this email address", "email")
    problem = password_problem(password, email=email)
    if problem:
        raise DomainError(problem, "password")
    user = create_user(email=email, full_name=full_name.strip(), password=password, role=role, organisation=organisation)
    audit.record(actor, "admin.user_created", user, detail={"email": email, "role": role.value,
                                                            "organisation_id": organisation.id})
    return user


def set_active(actor, user: User, active: bool) -> None:
    _require_admin(actor)
    if user.id == actor.id and not active:
        raise DomainError("You cannot disable your own account")
    user.active = active
    ended = 0 if active else sessions.revoke_all(user, "disabled")
    audit.record(actor, "admin.user_enabled" if active else "admin.user_disabled", user,
                 detail={"sessions_ended": ended})


def reset_two_factor(actor, user: User) -> None:
    """Recovery for a lost phone: the person sets up again at their next sign-in."""
    _require_admin(actor)
    user.totp_secret = None
    user.totp_last_step = None
    ended = sessions.revoke_all(user, "two_factor_reset")
    audit.record(actor, "admin.two_factor_reset", user, detail={"sessions_ended": ended})


def unlock(actor, user: User) -> None:
    _require_admin(actor)
    user.locked_until = None
    user.failed_logins = 0
    audit.record(actor, "admin.user_unlocked", user)


def create_organisation(actor, *, name: str, kind: OrganisationKind, consortium: str | None = None) -> Organisation:
    _require_admin(actor)
    name = name.strip()
    if db.session.execute(sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())).first():
        raise DomainError("There is already an organisation with this name", "name")
    org = Organisation(name=name, kind=kind, consortium=(consortium or "").strip() or None)
    db.session.add(org)
    db.session.flush()
    audit.record(actor, "admin.organisation_created", org, detail={"name": name, "kind": kind.value})
    return org

"""Authentication and account use cases. Services flush; the view or CLI commits."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth import sessions, two_factor
from app.auth.models import Organisation, OrganisationKind, User
from app.auth.passwords import hash_password, password_problem, verify_password
from app.auth.roles import Capability, Role
from app.db import db, utcnow
from app.errors import DomainError

SIGN_IN_FAILED = "Enter a correct email address and password"
CODE_FAILED = "Enter the 6-digit code shown in your authenticator app now"


def _count_failure(user: User, now) -> None:
    """Failures (password or code) are counted in the database so lockout holds across workers."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        audit.record(user, "auth.locked_out", user)


def authenticate(email: str, password: str) -> User | None:
    """Check the password. A success here is only the first factor: see complete_sign_in."""
    email = (email or "").strip().lower()
    user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    now = utcnow()
    if user is None:
        audit.record(None, "auth.sign_in_failed", detail={"email": email[:254], "reason": "unknown"})
        return None
    if user.locked_until and user.locked_until > now:
        audit.record(user, "auth.sign_in_failed", user, detail={"reason": "locked"})
        return None
    if not ok or not user.active:
        _count_failure(user, now)
        audit.record(user, "auth.sign_in_failed", user,
                     detail={"reason": "disabled" if ok else "bad_password"})
        return None
    if user.two_factor_enabled:
        audit.record(user, "auth.password_accepted", user)
    return user


def check_second_factor(user: User, code: str) -> bool:
    """The TOTP step after a correct password. Wrong codes count towards the same lockout."""
    now = utcnow()
    if not user.active or (user.locked_until and user.locked_until > now) or not user.totp_secret:
        audit.record(user, "auth.two_factor_failed", user, detail={"reason": "locked_or_disabled"})
        return False
    step = two_factor.matching_step(user.totp_secret, code, after=user.totp_last_step)
    if step is None:
        _count_failure(user, now)
        audit.record(user, "auth.two_factor_failed", user, detail={"reason": "bad_code"})
        return False
    user.totp_last_step = step
    return True


def complete_sign_in(user: User) -> None:
    """Both factors passed: a fresh server-side session (never the one the browser brought)."""
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

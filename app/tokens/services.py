"""Making, using and revoking API tokens (issue 9, item 2). Each takes the acting user, audits and flushes;
the page or the API commits at the edge."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth.models import Organisation, User
from app.auth.passwords import hash_password
from app.auth.roles import Capability, Role
from app.db import db, utcnow
from app.errors import DomainError
from app.tokens.models import ApiToken, TokenKind

PREFIX = "wp_"
# Roles a provider's system may be given. A system acts for one organisation; the programme office,
# finance and administrators are people, who make personal tokens.
SERVICE_ROLES = (Role.YOUTH_WORKER, Role.PROVIDER_MANAGER)
MAX_NAME = 100


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def lifetime_days() -> int:
    return int(current_app.config.get("API_TOKEN_DAYS", 90))


def _lifetime() -> timedelta:
    return timedelta(days=lifetime_days())


def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name, for example ‘Case system at St Mary’s’", "name")
    if len(name) > MAX_NAME:
        raise DomainError(f"Keep the name to {MAX_NAME} characters or fewer", "name")
    return name


def _mint(name: str, kind: TokenKind, user: User, created_by: User) -> tuple[ApiToken, str]:
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, kind=kind, user=user, created_by_id=created_by.id, prefix=raw[:10],
                     token_hash=hash_token(raw), expires_at=utcnow() + _lifetime())
    db.session.add(token)
    db.session.flush()
    return token, raw


def create_personal_token(actor: User, name: str) -> tuple[ApiToken, str]:
    """A token that acts as `actor`. The raw token is returned once and never stored."""
    if not actor.can(Capability.MANAGE_OWN_ACCOUNT):
        raise DomainError("Your role cannot make API tokens")
    token, raw = _mint(_clean_name(name), TokenKind.PERSONAL, actor, actor)
    audit.record(actor, "api_token.created", token, detail={"kind": "personal", "name": token.name,
                                                             "expires_at": token.expires_at.isoformat()})
    return token, raw


def create_service_token(actor: User, name: str, organisation_id: int, role: Role) -> tuple[ApiToken, str]:
    """A token for an organisation's system, acting as a service account with `role` in that organisation."""
    if not actor.can(Capability.MANAGE_USERS):
        raise DomainError("Only an administrator can make service tokens")
    name = _clean_name(name)
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.active:
        raise DomainError("Choose an organisation", "organisation_id")
    if role not in SERVICE_ROLES:
        raise DomainError("Choose youth worker or provider manager", "role")
    account = User(email=f"system-{secrets.token_hex(6)}@service-accounts.invalid", full_name=f"{name} (system)",
                   # Nobody knows this password: a service account cannot sign in to the pages.
                   password_hash=hash_password(secrets.token_urlsafe(32)), role=role,
                   organisation_id=organisation.id,
                   # Inactive: never offered as a worker to assign, never able to sign in.
                   active=False)
    db.session.add(account)
    db.session.flush()
    token, raw = _mint(name, TokenKind.SERVICE, account, actor)
    audit.record(actor, "api_token.created", token, detail={
        "kind": "service", "name": name, "organisation": organisation.name, "role": role.value,
        "service_account": account.id, "expires_at": token.expires_at.isoformat()})
    return token, raw


def revoke_token(actor: User, token: ApiToken) -> ApiToken:
    """A person revokes their own tokens; an administrator revokes service tokens."""
    own = token.kind is TokenKind.PERSONAL and token.user_id == actor.id
    service = token.kind is TokenKind.SERVICE and actor.can(Capability.MANAGE_USERS)
    if not (own or service):
        raise DomainError("You cannot revoke this token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        db.session.flush()
        audit.record(actor, "api_token.revoked", token, detail={"kind": token.kind.value, "name": token.name})
    return token


def authenticate(raw: str | None, ip: str | None) -> ApiToken | None:
    """The live token for a raw bearer value (and note its use), or None: unknown, revoked or expired, or
    a personal token whose owner's account is disabled."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = db.session.execute(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw))
                               ).scalar_one_or_none()
    now = utcnow()
    if token is None or token.state(now) != "active":
        return None
    if token.kind is TokenKind.PERSONAL and not token.user.active:
        return None
    token.last_used_at = now
    token.last_used_ip = (ip or "")[:64] or None
    return token


def personal_tokens(user: User) -> list[ApiToken]:
    return list(db.session.execute(sa.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.kind == TokenKind.PERSONAL).order_by(ApiToken.id.desc())).scalars())


def service_tokens() -> list[ApiToken]:
    return list(db.session.execute(sa.select(ApiToken).where(ApiToken.kind == TokenKind.SERVICE)
                                   .order_by(ApiToken.id.desc())).scalars())


def get_own_token(user: User, token_id: int) -> ApiToken | None:
    return db.session.execute(sa.select(ApiToken).where(
        ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.kind == TokenKind.PERSONAL)).scalar_one_or_none()


def get_service_token(token_id: int) -> ApiToken | None:
    return db.session.execute(sa.select(ApiToken).where(
        ApiToken.id == token_id, ApiToken.kind == TokenKind.SERVICE)).scalar_one_or_none()


def is_service_account(user: User) -> bool:
    return db.session.execute(sa.select(ApiToken.id).where(
        ApiToken.user_id == user.id, ApiToken.kind == TokenKind.SERVICE).limit(1)).first() is not None

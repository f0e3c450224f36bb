"""Setting up a live Waypoint (issue 9, item 6): one organisation — the VRU — and its first administrator,
nothing else. Everything after that is done in the app by that administrator (organisations, accounts,
service tokens) and the programme office (programmes, sites, targets), or by importing existing casework."""
from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from app import audit
from app.auth.models import Organisation, OrganisationKind, User
from app.auth.passwords import password_problem
from app.auth.roles import Role
from app.auth.services import create_user
from app.db import db
from app.errors import DomainError


def already_set_up() -> bool:
    return bool(db.session.execute(sa.select(Organisation.id).limit(1)).first()
                or db.session.execute(sa.select(User.id).limit(1)).first())


def set_up_live(*, organisation: str, email: str, full_name: str, password: str) -> User:
    """Create the VRU and its first administrator. Refused on a database that already holds anyone, so it can
    never add a second way in to a running system (use the Users page, or `flask users create`)."""
    if already_set_up():
        raise DomainError("This database already has organisations or accounts: Waypoint is set up. Add people "
                          "on the Users page, or with `flask users create`.")
    organisation, full_name = (organisation or "").strip(), (full_name or "").strip()
    if not organisation or len(organisation) > 200:
        raise DomainError("Give the VRU's name (up to 200 characters)", "organisation")
    if not full_name or len(full_name) > 200:
        raise DomainError("Give the administrator's full name (up to 200 characters)", "name")
    try:
        email = validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise DomainError(f"Enter a real email address: {exc}", "email") from None
    problem = password_problem(password or "", email=email)
    if problem:
        raise DomainError(problem, "password")
    vru = Organisation(name=organisation, kind=OrganisationKind.VRU)
    db.session.add(vru)
    db.session.flush()
    admin = create_user(email=email, full_name=full_name, password=password, role=Role.ADMIN, organisation=vru)
    audit.record(None, "install.set_up", admin, detail={"organisation": vru.name, "email": email, "via": "cli"})
    return admin

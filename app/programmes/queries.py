from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.auth.models import Organisation, OrganisationKind
from app.db import db
from app.programmes.models import CountingWindow, Programme, Site, Target


def programmes():
    return sa.select(Programme).order_by(Programme.name)


def get_programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return programme


def get_site(programme: Programme, site_id: int) -> Site:
    site = db.session.execute(
        sa.select(Site).where(Site.id == site_id, Site.programme_id == programme.id)
    ).scalar_one_or_none()
    if site is None:
        abort(404)
    return site


def provider_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name)
        .where(Organisation.kind.in_([OrganisationKind.VCS_PROVIDER, OrganisationKind.STATUTORY,
                                      OrganisationKind.NHS_TRUST, OrganisationKind.SCHOOL]))
        .order_by(Organisation.name)
    ).all()
    return [(r.id, r.name) for r in rows]


def windows_of(programme_id: int):
    return db.session.execute(
        sa.select(CountingWindow).where(CountingWindow.programme_id == programme_id).order_by(CountingWindow.fy)
    ).scalars().all()


def targets_of(programme_id: int):
    return db.session.execute(
        sa.select(Target).where(Target.programme_id == programme_id).order_by(Target.fy.desc(), Target.measure)
    ).scalars().all()

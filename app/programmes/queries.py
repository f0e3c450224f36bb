from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from app.auth.models import Organisation, OrganisationKind
from app.db import db
from app.programmes.models import CountingWindow, Programme, Site, Target
from app.programmes.models import TrainingEvent


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


def training_events_of(programme_id: int, starts_on=None, ends_on=None):
    """A programme's training events, newest first, with their attendees loaded (one query each way)."""
    from sqlalchemy.orm import selectinload


    stmt = (sa.select(TrainingEvent).where(TrainingEvent.programme_id == programme_id)
            .options(selectinload(TrainingEvent.attendees))
            .order_by(TrainingEvent.held_on.desc(), TrainingEvent.id.desc()))
    if starts_on is not None:
        stmt = stmt.where(TrainingEvent.held_on >= starts_on)
    if ends_on is not None:
        stmt = stmt.where(TrainingEvent.held_on <= ends_on)
    return db.session.execute(stmt).scalars().all()


def get_training_event(programme: Programme, event_id: int):

    event = db.session.execute(sa.select(TrainingEvent).where(
        TrainingEvent.id == event_id, TrainingEvent.programme_id == programme.id)).scalar_one_or_none()
    if event is None:
        abort(404)
    return event

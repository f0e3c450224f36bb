"""Programme set-up use cases for the programme office. Each checks meaning, audits, flushes; never commits."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import audit
from app.auth.models import Organisation
from app.auth.roles import Capability
from app.db import db
from app.errors import DomainError
from app.periods import fy_bounds, fy_label, fy_of, quarter_label, quarter_of
from app.periods.locks import is_locked
from app.programmes.models import CountingWindow, Programme, Site, Target, TargetMeasure
from app.auth.policies import delivers_programme
from app.programmes.models import TrainingAttendee
from app.programmes.models import TrainingEvent
from app.referrals.models import Referral

PROGRAMME_FIELDS = (
    "name", "kind", "ho_category", "ho_category_secondary", "tiers", "cohort", "min_age", "max_age",
    "referral_trigger", "session_cap", "cadence_days", "reach_unit", "evaluation_stage", "trial_enabled",
    "trial_stratify_by_site", "trial_seed", "outcome_types", "description",
)


def _require(actor, capability: Capability) -> None:
    if not actor.can(capability):
        raise DomainError("Your role cannot change programme set-up")


def _check_programme(values: dict, programme_id: int | None) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError("Enter the programme name", "name")
    clash = db.session.execute(
        sa.select(Programme.id).where(sa.func.lower(Programme.name) == name.lower(), Programme.id != (programme_id or 0))
    ).first()
    if clash:
        raise DomainError(f"There is already a programme called {name}", "name")
    lo, hi = values.get("min_age"), values.get("max_age")
    if lo is not None and hi is not None and lo > hi:
        raise DomainError("The oldest eligible age must be the same as or more than the youngest", "max_age")
    if values.get("ho_category_secondary") and values.get("ho_category_secondary") == values.get("ho_category"):
        raise DomainError("The secondary category must differ from the primary one", "ho_category_secondary")


def save_programme(actor, values: dict, programme: Programme | None = None) -> Programme:
    _require(actor, Capability.MANAGE_PROGRAMMES)
    _check_programme(values, programme.id if programme else None)
    creating = programme is None
    programme = programme or Programme()
    before = {f: _plain(getattr(programme, f, None)) for f in PROGRAMME_FIELDS} if not creating else None
    _check_seed(programme, values, creating)
    for field in PROGRAMME_FIELDS:
        if field in values:
            setattr(programme, field, values[field])
    programme.name = programme.name.strip()
    if programme.trial_enabled and programme.trial_seed is None:
        import secrets

        programme.trial_seed = secrets.randbelow(2**31)
    db.session.add(programme)
    db.session.flush()
    after = {f: _plain(getattr(programme, f)) for f in PROGRAMME_FIELDS}
    changed = after if creating else {k: v for k, v in after.items() if before.get(k) != v}
    audit.record(actor, "programme.created" if creating else "programme.updated", programme, detail=changed)
    return programme


def _check_seed(programme: Programme, values: dict, creating: bool) -> None:
    """The seed is recorded at set-up (DOMAIN.md §6). Once Waypoint has drawn with it, changing it would make
    the recorded draws impossible to re-run, so it is fixed from then on. Left blank, it is kept (or picked)."""
    if "trial_seed" not in values:
        return
    if values["trial_seed"] is None:
        values.pop("trial_seed")
        return
    if creating or values["trial_seed"] == programme.trial_seed:
        return
    drawn = db.session.execute(sa.select(Referral.id).where(
        Referral.programme_id == programme.id, Referral.allocation_draw.startswith("seed=")).limit(1)).first()
    if drawn:
        raise DomainError(f"People have already been allocated with seed {programme.trial_seed}: it cannot change "
                          "now, or their draws could not be re-run", "trial_seed")


def _plain(v):
    return getattr(v, "value", v)


def save_site(actor, programme: Programme, *, name: str, setting, provider_id: int, site: Site | None = None) -> Site:
    _require(actor, Capability.MANAGE_PROGRAMMES)
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter the site name", "name")
    provider = db.session.get(Organisation, provider_id)
    if provider is None:
        raise DomainError("Choose the organisation that delivers here", "provider_id")
    clash = db.session.execute(sa.select(Site.id).where(
        Site.programme_id == programme.id, sa.func.lower(Site.name) == name.lower(), Site.id != (site.id if site else 0)
    )).first()
    if clash:
        raise DomainError(f"{programme.name} already has a site called {name}", "name")
    creating = site is None
    site = site or Site(programme=programme)
    site.name, site.setting, site.provider_id = name, setting, provider.id
    db.session.add(site)
    db.session.flush()
    audit.record(actor, "site.created" if creating else "site.updated", site,
                 detail={"programme": programme.name, "name": name, "provider": provider.name})
    return site


def set_counting_window(actor, programme: Programme, fy: int, starts_on: date, ends_on: date) -> CountingWindow:
    """Override the FY as the counting window (School Navigators 2024-25: 1 Sep – 31 Mar)."""
    _require(actor, Capability.MANAGE_PROGRAMMES)
    if ends_on < starts_on:
        raise DomainError("The end of the counting window must be on or after its start", "ends_on")
    fy_start, fy_end = fy_bounds(fy)
    if starts_on < fy_start or ends_on > fy_end:
        raise DomainError(
            f"A {fy_label(fy)} window must fall between {fy_start:%-d %B %Y} and {fy_end:%-d %B %Y}", "starts_on"
        )
    window = db.session.execute(sa.select(CountingWindow).where(
        CountingWindow.programme_id == programme.id, CountingWindow.fy == fy)).scalar_one_or_none()
    window = window or CountingWindow(programme_id=programme.id, fy=fy)
    window.starts_on, window.ends_on = starts_on, ends_on
    db.session.add(window)
    db.session.flush()
    audit.record(actor, "counting_window.set", window,
                 detail={"programme": programme.name, "fy": fy_label(fy),
                         "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return window


def set_target(actor, programme: Programme, fy: int, measure: TargetMeasure, value: int) -> Target:
    _require(actor, Capability.MANAGE_PROGRAMMES)
    if value is None or value < 0:
        raise DomainError("Enter a target of 0 or more", "value")
    target = db.session.execute(sa.select(Target).where(
        Target.programme_id == programme.id, Target.fy == fy, Target.measure == measure)).scalar_one_or_none()
    previous = target.value if target else None
    target = target or Target(programme_id=programme.id, fy=fy, measure=measure)
    target.value = value
    db.session.add(target)
    db.session.flush()
    audit.record(actor, "target.set", target, detail={"programme": programme.name, "fy": fy_label(fy),
                                                      "measure": measure.value, "from": previous, "to": value})
    return target


def window_for(programme_id: int, fy: int) -> tuple[date, date]:
    """The counting window for (programme, FY): the override if set, else the FY itself."""
    row = db.session.execute(sa.select(CountingWindow.starts_on, CountingWindow.ends_on).where(
        CountingWindow.programme_id == programme_id, CountingWindow.fy == fy)).first()
    return (row.starts_on, row.ends_on) if row else fy_bounds(fy)


def _check_training(actor, programme: Programme, title: str, held_on: date, attendees_text: str | None,
                    anonymous_count: int | None) -> tuple[str, list[str]]:

    if not actor.can(Capability.RECORD_TRAINING):
        raise DomainError("Your role cannot record training")
    if not delivers_programme(actor, programme.id):
        raise DomainError("Your organisation does not deliver this programme", "programme_id")
    title = (title or "").strip()
    if not title:
        raise DomainError("Enter the name of the training", "title")
    if held_on > date.today():
        raise DomainError("The training date must be today or in the past", "held_on")
    _not_in_locked_quarter(held_on, "held_on")
    lines = [line.strip() for line in (attendees_text or "").splitlines() if line.strip()]
    if lines and anonymous_count:
        raise DomainError("Either list the people trained or give a number, not both", "anonymous_count")
    if not lines and not anonymous_count:
        raise DomainError("List the people trained, or give the number trained if names were not taken", "attendees")
    return title, lines


def _not_in_locked_quarter(on: date, field: str | None = None) -> None:
    """Training in a locked quarter was counted in a submitted return: it cannot be changed afterwards."""
    fy, quarter = fy_of(on), quarter_of(on)
    if is_locked(fy, quarter):
        raise DomainError(f"{quarter_label(fy, quarter)} is locked: training held then was counted in a submitted "
                          "return and cannot be changed", field)


def _attendees(lines: list[str]):

    seen, out = set(), []
    for n, line in enumerate(lines, start=1):
        parts = [p.strip() for p in line.split(",")]
        name = parts[0]
        email = next((p for p in parts[1:] if "@" in p), None)
        if not name:
            raise DomainError(f"Line {n}: start with the person's name", "attendees")
        key = (email or " ".join(name.lower().split()))[:254]
        if key in seen:
            continue
        seen.add(key)
        others = [p for p in parts[1:] if p and p != email]
        out.append(TrainingAttendee(professional_key=key, name=name[:200],
                                    role_title=(others[0] if others else None),
                                    organisation_name=(others[1] if len(others) > 1 else None)))
    return out


def attendees_text(event) -> str:
    """An event's attendees as the form shows them, one per line: name, e-mail or key, role, organisation."""
    lines = []
    for a in event.attendees:
        key = a.professional_key if "@" in a.professional_key else None
        lines.append(", ".join(p for p in (a.name, key, a.role_title, a.organisation_name) if p))
    return "\n".join(lines)


def update_training(actor, event, *, held_on: date, title: str, attendees_text: str | None,
                    anonymous_count: int | None = None):
    """Correct a training event: its date, name and who attended. Audited with what it was before."""
    _not_in_locked_quarter(event.held_on, "held_on")
    title, lines = _check_training(actor, event.programme, title, held_on, attendees_text, anonymous_count)
    before = {"title": event.title, "held_on": event.held_on.isoformat(), "attendees": len(event.attendees),
              "anonymous_count": event.anonymous_count}
    event.title, event.held_on, event.anonymous_count = title, held_on, anonymous_count or None
    event.attendees.clear()
    db.session.flush()  # the old attendees go before the new ones take their (event, key) places
    event.attendees.extend(_attendees(lines))
    db.session.flush()
    audit.record(actor, "training.updated", event, detail={
        "programme": event.programme.name, "before": before,
        "after": {"title": title, "held_on": held_on.isoformat(), "attendees": len(event.attendees),
                  "anonymous_count": event.anonymous_count}})
    return event


def delete_training(actor, event) -> None:
    """Remove a training event recorded in error. Audited with what it counted."""

    if not actor.can(Capability.RECORD_TRAINING):
        raise DomainError("Your role cannot record training")
    if not delivers_programme(actor, event.programme_id):
        raise DomainError("Your organisation does not deliver this programme")
    _not_in_locked_quarter(event.held_on)
    audit.record(actor, "training.deleted", event, detail={
        "programme": event.programme.name, "title": event.title, "held_on": event.held_on.isoformat(),
        "attendees": len(event.attendees), "anonymous_count": event.anonymous_count})
    db.session.delete(event)
    db.session.flush()


def record_training(actor, programme: Programme, *, held_on: date, title: str, attendees_text: str | None,
                    anonymous_count: int | None = None):
    """A training event (DOMAIN.md §3.8): named attendees, one per line "Name, email or role, organisation",
    counted once each per year by their e-mail or normalised name; or, for anonymous events, the count."""

    title, lines = _check_training(actor, programme, title, held_on, attendees_text, anonymous_count)
    event = TrainingEvent(programme_id=programme.id, held_on=held_on, title=title,
                          anonymous_count=anonymous_count or None, recorded_by_id=actor.id)
    event.attendees.extend(_attendees(lines))
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "training.recorded", event, detail={"programme": programme.name, "held_on": held_on.isoformat(),
                                                            "attendees": len(event.attendees),
                                                            "anonymous_count": anonymous_count})
    return event

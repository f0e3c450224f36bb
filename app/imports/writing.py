"""Saving a clean plan: every person, referral, status change, session, closure, outcome and measure, with the
audit events the pages write, in the caller's one transaction (all or nothing).

Speed comes from writing rows in batches (INSERT … RETURNING the new ids), not from different rules: the values
were checked by the casework services' own checks in the dry run, the reach dates come from
`reach.reach_dates`, the status walk from `checks.steps_when_attended` / `checks.check_closure`, and the trial
draw from `allocation.allocate` with the sequence counted as `submit_referral` counts it. People and referrals
are read back from the plans' temporary file a page at a time (each keeps the id it was given there), and
sessions, outcomes and measures are read from the file a second time and written a batch at a time, so memory
does not grow with the file.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, time
from decimal import Decimal

import sqlalchemy as sa

from app import audit
from app.db import db, utcnow
from app.imports import bulk
from app.imports import fields as F
from app.imports.checking import Plan, ReferralPlan, occurred_at, person_store_key
from app.imports.mapping import RowReader, Setup
from app.imports.models import ImportedRecord
from app.referrals import allocation
from app.referrals.models import (
    Contact, ContactMode, LawfulBasis, Outcome, OutcomeMeasure, Person, Referral, ReferralSource,
    ReferralStatusChange, TimePoint, TrialArm,
)
from app.referrals.names import name_key
from app.referrals.reach import reach_dates
from app.referrals.services.cases import AUTOMATIC_NOTE
from app.referrals.services.checks import check_closure
from app.referrals.transitions import ReferralStatus as S

BATCH = 5000
PERSON_COLUMNS = ("given_name", "family_name", "date_of_birth", "estimated_age", "estimated_on",
                  "age_not_known_reason", "sex", "gender_identity", "ethnicity", "home_area", "nhs_number",
                  "police_reference")


def _reserve_ids(model, n: int) -> list[int]:
    """n new ids for `model`'s table, in order: from its sequence on PostgreSQL; after the largest on SQLite,
    whose write transaction (BEGIN IMMEDIATE) keeps anyone else from inserting meanwhile."""
    if n == 0:
        return []
    table = model.__tablename__
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.execute(sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                               "FROM generate_series(1, :n) ORDER BY 1"), {"t": table, "n": n}).scalars())
    start = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))).scalar_one() + 1
    return list(range(start, start + n))


def _insert_returning(model, rows: list[dict]) -> list[int]:
    """Insert rows with ids reserved up front (one executemany per batch: no RETURNING to splice back)."""
    ids = _reserve_ids(model, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    for start in range(0, len(rows), BATCH):
        bulk.insert(model.__table__, rows[start:start + BATCH])
    return ids


class Writer:
    def __init__(self, actor, setup: Setup, reader: RowReader, plan: Plan, run_id: int | None):
        self.actor = actor
        self.setup = setup
        self.reader = reader
        self.plan = plan
        self.run_id = run_id
        self.org_id = setup.organisation.id
        self.events: list[tuple] = []
        self.counts = {"people": 0, "referrals": 0, "contacts": 0, "outcomes": 0, "measures": 0, "closures": 0}

    def audit(self, action: str, object_type: str, object_id: int, person_id: int | None, detail: dict) -> None:
        detail["import_run"] = self.run_id
        self.events.append((action, object_type, object_id, person_id, detail))
        if len(self.events) >= BATCH:
            self.flush_audit()

    def flush_audit(self) -> None:
        audit.record_many(self.actor, self.events, insert=bulk.insert)
        self.events = []

    def write(self, rows: Callable[[], Iterable[tuple[int, dict]]], progress: Callable[[int], None] | None = None):
        db.session.flush()
        self.write_people()
        self.write_referrals()
        self.write_events(rows(), progress)
        self.flush_audit()
        return self.counts

    # --- people -------------------------------------------------------------------------------------

    def write_people(self) -> None:
        """The new people, a page of plans at a time (matched and imported people have their record's id
        already); each plan keeps the id its person was given."""
        for page in self.plan.people.stream("live = 1", ("row",)):
            now = utcnow()
            new = [p for p in page if p.how == "new"]
            rows = [{**{c: p.values.get(c) for c in PERSON_COLUMNS}, "name_key": _name_key(p.values),
                     "organisation_id": self.org_id, "restricted": False, "version_id": 1,
                     "created_at": now, "updated_at": now} for p in new]
            ids = _insert_returning(Person, rows)
            for p, person_id in zip(new, ids, strict=True):
                p.person_id = person_id
                self.audit("person.created", "Person", person_id, person_id, {
                    "fields": sorted(f for f in PERSON_COLUMNS if f != "estimated_on" and p.values.get(f) is not None),
                    "confirmed_not_duplicate": False})
            self.counts["people"] += len(new)
            refs = [{"organisation_id": self.org_id, "kind": "person", "external_ref": p.ref,
                     "object_id": p.person_id, "run_id": self.run_id} for p in page if p.ref and p.how != "imported"]
            if refs:
                bulk.insert(ImportedRecord.__table__, refs)
            self.plan.people.set_columns(("person_id",), [(p.person_id, person_store_key(p.key)) for p in new])

    # --- referrals ----------------------------------------------------------------------------------

    def write_referrals(self) -> None:
        """In referral-date order (the order of the trial draws), a page of plans at a time; each plan keeps the
        ids of its referral and person."""
        sequences: dict[str, int] = {}
        for page in self.plan.referrals.stream("skip = 0", ("referred", "row")):
            keys = [person_store_key(r.person_key) for r in page]
            person_ids = self.plan.people.columns_of(keys, ("person_id",))
            for r, key in zip(page, keys, strict=True):
                r.person_id = person_ids[key][0]
            self.write_referral_batch(page, sequences)
            self.plan.referrals.set_columns(("referral_id", "person_id"),
                                            [(r.referral_id, r.person_id, r.ref) for r in page])
            self.counts["referrals"] += len(page)

    def write_referral_batch(self, live: list[ReferralPlan], sequences: dict[str, int]) -> None:
        now = utcnow()
        rows, draws = [], []
        for r in live:
            raw = r.raw
            site = self.setup.sites[int(raw["site"])]
            programme = self.setup.programmes[site.programme_id]
            draw = self.allocate(r, programme, site, sequences)
            draws.append(draw)
            reached_on, first_contact_at = reach_dates(r.first_attended, r.first_any, r.trial_arm)
            rows.append({
                "person_id": r.person_id, "programme_id": programme.id, "site_id": site.id,
                "provider_id": site.provider_id, "referred_on": raw["referred_on"].date(),
                "referred_at": raw["referred_on"], "source": ReferralSource(raw["source"]),
                "reason": (raw.get("reason") or None), "lawful_basis": LawfulBasis(raw["lawful_basis"]),
                "consent_recorded": raw.get("consent_recorded") == F.YES,
                "eligibility_override_reason": raw.get("override_reason") if not r.eligible else None,
                "assigned_worker_id": None, "status": r.status, "trial_arm": r.trial_arm, "allocation_draw": draw,
                "closed_on": raw.get("closed_on") if r.status is S.CLOSED else None,
                "closure_reason": raw.get("closure_reason") if r.status is S.CLOSED else None,
                "reached_on": reached_on, "first_contact_at": first_contact_at, "version_id": 1,
                "created_at": now, "updated_at": now})
        ids = _insert_returning(Referral, rows)
        changes = []
        for r, referral_id, row, draw in zip(live, ids, rows, draws, strict=True):
            r.referral_id = referral_id
            person_id = row["person_id"]
            site = self.setup.sites[row["site_id"]]
            detail = {"programme": self.setup.programmes[site.programme_id].name, "site": site.name, "age": r.age,
                      "eligible": r.eligible, "override_reason": row["eligibility_override_reason"],
                      "trial_arm": r.trial_arm.value, "allocation_draw": draw}
            if r.external_allocation:
                detail["allocation"] = "made outside Waypoint"
            self.audit("referral.submitted", "Referral", referral_id, person_id, detail)
            changes.append(self.change(referral_id, None, S.RECEIVED, row["referred_at"], None))
            status = S.RECEIVED
            for step in r.steps:
                changes.append(self.change(referral_id, status, step, r.first_attended, AUTOMATIC_NOTE, person_id))
                status = step
            if row["closed_on"] is not None:
                reason, closing = check_closure(status=status, referred_on=row["referred_on"],
                                                reason=row["closure_reason"], closed_on=row["closed_on"],
                                                ending=S(r.raw["ending"]) if r.raw.get("ending") else None)
                at = datetime.combine(row["closed_on"], time())
                for step in closing:
                    changes.append(self.change(referral_id, status, step, at, reason, person_id))
                    status = step
                self.audit("referral.closed", "Referral", referral_id, person_id,
                           {"reason": reason, "closed_on": row["closed_on"].isoformat()})
                self.counts["closures"] += 1
        bulk.insert(ReferralStatusChange.__table__, changes)
        bulk.insert(ImportedRecord.__table__, [
            {"organisation_id": self.org_id, "kind": "referral", "external_ref": r.ref,
             "object_id": r.referral_id, "run_id": self.run_id} for r in live])

    def change(self, referral_id: int, from_status, to_status, at: datetime, note: str | None,
               person_id: int | None = None) -> dict:
        if from_status is not None:
            self.audit("referral.status_changed", "Referral", referral_id, person_id,
                       {"from": from_status.value, "to": to_status.value, "note": bool(note)})
        now = utcnow()
        return {"referral_id": referral_id, "from_status": from_status, "to_status": to_status,
                "changed_by_id": self.actor.id, "changed_at": at, "note": note, "created_at": now, "updated_at": now}

    def allocate(self, r: ReferralPlan, programme, site, sequences: dict[str, int]) -> str | None:
        """The trial arm: an allocation made elsewhere is recorded as such; otherwise Waypoint's own draw, with
        the stratum's sequence counted as `submit_referral` counts it (earlier allocations in the stratum)."""
        if r.trial_arm is TrialArm.NONE:
            return None
        if r.external_allocation:
            note = (r.raw.get("allocation_note") or "no reference given").strip()
            return f"allocated outside Waypoint ({note}) arm={r.trial_arm.value}"[:200]
        if programme.trial_seed is None:
            programme.trial_seed = secrets.randbelow(2**31)
            db.session.flush()
        stratify = programme.trial_stratify_by_site
        stratum = allocation.stratum_for(programme.id, site.id, stratify)
        if stratum not in sequences:
            same = [Referral.programme_id == programme.id, Referral.trial_arm != TrialArm.NONE]
            if stratify:
                same.append(Referral.site_id == site.id)
            sequences[stratum] = db.session.execute(sa.select(sa.func.count()).select_from(Referral)
                                                    .where(*same)).scalar_one()
        drawn = allocation.allocate(programme.trial_seed, stratum, sequences[stratum])
        sequences[stratum] += 1
        r.trial_arm = TrialArm(drawn.arm)
        return drawn.draw

    # --- sessions, outcomes, measures (second reading of the file) ----------------------------------

    def write_events(self, rows: Iterable[tuple[int, dict]], progress) -> None:
        contacts, outcomes, measures = [], [], []
        ids: dict[str, tuple] = {}  # referral reference → (referral id, person id), for the rows in hand
        done = 0
        now = utcnow()
        for _number, cells in rows:
            done += 1
            if done % 1000 == 0:
                now = utcnow()  # the time of saving, to the second or so: not looked up for every row
            values, _problems = self.reader.read(cells)
            ref = values.get("referral_ref")
            known = ids.get(ref)
            if known is None:
                if len(ids) >= 1000:
                    ids.clear()
                known = ids[ref] = self.plan.referrals.columns_of([ref], ("referral_id", "person_id")).get(ref, (None, None))
            referral_id, person_id = known
            if referral_id is None:
                continue  # a referral imported before: skipped with all its rows
            if values.get("contact_on") is not None:
                contacts.append(({"referral_id": referral_id, "occurred_at": occurred_at(values),
                                  "duration_minutes": values.get("duration_minutes") if values["attended"] == F.YES
                                  else None, "mode": ContactMode(values["mode"]), "attended": values["attended"] == F.YES,
                                  "worker_id": None, "notes": (values.get("contact_notes") or None),
                                  "created_at": now, "updated_at": now}, person_id))
            if values.get("outcome_type"):
                outcomes.append(({"referral_id": referral_id, "outcome_type": values["outcome_type"],
                                  "achieved_on": values["outcome_on"], "notes": None,
                                  "recorded_by_id": self.actor.id, "created_at": now, "updated_at": now}, person_id))
            if values.get("measure_instrument"):
                measures.append(({"referral_id": referral_id, "instrument": values["measure_instrument"].strip(),
                                  "time_point": TimePoint(values["measure_time_point"]),
                                  "value": Decimal(values["measure_value"]), "measured_on": values["measure_on"],
                                  "higher_is_better": False, "recorded_by_id": self.actor.id,
                                  "created_at": now, "updated_at": now}, person_id))
            if len(contacts) >= BATCH:
                self.save_contacts(contacts)
                contacts = []
            if len(outcomes) + len(measures) >= BATCH:
                self.save_outcomes(outcomes, measures)
                outcomes, measures = [], []
            if progress and done % 1000 == 0:
                progress(done)
        self.save_contacts(contacts)
        self.save_outcomes(outcomes, measures)

    def save_outcomes(self, outcomes, measures) -> None:
        self.save_simple(Outcome, "outcome.recorded", outcomes, "outcomes",
                         lambda row: {"type": row["outcome_type"]})
        self.save_simple(OutcomeMeasure, "measure.recorded", measures, "measures",
                         lambda row: {"instrument": row["instrument"], "time_point": row["time_point"].value})

    def save_contacts(self, batch: list[tuple[dict, int]]) -> None:
        ids = _insert_returning(Contact, [row for row, _ in batch])
        for (row, person_id), contact_id in zip(batch, ids, strict=True):
            self.audit("contact.logged", "Contact", contact_id, person_id, {
                "referral": row["referral_id"], "attended": row["attended"], "mode": row["mode"].value})
        self.counts["contacts"] += len(batch)

    def save_simple(self, model, action: str, batch: list[tuple[dict, int]], count: str, describe) -> None:
        ids = _insert_returning(model, [row for row, _ in batch])
        for (row, person_id), object_id in zip(batch, ids, strict=True):
            self.audit(action, model.__name__, object_id, person_id, {"referral": row["referral_id"], **describe(row)})
        self.counts[count] += len(batch)


def _name_key(values: dict) -> str:
    return name_key(values["given_name"], values["family_name"])


"""The dry run: read the whole file once and decide, for every person and referral, what the import would do —
create, match an existing person (the pages' duplicate rules), skip as already imported, or refuse — with every
refusal given its row, its column and a message a programme officer understands.

Every meaning check is the casework services' own (`referrals/services/checks.py`, `check_person_values`,
`eligibility`, `transitions`), so a row is refused for exactly the reasons a page would refuse it. There is one
small plan per person and per referral, never the sessions themselves (the import reads the file again); the plans
are kept in a temporary file (`spill.py`) with only those in use in memory, so memory does not grow with the file.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa

from app.auth.policies import person_scope
from app.db import db
from app.errors import DomainError
from app.imports import fields as F
from app.imports.mapping import Mapping, RowReader, Setup
from app.imports.models import ImportedRecord
from app.imports.spill import PlanStore, Spill
from app.programmes.age_bands import age_at_reach
from app.referrals import duplicates
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import LawfulBasis, Person, Sex, TrialArm
from app.referrals.names import name_key, normalise_nhs_number
from app.referrals.services import checks
from app.referrals.services.people import check_person_values
from app.referrals.transitions import ReferralStatus as S

MAX_KEPT_PROBLEMS = 1000
# A service's field name → the import field whose column the problem is shown under.
SERVICE_FIELDS = {"occurred_on": "contact_on", "notes": "contact_notes", "achieved_on": "outcome_on",
                  "instrument": "measure_instrument", "measured_on": "measure_on", "value": "measure_value",
                  "reason": "reason", "to_status": "ending"}
PERSON_VALUE_FIELDS = ("given_name", "family_name", "date_of_birth", "estimated_age", "age_not_known_reason", "sex",
                       "gender_identity", "ethnicity", "home_area", "nhs_number", "police_reference")
REFERRAL_VALUE_FIELDS = ("site", "programme", "referred_on", "source", "reason", "lawful_basis", "consent_recorded",
                         "override_reason", "trial_arm", "allocation_note", "closed_on", "closure_reason", "ending")


@dataclass(slots=True)
class PersonPlan:
    key: tuple
    row: int
    raw: dict
    ref: str | None
    values: dict | None = None
    existing_id: int | None = None
    how: str = "new"  # new | matched | imported
    first_referred_on: date | None = None
    live: bool = False  # a referral to import is theirs
    person_id: int | None = None  # the record the import uses: existing, or made when saving


@dataclass(slots=True)
class ReferralPlan:
    ref: str
    row: int
    person_key: tuple
    raw: dict
    skip: bool = False
    first_attended: datetime | None = None
    first_any: datetime | None = None
    last_contact: tuple[datetime, int] | None = None
    contacts: int = 0
    outcomes: int = 0
    measures: int = 0
    # decided when the file has been read
    age: int | None = None
    eligible: bool = True
    trial_arm: TrialArm = TrialArm.NONE
    external_allocation: bool = False
    status: S = S.RECEIVED
    steps: list | tuple = ()
    # given when saving
    referral_id: int | None = None
    person_id: int | None = None


@dataclass(slots=True)
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def person_store_key(key: tuple) -> str:
    return repr(key)


def _referred(r: ReferralPlan) -> str:
    referred = r.raw.get("referred_on")
    return referred.isoformat() if referred is not None else ""


@dataclass
class Plan:
    spill: Spill = field(default_factory=Spill)
    people: PlanStore = None
    referrals: PlanStore = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    bad_rows: set[int] = field(default_factory=set)
    flagged: set[tuple[int, str]] = field(default_factory=set)
    rows: int = 0
    rows_skipped: int = 0
    _summary: dict | None = None

    def __post_init__(self):
        self.people = PlanStore(self.spill, "people", {"row": lambda p: p.row, "live": lambda p: int(p.live),
                                                       "how": lambda p: p.how, "person_id": lambda p: p.person_id},
                                indexes=(("row",),))
        self.referrals = PlanStore(self.spill, "referrals", {
            "row": lambda r: r.row, "skip": lambda r: int(r.skip), "referred": _referred,
            "contacts": lambda r: r.contacts, "outcomes": lambda r: r.outcomes, "measures": lambda r: r.measures,
            "closure": lambda r: int(bool(r.raw.get("closed_on") or r.raw.get("closure_reason"))),
            "referral_id": lambda r: r.referral_id, "person_id": lambda r: r.person_id},
            indexes=(("row",), ("referred", "row")))
        self.spill.db.execute("CREATE TABLE imported (kind TEXT, ref TEXT, object_id INTEGER, PRIMARY KEY (kind, ref))")

    def add(self, row: int, column: str, message: str) -> None:
        self.problem_count += 1
        self.bad_rows.add(row)
        self.flagged.add((row, column))
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(row, column, message))

    @property
    def clean(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> dict:
        """Counted in the plans' file (once: saving changes none of these)."""
        if self._summary is None:
            people = self.people.aggregate("SELECT count(*) FILTER (WHERE how = 'new'), count(*) FILTER (WHERE how = "
                                        "'matched'), count(*) FILTER (WHERE how = 'imported') FROM {t} WHERE live = 1")
            referrals = self.referrals.aggregate(
                "SELECT count(*) FILTER (WHERE skip = 0), count(*) FILTER (WHERE skip = 1), "
                "coalesce(sum(contacts) FILTER (WHERE skip = 0), 0), coalesce(sum(outcomes) FILTER (WHERE skip = 0), 0), "
                "coalesce(sum(measures) FILTER (WHERE skip = 0), 0), coalesce(sum(closure) FILTER (WHERE skip = 0), 0) "
                "FROM {t}")
            self._summary = {
                "rows": self.rows,
                "rows_refused": len(self.bad_rows),
                "rows_skipped": self.rows_skipped,
                "problems": self.problem_count,
                "people_new": people[0],
                "people_matched": people[1],
                "people_imported_before": people[2],
                "referrals_new": referrals[0],
                "referrals_skipped": referrals[1],
                "contacts_new": referrals[2],
                "outcomes_new": referrals[3],
                "measures_new": referrals[4],
                "closures_new": referrals[5],
            }
        return dict(self._summary)


def occurred_at(values: dict) -> datetime:
    when = values["contact_on"]
    if values.get("contact_time") is not None:
        when = datetime.combine(when.date(), values["contact_time"])
    return when


class Checker:
    def __init__(self, actor, setup: Setup, mapping: Mapping):
        self.actor = actor
        self.setup = setup
        self.mapping = mapping
        self.reader = RowReader(mapping, setup)
        self.plan = Plan()
        # What the organisation imported before, copied to the plans' file a batch at a time (it grows with every
        # import, so it is not held in memory): looked up once per new reference.
        imported = db.session.execute(sa.select(ImportedRecord.kind, ImportedRecord.external_ref,
                                                ImportedRecord.object_id)
                                      .where(ImportedRecord.organisation_id == setup.organisation.id)
                                      .execution_options(yield_per=5000))
        for batch in imported.partitions():
            self.plan.spill.db.executemany("INSERT OR IGNORE INTO imported VALUES (?, ?, ?)", batch)

    def imported(self, kind: str, ref: str) -> int | None:
        found = self.plan.spill.db.execute("SELECT object_id FROM imported WHERE kind = ? AND ref = ?",
                                           (kind, ref)).fetchone()
        return None if found is None else found[0]

    def heading(self, key: str) -> str:
        return self.mapping.columns.get(key) or F.BY_KEY[key].label

    def problem(self, row: int, key: str, message: str) -> None:
        self.plan.add(row, self.heading(key) if key in F.BY_KEY else key, message)

    def domain(self, row: int, exc: DomainError, default_key: str, fields: dict | None = None) -> None:
        key = {**SERVICE_FIELDS, **(fields or {})}.get(exc.field or "", exc.field or default_key)
        self.problem(row, key if key in F.BY_KEY else default_key, exc.message)

    # --- reading ------------------------------------------------------------------------------------

    def run(self, rows: Iterable[tuple[int, dict]], progress: Callable[[int], None] | None = None) -> Plan:
        for number, cells in rows:
            self.plan.rows += 1
            self.row(number, cells)
            if progress and self.plan.rows % 1000 == 0:
                progress(self.plan.rows)
        self.finish()
        return self.plan

    def row(self, number: int, cells: dict) -> None:
        values, problems = self.reader.read(cells)
        ref = values.get("referral_ref")
        referral = self.plan.referrals.get(ref) if ref else None
        if referral is None and ref and self.imported("referral", ref) is not None:
            referral = ReferralPlan(ref, number, (), {}, skip=True)
            self.plan.referrals.add(ref, referral)
        if referral is not None and referral.skip:
            self.plan.rows_skipped += 1
            return
        for heading, message in problems:
            self.plan.add(number, heading, message)
        if not ref:
            self.problem(number, "referral_ref", "Give the referral reference, so the import knows which rows "
                         "belong together and never adds the same referral twice")
            return
        person_key = self.person_key(values, ref)
        if referral is not None and person_key != referral.person_key and person_key[0] != "ref":
            # Rows of one referral are one person; a difference in their details is reported just below.
            person_key = referral.person_key
        stored_key = person_store_key(person_key)
        person = self.plan.people.get(stored_key)
        if person is None:
            person = PersonPlan(person_key, number, {k: values.get(k) for k in PERSON_VALUE_FIELDS},
                                values.get("person_ref"))
            self.plan.people.add(stored_key, person)
        else:
            self.agree(number, person.raw, person.row, values, ("given_name", "family_name", "date_of_birth"))
        if referral is None:
            # only the cells that hold something: most of a referral's columns are blank on most rows
            referral = ReferralPlan(ref, number, person_key, {k: v for k in REFERRAL_VALUE_FIELDS
                                                              if (v := values.get(k)) is not None and v != ""})
            self.plan.referrals.add(ref, referral)
            person.live = True
        else:
            if referral.person_key != person_key:
                self.problem(number, "person_ref" if "person_ref" in self.mapping.columns else "given_name",
                             f"Referral {ref} belongs to a different person on row {referral.row}")
            self.agree(number, referral.raw, referral.row, values, REFERRAL_VALUE_FIELDS, fill=True)
        referred_on = referral.raw.get("referred_on")
        if referred_on is not None and (person.first_referred_on is None
                                        or referred_on.date() < person.first_referred_on):
            person.first_referred_on = referred_on.date()
        self.events(number, values, referral)

    def person_key(self, values: dict, referral_ref: str) -> tuple:
        if values.get("person_ref"):
            return ("ref", values["person_ref"])
        key = name_key(values.get("given_name"), values.get("family_name"))
        if values.get("date_of_birth"):
            return ("name", key, values["date_of_birth"])
        nhs = normalise_nhs_number(values.get("nhs_number"))
        if nhs:
            return ("nhs", nhs)
        return ("referral", referral_ref)

    def agree(self, number: int, kept: dict, kept_row: int, values: dict, keys, fill: bool = False) -> None:
        for key in keys:
            new = values.get(key)
            if new is None or new == "":
                continue
            old = kept.get(key)
            if old is None or old == "":
                if fill:
                    kept[key] = new
                continue
            if old != new:
                self.problem(number, key, f"{F.BY_KEY[key].label} differs from row {kept_row} of the same "
                             f"{'referral' if key in REFERRAL_VALUE_FIELDS else 'person'}")

    def events(self, number: int, values: dict, referral: ReferralPlan) -> None:
        referred = referral.raw.get("referred_on")
        if values.get("contact_on") is not None:
            if not values.get("mode"):
                self.problem(number, "mode", "Say what kind of session it was (for example one to one)")
            if not values.get("attended"):
                self.problem(number, "attended", "Say whether they attended the session")
            when = occurred_at(values)
            if referred is not None:
                try:
                    checks.check_contact(referred_on=referred.date(), occurred_at=when,
                                         duration_minutes=values.get("duration_minutes"),
                                         notes=values.get("contact_notes"))
                except DomainError as exc:
                    self.domain(number, exc, "contact_on")
            referral.contacts += 1
            if referral.first_any is None or when < referral.first_any:
                referral.first_any = when
            if values.get("attended") == F.YES and (referral.first_attended is None or when < referral.first_attended):
                referral.first_attended = when
            if referral.last_contact is None or when > referral.last_contact[0]:
                referral.last_contact = (when, number)
        if values.get("outcome_type") or values.get("outcome_on"):
            self.outcome(number, values, referral)
        if any(values.get(k) is not None for k in ("measure_instrument", "measure_value", "measure_on")):
            self.measure(number, values, referral)

    def outcome(self, number: int, values: dict, referral: ReferralPlan) -> None:
        if not values.get("outcome_type") or not values.get("outcome_on"):
            self.problem(number, "outcome_on" if values.get("outcome_type") else "outcome_type",
                         "An outcome needs both what was achieved and the date")
            return
        site = self.setup.sites.get(int(referral.raw["site"])) if referral.raw.get("site") else None
        if site is not None and referral.raw.get("referred_on") is not None:
            try:
                checks.check_outcome(programme=self.setup.programmes[site.programme_id],
                                     referred_on=referral.raw["referred_on"].date(),
                                     outcome_type=values["outcome_type"], achieved_on=values["outcome_on"], notes=None)
            except DomainError as exc:
                self.domain(number, exc, "outcome_type")
        referral.outcomes += 1

    def measure(self, number: int, values: dict, referral: ReferralPlan) -> None:
        missing = [k for k in ("measure_instrument", "measure_time_point", "measure_value", "measure_on")
                   if values.get(k) is None]
        if missing:
            self.problem(number, missing[0], "A measure needs its name, time point, score and date")
            return
        if referral.raw.get("referred_on") is not None:
            try:
                checks.check_measure(referred_on=referral.raw["referred_on"].date(),
                                     instrument=values["measure_instrument"], value=values["measure_value"],
                                     measured_on=values["measure_on"])
            except DomainError as exc:
                self.domain(number, exc, "measure_value")
        referral.measures += 1

    # --- deciding -----------------------------------------------------------------------------------

    def finish(self) -> None:
        """Decide every person with a referral to import, a page of plans at a time (in the order of the file),
        then every such referral."""
        for people in self.plan.people.stream("live = 1", ("row",), write_back=True):
            for person in people:
                self.decide_person(person)
            self.match_existing([p for p in people if p.how == "new" and p.values is not None])
        for referrals in self.plan.referrals.stream("skip = 0", ("row",), write_back=True):
            for referral in referrals:
                self.decide_referral(referral)
        self.plan._summary = None

    def decide_person(self, person: PersonPlan) -> None:
        imported_id = self.imported("person", person.ref) if person.ref else None
        if imported_id is not None:
            existing = db.session.get(Person, imported_id)
            while existing is not None and existing.merged_into_id:  # merged since: refer on the kept record
                existing = db.session.get(Person, existing.merged_into_id)
            if existing is None:
                self.problem(person.row, "person_ref", "The person imported with this reference is no longer in "
                             "Waypoint: give a new reference")
                return
            person.how, person.existing_id, person.person_id = "imported", existing.id, existing.id
            return
        raw = dict(person.raw)
        for key in ("sex", "ethnicity"):
            raw[key] = _enum(key, raw.get(key))
        try:
            # A person needs an age or a reason (DOMAIN.md §3.5), unless an age cell was already refused as unreadable.
            unreadable = any((person.row, self.heading(k)) in self.plan.flagged for k in ("date_of_birth", "estimated_age"))
            values = check_person_values({k: v for k, v in raw.items() if k in PERSON_VALUE_FIELDS},
                                         require_age=not unreadable)
        except DomainError as exc:
            self.domain(person.row, exc, "given_name")
            return
        values["estimated_on"] = person.first_referred_on if values.get("estimated_age") is not None else None
        person.values = values
        person.raw = {}  # read and checked: the values are what is kept

    def match_existing(self, people: list[PersonPlan]) -> None:
        """The pages' duplicate check (`duplicates_of`), in batches. The deterministic key (names and date of
        birth, or NHS number) finding one record: that person is used, as a worker would use them. Several: the
        records must be merged first. Only a weaker likeness (the same name where a date of birth is missing on
        one side, ages plausible): the page would ask "is this one of these people?", so the row is refused
        with what to do, rather than guessed."""
        for start in range(0, len(people), 500):
            batch = people[start:start + 500]
            keys = {name_key(p.values["given_name"], p.values["family_name"]) for p in batch}
            nhs = {p.values.get("nhs_number") for p in batch} - {None}
            test = Person.name_key.in_(keys)
            if nhs:
                test = sa.or_(test, Person.nhs_number.in_(nhs))
            found = db.session.execute(sa.select(Person.id, Person.name_key, Person.date_of_birth, Person.nhs_number,
                                                 Person.estimated_age, Person.estimated_on)
                                       .where(person_scope(self.actor), Person.merged_into_id.is_(None), test)
                                       .order_by(Person.id)).all()
            for p in batch:
                self.match_one(p, found)

    def match_one(self, p: PersonPlan, found) -> None:
        v = p.values
        key, dob = name_key(v["given_name"], v["family_name"]), v.get("date_of_birth")
        strong = [row.id for row in found if duplicates.same_person_key(
            key, dob, v.get("nhs_number"), row.name_key, row.date_of_birth, row.nhs_number)]
        if len(strong) == 1:
            p.how, p.existing_id, p.person_id = "matched", strong[0], strong[0]
            return
        if strong:
            self.problem(p.row, "given_name", f"This person matches {len(strong)} people already in Waypoint: "
                         "merge those records first (People › Possible duplicates), then import again")
            return
        on = v.get("estimated_on") or p.first_referred_on or date.today()
        weak = [row.id for row in found if row.name_key == key and (
            row.date_of_birth is None if dob else duplicates.plausible_age_match(
                v.get("estimated_age"), on, age_at_reach(row.date_of_birth, row.estimated_age, row.estimated_on, on)))]
        if weak:
            self.problem(p.row, "date_of_birth" if dob is None else "given_name",
                         f"Waypoint already has someone of this name without a date of birth to tell them apart "
                         f"(record {', '.join(map(str, weak[:3]))}). If it is the same person, add their date of "
                         "birth to that record in Waypoint; if not, give a date of birth or NHS number in the file")

    def decide_referral(self, referral: ReferralPlan) -> None:
        raw, row = referral.raw, referral.row
        for key in ("site", "referred_on", "source", "lawful_basis"):
            if raw.get(key) in (None, ""):
                if key not in self.mapping.columns and key not in self.mapping.defaults:
                    continue  # reported once, on the columns page
                if (row, self.heading(key)) in self.plan.flagged:
                    continue  # the cell could not be read: already said why
                self.problem(row, key, f"Give the {F.BY_KEY[key].label.lower()}")
        if any(raw.get(k) in (None, "") for k in ("site", "referred_on", "source", "lawful_basis")):
            return
        site = self.setup.sites[int(raw["site"])]
        programme = self.setup.programmes[site.programme_id]
        if raw.get("programme") and int(raw["programme"]) != programme.id:
            self.problem(row, "programme", f"{site.name} is a site of {programme.name}, not of the programme given")
            return
        if not programme.active:
            self.problem(row, "site", f"{programme.name} is not running: it cannot take referrals")
            return
        person = self.plan.people.peek(person_store_key(referral.person_key))
        pv = person.values or {}
        try:
            age, judged, _reason, _override = checks.check_referral(
                date_of_birth=pv.get("date_of_birth"), estimated_age=pv.get("estimated_age"),
                estimated_on=pv.get("estimated_on"), programme=programme, referred_on=raw["referred_on"].date(),
                reason=raw.get("reason"), lawful_basis=LawfulBasis(raw["lawful_basis"]),
                consent_recorded=raw.get("consent_recorded") == F.YES, override_reason=raw.get("override_reason"))
        except DomainError as exc:
            self.domain(row, exc, "referred_on")
            return
        referral.age, referral.eligible = age, judged.eligible
        self.decide_trial(referral, programme)
        status = S.RECEIVED
        if referral.first_attended is not None:
            referral.steps = checks.steps_when_attended(status)
            status = referral.steps[-1] if referral.steps else status
        if raw.get("closed_on") or raw.get("closure_reason"):
            if not raw.get("closed_on"):
                self.problem(row, "closed_on", "Give the date the case was closed")
                return
            try:
                _reason, closing = checks.check_closure(status=status, referred_on=raw["referred_on"].date(),
                                                        reason=raw.get("closure_reason"), closed_on=raw["closed_on"],
                                                        ending=S(raw["ending"]) if raw.get("ending") else None)
            except DomainError as exc:
                self.domain(row, exc, "closure_reason", {"reason": "closure_reason"})
                return
            if referral.last_contact and referral.last_contact[0].date() > raw["closed_on"]:
                self.problem(referral.last_contact[1], "contact_on", "This session is after the case was closed "
                             f"({raw['closed_on'].strftime('%-d %B %Y')})")
            status = closing[-1]
        referral.status = status

    def decide_trial(self, referral: ReferralPlan, programme) -> None:
        arm = referral.raw.get("trial_arm")
        if arm and not programme.trial_enabled:
            self.problem(referral.row, "trial_arm", f"{programme.name} is not running a trial: leave the trial arm "
                         "blank")
        elif arm and not referral.eligible:
            self.problem(referral.row, "trial_arm", "Only people within the programme's ages are allocated to a "
                         "trial arm")
        elif programme.trial_enabled and referral.eligible:
            referral.trial_arm = TrialArm(arm) if arm else TrialArm.INTERVENTION  # a draw, made when saving
            referral.external_allocation = bool(arm)


def _enum(key: str, value):
    if value in (None, ""):
        return None
    return {"sex": Sex, "ethnicity": Ethnicity}[key](value)


def midnight(d: date) -> datetime:
    return datetime.combine(d, time())

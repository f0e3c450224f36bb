"""A database with what a casework file refers to: the VRU, one provider delivering two programmes at three sites
each, and a programme officer to import as. Shared by the import benchmark and the import acceptance tests."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

from app.auth.models import Organisation, OrganisationKind, User
from app.auth.roles import Role
from app.db import db
from app.imports import fields as F
from app.imports.checking import occurred_at
from app.imports.mapping import Mapping, RowReader
from app.imports.readers import CasefileReader
from app.referrals import services
from app.referrals.ethnicity import Ethnicity
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource, Sex, TimePoint
from app.referrals.transitions import ReferralStatus
from app.programmes.models import Cohort, HomeOfficeCategory, Programme, ProgrammeKind, Site, SiteSetting
from bench import casefile

OUTCOMES = ["Signposted to service", "Re-engaged with education", "No re-attendance at A&E"]


def seed_world(password_hash: str = "not-a-real-hash") -> SimpleNamespace:
    vru = Organisation(name="Bench VRU", kind=OrganisationKind.VRU)
    provider = Organisation(name="Bench Youth Navigators", kind=OrganisationKind.VCS_PROVIDER)
    db.session.add_all([vru, provider])
    sites = []
    for name, kind in (("Bench Hospital Navigators", ProgrammeKind.HOSPITAL),
                       ("Bench Custody Coaches", ProgrammeKind.CUSTODY)):
        programme = Programme(name=name, kind=kind, ho_category=HomeOfficeCategory.EARLY_INTERVENTION,
                              cohort=Cohort.TARGETED, min_age=10, max_age=24, outcome_types=list(OUTCOMES), tiers=[])
        db.session.add(programme)
        for n in range(3):
            site = Site(programme=programme, name=f"{name.split()[1]} site {n + 1}", provider=provider,
                        setting=SiteSetting.A_AND_E if kind is ProgrammeKind.HOSPITAL else SiteSetting.CUSTODY_SUITE)
            db.session.add(site)
            sites.append(site)
    officer = User(email="bench.po@example.org", full_name="Bench Programme Officer", password_hash=password_hash,
                   role=Role.PROGRAMME_OFFICE, organisation=vru)
    worker = User(email="bench.worker@example.org", full_name="Bench Youth Worker", password_hash=password_hash,
                  role=Role.YOUTH_WORKER, organisation=provider)
    db.session.add_all([officer, worker])
    db.session.flush()
    return SimpleNamespace(vru=vru, provider=provider, sites=sites, officer=officer, worker=worker)


def bench_mapping() -> Mapping:
    mapping = Mapping.guess(casefile.HEADERS)
    mapping.values = {k: {F.fold(w): c for w, c in v.items()} for k, v in casefile.VALUES.items()}
    mapping.defaults = dict(casefile.DEFAULTS)
    return mapping


def type_casefile(worker, path, mapping: Mapping, setup) -> int:
    """Enter a casework file the way a youth worker would on the pages, through the casework services one record
    at a time: the duplicate check offers an existing person, who is then used (an estimated age is as at the
    referral date); sessions, outcomes and measures are logged in date order; the case is closed last. The
    yardstick the import is compared with. Returns the number of referrals typed."""
    reader = RowReader(mapping, setup)
    referrals: dict[str, dict] = {}
    events: dict[str, list] = defaultdict(list)
    with open(path, "rb") as handle:
        for _n, cells in CasefileReader(handle, path.name).rows():
            values, problems = reader.read(cells)
            assert not problems, problems
            ref = values["referral_ref"]
            kept = referrals.setdefault(ref, dict(values))
            for key, value in values.items():
                if kept.get(key) in (None, "") and value not in (None, ""):
                    kept[key] = value
            events[ref].append(values)
    people: dict[str, object] = {}
    for ref, r in sorted(referrals.items(), key=lambda item: (item[1]["referred_on"], item[0])):
        site = setup.sites[int(r["site"])]
        fields = dict(programme_id=site.programme_id, site_id=site.id, referred_on=r["referred_on"].date(),
                      referred_at=r["referred_on"], source=ReferralSource(r["source"]), reason=r.get("reason"),
                      lawful_basis=LawfulBasis(r["lawful_basis"]), override_reason=r.get("override_reason"))
        person = people.get(r["person_ref"])
        if person is None:
            values = {"given_name": r["given_name"], "family_name": r["family_name"],
                      "date_of_birth": r.get("date_of_birth"), "estimated_age": r.get("estimated_age"),
                      "sex": Sex(r["sex"]) if r.get("sex") else None,
                      "ethnicity": Ethnicity(r["ethnicity"]) if r.get("ethnicity") else None,
                      "home_area": r.get("home_area")}
            try:
                person = services.create_person(worker, values, estimate_default=r["referred_on"].date())
            except services.PossibleDuplicate as exc:
                person = exc.candidates[0]
            people[r["person_ref"]] = person
        referral = services.submit_referral(worker, person, **fields)
        for v in sorted(events[ref], key=lambda v: occurred_at(v) if v.get("contact_on") else datetime.max):
            if v.get("contact_on"):
                services.log_contact(worker, referral, occurred_at=occurred_at(v), mode=ContactMode(v["mode"]),
                                     attended=v["attended"] == "yes", duration_minutes=v.get("duration_minutes"))
            if v.get("outcome_type"):
                services.record_outcome(worker, referral, outcome_type=v["outcome_type"], achieved_on=v["outcome_on"])
            if v.get("measure_instrument"):
                services.record_measure(worker, referral, instrument=v["measure_instrument"],
                                        time_point=TimePoint(v["measure_time_point"]), value=v["measure_value"],
                                        measured_on=v["measure_on"])
        if r.get("closed_on"):
            services.close_referral(worker, referral, reason=r["closure_reason"], closed_on=r["closed_on"],
                                    ending=ReferralStatus(r["ending"]) if r.get("ending") else None)
    db.session.flush()
    return len(referrals)

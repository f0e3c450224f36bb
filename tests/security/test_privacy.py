"""Control 9 (SECURITY.md §10): retention with aggregates unchanged, subject access, erasure, restriction."""
from __future__ import annotations

import io
import json
import random
import zipfile
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from app.auth.policies import get_person_for, get_referral_for, scoped_people, scoped_referrals
from app.db import db
from app.periods import age_on, fy_of
from app.privacy import services
from app.privacy.retention import generalised_dob, is_expired, retention_cutoff
from app.programmes.age_bands import fine_band
from app.referrals.models import Person, Referral
from tests.conftest import sign_in
from tests.factories import ContactFactory, PersonFactory, ReferralFactory

TODAY = date(2025, 6, 1)


def _aggregates() -> Counter:
    """Counts the returns are built from: programme × financial year × fine age band × sex × ethnicity."""
    rows = db.session.execute(sa.select(Referral, Person).join(Person, Person.id == Referral.person_id)).all()
    counts = Counter()
    for r, p in rows:
        on = r.reached_on or r.referred_on
        age = age_on(p.date_of_birth, on) if p.date_of_birth else p.estimated_age
        counts[(r.programme_id, fy_of(r.referred_on), str(fine_band(age)) if age is not None else "nk",
                str(p.sex), str(p.ethnicity))] += 1
    return counts


def test_generalised_dob_keeps_every_age():
    rng = random.Random(7)
    for _ in range(3000):
        dob = date(2000, 1, 1) + timedelta(days=rng.randint(0, 4000))
        dates = [dob + timedelta(days=rng.randint(0, 9000)) for _ in range(3)]
        g = generalised_dob(dob, dates)
        assert (g.year, g.month) == (dob.year, dob.month) and g.day <= dob.day
        assert all(age_on(g, d) == age_on(dob, d) for d in dates)
    # A referral on the birthday month keeps the real day only as far as it must.
    assert generalised_dob(date(2008, 5, 17), [date(2020, 6, 1)]) == date(2008, 5, 1)
    assert generalised_dob(date(2008, 5, 17), [date(2024, 5, 20)]) == date(2008, 5, 1)
    assert generalised_dob(date(2008, 5, 17), [date(2024, 5, 10)]) == date(2008, 5, 11)


def test_expiry_rule():
    cutoff = retention_cutoff(TODAY, 6)
    assert cutoff == date(2019, 6, 1)
    assert is_expired([date(2018, 1, 1), date(2019, 6, 1)], cutoff)
    assert not is_expired([date(2018, 1, 1), None], cutoff)  # an open referral keeps the record
    assert not is_expired([date(2019, 6, 2)], cutoff)
    assert not is_expired([], cutoff)


def test_anonymise_expired_keeps_the_aggregates(app, world):
    rng = random.Random(11)
    old = []
    for i in range(40):
        dob = date(1998, 1, 1) + timedelta(days=rng.randint(0, 3000))
        p = PersonFactory(organisation=world.org_a, date_of_birth=dob, nhs_number=f"94{i:08d}",
                          police_reference=f"PR{i}", home_area="Reading", gender_identity="x")
        referred = dob + timedelta(days=365 * rng.randint(11, 16) + rng.randint(0, 360))
        closed = referred + timedelta(days=rng.randint(30, 300))
        r = ReferralFactory(person=p, site=world.site_a, referred_on=referred, reached_on=referred + timedelta(days=2),
                            closed_on=closed if i % 5 else None, reason="Stab wound, attended A&E")
        ContactFactory(referral=r, notes="Met at the hospital")
        old.append((p, closed if i % 5 else None))
    db.session.flush()
    years = app.config["RETENTION_YEARS"]
    cutoff = retention_cutoff(TODAY, years)
    due = [p for p, closed in old if closed is not None and closed <= cutoff]
    before = _aggregates()
    n = services.anonymise_expired(TODAY, years)
    db.session.flush()
    after = _aggregates()
    assert n == len(due) and n > 0
    for p in due:
        db.session.refresh(p)
        assert p.anonymised_at and p.given_name == "Anonymised" and p.nhs_number is None
        assert p.police_reference is None and p.home_area is None and p.referrals[0].reason is None
        assert p.referrals[0].contacts[0].notes is None
    kept = [p for p, closed in old if p not in due]
    assert all(p.anonymised_at is None and p.nhs_number for p in kept)
    assert before == after
    print(f"\nretention: {n} people anonymised after {years} years; {sum(after.values())} referrals in "
          f"{len(after)} programme × FY × age band × sex × ethnicity cells, 0 cells changed")
    assert services.anonymise_expired(TODAY, years) == 0  # idempotent


def test_cli_anonymise_expired(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "anonymise-expired", "--dry-run"])
    assert result.exit_code == 0 and "retention period" in result.output


def test_subject_access_export_holds_everything(client, world):
    world.person_a.nhs_number = "9434765919"
    db.session.flush()
    sign_in(client, world.programme_office)
    client.get(f"/admin/people/{world.person_a.id}/history")  # a view that must show up in the access log
    response = client.get(f"/admin/people/{world.person_a.id}/subject-access.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as zf:
        names = set(zf.namelist())
        data = json.loads(zf.read("everything.json"))
        referrals_csv = zf.read("referrals.csv").decode()
    assert {"everything.json", "person.csv", "referrals.csv", "contacts.csv", "access_log.csv"} <= names
    assert data["person"]["family_name"] == "Okoye" and data["person"]["nhs_number"] == "9434765919"
    assert len(data["referrals"]) == 1 and len(data["contacts"]) == 1
    assert any(e["action"] == "personal_data.viewed" for e in data["access_log"])
    assert "Hospital Navigators" in referrals_csv
    print(f"\nsubject access: {len(names)} files, {sum(len(v) for v in data.values() if isinstance(v, list))} records")


def test_erasure_removes_identity_everywhere_and_keeps_counts(client, world):
    before = _aggregates()
    sign_in(client, world.programme_office)
    refused = client.post(f"/admin/people/{world.person_a.id}/erase", data={"reason": ""})
    assert refused.status_code == 302
    db.session.refresh(world.person_a)
    assert world.person_a.anonymised_at is None
    client.post(f"/admin/people/{world.person_a.id}/erase", data={"reason": "Erasure request ER-12"})
    db.session.refresh(world.person_a)
    assert world.person_a.given_name == "Erased" and world.person_a.anonymised_at
    assert _aggregates() == before
    for url in ("/", f"/admin/people/{world.person_a.id}/history", f"/admin/people/{world.person_a.id}"):
        assert "Okoye" not in client.get(url).get_data(as_text=True)


def test_restricted_people_are_visible_only_with_the_data_protection_capability(app, client, world):
    sign_in(client, world.programme_office)
    client.post(f"/admin/people/{world.person_a.id}/restriction", data={"reason": "Objection received"})
    db.session.refresh(world.person_a)
    assert world.person_a.restricted
    with app.test_request_context():
        for user in (world.worker_a, world.manager_a):
            with pytest.raises(NotFound):
                get_person_for(user, world.person_a.id)
            with pytest.raises(NotFound):
                get_referral_for(user, world.referral_a.id)
            assert world.person_a not in db.session.execute(scoped_people(user)).scalars().all()
            assert world.referral_a not in db.session.execute(scoped_referrals(user)).scalars().all()
        assert get_person_for(world.programme_office, world.person_a.id) is world.person_a
    print("\nrestriction: hidden from provider staff on every loader and list; visible to data protection")

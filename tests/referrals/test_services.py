"""Casework use cases: meaning is checked by the services (DOMAIN.md §2, §3.4, §6; issue 3)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.errors import ConflictError, DomainError
from app.referrals import services
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource, TrialArm
from app.referrals.transitions import ReferralStatus as S
from tests.factories import PersonFactory, ProgrammeFactory, ReferralFactory, SiteFactory


def _refer(w, person, actor=None, site=None, **kw):
    site = site or w.site_a
    values = dict(programme_id=site.programme_id, site_id=site.id, referred_on=date(2024, 6, 3),
                  source=ReferralSource.AE_CLINICIAN, reason="Assault injury", lawful_basis=LawfulBasis.CONSENT,
                  consent_recorded=True, assigned_worker_id=(actor or w.worker_a).id)
    values.update(kw)
    return services.submit_referral(actor or w.worker_a, person, **values)


@pytest.mark.parametrize("typed", ["zoe obrien smith", "ZOË O'BRIEN-SMITH", "Zoe O Brien", "obrien"])
def test_search_is_tolerant_of_accents_apostrophes_hyphens_and_case(world, typed):
    person = services.create_person(world.worker_a, {"given_name": "Zoë", "family_name": "O'Brien-Smith",
                                                     "date_of_birth": date(2009, 2, 3)})
    assert person in services.find_people(world.worker_a, text=typed)
    assert person not in services.find_people(world.worker_b, text=typed)  # another provider's record


def test_search_by_dob_and_by_nhs_number(world):
    person = services.create_person(world.worker_a, {"given_name": "Kai", "family_name": "Reid",
                                                     "date_of_birth": date(2008, 1, 2), "nhs_number": "943 476 5919"})
    assert services.find_people(world.worker_a, date_of_birth=date(2008, 1, 2)) == [person]
    assert services.find_people(world.worker_a, text="9434765919") == [person]


def test_a_likely_duplicate_is_flagged_before_a_second_record_is_made(world):
    with pytest.raises(services.PossibleDuplicate) as raised:
        services.create_person(world.worker_a, {"given_name": "amára", "family_name": "OKOYE",
                                                "date_of_birth": world.person_a.date_of_birth})
    assert raised.value.candidates == [world.person_a]
    again = services.create_person(world.worker_a, {"given_name": "Amara", "family_name": "Okoye",
                                                    "date_of_birth": world.person_a.date_of_birth},
                                   confirm_different=True)
    assert again.id != world.person_a.id


@pytest.mark.parametrize("values,field", [
    ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth"),
    ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
    ({"nhs_number": "1234567890"}, "nhs_number"),
    ({"given_name": "  "}, "given_name"),
])
def test_bad_person_details_are_refused_with_the_field(world, values, field):
    with pytest.raises(DomainError) as raised:
        services.create_person(world.worker_a, {"given_name": "Test", "family_name": "Person", **values})
    assert raised.value.field == field


def test_eligibility_override_needs_a_reason_which_is_recorded(world):
    old = PersonFactory(organisation=world.org_a, date_of_birth=date(1990, 1, 1))
    with pytest.raises(DomainError) as raised:
        _refer(world, old)
    assert raised.value.field == "override_reason" and "34" in raised.value.message
    referral = _refer(world, old, override_reason="Sibling of a current client; agreed with manager")
    assert referral.eligibility_override_reason.startswith("Sibling")
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "referral.submitted",
                                                           AuditEvent.object_id == referral.id)).scalar_one()
    assert event.detail["eligible"] is False and event.detail["override_reason"].startswith("Sibling")


def test_site_must_belong_to_the_programme_and_to_the_workers_provider(world):
    other_programme = ProgrammeFactory()
    other_site = SiteFactory(programme=other_programme, provider=world.org_a)
    with pytest.raises(DomainError, match="sites"):
        _refer(world, world.person_a, programme_id=world.programme.id, site_id=other_site.id)
    with pytest.raises(DomainError, match="your organisation"):
        _refer(world, world.person_a, site=world.site_b)


def test_referral_records_status_received_with_who_and_when(world):
    referral = _refer(world, world.person_a)
    assert referral.status is S.RECEIVED
    assert [(c.from_status, c.to_status, c.changed_by_id) for c in referral.status_changes] == [
        (None, S.RECEIVED, world.worker_a.id)]


def test_trial_allocation_is_recorded_and_reproducible(world):
    trial = ProgrammeFactory(trial_enabled=True, trial_seed=4242, min_age=10, max_age=30,
                             trial_stratify_by_site=True)
    site = SiteFactory(programme=trial, provider=world.org_a)
    from app.referrals.allocation import allocate, stratum_for

    arms = []
    for n in range(4):
        r = _refer(world, PersonFactory(organisation=world.org_a), site=site)
        expected = allocate(4242, stratum_for(trial.id, site.id, True), n)
        assert (r.trial_arm.value, r.allocation_draw) == (expected.arm, expected.draw)
        arms.append(r.trial_arm)
    assert sorted(a.value for a in arms) == ["control", "control", "intervention", "intervention"]


def test_logging_contacts_keeps_reach_and_status_in_step(world):
    referral = _refer(world, world.person_a)
    missed = services.log_contact(world.worker_a, referral, occurred_at=datetime(2024, 6, 4, 10), mode=ContactMode.PHONE,
                                  attended=False)
    assert referral.reached_on is None and referral.status is S.RECEIVED and missed.warnings == []
    services.log_contact(world.worker_a, referral, occurred_at=datetime(2024, 6, 6, 10), mode=ContactMode.ONE_TO_ONE,
                         attended=True, duration_minutes=45)
    assert referral.reached_on == date(2024, 6, 6)
    assert referral.first_contact_at == datetime(2024, 6, 4, 10)
    assert referral.status is S.ENGAGED
    assert [c.to_status for c in referral.status_changes] == [S.RECEIVED, S.CONTACTED, S.ENGAGED]


def test_control_arm_is_never_reached(world):
    referral = ReferralFactory(person=world.person_a, site=world.site_a, trial_arm=TrialArm.CONTROL)
    services.log_contact(world.worker_a, referral, occurred_at=datetime(2024, 6, 6, 10), mode=ContactMode.ONE_TO_ONE,
                         attended=True)
    assert referral.reached_on is None


def test_contact_before_the_referral_is_refused(world):
    referral = _refer(world, world.person_a)
    with pytest.raises(DomainError) as raised:
        services.log_contact(world.worker_a, referral, occurred_at=datetime(2024, 6, 2, 23), mode=ContactMode.PHONE,
                             attended=True)
    assert raised.value.field == "occurred_on" and "before the referral date" in raised.value.message


def test_session_cap_and_cadence_warn_but_do_not_block(world):
    world.programme.session_cap, world.programme.cadence_days = 2, 7
    referral = _refer(world, world.person_a)
    at = datetime(2024, 6, 4, 10)
    assert services.log_contact(world.worker_a, referral, occurred_at=at, mode=ContactMode.GROUP, attended=True).warnings == []
    second = services.log_contact(world.worker_a, referral, occurred_at=at + timedelta(days=3), mode=ContactMode.GROUP,
                                  attended=True)
    assert len(second.warnings) == 1 and "3 days before this one" in second.warnings[0] and "every 7 days" in second.warnings[0]
    third = services.log_contact(world.worker_a, referral, occurred_at=at + timedelta(days=14), mode=ContactMode.GROUP,
                                 attended=True)
    assert any("session 3" in w for w in third.warnings)
    assert len(referral.contacts) == 3


def test_status_moves_only_along_the_transitions(world):
    referral = _refer(world, world.person_a)
    with pytest.raises(DomainError, match="can move to"):
        services.change_status(world.worker_a, referral, S.ENGAGED)
    services.change_status(world.worker_a, referral, S.UNABLE_TO_CONTACT, note="Three calls, no answer")
    assert referral.status is S.UNABLE_TO_CONTACT
    with pytest.raises(DomainError):
        services.change_status(world.worker_a, referral, S.CLOSED)  # closing needs a reason: close_referral


def test_close_from_received_records_why_it_ended(world):
    referral = _refer(world, world.person_a)
    with pytest.raises(DomainError) as raised:
        services.close_referral(world.worker_a, referral, reason="Declined further support", closed_on=date(2024, 6, 5))
    assert raised.value.field == "ending"
    services.close_referral(world.worker_a, referral, reason="Declined further support", closed_on=date(2024, 6, 5),
                            ending=S.DECLINED)
    assert referral.status is S.CLOSED and referral.closed_on == date(2024, 6, 5)
    assert [c.to_status for c in referral.status_changes][-2:] == [S.DECLINED, S.CLOSED]
    with pytest.raises(DomainError):
        services.log_contact(world.worker_a, referral, occurred_at=datetime(2024, 6, 6), mode=ContactMode.PHONE,
                             attended=True)


def test_outcomes_come_from_the_programmes_list(world):
    referral = _refer(world, world.person_a)
    with pytest.raises(DomainError):
        services.record_outcome(world.worker_a, referral, outcome_type="Won the lottery", achieved_on=date(2024, 7, 1))
    outcome = services.record_outcome(world.worker_a, referral, outcome_type="Signposted to service",
                                      achieved_on=date(2024, 7, 1))
    assert outcome.recorded_by_id == world.worker_a.id


def test_stale_version_is_a_conflict_not_an_overwrite(world):
    person = world.person_a
    loaded_at = person.version_id
    services.update_person(world.worker_a2, person, {"given_name": "Amarachi", "family_name": "Okoye"},
                           version=loaded_at)
    with pytest.raises(ConflictError, match="Someone else changed"):
        services.update_person(world.worker_a, person, {"given_name": "Ama", "family_name": "Okoye"},
                               version=loaded_at)
    assert person.given_name == "Amarachi"


def test_concurrent_update_that_loses_the_race_is_a_conflict(world):
    referral = world.referral_a
    db.session.flush()
    # Another session saved first: bump the row's version behind this session's back.
    db.session.execute(sa.text("UPDATE referrals SET version_id = version_id + 1 WHERE id = :id"), {"id": referral.id})
    with pytest.raises(ConflictError):
        services.update_referral(world.worker_a, referral, version=None, source=ReferralSource.POLICE,
                                 reason="changed", lawful_basis=LawfulBasis.PUBLIC_TASK, consent_recorded=False)


def test_reassign_stays_inside_the_organisation(world):
    moved = services.reassign_referrals(world.manager_a, [world.referral_a.id], world.worker_a2.id)
    assert moved == 1 and world.referral_a.assigned_worker_id == world.worker_a2.id
    with pytest.raises(DomainError):
        services.reassign_referrals(world.manager_a, [world.referral_b.id], world.worker_a2.id)
    with pytest.raises(DomainError, match="at the organisation that delivers"):  # another provider's worker
        services.reassign_referrals(world.manager_a, [world.referral_a.id], world.worker_b.id)


def test_merge_moves_referrals_and_is_traceable(world):
    twin = PersonFactory(given_name="Amara", family_name="Okoye", organisation=world.org_a,
                         date_of_birth=world.person_a.date_of_birth, ethnicity=None, nhs_number="9434765919")
    twin_referral = ReferralFactory(person=twin, site=world.site_a)
    from app.referrals import queries

    pairs = [(a.id, b.id) for a, b in queries.merge_candidates(world.manager_a)]
    assert (world.person_a.id, twin.id) in pairs
    assert queries.merge_candidates(world.manager_b) == []
    services.merge_people(world.manager_a, world.person_a, twin)
    assert twin.merged_into_id == world.person_a.id and twin.merged_at is not None
    assert twin_referral.person_id == world.person_a.id
    assert world.person_a.nhs_number == "9434765919"
    actions = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.action.like("person.merged%"))).scalars().all()
    assert sorted(actions) == ["person.merged", "person.merged_away"]
    with pytest.raises(DomainError):
        services.merge_people(world.manager_a, world.person_a, twin)


def test_provider_manager_cannot_merge_across_organisations(world):
    with pytest.raises(DomainError, match="another organisation"):
        services.merge_people(world.manager_a, world.person_a, world.person_b)
    services.merge_people(world.programme_office, world.person_a, world.person_b)
    assert world.referral_b.person_id == world.person_a.id

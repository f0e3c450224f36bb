"""The programme office records a trial's seed at set-up; the API's draws use it; it is fixed once used."""
from __future__ import annotations

from datetime import date

import pytest

from app.errors import DomainError
from app.programmes import services as programme_services
from tests.conftest import sign_in
from tests.factories import ProgrammeFactory, SiteFactory


def test_seed_recorded_at_set_up_is_used_and_then_fixed(world, system_a, client):
    programme = ProgrammeFactory(name="School Navigators (trial)", min_age=10, max_age=30)
    SiteFactory(programme=programme, provider=world.org_a, name="Highdown School")
    programme_services.save_programme(world.programme_office, {"trial_enabled": True, "trial_seed": 20240917,
                                                               "name": programme.name}, programme)
    assert programme.trial_seed == 20240917
    sign_in(client, world.programme_office)
    page = client.get(f"/programmes/{programme.id}").get_data(as_text=True)
    assert "randomised trial, seed 20240917" in page
    assert 'name="trial_seed"' in client.get(f"/programmes/{programme.id}/edit").get_data(as_text=True)
    referral = system_a.post("/api/v1/referrals", json={
        "person_id": world.person_a.id, "programme_id": programme.id, "site_id": programme.sites[0].id,
        "referred_on": date.today().isoformat(), "source": "school", "lawful_basis": "public_task"})
    assert referral.status_code == 201 and referral.json["allocation_draw"].startswith("seed=20240917 ")
    with pytest.raises(DomainError) as refused:
        programme_services.save_programme(world.programme_office, {"trial_seed": 1, "name": programme.name}, programme)
    assert refused.value.field == "trial_seed"
    # Saving the programme again with the same seed, or leaving it blank, is fine.
    programme_services.save_programme(world.programme_office, {"trial_seed": None, "name": programme.name}, programme)
    assert programme.trial_seed == 20240917

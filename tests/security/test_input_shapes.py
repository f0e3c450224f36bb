"""The attack's hostile shapes, each fixed once at the root (app/forms.py): one id converter, one date field, one
version field. tests/test_no_server_errors.py sends the same shapes to every route and field."""
from __future__ import annotations

import pytest

from app.forms import MAX_ID, date_from_parts, parse_id
from tests.conftest import sign_in


@pytest.mark.parametrize("text, expected", [
    ("1", 1), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("99999999999999999999999", None), ("0", None),
    ("-1", None), ("abc", None), ("", None), (None, None), ("٣", None), ("1e3", None), (" 7 ", 7),
])
def test_parse_id_accepts_only_what_an_integer_column_holds(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize("parts", [("2147483648", "1", "2010"), ("1", "2147483648", "2010"),
                                   ("1", "1", "2147483648"), ("31", "2", "2010"), ("x", "1", "2010")])
def test_date_from_parts_refuses_plainly(parts):
    with pytest.raises(ValueError):
        date_from_parts(*parts)


@pytest.mark.parametrize("path", ["/referrals/2147483648", "/referrals/99999999999999999999999",
                                  "/referrals/people/2147483648"])
def test_ids_beyond_the_integer_range_are_not_found(world, client, path):
    sign_in(client, world.worker_a)
    assert client.get(path).status_code == 404


def test_query_ids_beyond_the_range_are_treated_as_not_given(world, client):
    sign_in(client, world.manager_a)
    for url in ("/referrals/caseload?worker_id=2147483648&page=99999999999999999999",
                "/referrals/people?q=Amara&page=2147483648"):
        assert client.get(url).status_code == 200, url


def test_a_date_part_of_2_to_the_31_is_a_message_not_a_crash(world, client):
    sign_in(client, world.worker_a)
    page = client.get("/referrals/people?q=&dob=2147483648&dob=1&dob=2010")
    assert page.status_code == 200 and "Date of birth must be a real date" in page.get_data(as_text=True)
    edit = client.post(f"/referrals/people/{world.person_a.id}/edit",
                       data={"date_of_birth": ["1", "1", "2147483648"], "given_name": "Amara", "family_name": "Okoye"})
    assert edit.status_code == 200 and "Year must include 4 numbers" in edit.get_data(as_text=True)


def test_a_non_numeric_version_on_assign_is_a_message_and_changes_nothing(world, client):
    sign_in(client, world.manager_a)
    response = client.post(f"/referrals/{world.referral_a.id}/assign",
                           data={"worker_id": world.worker_a2.id, "version": "abc"})
    assert response.status_code == 200
    assert "Reload the page and try again" in response.get_data(as_text=True)
    assert world.referral_a.assigned_worker_id == world.worker_a.id

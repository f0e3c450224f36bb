def test_read_person(world, api_as):
    api = api_as(world.worker_a)
    r = api.get(f"/api/v1/people/{world.person_a.id}")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.json["family_name"] == "Okoye"
    r = api.get(f"/api/v1/people/{world.person_b.id}")
    assert r.status_code == 404, r.get_data(as_text=True)
    print(r.json)
    r = api.get("/api/v1/referrals")
    print(r.json)
    r = api.post("/api/v1/people", json={"given_name": "Amara", "family_name": "Okoye", "date_of_birth": "2008-05-17"})
    print(r.status_code, r.json)

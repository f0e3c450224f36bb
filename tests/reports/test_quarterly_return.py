"""The quarterly return: figures, formats agree, disclosure control, periods and locking, pages and CLI."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.errors import DomainError
from app.programmes.models import HomeOfficeCategory, TargetMeasure
from app.referrals.ethnicity import Ethnicity
from app.reports import services
from app.reports.builders.quarterly_return import build_quarterly_return
from app.periods.models import PeriodStatus
from app.reports.models import ReturnSnapshot, SnapshotImmutable
from app.documents import render
from tests.conftest import sign_in
from tests.factories import (
    ContactFactory, OutcomeFactory, OutcomeMeasureFactory, PersonFactory, ProgrammeFactory, ReferralFactory,
    SiteFactory, TargetFactory, TrainingAttendeeFactory, TrainingEventFactory,
)


def reach(site, on: date, person=None, **kw):
    person = person or PersonFactory(ethnicity=Ethnicity.WHITE_BRITISH)
    referral = ReferralFactory(site=site, person=person, referred_on=on, reached_on=on, **kw)
    ContactFactory(referral=referral, occurred_at=datetime.combine(on, time(11)), attended=True)
    return referral


def table(report, section, title_start):
    for s in report.sections:
        if s.key == section:
            for t in s.tables:
                if t.title.startswith(title_start):
                    return t
    raise KeyError(title_start)


def row(t, programme):
    return next(r for r in t.rows if r.get("programme") == programme)


@pytest.fixture
def delivery(world):
    """World's programme plus reach across quarters, an unknown age, training and outcomes."""
    w = world
    w.referral_a.reached_on = date(2024, 6, 4)  # the world's cases, reached in Q1
    w.referral_b.reached_on = date(2024, 6, 4)
    w.person_a.ethnicity = Ethnicity.ASIAN_CHINESE
    w.person_b.ethnicity = Ethnicity.BLACK_AFRICAN
    for day in (3, 10, 20):
        reach(w.site_a, date(2024, 7, day))
    reach(w.site_b, date(2024, 8, 1), PersonFactory(date_of_birth=date(1990, 1, 1), ethnicity=Ethnicity.NOT_STATED))
    reach(w.site_b, date(2024, 9, 1), PersonFactory(date_of_birth=None, ethnicity=Ethnicity.WHITE_IRISH))
    TargetFactory(programme=w.programme, measure=TargetMeasure.NEW_25_AND_OVER, value=20)
    TargetFactory(programme=w.programme, measure=TargetMeasure.PROFESSIONALS_TRAINED, value=10)
    ev = TrainingEventFactory(programme=w.programme, held_on=date(2024, 8, 5))
    TrainingAttendeeFactory(event=ev, professional_key="a@x.org")
    TrainingAttendeeFactory(event=ev, professional_key="b@x.org")
    TrainingAttendeeFactory(event=TrainingEventFactory(programme=w.programme, held_on=date(2024, 9, 5)),
                            professional_key="a@x.org")  # same professional again: counts once
    TrainingEventFactory(programme=w.programme, held_on=date(2024, 9, 9), anonymous_count=12)
    OutcomeFactory(referral=w.referral_a, achieved_on=date(2024, 8, 1))
    OutcomeMeasureFactory(referral=w.referral_a, value=8, measured_on=date(2024, 6, 4))
    OutcomeMeasureFactory(referral=w.referral_a, value=5, time_point="exit", measured_on=date(2024, 8, 20))
    db.session.flush()
    return w


def test_delivery_figures(delivery):
    report = build_quarterly_return(2024, 2)
    d2 = row(table(report, "D", "D2"), delivery.programme.name)
    assert (d2["q_young"], d2["q_old"], d2["q_unknown"], d2["q_total"]) == (3, 1, 1, 5)
    progress = row(table(report, "D", "D3"), delivery.programme.name)
    assert (progress["ytd_young"], progress["ytd_old"], progress["ytd_unknown"], progress["ytd"]) == (5, 1, 1, 7)
    assert progress["target_young"] == 100 and progress["pct_young"] == Decimal("0.05")
    assert progress["target_old"] == 20 and progress["pct_old"] == Decimal("0.05")
    assert d2["contacts"] == 5 and d2["referrals"] == 5
    d3 = row(table(report, "D", "D4"), delivery.programme.name)
    assert (d3["quarter"], d3["ytd"], d3["target"]) == (14, 14, 10)
    e1 = table(report, "E", "E1")
    assert e1.total_row["total"] == 7
    e2 = {r["group"]: r["people"] for r in table(report, "E", "E2").rows}
    assert e2["Asian or Asian British"] == 1 and e2["White"] == 4 and e2["Not stated"] == 1
    f2 = row(table(report, "F", "F2"), delivery.programme.name)
    assert (f2["people"], f2["baseline"], f2["latest"], f2["improved"]) == (1, "8.0", "5.0", 1)
    g2 = {r["kind"]: r["open"] for r in table(report, "G", "G2").rows}
    assert g2["Counted with no date of birth or estimated age"] == 1
    subtotal = next(r for r in table(report, "D", "D3").rows if r.get("_style") == "subtotal")
    assert subtotal["ytd"] == 7 and table(report, "D", "D3").total_row["ytd"] == 7


def test_no_personal_data_in_any_format(delivery):
    report = build_quarterly_return(2024, 2)
    for fmt in ("json", "csv"):
        data, _, _ = render(report, fmt)
        text = data.decode()
        assert "Okoye" not in text and "Amara" not in text and "2008-05-17" not in text


def test_xlsx_numbers_equal_the_json(delivery):
    from openpyxl import load_workbook

    report = build_quarterly_return(2024, 2)
    as_json = json.loads(render(report, "json")[0])
    book = load_workbook(io.BytesIO(render(report, "xlsx")[0]))
    cells = [c.value for ws in book.worksheets for r in ws.iter_rows() for c in r]
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    numbers = [v for v in cells if isinstance(v, (int, float)) and not isinstance(v, bool)]
    compared = 0
    for section in as_json["sections"]:
        for t in section["tables"]:
            int_cols = [c["key"] for c in t["columns"] if c["kind"] == "int"]
            for r in t["rows"] + ([t["total_row"]] if t.get("total_row") else []):
                for k in int_cols:
                    if isinstance(r.get(k), int):
                        assert r[k] in numbers, (t["title"], k, r[k])
                        compared += 1
    d2 = next(t for s in as_json["sections"] for t in s["tables"] if t["title"].startswith("D2"))
    ws = next(ws for ws in book.worksheets if ws.title.startswith("D"))
    values = [[c.value for c in r] for r in ws.iter_rows()]
    prow = next(r for r in values if r and r[0] == delivery.programme.name and isinstance(r[1], int))
    jrow = next(r for r in d2["rows"] if r["programme"] == delivery.programme.name)
    assert prow[1:8] == [jrow[k] for k in ("referrals", "q_young", "q_old", "q_unknown", "q_total", "continuing",
                                           "contacts")]
    assert compared > 40


def test_disclosure_control_worked_example(db_session):
    """DOMAIN.md §7: 96 / 23 / 9 / 7 / 3 / 2 (total 140) → 95 / 25 / 10 / * / * / * (total 140)."""
    counts = [96, 23, 9, 7, 3, 2]
    names = []
    for i, n in enumerate(counts):
        p = ProgrammeFactory(name=f"Suppression {i}", ho_category=HomeOfficeCategory.THERAPEUTIC)
        site = SiteFactory(programme=p)
        for k in range(n):
            ReferralFactory(site=site, person=PersonFactory(), referred_on=date(2024, 5, 1),
                            reached_on=date(2024, 5, 1 + k % 28))
        names.append(p.name)
    exact = build_quarterly_return(2024, 1)
    public = build_quarterly_return(2024, 1, suppressed=True)
    d2_exact, d2_public = table(exact, "D", "D3"), table(public, "D", "D3")
    assert [row(d2_exact, n)["ytd"] for n in names] == counts
    assert [row(d2_public, n)["ytd"] for n in names] == [95, 25, 10, "*", "*", "*"]
    sub = next(r for r in d2_public.rows if r.get("_style") == "subtotal" and r["programme"].startswith("Therapeutic"))
    assert sub["ytd"] == 140
    assert public.suppressed and any("Disclosure control" in n for n in public.notes)
    render(public, "pdf")  # markers render


def _prepare(w, fy=2024, quarter=2):
    period = services.period_for(fy, quarter, create=True)
    services.save_draft(w.programme_office, period, narrative="Good quarter.\n\nTwo new sites.", sro_name="Chief Supt X",
                        grant_reference="HO-VRU-24-001", due_on=date(2024, 10, 31))
    services.submit(w.programme_office, period)
    return period


def test_lock_is_blocked_by_open_exceptions_then_snapshots(delivery):
    w = delivery
    period = _prepare(w)
    with pytest.raises(DomainError, match="still open"):
        services.lock(w.programme_office, period)
    keys = [e["key"] for e in services.open_exceptions(period)]
    with pytest.raises(DomainError):
        services.accept_exceptions(w.programme_office, period, keys, "short")
    services.accept_exceptions(w.programme_office, period, keys, "Young person would not give a date of birth")
    snapshot = services.lock(w.programme_office, period)
    assert period.status is PeriodStatus.LOCKED and snapshot.version == 1
    assert snapshot.data["header"] and snapshot.figures["new_people"][str(w.programme.id)]["24_and_under"] == 3
    with pytest.raises(DomainError, match="locked"):
        services.save_draft(w.programme_office, period, narrative="x", sro_name=None, grant_reference=None, due_on=None)
    snapshot.data = {"changed": True}
    with pytest.raises(SnapshotImmutable):
        db.session.flush()
    db.session.rollback()


def test_locked_quarter_never_changes_and_late_entries_are_restated(delivery):
    w = delivery
    period = _prepare(w)
    services.accept_exceptions(w.programme_office, period, [e["key"] for e in services.open_exceptions(period)],
                               "Checked with the provider: cannot be fixed")
    services.lock(w.programme_office, period)
    before = services.return_report(2024, 2).to_dict()
    reach(w.site_a, date(2024, 9, 20))  # recorded late, reached in the locked quarter
    db.session.flush()
    after = services.return_report(2024, 2).to_dict()
    assert before["sections"] == after["sections"]
    q3 = build_quarterly_return(2024, 3)
    restated = table(q3, "G", "G3").rows
    assert restated == [{"programme": w.programme.name, "quarter": "Q2", "locked": 5, "now": 6, "change": 1}]
    assert row(table(q3, "D", "D3"), w.programme.name)["ytd"] == 8


def test_public_version_of_a_locked_quarter_is_the_snapshot_suppressed(delivery, client):
    """A locked quarter's public (suppressed) return is published from the snapshot's exact figures, so it
    can never differ from what was submitted, even after late entries change the live figures."""
    w = delivery
    period = _prepare(w)
    services.accept_exceptions(w.programme_office, period, [e["key"] for e in services.open_exceptions(period)],
                               "Checked with the provider: cannot be fixed")
    public_at_lock = build_quarterly_return(2024, 2, suppressed=True).to_dict()
    services.lock(w.programme_office, period)
    db.session.flush()
    for _ in range(3):  # recorded late, reached in the locked quarter: 7 → 10 people year to date
        reach(w.site_a, date(2024, 9, 20))
    db.session.flush()
    live_public = row(table(build_quarterly_return(2024, 2, suppressed=True), "D", "D3"), w.programme.name)
    assert live_public["ytd"] == 10  # the live figures have moved on …

    public = services.return_report(2024, 2, suppressed=True)
    d2 = row(table(public, "D", "D2"), w.programme.name)
    assert row(table(public, "D", "D3"), w.programme.name)["ytd"] == "*" and d2["q_total"] == "*"  # … the published locked quarter has not (7 → "*")
    assert public.suppressed and any("Disclosure control" in n for n in public.notes)
    assert ("Version", "1 (locked)") in public.header
    assert public.to_dict()["sections"] == public_at_lock["sections"]
    exact = services.return_report(2024, 2)
    assert not exact.suppressed and row(table(exact, "D", "D3"), w.programme.name)["ytd"] == 7

    sign_in(client, w.programme_office)
    response = client.get("/reports/returns/2024/2/download?format=json&suppressed=1")
    assert response.status_code == 200
    data = json.loads(response.get_data())
    d2_json = next(t for s in data["sections"] for t in s["tables"] if t["title"].startswith("D3"))
    assert next(r for r in d2_json["rows"] if r["programme"] == w.programme.name)["ytd"] == "*"
    assert data["sections"] == json.loads(render(public, "json")[0])["sections"]


def test_pages_for_the_programme_office(delivery, client):
    w = delivery
    sign_in(client, w.programme_office)
    page = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    assert "Hospital Navigators (test)" in page and "style=" not in page
    people = client.get(f"/reports/targets/people?fy=2024&programme_id={w.programme.id}&band=24_and_under")
    assert people.status_code == 200 and "Okoye" in people.get_data(as_text=True)
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "targets.people.viewed")).first()
    assert client.get("/reports/returns/2024/2").status_code == 200
    for fmt in ("pdf", "xlsx", "csv", "json"):
        response = client.get(f"/reports/returns/2024/2/download?format={fmt}")
        assert response.status_code == 200 and len(response.data) > 100, fmt
    assert client.get("/reports/returns/2024/7").status_code == 404
    assert client.get("/reports/returns/2024/2/download?format=exe").status_code == 404
    r = client.post("/reports/returns/2024/2/draft", data={"narrative": "Fine", "sro_name": "S", "grant_reference": "G",
                                                            "due_on": ["31", "2", "2025"]})
    assert r.status_code == 400 and "real date" in r.get_data(as_text=True)
    r = client.post("/reports/returns/2024/2/draft", data={"narrative": "Fine", "sro_name": "S", "grant_reference": "G"})
    assert r.status_code == 302
    client.post("/reports/returns/2024/2/submit")
    r = client.post("/reports/returns/2024/2/lock", follow_redirects=True)
    assert "still open" in r.get_data(as_text=True)
    keys = [e["key"] for e in services.open_exceptions(services.period_for(2024, 2))]
    r = client.post("/reports/returns/2024/2/exceptions", data={"keys": keys, "reason": "Not given by the person"})
    assert r.status_code == 302
    r = client.post("/reports/returns/2024/2/lock", follow_redirects=True)
    assert "Return locked" in r.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(ReturnSnapshot)).scalar_one() == 1


def test_provider_manager_sees_only_their_share(delivery, client):
    w = delivery
    sign_in(client, w.manager_a)
    page = client.get("/reports/targets?fy=2024").get_data(as_text=True)
    assert "share" in page
    people = client.get(f"/reports/targets/people?fy=2024&programme_id={w.programme.id}").get_data(as_text=True)
    assert "Okoye" in people and "Clarke" not in people
    assert client.get("/reports/returns").status_code == 403


def test_cli_writes_each_format(delivery, app, tmp_path):
    runner = app.test_cli_runner()
    for fmt in ("json", "csv", "xlsx", "pdf"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(args=["reports", "quarterly", "--year", "2024", "--quarter", "2", "--format", fmt,
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["period_label"] == "2024-25 Q2"
    bad = runner.invoke(args=["reports", "quarterly", "--year", "2024", "--quarter", "5"])
    assert bad.exit_code != 0 and "5" in bad.output


def test_returns_open_on_the_year_being_worked_on_not_an_empty_future_year(world, client, monkeypatch):
    from app.reports import views

    monkeypatch.setattr(views, "_today", lambda: date(2026, 11, 21))  # targets are for 2024-25 only
    sign_in(client, world.programme_office)
    page = client.get("/reports/returns").get_data(as_text=True)
    assert "Quarterly returns 2024-25" in page
    assert "Quarterly returns 2025-26" in client.get("/reports/returns?fy=2025").get_data(as_text=True)

"""Correcting spend (with conflict protection and an audit trail) and refusing money dated in a locked quarter."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from app.errors import ConflictError, DomainError
from app.finance import ledger, services
from app.finance.models import Expenditure, MatchKind, MatchStatus, SpendKind
from app.periods.models import PeriodStatus, ReportingPeriod
from tests.conftest import sign_in
from tests.factories import BudgetLineFactory

LOCKED_MESSAGE = "2024-25 Q2 is locked"


def _lock(fy: int, quarter: int) -> ReportingPeriod:
    period = ReportingPeriod(fy=fy, quarter=quarter, status=PeriodStatus.LOCKED)
    db.session.add(period)
    db.session.flush()
    return period


def _events(action: str) -> list[AuditEvent]:
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


def _edit_form(world, **overrides) -> dict:
    e = world.expenditure
    data = {"line_id": str(e.line_id), "incurred_on": ["15", "6", "2024"],
            "amount": "1000", "kind": "actual", "funded_by": str(e.funded_by_id), "description": "",
            "version": str(e.version_id)}
    data.update(overrides)
    return data


def test_spend_entry_is_corrected_and_audited(app, world, client):
    other = BudgetLineFactory(grant_year=world.grant_year, name="Evaluation")
    sign_in(client, world.finance)
    url = f"/finance/years/2024/spend/{world.expenditure.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Change a spend entry" in page and f'name="version" type="hidden" value="{world.expenditure.version_id}"' in page
    response = client.post(url, data=_edit_form(world, line_id=str(other.id), amount="1,250.50", kind="forecast",
                                                incurred_on=["3", "10", "2024"]))
    assert response.status_code == 302, re.findall(r"Error:</span>(.*?)<", response.get_data(as_text=True), re.S)
    entry = db.session.get(Expenditure, world.expenditure.id)
    db.session.refresh(entry)
    assert (entry.line_id, entry.amount, entry.kind, entry.incurred_on) == (other.id, D("1250.50"), SpendKind.FORECAST,
                                                                           date(2024, 10, 3))
    assert (entry.fy, entry.quarter, entry.version_id) == (2024, 3, 2)
    changed = _events("expenditure.updated")[-1].detail["changed"]
    assert changed["amount"] == {"from": "1000.00", "to": "1250.50"}
    assert changed["line"] == {"from": "Hospital Navigators", "to": "Evaluation"}
    assert changed["incurred_on"] == {"from": "2024-06-15", "to": "2024-10-03"}
    assert changed["kind"] == {"from": "actual", "to": "forecast"}


def test_a_stale_edit_is_refused_with_a_conflict_and_saves_nothing(app, world, client):
    sign_in(client, world.finance)
    url = f"/finance/years/2024/spend/{world.expenditure.id}/edit"
    stale = _edit_form(world, amount="999")
    assert client.post(url, data=_edit_form(world, amount="2000")).status_code == 302  # first officer saves
    response = client.post(url, data=stale, follow_redirects=True)  # second officer, on the old version
    assert "Someone else changed this entry" in response.get_data(as_text=True)
    entry = db.session.get(Expenditure, world.expenditure.id)
    db.session.refresh(entry)
    assert entry.amount == D("2000")
    # A stale delete is refused the same way.
    response = client.post(f"/finance/years/2024/spend/{entry.id}/delete", data={"version": "1"}, follow_redirects=True)
    assert "Someone else changed this entry" in response.get_data(as_text=True)
    assert db.session.get(Expenditure, entry.id) is not None


def test_service_refuses_a_stale_version(app, world):
    with pytest.raises(ConflictError):
        services.update_expenditure(world.finance, world.expenditure, line=world.budget_line,
                                    incurred_on=date(2024, 6, 15), amount=D("5"), kind=SpendKind.ACTUAL, version=7)


def test_money_in_a_locked_quarter_cannot_be_added_changed_or_deleted(app, world):
    _lock(2024, 2)
    actor, line = world.finance, world.budget_line
    with pytest.raises(DomainError, match=LOCKED_MESSAGE) as exc:
        services.record_expenditure(actor, line, incurred_on=date(2024, 8, 1), amount=D("10"), kind=SpendKind.ACTUAL)
    assert "Enter it as a late entry in 2024-25 Q3 (dated from 1 October 2024)" in exc.value.message
    assert exc.value.field == "incurred_on"
    # Q1 is open, but moving an entry into Q2 is refused; an entry already in Q2 cannot be changed or deleted.
    with pytest.raises(DomainError, match=LOCKED_MESSAGE):
        services.update_expenditure(actor, world.expenditure, line=line, incurred_on=date(2024, 9, 1), amount=D("10"),
                                    kind=SpendKind.ACTUAL)
    in_q2 = services.record_expenditure(actor, line, incurred_on=date(2024, 6, 30), amount=D("10"),
                                        kind=SpendKind.ACTUAL)
    in_q2.incurred_on, in_q2.quarter = date(2024, 7, 2), 2  # as if entered before the lock
    db.session.flush()
    with pytest.raises(DomainError, match=LOCKED_MESSAGE):
        services.update_expenditure(actor, in_q2, line=line, incurred_on=date(2024, 6, 2), amount=D("10"),
                                    kind=SpendKind.ACTUAL)
    with pytest.raises(DomainError, match=LOCKED_MESSAGE):
        services.delete_expenditure(actor, in_q2)
    # Two locked quarters in a row: the late entry goes to the first open one.
    _lock(2024, 3)
    with pytest.raises(DomainError, match="late entry in 2024-25 Q4"):
        services.record_expenditure(actor, line, incurred_on=date(2024, 8, 1), amount=D("10"), kind=SpendKind.ACTUAL)
    # Still fine in an open quarter.
    assert services.record_expenditure(actor, line, incurred_on=date(2025, 1, 5), amount=D("10"),
                                       kind=SpendKind.ACTUAL).quarter == 4


def test_ledger_for_a_locked_quarter_is_refused_before_reading(app, world):
    _lock(2024, 2)
    body = b"date,line,amount\r\n01/08/2024,Hospital Navigators,100\r\n"
    with pytest.raises(DomainError, match=LOCKED_MESSAGE) as exc:
        ledger.import_ledger(world.finance, world.grant_year, 2, "q2.csv", body)
    assert exc.value.field == "quarter"


def test_match_in_a_locked_quarter(app, world):
    _lock(2024, 2)  # the world's contribution is dated 1 July 2024 (Q2)
    c, actor, grant = world.contribution, world.finance, world.grant_year
    values = dict(contributor=c.contributor, kind=c.kind, basis=c.basis, amount=c.amount, received_on=c.received_on,
                  status=MatchStatus.ACCEPTED, evidence_note="Letter 12")
    with pytest.raises(DomainError, match=LOCKED_MESSAGE):
        services.save_contribution(actor, grant, **{**values, "amount": D("60000")}, contribution=c)
    with pytest.raises(DomainError, match=LOCKED_MESSAGE):
        services.save_contribution(actor, grant, **{**values, "received_on": date(2024, 8, 1)})
    # Evidence arriving after the lock is recorded: the amount and date are unchanged.
    services.save_contribution(actor, grant, **{**values, "evidence_note": "Letter 12, countersigned"}, contribution=c)
    assert c.evidence_note == "Letter 12, countersigned"
    services.save_contribution(actor, grant, **{**values, "received_on": date(2024, 10, 1), "kind": MatchKind.IN_KIND})


def test_secondment_changes_that_alter_a_locked_quarter_are_refused(app, world):
    _lock(2024, 1)
    s, actor = world.secondment, world.finance  # 1 April 2024 to 31 March 2025
    values = dict(contributor=s.contributor, role=s.role, fte=s.fte, starts_on=s.starts_on, ends_on=s.ends_on,
                  annual_loaded_cost=s.annual_loaded_cost, status=s.status, evidence_note="SA-1")
    with pytest.raises(DomainError, match="2024-25 Q1 is locked"):
        services.save_secondment(actor, **{**values, "annual_loaded_cost": D("80000")}, secondment=s)
    with pytest.raises(DomainError, match="2024-25 Q1 is locked"):
        services.save_secondment(actor, **{**values, "role": "Constable"})  # a new one starting in Q1
    # Ending it early, after Q1, leaves Q1's value alone, so it is allowed; so is a new one from Q2.
    services.save_secondment(actor, **{**values, "ends_on": date(2024, 9, 30)}, secondment=s)
    assert s.ends_on == date(2024, 9, 30)
    services.save_secondment(actor, **{**values, "role": "Constable", "starts_on": date(2024, 7, 1)})


def test_locked_message_reaches_the_form_field(app, world, client):
    _lock(2024, 2)
    sign_in(client, world.finance)
    response = client.post("/finance/years/2024/spend/new", data={
        "line_id": str(world.budget_line.id), "incurred_on": ["1", "8", "2024"], "amount": "100", "kind": "actual", "funded_by": str(world.grant_year.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2024-25 Q2 is locked" in page and 'href="#incurred_on-day"' in page
    assert db.session.execute(sa.select(sa.func.count(Expenditure.id))).scalar_one() == 1


def test_spend_list_totals_and_deletion_is_confirmed_first(app, world, client):
    from tests.factories import ExpenditureFactory

    ExpenditureFactory(line=world.budget_line, amount=D("250.25"), kind=SpendKind.FORECAST,
                       incurred_on=date(2024, 8, 1), quarter=2)
    sign_in(client, world.finance)
    page = client.get("/finance/years/2024/spend").get_data(as_text=True)
    assert "2 entries: <strong>£1,000</strong> actual and <strong>£250.25</strong> forecast." in page
    page = client.get("/finance/years/2024/spend?quarter=1").get_data(as_text=True)
    assert "1 entry in Q1: <strong>£1,000</strong> actual." in page
    assert "Yes, delete it" not in page and "spend_delete" not in page  # no one-click delete in the list
    confirm = client.get(f"/finance/years/2024/spend/{world.expenditure.id}/delete").get_data(as_text=True)
    assert "Delete this spend entry?" in confirm and "Hospital Navigators" in confirm
    assert db.session.get(Expenditure, world.expenditure.id) is not None
    client.post(f"/finance/years/2024/spend/{world.expenditure.id}/delete",
                data={"version": str(world.expenditure.version_id)})
    assert db.session.get(Expenditure, world.expenditure.id) is None
    assert _events("expenditure.deleted")[-1].detail["amount"] == "1000.00"

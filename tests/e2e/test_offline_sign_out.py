"""Signing out from the main site while this device holds items not in Waypoint yet (issue 14): a warning first,
then "send them now" sends each once, and "sign out and delete them" deletes them — never silently."""
from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.conftest import shot, sign_in_as
from tests.e2e.test_accessibility import AXE, _violations
from tests.e2e.test_offline import install, log_contact, make_case, ready, server_rows
from tests.e2e.test_offline_arrivals import other_provider_people

pytestmark = pytest.mark.e2e

# The outbox items' states in this browser's IndexedDB ([] when there is no offline store at all).
OUTBOX_STATES = """
async () => {
  const dbs = await indexedDB.databases()
  if (!dbs.some((d) => d.name === 'waypoint-offline')) return []
  const db = await new Promise((resolve) => { const r = indexedDB.open('waypoint-offline'); r.onsuccess = () => resolve(r.result) })
  if (!db.objectStoreNames.contains('outbox')) { db.close(); return [] }
  const items = await new Promise((resolve) => { const r = db.transaction('outbox').objectStore('outbox').getAll(); r.onsuccess = () => resolve(r.result) })
  db.close()
  return items.map((i) => i.state)
}
"""


def _queue_offline_then_open_the_main_site(page, live_server, family: str, note: str):
    """A contact saved offline; the tab closed; the connection back; the main site opened (not the offline app,
    which would send it): the item is still waiting when the worker goes to sign out."""
    context = page.context
    worker, _ = other_provider_people(live_server)
    referral_id = make_case(live_server, "Femi", family, worker_email=worker)
    sign_in_as(page, worker)
    install(page)
    context.set_offline(True)
    page.goto(f"/offline/case?id={referral_id}")
    ready(page)
    log_contact(page, date.today(), "09:15", note)
    page.close()
    context.set_offline(False)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    assert page.evaluate(OUTBOX_STATES) == ["waiting"]
    return page, referral_id, errors


def _click_sign_out(page):
    page.locator("header").get_by_role("button", name="Sign out").click()
    warning = page.locator("[data-sign-out-warning]")
    warning.wait_for()
    return warning


def test_signing_out_from_the_main_site_warns_then_sends_the_waiting_item_once(page, live_server):
    note = "Spoke outside the custody suite"
    page, referral_id, errors = _queue_offline_then_open_the_main_site(page, live_server, "Signoutsend-Adebayo", note)

    warning = _click_sign_out(page)
    text = warning.inner_text()
    assert "1 item on this device is not in Waypoint yet" in text and "1 waiting to be sent" in text
    assert "Signing out deletes everything Waypoint keeps on this device" in text
    assert "/sign-in" not in page.url, "still signed in while the worker decides"
    assert page.evaluate(OUTBOX_STATES) == ["waiting"], "nothing deleted yet"
    assert server_rows(live_server, referral_id, "-")[0] == []
    assert page.evaluate("document.activeElement.hasAttribute('data-sign-out-warning')")
    shot(page, "offline-12-main-site-sign-out-warning")
    assert AXE is None or _violations(page) == []

    page.get_by_role("button", name="Send it now, then sign out").click()
    page.wait_for_url("**/sign-in")
    contacts, _ = server_rows(live_server, referral_id, "-")
    assert [c.notes for c in contacts] == [note], "sent, once"
    assert contacts[0].recorded_offline_at is not None
    assert page.evaluate(OUTBOX_STATES) == [], "signing out cleared the device"
    shot(page, "offline-13-signed-out-after-sending")
    assert not errors, errors


def test_signing_out_from_the_main_site_deletes_the_items_only_when_the_worker_chooses_to(page, live_server):
    note = "Met at the school gates"
    page, referral_id, errors = _queue_offline_then_open_the_main_site(page, live_server, "Signoutdelete-Kaur", note)

    # "Stay signed in" changes nothing.
    _click_sign_out(page).get_by_role("button", name="Stay signed in").click()
    assert page.locator("[data-sign-out-warning]").count() == 0
    assert "/sign-in" not in page.url and page.evaluate(OUTBOX_STATES) == ["waiting"]

    warning = _click_sign_out(page)
    warning.get_by_role("button", name="Sign out and delete it").click()
    page.wait_for_url("**/sign-in")
    assert page.evaluate(OUTBOX_STATES) == []
    assert page.evaluate("indexedDB.databases().then((dbs) => dbs.map((d) => d.name))") == []
    assert server_rows(live_server, referral_id, "-")[0] == [], "deleted as chosen, never sent"
    assert not errors, errors


def test_signing_out_with_nothing_waiting_asks_nothing(page, live_server):
    sign_in_as(page, other_provider_people(live_server)[0])
    page.goto("/")
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    assert page.evaluate("indexedDB.databases().then((dbs) => dbs.map((d) => d.name))") == []


def test_the_offline_apps_own_sign_out_warns_about_a_held_item_and_offers_to_look_at_it(page, live_server):
    context = page.context
    worker, manager = other_provider_people(live_server)
    referral_id = make_case(live_server, "Ada", "Signoutheld-Nwosu", worker_email=worker)
    sign_in_as(page, worker)
    install(page)
    context.set_offline(True)
    page.goto(f"/offline/case?id={referral_id}")
    ready(page)
    log_contact(page, date.today(), "11:30", "Saw her at the youth club")
    _close(live_server, referral_id, manager)
    context.set_offline(False)
    page.goto("/offline/outbox")
    ready(page)
    page.wait_for_selector("[data-held]")
    assert page.evaluate(OUTBOX_STATES) == ["held"]

    page.locator("[data-sign-out]").click()
    warning = page.locator("[data-sign-out-warning]")
    warning.wait_for()
    text = warning.inner_text()
    assert "1 item on this device is not in Waypoint yet" in text and "1 held" in text
    assert warning.locator("[data-sign-out-send]").count() == 0, "a held item is not sent without the worker"
    assert warning.get_by_role("link", name="Look at the held item").count() == 1
    assert page.evaluate(OUTBOX_STATES) == ["held"]
    shot(page, "offline-14-offline-app-sign-out-held")
    assert AXE is None or _violations(page) == []

    warning.get_by_role("button", name="Sign out and delete it").click()
    page.wait_for_url("**/sign-in**")
    assert page.evaluate(OUTBOX_STATES) == []
    assert server_rows(live_server, referral_id, "-")[0] == []


def _close(live_server, referral_id: int, manager_email: str) -> None:
    """The worker's manager closes the case at the office while the worker is out of signal."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db
    from app.referrals import services
    from app.referrals.models import Referral
    from app.referrals.transitions import ReferralStatus

    with live_server.app.app_context():
        manager = db.session.execute(sa.select(User).where(User.email == manager_email)).scalar_one()
        services.close_referral(manager, db.session.get(Referral, referral_id), reason="Moved out of the area",
                                closed_on=date.today(), ending=ReferralStatus.UNABLE_TO_CONTACT)
        db.session.commit()
        db.session.remove()


def _withdraw_devices(live_server, email: str) -> None:
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db
    from app.offline.services import revoke_devices

    with live_server.app.app_context():
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
        revoke_devices(user, "withdrawn by an administrator")
        db.session.commit()
        db.session.remove()


def test_a_withdrawn_device_sends_what_waits_before_it_wipes_itself_while_its_worker_is_signed_in(page, live_server):
    context = page.context
    note = "Caught him at the bus station"
    worker, _ = other_provider_people(live_server)
    referral_id = make_case(live_server, "Luca", "Withdrawnsend-Moretti", worker_email=worker)
    sign_in_as(page, worker)
    install(page)
    context.set_offline(True)
    page.goto(f"/offline/case?id={referral_id}")
    ready(page)
    log_contact(page, date.today(), "12:40", note)
    _withdraw_devices(live_server, worker)  # e.g. the worker reported the phone lost, then found it

    context.set_offline(False)
    page.goto("/offline/")
    ready(page)
    locked = page.locator("[data-locked]").inner_text()
    assert "withdrawn, so it has been cleared" in locked and "1 item was sent to Waypoint first" in locked
    assert [c.notes for c in server_rows(live_server, referral_id, "-")[0]] == [note]
    assert page.evaluate(OUTBOX_STATES) == []
    shot(page, "offline-18-withdrawn-sent-first")

"""The offline app in a real browser (issue 14): installable shell, encrypted store, pages without a connection.

Chromium is taken offline with ``context.set_offline(True)``; the service worker (Workbox) serves the shells.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import shot, sign_in_as

pytestmark = pytest.mark.e2e

WORKER = "worker@example.org"
VENDOR = Path(__file__).resolve().parents[2] / "app" / "static" / "offline" / "vendor"


@pytest.fixture(autouse=True)
def _assets_copied():
    missing = [p for p in ("workbox/workbox-sw.js", "workbox/workbox-precaching.prod.js", "idb/index.js")
               if not (VENDOR / p).exists()]
    assert not missing, f"Workbox/idb not copied into app/static/offline/vendor ({missing}): run `make assets`"

# Everything in the browser's IndexedDB for this site, with every byte array turned into latin-1 text, so that a
# plaintext value stored anywhere (even inside a byte array) would show up in the dump.
DUMP_IDB = """
async () => {
  const dbs = await indexedDB.databases()
  const out = {}
  const text = (v) => {
    if (v instanceof ArrayBuffer) v = new Uint8Array(v)
    if (ArrayBuffer.isView(v)) return 'bytes:' + Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), (b) => String.fromCharCode(b)).join('')
    if (Array.isArray(v)) return v.map(text)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, text(x)]))
    return v
  }
  for (const { name } of dbs) {
    const db = await new Promise((resolve, reject) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error) })
    out[name] = {}
    for (const store of db.objectStoreNames) {
      const tx = db.transaction(store)
      const all = await new Promise((resolve) => { const r = tx.objectStore(store).getAll(); r.onsuccess = () => resolve(r.result) })
      const keys = await new Promise((resolve) => { const r = tx.objectStore(store).getAllKeys(); r.onsuccess = () => resolve(r.result) })
      out[name][store] = all.map((v, i) => ({ key: keys[i], value: text(v) }))
    }
    db.close()
  }
  return out
}
"""


def make_case(live_server, given: str, family: str, worker_email: str = WORKER) -> int:
    """A case of the worker's own (the demo's random allocation may give them none), made through the services."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db
    from app.referrals import queries, services
    from app.referrals.models import LawfulBasis, ReferralSource

    with live_server.app.app_context():
        worker = db.session.execute(sa.select(User).where(User.email == worker_email)).scalar_one()
        site = queries.site_choices(worker)[0]
        today = date.today()
        referral = services.refer_new_person(
            worker, {"given_name": given, "family_name": family, "date_of_birth": date(today.year - 17, 3, 14)},
            confirm_different=True, programme_id=site.programme_id, site_id=site.id,
            referred_on=today - timedelta(days=6), source=ReferralSource.AE_CLINICIAN, reason="Assault injury",
            lawful_basis=LawfulBasis.PUBLIC_TASK, assigned_worker_id=worker.id)
        db.session.commit()
        referral_id = referral.id
        db.session.remove()
    return referral_id


def ready(page) -> None:
    page.wait_for_selector("body[data-ready=true]")


def install(page) -> None:
    """Open the offline app while online and signed in, and wait until the service worker controls it."""
    page.goto("/offline/")
    ready(page)
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        ready(page)
    assert page.evaluate("!!navigator.serviceWorker.controller")


def fill_date(page, name: str, d: date) -> None:
    page.fill(f"#{name}-day", str(d.day))
    page.fill(f"#{name}-month", str(d.month))
    page.fill(f"#{name}-year", str(d.year))


def log_contact(page, when: date, at: str, notes: str) -> None:
    page.get_by_role("link", name="Log a contact").first.click()
    ready(page)
    page.check("#attended")
    page.check("#mode")
    fill_date(page, "occurred_on", when)
    page.fill("#occurred_time", at)
    page.fill("#duration_minutes", "40")
    page.fill("#notes", notes)
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url("**/offline/case?id=*")
    ready(page)


def refer_someone_new(page, given: str, family: str, born: date) -> None:
    page.goto("/offline/refer")
    ready(page)
    page.fill("#given_name", given)
    page.fill("#family_name", family)
    fill_date(page, "date_of_birth", born)
    page.select_option("#site_id", index=1)
    fill_date(page, "referred_on", date.today())
    page.select_option("#source", "ae_clinician")
    page.fill("#reason", "Assault injury, seen in A&E")
    page.check("input[name=lawful_basis][value=public_task]")
    page.get_by_role("button", name="Record referral").click()
    page.wait_for_url("**/offline/outbox")
    ready(page)


def idb_dump(page) -> str:
    return json.dumps(page.evaluate(DUMP_IDB), ensure_ascii=False)


def test_offline_pages_work_without_a_connection_and_store_nothing_readable(page, live_server):
    make_case(live_server, "Tayo", "Offlinecase-Adeyemi")
    context = page.context
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_as(page, WORKER)
    install(page)
    first = page.locator("table a.govuk-link").first
    name = first.inner_text()
    assert name, "the worker's caseload is on the page"
    shot(page, "offline-01-caseload-online")

    context.set_offline(True)
    page.reload()
    ready(page)
    assert page.get_by_text(name).first.is_visible(), "the caseload opens without a connection"
    assert "No connection" in page.locator("[data-connection]").inner_text()
    shot(page, "offline-02-caseload-offline")
    page.get_by_role("link", name=name).first.click()
    ready(page)
    assert page.locator("h1").inner_text() == name
    shot(page, "offline-03-case-offline")

    # The form says what is wrong, the GOV.UK way, and saves nothing.
    page.get_by_role("link", name="Log a contact").first.click()
    ready(page)
    page.get_by_role("button", name="Save contact").click()
    assert page.locator("[data-error-summary]").is_visible()
    assert "Say whether they attended" in page.locator("[data-error-summary]").inner_text()
    shot(page, "offline-04-contact-errors")
    page.go_back()
    ready(page)

    note = "Talked about staying safe on the way home; plan to meet at college"
    log_contact(page, date.today(), "09:15", note)
    assert "Saved on this phone" in page.locator("[data-flash]").inner_text()
    assert "(1)" in page.locator("[data-outbox-count]").first.inner_text()
    shot(page, "offline-05-contact-saved")

    born = date.today().replace(year=date.today().year - 16) - timedelta(days=40)
    refer_someone_new(page, "Kezia", "Offlinetest-Marlow", born)
    assert "2 waiting to be sent" in page.locator("[data-waiting-summary]").inner_text()
    shot(page, "offline-06-outbox-offline")

    dump = idb_dump(page)
    for secret in (name, name.split()[0], "Kezia", "Offlinetest-Marlow", born.isoformat(), note, "staying safe",
                   "Assault injury"):
        assert secret not in dump, f"{secret!r} is readable in IndexedDB"
    assert "outbox" in dump and dump.count('"state"') >= 2

    # Close the tab; open the app again, still offline: the items are there, but nothing can be read.
    page.close()
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/offline/outbox")
    ready(page)
    assert page.locator("[data-locked]").is_visible()
    assert "2 waiting to be sent" in page.locator("[data-waiting-summary]").inner_text()
    assert "Kezia" not in page.content() and name not in page.content()
    shot(page, "offline-07-reopened-locked")

    # Back online, still signed in: the copy opens again.
    context.set_offline(False)
    page.goto("/offline/")
    ready(page)
    assert page.get_by_text(name).first.is_visible()

    # Signing out wipes the browser's offline data.
    page.locator("[data-sign-out]").click()
    page.wait_for_url("**/sign-in**")
    names = page.evaluate("indexedDB.databases().then(dbs => dbs.map(d => d.name))")
    assert "waypoint-offline" not in names
    page.close()


# Put every outbox item back to 'sending', as if the tab had been closed after the server saved it but before
# the answer came back.
AS_IF_CUT_OFF_MID_SEND = """
async () => {
  const db = await new Promise((resolve) => { const r = indexedDB.open('waypoint-offline'); r.onsuccess = () => resolve(r.result) })
  const tx = db.transaction('outbox', 'readwrite')
  const store = tx.objectStore('outbox')
  const items = await new Promise((resolve) => { const r = store.getAll(); r.onsuccess = () => resolve(r.result) })
  for (const item of items) { item.state = 'sending'; item.sent_at = null; store.put(item) }
  await new Promise((resolve) => { tx.oncomplete = resolve })
  db.close()
  return items.length
}
"""


def server_rows(live_server, referral_id: int, family: str):
    """What the server holds: the case's contacts saved from a device, and referrals of the new person."""
    import sqlalchemy as sa

    from app.db import db
    from app.referrals.models import Contact, Person, Referral

    with live_server.app.app_context():
        contacts = db.session.execute(sa.select(Contact.occurred_at, Contact.recorded_offline_at, Contact.created_at,
                                                Contact.notes)
                                      .where(Contact.referral_id == referral_id).order_by(Contact.occurred_at)).all()
        referrals = db.session.execute(sa.select(Referral.id, Referral.recorded_offline_at, Referral.referred_at)
                                       .join(Person).where(Person.family_name == family)).all()
        db.session.remove()
    return contacts, referrals


def test_worker_captures_offline_closes_the_tab_and_everything_is_sent_once(page, live_server):
    context = page.context
    referral_id = make_case(live_server, "Rhiannon", "Outboxcase-Pryce")
    family = "Outboxnew-Kowalczyk"
    sign_in_as(page, WORKER)
    install(page)
    context.set_offline(True)
    page.goto(f"/offline/case?id={referral_id}")
    ready(page)
    yesterday = date.today() - timedelta(days=1)
    log_contact(page, yesterday, "16:20", "First meeting in the hospital basement")
    log_contact(page, date.today(), "08:05", "Follow-up by the school gates")
    refer_someone_new(page, "Oskar", family, date(date.today().year - 15, 2, 3))
    assert "3 waiting to be sent" in page.locator("[data-waiting-summary]").inner_text()

    # Close the tab and open the app again, still offline: the three wait, locked.
    page.close()
    page = context.new_page()
    page.goto("/offline/outbox")
    ready(page)
    assert "3 waiting to be sent" in page.locator("[data-waiting-summary]").inner_text()
    assert page.locator("[data-locked]").is_visible()
    assert "Rhiannon" not in page.content() and "Oskar" not in page.content()
    assert server_rows(live_server, referral_id, family) == ([], [])

    # The connection returns: opening the app sends them.
    context.set_offline(False)
    page.reload()
    ready(page)
    page.wait_for_function("document.querySelector('[data-waiting-summary]').textContent.includes('Nothing waiting')")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    for i in range(3):
        assert "Sent" in rows.nth(i).inner_text() and "Not yet" not in rows.nth(i).inner_text()
    shot(page, "offline-08-outbox-sent")

    contacts, referrals = server_rows(live_server, referral_id, family)
    assert [(c.occurred_at.strftime("%Y-%m-%d %H:%M"), c.notes) for c in contacts] == [
        (f"{yesterday} 16:20", "First meeting in the hospital basement"),
        (f"{date.today()} 08:05", "Follow-up by the school gates")]
    for c in contacts:  # the time it happened, the time it was written down, the time it arrived
        assert c.recorded_offline_at is not None and c.recorded_offline_at <= c.created_at
    assert len(referrals) == 1 and referrals[0].recorded_offline_at is not None

    # The case's timeline says when each happened, when it was written down and when it reached Waypoint.
    page.goto(f"/referrals/{referral_id}")
    offline_times = page.locator("[data-testid=offline-times]")
    assert offline_times.count() == 2
    assert "Recorded offline" in offline_times.first.inner_text() and "reached Waypoint" in offline_times.first.inner_text()
    shot(page, "offline-10-case-timeline-both-times")

    # A second replay creates nothing: every item is put back to 'sending' (as if the tab had been closed after
    # the server saved them but before the answers came back), the tab is closed and the app opened again.
    page.goto("/offline/outbox")
    ready(page)
    assert page.evaluate(AS_IF_CUT_OFF_MID_SEND) == 3
    page.close()
    page = context.new_page()
    page.goto("/offline/outbox")
    ready(page)
    page.wait_for_function("document.querySelector('[data-waiting-summary]').textContent.includes('Nothing waiting')")
    assert page.locator("tbody tr").count() == 3
    assert server_rows(live_server, referral_id, family) == (contacts, referrals)


def change_on_server(live_server, referral_id: int, *, close: bool = False, reassign_to: str | None = None) -> None:
    """What a manager does at the office while the worker is out of signal."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db
    from app.referrals import services
    from app.referrals.models import Referral
    from app.referrals.transitions import ReferralStatus

    with live_server.app.app_context():
        manager = db.session.execute(sa.select(User).where(User.email == "manager@example.org")).scalar_one()
        referral = db.session.get(Referral, referral_id)
        if close:
            services.close_referral(manager, referral, reason="Moved out of the area", closed_on=date.today(),
                                    ending=ReferralStatus.UNABLE_TO_CONTACT)
        if reassign_to:
            other = db.session.execute(sa.select(User).where(User.email == reassign_to)).scalar_one()
            services.reassign_referrals(manager, [referral_id], other.id)
        db.session.commit()
        db.session.remove()


def contact_facts(live_server, referral_id: int):
    import sqlalchemy as sa

    from app.audit import AuditEvent
    from app.auth.models import User
    from app.db import db
    from app.referrals.models import Contact

    with live_server.app.app_context():
        rows = db.session.execute(sa.select(Contact.id, User.email, Contact.recorded_offline_at)
                                  .join(User, User.id == Contact.worker_id)
                                  .where(Contact.referral_id == referral_id)).all()
        details = [e.detail for e in db.session.execute(sa.select(AuditEvent).where(
            AuditEvent.action == "contact.logged", AuditEvent.object_id.in_([r.id for r in rows]))).scalars()]
        db.session.remove()
    return rows, details


def test_a_case_closed_meanwhile_holds_the_contact_and_a_reassigned_one_keeps_it_with_its_worker(page, live_server):
    context = page.context
    page.on("dialog", lambda dialog: dialog.accept())
    closed_id = make_case(live_server, "Imogen", "Closedcase-Hart")
    moved_id = make_case(live_server, "Dev", "Movedcase-Raman")
    sign_in_as(page, WORKER)
    install(page)
    context.set_offline(True)
    for referral_id, note in ((closed_id, "Met at the custody suite"), (moved_id, "Phone call after school")):
        page.goto(f"/offline/case?id={referral_id}")
        ready(page)
        log_contact(page, date.today(), "07:40", note)

    # Meanwhile, at the office: one case is closed, the other given to another worker.
    change_on_server(live_server, closed_id, close=True)
    change_on_server(live_server, moved_id, reassign_to="worker2@example.org")

    context.set_offline(False)
    page.goto("/offline/outbox")
    ready(page)
    page.wait_for_selector("[data-held]")
    page.wait_for_function("document.querySelector('[data-waiting-summary]').textContent.includes('Nothing waiting')")
    held = page.locator("[data-held]")
    assert held.count() == 1
    text = held.inner_text()
    assert "Imogen Closedcase-Hart" in text and "closed" in text.lower()
    assert "The case was closed on" in text and "Moved out of the area" in text
    assert "This referral is closed" in text and "object" not in text
    assert "Nothing was overwritten" in text
    shot(page, "offline-09-held-conflict")

    rows, _ = contact_facts(live_server, closed_id)
    assert rows == [], "nothing is written on a closed case"
    rows, details = contact_facts(live_server, moved_id)
    assert [(r.email, r.recorded_offline_at is not None) for r in rows] == [(WORKER, True)]
    assert details[0]["recorded_offline"] is True and details[0]["assigned_to_someone_else"] is True

    # Still held after the tab is closed and opened again: never dropped.
    page.close()
    page = context.new_page()
    page.goto("/offline/outbox")
    ready(page)
    assert page.locator("[data-held]").count() == 1
    assert "(1 held)" in page.locator("[data-outbox-count]").first.inner_text()


AGE_THE_COPY = """
async () => {
  const db = await new Promise((resolve) => { const r = indexedDB.open('waypoint-offline'); r.onsuccess = () => resolve(r.result) })
  const tx = db.transaction('data', 'readwrite')
  const store = tx.objectStore('data')
  const row = await new Promise((resolve) => { const r = store.get('caseload'); r.onsuccess = () => resolve(r.result) })
  row.expires_at = Date.now() - 1000
  store.put(row, 'caseload')
  await new Promise((resolve) => { tx.oncomplete = resolve })
  db.close()
}
"""

HAS_CASELOAD = """
async () => {
  const db = await new Promise((resolve) => { const r = indexedDB.open('waypoint-offline'); r.onsuccess = () => resolve(r.result) })
  const keys = await new Promise((resolve) => { const r = db.transaction('data').objectStore('data').getAllKeys(); r.onsuccess = () => resolve(r.result) })
  db.close()
  return keys.includes('caseload')
}
"""


def test_an_ended_session_or_an_old_copy_clears_the_caseload_but_keeps_the_outbox(page, live_server):
    context = page.context
    referral_id = make_case(live_server, "Soraya", "Expirycase-Begum")
    sign_in_as(page, WORKER)
    install(page)
    context.set_offline(True)
    page.goto(f"/offline/case?id={referral_id}")
    ready(page)
    log_contact(page, date.today(), "10:10", "Quick word in the corridor")

    assert page.evaluate(HAS_CASELOAD) is True

    # The session ends (expired, or signed out elsewhere) while out of signal. Back online, the app wipes the copy
    # and the key, and keeps the unsent contact, sealed, for after signing in.
    context.clear_cookies()
    context.set_offline(False)
    page.goto("/offline/")
    ready(page)
    assert "You are signed out, so your caseload was cleared" in page.locator("[data-locked]").inner_text()
    assert "1 item is waiting" in page.locator("[data-locked]").inner_text()
    assert page.evaluate(HAS_CASELOAD) is False
    assert page.evaluate("sessionStorage.length") == 0
    shot(page, "offline-11-signed-out-locked")

    # Signing in again opens it and sends it.
    sign_in_as(page, WORKER)
    page.goto("/offline/outbox")
    ready(page)
    page.wait_for_function("document.querySelector('[data-waiting-summary]').textContent.includes('Nothing waiting')")
    assert server_rows(live_server, referral_id, "-")[0][0].notes == "Quick word in the corridor"

    # Past the maximum age: opening the app, even offline, deletes the copy.
    context.set_offline(True)
    page.evaluate(AGE_THE_COPY)
    page.goto("/offline/")
    ready(page)
    assert "more than 12 hours old" in page.locator("main").inner_text()
    assert page.evaluate(HAS_CASELOAD) is False

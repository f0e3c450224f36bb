"""The to-do list (issue 13): what is due or overdue, most urgent first, built from the rows of
`todo.queries.work_rows` with the clock rules — no query per row.

What appears, and when:
- **First contact**: an open referral with no contact attempt yet. With a clock, it shows the time left (green),
  turns amber when `amber_hours` or fewer are left and red once the clock has run out. Without a clock it is
  listed grey with how long ago the referral came in. It leaves the list the moment an attempt is logged.
- **Contact due**: the programme's days between sessions have passed since the last *attended* session
  (a did-not-attend is not a contact for this). Amber on the day it falls due, red after.
- **No contact for 14 days**: no contact at all (attended or not) in 14 days, when no session is already due.
- **Baseline / review measure**: due `baseline_within_days` days and `review_at_weeks` weeks after the first
  attended session, until a measure at that time point is recorded; listed from a week before.
- **Exit measure**: a case that engaged was closed in the last 14 days and has no exit measure (due within 7 days).
- **Trial follow-up** at 6 and 12 months (`referrals.followups`), from two weeks before.
- **Unassigned referral** (managers only): open, with nobody assigned; it carries the first-contact clock.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.clocks.rules import (
    AMBER, GREEN, GREY, RED, ClockSettings, ClockUnit, clock_state, day_state, days_text, default_settings,
    describe_left, first_contact_due,
)
from app.referrals.followups import STALE_AFTER_DAYS, follow_up_due
from app.referrals.models import TrialArm
from app.referrals.transitions import OPEN_STATUSES

DUE_SOON_DAYS = 7
EXIT_DUE_DAYS = 7

KINDS = {  # kind: (what it says, action label, endpoint, order among items of the same colour)
    "first_contact": ("First contact", "Log a contact attempt", "referrals.log_contact", 0),
    "unassigned": ("Unassigned referral", "Assign a worker", "referrals.assign", 1),
    "contact_due": ("Contact due", "Log a contact", "referrals.log_contact", 2),
    "stale": (f"No contact for {STALE_AFTER_DAYS} days", "Log a contact", "referrals.log_contact", 3),
    "follow_up": ("Trial follow-up", "Record a measure", "referrals.record_measure", 4),
    "baseline": ("Baseline measure", "Record a measure", "referrals.record_measure", 5),
    "review": ("Review measure", "Record a measure", "referrals.record_measure", 5),
    "exit": ("Exit measure", "Record a measure", "referrals.record_measure", 5),
}
STATE_ORDER = {RED: 0, AMBER: 1, GREEN: 2, GREY: 3}
STATE_WORDS = {RED: "Overdue", AMBER: "Due soon", GREEN: "On time", GREY: "No clock"}


@dataclass
class TodoItem:
    kind: str
    referral_id: int
    person: str
    initials: str
    programme: str
    site: str
    site_id: int
    worker: str | None
    worker_id: int | None
    state: str
    when: str
    due_at: datetime

    @property
    def label(self) -> str:
        return KINDS[self.kind][0]

    @property
    def action(self) -> str:
        return KINDS[self.kind][1]

    @property
    def endpoint(self) -> str:
        return KINDS[self.kind][2]

    @property
    def state_words(self) -> str:
        if self.kind in ("first_contact", "unassigned") and self.state == RED:
            return "Clock ran out"
        return STATE_WORDS[self.state]

    def sort_key(self):
        return STATE_ORDER[self.state], KINDS[self.kind][3], self.due_at, self.referral_id


def settings_of_row(row) -> ClockSettings:
    if row.clock_id is None:
        return default_settings(row.kind.value if hasattr(row.kind, "value") else row.kind)
    return ClockSettings(row.first_contact_within, row.first_contact_unit or ClockUnit.HOURS, row.amber_hours,
                         row.baseline_within_days, row.review_at_weeks, row.exit_at_close)


def referred_moment(row) -> datetime:
    return row.referred_at or datetime.combine(row.referred_on, time(9, 0))


def _clock(row, settings: ClockSettings, now: datetime) -> tuple[str, str, datetime]:
    due = first_contact_due(referred_moment(row), settings)
    if due is None:
        days = (now.date() - row.referred_on).days
        ago = "today" if days == 0 else ("yesterday" if days == 1 else f"{days} days ago")
        return GREY, f"No clock; referred {ago}", referred_moment(row)
    return clock_state(due, now, settings.amber_hours), describe_left(due, now), due


def _dated(kind: str, row, due: date, today: date, base: dict) -> TodoItem:
    return TodoItem(kind=kind, state=day_state(due, today), when=days_text(due, today),
                    due_at=datetime.combine(due, time(23, 59)), **base)


def items_for_row(row, now: datetime, *, include_unassigned: bool) -> list[TodoItem]:
    today = now.date()
    settings = settings_of_row(row)
    base = dict(referral_id=row.id, person=f"{row.given_name} {row.family_name}",
                initials=f"{row.given_name[:1]}{row.family_name[:1]}".upper(), programme=row.programme,
                site=row.site, site_id=row.site_id, worker=row.worker, worker_id=row.assigned_worker_id)
    if row.status not in OPEN_STATUSES:
        if settings.exit_at_close and row.reached_on and not row.exits and row.closed_on:
            return [_dated("exit", row, row.closed_on + timedelta(days=EXIT_DUE_DAYS), today, base)]
        return []
    if row.trial_arm == TrialArm.CONTROL:
        # A trial's comparison group is not mentored (its people are never reached), so no first-contact clock,
        # cadence or assignment applies to it: only the evaluation's follow-ups fall due.
        return _follow_ups(row, today, base)
    no_attempt = row.first_contact_at is None and row.last_contact_at is None
    if row.assigned_worker_id is None:
        if not include_unassigned:
            return []
        state, when, due = _clock(row, settings, now) if no_attempt else (
            AMBER, "Nobody is assigned", referred_moment(row))
        return [TodoItem(kind="unassigned", state=state, when=when, due_at=due, **base)]
    if no_attempt:
        state, when, due = _clock(row, settings, now)
        return [TodoItem(kind="first_contact", state=state, when=when, due_at=due, **base)]
    items = []
    if row.cadence_days and row.last_attended_at:
        due = row.last_attended_at.date() + timedelta(days=row.cadence_days)
        if today >= due:
            items.append(_dated("contact_due", row, due, today, base))
    if not items and row.last_contact_at and (today - row.last_contact_at.date()).days > STALE_AFTER_DAYS:
        since = (today - row.last_contact_at.date()).days
        items.append(TodoItem(kind="stale", state=RED, when=f"last contact {since} days ago",
                              due_at=row.last_contact_at + timedelta(days=STALE_AFTER_DAYS), **base))
    if row.reached_on:
        for kind, count, offset in (
                ("baseline", row.baselines, settings.baseline_within_days),
                ("review", row.reviews, settings.review_at_weeks * 7 if settings.review_at_weeks else None)):
            if offset and not count:
                due = row.reached_on + timedelta(days=offset)
                if today >= due - timedelta(days=DUE_SOON_DAYS):
                    items.append(_dated(kind, row, due, today, base))
    return items + _follow_ups(row, today, base)


def _follow_ups(row, today: date, base: dict) -> list[TodoItem]:
    follow = follow_up_due(row.referred_on, row.trial_arm not in (None, TrialArm.NONE), today, row.last_measure_on)
    if not follow:
        return []
    months, due = follow
    item = _dated("follow_up", row, due, today, base)
    item.when = f"{months}-month, {item.when}"
    return [item]


def build(rows, now: datetime, *, include_unassigned: bool) -> list[TodoItem]:
    items = [i for row in rows for i in items_for_row(row, now, include_unassigned=include_unassigned)]
    return sorted(items, key=TodoItem.sort_key)


@dataclass
class Tally:
    name: str
    total: int = 0
    red: int = 0
    amber: int = 0
    breached: int = 0


def tallies(items: list[TodoItem]) -> tuple[list[Tally], list[Tally]]:
    """Counts by worker and by site, for a manager."""
    by_worker: dict[str, Tally] = {}
    by_site: dict[str, Tally] = {}
    for item in items:
        for table, name in ((by_worker, item.worker or "Nobody assigned"), (by_site, f"{item.programme}, {item.site}")):
            t = table.setdefault(name, Tally(name))
            t.total += 1
            t.red += item.state == RED
            t.amber += item.state == AMBER
            t.breached += item.kind in ("first_contact", "unassigned") and item.state == RED
    order = lambda t: (-t.red, -t.amber, -t.total, t.name)  # noqa: E731
    return sorted(by_worker.values(), key=order), sorted(by_site.values(), key=order)


def breaches_now(items: list[TodoItem]) -> list[TodoItem]:
    return [i for i in items if i.kind in ("first_contact", "unassigned") and i.state == RED
            and not i.when.startswith("No clock")]


@dataclass
class SiteClock:
    site: str
    within: int = 0
    late: int = 0


def recent_clock_record(rows) -> list[SiteClock]:
    """Of first contacts made in the period: how many were within the programme's clock, by site."""
    sites: dict[str, SiteClock] = {}
    for row in rows:
        due = first_contact_due(referred_moment(row), settings_of_row(row))
        if due is None:
            continue
        s = sites.setdefault(row.site, SiteClock(row.site))
        if row.first_contact_at <= due:
            s.within += 1
        else:
            s.late += 1
    return sorted(sites.values(), key=lambda s: (-s.late, s.site))


def counts(items: list[TodoItem]) -> dict[str, int]:
    c = Counter(i.state for i in items)
    kinds = defaultdict(int)
    for i in items:
        kinds[i.kind] += 1
    return {"total": len(items), "red": c[RED], "amber": c[AMBER], "breached": len(breaches_now(items)),
            **{f"kind_{k}": v for k, v in kinds.items()}}

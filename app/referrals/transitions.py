"""Referral status transitions (DOMAIN.md §2).

received → contacted → engaged → closed; received/contacted → declined | not eligible |
unable to contact → closed. Each transition is recorded with who and when by the service.
"""
from __future__ import annotations

from app.db import LabelledEnum


class ReferralStatus(LabelledEnum):
    RECEIVED = ("received", "Received")
    CONTACTED = ("contacted", "Contacted")
    ENGAGED = ("engaged", "Engaged")
    DECLINED = ("declined", "Declined")
    NOT_ELIGIBLE = ("not_eligible", "Not eligible")
    UNABLE_TO_CONTACT = ("unable_to_contact", "Unable to contact")
    CLOSED = ("closed", "Closed")


S = ReferralStatus

ALLOWED: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.RECEIVED: frozenset({S.CONTACTED, S.DECLINED, S.NOT_ELIGIBLE, S.UNABLE_TO_CONTACT}),
    S.CONTACTED: frozenset({S.ENGAGED, S.DECLINED, S.NOT_ELIGIBLE, S.UNABLE_TO_CONTACT}),
    S.ENGAGED: frozenset({S.CLOSED}),
    S.DECLINED: frozenset({S.CLOSED}),
    S.NOT_ELIGIBLE: frozenset({S.CLOSED}),
    S.UNABLE_TO_CONTACT: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset(s for s in ReferralStatus if s is not S.CLOSED)


def can_move(current: ReferralStatus, to: ReferralStatus) -> bool:
    return to in ALLOWED[current]


def next_statuses(current: ReferralStatus) -> list[ReferralStatus]:
    return [s for s in ReferralStatus if s in ALLOWED[current]]


def path_to(current: ReferralStatus, to: ReferralStatus) -> list[ReferralStatus] | None:
    """Shortest chain of allowed moves from current to `to` (None if unreachable)."""
    frontier = [[current]]
    seen = {current}
    while frontier:
        path = frontier.pop(0)
        if path[-1] is to:
            return path[1:]
        for nxt in next_statuses(path[-1]):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(path + [nxt])
    return None

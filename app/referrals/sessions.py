"""Session cap and cadence (DOMAIN.md §2): warn, never block.

A programme may offer up to N sessions (School Navigators: up to six, 001 L455) and run them every K days
(weekly). Only attended sessions count. The same rule speaks twice: on the log-contact form before saving
("this will be session 3 of 6"), and after saving, so a worker who back-dated a session still hears it.
Days are calendar days in UK time, so a Monday session followed by next Monday's is 7 days apart whatever
the hour. Pure: values in, sentences out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionNotice:
    text: str
    warning: bool  # True: past the cap or inside the cadence; False: plain information


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def session_notices(*, programme: str, session_cap: int | None, cadence_days: int | None,
                    attended_at: list[datetime], at: datetime, before_saving: bool) -> list[SessionNotice]:
    """What to tell a worker about an attended session at `at`, given the attended sessions already held.

    `before_saving` words it as what *will* happen ("This will be session 3"), otherwise as what did."""
    notices = []
    number = len(attended_at) + 1
    verb = "If they attend, this will be" if before_saving else "This is"
    if session_cap:
        if number > session_cap:
            notices.append(SessionNotice(
                f"{verb} session {number}: {programme} offers up to {session_cap} sessions.", True))
        elif before_saving:
            notices.append(SessionNotice(
                f"{verb} session {number} of the {session_cap} that {programme} offers.", False))
    if cadence_days and attended_at:
        nearest = min(attended_at, key=lambda t: abs((at - t).total_seconds()))
        gap = abs((at.date() - nearest.date()).days)
        close = gap < cadence_days
        if nearest <= at:
            when = "today" if gap == 0 else f"{_days(gap)} ago" if before_saving else f"{_days(gap)} before this one"
            text = f"The last session was {when}; {programme} runs sessions every {_days(cadence_days)}."
        else:
            text = (f"Another session was {_days(gap)} after this one; {programme} runs sessions every "
                    f"{_days(cadence_days)}.")
        if close or before_saving:
            notices.append(SessionNotice(text, close))
    return notices


def session_warnings(**kwargs) -> list[str]:
    """Only the warnings, as sentences: what the service reports after a session is saved."""
    return [n.text for n in session_notices(before_saving=False, **kwargs) if n.warning]

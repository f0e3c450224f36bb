"""What each reminder e-mail says (issue 13). Pure: values in, (subject, body) out.

No young person's name is ever written: an e-mail carries a count and a link, and — only when the recipient
has chosen it — the young person's initials. A recipient only ever hears about referrals they may open.
"""
from __future__ import annotations

FOOTER = ("\n\nYou get this because of your choices under E-mail reminders in Waypoint ({settings}). "
          "Sign in to see the details.")


def _who(initials: str | None) -> str:
    return f" ({initials})" if initials else ""


def digest(counts: dict, link: str, settings: str) -> tuple[str, str]:
    total, red, amber = counts["total"], counts["red"], counts["amber"]
    subject = f"Waypoint: {total} thing{'s' if total != 1 else ''} to do today"
    lines = [f"You have {total} thing{'s' if total != 1 else ''} to do in Waypoint: {red} overdue, "
             f"{amber} due soon."]
    if counts.get("breached"):
        lines.append(f"{counts['breached']} first-contact clock{'s have' if counts['breached'] != 1 else ' has'} "
                     "run out.")
    lines.append(f"Open your to-do list: {link}")
    return subject, "\n".join(lines) + FOOTER.format(settings=settings)


def assigned(programme: str, site: str, link: str, settings: str, initials: str | None = None) -> tuple[str, str]:
    return ("Waypoint: a referral has been assigned to you",
            f"A referral{_who(initials)} at {site} ({programme}) has been assigned to you.\n"
            f"Open the case: {link}" + FOOTER.format(settings=settings))


def clock(programme: str, site: str, left: str, link: str, settings: str,
          initials: str | None = None) -> tuple[str, str]:
    return (f"Waypoint: first contact due soon ({left})",
            f"The first-contact clock for a referral{_who(initials)} at {site} ({programme}) is about to run out: "
            f"{left}. No contact attempt is logged yet.\nLog a contact attempt: {link}" + FOOTER.format(settings=settings))


def breach(programme: str, site: str, late: str, worker: str | None, link: str, settings: str,
           initials: str | None = None) -> tuple[str, str]:
    who = f"assigned to {worker}" if worker else "not assigned to anyone"
    return ("Waypoint: a first-contact clock has run out",
            f"A referral{_who(initials)} at {site} ({programme}), {who}, has no contact attempt and its "
            f"first-contact clock has run out ({late}).\nOpen the case: {link}" + FOOTER.format(settings=settings))

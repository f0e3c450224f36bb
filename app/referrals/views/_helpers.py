from __future__ import annotations

from flask import flash, redirect, url_for

from app.db import db
from app.errors import ConflictError
from app.forms import attach_error, id_arg, page_arg


def fail(form, exc) -> None:
    """Roll back and show a service's message next to its field."""
    db.session.rollback()
    attach_error(form, exc)


def conflict_redirect(exc: ConflictError, endpoint: str, **values):
    """Start again from what is saved now: never a silent overwrite, never the stale form re-posted."""
    db.session.rollback()
    flash(exc.message, "conflict")
    return redirect(url_for(endpoint, **values))


def page_number() -> int:
    return page_arg()


def int_arg(name: str) -> int | None:
    return id_arg(name)


def case_crumbs(referral) -> list[dict]:
    return [{"text": "People", "href": url_for("referrals.people")},
            {"text": referral.person.display_name, "href": url_for("referrals.person", person_id=referral.person_id)},
            {"text": f"{referral.programme.name} referral", "href": url_for("referrals.case", referral_id=referral.id)}]




def paginate_rows(stmt, per_page: int = 25):
    """Like db.paginate, but yields whole rows (name, status, last contact…) rather than the first column."""
    from flask_sqlalchemy.pagination import SelectPagination

    class RowPagination(SelectPagination):
        def _query_items(self):
            select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
            return list(self._query_args["session"].execute(select).all())

    return RowPagination(select=stmt, session=db.session(), page=page_number(), per_page=per_page, error_out=False)

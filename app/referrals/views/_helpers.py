from __future__ import annotations

from flask import flash, redirect, url_for
from flask_sqlalchemy.pagination import SelectPagination

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


class _RowPagination(SelectPagination):
    """Like db.paginate, but yields whole rows (name, status, last contact…) rather than the first column, and
    counts with the statement it is given (a caseload's count needs none of the page's joins or columns)."""

    def _query_items(self):
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select, self._query_args["values"]).all())

    def _query_count(self) -> int:
        count = self._query_args.get("count_stmt")
        if count is None:
            return super()._query_count()
        return self._query_args["session"].execute(count, self._query_args["values"]).scalar()


def paginate_rows(stmt, per_page: int = 25, count=None, values=None):
    """A page of `stmt`'s rows; `count`, when given, is a statement counting the same rows more cheaply;
    `values`, the parameters of statements built once (e.g. queries.my_caseload)."""
    return _RowPagination(select=stmt, count_stmt=count, values=values or {}, session=db.session(),
                          page=page_number(), per_page=per_page, error_out=False)

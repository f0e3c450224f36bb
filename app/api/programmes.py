"""/api/v1/programmes: programmes and their sites (read-only)."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm.selectinload)

from app.api.core import api_blueprint, changed_since, page
from app.auth.decorators import requires
from app.auth.roles import Capability as C
from app.programmes import queries
from app.programmes.models import Programme
from app.programmes.schemas import ProgrammeListArgs, ProgrammeSchema, ProgrammesPage

blp = api_blueprint("programmes", "/programmes", "Programmes and sites")


@blp.route("", methods=["GET"])
@requires(C.VIEW_PROGRAMMES)
@blp.arguments(ProgrammeListArgs, location="query")
@blp.response(200, ProgrammesPage)
def list_programmes(args):
    """Every programme with its sites: which site ids to refer to, ages, outcome types."""
    stmt = (sa.select(Programme).where(changed_since(Programme.updated_at, args["updated_since"]))
            .options(sa.orm.selectinload(Programme.sites)))
    return page(stmt, Programme.id, args)


@blp.route("/<int:programme_id>", methods=["GET"])
@requires(C.VIEW_PROGRAMMES)
@blp.response(200, ProgrammeSchema)
def get_programme(programme_id: int):
    """One programme with its sites."""
    return queries.get_programme(programme_id)

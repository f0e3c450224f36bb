"""/api/v1/people: search, read, create (with the pages' duplicate check)."""
from __future__ import annotations

from flask_login import current_user

from app import audit
from app.api.core import IDEMPOTENCY_KEY, api_blueprint, changed_since, etag, idempotent, page
from app.auth.decorators import personal_data, requires
from app.auth.policies import get_person_for
from app.auth.roles import Capability as C
from app.db import db
from app.referrals import queries, services
from app.referrals.models import Person
from app.referrals.schemas import (
    DuplicateProblemSchema, PeoplePage, PersonCreateSchema, PersonSchema, PersonSearchArgs,
)

blp = api_blueprint("people", "/people", "Young people: search, read and record")


@blp.route("", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@personal_data
@blp.arguments(PersonSearchArgs, location="query", as_kwargs=True)
@blp.response(200, PeoplePage)
def search_people(cursor, limit, updated_since, q, date_of_birth):
    """Find people in your scope by name, NHS number or police reference, and/or date of birth.

    With no `q` and no `date_of_birth`, lists everyone in your scope (use `updated_since` to sync changes)."""
    stmt = queries.people_search(current_user, text=q, date_of_birth=date_of_birth).where(
        changed_since(Person.updated_at, updated_since))
    result = page(stmt, Person.id, {"cursor": cursor, "limit": limit})
    audit.record(current_user, "people.searched", detail={"results": len(result["items"]), "api": True})
    db.session.commit()
    return result


@blp.route("", methods=["POST"])
@requires(C.RECORD_REFERRAL)
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.arguments(PersonCreateSchema)
@blp.response(201, PersonSchema, headers={**{"ETag": {"schema": {"type": "string"}}}})
@blp.alt_response(409, schema=DuplicateProblemSchema, content_type="application/problem+json",
                  description="Possible duplicates: check `candidates`; to record them anyway send `create_anyway`")
def create_person(values):
    """Record a person. A possible duplicate answers 409 with the candidates you may see."""
    create_anyway = values.pop("create_anyway", False)
    person = services.create_person(current_user, values, confirm_different=create_anyway)
    db.session.commit()
    return person, 201, etag(person)


@blp.route("/<int:person_id>", methods=["GET"])
@requires(C.VIEW_CASEWORK)
@personal_data
@blp.response(200, PersonSchema, headers={"ETag": {"schema": {"type": "string"}}})
def get_person(person_id: int):
    """A person's record (audited as a view, like the page). A merged record answers with the one it went into."""
    person = get_person_for(current_user, person_id)
    if person.merged_into_id:
        person = get_person_for(current_user, person.merged_into_id)
    audit.record(current_user, "person.viewed", person, detail={"api": True})
    db.session.commit()
    return person, 200, etag(person)

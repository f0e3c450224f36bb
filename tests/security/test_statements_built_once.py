"""Statements built once and run with each user's values (the to-do list, My caseload) keep every user to their
own organisation: the first user to run one must not leave their organisation or identity in it for the next."""
from __future__ import annotations

from datetime import date

from app.auth.policies import referral_scope_shape
from app.db import db
from app.referrals import queries as referral_queries
from app.todo import queries as todo_queries
from tests.factories import PersonFactory, ReferralFactory


def test_the_same_built_statement_answers_each_organisation_with_its_own_referrals(world):
    restricted = ReferralFactory(person=PersonFactory(organisation=world.org_a, restricted=True), site=world.site_a,
                                 assigned_worker=world.worker_a)
    db.session.flush()
    today = date.today()
    # same shape, different organisations: one built statement serves both
    assert referral_scope_shape(world.worker_a) == referral_scope_shape(world.worker_b)
    assert referral_scope_shape(world.manager_a) == referral_scope_shape(world.manager_b)
    for first, second in ((world.worker_a, world.worker_b), (world.worker_b, world.worker_a)):
        seen = {}
        for user in (first, second):
            rows = todo_queries.work_rows(user, today, mine_only=True)
            mine = referral_queries.my_caseload(user, today)
            listed = db.session.execute(mine.rows, mine.values).all()
            summary = referral_queries.my_caseload_summary(user, today)
            seen[user.id] = ({r.id for r in rows}, {r.id for r in listed}, {r.id for r in summary})
        for user, own, other in ((world.worker_a, world.referral_a, world.referral_b),
                                 (world.worker_b, world.referral_b, world.referral_a)):
            for ids in seen[user.id]:
                assert own.id in ids and other.id not in ids and restricted.id not in ids
    for manager, own, other in ((world.manager_b, world.referral_b, world.referral_a),
                                (world.manager_a, world.referral_a, world.referral_b)):
        ids = {r.id for r in todo_queries.work_rows(manager, today, mine_only=False)}
        assert own.id in ids and other.id not in ids and restricted.id not in ids
        # filtered by a worker of the other organisation: nothing, whoever ran the statement before
        assert not todo_queries.work_rows(manager, today, mine_only=False, worker_id=other.assigned_worker_id)

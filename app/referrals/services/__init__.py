"""Casework use cases (DESIGN.md §4.3): one verb-named function per use case."""
from app.referrals.services._common import CONFLICT  # noqa: F401
from app.referrals.services.cases import (  # noqa: F401
    ContactResult, attended_sessions, change_status, close_referral, log_contact, reassign_referrals, record_measure,
    record_outcome, refer_new_person, reopen_referral, session_notices_before_saving, submit_referral, update_referral,
)
from app.referrals.services.people import (  # noqa: F401
    PossibleDuplicate, create_person, duplicates_of, find_people, merge_people, update_person,
)

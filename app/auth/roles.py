"""The one role → capability matrix (DESIGN.md §1, §4.3).

Views and services ask `user.can(Capability.X)`; nothing compares role names.
"""
from __future__ import annotations

import enum

from app.db import LabelledEnum


class Role(LabelledEnum):
    YOUTH_WORKER = ("youth_worker", "Youth worker")
    PROVIDER_MANAGER = ("provider_manager", "Provider manager")
    PROGRAMME_OFFICE = ("programme_office", "Programme office")
    FINANCE = ("finance", "Finance")
    ADMIN = ("admin", "Administrator")


class Capability(enum.Enum):
    # casework
    VIEW_CASEWORK = "view_casework"            # see people and referrals in scope
    RECORD_REFERRAL = "record_referral"
    LOG_CONTACT = "log_contact"
    RECORD_OUTCOME = "record_outcome"
    CLOSE_REFERRAL = "close_referral"
    REASSIGN_REFERRAL = "reassign_referral"
    VIEW_ORG_CASELOAD = "view_org_caseload"
    MERGE_PEOPLE = "merge_people"
    VIEW_ALL_ORGANISATIONS = "view_all_organisations"  # scope widens from own organisation to all
    EXPORT_EVALUATION = "export_evaluation"
    IMPORT_CASEWORK = "import_casework"  # bulk import of existing casework from a spreadsheet
    # programmes, targets and returns
    VIEW_PROGRAMMES = "view_programmes"
    MANAGE_PROGRAMMES = "manage_programmes"
    VIEW_TARGETS = "view_targets"
    MANAGE_RETURNS = "manage_returns"
    RECORD_TRAINING = "record_training"
    # finance
    VIEW_FINANCE = "view_finance"
    MANAGE_FINANCE = "manage_finance"
    # administration and privacy
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    # restricted records, access histories, subject access, erasure (SECURITY.md §10)
    DATA_PROTECTION = "data_protection"
    # everyone signed in
    VIEW_HOME = "view_home"
    MANAGE_OWN_ACCOUNT = "manage_own_account"


C = Capability

_EVERYONE = {C.VIEW_HOME, C.MANAGE_OWN_ACCOUNT}

MATRIX: dict[Role, frozenset[Capability]] = {
    Role.YOUTH_WORKER: frozenset(_EVERYONE | {
        C.VIEW_CASEWORK, C.RECORD_REFERRAL, C.LOG_CONTACT, C.RECORD_OUTCOME, C.CLOSE_REFERRAL,
        C.VIEW_PROGRAMMES,
    }),
    Role.PROVIDER_MANAGER: frozenset(_EVERYONE | {
        C.VIEW_CASEWORK, C.RECORD_REFERRAL, C.LOG_CONTACT, C.RECORD_OUTCOME, C.CLOSE_REFERRAL,
        C.REASSIGN_REFERRAL, C.VIEW_ORG_CASELOAD, C.MERGE_PEOPLE, C.VIEW_PROGRAMMES, C.VIEW_TARGETS,
        C.RECORD_TRAINING, C.IMPORT_CASEWORK,
    }),
    Role.PROGRAMME_OFFICE: frozenset(_EVERYONE | {
        C.VIEW_CASEWORK, C.VIEW_ORG_CASELOAD, C.VIEW_ALL_ORGANISATIONS, C.MERGE_PEOPLE,
        C.REASSIGN_REFERRAL, C.EXPORT_EVALUATION, C.IMPORT_CASEWORK,
        C.VIEW_PROGRAMMES, C.MANAGE_PROGRAMMES, C.VIEW_TARGETS, C.MANAGE_RETURNS, C.RECORD_TRAINING,
        C.VIEW_FINANCE, C.VIEW_AUDIT, C.DATA_PROTECTION,
    }),
    # Finance sees money, never identities (SECURITY.md §2).
    Role.FINANCE: frozenset(_EVERYONE | {C.VIEW_FINANCE, C.MANAGE_FINANCE, C.VIEW_PROGRAMMES}),
    # Admin: users and organisations; no casework by default (DESIGN.md §1).
    Role.ADMIN: frozenset(_EVERYONE | {C.MANAGE_USERS, C.VIEW_AUDIT, C.VIEW_PROGRAMMES}),
}


def capabilities_of(role: Role) -> frozenset[Capability]:
    return MATRIX[role]


def role_can(role: Role, capability: Capability) -> bool:
    return capability in MATRIX[role]


# Roles whose accounts must have a TOTP second factor (SECURITY.md §4); everyone else may opt in.
TWO_FACTOR_REQUIRED = frozenset({Role.PROGRAMME_OFFICE, Role.FINANCE, Role.ADMIN})


def two_factor_required(role: Role) -> bool:
    return role in TWO_FACTOR_REQUIRED

"""Casework views, split by page family: people, a case, caseloads (with merge queue and export)."""

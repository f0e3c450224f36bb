"""Errors a person caused: the message is for them (DESIGN.md §4.7). Raised by services, shown by views."""
from __future__ import annotations


class DomainError(Exception):
    """A rule a person broke: the message is shown to them, next to `field` when given."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """Someone else changed the record meanwhile (optimistic locking)."""

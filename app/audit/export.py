"""The audit log as a file for an investigator or a SIEM: CSV (spreadsheet-safe) or JSON Lines, one event a line.

Every field of the event is written, with its place in the chain (``seq``) and its HMAC, so a recipient holding
the key can check the extract independently; formula-looking text is neutralised in CSV (app/documents/safe_cells).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from app.audit import AuditEvent
from app.documents.safe_cells import neutralise

FIELDS = ["seq", "id", "occurred_at", "actor_id", "actor_email", "organisation_id", "role", "action", "object_type",
          "object_id", "person_id", "ip", "reason", "detail", "prev_hash", "hash"]
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/x-ndjson; charset=utf-8"}


def as_dict(event: AuditEvent) -> dict:
    row = {name: getattr(event, name) for name in FIELDS}
    row["occurred_at"] = event.occurred_at.isoformat(timespec="microseconds") + "Z"
    return row


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for event in events:
        row = as_dict(event)
        row["detail"] = json.dumps(row["detail"], sort_keys=True) if row["detail"] is not None else ""
        writer.writerow([neutralise("" if row[name] is None else row[name]) for name in FIELDS])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield json.dumps(as_dict(event), sort_keys=True, default=str) + "\n"


def render(events: Iterable[AuditEvent], fmt: str) -> Iterator[str]:
    return csv_lines(events) if fmt == "csv" else json_lines(events)


def stream(bind: sa.engine.Engine | sa.engine.Connection, statement: sa.Select, fmt: str,
           batch: int = 1000) -> Iterator[str]:
    """The export as it is sent, read in batches as rows (not through an ORM session). The body is sent after the
    request has ended, when the request's session is gone (with it, every export over real HTTP failed after its
    headers), so it reads through a connection of its own, opened when the first line is wanted and closed after
    the last — or, given a connection already open (the test suite's), through that one."""
    statement = statement.execution_options(yield_per=batch)
    if isinstance(bind, sa.engine.Connection):
        yield from render(bind.execute(statement), fmt)
        return
    with bind.connect() as connection:
        yield from render(connection.execute(statement), fmt)

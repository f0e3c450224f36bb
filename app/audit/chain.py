"""Sealing, checkpoints and verification of the audit chain (SECURITY.md §3; docs/security.md "Audit").

* ``seal_pending`` gives every event not yet in the chain the next sequence number and an HMAC (AUDIT_KEY) over its
  fields and its predecessor's HMAC. It is the only writer of the chain and takes turns with other sealers by a lock
  held for the sealing transaction only, taken before the chain's head is read (PostgreSQL: an advisory
  transaction lock; SQLite: the database's write lock, ``app.sqlite.hold_write_lock``). Requests never take that lock. Events committed out of id order are simply sealed in the order they
  became visible: ``seq`` is the chain's order.
* ``checkpoint`` seals, then appends the head (sequence number and HMAC) to AUDIT_CHECKPOINT_FILE — a file outside
  the database, on the app server, that someone who can rewrite the database cannot — and returns the line so the
  operator can also keep it elsewhere.
* ``verify`` seals, then walks the chain by ``seq``: every HMAC must match under the key, every link must point at
  its predecessor, no number may be missing, and the head must reach the last checkpoint with the same HMAC. So an
  edit (HMAC), a re-chained log (HMAC: the key is not in the database), a deleted event (gap or broken link) and a
  cut-off tail (shorter than the checkpoint, or a different event at its number) are each reported.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.audit import GENESIS, AuditEvent, audit_key
from app.db import db, utcnow
from app.sqlite import hold_write_lock

SEAL_LOCK = 727401
BATCH = 2000


def _take_seal_lock() -> None:
    """Before the head is read: two sealers reading the same head would both append after it."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
    else:
        hold_write_lock(conn)  # a read-only (GET) transaction becomes a writer before it reads


def head() -> tuple[int, str]:
    row = db.session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def seal_pending(limit: int | None = None) -> int:
    """Seal every committed event not yet in the chain (in batches, each its own short transaction). Commits."""
    key = audit_key()
    sealed = 0
    while limit is None or sealed < limit:
        _take_seal_lock()
        seq, prev = head()
        batch = db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(BATCH)
        ).scalars().all()
        for event in batch:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.hash = prev = event.compute_hash(key)
        db.session.commit()  # releases the lock
        sealed += len(batch)
        if len(batch) < BATCH:
            break
    return sealed


# --- checkpoints ----------------------------------------------------------------------------------------------

def _checkpoint_file() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_FILE"])


def checkpoint() -> dict:
    """Seal, then record the head outside the database. Returns what was written."""
    seal_pending()
    seq, digest = head()
    entry = {"seq": seq, "hash": digest, "at": utcnow().isoformat(timespec="seconds") + "Z"}
    path = _checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
    return entry


def last_checkpoint() -> dict | None:
    path = _checkpoint_file()
    if not path.exists():
        return None
    last = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("hash"), str):
                last = entry
    return last


# --- verification ---------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    checked: int = 0
    bad: list[int] = field(default_factory=list)  # event ids whose HMAC or link is wrong
    missing: list[int] = field(default_factory=list)  # sequence numbers absent from the chain
    head: tuple[int, str] = (0, GENESIS)
    checkpoint: dict | None = None
    checkpoint_problem: str | None = None
    unsealed: int = 0

    @property
    def intact(self) -> bool:
        return not self.bad and not self.missing and self.checkpoint_problem is None

    def lines(self) -> list[str]:
        out = []
        if self.bad:
            out.append(f"{len(self.bad)} of {self.checked} events were altered or re-chained (first event id "
                       f"{self.bad[0]})")
        if self.missing:
            out.append(f"{len(self.missing)} events are missing from the chain (first missing number "
                       f"{self.missing[0]})")
        if self.checkpoint_problem:
            out.append(self.checkpoint_problem)
        return out


def verify(seal: bool = True) -> Verdict:
    if seal:
        seal_pending()
    key = audit_key()
    verdict = Verdict()
    prev, expected = GENESIS, 1
    for event in db.session.execute(
            sa.select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
            .execution_options(yield_per=BATCH)).scalars():
        verdict.checked += 1
        if event.seq != expected:
            verdict.missing.extend(range(expected, min(event.seq, expected + 10_000)))
            prev = None  # the link cannot be checked across a gap
        if (prev is not None and event.prev_hash != prev) or event.compute_hash(key) != event.hash:
            verdict.bad.append(event.id)
        prev, expected = event.hash, event.seq + 1
        verdict.head = (event.seq, event.hash)
    verdict.unsealed = db.session.execute(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))).scalar_one()
    verdict.checkpoint = cp = last_checkpoint()
    if cp is not None:
        at = db.session.execute(sa.select(AuditEvent.hash).where(AuditEvent.seq == cp["seq"])).scalar_one_or_none()
        if cp["seq"] > verdict.head[0]:
            verdict.checkpoint_problem = (f"the chain ends at event number {verdict.head[0]} but the checkpoint of "
                                          f"{cp['at']} recorded {cp['seq']}: events were cut off the end")
        elif cp["seq"] and at != cp["hash"]:
            verdict.checkpoint_problem = (f"event number {cp['seq']} is not the one checkpointed at {cp['at']}: "
                                          "the log was rewritten")
    return verdict


def verify_chain() -> tuple[int, list[int]]:
    """(events checked, ids that fail) — the short form used by older tests and scripts."""
    verdict = verify()
    return verdict.checked, verdict.bad + [-n for n in verdict.missing]

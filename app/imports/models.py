"""Imports of existing casework: saved mappings, import runs and the external references already imported."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.auth.models import Organisation, User
from app.db import LabelledEnum, Model, str_enum


class RunStatus(LabelledEnum):
    UPLOADED = ("uploaded", "Uploaded")
    CHECKING = ("checking", "Checking")
    CHECKED = ("checked", "Checked")
    IMPORTING = ("importing", "Importing")
    IMPORTED = ("imported", "Imported")
    REFUSED = ("refused", "Not imported")


class ImportMapping(Model):
    """How one organisation's spreadsheet maps onto Waypoint: its column headings → fields, and its words →
    categories (sites, sources, ethnicity…). Saved per organisation, because every provider's file differs."""

    __tablename__ = "import_mappings"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name", name="uq_import_mappings_organisation_id"),)

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    columns: Mapped[dict] = mapped_column(sa.JSON, default=dict)   # field key → the file's heading
    values: Mapped[dict] = mapped_column(sa.JSON, default=dict)    # field key → {folded word: category}
    defaults: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # field key → category for every row
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()


class ImportRun(Model):
    """One uploaded file, its checks and (when it was clean) its import."""

    __tablename__ = "import_runs"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    mapping_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_mappings.id"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus), default=RunStatus.UPLOADED)
    headers: Mapped[list] = mapped_column(sa.JSON, default=list)
    rows_total: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    summary: Mapped[dict | None] = mapped_column(sa.JSON)   # counts: created, matched, skipped, refused…
    problems: Mapped[list | None] = mapped_column(sa.JSON)  # the first problems: row, column, message
    checked_at: Mapped[datetime | None]
    imported_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    mapping: Mapped[ImportMapping | None] = relationship()


class ImportedRecord(Model):
    """An external reference already imported for an organisation, and the record it became: importing the
    same file again finds it here and adds nothing."""

    __tablename__ = "imported_records"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "kind", "external_ref", name="uq_imported_records_organisation_id"),
    )

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))  # person | referral
    external_ref: Mapped[str] = mapped_column(sa.String(200))
    object_id: Mapped[int]
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_runs.id"), index=True)

"""A whole document (:class:`Report`): header, sections, notes, warnings; checked and snapshotted."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from app.documents.checks import check_chart, check_header_value, check_table
from app.documents.model import FORMAT_VERSION, ReportError, Section
from app.documents.snapshots import decode_header, encode_header, section_from_dict, section_to_dict


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Report:
    """A whole report. ``header`` is a list of ``(label, value)`` pairs (VRU,
    grant reference, FY, quarter, version, prepared by, approved by, date…);
    values are ``str``, ``int``, ``date``, ``datetime`` or ``None``.

    ``classification`` (e.g. "OFFICIAL-SENSITIVE") is printed on every PDF
    page when set. ``suppressed`` says disclosure control was applied (the PDF
    says so on every page). ``draft`` marks a document not yet submitted: the
    PDF says DRAFT on every page.
    """

    title: str
    subtitle: str = ""
    period_label: str = ""
    header: list[tuple[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=_utcnow)
    suppressed: bool = False
    classification: str | None = None
    draft: bool = False

    def __post_init__(self) -> None:
        self.header = [(label, value) for label, value in self.header]

    # -- checking ---------------------------------------------------------

    def validate(self) -> Report:
        """Raise :class:`ReportError` naming the first value that breaks the
        model's rules; return the report so calls can chain."""
        for label, value in self.header:
            check_header_value(label, value)
        seen_sections: set[str] = set()
        for section in self.sections:
            if section.key in seen_sections:
                raise ReportError(f"section key {section.key!r} is used twice")
            seen_sections.add(section.key)
            for table in section.tables:
                check_table(section, table)
            for chart in section.charts:
                check_chart(section, chart)
        return self

    # -- snapshots --------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data: Decimals as exact strings, dates as ISO 8601."""
        self.validate()
        return {
            "format_version": FORMAT_VERSION,
            "title": self.title,
            "subtitle": self.subtitle,
            "period_label": self.period_label,
            "classification": self.classification,
            "suppressed": self.suppressed,
            "draft": self.draft,
            "generated_at": self.generated_at.isoformat(),
            "header": [encode_header(label, value) for label, value in self.header],
            "sections": [section_to_dict(s) for s in self.sections],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ReportError(f"unsupported report format_version {version!r}")
        return cls(
            title=data["title"],
            subtitle=data.get("subtitle", ""),
            period_label=data.get("period_label", ""),
            classification=data.get("classification"),
            suppressed=bool(data.get("suppressed", False)),
            draft=bool(data.get("draft", False)),
            generated_at=dt.datetime.fromisoformat(data["generated_at"]),
            header=[decode_header(h) for h in data.get("header", [])],
            sections=[section_from_dict(s) for s in data.get("sections", [])],
            notes=list(data.get("notes", [])),
            warnings=list(data.get("warnings", [])),
        )


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------



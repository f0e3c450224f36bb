"""Read a casework file a row at a time (CSV or XLSX), so memory does not grow with the file.

CSV: UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252 — what Excel writes for plain
"CSV" — with the delimiter sniffed; quoted cells may hold new lines. XLSX: the first sheet, read with openpyxl
in read-only mode (it parses while iterating), with defusedxml refusing entity declarations and external
references, and the unpacked size checked before any XML is parsed (SECURITY.md §7).
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from app.errors import DomainError

MAX_COLUMNS = 200
MAX_XLSX_ENTRIES = 200
MAX_XLSX_UNCOMPRESSED = 500 * 1024 * 1024
MAX_ROWS = 2_000_000


@dataclass
class Header:
    names: list[str]
    notes: list[str] = field(default_factory=list)


def is_xlsx(filename: str | None, head: bytes) -> bool:
    return (filename or "").lower().endswith(".xlsx") or head[:4] == b"PK\x03\x04"


class CasefileReader:
    """Open once, read the header, then iterate `rows()` (spreadsheet row number, cells as strings or dates)."""

    def __init__(self, source: BinaryIO, filename: str | None = None):
        self.source = source
        self.filename = filename or ""
        head = source.read(8)
        source.seek(0)
        if not head:
            raise DomainError("The file is empty", "file")
        if (self.filename.lower().endswith((".xls", ".ods", ".numbers"))):
            raise DomainError("Save the spreadsheet as .xlsx or .csv and upload that", "file")
        self.kind = "xlsx" if is_xlsx(self.filename, head) else "csv"
        self.notes: list[str] = []
        self.encoding = "utf-8-sig"
        self._workbook = None

    # --- CSV ----------------------------------------------------------------------------------------

    def _choose_encoding(self) -> None:
        """UTF-8 unless some byte is not; then Windows-1252 (or Latin-1), read incrementally, never all at once."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        line = 1
        self.source.seek(0)
        while True:
            chunk = self.source.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                if b"\x00" in chunk:
                    raise DomainError("The file is not a text CSV file. Save it as 'CSV UTF-8' and try again.",
                                      "file") from None
                line += chunk[: exc.start].count(b"\n")
                self.encoding = "cp1252"
                self.notes.append(f"The file is not UTF-8 (first non-UTF-8 character near line {line}); it was "
                                  "read as Windows-1252, the encoding Excel uses for plain CSV.")
                break
            if not chunk:
                break
            line += chunk.count(b"\n")
        self.source.seek(0)

    def _csv_rows(self) -> Iterator[list]:
        self._choose_encoding()
        text = io.TextIOWrapper(self.source, encoding=self.encoding, errors="replace" if self.encoding == "cp1252"
                                else "strict", newline="")
        sample = text.read(8192)
        text.seek(0)
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        count = 0
        try:
            for row in reader:
                count += 1
                yield row
        except csv.Error as exc:
            raise DomainError(f"Row {count + 1}: the file cannot be read as CSV ({exc}). Check for a quote mark "
                              "that is not closed.", "file") from None
        finally:
            text.detach()

    # --- XLSX ---------------------------------------------------------------------------------------

    def _xlsx_rows(self) -> Iterator[list]:
        from defusedxml import DefusedXmlException  # noqa: F401  (openpyxl uses it when installed)
        from openpyxl import load_workbook

        try:
            with zipfile.ZipFile(self.source) as archive:
                entries = archive.infolist()
                if len(entries) > MAX_XLSX_ENTRIES or sum(i.file_size for i in entries) > MAX_XLSX_UNCOMPRESSED:
                    raise DomainError("The spreadsheet is too large once unpacked; split it into smaller files",
                                      "file")
            self.source.seek(0)
            self._workbook = load_workbook(self.source, read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                yield list(row)
        except DomainError:
            raise
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets a plain message
            raise DomainError(_xlsx_message(exc), "file") from None
        finally:
            if self._workbook is not None:
                self._workbook.close()
                self._workbook = None

    # --- both ---------------------------------------------------------------------------------------

    def raw_rows(self) -> Iterator[list]:
        self.source.seek(0)
        return self._xlsx_rows() if self.kind == "xlsx" else self._csv_rows()

    def header(self) -> Header:
        rows = self.raw_rows()
        try:
            first = next(rows, None)
        finally:
            rows.close()
        if first is None:
            raise DomainError("The file is empty", "file")
        names = [_text(c) for c in first]
        while names and not names[-1]:
            names.pop()
        if not any(names):
            raise DomainError("The first row must hold the column headings", "file")
        seen: dict[str, int] = {}
        for i, name in enumerate(names, start=1):
            if not name:
                continue
            low = name.casefold()
            if low in seen:
                raise DomainError(f'Row 1: the heading "{name}" appears twice (columns {_column(seen[low])} and '
                                  f"{_column(i)}). Give every column its own heading.", "file")
            seen[low] = i
        return Header(names, list(self.notes))

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(spreadsheet row number, {heading: cell}) for every row after the header that is not blank.
        A row with more cells than there are headings gets the extra cells under "" (reported by the check)."""
        header = self.header().names
        width = len(header)
        blank_heading = "" in header
        text_only = self.kind == "csv"
        rows = self.raw_rows()
        next(rows, None)  # the header
        number = 1
        for row in rows:
            number += 1
            if number > MAX_ROWS:
                raise DomainError(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files", "file")
            if text_only:
                if not "".join(row).strip():
                    continue
            elif not any(c not in (None, "") and str(c).strip() for c in row):
                continue
            cells = dict(zip(header, row, strict=False))  # a short row has no cells for the last headings
            if blank_heading:
                cells.pop("", None)
            if len(row) > width:
                extra = [c for c in row[width:] if c not in (None, "") and str(c).strip()]
                if extra:
                    cells[""] = extra
            yield number, cells


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _xlsx_message(exc: BaseException) -> str:
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, DefusedXmlException):
        cause = cause.__cause__ or cause.__context__  # openpyxl wraps parser errors in a ValueError
    if cause is not None:
        return ("The workbook contains XML that is not allowed (entity declarations or links to other files). "
                "Open it in Excel, save it again as .xlsx or CSV, and upload that.")
    return "The file is not a readable Excel workbook (.xlsx). Save it again as .xlsx or CSV."

"""Read a casework file a row at a time (CSV or XLSX), so memory does not grow with the file.

CSV: UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252 — what Excel writes for plain
"CSV" — with the delimiter sniffed; quoted cells may hold new lines. XLSX: the first sheet, read with
python-calamine (Rust's calamine: some twenty times faster than openpyxl, which parses through defusedxml's
pure-Python parser), after the unpacked size is checked and any XML part declaring a document type — where
entities and links to other files are declared — is refused (SECURITY.md §7). Calamine holds the sheet's cells
while it is read (bounded by IMPORT_MAX_MB); an XLSX is therefore parsed once per import (`Rereadable`).
"""
from __future__ import annotations

import codecs
import csv
import io
import pickle
import tempfile
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
        from python_calamine import CalamineWorkbook

        try:
            with zipfile.ZipFile(self.source) as archive:
                entries = archive.infolist()
                if len(entries) > MAX_XLSX_ENTRIES or sum(i.file_size for i in entries) > MAX_XLSX_UNCOMPRESSED:
                    raise DomainError("The spreadsheet is too large once unpacked; split it into smaller files",
                                      "file")
                _refuse_declarations(archive)
            self.source.seek(0)
            sheet = CalamineWorkbook.from_filelike(self.source).get_sheet_by_index(0)
            top, left = sheet.start or (0, 0)
            for _ in range(top):  # rows above the first used one: numbered as the spreadsheet numbers them
                yield []
            pad = [""] * left
            for row in sheet.iter_rows():
                yield (pad + row if left else row)[:MAX_COLUMNS]
        except DomainError:
            raise
        except Exception:  # noqa: BLE001 - any unreadable workbook gets a plain message
            raise DomainError("The file is not a readable Excel workbook (.xlsx). Save it again as .xlsx or CSV.",
                              "file") from None

    # --- both ---------------------------------------------------------------------------------------

    def raw_rows(self) -> Iterator[list]:
        self.source.seek(0)
        return self._xlsx_rows() if self.kind == "xlsx" else self._csv_rows()

    def header(self) -> Header:
        rows = self.raw_rows()
        try:
            return self._header_of(next(rows, None))
        finally:
            rows.close()

    def _header_of(self, first: list | None) -> Header:
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
        rows = self.raw_rows()
        header = self._header_of(next(rows, None)).names  # read in the same pass: an XLSX is parsed once
        width = len(header)
        blank_heading = "" in header
        text_only = self.kind == "csv"
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


class Rereadable:
    """Rows that can be read more than once (the check, then the import): a CSV file is simply read again; an
    XLSX workbook, which takes far longer to parse, is parsed once and its rows kept, as they were read, in a
    temporary file of this process (a row at a time: memory does not grow) that the next readings replay."""

    def __init__(self, open_reader):
        self.open_reader = open_reader
        self.spool = None

    def __call__(self) -> Iterator[tuple[int, dict[str, object]]]:
        if self.spool is not None:
            self.spool.seek(0)
            load = pickle.load
            while True:
                try:
                    yield load(self.spool)  # each row a pickle of its own (no memo shared between rows)
                except EOFError:
                    return
        with self.open_reader() as reader:
            if reader.kind != "xlsx":
                yield from reader.rows()
                return
            spool = tempfile.TemporaryFile(prefix="waypoint-import-")  # noqa: SIM115 - kept for the next reading
            for item in reader.rows():
                pickle.dump(item, spool, pickle.HIGHEST_PROTOCOL)
                yield item
            self.spool = spool

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _refuse_declarations(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose XML declares a document type (where entities are declared: the "billion laughs"
    and links to other files). Excel never writes one; the parser is not asked to expand any."""
    for entry in archive.infolist():
        if not entry.filename.lower().endswith((".xml", ".rels")):
            continue
        tail = b""
        with archive.open(entry) as part:
            while chunk := part.read(1 << 20):
                if b"<!DOCTYPE" in (tail + chunk).upper() or b"<!ENTITY" in (tail + chunk).upper():
                    raise DomainError("The workbook contains XML that is not allowed (entity declarations or "
                                      "links to other files). Open it in Excel, save it again as .xlsx or CSV, "
                                      "and upload that.", "file")
                tail = chunk[-16:]

"""Uploading a quarter's ledger (CSV or XLSX): all rows or none, and the same file twice adds nothing.

Every problem is reported by spreadsheet row (the header is row 1) and column (letter and
heading), so a finance officer can fix the file and upload it again. Nothing is saved until
every row is good (SECURITY.md "Bad input", §7, §8).

Columns (headings are matched case-insensitively, spaces and underscores alike; others are ignored):

    date         required  dd/mm/yyyy, yyyy-mm-dd or a spreadsheet date; must fall in the quarter
    line         required  the budget line's name as set up for the year
    amount       required  pounds, e.g. 1234.50 or £1,234.50; more than £0, whole pence
    type         optional  actual (default) or forecast
    description  optional
    reference    optional  the ledger's transaction reference; makes re-uploads idempotent
    funded by    optional  a grant year such as 2023-24 (defaults to the line's own year)
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from app import audit
from app.db import db
from app.errors import DomainError
from app.finance import services
from app.finance.models import BudgetLine, Expenditure, GrantYear, SpendKind
from app.periods import fy_label, parse_fy_label, quarter_bounds, quarter_label

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 40 * 1024 * 1024  # a zip bomb stops here, before any XML is parsed
MAX_XLSX_ENTRIES = 1000  # a real ledger workbook has a dozen or so parts
MAX_COLUMNS = 50  # a ledger has seven columns; a row claiming 16,384 is not read past this
COLUMNS = {
    "date": "date", "date incurred": "date", "incurred on": "date", "transaction date": "date",
    "line": "line", "budget line": "line",
    "amount": "amount", "amount £": "amount", "net amount": "amount", "value": "amount",
    "type": "type", "kind": "type", "actual or forecast": "type",
    "description": "description", "narrative": "description", "details": "description",
    "reference": "reference", "ref": "reference", "transaction reference": "reference",
    "funded by": "funded_by", "grant year": "funded_by",
}
REQUIRED = ("date", "line", "amount")
_AMOUNT = re.compile(r"^-?£?-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?£?-?\d+(\.\d+)?$")


@dataclass
class RowError:
    row: int
    column: str | None  # "C (amount)" or None for the whole row
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    added: int = 0
    already_imported: int = 0
    total: Decimal = Decimal(0)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _norm(heading) -> str:
    return re.sub(r"[\s_]+", " ", str(heading or "").strip().lower().replace("\ufeff", ""))


# --- reading files ------------------------------------------------------------------------------


def _decode(data: bytes, notes: list[str]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if b"\x00" in data:
            raise DomainError(f"Row {line}: the file is not a text CSV file. Save it as 'CSV UTF-8' and try again.",
                              "file") from None
        # Excel's plain "CSV" on Windows is Windows-1252; read it as that rather than refuse a £ sign.
        notes.append(f"The file is not UTF-8 (first non-UTF-8 character on row {line}); it was read as "
                     "Windows-1252, the encoding Excel uses for plain CSV.")
        return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
        return True
    except UnicodeDecodeError:
        return False


def read_csv(data: bytes, notes: list[str]) -> list[list]:
    text = _decode(data, notes)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                raise DomainError(f"The file has more than {MAX_ROWS:,} rows; split it by quarter", "file")
    except csv.Error as exc:
        raise DomainError(f"Row {len(rows) + 1}: the file cannot be read as CSV ({exc}). Check for a quote mark "
                          "that is not closed.", "file") from None
    return rows


def read_xlsx(data: bytes) -> list[list]:
    """Read the first sheet within bounds: the unpacked size is checked before any XML is parsed, openpyxl
    parses with defusedxml (entity declarations and external references are refused), and reading stops
    after MAX_ROWS. In read-only mode the sheet is parsed while iterating, so the whole read is guarded."""
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    workbook = None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_XLSX_ENTRIES or sum(info.file_size for info in entries) > MAX_XLSX_UNCOMPRESSED:
                raise DomainError("The spreadsheet is too large once unpacked; upload one quarter's ledger", "file")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows: list[list] = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                raise DomainError(f"The file has more than {MAX_ROWS:,} rows; split it by quarter", "file")
        return rows
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets a plain message
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__  # openpyxl wraps parser errors in a ValueError
        if cause is not None:
            raise DomainError("The workbook contains XML that is not allowed (entity declarations or links to "
                              "other files). Open it in Excel, save it again as .xlsx or CSV, and upload that.",
                              "file") from None
        raise DomainError("The file is not a readable Excel workbook (.xlsx). Save it again as .xlsx or CSV.",
                          "file") from None
    finally:
        if workbook is not None:
            workbook.close()


def read_rows(filename: str, data: bytes, notes: list[str]) -> list[list]:
    if not data:
        raise DomainError("The file is empty", "file")
    if len(data) > MAX_BYTES:
        raise DomainError("The file is larger than 5 MB; upload one quarter's ledger at a time", "file")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if name.endswith((".xls", ".ods", ".numbers")):
        raise DomainError("Upload the ledger as .xlsx or .csv", "file")
    return read_csv(data, notes)


# --- checking rows ------------------------------------------------------------------------------


def _parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.match(r"^\d{1,2}/\d{1,2}/\d{2}$", text):
        raise ValueError("write the year in full, like 15/06/2024")
    raise ValueError(f'"{text}" is not a date; write it like 15/06/2024')


def _parse_amount(value) -> Decimal:
    if isinstance(value, float):
        # Spreadsheet numbers arrive as floats; their shortest repr is the number the cell shows.
        value = repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    text = str(value).strip().replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    if not _AMOUNT.match(text):
        raise ValueError(f'"{value}" is not an amount of money; write it like 1234.50')
    try:
        amount = Decimal(text.replace("£", "").replace(",", ""))
    except InvalidOperation:
        raise ValueError(f'"{value}" is not an amount of money; write it like 1234.50') from None
    return -amount if negative else amount


@dataclass
class GoodRow:
    row: int
    line: BudgetLine
    incurred_on: date
    amount: Decimal
    kind: SpendKind
    description: str | None
    funded_by: GrantYear
    key: str


def _cell(row: list, index: int | None):
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.replace("\r\n", " ").replace("\n", " ").strip()
        return value or None
    return value


def check_rows(grant: GrantYear, quarter: int, rows: list[list], result: ImportResult) -> list[GoodRow]:
    if not rows or not any(c not in (None, "") for c in rows[0]):
        result.errors.append(RowError(1, None, "the first row must be the column headings (date, line, amount…)"))
        return []
    header = rows[0]
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        name = COLUMNS.get(_norm(heading))
        if name is None:
            if heading not in (None, ""):
                result.ignored_columns.append(f"{_letter(index)} ({heading})")
            continue
        if name in positions:
            first = positions[name]
            result.errors.append(RowError(1, f"{_letter(index)} ({heading})",
                                          f"this is a second '{name}' column (column {_letter(first)} is the first); "
                                          "remove one"))
            continue
        positions[name] = index
    for name in REQUIRED:
        if name not in positions:
            result.errors.append(RowError(1, None, f"there is no '{name}' column; the headings must include "
                                                   "date, line and amount"))
    if result.errors:
        return []

    def where(name: str) -> str:
        return f"{_letter(positions[name])} ({header[positions[name]]})"

    lines = {ln.name.strip().lower(): ln for ln in db.session.execute(
        sa.select(BudgetLine).where(BudgetLine.grant_year_id == grant.id)).scalars()}
    years = {g.fy: g for g in db.session.execute(sa.select(GrantYear)).scalars()}
    q_start, q_end = quarter_bounds(grant.fy, quarter)
    good: list[GoodRow] = []
    seen: dict[str, int] = {}
    occurrences: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") and str(c).strip() for c in row):
            continue  # blank rows between blocks are common in exported ledgers
        if len(row) > len(header) and any(c not in (None, "") for c in row[len(header):]):
            result.errors.append(RowError(number, None, f"this row has {len(row)} cells but there are only "
                                                        f"{len(header)} headings; check for a stray comma"))
            continue
        errors_before = len(result.errors)

        def fail(name: str | None, message: str, number: int = number) -> None:
            result.errors.append(RowError(number, where(name) if name else None, message))

        incurred_on = amount = line = None
        kind = SpendKind.ACTUAL
        funded_by = None
        raw_date = _cell(row, positions["date"])
        if raw_date is None:
            fail("date", "enter the date the spend was incurred")
        else:
            try:
                incurred_on = _parse_date(raw_date)
                if not q_start <= incurred_on <= q_end:
                    fail("date", f"{incurred_on:%-d %B %Y} is not in {quarter_label(grant.fy, quarter)} "
                                 f"({q_start:%-d %b %Y} to {q_end:%-d %b %Y})")
            except ValueError as exc:
                fail("date", str(exc))
        raw_line = _cell(row, positions["line"])
        if raw_line is None:
            fail("line", "enter the budget line")
        else:
            line = lines.get(str(raw_line).strip().lower())
            if line is None:
                fail("line", f'"{raw_line}" is not a {grant.label} budget line; set it up first or correct the name')
        raw_amount = _cell(row, positions["amount"])
        if raw_amount is None:
            fail("amount", "enter the amount")
        else:
            try:
                amount = _parse_amount(raw_amount)
                if amount <= 0:
                    fail("amount", "the amount must be more than £0; record a credit by correcting the original entry")
                elif amount != amount.quantize(Decimal("0.01")):
                    fail("amount", f"{raw_amount} has fractions of a penny")
                elif amount > services.MAX_MONEY:
                    fail("amount", "the amount is too large")
            except ValueError as exc:
                fail("amount", str(exc))
        if "type" in positions:
            raw_kind = _cell(row, positions["type"])
            if raw_kind is not None:
                text = str(raw_kind).strip().lower()
                if text in ("actual", "a", "actuals"):
                    kind = SpendKind.ACTUAL
                elif text in ("forecast", "f", "forecasts"):
                    kind = SpendKind.FORECAST
                else:
                    fail("type", f'"{raw_kind}" must be actual or forecast')
        if "funded_by" in positions:
            raw_year = _cell(row, positions["funded_by"])
            if raw_year is not None:
                try:
                    funded_by = years.get(parse_fy_label(str(raw_year)))
                    if funded_by is None:
                        fail("funded_by", f"no grant year {raw_year} is set up")
                    elif funded_by.fy > grant.fy:
                        fail("funded_by", f"spend in {grant.label} cannot be funded by a later grant ({raw_year})")
                except ValueError as exc:
                    fail("funded_by", str(exc))
        description = _cell(row, positions.get("description"))
        reference = _cell(row, positions.get("reference"))
        if len(result.errors) > errors_before:
            continue
        funded_by = funded_by or grant
        content = "|".join([str(grant.fy), incurred_on.isoformat(), line.name.lower(), f"{amount:.2f}", kind.value,
                            str(description or ""), str(funded_by.fy)])
        if reference is not None:
            key = f"ref:{grant.fy}:{str(reference).strip()}"[:200]
        else:
            # Identical rows in one file are separate transactions: number them so each gets its own key.
            occurrences[content] = occurrences.get(content, 0) + 1
            key = "row:" + hashlib.sha256(f"{content}|{occurrences[content]}".encode()).hexdigest()
        if key in seen:
            fail("reference" if reference is not None else None,
                 f"the same reference is also on row {seen[key]}; each transaction needs its own reference")
            continue
        seen[key] = number
        good.append(GoodRow(number, line, incurred_on, amount, kind, description, funded_by, key))
    return good


def import_ledger(actor, grant: GrantYear, quarter: int, filename: str, data: bytes) -> ImportResult:
    """Check every row; save them all (skipping rows imported before) only if none has a problem."""
    services._require(actor)
    locked = services.locked_quarters()
    if (grant.fy, quarter) in locked:
        raise services.locked_error(grant.fy, quarter, locked, "quarter", "spend")
    result = ImportResult()
    rows = read_rows(filename, data, result.notes)
    good = check_rows(grant, quarter, rows, result)
    if not result.ok:
        return result
    if not good:
        result.errors.append(RowError(2, None, "the file has headings but no rows of spend"))
        return result
    existing = {
        e.import_key: e for e in db.session.execute(
            sa.select(Expenditure).where(Expenditure.import_key.in_([g.key for g in good]))).scalars()
    }
    for g in good:
        previous = existing.get(g.key)
        if previous is not None and (previous.amount != g.amount or previous.line_id != g.line.id
                                     or previous.incurred_on != g.incurred_on):
            result.errors.append(RowError(g.row, None, "this reference was imported before with a different date, "
                                                       "line or amount; correct the earlier entry first"))
    if not result.ok:
        return result
    for g in good:
        if g.key in existing:
            result.already_imported += 1
            continue
        services.record_expenditure(actor, g.line, incurred_on=g.incurred_on, amount=g.amount, kind=g.kind,
                                    description=g.description, funded_by=g.funded_by, import_key=g.key,
                                    audit_each=False, locked=locked)
        result.added += 1
        result.total += g.amount
    audit.record(actor, "ledger.imported", grant, detail={
        "fy": fy_label(grant.fy), "quarter": quarter, "file": filename[:200], "rows_added": result.added,
        "rows_already_imported": result.already_imported, "total": str(result.total)})
    return result

"""Writing many rows of one table at once, at the speed of the database driver.

SQLAlchemy's executemany builds and converts every row's parameters in Python (the largest cost of a bulk
import when measured); here each column's conversion is worked out once per table and applied in one pass,
and the rows go to the driver in one call: PostgreSQL's COPY (psycopg), SQLite's own executemany. The values
stored are the ones SQLAlchemy would store — the conversions are the column types' own bind processors, except
dates and times on SQLite, written in SQLAlchemy's storage format by `isoformat` — so the ORM reads them back
unchanged. Ids are given by the caller (reserved up front), nothing is returned.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from operator import itemgetter

import sqlalchemy as sa

from app.db import db

_CONVERTERS: dict[tuple[str, str, tuple[str, ...]], list[Callable | None]] = {}


def _sqlite_datetime(value):
    if value is None:
        return None
    if value.__class__ is date:
        value = datetime.combine(value, time())
    return value.isoformat(" ", "microseconds")


def _sqlite_date(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def _json(value):
    return None if value is None else json.dumps(value)


def _converter(column: sa.Column, dialect) -> Callable | None:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return _json
    if dialect.name == "sqlite":
        if isinstance(kind, sa.DateTime):
            return _sqlite_datetime
        if isinstance(kind, sa.Date):
            return _sqlite_date
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _converters(table: sa.Table, columns: tuple[str, ...], dialect) -> list[Callable | None]:
    key = (dialect.name, table.name, columns)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = [_converter(table.c[name], dialect) for name in columns]
    return _CONVERTERS[key]


def _tuples(rows: list[dict], columns: tuple[str, ...], converters: list[Callable | None]) -> list[tuple]:
    """The rows as tuples in `columns` order, converted a column at a time (each distinct value once)."""
    values = list(map(itemgetter(*columns), rows)) if len(columns) > 1 else [(row[columns[0]],) for row in rows]
    if all(convert is None for convert in converters):
        return values
    by_column = list(zip(*values, strict=True))
    for i, convert in enumerate(converters):
        if convert is None:
            continue
        column = by_column[i]
        try:
            seen = {value: convert(value) for value in set(column)}
        except TypeError:  # unhashable (a JSON document): convert each
            by_column[i] = list(map(convert, column))
        else:
            by_column[i] = list(map(seen.__getitem__, column))
    return list(zip(*by_column, strict=True))


def _defaults(table: sa.Table, row: dict) -> dict:
    """The Python-side defaults of the columns a row leaves out (created_at…), as SQLAlchemy would fill them."""
    out = {}
    for column in table.columns:
        if column.name in row or column.default is None or column.primary_key:
            continue
        default = column.default
        if default.is_callable:
            out[column.name] = default.arg(None)
        elif default.is_scalar:
            out[column.name] = default.arg
    return out


def insert(table: sa.Table, rows: list[dict]) -> None:
    """INSERT every row (dicts with the same keys, ids included) into `table`, in the session's transaction."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    defaults = _defaults(table, rows[0])
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    columns = tuple(rows[0])
    converters = _converters(table, columns, dialect)
    values = _tuples(rows, columns, converters)
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    # Table and column names come from the models' metadata (quoted by the dialect); every value is a parameter.
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # nosec B608 - names from metadata
    connection.exec_driver_sql(sql, values)

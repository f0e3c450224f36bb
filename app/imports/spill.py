"""Where an import keeps its plans between the check and the save, so memory does not grow with the file: a small
in-memory window of the plans in use, and the rest in a temporary SQLite file of this process (the standard
library's `sqlite3`, whatever the app's own database), deleted when the plan is dropped.

A provider's spreadsheet keeps a referral's rows together (one row per session, the referral's cells repeated),
so the plan a row needs is nearly always in the window; one that fell out of it is read back from the file. The
window is written out half at a time, oldest first, in one `executemany`. Plans are stored pickled (they are this
process's own objects, never read from anywhere else), with the columns the import sorts and filters by.
"""
from __future__ import annotations

import pickle  # nosec B403 - only this process's own objects, in its own temporary file
import sqlite3
from collections.abc import Callable, Iterator

WINDOW = 1000  # plans kept in memory per kind (a referral's rows are together: a few would do)
BATCH = 1000  # plans read back at a time when streaming


class Spill:
    """One temporary database per plan; closed (and so deleted) with it."""

    def __init__(self):
        # "" = a private temporary file, removed on close. Its page cache is bounded (about 2 MB).
        self.db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-2000")

    def close(self) -> None:
        self.db.close()

    def __del__(self):
        try:
            self.db.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown  # nosec B110
            pass


class PlanStore:
    """A mapping key → plan, most of it on disk. `columns` names extra columns computed from a plan (for sorting
    and filtering with `stream`); a plan taken with `get` and changed is written back when it leaves the window
    (or at `sync`), so callers change plans in place as they would in a dict."""

    def __init__(self, spill: Spill, name: str, columns: dict[str, Callable] | None = None,
                 indexes: tuple[tuple[str, ...], ...] = ()):
        self.spill = spill
        self.name = name
        self.columns = columns or {}
        extra = "".join(f", {c}" for c in self.columns)
        self.db = spill.db
        self.db.execute(f"CREATE TABLE {name} (k TEXT PRIMARY KEY, v BLOB{extra})")
        for i, index in enumerate(indexes):
            self.db.execute(f"CREATE INDEX {name}_{i} ON {name} ({', '.join((*index, 'k'))})")
        marks = ", ".join("?" for _ in range(2 + len(self.columns)))
        self._put = f"INSERT OR REPLACE INTO {name} VALUES ({marks})"  # nosec B608 - names are the code's own
        self._get = f"SELECT v FROM {name} WHERE k = ?"  # nosec B608
        self.window: dict[str, object] = {}
        self.seen: dict[str, object] = {}  # plans only looked at (`peek`), never written back
        self.spilled = False  # anything written to disk yet
        self.size = 0

    def _row(self, key: str, plan) -> tuple:
        return (key, pickle.dumps(plan, pickle.HIGHEST_PROTOCOL), *(f(plan) for f in self.columns.values()))

    def _write(self, items) -> None:
        rows = [self._row(k, p) for k, p in items]
        if rows:
            self.db.executemany(self._put, rows)
            self.spilled = True

    def get(self, key: str):
        self.seen.pop(key, None)
        plan = self.window.pop(key, None)
        if plan is None:
            plan = self._load(key)
            if plan is not None:
                self._keep(key, plan)
            return plan
        self.window[key] = plan  # to the end: most recently used
        return plan

    def _load(self, key: str):
        if not self.spilled:
            return None
        found = self.db.execute(self._get, (key,)).fetchone()
        return None if found is None else pickle.loads(found[0])  # nosec B301 - written by this process, above

    def peek(self, key: str):
        """A plan to read, not to change (it is not written back)."""
        plan = self.window.get(key)
        if plan is None:
            plan = self.seen.get(key)
            if plan is None:
                plan = self._load(key)
                if len(self.seen) >= WINDOW:
                    self.seen.clear()
                self.seen[key] = plan
        return plan

    def add(self, key: str, plan) -> None:
        """A plan not in the store yet."""
        self.size += 1
        self._keep(key, plan)

    def _keep(self, key: str, plan) -> None:
        self.window[key] = plan
        if len(self.window) > WINDOW:
            oldest = list(self.window)[:WINDOW // 2]
            self._write((k, self.window.pop(k)) for k in oldest)

    def __len__(self) -> int:
        return self.size

    def sync(self) -> None:
        """Write out every plan in the window (after which everything is on disk)."""
        self._write(self.window.items())
        self.window.clear()
        self.seen.clear()

    def stream(self, where: str = "", order: tuple[str, ...] = (), write_back: bool = False) -> Iterator[list]:
        """Every plan (matching `where`, an SQL condition on the extra columns) in `order` (extra columns that are
        never NULL, then the key), a page (a list) at a time, read by keyset, so plans written back meanwhile are not met
        again. With `write_back`, each page is written back when the caller asks for the next (or the stream ends)."""
        self.sync()
        sort = (*order, "k")
        condition = f"({where})" if where else "1"
        sql = (f"SELECT v, {', '.join(sort)} FROM {self.name} WHERE {condition} AND ({', '.join(sort)}) > "  # nosec B608
               f"({', '.join('?' for _ in sort)}) ORDER BY {', '.join(sort)} LIMIT {BATCH}")
        first = f"SELECT v, {', '.join(sort)} FROM {self.name} WHERE {condition} ORDER BY {', '.join(sort)} LIMIT {BATCH}"  # nosec B608
        page = self.db.execute(first).fetchall()
        while page:
            last = page[-1][1:]
            plans = [(row[-1], pickle.loads(row[0])) for row in page]  # nosec B301 - written by this process
            del page
            yield [plan for _k, plan in plans]
            if write_back:
                self._write(plans)
            page = self.db.execute(sql, last).fetchall()

    def set_columns(self, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Set extra columns of plans already written (rows: the values, then the key), without rewriting the
        plans: for what is read back only by `columns_of` (the ids given when saving)."""
        sets = ", ".join(f"{c} = ?" for c in columns)
        self.db.executemany(f"UPDATE {self.name} SET {sets} WHERE k = ?", rows)  # nosec B608 - the code's own names

    def columns_of(self, keys: list[str], columns: tuple[str, ...]) -> dict[str, tuple]:
        """The extra columns of these plans, by key (the store is synced first)."""
        self.sync()
        out = {}
        for start in range(0, len(keys), 500):
            batch = keys[start:start + 500]
            marks = ", ".join("?" for _ in batch)
            sql = f"SELECT k, {', '.join(columns)} FROM {self.name} WHERE k IN ({marks})"  # nosec B608
            out.update((row[0], row[1:]) for row in self.db.execute(sql, batch))
        return out

    def aggregate(self, sql: str) -> tuple:
        """One row of aggregates over the extra columns ({t} is the table; the store is synced first)."""
        self.sync()
        return self.db.execute(sql.format(t=self.name)).fetchone()

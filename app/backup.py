"""Backups and the restore drill (SECURITY.md §9).

`flask backup create --out FILE` copies the live database: SQLite through its online-backup API (safe while
the app runs), PostgreSQL with `pg_dump --format=custom`. `flask backup verify FILE` restores the file into a
scratch database and compares every table's row count and content checksum with the live one, so a backup
is only trusted once it has been shown to restore.
"""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
import warnings
import subprocess  # nosec B404 - runs pg_dump / pg_restore with fixed arguments, no shell
import tempfile
from pathlib import Path

import click
import sqlalchemy as sa


def fingerprints(engine: sa.engine.Engine) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every row in primary-key order) for each table."""
    out: dict[str, tuple[int, str]] = {}
    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        for table_name in sorted(inspector.get_table_names()):
            with warnings.catch_warnings():  # rows only: SQLite cannot reflect an expression index, which is fine
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                        sa.exc.SAWarning)
                table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(sa.select(table).order_by(*order)):
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
                count += 1
            out[table_name] = (count, digest.hexdigest())
    return out


def _plain(value):
    # Drivers differ in types (SQLite gives str for dates, psycopg gives date): compare the text form.
    return None if value is None else str(value)


def create_backup(url: str, out: Path) -> Path:
    u = sa.engine.make_url(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if u.get_backend_name() == "sqlite":
        src = sqlite3.connect(u.database)
        dst = sqlite3.connect(out)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return out
    if u.get_backend_name() == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={out}", *_pg_args(u)])
        return out
    raise click.UsageError(f"Backups are not supported for {u.get_backend_name()}")


def restore_to_scratch(url: str, backup: Path) -> tuple[str, callable]:
    """Restore `backup` into a new scratch database; returns its URL and a clean-up function."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="waypoint-restore-"))
        target = folder / "restored.db"
        shutil.copyfile(backup, target)
        return f"sqlite:///{target}", lambda: shutil.rmtree(folder, ignore_errors=True)
    scratch = f"{u.database}_restore_drill"
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
    target = u.set(database=scratch)
    _run(["pg_restore", "--no-owner", "--exit-on-error", *_pg_args(target, dbname_flag="--dbname"), str(backup)])

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()

    return target.render_as_string(hide_password=False), drop


def _pg_args(u, dbname_flag: str = "--dbname") -> list[str]:
    args = []
    if u.host:
        args.append(f"--host={u.host}")
    if u.port:
        args.append(f"--port={u.port}")
    if u.username:
        args.append(f"--username={u.username}")
    args.append(f"{dbname_flag}={u.database}")
    return args


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # nosec B603 - fixed argv
    if result.returncode != 0:
        raise click.ClickException(f"{cmd[0]} failed: {result.stderr.strip()[:500]}")


def verify_backup(url: str, backup: Path) -> tuple[int, list[str]]:
    """Restore and compare; returns (tables compared, tables that differ)."""
    live = sa.create_engine(url)
    restored_url, cleanup = restore_to_scratch(url, backup)
    restored = sa.create_engine(restored_url)
    try:
        a, b = fingerprints(live), fingerprints(restored)
    finally:
        restored.dispose()
        live.dispose()
        cleanup()
    differ = sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))
    return len(a), differ


def register(app) -> None:
    @app.cli.group("backup")
    def backup():
        """Back up the database and prove the backup restores."""

    @backup.command("create")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def create(out: Path):
        """Write a backup of the live database to FILE."""
        create_backup(app.config["SQLALCHEMY_DATABASE_URI"], out)
        click.echo(f"Backup written to {out} ({out.stat().st_size:,} bytes).")

    @backup.command("verify")
    @click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def verify(backup_file: Path):
        """Restore FILE into a scratch database and compare every table with the live one."""
        tables, differ = verify_backup(app.config["SQLALCHEMY_DATABASE_URI"], backup_file)
        if differ:
            click.echo(f"Restore drill FAILED: {len(differ)} of {tables} tables differ: {', '.join(differ)}", err=True)
            raise SystemExit(1)
        click.echo(f"Restore drill passed: {tables} tables restored with matching row counts and checksums.")

"""`flask import casework FILE --organisation … --by … [--mapping …] [--dry-run]`, over the same services as the
Import pages, with a progress bar."""
from __future__ import annotations

import time
from pathlib import Path

import click

from app.db import db
from app.errors import DomainError
from app.imports import services
from app.imports.readers import CasefileReader


def _count_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in CasefileReader(handle, path.name).rows())


def register(app) -> None:
    @app.cli.group("import")
    def import_group():
        """Bring existing data into Waypoint."""

    @import_group.command("casework")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--organisation", required=True, help="The provider whose casework it is (name or id).")
    @click.option("--by", "by_email", required=True, help="E-mail of the programme office or provider manager "
                  "account the import is done as (it is audited as theirs).")
    @click.option("--mapping", default=None, help="A mapping saved for the organisation on the Import page "
                  "(default: its saved mapping), or a .json file.")
    @click.option("--dry-run", is_flag=True, help="Check every row and say what would happen; no casework is saved.")
    def casework(file: Path, organisation: str, by_email: str, mapping: str | None, dry_run: bool):
        """Import people, referrals, sessions, closures, outcomes and measures from a CSV or XLSX file.

        All or nothing: if any row needs fixing, nothing is saved and every problem is listed with its row and
        column. Importing the same file again adds nothing (rows are matched by their referral reference)."""
        try:
            actor = services.importer_named(by_email)
            org = services.organisation_named(actor, organisation)
            chosen = services.mapping_named(org, mapping)
            total = _count_rows(file)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
        stages = 1 if dry_run else 2
        started = time.perf_counter()
        with click.progressbar(length=total * stages, label="Checking" if dry_run else "Checking and saving",
                               show_pos=True, file=click.get_text_stream("stderr")) as bar:
            done = {"checking": 0, "saving": 0}

            def progress(stage: str, rows: int) -> None:
                step = rows - done[stage]
                done[stage] = rows
                bar.update(step)

            try:
                run, plan, counts = services.import_path(actor, org, chosen, file, dry_run=dry_run,
                                                         progress=progress)
            except DomainError as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from None
            bar.update(total * stages - bar.pos)
        seconds = time.perf_counter() - started
        s = plan.summary()
        click.echo(f"{s['rows']:,} rows in {seconds:.1f} s ({s['rows'] / max(seconds, 1e-9):,.0f} rows a second).")
        click.echo(f"People: {s['people_new']:,} new, {s['people_matched']:,} already in Waypoint, "
                   f"{s['people_imported_before']:,} imported before.")
        click.echo(f"Referrals: {s['referrals_new']:,} new, {s['referrals_skipped']:,} skipped (imported before). "
                   f"Sessions {s['contacts_new']:,}, closures {s['closures_new']:,}, outcomes {s['outcomes_new']:,}, "
                   f"measures {s['measures_new']:,}.")
        if not plan.clean:
            db.session.commit()  # keeps the run's record of the problems; no casework was saved
            click.echo(f"{s['rows_refused']:,} rows need fixing ({plan.problem_count:,} problems). Nothing was saved.",
                       err=True)
            for p in plan.problems[:50]:
                click.echo(f"  row {p.row}, {p.column or '—'}: {p.message}", err=True)
            if plan.problem_count > 50:
                click.echo(f"  … and {plan.problem_count - 50:,} more (see Import › {run.filename}).", err=True)
            raise SystemExit(1)
        db.session.commit()
        click.echo("Dry run: nothing was saved." if dry_run else f"Imported (run {run.id}).")

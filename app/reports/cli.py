"""`flask reports quarterly --year 2024 --quarter 2 --format pdf --out return.pdf` (DESIGN.md §4.10)."""
from __future__ import annotations

import sys

import click

from app.documents import FORMATS
from app import audit
from app.db import db
from app.periods import quarter_label
from app.documents import render
from app.reports.services import return_report


def register(app) -> None:
    @app.cli.group("reports")
    def reports_group():
        """Reports and the quarterly Home Office return."""

    @reports_group.command("quarterly")
    @click.option("--year", "fy", type=click.IntRange(2000, 2100), required=True,
                  help="Financial year by its first calendar year: 2024 is 2024-25.")
    @click.option("--quarter", type=click.IntRange(1, 4), required=True, help="Quarter 1 to 4 (Q1 is April to June).")
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
    @click.option("--out", type=click.Path(dir_okay=False, writable=True), default="-",
                  help="File to write; '-' (the default) writes to standard output.")
    @click.option("--suppressed", is_flag=True, help="Apply small-number suppression for public outputs.")
    def quarterly(fy: int, quarter: int, fmt: str, out: str, suppressed: bool):
        """Build the quarterly return (a locked quarter comes from its snapshot)."""

        with click.progressbar(length=2, label=f"Building the {quarter_label(fy, quarter)} return", file=sys.stderr) as bar:
            report = return_report(fy, quarter, suppressed=suppressed)
            bar.update(1)
            data, _, _ = render(report, fmt)
            bar.update(1)
        audit.record_export(None, "quarterly_return", fmt, detail={"period": quarter_label(fy, quarter),
                                                                  "suppressed": suppressed, "via": "cli"})
        db.session.commit()
        if out == "-":
            click.get_binary_stream("stdout").write(data)
        else:
            with open(out, "wb") as fh:
                fh.write(data)
            click.echo(f"Wrote {out} ({len(data):,} bytes).", err=True)

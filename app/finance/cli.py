"""`flask reports grant-spend|match-funding --year 2024 --format pdf|xlsx|csv|json --out FILE`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from app.documents import render
from app.finance.report_sections import NoGrantYear
from app.finance.views import build_report


def _reports_group(app: Flask) -> click.Group:
    """Join the `reports` group if the reports domain made one; otherwise make it (either order works)."""
    group = app.cli.commands.get("reports")
    if isinstance(group, click.Group):
        return group

    @click.group("reports")
    def reports():
        """Build reports as PDF, XLSX, CSV or JSON."""

    app.cli.add_command(reports)
    return reports


def _run(name: str, year: int, quarter: int | None, fmt: str, out: str | None) -> None:
    try:
        report = build_report(name, year, quarter)
    except NoGrantYear as exc:
        raise click.ClickException(str(exc)) from None
    data, _, extension = render(report, fmt)
    if out in (None, "-"):
        if fmt in ("pdf", "xlsx") and sys.stdout.isatty():
            raise click.ClickException(f"{fmt.upper()} is binary: give --out FILE.{extension}")
        click.get_binary_stream("stdout").write(data)
        return
    with open(out, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote {report.title} {report.period_label} ({len(data):,} bytes) to {out}", err=True)


def register(app: Flask) -> None:
    group = _reports_group(app)
    options = [
        click.option("--year", type=int, required=True, help="Financial year by its first year: 2024 is 2024-25."),
        click.option("--quarter", type=click.IntRange(1, 4), default=None,
                     help="Figures as at the end of this quarter (default: the latest with actual spend)."),
        click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "csv", "json"]), default="pdf",
                     show_default=True),
        click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="File to write (default: standard output)."),
    ]

    def command(name: str, doc: str):
        def run(year: int, quarter: int | None, fmt: str, out: str | None) -> None:
            _run(name, year, quarter, fmt, out)

        run.__doc__ = doc
        for option in reversed(options):
            run = option(run)
        return click.command(name)(with_appcontext(run))

    group.add_command(command("grant-spend", "Grant spend by line and quarter, with the 30% / 10% / match rules."))
    group.add_command(command("match-funding", "Match contributions and secondments against the requirement."))

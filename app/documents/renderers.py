"""The one map from format name to renderer (DESIGN.md §4.8).

Views, the API and ``flask reports … --format`` all call :func:`render`, so
every format is offered the same way and an unknown one is refused the same
way.
"""

from __future__ import annotations

from collections.abc import Callable

from app.documents.pdf import render_pdf
from app.documents.render_csv import render_csv
from app.documents.render_json import render_json
from app.documents.render_xlsx import render_xlsx
from app.documents.report import Report

Renderer = Callable[[Report], bytes]

RENDERERS: dict[str, tuple[Renderer, str, str]] = {
    "pdf": (render_pdf, "application/pdf", "pdf"),
    "xlsx": (
        render_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    "csv": (render_csv, "text/csv; charset=utf-8", "csv"),
    "json": (render_json, "application/json", "json"),
}

FORMATS: tuple[str, ...] = tuple(RENDERERS)


def render(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """Render ``report`` as ``fmt``; return ``(data, mimetype, extension)``.

    Raises ValueError for a format not in :data:`RENDERERS`.
    """
    try:
        renderer, mimetype, extension = RENDERERS[fmt]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    return renderer(report), mimetype, extension

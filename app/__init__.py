"""Waypoint: case management and reporting for violence-reduction navigator programmes.

The package itself initialises nothing, so importing any module of it (``app.db``, ``app.periods``) never
pulls in the whole application. ``create_app`` lives in ``app/factory.py``, the top floor.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    """``from app import create_app`` (wsgi.py, tests) reaches the factory without importing it eagerly."""
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")

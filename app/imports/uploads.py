"""Years of casework are bigger than any other upload: the import's upload has its own size limit.

The limit must be known before anything reads the body — the CSRF check reads the form before any view runs —
so it is decided by the request itself, from the endpoint it is routed to.
"""
from __future__ import annotations

from flask import Request, current_app

IMPORT_UPLOAD_ENDPOINTS = frozenset({"imports.index"})


class UploadRequest(Request):
    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and current_app and self.endpoint in IMPORT_UPLOAD_ENDPOINTS:
            return current_app.config["IMPORT_MAX_BYTES"]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

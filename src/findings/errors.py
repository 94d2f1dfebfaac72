"""The errors a user can cause: each carries one sentence; the CLI and app show just that."""

from __future__ import annotations

from findings.embedding.backends import EmbedError
from findings.readers import ReadError
from findings.store import StoreError
from findings.vectors import VectorIndexError


class QueryError(ValueError):
    """A query or filter the user got wrong."""


class IngestLocked(Exception):
    """Another ingest is running on the same index."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    QueryError, IngestLocked, StoreError, ReadError, EmbedError, VectorIndexError,
)

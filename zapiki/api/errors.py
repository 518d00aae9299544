"""HTTP errors as JSON: {"error": {"code", "message"}}, and how Zapiki's exceptions map to status codes."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from zapiki.errors import ConflictError, InputError, NotFound, UnknownProofSystem


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def to_api_error(exc: BaseException) -> ApiError | None:
    """The HTTP error for a known exception; None for an unexpected one (a 500, logged)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, UnknownProofSystem):
        return ApiError(422, exc.code, str(exc))
    if isinstance(exc, NotFound):
        return ApiError(404, exc.code, str(exc))
    if isinstance(exc, ConflictError):
        return ApiError(409, exc.code, str(exc))
    if isinstance(exc, InputError):
        return ApiError(422, exc.code, str(exc))
    if isinstance(exc, OperationalError | PoolTimeout) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return ApiError(
            503, "database_unavailable", "the database is unreachable; try again shortly", {"Retry-After": "5"}
        )
    if isinstance(exc, DataError) and not exc.connection_invalidated:
        # a value the database cannot store or compare (the handlers validate first; this is the safety net)
        return ApiError(422, "invalid_input", "a value in the request cannot be stored")
    return None

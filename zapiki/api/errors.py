"""HTTP errors as JSON: {"error": {"code", "message"}}; which status and message an exception gets is
`zapiki.errors.public_error`'s rule, shared with the dashboard."""

from __future__ import annotations

from zapiki.errors import public_error


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
    found = public_error(exc)
    if found is None:
        return None
    status, code, message = found
    return ApiError(status, code, message, {"Retry-After": "5"} if status == 503 else None)

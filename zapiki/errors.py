"""Every exception Zapiki raises, in one place.

The split that matters to the job platform is :class:`InputError` versus everything else: an error caused
by the input (bad data, a malformed file, an unknown circuit, an unsatisfied constraint) fails a job at
once, while any other exception is treated as transient and retried according to the job's policy.

Each error names its `code` (the REST API's error code) and `http_status` (the status an answer carries);
`by_code` maps a code back to its exception, for the remote client.

>>> issubclass(FormatError, InputError)
True
>>> NotFound("proof p1 not found").http_status, by_code("not_found") is NotFound
(404, True)
"""

from __future__ import annotations


class ZapikiError(Exception):
    """Base class of all Zapiki errors."""

    code = "error"
    http_status = 500


class InputError(ZapikiError, ValueError):
    """The input is wrong; retrying the same input cannot succeed."""

    code = "invalid_input"
    http_status = 422


class FormatError(InputError):
    """A file or encoded value is malformed (truncated, wrong magic, unsupported version, bad sizes)."""

    code = "malformed_file"


class CurveError(InputError):
    """A field element or curve point is invalid (coordinate >= modulus, off the curve, outside the subgroup)."""

    code = "invalid_point"


class WitnessError(InputError):
    """The witness cannot be computed from the input, or does not satisfy the circuit."""

    code = "invalid_witness"


class UnknownProofSystem(InputError):
    """No proof system is registered under the requested name."""

    code = "unknown_proof_system"


class NotFound(ZapikiError, LookupError):
    """A proof, job, circuit, user or key does not exist (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404


class ConflictError(ZapikiError):
    """The requested transition is not allowed in the object's current state."""

    code = "conflict"
    http_status = 409


class JobTimeout(ZapikiError, TimeoutError):
    """A job attempt ran past its deadline and was stopped."""

    code = "timeout"


class JobFailed(ZapikiError):
    """A job ended in the ``failed`` state; ``str(err)`` is its last error message."""

    code = "job_failed"


class TransientError(ZapikiError):
    """A failure that may pass on its own (a worker died, a resource was briefly unavailable)."""

    code = "transient"


class Unauthorized(ZapikiError):
    """The API key is missing, invalid or revoked (HTTP 401), or the key may not do this."""

    code = "unauthorized"
    http_status = 401


class ServiceUnavailable(TransientError):
    """The service cannot be reached, or answered 503/429 for longer than the client waits."""

    code = "unavailable"
    http_status = 503


def public_error(exc: BaseException) -> tuple[int, str, str] | None:
    """(HTTP status, code, message) that every front-end (REST API, dashboard) shows for `exc`: a Zapiki error's
    own status and message when it is the caller's (4xx), 503 while the database is unreachable, 422 for a value
    the database cannot store; None for an unexpected error (a 500, logged).

    >>> public_error(ConflictError("job j1 is completed; only pending or retrying jobs can be cancelled"))
    (409, 'conflict', 'job j1 is completed; only pending or retrying jobs can be cancelled')
    >>> public_error(RuntimeError("boom")) is None
    True
    """
    from sqlalchemy.exc import DataError, DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, ZapikiError) and 400 <= exc.http_status < 500:
        return exc.http_status, exc.code, str(exc)
    if isinstance(exc, OperationalError | PoolTimeout) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return 503, "database_unavailable", "the database is unreachable; try again shortly"
    if isinstance(exc, DataError):
        # a value the database cannot store or compare (the front-ends validate first; this is the safety net)
        return 422, "invalid_input", "a value in the request cannot be stored"
    return None


def by_code(code: str) -> type[ZapikiError] | None:
    """The exception class whose `code` this is (None for a code Zapiki does not raise)."""
    return _BY_CODE.get(code)


_BY_CODE: dict[str, type[ZapikiError]] = {
    cls.code: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, ZapikiError) and cls is not ZapikiError
}

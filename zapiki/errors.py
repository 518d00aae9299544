"""Every exception Zapiki raises, in one place.

The split that matters to the job platform is :class:`InputError` versus everything else: an error caused
by the input (bad data, a malformed file, an unknown circuit, an unsatisfied constraint) fails a job at
once, while any other exception is treated as transient and retried according to the job's policy.

>>> issubclass(FormatError, InputError)
True
"""

from __future__ import annotations


class ZapikiError(Exception):
    """Base class of all Zapiki errors."""

    code = "error"


class InputError(ZapikiError, ValueError):
    """The input is wrong; retrying the same input cannot succeed."""

    code = "invalid_input"


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


class ConflictError(ZapikiError):
    """The requested transition is not allowed in the object's current state."""

    code = "conflict"


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


class ServiceUnavailable(TransientError):
    """The service cannot be reached, or answered 503/429 for longer than the client waits."""

    code = "unavailable"

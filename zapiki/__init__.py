"""Zapiki: zero-knowledge proofs at scale, as durable jobs on a Dask cluster, kept in a SQL database.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:
...     zk.verify("commitment", zk.prove("commitment", {"amount": 10}))
True

The client (and with it Dask and SQLAlchemy) is imported on first use, so command-line tools such as
`zapiki groth16 verify` start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zapiki.errors import InputError, JobFailed, NotFound, ZapikiError

if TYPE_CHECKING:
    from zapiki.client import Credential, IssuerKey, Job, JobBatch, Zapiki, connect

__all__ = [
    "Job", "JobBatch", "Zapiki", "connect", "IssuerKey", "Credential", "InputError", "JobFailed", "NotFound",
    "ZapikiError",
]  # fmt: skip
__version__ = "0.1.0"
_LAZY = {"Job", "JobBatch", "Zapiki", "connect", "IssuerKey", "Credential"}


def __getattr__(name: str) -> Any:  # noqa: ANN401
    if name in _LAZY:
        from zapiki import client

        return getattr(client, name)
    raise AttributeError(f"module 'zapiki' has no attribute {name!r}")

"""Zapiki: zero-knowledge proofs at scale, as durable jobs on a Dask cluster, kept in a SQL database.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:
...     zk.verify("commitment", zk.prove("commitment", {"amount": 10}))
True
"""

from zapiki.client import Job, JobBatch, Zapiki, connect
from zapiki.errors import InputError, JobFailed, NotFound, ZapikiError

__all__ = ["Job", "JobBatch", "Zapiki", "connect", "InputError", "JobFailed", "NotFound", "ZapikiError"]
__version__ = "0.1.0"

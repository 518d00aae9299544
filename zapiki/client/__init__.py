"""The Python client, for notebooks and scripts: `zapiki.connect()`.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", scheduler=None, local_cluster=False) as zk:
...     proof = zk.prove("commitment", "hello")
...     zk.verify("commitment", proof)
True

With no arguments, `connect()` opens the embedded SQLite database of the configuration and starts a local
Dask cluster; `connect("http://host:8000", api_key="zk_...")` uses a running service's REST API instead.
Either way `submit` returns a `Job` whose `result()` waits for the proof.
"""

from zapiki.client.args import FINAL, STATUSES
from zapiki.client.core import Zapiki, connect
from zapiki.client.jobs import JOB_COLUMNS, PROOF_COLUMNS, Job, JobBatch
from zapiki.client.templates import Template

__all__ = ["Zapiki", "connect", "Job", "JobBatch", "Template", "JOB_COLUMNS", "PROOF_COLUMNS", "FINAL", "STATUSES"]

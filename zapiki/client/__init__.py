"""The Python client, for notebooks and scripts: `zapiki.connect()`.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", scheduler=None, local_cluster=False) as zk:
...     proof = zk.prove("commitment", "hello")
...     zk.verify("commitment", proof)
True

With no arguments, `connect()` opens the embedded SQLite database of the configuration and starts a local
Dask cluster; `connect("http://host:8000", api_key="zk_...")` uses a running service's REST API instead.
Either way `submit` returns a `Job` whose `result()` waits for the proof.

An issuer signs claims for the identity templates with `IssuerKey` and `Credential` (the same keys and signatures
as `zapiki issuer keygen|sign`, and as circomlibjs):

>>> from zapiki.client import Credential, IssuerKey
>>> issuer = IssuerKey.generate()
>>> claim = Credential.issue(issuer, "birth_date", 20000101)
>>> claim.verify(), claim.to_json()["attribute"]
(True, 'birth_date')
"""

# Issuers sign the claims the identity templates prove (as `zapiki issuer keygen|sign` does): re-exported here so a
# notebook needs one import.
from zapiki.babyjub.credential import Credential  # noqa: E402
from zapiki.babyjub.eddsa import IssuerKey  # noqa: E402
from zapiki.client.args import FINAL, STATUSES
from zapiki.client.core import Zapiki, connect
from zapiki.client.jobs import JOB_COLUMNS, PROOF_COLUMNS, Job, JobBatch
from zapiki.client.templates import Template

__all__ = [
    "Zapiki", "connect", "Job", "JobBatch", "Template", "IssuerKey", "Credential", "JOB_COLUMNS", "PROOF_COLUMNS",
    "FINAL", "STATUSES",
]  # fmt: skip

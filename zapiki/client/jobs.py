"""Handles on submitted work: `Job` (one job) and `JobBatch` (the jobs of one `submit_many`).

Both read their state from the connection each time they are asked (nothing is cached), show themselves as
HTML in Jupyter, and can be awaited (`await job`, `await batch`) so that a notebook's event loop keeps running
while they finish.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", n_workers=1, threads_per_worker=1) as zk:  # a local cluster, one worker
...     batch = zk.submit_many("commitment", ["a", "b"], progress=False)
...     batch.wait(timeout=120, progress=False)
...     [zk.verify("commitment", proof) for proof in batch.results()]
...     list(batch.to_dataframe()["status"])
<JobBatch of 2 jobs: 2 completed>
[True, True]
['completed', 'completed']
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zapiki import schema
from zapiki.client import args, html
from zapiki.client.args import FINAL
from zapiki.errors import JobFailed

if TYPE_CHECKING:
    from zapiki.client.core import Zapiki

# The API's fields (zapiki.schema), the seed's first; times as UTC timestamps.
JOB_COLUMNS = list(schema.JOB_FIELDS)
PROOF_COLUMNS = list(schema.PROOF_FIELDS)
JOB_TIMES, PROOF_TIMES = schema.JOB_TIMES, schema.PROOF_TIMES


def frame(rows: list[dict[str, Any]], columns: list[str], times: tuple[str, ...]) -> Any:  # noqa: ANN401
    """Rows as a pandas DataFrame with these columns, times as UTC timestamps."""
    import pandas as pd

    out = pd.DataFrame(rows, columns=columns)
    for col in times:
        out[col] = pd.to_datetime(out[col], utc=True, format="ISO8601")
    return out


def result_of(proof: dict[str, Any]) -> dict[str, Any]:
    """A finished proof as the client hands it out (`public_signals` too for groth16, snarkjs's name)."""
    out = {
        "id": proof["id"],
        "proof_system": proof["proof_system"],
        "status": proof["status"],
        "proof": proof["proof_data"],
        "public_inputs": proof["public_inputs"],
        "verification_key": proof["verification_key"],
        "generation_time_ms": proof["generation_time_ms"],
        "created_at": proof["created_at"],
        "completed_at": proof["completed_at"],
    }
    if proof["proof_system"] == "groth16":
        out["public_signals"] = proof["public_inputs"]
    if proof.get("template") is not None:  # a template proof: which, how its keys were made, signals by name
        out["template"] = proof["template"]
        out["named_signals"] = proof.get("named_signals")
    return out


def _poll_delays(remote: bool) -> Generator[float, None, None]:
    """Waits between polls: quick at first, then at most every 0.5 s (2 s over HTTP, where keys are rate limited)."""
    delay, top = (0.2, 2.0) if remote else (0.02, 0.5)
    while True:
        yield delay
        delay = min(delay * 1.5, top)


class Job:
    """A handle on one job.

    >>> import zapiki
    >>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:  # no cluster: a submitted job waits
    ...     job = zk.submit("commitment", "x")
    ...     job.status, job.cancel().status, job.retry().status
    ('pending', 'cancelled', 'pending')

    With a cluster, ``job.result(timeout=30)`` waits for the job and returns its proof.
    """

    def __init__(self, client: Zapiki, job_id: str, proof_id: str) -> None:
        self._client = client
        self.id = job_id
        self.proof_id = proof_id

    def info(self) -> dict[str, Any]:
        """The job row: status, queue, retry_count, timestamps, error_message, ..."""
        return self._client.backend.get_job(self.id)

    @property
    def status(self) -> str:
        return self.info()["status"]

    def done(self) -> bool:
        return self.status in FINAL

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is completed, failed or cancelled (TimeoutError after `timeout` seconds)."""
        timeout = args.timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        for delay in _poll_delays(self._client.remote):
            status = self.status
            if status in FINAL:
                return self
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} still {status} after {timeout} s")
            time.sleep(delay if deadline is None else max(0.0, min(delay, deadline - time.monotonic())))
        raise AssertionError("unreachable")

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        """The proof once the job completes; JobFailed (with the job's last error) if it failed."""
        info = self.wait(timeout).info()
        if info["status"] != "completed":
            raise JobFailed(f"job {self.id} {info['status']}: {info['error_message']}")
        return result_of(self._client.backend.get_proof(self.proof_id))

    def cancel(self) -> Job:
        """Cancel the job while it is pending or retrying (ConflictError once it runs or has finished)."""
        self._client.backend.cancel(self.id)
        return self

    def retry(self) -> Job:
        """Run a failed or cancelled job again (ConflictError otherwise)."""
        self._client.backend.retry(self.id)
        return self

    async def _wait_async(self) -> Job:
        for delay in _poll_delays(self._client.remote):
            if await asyncio.to_thread(self.done):
                return self
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def __await__(self) -> Generator[Any, None, Job]:
        """`await job` waits without blocking the event loop (each poll runs in a thread)."""
        return self._wait_async().__await__()

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.status}>"

    def _repr_html_(self) -> str:
        return html.job(self.info())


class JobBatch(list[Job]):
    """The jobs of one `submit_many`, in order.

    >>> import zapiki
    >>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:  # no cluster: submitted jobs wait
    ...     batch = zk.submit_many("commitment", ["a", "b", "c"], progress=False)
    ...     _ = batch[0].cancel()
    ...     batch, batch.failed()
    (<JobBatch of 3 jobs: 1 cancelled, 2 pending>, <JobBatch of 1 jobs: 1 cancelled>)

    ``batch.wait()``, ``batch.results()``, ``batch.to_dataframe()`` and ``batch.export("proofs/")`` once they
    run (the module's example).
    """

    def __init__(self, client: Zapiki, jobs: Iterable[Job]) -> None:
        super().__init__(jobs)
        self._client = client

    def _rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {row["id"]: row for row in self._client.backend.jobs_by_ids(ids)}

    def statuses(self) -> dict[str, str]:
        """{job id: status} of every job of the batch."""
        return {i: r["status"] for i, r in self._rows([j.id for j in self]).items()}

    def counts(self) -> dict[str, int]:
        """How many jobs of the batch are in each status."""
        return dict(Counter(self.statuses().values()))

    def wait(self, timeout: float | None = None, progress: bool = True) -> JobBatch:
        """Block until every job is final, with a progress bar (tqdm's notebook bar in Jupyter)."""
        from tqdm.auto import tqdm

        timeout = args.timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        open_ids = [j.id for j in self]
        delays = _poll_delays(self._client.remote)
        with tqdm(total=len(self), disable=not progress, desc="proofs", unit="job") as bar:
            while open_ids:
                # Jobs of one queue finish roughly in order: look at the oldest open ones only.
                head = open_ids[: schema.LOOKUP_MAX_IDS]
                rows = self._rows(head)
                finished = {i for i in head if rows.get(i, {}).get("status") in FINAL}
                if finished:
                    open_ids = [i for i in open_ids if i not in finished]
                    bar.update(len(finished))
                    if len(finished) == len(head):
                        continue
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{len(open_ids)} of {len(self)} jobs still open after {timeout} s")
                time.sleep(next(delays))
        return self

    async def _wait_async(self) -> JobBatch:
        await asyncio.to_thread(self.wait, None, False)
        return self

    def __await__(self) -> Generator[Any, None, JobBatch]:
        """`await batch` waits in a thread: the notebook's event loop keeps running."""
        return self._wait_async().__await__()

    def results(self, timeout: float | None = None, skip_failed: bool = False) -> list[dict[str, Any]]:
        """The proofs in the batch's order, once every job is final. A failed or cancelled job raises JobFailed
        (naming how many and the first error) unless `skip_failed`, which leaves those out."""
        self.wait(timeout, progress=False)
        rows = self._rows([j.id for j in self])
        bad = [rows[j.id] for j in self if rows[j.id]["status"] != "completed"]
        if bad and not skip_failed:
            first = bad[0]
            raise JobFailed(
                f"{len(bad)} of {len(self)} jobs did not complete; job {first['id']} {first['status']}: "
                f"{first['error_message']}"
            )
        wanted = [j.proof_id for j in self if rows[j.id]["status"] == "completed"]
        proofs = {p["id"]: p for p in self._client.backend.proofs_by_ids(wanted)}
        return [result_of(proofs[pid]) for pid in wanted]

    def failed(self) -> JobBatch:
        """The jobs of the batch that failed (or were cancelled), as a batch."""
        statuses = self.statuses()
        return JobBatch(self._client, [j for j in self if statuses.get(j.id) in ("failed", "cancelled")])

    def retry_failed(self) -> JobBatch:
        """Run the failed and cancelled jobs again; returns them as a batch (wait on it)."""
        again = self.failed()
        for job in again:
            job.retry()
        return again

    def to_dataframe(self) -> Any:  # noqa: ANN401
        """The jobs as a pandas DataFrame in the batch's order (columns as in JOB_COLUMNS, plus duration_s)."""
        rows = self._rows([j.id for j in self])
        out = frame([rows[j.id] for j in self if j.id in rows], JOB_COLUMNS, JOB_TIMES)
        out["duration_s"] = (out["completed_at"] - out["started_at"]).dt.total_seconds()
        return out

    def export(self, folder: Any) -> list[Path]:  # noqa: ANN401
        """Write `<folder>/<job id>/proof.json`, `public.json` (snarkjs's shapes) and `verification_key.json` for
        every completed job; returns the folders written. `snarkjs groth16 verify verification_key.json
        public.json proof.json` checks a groth16 one."""
        root = args.folder(folder)
        job_of = {j.proof_id: j.id for j in self}
        written: list[Path] = []
        for proof in self.results(skip_failed=True):
            where = root / job_of[proof["id"]]
            where.mkdir(parents=True, exist_ok=True)
            for name, value in (
                ("proof.json", proof["proof"]),
                ("public.json", proof["public_inputs"]),
                ("verification_key.json", proof["verification_key"]),
            ):
                (where / name).write_text(json.dumps(value, indent=1) + "\n")
            written.append(where)
        return written

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        return f"<JobBatch of {len(self)} jobs: {counts}>"

    def _repr_html_(self) -> str:
        return html.batch(len(self), self.counts())

"""The soak's load: each user a thread sending a mixed, seeded stream of requests over the REST API
(commitments, Groth16 proofs on a small circuit, diagnostic sleeps; all three priorities; batches and single
jobs; cancels and manual retries), whatever state the service is in. A job counts as acknowledged only once
its 202 was read."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import httpx

from zapiki.chaos.invariants import Expectations

PRIORITIES = ("high", "normal", "low")


class UserLoad(threading.Thread):
    """One user's requests, chosen by `rng` (so a seed replays the same choices), until stop()."""

    def __init__(self, name: str, url: str, key: str, circuit_id: str, rng: random.Random, pause_s: float) -> None:
        super().__init__(name=f"load-{name}", daemon=True)
        self.user, self.url, self.key, self.circuit_id = name, url, key, circuit_id
        self.rng, self.pause_s = rng, pause_s
        self.expected = Expectations()
        self.statuses: Counter[int] = Counter()
        self.sent: Counter[str] = Counter()
        self.cancelled: list[str] = []
        self.retried: list[str] = []
        self.server_errors: list[str] = []  # any 5xx but 503 (the database is away): never acceptable
        self._mine: list[str] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def _body(self) -> tuple[str, dict[str, Any], bool]:
        """(path, body, input_error) of the next job request."""
        rng = self.rng
        options: dict[str, Any] = {"priority": rng.choice(PRIORITIES), "max_retries": rng.choice((0, 1, 3))}
        kind = rng.choices(["commitment", "commitment-batch", "groth16", "diagnostic", "input-error"], [3, 2, 2, 3, 1])[
            0
        ]
        self.sent[kind] += 1
        if kind == "commitment":
            return (
                "/api/v1/proofs",
                {
                    "proof_system": "commitment",
                    "data": {"type": "string", "value": f"{self.user}-{rng.random()}"},
                    "options": {**options, "async": True},
                },
                False,
            )
        if kind == "commitment-batch":
            items = [{"type": "json", "value": {"user": self.user, "i": i}} for i in range(rng.randint(2, 20))]
            return "/api/v1/proofs/batch", {"proof_system": "commitment", "items": items, "options": options}, False
        if kind == "groth16":
            data = {"a": rng.randint(1, 1000), "b": rng.randint(1, 1000)}
            return (
                "/api/v1/proofs",
                {
                    "proof_system": "groth16",
                    "data": data,
                    "circuit_id": self.circuit_id,
                    "options": {**options, "async": True},
                },
                False,
            )
        if kind == "diagnostic":
            data = {"sleep_s": round(rng.uniform(0.05, 2.0), 2), "value": rng.random()}
            return "/api/v1/proofs", {"proof_system": "diagnostic", "data": data, "options": options}, False
        data = {"input_error": "sent on purpose by the soak"}
        return "/api/v1/proofs", {"proof_system": "diagnostic", "data": data, "options": options}, True

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=15) as client:
            while not self._halt.is_set():
                roll = self.rng.random()
                try:
                    if roll < 0.06 and self._mine:
                        self._act(client, "cancel")
                    elif roll < 0.10 and self._mine:
                        self._act(client, "retry")
                    else:
                        self._submit(client)
                except httpx.HTTPError:
                    self.statuses[0] += 1  # no answer (the server is down): nothing was acknowledged
                    time.sleep(0.2)
                self._halt.wait(self.pause_s)

    def _submit(self, client: httpx.Client) -> None:
        path, body, input_error = self._body()
        r = client.post(path, json=body)
        self.statuses[r.status_code] += 1
        if r.status_code == 202:
            out = r.json()
            ids = [j["job_id"] for j in out["jobs"]] if "jobs" in out else [out["job_id"]]
            self.expected.acknowledged.update(ids)
            if input_error:
                self.expected.input_errors.update(ids)
            self._mine.extend(ids)
        elif r.status_code >= 500 and r.status_code != 503:
            self.server_errors.append(f"POST {path} answered {r.status_code}: {r.text[:300]}")

    def _act(self, client: httpx.Client, action: str) -> None:
        # cancel a recent job (pending ones can be); retry one that failed or was cancelled, when there is one
        finished = self.cancelled + sorted(self.expected.input_errors)
        pool = finished[-50:] if action == "retry" and finished else self._mine[-50:]
        job_id = self.rng.choice(pool)
        r = client.post(f"/api/v1/jobs/{job_id}/{action}")
        self.statuses[r.status_code] += 1
        if r.status_code == 200:
            (self.cancelled if action == "cancel" else self.retried).append(job_id)
        elif r.status_code >= 500 and r.status_code != 503:
            self.server_errors.append(f"{action} {job_id} answered {r.status_code}: {r.text[:300]}")

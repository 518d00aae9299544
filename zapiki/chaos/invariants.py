"""What must hold after a soak, read from the database and the audit trail (`zapiki.chaos.audit`): every rule
returns the violations it found, each a line naming the job and what is wrong."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

FINAL = ("completed", "failed", "cancelled")


@dataclass
class Drain:
    """A worker asked to drain (SIGTERM): its address and the time from the signal to the process's exit."""

    worker: str
    began: datetime
    ended: datetime


@dataclass
class Expectations:
    """What the load knows about its jobs: every acknowledged id, and those sent with an input error."""

    acknowledged: set[str] = field(default_factory=set)
    input_errors: set[str] = field(default_factory=set)


def _jobs(engine: sa.Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT j.id, j.status, j.runs, j.retry_count, j.max_retries, j.error_message, j.proof_system, "
                "j.attempt_token, p.proof_data, p.public_inputs, p.verification_key "
                "FROM jobs j JOIN proofs p ON p.id = j.proof_id"
            )
        ).mappings()
        return {r["id"]: dict(r) for r in rows}


def _attempts(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM job_attempts ORDER BY id")).mappings()
        for r in rows:
            out.setdefault(r["job_id"], []).append(dict(r))
    return out


def check(
    engine: sa.Engine,
    expected: Expectations,
    trail: dict[str, list[dict[str, Any]]],
    drains: list[Drain],
    verify_groth16: Any = None,  # noqa: ANN401 - (vkey, public, proof) -> bool
) -> tuple[list[str], dict[str, Any]]:
    """Every invariant over every job; returns (violations, figures)."""
    jobs = _jobs(engine)
    attempts = _attempts(engine)
    bad: list[str] = []
    charged_total = 0
    verified = 0
    for job_id in sorted(expected.acknowledged - set(jobs)):
        bad.append(f"{job_id}: acknowledged (202) but not in the database")
    for job_id, job in jobs.items():
        runs = attempts.get(job_id, [])
        # final, and nothing processing without a live attempt
        if job_id in expected.acknowledged and job["status"] not in FINAL:
            bad.append(f"{job_id}: {job['status']} at the end, not final")
        # runs equals the runs announced (each announced run opened one job_attempts row)
        if job["runs"] != len(runs):
            bad.append(f"{job_id}: runs={job['runs']} but {len(runs)} runs were announced")
        for a in runs:
            if a["outcome"] is None:
                bad.append(f"{job_id}: run {a['attempt']} (token {a['token']}) was never closed with an outcome")
        # walk the trail: every charge is for a run the job had, under the claim being charged, and one charge
        # per run; completions at most once
        ran = False
        charges_since_reset = 0
        completions = 0
        for c in trail.get(job_id, []):
            if c["old_status"] != "processing" and c["new_status"] == "processing":
                ran = False  # a new claim: no run under it yet
            new_run = c["new_runs"] == c["old_runs"] + 1
            charge = c["new_retry_count"] - c["old_retry_count"]
            if c["new_runs"] not in (c["old_runs"], c["old_runs"] + 1):
                bad.append(f"{job_id}: runs went {c['old_runs']} -> {c['new_runs']} in one change")
            if charge == 1:
                if not ran:
                    bad.append(f"{job_id}: charged a retry at {c['at']} for a run it never had")
                for d in drains:
                    if c["old_worker"] == d.worker and d.began <= c["at"] <= d.ended:
                        bad.append(f"{job_id}: charged at {c['at']} for a run on {d.worker} while it drained")
                charges_since_reset += 1
                charged_total += 1
                if not new_run:
                    ran = False  # that run is paid for; a rerun's charge pays the run before it
            elif charge < 0:
                if c["new_retry_count"] != 0 or c["old_status"] not in ("failed", "cancelled"):
                    bad.append(f"{job_id}: retry_count went {c['old_retry_count']} -> {c['new_retry_count']}")
                charges_since_reset = 0
            elif charge > 1:
                bad.append(f"{job_id}: charged {charge} retries in one change")
            if new_run:
                ran = True
            if c["new_status"] == "completed" and c["old_status"] != "completed":
                completions += 1
        if completions > 1:
            bad.append(f"{job_id}: completed {completions} times")
        if charges_since_reset != job["retry_count"]:
            bad.append(f"{job_id}: retry_count={job['retry_count']} but {charges_since_reset} runs were charged")
        # failed only by an input error, a timeout, or with its budget spent
        if job["status"] == "failed":
            spent = job["retry_count"] >= job["max_retries"]
            if not (spent or job["error_message"] == "timeout" or job_id in expected.input_errors):
                bad.append(
                    f"{job_id}: failed with budget left ({job['retry_count']}/{job['max_retries']}): "
                    f"{job['error_message']}"
                )
        if job_id in expected.input_errors and job["status"] == "completed":
            bad.append(f"{job_id}: sent with an input error, yet completed")
        if job["status"] == "completed" and job["proof_system"] == "groth16" and verify_groth16 is not None:
            if not verify_groth16(job["verification_key"], job["public_inputs"], job["proof_data"]):
                bad.append(f"{job_id}: its Groth16 proof does not verify")
            verified += 1
    statuses = Counter(j["status"] for j in jobs.values() if j["id"] in expected.acknowledged)
    runs_per_job = [j["runs"] for j in jobs.values() if j["id"] in expected.acknowledged] or [0]
    outcomes = Counter(a["outcome"] for rows in attempts.values() for a in rows)
    figures = {
        "jobs": len(expected.acknowledged),
        **{s: statuses.get(s, 0) for s in FINAL},
        "groth16_verified": verified,
        "runs": sum(runs_per_job),
        "max_runs": max(runs_per_job),
        "charged": charged_total,
        "run_outcomes": dict(sorted(outcomes.items(), key=lambda kv: str(kv[0]))),
    }
    return bad, figures


def turns(claims: list[str]) -> list[str]:
    """Per-user turns over the order in which one queue's jobs were claimed (`claims`: the user of each claim),
    while every user still had jobs waiting: no user is served twice in a row while another waits. The caller
    passes the claims made while all users had a backlog.

    >>> turns(["a", "b", "a", "b"])
    []
    >>> turns(["a", "a", "b"])
    ['claim 2 went to a again while another user waited']
    """
    return [
        f"claim {i + 1} went to {user} again while another user waited"
        for i, user in enumerate(claims)
        if i and claims[i - 1] == user
    ]

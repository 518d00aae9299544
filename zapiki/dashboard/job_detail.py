"""A job's page: its state and timing, every attempt (worker, outcome, error), its proof and public signals,
the files `proof.json`, `public.json` and `verification_key.json` (snarkjs's shapes), and the actions verify,
cancel (pending or retrying) and retry (failed or cancelled)."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Hashable
from typing import Any

import pandas as pd
import panel as pn

from zapiki.dashboard.actions import message
from zapiki.dashboard.base import STATUS_COLOURS, View, table
from zapiki.errors import NotFound

__all__ = ["JobDetail"]

FIELDS = [
    ("id", "job"),
    ("proof_id", "proof"),
    ("proof_system", "system"),
    ("circuit", "circuit"),
    ("queue", "queue"),
    ("runs", "attempts (runs)"),
    ("retry_count", "retries used"),
    ("max_retries", "retries allowed"),
    ("timeout_s", "timeout (s)"),
    ("worker", "worker"),
    ("created_at", "created (UTC)"),
    ("started_at", "started"),
    ("completed_at", "completed"),
    ("next_attempt_at", "next attempt"),
    ("error_message", "error"),
]


FACTS_CSS = """<style>
table.facts { border-collapse: collapse; font-size: 13px; }
table.facts th { text-align: left; padding: 3px 14px 3px 0; color: #555; font-weight: 600; white-space: nowrap; }
table.facts td { padding: 3px 0; word-break: break-all; }
table.facts tr { border-bottom: 1px solid #eee; }
</style>"""


class JobDetail(View):
    """One job; `show(job_id)` switches to another."""

    title = "Job"

    def build(self) -> pn.viewable.Viewable:
        self.job_id = ""
        self.job: dict[str, Any] | None = None
        self.id_input = pn.widgets.TextInput(name="Job id", placeholder="a job id", width=340)
        self.id_input.param.watch(lambda e: self.show(e.new.strip()), "value")
        self.heading = pn.pane.HTML("<p>Pick a job in the Jobs table, or paste its id.</p>", margin=(0, 10))
        self.facts = pn.pane.HTML("", width=560, name="facts")
        self.attempts = table(
            ["attempt", "worker", "started_at", "finished_at", "outcome", "error"],
            titles={"started_at": "started (UTC)", "finished_at": "finished (UTC)"},
            name="attempts",
        )
        self.attempts.style.map(_outcome_style, subset=["outcome"])
        self.proof = pn.pane.JSON({}, depth=-1, name="proof", sizing_mode="stretch_width")
        self.public = pn.pane.JSON([], depth=-1, name="public signals", sizing_mode="stretch_width")
        self.downloads = [
            pn.widgets.FileDownload(
                callback=lambda which=which: self._file(which), filename=which, label=f"Download {which}", width=230
            )
            for which in ("proof.json", "public.json", "verification_key.json")
        ]
        self.verify = pn.widgets.Button(name="Verify now", button_type="primary", width=120)
        self.cancel = pn.widgets.Button(name="Cancel job", button_type="warning", width=120)
        self.retry = pn.widgets.Button(name="Retry job", button_type="success", width=120)
        actions = self.ctx.actions
        self.verify.on_click(lambda _: self.act(lambda: actions.verify(self.job_id), _verdict))
        self.cancel.on_click(lambda _: self.act(lambda: actions.cancel(self.job_id), lambda j: f"Job {j['status']}."))
        self.retry.on_click(lambda _: self.act(lambda: actions.retry(self.job_id), lambda j: f"Job {j['status']}."))
        self.body = pn.Column(
            pn.Row(self.verify, self.cancel, self.retry, *self.downloads),
            pn.Row(
                pn.Column(pn.pane.Markdown("### Job"), self.facts),
                pn.Column(
                    pn.pane.Markdown("### Attempts"),
                    self.attempts,
                    pn.pane.Markdown("### Public signals"),
                    self.public,
                    sizing_mode="stretch_width",
                ),
                sizing_mode="stretch_width",
            ),
            pn.pane.Markdown("### Proof"),
            self.proof,
            visible=False,
            sizing_mode="stretch_width",
        )
        return pn.Column(self.id_input, self.heading, self.alert, self.body, sizing_mode="stretch_width")

    def show(self, job_id: str) -> None:
        """Show job `job_id` (one the key may see)."""
        if job_id != self.job_id:
            self.job_id = job_id
            self.say("")
            if self.id_input.value != job_id:
                self.id_input.value = job_id
            self.refresh(force=True)

    def state(self) -> Hashable:
        return (self.ctx.source.version, self.job_id)

    def _file(self, which: str) -> io.BytesIO:
        try:
            return io.BytesIO(self.ctx.actions.proof_file(self.job_id, which).encode())
        except Exception as exc:
            self.say(message(exc), ok=False)
            return io.BytesIO(b"")

    def update(self) -> None:
        if not self.job_id:
            self.body.visible = False
            return
        try:
            job = self.ctx.source.job(self.ctx.scope, self.job_id)
        except NotFound as exc:
            self.job = None
            self.body.visible = False
            self.heading.object = f"<p>{html.escape(str(exc))}</p>"
            return
        self.job = job
        colour = STATUS_COLOURS.get(job["status"], "#000")
        duration = _duration(job["started_at"], job["completed_at"])
        self.heading.object = (
            f'<h3 style="margin:4px 0">Job {job["id"]} · <span style="color:{colour}">{job["status"]}</span>'
            + (f" · {duration}" if duration else "")
            + "</h3>"
        )
        shown = {key: _short(job[key]) if key.endswith("_at") else str(job[key]) for key, _ in FIELDS if job.get(key)}
        rows = "".join(
            f"<tr><th>{label}</th><td>{html.escape(shown[key])}</td></tr>" for key, label in FIELDS if key in shown
        )
        self.facts.object = f'<table class="facts">{rows}</table>{FACTS_CSS}'
        attempts = [
            {**a, "started_at": _short(a["started_at"]), "finished_at": _short(a["finished_at"])}
            for a in job["attempts"]
        ]
        self.attempts.value = pd.DataFrame(attempts, columns=list(self.attempts.value.columns))
        proof = job["proof"]
        self.proof.object = json.dumps(proof["proof_data"]) if proof["proof_data"] is not None else "{}"
        self.public.object = json.dumps(proof["public_inputs"]) if proof["public_inputs"] is not None else "[]"
        has_proof = proof["proof_data"] is not None
        for button in (*self.downloads, self.verify):
            button.disabled = not has_proof
        self.cancel.disabled = job["status"] not in ("pending", "retrying")
        self.retry.disabled = job["status"] not in ("failed", "cancelled")
        self.body.visible = True


def _verdict(result: tuple[bool, str | None]) -> tuple[str, bool]:
    valid, reason = result
    return ("The proof verifies.", True) if valid else (f"The proof does not verify: {reason}", False)


def _duration(started: str | None, completed: str | None) -> str:
    if not started or not completed:
        return ""
    seconds = (pd.Timestamp(completed) - pd.Timestamp(started)).total_seconds()
    return f"took {seconds:.3f} s"


def _short(iso: str | None) -> str:
    """An ISO time as the page shows it (UTC, to the second)."""
    return iso[:19].replace("T", " ") if iso else ""


def _outcome_style(value: object) -> str:
    colour = {"completed": "#198754", "failed": "#dc3545", "timeout": "#dc3545", "lost": "#fd7e14"}.get(str(value))
    return f"color: {colour}; font-weight: 600" if colour else ""

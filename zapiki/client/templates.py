"""A proof template as the client shows it: its documentation as the notebook's display, its schema and example,
and `prove`/`submit`/`verify` for its statement.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:
...     t = zk.template("hash_preimage")
...     print(t.id, t.category, [s["name"] for s in t.public_signals])
hash_preimage cryptography ['hash']
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from zapiki.client import args
from zapiki.client.jobs import Job

if TYPE_CHECKING:
    from zapiki.client.core import Zapiki

__all__ = ["Template"]


class Template:
    """One template of a connection's service (`zk.template("age_at_least")`)."""

    def __init__(self, client: Zapiki, info: dict[str, Any]) -> None:
        self._client = client
        self.info = info
        self.id: str = info["id"]
        self.category: str = info["category"]
        self.title: str = info["title"]
        self.docs: str = info["docs"]
        self.input_schema: dict[str, Any] = info["input_schema"]
        self.example: dict[str, Any] = info["example"]
        self.public_signals: list[dict[str, str]] = info["public_signals"]
        self.keys: dict[str, Any] = info["keys"]

    def submit(
        self,
        inputs: dict[str, Any],
        *,
        priority: str = "normal",
        system: str = "groth16",
        **options: Any,  # noqa: ANN401
    ) -> Job:
        """Start a proof of the statement for ``inputs`` with ``system`` (groth16, or plonk from the service's powers
        of tau); returns the job's handle at once. Inputs that do not fit the schema raise InputError naming the
        field; a false statement fails the job (``result()`` raises JobFailed saying which condition does not
        hold)."""
        options = {**options, "priority": args.priority(priority)}
        out = self._client.backend.prove_template(self.id, inputs, options, args.text("system", system))
        return Job(self._client, out["job_id"], out["proof_id"])

    def prove(self, inputs: dict[str, Any], *, timeout: float | None = None, **options: Any) -> dict[str, Any]:  # noqa: ANN401
        """Prove the statement for ``inputs`` and return the proof (with ``named_signals``)."""
        return self.submit(inputs, **options).result(args.timeout(timeout))

    def verify(self, proof: dict[str, Any]) -> bool:
        """Whether ``proof`` (what ``prove`` returned, or a proof answer) is a valid proof of this template made
        with the service's keys for it (a proof made with any other key is not)."""
        if not isinstance(proof, dict):
            return False
        body = proof.get("proof", proof.get("proof_data"))
        system = str(proof.get("proof_system") or "groth16")
        valid, _ = self._client.backend.check_template(self.id, body, proof.get("public_inputs"), system)
        return valid

    def solidity_verifier(self) -> str:
        """A Solidity contract verifying this template's proofs made with the service's keys."""
        return self._client.backend.template_verifier(self.id)

    def __repr__(self) -> str:
        return f"<Template {self.id} ({self.category}): {self.title}>"

    def _repr_markdown_(self) -> str:
        signals = "\n".join(f"| `{s['name']}` | {s['meaning']} |" for s in self.public_signals)
        keys = self.keys["setup"] + (" — **development keys: not a ceremony**" if self.keys["development"] else "")
        return (
            f"{self.docs}\n\n| public signal | meaning |\n|---|---|\n{signals}\n\n*Keys:* {keys}\n\n"
            f"*Example inputs:*\n```json\n{json.dumps(self.example, indent=2)}\n```\n"
        )

    def _repr_html_(self) -> str:  # for front ends that prefer HTML: the same, preformatted
        return f"<pre>{escape(self._repr_markdown_())}</pre>"

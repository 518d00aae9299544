"""What the signed-in key may do from the dashboard. Each action counts against the key's per-minute rate limit
(the API's own limiter, through `zapiki.access.Gate`) and calls the same service method, with the same checks,
as the REST endpoint that does the same thing; errors read as the API's messages (`message`).

>>> from zapiki.service import ZapikiService
>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> me = Actions.for_user(svc)                     # a notebook: the operator, every user's rows
>>> job = me.submit("commitment", "hello", data_type="string")
>>> me.cancel(job["job_id"])["status"]
'cancelled'
>>> try:
...     me.submit("commitment", "x", timeout_s=-1)
... except Exception as exc:
...     print(message(exc))
options.timeout_s: Input should be greater than 0
>>> svc.close()
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from zapiki.access import Gate, check_priority, scope
from zapiki.errors import InputError, public_error

if TYPE_CHECKING:
    from zapiki.service import ZapikiService

__all__ = ["Actions", "message"]

log = logging.getLogger("zapiki.dashboard")
#: The files a job's proof downloads as, and the proof's field each holds (snarkjs's names and shapes).
PROOF_FILES = {"proof.json": "proof_data", "public.json": "public_inputs", "verification_key.json": "verification_key"}


def message(exc: BaseException) -> str:
    """What the API would answer for `exc` (its 4xx/503 message); for an unexpected error, a short note (the
    error is logged, as the API logs its 500s)."""
    found = public_error(exc)  # RateLimited too: a 429 with its message
    if found is None:
        log.error("dashboard action failed", exc_info=exc)
        return f"internal error ({type(exc).__name__}); it was logged"
    return found[2]


class Actions:
    """The actions of one signed-in key (`who`: {user_id, email, tier, key_id, role}) on `service`."""

    def __init__(self, service: ZapikiService, gate: Gate, who: dict[str, Any]) -> None:
        self.service = service
        self.gate = gate
        self.who = dict(who)

    @classmethod
    def for_user(cls, service: ZapikiService, user: str | None = None, gate: Gate | None = None) -> Actions:
        """Actions in a notebook, where there is no key: `user` (a user id) sees and acts on its own rows only;
        None is the operator (the default user), who sees every user's rows as an admin key does."""
        role = "admin" if user is None else "user"
        user_id = user or service.default_user_id
        user_row = service.keys.user(user_id)  # NotFound for an unknown user
        who = {
            "user_id": user_id,
            "email": user_row["email"],
            "tier": user_row["tier"],
            "key_id": f"notebook:{user_id}",
            "role": role,
        }
        return cls(service, gate or Gate(service), who)

    @property
    def user_id(self) -> str:
        """The user whose jobs and circuits this key creates."""
        return self.who["user_id"]

    @property
    def scope(self) -> str | None:
        """Whose rows this key sees: its user's, or None (everyone's) for an admin key."""
        return scope(self.who)

    @property
    def is_admin(self) -> bool:
        return self.who.get("role") == "admin"

    def _admit(self) -> None:
        self.gate.admit(self.who)  # RateLimited past the key's limit, exactly as the API counts

    # -- jobs ------------------------------------------------------------------------------------------------
    def submit(
        self,
        system: str,
        data: Any,  # noqa: ANN401
        *,
        priority: str = "normal",
        timeout_s: float | None = None,
        circuit_id: str | None = None,
        data_type: str | None = None,
    ) -> dict[str, Any]:
        """A new job (always a job, also for fast systems, so it shows in the table): {proof_id, job_id,
        status}. The checks are POST /api/v1/proofs's: the key's tier for the high queue, then the service's."""
        self._admit()
        options: dict[str, Any] = {"priority": priority, "async": True}
        if timeout_s is not None:
            options["timeout_s"] = timeout_s
        if data_type is not None:
            options["data_type"] = data_type
        check_priority(self.service.settings, self.who, options)
        return self.service.create_proof(self.user_id, system, data, options, circuit_id)

    def prove_template(self, template_id: str, inputs: Any, *, priority: str = "normal") -> dict[str, Any]:  # noqa: ANN401
        """A template proof (POST /api/v1/templates/{id}/generate): {proof_id, job_id, status}. The key's tier for
        the high queue, then the service's checks (inputs that do not fit the schema: InputError naming the field)."""
        self._admit()
        options: dict[str, Any] = {"priority": priority}
        check_priority(self.service.settings, self.who, options)
        return self.service.prove_template(self.user_id, template_id, inputs, options)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a pending or retrying job (POST /api/v1/jobs/{id}/cancel)."""
        self._admit()
        return self.service.cancel_job(job_id, self.scope)

    def retry(self, job_id: str) -> dict[str, Any]:
        """Run a failed or cancelled job again with a fresh budget (POST /api/v1/jobs/{id}/retry)."""
        self._admit()
        return self.service.retry_job(job_id, self.scope)

    def verify(self, job_id: str) -> tuple[bool, str | None]:
        """Verify a job's proof now (POST /api/v1/verify with the stored proof): (valid, reason when not)."""
        self._admit()
        job = self.service.proofs.get_job(job_id, self.scope)
        proof = self.service.proofs.get_proof(job["proof_id"], self.scope)
        if proof["proof_data"] is None:
            raise InputError(f"job {job_id} has no proof yet ({job['status']})")
        return self.service.check(
            proof["proof_system"], proof["proof_data"], proof["public_inputs"], proof["verification_key"]
        )

    def proof_file(self, job_id: str, which: str) -> str:
        """`proof.json`, `public.json` or `verification_key.json` of a job's proof, as JSON text (for
        groth16 in snarkjs's shapes); InputError while there is no proof yet."""
        self._admit()
        job = self.service.proofs.get_job(job_id, self.scope)
        proof = self.service.proofs.get_proof(job["proof_id"], self.scope)
        if proof["proof_data"] is None:
            raise InputError(f"job {job_id} has no proof yet ({job['status']})")
        return json.dumps(proof[PROOF_FILES[which]], indent=1)

    # -- circuits --------------------------------------------------------------------------------------------
    def upload_circuit(
        self,
        name: str,
        wasm: bytes | None,
        zkey: bytes | None = None,
        r1cs: bytes | None = None,
        *,
        is_public: bool = False,
        example: dict[str, Any] | None = None,
        proof_system: str = "groth16",
    ) -> dict[str, Any]:
        """Register a circuit of `proof_system` (groth16, plonk) as POST /api/v1/circuits does (.wasm + .zkey,
        optionally .r1cs; or .wasm + .r1cs for a setup in the background: groth16's development setup, plonk's
        from the service's powers of tau). `example` (an input.json) records the input signals' names and shapes
        with the circuit, so the submit form can show them."""
        self._admit()
        if not wasm:
            raise InputError("the circuit's wasm file is required (field 'wasm')")
        if zkey is None and r1cs is None:
            raise InputError("send the file 'zkey' (optionally with 'r1cs'), or 'r1cs' alone")
        if example is not None and not isinstance(example, dict):
            raise InputError("the example input must be a JSON object of input signals")
        tier = self.who["tier"]
        if zkey is not None:
            circuit = self.service.register_circuit(
                self.user_id,
                name,
                wasm=wasm,
                zkey=zkey,
                r1cs=r1cs,
                is_public=is_public,
                tier=tier,
                proof_system=proof_system,
            )
        else:
            circuit = self.service.start_circuit_setup(
                self.user_id, name, wasm=wasm, r1cs=r1cs, is_public=is_public, tier=tier, proof_system=proof_system
            )
        if example:
            from zapiki.dashboard.source import input_shapes

            info = {**(circuit.get("info") or {}), "inputs": input_shapes(example)}
            circuit = self.service.circuits.update(circuit["id"], info=info)
        return circuit

    def delete_circuit(self, circuit_id: str) -> None:
        """Delete a circuit no open job needs (DELETE /api/v1/circuits/{id})."""
        self._admit()
        self.service.delete_circuit(circuit_id, self.scope)

"""The direct connection: the client talks to the database (and the Dask cluster) through a `ZapikiService`.

Every method returns the same plain dicts as the REST API's JSON, so `Zapiki` does not care which it has.
"""

from __future__ import annotations

from typing import Any

from zapiki.service import ZapikiService


class LocalBackend:
    """A `ZapikiService` (and the Dask client/cluster it was opened with), acting as one user."""

    kind = "direct"

    def __init__(
        self,
        service: ZapikiService,
        dask_client: Any = None,  # noqa: ANN401
        cluster: Any = None,  # noqa: ANN401
        user_id: str | None = None,
    ) -> None:
        self.service = service
        self.dask_client = dask_client
        self.cluster = cluster
        self.user_id = user_id or service.default_user_id

    @property
    def where(self) -> str:
        return self.service.engine.url.render_as_string(hide_password=True)

    @property
    def dashboard_link(self) -> str | None:
        return getattr(self.dask_client, "dashboard_link", None)

    # -- proving ---------------------------------------------------------------------------------------------
    def capabilities(self, system: str) -> dict[str, Any]:
        return self.service.systems_by_name(system)["capabilities"]

    def systems(self) -> list[dict[str, Any]]:
        return self.service.systems()

    def create_proof(self, system: str, data: Any, options: dict[str, Any], circuit: str | None) -> dict[str, Any]:  # noqa: ANN401
        return self.service.create_proof(self.user_id, system, data, options, self._circuit_id(circuit))

    def submit_many(
        self, system: str, items: list[Any], options: dict[str, Any], circuit: str | None
    ) -> list[tuple[str, str]]:
        """(proof_id, job_id) per item, in order; one transaction: all or none."""
        return self.service.submit_many(self.user_id, system, items, options, self._circuit_id(circuit))

    def verify(self, system: str, proof: Any, public_inputs: Any, verification_key: Any) -> bool:  # noqa: ANN401
        """The service's verdict (a proof that cannot even be read is not valid)."""
        return self.service.verify(system, proof, public_inputs, verification_key)

    # -- templates -------------------------------------------------------------------------------------------
    def templates(self, category: str | None) -> list[dict[str, Any]]:
        return self.service.templates(category)

    def template(self, template_id: str) -> dict[str, Any]:
        return self.service.template(template_id)

    def prove_template(
        self,
        template_id: str,
        inputs: Any,
        options: dict[str, Any],
        system: str = "groth16",  # noqa: ANN401
    ) -> dict[str, Any]:
        return self.service.prove_template(self.user_id, template_id, inputs, options, system=system)

    def check_template(
        self,
        template_id: str,
        proof: Any,
        public_inputs: Any,
        system: str = "groth16",  # noqa: ANN401
    ) -> tuple[bool, str | None]:
        return self.service.check(system, proof, public_inputs, None, template_id)

    def template_verifier(self, template_id: str) -> str:
        return self.service.template_verifier(template_id)

    # -- jobs and proofs -------------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> dict[str, Any]:
        return self.service.proofs.get_job(job_id, self.user_id)

    def get_proof(self, proof_id: str) -> dict[str, Any]:
        return self.service.proofs.get_proof(proof_id, self.user_id)

    def jobs_by_ids(self, job_ids: list[str]) -> list[dict[str, Any]]:
        return self.service.proofs.jobs_by_ids(job_ids, self.user_id)

    def proofs_by_ids(self, proof_ids: list[str]) -> list[dict[str, Any]]:
        return self.service.proofs.proofs_by_ids(proof_ids, self.user_id)

    def list_jobs(self, status: str | None, system: str | None, limit: int | None) -> list[dict[str, Any]]:
        return self.service.proofs.list_jobs(self.user_id, status=status, system=system, limit=limit)

    def list_proofs(self, status: str | None, system: str | None, limit: int | None) -> list[dict[str, Any]]:
        return self.service.proofs.list_proofs(self.user_id, status=status, system=system, limit=limit)

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self.service.cancel_job(job_id, self.user_id)

    def retry(self, job_id: str) -> dict[str, Any]:
        return self.service.retry_job(job_id, self.user_id)  # wakes the dispatcher, as the API's retry does

    # -- circuits ----------------------------------------------------------------------------------------------
    def register_circuit(
        self, name: str, wasm: bytes, zkey: bytes | None, r1cs: bytes | None, public: bool, system: str = "groth16"
    ) -> dict[str, Any]:
        return self.service.register_circuit(
            self.user_id, name, wasm=wasm, zkey=zkey, r1cs=r1cs, is_public=public, proof_system=system
        )

    def circuits(self) -> list[dict[str, Any]]:
        return self.service.circuits.list(self.user_id, limit=1000)

    def find_circuit(self, ref: str) -> dict[str, Any]:
        return self.service.find_circuit(ref, self.user_id)

    def _circuit_id(self, circuit: str | None) -> str | None:
        return None if circuit is None else self.find_circuit(circuit)["id"]

    # -- the service -----------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return self.service.stats()

    def close(self) -> None:
        self.service.close()
        if self.dask_client is not None:
            self.dask_client.close()
        if self.cluster is not None:
            self.cluster.close()

"""The remote connection: the client talks to a `zapiki serve` over its REST API with an API key.

It needs no database credentials and no Dask access. Answers are the API's JSON, which has the same shapes as
what the direct connection returns. HTTP errors become Zapiki's own exceptions (the API's message kept):
404 NotFound, 409 ConflictError, 4xx InputError (or the subclass the API's error code names), 401
Unauthorized; 429 and 503 are waited out (Retry-After) for up to `retry_for_s`, then ServiceUnavailable.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from zapiki import errors, schema
from zapiki.errors import InputError, ServiceUnavailable, Unauthorized, ZapikiError

API = "/api/v1"
PAGE = schema.PAGE_MAX
BATCH_ITEMS = 2_000  # jobs per batch request
BATCH_BYTES = 8 << 20  # JSON bytes per batch request (the API's batch limit is larger)
LOOKUP_IDS = schema.LOOKUP_MAX_IDS


def _error(response: httpx.Response) -> ZapikiError:
    try:
        body = response.json()["error"]
        code, message = str(body["code"]), str(body["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "", response.text[:200] or response.reason_phrase
    status = response.status_code
    if status == 401 or status == 403:
        return Unauthorized(message)
    cls = errors.by_code(code)  # the API's error code back to its exception
    if cls is not None and status < 500:
        return cls(message)
    if 400 <= status < 500:
        return InputError(f"{message} (HTTP {status})")
    return ServiceUnavailable(f"the service answered HTTP {status}: {message}")


class RemoteBackend:
    """A Zapiki REST API at `url`, used with one API key."""

    kind = "remote"

    def __init__(self, url: str, api_key: str, timeout: float = 60.0, retry_for_s: float = 120.0) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError(f"url must start with http:// or https://, got {url!r}")
        if not isinstance(api_key, str) or not api_key.strip():
            raise InputError("api_key is required to connect to a remote Zapiki (or set ZAPIKI_API_KEY)")
        self.url = url.rstrip("/")
        self.retry_for_s = retry_for_s
        self.http = httpx.Client(
            base_url=self.url,
            headers={"X-API-Key": api_key.strip(), "User-Agent": "zapiki-client"},
            timeout=timeout,
        )
        self.dask_client = None
        try:
            self.user_id = self._call("GET", f"{API}/me")["user_id"]
        except BaseException:
            self.http.close()
            raise

    @property
    def where(self) -> str:
        return self.url

    @property
    def dashboard_link(self) -> str | None:
        return f"{self.url}/dashboard"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:  # noqa: ANN401
        """One request; its JSON answer (None for 204). Waits out 429/503 and refused connections."""
        give_up = time.monotonic() + self.retry_for_s
        while True:
            try:
                response = self.http.request(method, path, **kwargs)
            except httpx.ConnectError as exc:  # nothing was sent: safe to try again
                if time.monotonic() > give_up:
                    raise ServiceUnavailable(f"cannot reach Zapiki at {self.url}: {exc}") from None
                time.sleep(1.0)
                continue
            except httpx.TimeoutException as exc:
                raise ServiceUnavailable(f"{self.url} did not answer {method} {path} in time: {exc}") from None
            except httpx.HTTPError as exc:
                raise ServiceUnavailable(f"{method} {path} to Zapiki at {self.url} failed: {exc}") from None
            if response.status_code in (429, 503) and time.monotonic() < give_up:
                try:
                    wait = float(response.headers.get("Retry-After", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(max(0.1, min(wait, give_up - time.monotonic(), 30.0)))
                continue
            if response.status_code >= 400:
                raise _error(response)
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise ServiceUnavailable(f"{method} {path}: the answer is not JSON") from None

    def _pages(self, path: str, key: str, params: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while limit is None or len(rows) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(rows))
            if size <= 0:
                break
            page = self._call("GET", path, params={**params, "limit": size, "offset": len(rows)})[key]
            rows.extend(page)
            if len(page) < size:
                break
        return rows

    # -- proving ---------------------------------------------------------------------------------------------
    def capabilities(self, system: str) -> dict[str, Any]:
        for found in self.systems():
            if found["name"] == system:
                return found["capabilities"]
        raise errors.UnknownProofSystem(f"unknown proof system {system!r}")

    def systems(self) -> list[dict[str, Any]]:
        return self._call("GET", f"{API}/systems")["systems"]

    def create_proof(self, system: str, data: Any, options: dict[str, Any], circuit: str | None) -> dict[str, Any]:  # noqa: ANN401
        body: dict[str, Any] = {"proof_system": system, "data": data, "options": options}
        if circuit is not None:
            body["circuit_id"] = self._circuit_id(circuit)
        out = self._call("POST", f"{API}/proofs", content=_json(body), headers=_JSON)
        out.pop("message", None)
        return out

    def submit_many(
        self, system: str, items: list[Any], options: dict[str, Any], circuit: str | None
    ) -> list[tuple[str, str]]:
        """(proof_id, job_id) per item, in order, sent as batches (each one transaction on the server)."""
        circuit_id = self._circuit_id(circuit) if circuit is not None else None
        out: list[tuple[str, str]] = []
        for chunk in _chunks(items):
            body: dict[str, Any] = {"proof_system": system, "items": chunk, "options": options}
            if circuit_id is not None:
                body["circuit_id"] = circuit_id
            answer = self._call("POST", f"{API}/proofs/batch", content=_json(body), headers=_JSON)
            out.extend((j["proof_id"], j["job_id"]) for j in answer["jobs"])
        return out

    def verify(self, system: str, proof: Any, public_inputs: Any, verification_key: Any) -> bool:  # noqa: ANN401
        body = {
            "proof_system": system,
            "proof": proof,
            "public_inputs": public_inputs,
            "verification_key": verification_key,
        }
        return bool(self._call("POST", f"{API}/verify", content=_json(body), headers=_JSON)["valid"])

    # -- templates -------------------------------------------------------------------------------------------
    def templates(self, category: str | None) -> list[dict[str, Any]]:
        params = {"category": category} if category else {}
        return self._call("GET", f"{API}/templates", params=params)["templates"]

    def template(self, template_id: str) -> dict[str, Any]:
        return self._call("GET", f"{API}/templates/{_segment(template_id)}")

    def prove_template(
        self,
        template_id: str,
        inputs: Any,
        options: dict[str, Any],
        system: str = "groth16",  # noqa: ANN401
    ) -> dict[str, Any]:
        options = {k: v for k, v in options.items() if k != "async"}
        body = {"inputs": inputs, "options": options, "proof_system": system}
        path = f"{API}/templates/{_segment(template_id)}/generate"
        out = self._call("POST", path, content=_json(body), headers=_JSON)
        out.pop("message", None)
        return out

    def check_template(
        self,
        template_id: str,
        proof: Any,
        public_inputs: Any,
        system: str = "groth16",  # noqa: ANN401
    ) -> tuple[bool, str | None]:
        body = {"template": template_id, "proof": proof, "public_inputs": public_inputs, "proof_system": system}
        out = self._call("POST", f"{API}/verify", content=_json(body), headers=_JSON)
        return bool(out["valid"]), out.get("reason")

    def template_verifier(self, template_id: str) -> str:
        response = self.http.get(f"{API}/templates/{_segment(template_id)}/verifier.sol")
        if response.status_code >= 400:
            raise _error(response)
        return response.text

    # -- jobs and proofs -------------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"{API}/jobs/{_segment(job_id)}")

    def get_proof(self, proof_id: str) -> dict[str, Any]:
        return self._call("GET", f"{API}/proofs/{_segment(proof_id)}")

    def _lookup(self, kind: str, ids: list[str]) -> list[dict[str, Any]]:
        """Rows of `kind` ("jobs" or "proofs") by id, LOOKUP_IDS per request."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), LOOKUP_IDS):
            body = {"ids": ids[start : start + LOOKUP_IDS]}
            rows.extend(self._call("POST", f"{API}/{kind}/lookup", content=_json(body), headers=_JSON)[kind])
        return rows

    def jobs_by_ids(self, job_ids: list[str]) -> list[dict[str, Any]]:
        return self._lookup("jobs", job_ids)

    def proofs_by_ids(self, proof_ids: list[str]) -> list[dict[str, Any]]:
        return self._lookup("proofs", proof_ids)

    def list_jobs(self, status: str | None, system: str | None, limit: int | None) -> list[dict[str, Any]]:
        return self._pages(f"{API}/jobs", "jobs", _filters(status, system), limit)

    def list_proofs(self, status: str | None, system: str | None, limit: int | None) -> list[dict[str, Any]]:
        return self._pages(f"{API}/proofs", "proofs", _filters(status, system), limit)

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"{API}/jobs/{_segment(job_id)}/cancel")

    def retry(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"{API}/jobs/{_segment(job_id)}/retry")

    # -- circuits ----------------------------------------------------------------------------------------------
    def register_circuit(
        self, name: str, wasm: bytes, zkey: bytes | None, r1cs: bytes | None, public: bool, system: str = "groth16"
    ) -> dict[str, Any]:
        files = {"wasm": ("circuit.wasm", wasm)}
        if zkey is not None:
            files["zkey"] = ("circuit.zkey", zkey)
        if r1cs is not None:
            files["r1cs"] = ("circuit.r1cs", r1cs)
        data = {"name": name, "is_public": "true" if public else "false", "proof_system": system}
        circuit = self._call("POST", f"{API}/circuits", data=data, files=files)
        return self._wait_setup(circuit)

    def _wait_setup(self, circuit: dict[str, Any]) -> dict[str, Any]:
        """A development setup (r1cs without zkey) runs on the server: wait for it, as the direct client does."""
        delay = 0.2
        while circuit.get("status") == "setting_up":
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
            circuit = self._call("GET", f"{API}/circuits/{circuit['id']}")
        if circuit.get("status") == "failed":
            raise InputError(f"circuit {circuit['name']!r}: setup failed: {circuit.get('error_message')}")
        return circuit

    def circuits(self) -> list[dict[str, Any]]:
        return self._pages(f"{API}/circuits", "circuits", {}, 1000)

    def find_circuit(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"{API}/circuits/{_segment(ref)}")

    def _circuit_id(self, circuit: str) -> str:
        return self.find_circuit(circuit)["id"]

    # -- the service -----------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return self._call("GET", f"{API}/stats")

    def close(self) -> None:
        self.http.close()


_JSON = {"Content-Type": "application/json"}


def _json(body: Any) -> bytes:  # noqa: ANN401
    try:
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise InputError(f"the request cannot be sent as JSON: {exc}") from None


def _segment(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _filters(status: str | None, system: str | None) -> dict[str, str]:
    return {k: v for k, v in (("status", status), ("proof_system", system)) if v is not None}


def _chunks(items: list[Any]) -> list[list[Any]]:
    """Items split into batches of at most BATCH_ITEMS items and about BATCH_BYTES of JSON."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for item in items:
        n = len(_json(item))
        if current and (len(current) >= BATCH_ITEMS or size + n > BATCH_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += n + 1
    if current:
        chunks.append(current)
    return chunks

"""Circuit endpoints: upload a circom circuit (multipart: `wasm` and `zkey` files — with `r1cs` too, failing
constraints are named — or `wasm` and `r1cs` alone for a development setup that runs in the background), list,
read (with the verification key), delete."""

from __future__ import annotations

from typing import Any

import tornado.httputil

from zapiki.api.errors import ApiError
from zapiki.api.handlers import BaseHandler


def _public(circuit: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a circuit (no owner id)."""
    return {k: v for k, v in circuit.items() if k != "user_id"}


class CircuitsHandler(BaseHandler):
    upload = True

    def _parse(self) -> None:
        """The multipart body, parsed once it has arrived (it was streamed to a temporary file, cut at the
        upload limit, and only after the key was checked)."""
        body = self.body_bytes()
        try:
            tornado.httputil.parse_body_arguments(
                self.request.headers.get("Content-Type", ""),
                body,
                self.request.body_arguments,
                self.request.files,
                self.request.headers,
            )
        except (tornado.httputil.HTTPInputError, ValueError) as exc:
            raise ApiError(400, "bad_request", f"malformed multipart/form-data body: {exc}") from None

    def _file(self, name: str) -> bytes | None:
        files = self.request.files.get(name) or []
        if len(files) > 1:
            raise ApiError(422, "invalid_input", f"send one {name} file")
        return files[0]["body"] if files else None

    async def post(self) -> None:
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "multipart/form-data":
            raise ApiError(415, "unsupported_media_type", "upload a circuit as multipart/form-data")
        self._parse()
        name = self.get_body_argument("name", None)
        if not name:
            raise ApiError(422, "invalid_input", "name is required")
        public_raw = (self.get_body_argument("is_public", "false") or "false").strip().lower()
        if public_raw not in ("true", "false", "1", "0"):
            raise ApiError(422, "invalid_input", "is_public must be true or false")
        is_public = public_raw in ("true", "1")
        wasm, zkey, r1cs = self._file("wasm"), self._file("zkey"), self._file("r1cs")
        if wasm is None:
            raise ApiError(422, "invalid_input", "the circuit's wasm file is required (field 'wasm')")
        if zkey is None and r1cs is None:
            raise ApiError(422, "invalid_input", "send the file 'zkey' (optionally with 'r1cs'), or 'r1cs' alone")
        svc = self.ctx.service
        if zkey is not None:  # with the r1cs too, an unsatisfied witness is reported with its first failing constraint
            circuit = await self.run(
                lambda: svc.register_circuit(
                    self.user_id, name, wasm=wasm, zkey=zkey, r1cs=r1cs, is_public=is_public, tier=self.user["tier"]
                )
            )
            status = 201
        else:
            circuit = await self.run(
                lambda: svc.start_circuit_setup(
                    self.user_id, name, wasm=wasm, r1cs=r1cs, is_public=is_public, tier=self.user["tier"]
                )
            )
            status = 202
        self.set_header("Location", f"/api/v1/circuits/{circuit['id']}")
        self.send(_public(circuit), status)

    async def get(self) -> None:
        limit = self.query_int("limit", 20, 1, 100)
        offset = self.query_int("offset", 0, 0, 10**9)
        rows = await self.run(lambda: self.ctx.service.circuits.list(self.scope, limit, offset))
        self.send({"circuits": [_public(c) for c in rows], "limit": limit, "offset": offset})


class CircuitHandler(BaseHandler):
    async def get(self, circuit_id: str) -> None:
        # by id, or by name (the caller's newest circuit of that name, else the newest public one)
        self.send(_public(await self.run(self.ctx.service.find_circuit, circuit_id, self.scope)))

    async def delete(self, circuit_id: str) -> None:
        await self.run(self.ctx.service.delete_circuit, circuit_id, self.scope)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()

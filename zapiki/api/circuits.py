"""Circuit endpoints: upload a circom circuit (multipart: `wasm` and `zkey` files — with `r1cs` too, failing
constraints are named — or `wasm` and `r1cs` alone for a development setup that runs in the background), list,
read (with the verification key), delete."""

from __future__ import annotations

import tornado.httputil

from zapiki import schema
from zapiki.api.errors import ApiError
from zapiki.api.handlers import BaseHandler
from zapiki.api.openapi import operation


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

    @operation(
        id="createCircuit",
        summary="Upload a circom circuit: wasm + zkey (201), or wasm + r1cs for a development setup that runs in "
        "the background (202; single party, not a ceremony)",
        body=schema.CircuitUpload,
        media="multipart/form-data",
        answers={
            201: (schema.Circuit, "Circuit registered"),
            202: (schema.Circuit, "Circuit registered; its setup is running"),
        },
        errors=(413, 415, 422),
    )
    async def post(self) -> None:
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "multipart/form-data":
            raise ApiError(415, "unsupported_media_type", "upload a circuit as multipart/form-data")
        self._parse()
        form = {name: self.get_body_argument(name, None) for name in ("name", "is_public", "proof_system")}
        files = {name: self._file(name) for name in ("wasm", "zkey", "r1cs")}
        up = self.parsed_body({k: v for k, v in {**form, **files}.items() if v is not None})
        svc, tier = self.ctx.service, self.user["tier"]
        if (
            up.zkey is not None
        ):  # with the r1cs too, an unsatisfied witness is reported with its first failing constraint
            circuit = await self.run(
                lambda: svc.register_circuit(
                    self.user_id,
                    up.name,
                    wasm=up.wasm,
                    zkey=up.zkey,
                    r1cs=up.r1cs,
                    is_public=up.is_public,
                    tier=tier,
                    proof_system=up.proof_system,
                )
            )
            status = 201
        else:
            circuit = await self.run(
                lambda: svc.start_circuit_setup(
                    self.user_id,
                    up.name,
                    wasm=up.wasm,
                    r1cs=up.r1cs,
                    is_public=up.is_public,
                    tier=tier,
                    proof_system=up.proof_system,
                )
            )
            status = 202
        self.set_header("Location", f"/api/v1/circuits/{circuit['id']}")
        self.send(circuit, status)

    @operation(
        id="listCircuits",
        summary="List your circuits and public ones",
        query=schema.PageQuery,
        answers={200: (schema.CircuitPage, "Circuits")},
        errors=(422,),
    )
    async def get(self) -> None:
        q = self.parsed_query()
        rows = await self.run(lambda: self.ctx.service.circuits.list(self.scope, q.limit, q.offset))
        self.send({"circuits": rows, "limit": q.limit, "offset": q.offset})


class CircuitHandler(BaseHandler):
    @operation(
        id="getCircuit",
        summary="One circuit, with its verification key",
        answers={200: (schema.Circuit, "The circuit")},
        errors=(404,),
    )
    async def get(self, circuit_id: str) -> None:
        # by id, or by name (the caller's newest circuit of that name, else the newest public one)
        self.send(await self.run(self.ctx.service.find_circuit, circuit_id, self.scope))

    @operation(
        id="deleteCircuit",
        summary="Delete your circuit (not while jobs still need it)",
        answers={204: (None, "Deleted")},
        errors=(404, 409),
    )
    async def delete(self, circuit_id: str) -> None:
        await self.run(self.ctx.service.delete_circuit, circuit_id, self.scope)
        self.send(None, 204)

"""The proving keys of the proof templates: made once per deployment, on first use, and kept in the database
as a circuit per template that every worker proves with. The templates' circuits belong to a user of their own
and are private: they are proved only through their template (its inputs checked, its statement named).

The keys come from the powers-of-tau file in ``templates.ptau`` (a public ceremony's ``.ptau``, prepared for
phase 2), with a phase-2 contribution made here (``zapiki templates setup --ptau FILE`` makes them ahead of time;
the service then uses them even where ``templates.ptau`` is not set). Without either, the keys come from a
development setup — single party, made by this service — and every answer that shows a template or a template
proof says so.

A template's circuit id is a digest of the template's compiled circuit and of the key source, so two service
processes that make the same keys at once write one row (the second insert fails and reads the first's), and a
new ``.ptau`` or a rebuilt circuit gives new keys while proofs made with the old ones still verify with the key
stored beside them.
"""

from __future__ import annotations

import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from zapiki import templates
from zapiki.errors import InputError, NotFound

__all__ = ["DEVELOPMENT", "TEMPLATES_EMAIL", "TemplateKeys", "ptau_source"]

log = logging.getLogger("zapiki.templates")

#: The owner of the templates' circuits (public circuits, visible to every user).
TEMPLATES_EMAIL = "templates@zapiki.internal"
DEVELOPMENT = "development (single party, not a ceremony)"
_DEVELOPMENT_SOURCE = {"setup": DEVELOPMENT, "development": True, "ptau": None}
_NAMESPACE = uuid.UUID("5b0c2f4e-7a0e-4f8b-9d1f-2a7c6b3e9d10")


def ptau_source(path: str | Path) -> dict[str, Any]:
    """The key source of a ``.ptau`` file: its label, and the file's power and digest (read once)."""
    from zapiki.formats.ptau import PowersOfTau

    path = Path(path).expanduser()
    try:
        with PowersOfTau.open(path) as pot:  # FormatError for a file that is not a prepared ptau
            facts = {"file": path.name, "path": str(path), "power": pot.power, "sha256": pot.sha256()}
    except OSError as exc:
        raise InputError(f"the .ptau {str(path)!r} cannot be read: {exc.strerror or exc}") from None
    label = f"powers of tau {path.name} (2^{facts['power']}) + a phase-2 contribution by this service"
    return {"setup": label, "development": False, "ptau": facts}


class TemplateKeys:
    """Each template's circuit (with its keys) in one service's database."""

    def __init__(self, service: Any) -> None:  # noqa: ANN401 - a ZapikiService (its repositories and settings)
        self.service = service
        self._lock = threading.Lock()
        self._owner: str | None = None
        self._configured: dict[str, Any] | None = None
        self._plonk: dict[str, Any] | None = None

    def owner(self) -> str:
        """The id of the user owning the templates' circuits."""
        if self._owner is None:
            user, _ = self.service.keys.get_or_create_user(TEMPLATES_EMAIL, name="templates", tier="enterprise")
            self._owner = user["id"]
        return self._owner

    def configured(self) -> dict[str, Any]:
        """The key source the settings name: ``{"setup": label, "development": bool, "ptau": {...} | None}``."""
        if self._configured is None:
            ptau = self.service.settings.templates_ptau
            self._configured = ptau_source(ptau) if ptau else dict(_DEVELOPMENT_SOURCE)
        return self._configured

    @staticmethod
    def circuit_id(template: templates.Template, source: dict[str, Any], system: str = "groth16") -> str:
        """The id of the template's circuit with keys of ``system`` from ``source``."""
        identity = source["ptau"]["sha256"] if source["ptau"] else "development"
        suffix = "" if system == "groth16" else f"/{system}"
        return str(uuid.uuid5(_NAMESPACE, f"{template.id}/{template.circuit_sha256}/{identity}{suffix}"))

    def plonk_source(self) -> dict[str, Any]:
        """The powers of tau the templates' PLONK keys come from: ``plonk.ptau``, else ``templates.ptau``
        (PLONK has no development setup here: InputError when neither is set)."""
        if self._plonk is None:
            settings = self.service.settings
            ptau = settings.plonk_ptau or settings.templates_ptau
            if not ptau:
                raise InputError(
                    "PLONK template proofs need a powers of tau: plonk.ptau or templates.ptau in the configuration"
                )
            source = ptau_source(ptau)
            from zapiki.systems.plonk.system import ptau_label

            self._plonk = {**source, "setup": ptau_label(ptau)}
        return self._plonk

    def _by_id(self, circuit_id: str) -> dict[str, Any] | None:
        try:
            circuit = self.service.circuits.get(circuit_id)
        except NotFound:
            return None
        return circuit if circuit["status"] == "ready" else None

    def find(self, template: templates.Template) -> dict[str, Any] | None:
        """The template's Groth16 circuit whose keys the service proves with, if they exist: those of the configured
        ``.ptau``; with none configured, keys made from any ``.ptau`` for this circuit before development ones."""
        source = self.configured()
        wanted = self.circuit_id(template, source)
        if source["ptau"] is not None:
            return self._by_id(wanted)
        circuits = self.service.circuits.ready_named(self.owner(), f"template:{template.id}")  # newest first
        for circuit in circuits:
            info = circuit.get("info") or {}
            if (
                circuit["proof_system"] == "groth16"
                and info.get("ptau")
                and info.get("circuit_sha256") == template.circuit_sha256
            ):
                return circuit
        return next((c for c in circuits if c["id"] == wanted), None)

    def circuit(
        self, template: templates.Template, source: dict[str, Any] | None = None, system: str = "groth16"
    ) -> dict[str, Any]:
        """The template's ``system`` circuit, its keys made first (seconds, once per deployment) when missing.
        ``source``: make them from that key source (default for groth16: the configured one, or keys found by
        :meth:`find`; for plonk: :meth:`plonk_source`)."""
        if system == "plonk" and source is None:
            source = self.plonk_source()

        def existing() -> dict[str, Any] | None:
            if source is None:
                return self.find(template)
            return self._by_id(self.circuit_id(template, source, system))

        found = existing()
        if found is not None:
            return found
        with self._lock:
            found = existing()
            return found if found is not None else self._make(template, source or self.configured(), system)

    def _make(self, template: templates.Template, source: dict[str, Any], system: str = "groth16") -> dict[str, Any]:
        svc, cid = self.service, self.circuit_id(template, source, system)
        log.info("making the %s keys of template %s (%s)", system, template.id, source["setup"])
        from zapiki.systems import groth16
        from zapiki.witness.sandbox import probe

        wasm, r1cs = template.wasm, template.r1cs
        wasm_info = probe(wasm, svc.settings.wasm)
        if system == "plonk":
            from zapiki.systems.plonk.system import PlonkSystem

            ptau = source["ptau"]["path"]
            zkey, vkey, info = PlonkSystem().circuit_keys(wasm_info, zkey=None, r1cs=r1cs, limits=None, ptau=ptau)
        else:
            zkey = None  # a development setup
            if source["ptau"] is not None:
                from zapiki.systems.groth16.ptau_setup import contribute, setup_from_ptau

                start = setup_from_ptau(r1cs, source["ptau"]["path"])  # delta = 1: a contribution is a must
                zkey = contribute(start.zkey, name="zapiki template keys").zkey_bytes
            zkey, vkey, info = groth16.Groth16System().circuit_keys(wasm_info, zkey=zkey, r1cs=r1cs, limits=None)
        info = {**info, "setup": source["setup"], "template": template.id, "circuit_sha256": template.circuit_sha256}
        if source["ptau"] is not None:
            info["ptau"] = {k: v for k, v in source["ptau"].items() if k != "path"}
        try:
            return svc.circuits.create(
                self.owner(),
                f"template:{template.id}",
                id=cid,
                proof_system=system,
                is_public=False,
                status="ready",
                wasm_sha256=svc.circuits.put_blob(wasm),
                zkey_sha256=svc.circuits.put_blob(zkey),
                r1cs_sha256=svc.circuits.put_blob(r1cs),
                verification_key=vkey,
                info=info,
            )
        except IntegrityError:  # another process made them meanwhile: theirs are as good
            return svc.circuits.get(cid)

    def verification_keys(self, template: templates.Template, system: str = "groth16") -> list[dict[str, Any]]:
        """The verification keys of every ``system`` key set this database holds for ``template`` (the current
        ones and earlier ones: proofs made before a new ``.ptau`` stay valid)."""
        circuits = self.service.circuits.ready_named(self.owner(), f"template:{template.id}")
        return [c["verification_key"] for c in circuits if c.get("verification_key") and c["proof_system"] == system]

    def make_all(self, ptau: str | Path | None = None) -> list[dict[str, Any]]:
        """Every template's circuit, keys made where missing — from ``ptau`` when given (``zapiki templates
        setup``)."""
        source = ptau_source(ptau) if ptau else None
        return [self.circuit(t, source) for t in templates.all_templates()]

    def status(self, template: templates.Template) -> dict[str, Any]:
        """What the API shows of a template's keys: how they are (or will be) made, and whether they exist."""
        found = self.find(template)
        if found is not None:
            info = found.get("info") or {}
            setup = str(info.get("setup", DEVELOPMENT))
            return {"setup": setup, "development": not info.get("ptau"), "ready": True}
        source = self.configured()
        return {"setup": source["setup"], "development": source["development"], "ready": False}

"""``plonk``: the job platform's PLONK system (circom wasm witness + snarkjs-compatible PLONK proof).

Like ``groth16``, a job names a registered circuit: its wasm and its PLONK ``.zkey``, made elsewhere (``snarkjs
plonk setup``) or here from the circuit's ``.r1cs`` and the service's powers of tau (``plonk.ptau``). PLONK's setup
is universal: the key is as trustworthy as the ``.ptau``, with no ceremony of the circuit's own, which is why a
service can set up a stranger's circuit itself. The platform puts local file paths in ``ctx.resources["wasm"]``
and ``ctx.resources["zkey"]``; parsed keys are kept per process (:func:`~zapiki.systems.plonk.prover.load_plonk_key`).

>>> PlonkSystem().prepare_input({"a": 3, "b": "0x0b"}, {})
{'a': '3', 'b': '11'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from zapiki.errors import InputError
from zapiki.limits import CircuitLimits
from zapiki.systems.base import Capabilities, ProofOutput, ProveContext

__all__ = ["PlonkSystem", "ptau_label"]

#: A PLONK key's domain counts gates (constraints, additions and public rows): up to this many times the domain
#: of the largest R1CS a tier allows.
PLONK_DOMAIN_FACTOR = 8


def ptau_label(ptau: str | Path) -> str:
    """How the keys of a circuit set up from ``ptau`` are described wherever the circuit is shown."""
    return f"universal: powers of tau {Path(ptau).name} (no ceremony of the circuit's own)"


class PlonkSystem:
    """PLONK proofs of circom circuits, verifiable with ``snarkjs plonk verify``."""

    name: ClassVar[str] = "plonk"
    capabilities: ClassVar[Capabilities] = Capabilities(
        async_only=True, isolated=True, typical_ms=4000.0, setup_required=True, uses_kernels=True,
        features=("circom", "snarkjs", "universal-setup"),
    )  # fmt: skip
    #: The service hands `circuit_keys` its configured powers of tau (`plonk.ptau`).
    uses_ptau: ClassVar[bool] = True

    def prepare_input(self, data: Any, options: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
        """The input signals, checked and normalised as for ``groth16``."""
        from zapiki.systems.groth16.system import Groth16System

        return Groth16System().prepare_input(data, {"template": options.get("template")})

    def generate(self, data: Any, ctx: ProveContext) -> ProofOutput:  # noqa: ANN401
        """Witness from ``ctx.resources["wasm"]``, proof with ``ctx.resources["zkey"]``."""
        from zapiki.formats.plonk_zkey import plonk_zkey_to_vkey
        from zapiki.systems.groth16.system import circuit_witness

        from .prover import load_plonk_key, prove

        witness, zkey_path = circuit_witness(self.name, data, ctx)
        key = load_plonk_key(zkey_path)
        ctx.check_deadline()
        proof, public = prove(key, witness, checkpoint=ctx.check_deadline)
        # derived from the parsed key (cached per process by its content) in a fraction of a millisecond
        return ProofOutput(proof_data=proof, public_inputs=public, verification_key=plonk_zkey_to_vkey(key))

    def verify(self, proof: dict[str, Any], public_inputs: Any, verification_key: Any) -> bool:  # noqa: ANN401
        """snarkjs's ``plonk verify``: False for an invalid proof, InputError for malformed JSON."""
        from .verifier import verify

        return verify(verification_key, public_inputs, proof)

    # -- circuits (the CircuitSystem half) -----------------------------------------------------------------------
    def setup_label(self, ptau: str | None = None) -> str:
        """How a setup run here makes a circuit's keys: from the service's powers of tau."""
        return ptau_label(ptau) if ptau else "none: this service has no powers of tau (plonk.ptau)"

    def check_circuit(
        self,
        wasm_info: dict[str, Any],
        *,
        zkey: bytes | None,
        r1cs: bytes | None,
        limits: CircuitLimits | None,
        ptau: str | None = None,
    ) -> dict[str, Any]:
        """The circuit's info from the files' headers; InputError when over `limits`, when the files are not of one
        circuit, or when an r1cs alone comes to a service with no powers of tau. No key work."""
        from zapiki.formats.plonk_zkey import read_plonk_zkey_header
        from zapiki.systems import groth16

        if zkey is None and r1cs is None:
            raise InputError("send a PLONK .zkey, or a .r1cs for a setup from the service's powers of tau")
        if zkey is None and not ptau:
            raise InputError(
                "this service has no powers of tau for PLONK setups (plonk.ptau in its configuration): send a PLONK "
                ".zkey made with `snarkjs plonk setup` or `zapiki plonk setup`"
            )
        if limits is not None:
            groth16.check_circuit_limits({"witness_size": wasm_info["witness_size"]}, limits)
        info = groth16.circuit_info(r1cs=r1cs, limits=limits) if r1cs is not None else {}
        if zkey is not None:
            header = read_plonk_zkey_header(zkey)  # FormatError for a Groth16 key or a malformed one
            # a PLONK key's variables are the circuit's wires and then one per addition the conversion made
            wires = header.n_vars - header.n_additions
            if wires != wasm_info["witness_size"]:
                from zapiki.errors import FormatError

                raise FormatError(f"the zkey does not belong to this circuit: it has {wires} wires, the wasm "
                                  f"{wasm_info['witness_size']}")  # fmt: skip
            facts = {"n_vars": wires, "n_public": header.n_public, "plonk_additions": header.n_additions}
            if limits is not None:
                groth16.check_circuit_limits(facts, limits)
                if header.domain_size > PLONK_DOMAIN_FACTOR * limits.max_domain_size:
                    raise InputError(
                        f"circuit too large: a PLONK domain of {header.domain_size} rows exceeds "
                        f"{PLONK_DOMAIN_FACTOR * limits.max_domain_size} for this key's tier"
                    )
            if "n_public" in info and info["n_public"] != header.n_public:
                from zapiki.errors import FormatError

                raise FormatError(f"the zkey does not belong to this circuit: n_public is {header.n_public}, "
                                  f"expected {info['n_public']}")  # fmt: skip
            info = {**info, **facts, "domain_size": header.domain_size}
        return groth16.check_wasm_fits(info, wasm_info)

    def circuit_keys(
        self,
        wasm_info: dict[str, Any],
        *,
        zkey: bytes | None,
        r1cs: bytes | None,
        limits: CircuitLimits | None,
        ptau: str | None = None,
    ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
        """(proving key, verification key, info): the given PLONK `zkey` checked, or one set up from `r1cs` and
        the service's powers of tau `ptau`."""
        from zapiki.formats.plonk_zkey import plonk_zkey_to_vkey, read_plonk_zkey

        self.check_circuit(wasm_info, zkey=zkey, r1cs=r1cs, limits=limits, ptau=ptau)  # before any key work
        if zkey is None:
            from .setup import plonk_setup

            assert r1cs is not None and ptau
            zkey, vkey = plonk_setup(r1cs, ptau)
            setup = ptau_label(ptau)
        else:
            vkey = plonk_zkey_to_vkey(read_plonk_zkey(zkey))
            setup = "provided"
        # the key (made or given) against the r1cs and the wasm: FormatError when they are not of one circuit
        info = self.check_circuit(wasm_info, zkey=zkey, r1cs=r1cs, limits=None, ptau=ptau)
        return zkey, vkey, {**info, "setup": setup}

"""How the service registers a circom circuit for Groth16 (`zapiki.systems.base.CircuitSystem`): the files
checked on their headers against the caller's limits and against the probed wasm, then the keys — the given
`.zkey` with its verification key exported, or a development setup from the `.r1cs` (single party, NOT a
ceremony).

>>> from pathlib import Path
>>> from zapiki.witness.sandbox import probe
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> wasm_info = probe((fx / "circuit.wasm").read_bytes())
>>> zkey, vkey, info = CircuitRegistration().circuit_keys(
...     wasm_info, zkey=(fx / "circuit.zkey").read_bytes(), r1cs=None, limits=None
... )
>>> info["setup"], info["n_public"], info["domain_size"], vkey["protocol"]
('provided', 1, 4, 'groth16')
"""

from __future__ import annotations

from typing import Any

from zapiki.limits import CircuitLimits

DEVELOPMENT = "development (single party, not a ceremony)"


class CircuitRegistration:
    """The `CircuitSystem` half of `Groth16System`."""

    def setup_label(self) -> str:
        """How a setup run here makes a circuit's keys."""
        return DEVELOPMENT

    def check_circuit(
        self, wasm_info: dict[str, Any], *, zkey: bytes | None, r1cs: bytes | None, limits: CircuitLimits | None
    ) -> dict[str, Any]:
        """The circuit's info from the files' headers; InputError when over `limits` or when the files are not
        of one circuit (the wasm probed elsewhere: `wasm_info`). No key work."""
        from zapiki.systems import groth16

        if limits is not None:
            groth16.check_circuit_limits({"witness_size": wasm_info["witness_size"]}, limits)
        return groth16.check_wasm_fits(groth16.circuit_info(r1cs=r1cs, zkey=zkey, limits=limits), wasm_info)

    def circuit_keys(
        self, wasm_info: dict[str, Any], *, zkey: bytes | None, r1cs: bytes | None, limits: CircuitLimits | None
    ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
        """(proving key, verification key, info): the given `zkey` checked (with `r1cs` too when given), or a
        development setup from `r1cs` when `zkey` is None."""
        from zapiki.systems import groth16

        self.check_circuit(wasm_info, zkey=zkey, r1cs=r1cs, limits=limits)
        if zkey is None:
            if r1cs is None:
                from zapiki.errors import InputError

                raise InputError(
                    "send a .zkey (proving key, optionally with its .r1cs), or a .r1cs (development setup)"
                )
            zkey, vkey = groth16.dev_setup(r1cs, limits=limits)
            info = {"setup": DEVELOPMENT}
        else:
            vkey = groth16.export_vkey(zkey)
            info = {"setup": "provided"}
        # FormatError (an input error) when the wasm, the key and the r1cs are not of one circuit
        info = groth16.check_wasm_fits({**info, **groth16.circuit_info(r1cs=r1cs, zkey=zkey)}, wasm_info)
        return zkey, vkey, info

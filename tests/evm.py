"""Solidity verifiers in a real EVM, for tests: compiled with solcjs (npm ``solc``, in .ci/node) by
``formats/solc_compile.js``, deployed in py-evm through eth-tester, and called with ``verifyProof``'s arguments.

Missing node/solc or eth-tester: the test is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from zapiki.formats.solidity import solidity_calldata

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SOLC = REPO / ".ci" / "node" / "node_modules" / "solc"
COMPILE_JS = Path(__file__).resolve().parent / "formats" / "solc_compile.js"


def missing(message: str) -> None:
    """What a test needs is missing: skipped here, a failure in CI."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def compile_verifiers(sources: dict[str, str]) -> dict[str, dict]:
    """{name: solc's output for its Groth16Verifier (abi, evm.bytecode)}, all in one solc run."""
    if shutil.which("node") is None or not SOLC.exists():
        missing("solc not found: run `npm install --prefix .ci/node` (solc 0.8.28) with node on PATH")
    settings = {
        "optimizer": {"enabled": True, "runs": 200},
        "outputSelection": {"*": {"Groth16Verifier": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
    }
    request = {
        "language": "Solidity",
        "sources": {f"{name}.sol": {"content": text} for name, text in sources.items()},
        "settings": settings,
    }
    done = subprocess.run(["node", str(COMPILE_JS), str(SOLC)], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    out = json.loads(done.stdout)
    problems = [e["formattedMessage"] for e in out.get("errors", []) if e["severity"] != "info"]
    assert not problems, "\n".join(problems)  # warnings included: the generated source compiles cleanly
    return {name: out["contracts"][f"{name}.sol"]["Groth16Verifier"] for name in sources}


def chain() -> Any:  # noqa: ANN401
    """A fresh in-process py-evm chain (an ``EthereumTester``)."""
    try:
        from eth_tester import EthereumTester, PyEVMBackend
    except ImportError:
        missing("eth-tester not installed: `pip install -e '.[test]'` (eth-tester[py-evm])")
    return EthereumTester(PyEVMBackend())


class Verifier:
    """A deployed Groth16Verifier: `call` (eth_call: True/False, or raises on a revert) and `transact` (gas used)."""

    def __init__(self, eth: Any, contract: dict) -> None:  # noqa: ANN401
        from eth_utils import function_signature_to_4byte_selector

        self.eth, self.account = eth, eth.get_accounts()[0]
        self.abi = contract["abi"]
        (fn,) = [f for f in self.abi if f.get("name") == "verifyProof"]
        self.types = [i["type"] for i in fn["inputs"]]
        self.selector = function_signature_to_4byte_selector(f"verifyProof({','.join(self.types)})")
        self.code_size = len(contract["evm"]["deployedBytecode"]["object"]) // 2
        code = "0x" + contract["evm"]["bytecode"]["object"]
        tx = eth.send_transaction({"from": self.account, "gas": 5_000_000, "data": code})
        self.address = eth.get_transaction_receipt(tx)["contract_address"]

    def data(self, args: list) -> str:
        from eth_abi import encode

        return "0x" + (self.selector + encode(self.types, args)).hex()

    def call(self, args: list, gas: int | None = None) -> bool:
        tx = {"from": self.account, "to": self.address, "data": self.data(args)}
        if gas is not None:
            tx["gas"] = gas
        out = bytes.fromhex(self.eth.call(tx)[2:])
        assert len(out) == 32 and int.from_bytes(out) in (0, 1), out.hex()
        return bool(int.from_bytes(out))

    def transact(self, args: list) -> int:
        tx = {"from": self.account, "to": self.address, "data": self.data(args), "gas": 2_000_000}
        receipt = self.eth.get_transaction_receipt(self.eth.send_transaction(tx))
        assert receipt["status"] == 1
        return receipt["gas_used"]


def deploy(sources: dict[str, str]) -> dict[str, Verifier]:
    """The Solidity ``sources`` ({name: text}), compiled in one solc run and deployed in one fresh chain."""
    eth = chain()
    return {name: Verifier(eth, c) for name, c in compile_verifiers(sources).items()}


def verify_proof_args(proof: Any, public: Any) -> list:  # noqa: ANN401
    """verifyProof's arguments, read back from the text solidity_calldata prints (as a caller would paste it)."""
    a, b, c, signals = json.loads(f"[{solidity_calldata(proof, public)}]")
    to_int = lambda v: [to_int(x) for x in v] if isinstance(v, list) else int(v, 16)  # noqa: E731
    return [to_int(a), to_int(b), to_int(c), to_int(signals)]

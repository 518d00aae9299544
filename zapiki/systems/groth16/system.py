"""``groth16``: the job platform's Groth16 system (circom wasm witness + snarkjs-compatible proof).

The platform puts local file paths in ``ctx.resources["wasm"]`` and ``ctx.resources["zkey"]`` (and optionally
``ctx.resources["r1cs"]``, used to name the first failing constraint of a witness whose proof fails its
self-check). Witness calculators are cached per wasm sha256 and parsed proving keys per zkey sha256, so a
long-lived prover process parses a key once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from cachetools import LRUCache

from zapiki.errors import FormatError, InputError, WitnessError
from zapiki.systems.base import Capabilities, ProofOutput, ProveContext
from zapiki.systems.groth16.registration import CircuitRegistration

if TYPE_CHECKING:
    from zapiki.formats import R1CS
    from zapiki.witness import WitnessCalculator

# The witness runtime, the kernels and the file readers are imported by the methods that use them: the registry
# imports this module wherever a system is looked up, and a Dask worker (which proves in its child processes)
# or the API only asking for `capabilities` must not load wasmtime and numba for nothing.

__all__ = ["Groth16System", "circuit_witness", "configure_caches", "witness_calculator"]

#: Witness calculators (compiled wasm modules) kept per process; `configure_caches` changes it.
CALCULATORS = 8
_VKEYS_SIZE = 64
_CALCS: LRUCache[str, WitnessCalculator] = LRUCache(CALCULATORS)  # by wasm sha256
_VKEYS: LRUCache[str, dict] = LRUCache(_VKEYS_SIZE)
# By keys.file_stamp, as many as proving keys (keys.CACHE_SIZE, not imported here: it loads the kernels).
_R1CS: LRUCache[tuple, R1CS] = LRUCache(4)
_LOCK = threading.Lock()


def configure_caches(calculators: int | None = None, proving_keys: int | None = None) -> None:
    """Set how many witness calculators and parsed proving keys a process keeps (least recently used go).

    >>> configure_caches(calculators=8, proving_keys=4)
    """
    global CALCULATORS, _CALCS, _R1CS
    from . import keys

    if calculators is not None:
        CALCULATORS = max(1, int(calculators))
        with _LOCK:  # a smaller size takes effect at once
            _CALCS = _resized(_CALCS, CALCULATORS)
    if proving_keys is not None:
        keys.CACHE_SIZE = max(1, int(proving_keys))
        with keys._CACHE_LOCK:
            keys._CACHE = _resized(keys._CACHE, keys.CACHE_SIZE)
        with _LOCK:
            _R1CS = _resized(_R1CS, keys.CACHE_SIZE)


def _resized(cache: LRUCache, size: int) -> LRUCache:
    """A cache of ``size`` holding ``cache``'s most recently used entries (the caller holds its lock)."""
    entries = []
    while cache:
        entries.append(cache.popitem())  # least recently used first
    resized = LRUCache(size)
    for key, value in entries:
        resized[key] = value  # beyond `size`, the least recently used go
    return resized


def _read(path: Any, what: str) -> bytes:  # noqa: ANN401
    if not isinstance(path, str | Path):
        raise InputError(f"groth16: the circuit's {what} file is missing (resource {what!r} not given)")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from exc


def witness_calculator(wasm: bytes | str | Path) -> WitnessCalculator:
    """The (cached, per wasm sha256) witness calculator of a circuit's ``.wasm`` bytes or path."""
    data = _read(wasm, "wasm") if isinstance(wasm, str | Path) else bytes(wasm)
    digest = hashlib.sha256(data).hexdigest()
    with _LOCK:
        calc = _CALCS.get(digest)
    if calc is None:
        from zapiki.witness import WitnessCalculator

        calc = WitnessCalculator(data)
    with _LOCK:  # (the cache object is looked up under the lock: configure_caches replaces it)
        _CALCS[digest] = calc
    return calc


def r1cs_of(path: str | Path) -> R1CS:
    """The parsed ``.r1cs`` at ``path``, kept per process while the file is unchanged (as many as proving keys):
    a worker proving the same circuit again does not parse its constraints again."""
    from zapiki.formats import read_r1cs

    from . import keys

    try:
        stamp = keys.file_stamp(path)
    except OSError as exc:
        raise FormatError(f"cannot read r1cs {str(path)!r}: {exc.strerror or exc}") from exc
    with _LOCK:
        r1cs = _R1CS.get(stamp)
    if r1cs is None:
        r1cs = read_r1cs(Path(path))
    with _LOCK:
        _R1CS[stamp] = r1cs
    return r1cs


def _check_values(value: Any, where: str, depth: int = 0) -> None:  # noqa: ANN401
    if isinstance(value, list):
        if depth > 32:
            raise InputError(f"input {where}: arrays nested too deeply")
        for i, item in enumerate(value):
            _check_values(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(f"input {where}: expected an integer or a decimal/hex string, got {type(value).__name__}")


class Groth16System(CircuitRegistration):
    """Groth16 proofs of circom circuits, verifiable with ``snarkjs groth16 verify``.

    >>> Groth16System().prepare_input({"a": 3, "b": ["0x0b"]}, {})
    {'a': '3', 'b': ['11']}
    """

    name: ClassVar[str] = "groth16"
    capabilities: ClassVar[Capabilities] = Capabilities(
        async_only=True, isolated=True, typical_ms=2000.0, setup_required=True, uses_kernels=True,
        features=("circom", "snarkjs"),
    )  # fmt: skip

    def prepare_input(self, data: Any, options: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
        """Check ``data`` is an object of input signals (ints, decimal/hex strings, nested lists of those);
        returns it with every value as a decimal string (JSON-safe), nesting kept. With ``options["template"]``
        it is that template's inputs (:meth:`zapiki.templates.Template.validate`)."""
        if options.get("template") is not None:
            return _template(options).validate(data)
        if not isinstance(data, Mapping):
            raise InputError(f"groth16 input must be a JSON object of input signals, not {type(data).__name__}")
        for name, value in data.items():
            if not isinstance(name, str) or not name:
                raise InputError(f"input signal names must be non-empty strings, got {name!r}")
            _check_values(value, repr(name))
        from zapiki.witness import normalize_inputs

        normalize_inputs(data)  # range and syntax check (WitnessError names the value)
        return {name: _normalise(value) for name, value in data.items()}

    def generate(self, data: Any, ctx: ProveContext) -> ProofOutput:  # noqa: ANN401
        """Witness from ``ctx.resources["wasm"]``, proof with ``ctx.resources["zkey"]``.

        The witness comes from the circuit's own wasm, so it nearly always satisfies the constraints: the proof
        is made at once and its self-check (a few milliseconds) catches one that does not; only then is every
        constraint checked against ``ctx.resources["r1cs"]``, when given, to name the first failing one. Checking
        them up front cost every job ~0.1 CPU-seconds at 2^16 constraints (5% of the proof)."""
        from .keys import load_proving_key
        from .prover import prove
        from .setup import vkey_of

        witness, zkey_path = circuit_witness(self.name, data, ctx)
        pk = load_proving_key(zkey_path)
        ctx.check_deadline()
        try:
            out = prove(pk, witness, checkpoint=ctx.check_deadline)
        except WitnessError:
            r1cs_path = ctx.resources.get("r1cs")
            if r1cs_path:
                from zapiki.formats import check_witness

                from .prover import check_constraints

                check_witness(pk.zkey, witness)  # a witness that does not fit the key keeps prove's message
                check_constraints(r1cs_of(r1cs_path), pk, witness)  # names the first failing constraint
            raise
        with _LOCK:
            vkey = _VKEYS.get(pk.sha256)
        if vkey is None:
            vkey = vkey_of(pk.zkey)
        with _LOCK:
            _VKEYS[pk.sha256] = vkey
        return ProofOutput(proof_data=out.proof_json(), public_inputs=out.public_json(), verification_key=vkey)

    def verify(self, proof: dict[str, Any], public_inputs: Any, verification_key: Any) -> bool:  # noqa: ANN401
        """snarkjs's ``groth16 verify``: False for an invalid proof, InputError for malformed JSON."""
        from .verifier import verify

        return verify(verification_key, public_inputs, proof)


def circuit_witness(system: str, data: Any, ctx: ProveContext) -> tuple[Any, str | Path]:  # noqa: ANN401
    """(witness, the zkey's path) of a circuit job: a template's inputs checked (a false statement fails here,
    naming its condition) and turned into the circuit's signals, the witness computed with the circuit's wasm
    (``ctx.resources["wasm"]``), the deadline checked between stages. Shared by the circuit systems."""
    if ctx.options.get("template") is not None:
        data = _template(ctx.options).circuit_inputs(data)
    calc = witness_calculator(ctx.resources.get("wasm"))
    ctx.check_deadline()
    witness = calc.calculate(data)
    ctx.check_deadline()
    zkey_path = ctx.resources.get("zkey")
    if not isinstance(zkey_path, str | Path):
        raise InputError(f"{system}: the circuit's zkey file is missing (resource 'zkey' not given)")
    return witness, zkey_path


def _template(options: dict[str, Any]) -> Any:  # noqa: ANN401
    from zapiki import templates
    from zapiki.errors import NotFound

    try:
        return templates.get(options["template"])
    except NotFound as exc:
        raise InputError(str(exc)) from None


def _normalise(value: Any) -> Any:  # noqa: ANN401
    from zapiki.witness import normalize_inputs

    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return str(normalize_inputs({"v": value})["v"][0])

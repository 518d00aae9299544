"""The pure-Python verifier (:mod:`zapiki.bn254py`, used by ``zapiki groth16 verify``) answers exactly as the
numba verifier and as snarkjs: the same verdict for valid and tampered proofs, the same error class and message
for malformed input, and it never imports numpy or numba."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from zapiki.bn254py import verify_parsed
from zapiki.bn254py.curve import G2_GEN, g2_on_curve
from zapiki.bn254py.fields import Q, R, f2_add, f2_mul, f2_sqr
from zapiki.errors import InputError
from zapiki.formats.snarkjs_json import parse_verify_inputs
from zapiki.systems.groth16 import verify as numba_verify


def pure_verify(vk, public, proof):
    """What `zapiki groth16 verify` does: the shared snarkjs reader, then the pure-Python equation."""
    parsed = parse_verify_inputs(vk, public, proof)
    return parsed is not None and verify_parsed(*parsed)


def _outcome(fn, vk, public, proof):
    """``(True|False, None)`` or ``("raises", (class name, message))``: what a verifier answers."""
    try:
        return fn(vk, public, proof), None
    except InputError as exc:
        return "raises", (type(exc).__name__, str(exc))


def _twist_point_outside_g2() -> tuple:
    """A point on the twist y^2 = x^3 + b' that is not in G2 (the twist's cofactor is not 1)."""
    from zapiki.bn254py.curve import B2, g2_in_subgroup

    for x0 in range(1, 100):
        x = (x0, 1)
        rhs = f2_add(f2_mul(f2_sqr(x), x), B2)
        y = _f2_sqrt(rhs)
        if y is not None and not g2_in_subgroup((x, y)):
            assert g2_on_curve((x, y))
            return x, y
    raise AssertionError("no point found")


def _f2_sqrt(a: tuple[int, int]) -> tuple[int, int] | None:
    """A square root in Fq2 (q = 3 mod 4), or None (the algorithm of Adj and Rodriguez-Henriquez)."""
    from zapiki.bn254py.fields import f2_pow

    a1 = f2_pow(a, (Q - 3) // 4)
    alpha = f2_mul(a1, f2_mul(a1, a))
    x0 = f2_mul(a1, a)
    if alpha == (Q - 1, 0):
        return f2_mul((0, 1), x0)
    b = f2_pow(f2_add((1, 0), alpha), (Q - 1) // 2)
    y = f2_mul(b, x0)
    return y if f2_sqr(y) == a else None


def _g2_json(p: tuple) -> list:
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def _tampered(circuit, how: str):
    """(vk, public, proof) with one thing changed."""
    vk, public, proof = (circuit.json(n) for n in ("verification_key.json", "public.json", "proof.json"))
    vk, public, proof = copy.deepcopy(vk), list(public), copy.deepcopy(proof)
    if how == "valid":
        pass
    elif how == "public_plus_1":
        public[0] = str((int(public[0]) + 1) % R)
    elif how == "public_plus_r":
        public[0] = str(int(public[0]) + R)
    elif how == "public_extra":
        public.append("1")
    elif how == "public_missing":
        public.pop()
    elif how == "a_negated":
        proof["pi_a"][1] = str(Q - int(proof["pi_a"][1]))
    elif how == "a_c_swapped":
        proof["pi_a"], proof["pi_c"] = proof["pi_c"], proof["pi_a"]
    elif how == "a_off_curve":
        proof["pi_a"][1] = str((int(proof["pi_a"][1]) + 1) % Q)
    elif how == "a_infinity":
        proof["pi_a"] = ["0", "1", "0"]
    elif how == "a_zero_zero":  # (0, 0) is the kernels' encoding of infinity
        proof["pi_a"] = ["0", "0", "1"]
    elif how == "b_off_curve":
        proof["pi_b"][1][0] = str((int(proof["pi_b"][1][0]) + 1) % Q)
    elif how == "b_coefficients_swapped":
        proof["pi_b"][0] = proof["pi_b"][0][::-1]
    elif how == "b_generator":  # in G2, but the wrong point
        proof["pi_b"] = _g2_json(G2_GEN)
    elif how == "b_outside_g2":
        proof["pi_b"] = _g2_json(_twist_point_outside_g2())
    elif how == "c_off_curve":
        proof["pi_c"][0] = str((int(proof["pi_c"][0]) + 1) % Q)
    elif how == "c_coordinate_ge_q":
        proof["pi_c"][0] = str(int(proof["pi_c"][0]) + Q)
    elif how == "vk_ic_off_curve":
        vk["IC"][0][1] = str((int(vk["IC"][0][1]) + 1) % Q)
    elif how == "vk_alpha_off_curve":
        vk["vk_alpha_1"][0] = str((int(vk["vk_alpha_1"][0]) + 1) % Q)
    elif how == "vk_delta_off_curve":
        vk["vk_delta_2"][1][1] = str((int(vk["vk_delta_2"][1][1]) + 1) % Q)
    elif how == "vk_gamma_outside_g2":
        vk["vk_gamma_2"] = _g2_json(_twist_point_outside_g2())
    elif how == "vk_beta_is_delta":
        vk["vk_beta_2"] = vk["vk_delta_2"]
    else:
        raise ValueError(how)
    return vk, public, proof


CASES = [
    "valid", "public_plus_1", "public_plus_r", "public_extra", "public_missing", "a_negated", "a_c_swapped",
    "a_off_curve", "a_infinity", "a_zero_zero", "b_off_curve", "b_coefficients_swapped", "b_generator",
    "b_outside_g2", "c_off_curve", "c_coordinate_ge_q", "vk_ic_off_curve", "vk_alpha_off_curve",
    "vk_delta_off_curve", "vk_gamma_outside_g2", "vk_beta_is_delta",
]  # fmt: skip
EXPECTED = {"valid": (True, None)}  # every other case is False or an InputError, as the numba path says


@pytest.mark.parametrize("how", CASES)
def test_same_answer_as_the_numba_verifier(circuit, how):
    vk, public, proof = _tampered(circuit, how)
    got = _outcome(pure_verify, vk, public, proof)
    assert got == _outcome(numba_verify, vk, public, proof)
    assert got == EXPECTED.get(how, got) and (how == "valid") == (got[0] is True)


def test_errors_for_bad_verification_keys_name_the_point(multiplier):
    vk, public, proof = _tampered(multiplier, "vk_gamma_outside_g2")
    assert _outcome(pure_verify, vk, public, proof) == (
        "raises", ("CurveError", "G2 point #1 is not in the prime-order subgroup")
    )  # fmt: skip
    vk, public, proof = _tampered(multiplier, "vk_ic_off_curve")
    assert _outcome(pure_verify, vk, public, proof) == ("raises", ("CurveError", "G1 point #1 is not on the curve"))


MALFORMED = [
    ("proof", {"pi_a": ["1", "2", "1"]}),
    ("proof", {"pi_a": "x", "pi_b": [], "pi_c": []}),
    ("proof", ["not", "an", "object"]),
    ("proof", "{not json"),
    ("proof", {"pi_a": ["1", "2", "2"], "pi_b": [["1", "0"], ["2", "0"], ["1", "0"]], "pi_c": ["1", "2", "1"]}),
    ("proof", {"pi_a": ["1", "2", "0"], "pi_b": [["1", "0"], ["2", "0"], ["1", "0"]], "pi_c": ["1", "2", "1"]}),
    ("proof", {"pi_a": ["1", "2", "1"], "pi_b": [["1", "0"], ["2", "0"], ["1", "1"]], "pi_c": ["1", "2", "1"]}),
    (
        "proof",
        {
            "pi_a": ["1", "2", "1"],
            "pi_b": [["1"], ["2", "0"], ["1", "0"]],
            "pi_c": ["1", "2", "1"],
            "protocol": "plonk",
        },
    ),  # fmt: skip
    ("proof", {"pi_a": [True, "2", "1"], "pi_b": [["1", "0"], ["2", "0"], ["1", "0"]], "pi_c": ["1", "2", "1"]}),
    ("public", {"0": "33"}),
    ("public", ["0x21"]),
    ("public", [33.5]),
    ("public", "[1,"),
    ("public", ["-1"]),
    ("public", ["1" * 101]),
    ("vkey", {"protocol": "plonk"}),
    ("vkey", {}),
    ("vkey", {"protocol": "groth16", "curve": "bls12381"}),
    ("vkey", "nope"),
    ("vkey", b"\xff"),
]


@pytest.mark.parametrize(("which", "value"), MALFORMED)
def test_malformed_json_same_error_as_the_numba_verifier(multiplier, which, value):
    args = {
        "vkey": multiplier.json("verification_key.json"),
        "public": multiplier.json("public.json"),
        "proof": multiplier.json("proof.json"),
    }
    args[which] = value
    got = _outcome(pure_verify, args["vkey"], args["public"], args["proof"])
    assert got[0] == "raises" or got[0] is False
    assert got == _outcome(numba_verify, args["vkey"], args["public"], args["proof"])


@pytest.mark.parametrize(
    "change",
    [
        lambda vk: vk.update(nPublic=-1),
        lambda vk: vk.update(nPublic=True),
        lambda vk: vk["IC"].pop(),
        lambda vk: vk.update(vk_alphabeta_12=[[["1", "2"]] * 3, [["1"]] * 3]),
        lambda vk: vk.update(vk_alpha_1=["1", "2", "3"]),
        lambda vk: vk.update(vk_beta_2=[["0", "0"], ["1", "0"], ["0", "0"]]),  # infinity: allowed, invalid proof
        lambda vk: vk["vk_gamma_2"][0].__setitem__(0, str(Q)),
    ],
)
def test_malformed_verification_keys_same_answer(multiplier, change):
    vk = multiplier.json("verification_key.json")
    change(vk)
    public, proof = multiplier.json("public.json"), multiplier.json("proof.json")
    assert _outcome(pure_verify, vk, public, proof) == _outcome(numba_verify, vk, public, proof)


def test_accepts_json_text_and_formats_classes(multiplier):
    from zapiki.formats import parse_proof, parse_public, parse_vkey

    texts = [multiplier.path(n).read_text() for n in ("verification_key.json", "public.json", "proof.json")]
    assert pure_verify(*texts) is True
    vk, public, proof = parse_vkey(texts[0]), parse_public(texts[1]), parse_proof(texts[2])
    assert verify_parsed(vk, public, proof) is True
    assert verify_parsed(vk, [public[0] + 1], proof) is False


def test_agrees_with_snarkjs(snarkjs, circuit, tmp_path):
    """snarkjs verifies what this verifier accepts, and refuses the tampered proof it refuses."""
    for how in ("valid", "public_plus_1", "a_negated"):
        vk, public, proof = _tampered(circuit, how)
        files = []
        for name, obj in (("vk", vk), ("public", public), ("proof", proof)):
            (tmp_path / f"{name}.json").write_text(json.dumps(obj))
            files.append(tmp_path / f"{name}.json")
        res = snarkjs("groth16", "verify", *files)
        assert ("OK" in res.stdout) == pure_verify(vk, public, proof) == (how == "valid"), (how, res.stdout)


def test_the_verify_command_imports_neither_numpy_nor_numba(multiplier):
    """``zapiki groth16 verify`` runs in a process that never loads numpy or numba (nor the numba verifier, nor a
    reader of the binary formats): of `zapiki.formats` only the snarkjs JSON reader and the moduli."""
    code = (
        "import sys\n"
        "from zapiki.cli import run\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        "    light = ('zapiki.formats', 'zapiki.formats.snarkjs_json', 'zapiki.formats.moduli')\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'numba')\n"
        "                   or m in ('zapiki.kernels', 'zapiki.systems.groth16')\n"
        "                   or (m.startswith('zapiki.formats') and m not in light))\n"
        "    print('HEAVY', heavy, file=sys.stderr)\n"
    )
    paths = [str(multiplier.path(n)) for n in ("verification_key.json", "public.json", "proof.json")]
    res = subprocess.run([sys.executable, "-c", code, "groth16", "verify", *paths], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "OK: the proof is valid" in res.stdout
    assert "HEAVY []" in res.stderr, res.stderr

"""The kernels' numbers against literal values from snarkjs's own sources and files (issue #13).

Every literal below is copied from iden3's JavaScript stack (GPL-3.0: only the numbers are taken, never code)
or recomputed here with the algorithm ffjavascript uses; the source is named above each one. The checks go
through the kernels where a number is used by them (generators through the curve kernels, non-residues
through the field-tower kernels, roots of unity through the NTT), and through bytes snarkjs itself wrote
(the .zkey fixtures) for the Montgomery convention.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from zapiki.kernels import constants, fq2, fq12, g1, g2, ntt, pairing
from zapiki.kernels.g2 import PSI_X_INT, PSI_Y_INT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"

# iden3/ffjavascript src/bn128.js (CommonJS version, commit 032a27c9): this.q and this.r
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617

# iden3/ffjavascript src/bn128.js: this.nonResidueF2 (u^2 = q - 1 = -1)
NON_RESIDUE_F2 = 21888242871839275222246405745257275088696311157297823662689037894645226208582
# iden3/ffjavascript src/bn128.js: this.nonResidueF6 = [9, 1]; F6 = F2[v]/(v^3 - (9 + u)), F12 = F6[w]/(w^2 - v)
NON_RESIDUE_F6 = (9, 1)

# iden3/ffjavascript src/bn128.js: this.g1 = [1, 2, 1]
G1_GEN = (1, 2)
# iden3/ffjavascript src/bn128.js: this.g2 (x = [c0, c1], y = [c0, c1], z = [1, 0])
G2_GEN = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)
# iden3/wasmcurves src/bn128/build_bn128.js: pG2b, the twist's b = 3 / (9 + u)
G2_B = (
    19485874751759354771024239261021720505790618469301721065564631296452457478373,
    266929791119991161246907387137283842545076965332900288569378510910307636690,
)
# iden3/ffjavascript src/bn128.js: this.G2.cofactor
G2_COFACTOR = 0x30644E72E131A029B85045B68181585E06CEECDA572A2489345F2299C0F9FA8D
# iden3/ffjavascript src/bn128.js: this.loopCount (6u + 2); iden3/wasmcurves src/bn128/build_bn128.js: finalExpZ (u)
ATE_LOOP_COUNT = 29793968203157093288
BN_U = 4965661367192848881
# iden3/ffjavascript src/bn128.js: twist_mul_by_q_X, twist_mul_by_q_Y (the Frobenius endomorphism of the twist)
TWIST_MUL_BY_Q_X = (
    21575463638280843010398324269430826099269044274347216827212613867836435027261,
    10307601595873709700152284273816112264069230130616436755625194854815875713954,
)
TWIST_MUL_BY_Q_Y = (
    2821565182194536844548159561693502659359617185244120367078079554186484126554,
    3505843767911556378687030309984248845540243509899259641013678093033130930403,
)
# iden3/ffjavascript src/bn128.js: this.final_exponent, (q^12 - 1) / r
FINAL_EXPONENT = int(
    "552484233613224096312617126783173147097382103762957654188882734314196910839907541213974502761540629817009608548"
    "654680343627701153829446747810907373256841551006201639677726139946029199968412598804882391702273019083653272047"
    "566316584365559776493027495458238373902875937659943504873220554161550525926302303331747463515644711876653177129"
    "578303191095900909191624817826566688241804408081892785725967931714097716709526092261278071952560171111444072049"
    "229123565057483750161460024353346284167282452756217662335528813519139808291170539072125381230815729071544861602"
    "750936964829313608137325426383735122175229541155376346436093930287402089517426973178917569713384748081827255472"
    "576937471496195752727188261435633271238710131736096299798168852925540549342330775279877006784354801422249722573"
    "783561685179618816480037695005515426162362431072245638324744480"
)
# iden3/snarkjs test/fflonk/verification_key.json ("power": 8), written by snarkjs's setup from ffjavascript's
# Fr.w: "w" = Fr.w[8], "w4" = Fr.w[2] (a primitive 4th root), "w2" = Fr.w[1] = -1
SNARKJS_W8 = 3478517300119284901893091970156912948790432420133812234316178878452092729974
SNARKJS_W4 = 21888242871839275217838484774961031246007050428528088939761107053157389710902
SNARKJS_W2 = 21888242871839275222246405745257275088548364400416034343698204186575808495616
# iden3/ffjavascript src/f1field_native.js: this.R = 2^(64 * n64) with n64 = 4 for both fields, so Montgomery's
# "one" is 2^256 mod p (written out here; the .zkey test below finds it in bytes snarkjs wrote)
MONT_ONE_Q = 0x0E0A77C19A07DF2F666EA36F7879462C0A78EB28F5C70B3DD35D438DC58F0D9D
MONT_ONE_R = 0x0E0A77C19A07DF2F666EA36F7879462E36FC76959F60CD29AC96341C4FFFFFFB


def _ffjavascript_roots(p: int) -> tuple[int, int, int, list[int]]:
    """(nqr, s, shift, w) as ffjavascript builds them for a prime field (src/wasm_field1.js, and the same in
    iden3/wasmcurves src/build_fft.js): nqr is the smallest quadratic non-residue from 2 up, p - 1 = 2^s t with t
    odd, w[s] = nqr^t and w[i] = w[i + 1]^2, shift = nqr^2. snarkjs's groth16 prover (src/groth16_prove.js)
    evaluates on the coset inc = Fr.w[power + 1], or Fr.shift when power == Fr.s."""
    nqr = 2
    while pow(nqr, (p - 1) // 2, p) != p - 1:
        nqr += 1
    s, t = 0, p - 1
    while t % 2 == 0:
        s, t = s + 1, t // 2
    w = [0] * (s + 1)
    w[s] = pow(nqr, t, p)
    for i in range(s - 1, -1, -1):
        w[i] = w[i + 1] * w[i + 1] % p
    return nqr, s, nqr * nqr % p, w


# -- encoding into the kernels' Montgomery limbs, written here (ffjavascript: R = 2^(64 * n64) = 2^256) ------


def _enc(values: list[int], p: int) -> np.ndarray:
    data = b"".join((v % p * (1 << 256) % p).to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def _dec(arr: np.ndarray, p: int) -> list[int]:
    raw = np.ascontiguousarray(arr, dtype="<u8").reshape(-1, 4).tobytes()
    inv = pow(1 << 256, -1, p)
    return [int.from_bytes(raw[i : i + 32], "little") * inv % p for i in range(0, len(raw), 32)]


def _limb_int(limbs: np.ndarray) -> int:
    return sum(int(v) << (64 * i) for i, v in enumerate(np.asarray(limbs).reshape(-1)))


# -- moduli, generators, twist ---------------------------------------------------------------------------------


def test_moduli_and_bn_parameter():
    assert constants.Q == Q and constants.R == R
    assert constants.BN_U == BN_U and constants.ATE_LOOP_COUNT == ATE_LOOP_COUNT == 6 * BN_U + 2
    assert _limb_int(constants.FQ.limbs) == Q and _limb_int(constants.FR.limbs) == R


def test_generators_through_the_curve_kernels():
    assert constants.G1_GEN == G1_GEN and constants.G2_GEN == G2_GEN
    assert _dec(g1.generator(), Q) == list(G1_GEN)
    assert _dec(g2.generator(), Q) == [*G2_GEN[0], *G2_GEN[1]]
    lit1 = _enc(list(G1_GEN), Q).reshape(1, 2, 4)
    lit2 = _enc([*G2_GEN[0], *G2_GEN[1]], Q).reshape(1, 2, 2, 4)
    assert g1.on_curve(lit1).all() and g2.in_subgroup(lit2).all()  # the kernels' b and subgroup check


def test_twist_b_and_g2_cofactor():
    assert constants.B2 == G2_B and constants.B1 == 3
    assert G2_COFACTOR == 2 * Q - R  # #E'(Fq2) = r (2q - r)
    # a twist point outside G2 (found by the existing test's search), cleared by the literal cofactor
    from py_ecc import optimized_bn128 as bn

    from .test_groups import _twist_point_outside_g2

    x, y = _twist_point_outside_g2()
    p = (bn.FQ2(list(x)), bn.FQ2(list(y)), bn.FQ2.one())
    cleared = bn.normalize(bn.multiply(p, G2_COFACTOR))
    pts = [[*x, *y], [*(int(c) for c in cleared[0].coeffs), *(int(c) for c in cleared[1].coeffs)]]
    arr = _enc([v for pt in pts for v in pt], Q).reshape(2, 2, 2, 4)
    assert g2.on_curve(arr).tolist() == [True, True]
    assert g2.in_subgroup(arr).tolist() == [False, True]


def test_frobenius_and_final_exponent():
    assert (PSI_X_INT, PSI_Y_INT) == (TWIST_MUL_BY_Q_X, TWIST_MUL_BY_Q_Y)
    assert FINAL_EXPONENT == (Q**12 - 1) // R
    # the kernel's split: conj(f)/f is the (q^6 - 1) part, then the power it holds as limbs
    assert (Q**6 - 1) * _limb_int(pairing.FINAL_EXP_LIMBS) == FINAL_EXPONENT
    # its Miller loop runs over the bits of 6u + 2 below the top one
    assert int("1" + "".join(str(int(b)) for b in pairing.LOOP_BITS), 2) == ATE_LOOP_COUNT


# -- the field tower's non-residues, through the kernels -------------------------------------------------------


def test_fq2_non_residue():
    u = _enc([0, 1], Q).reshape(1, 2, 4)
    assert _dec(fq2.mul(u, u), Q) == [NON_RESIDUE_F2, 0]


def _fq12(coeffs: dict[tuple[int, int, int], int]) -> np.ndarray:
    """An Fq12 array (2, 3, 2, 4) from {(i, j, k): value}: the coefficient of w^i v^j u^k."""
    flat = [0] * 12
    for (i, j, k), v in coeffs.items():
        flat[(i * 3 + j) * 2 + k] = v
    return _enc(flat, Q).reshape(2, 3, 2, 4)


def test_fq6_and_fq12_non_residues():
    v = _fq12({(0, 1, 0): 1})
    w = _fq12({(1, 0, 0): 1})
    xi = _fq12({(0, 0, 0): NON_RESIDUE_F6[0], (0, 0, 1): NON_RESIDUE_F6[1]})
    assert np.array_equal(fq12.mul(fq12.mul(v, v), v), xi)  # v^3 = 9 + u
    assert np.array_equal(fq12.mul(w, w), v)  # w^2 = v
    assert np.array_equal(fq12.pow(w, 6), xi)


# -- Fr: 2-adicity, roots of unity, the prover's coset ---------------------------------------------------------


def test_fr_two_adicity_generator_and_roots_follow_ffjavascript():
    nqr, s, shift, w = _ffjavascript_roots(R)
    assert (nqr, s, shift) == (5, 28, 25)
    assert constants.FR_GENERATOR == nqr and constants.TWO_ADICITY == s
    assert constants.OMEGA_2_28 == w[28]
    assert (w[8], w[2], w[1]) == (SNARKJS_W8, SNARKJS_W4, SNARKJS_W2)  # what snarkjs wrote into its own key
    assert [ntt.root_of_unity(k) for k in range(29)] == w


@pytest.mark.parametrize("log_n", [1, 2, 3, 8])
def test_ntt_evaluates_where_snarkjs_does(log_n):
    """ntt at w[k]^i, intt its inverse, coset_ntt at snarkjs's Groth16 coset inc * w[k]^i, inc = Fr.w[k + 1]."""
    _, _, _, w = _ffjavascript_roots(R)
    n = 1 << log_n
    xs = [(7 * j * j + 3 * j + 1) % R for j in range(n)]
    xs[-1] = R - 1
    a = _enc(xs, R)

    def at(points: list[int]) -> list[int]:
        return [sum(x * pow(z, j, R) for j, x in enumerate(xs)) % R for z in points]

    dom = [pow(w[log_n], i, R) for i in range(n)]
    assert _dec(ntt.ntt(a), R) == at(dom)
    assert _dec(ntt.coset_ntt(a), R) == at([w[log_n + 1] * d % R for d in dom])
    assert _dec(ntt.intt(_enc(at(dom), R)), R) == xs
    assert _dec(ntt.coset_intt(_enc(at([w[log_n + 1] * d % R for d in dom]), R)), R) == xs


# -- the Montgomery convention, in bytes snarkjs wrote ---------------------------------------------------------


def _sections(buf: bytes, magic: bytes) -> dict[int, bytes]:
    assert buf[:4] == magic
    (n_sections,) = struct.unpack_from("<I", buf, 8)
    out, pos = {}, 12
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", buf, pos)
        out[kind] = buf[pos + 12 : pos + 12 + size]
        pos += 12 + size
    return out


@pytest.mark.parametrize("circuit", ["multiplier", "poseidon_chain_8"])
def test_montgomery_radix_is_snarkjs_s(circuit):
    """R = 2^256 for both fields: the key's header points are x * R mod q (checked against the verification key
    snarkjs exported), and the coefficient 1 of the public-input rows is stored as R^2 mod r."""
    fx = FIXTURES / circuit
    zkey = _sections((fx / "circuit.zkey").read_bytes(), b"zkey")
    vk = json.loads((fx / "verification_key.json").read_text())
    hdr = zkey[2]
    n8q, q = struct.unpack_from("<I", hdr, 0)[0], int.from_bytes(hdr[4:36], "little")
    n8r, r = struct.unpack_from("<I", hdr, 36)[0], int.from_bytes(hdr[40:72], "little")
    assert (n8q, q, n8r, r) == (32, Q, 32, R)
    n_vars, n_public, domain = struct.unpack_from("<III", hdr, 72)
    alpha = hdr[84 : 84 + 64]
    ax, ay = (int(v) for v in vk["vk_alpha_1"][:2])
    stored_x = int.from_bytes(alpha[:32], "little")
    mont_r_q = stored_x * pow(ax, -1, Q) % Q
    assert mont_r_q == pow(2, 256, Q) == MONT_ONE_Q == _limb_int(constants.FQ.one)
    assert _limb_int(constants.FR.one) == MONT_ONE_R == pow(2, 256, R)
    assert g1.to_ints(g1.from_bytes(alpha, montgomery=True)) == [(ax, ay)]  # the kernel reads snarkjs's bytes

    r1cs = _sections((fx / "circuit.r1cs").read_bytes(), b"r1cs")
    (n_constraints,) = struct.unpack_from("<I", r1cs[1], 4 + 32 + 4 * 4 + 8)
    coefs = zkey[4]
    (n_coefs,) = struct.unpack_from("<I", coefs, 0)
    ones = set()
    for i in range(n_coefs):
        matrix, row, signal = struct.unpack_from("<III", coefs, 4 + i * 44)
        if matrix == 0 and row >= n_constraints:  # the rows snarkjs's setup appends: A[nConstraints + s][s] = 1
            assert signal == row - n_constraints
            ones.add(int.from_bytes(coefs[4 + i * 44 + 12 : 4 + i * 44 + 44], "little"))
    assert ones == {pow(2, 512, R)} == {_limb_int(constants.FR.r2)}
    assert n_public == vk["nPublic"] == len(vk["IC"]) - 1 and n_vars >= n_public + 1
    assert domain >= n_constraints + n_public + 1

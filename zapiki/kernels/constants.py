"""BN254 (alt_bn128) constants, as Python ints and as 4x64-bit little-endian limbs; checked at import.

Every kernel module takes its numbers from here. Limb arrays are ``np.uint64`` of shape ``(4,)``, least
significant limb first. Montgomery form uses ``R = 2**256``.
"""

from __future__ import annotations

import numpy as np

#: Base field modulus q (coordinates of G1, and of G2 over Fq2 = Fq[u]/(u^2 + 1)).
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: Scalar field modulus r (the order of G1 and G2).
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: BN parameter u (x): q and r are polynomials in it.
BN_U = 4965661367192848881
#: Loop count of the optimal ate Miller loop, 6u + 2.
ATE_LOOP_COUNT = 6 * BN_U + 2

MONT_R = 1 << 256
MASK64 = (1 << 64) - 1

#: Curve E: y^2 = x^3 + 3 over Fq.
B1 = 3
#: Generator of G1, affine.
G1_GEN = (1, 2)
#: Twist E': y^2 = x^3 + 3/(9 + u) over Fq2. Fq2 elements are pairs (c0, c1) meaning c0 + c1*u.
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

#: NTT: generator of Fr*, 2-adicity of r - 1, and snarkjs's primitive 2^28-th root of unity.
FR_GENERATOR = 5
TWO_ADICITY = 28
OMEGA_2_28 = 19103219067921713944291392827692070036145651957329286315305642004821462161904


def fq2_mul_int(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """(a0 + a1 u)(b0 + b1 u) with u^2 = -1, Python ints (used for constants and references)."""
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def fq2_inv_int(a: tuple[int, int]) -> tuple[int, int]:
    """Inverse in Fq2 (a must be non-zero)."""
    t = pow((a[0] * a[0] + a[1] * a[1]) % Q, -1, Q)
    return (a[0] * t % Q, -a[1] * t % Q)


#: b of the twist, 3 / (9 + u).
B2 = fq2_mul_int((3, 0), fq2_inv_int((9, 1)))


def to_limbs(x: int) -> np.ndarray:
    """A non-negative int below 2^256 as 4 little-endian uint64 limbs."""
    return np.array([(x >> (64 * i)) & MASK64 for i in range(4)], dtype=np.uint64)


def from_limbs(limbs: np.ndarray) -> int:
    """Inverse of :func:`to_limbs` (any trailing shape-(4,) array of uint64)."""
    return sum(int(v) << (64 * i) for i, v in enumerate(limbs))


def _neg_inv64(p: int) -> int:
    """-p^-1 mod 2^64, the CIOS Montgomery constant."""
    return (-pow(p, -1, 1 << 64)) % (1 << 64)


class FieldConstants:
    """The numbers a Montgomery kernel needs for one prime field (all limb arrays are uint64, shape (4,))."""

    def __init__(self, p: int) -> None:
        self.p = p
        self.limbs = to_limbs(p)
        self.inv = np.uint64(_neg_inv64(p))
        self.one = to_limbs(MONT_R % p)  # 1 in Montgomery form
        self.r2 = to_limbs(MONT_R * MONT_R % p)  # R^2 mod p: plain -> Montgomery
        self.r3 = to_limbs(pow(MONT_R, 3, p))  # R^3 mod p: Montgomery inverse fix-up
        self.pm2 = to_limbs(p - 2)  # Fermat inverse exponent


FQ = FieldConstants(Q)
FR = FieldConstants(R)


def _check() -> None:
    """Constants are data, checked at import: generators on their curves, roots of unity of the right order."""
    x, y = G1_GEN
    assert (y * y - x * x * x - B1) % Q == 0, "G1 generator off the curve"
    x2, y2 = G2_GEN
    lhs = fq2_mul_int(y2, y2)
    rhs = fq2_mul_int(fq2_mul_int(x2, x2), x2)
    assert ((lhs[0] - rhs[0] - B2[0]) % Q, (lhs[1] - rhs[1] - B2[1]) % Q) == (0, 0), "G2 generator off the twist"
    assert (R - 1) % (1 << TWO_ADICITY) == 0 and ((R - 1) >> TWO_ADICITY) % 2 == 1
    assert pow(OMEGA_2_28, 1 << TWO_ADICITY, R) == 1 and pow(OMEGA_2_28, 1 << (TWO_ADICITY - 1), R) == R - 1
    assert Q.bit_length() == 254 and R.bit_length() == 254  # top limb < 2^63: the CIOS carry never overflows
    assert Q == 36 * BN_U**4 + 36 * BN_U**3 + 24 * BN_U**2 + 6 * BN_U + 1
    assert R == 36 * BN_U**4 + 36 * BN_U**3 + 18 * BN_U**2 + 6 * BN_U + 1
    for f in (FQ, FR):
        assert (f.p * int(f.inv) + 1) % (1 << 64) == 0


_check()

"""The .ptau reader: a snarkjs-made file reads back with the sizes and semantics snarkjs gives it, and a file that
is truncated, lies about its power, is not prepared for phase 2, or is for another curve is a FormatError naming it.

The snarkjs file (power 8: `powersoftau new`, `contribute`, `prepare phase2`, about 5 s) is made once per session.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from bounds import bounded

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.field import BN254_Q, BN254_R
from zapiki.formats.ptau import PowersOfTau
from zapiki.kernels import fr, g1, g2, msm
from zapiki.kernels.ntt import root_of_unity

POWER = 8


@pytest.fixture(scope="session")
def snarkjs_ptau(snarkjs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ptau")
    steps = [
        ("powersoftau", "new", "bn128", str(POWER), "p0.ptau"),
        ("powersoftau", "contribute", "p0.ptau", "p1.ptau", "-e=zapiki test entropy", "-name=test"),
        ("powersoftau", "prepare", "phase2", "p1.ptau", "p.ptau"),
    ]
    for step in steps:
        done = snarkjs(*step, cwd=folder)
        assert done.returncode == 0, done.stdout + done.stderr
    return folder


def sections(path: Path) -> dict[int, bytes]:
    bf = parse_binfile(path.read_bytes(), b"ptau", "ptau", max_version=1)
    return {t: bytes(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}


def rebuild(secs: dict[int, bytes], **changes: bytes | None) -> bytes:
    merged = dict(secs)
    for key, body in changes.items():
        stype = int(key[1:])
        if body is None:
            merged.pop(stype)
        else:
            merged[stype] = body
    return write_binfile(b"ptau", 1, sorted(merged.items()))


def header(power: int, q: int = BN254_Q, n8: int = 32, ceremony: int | None = None) -> bytes:
    return struct.pack("<I", n8) + q.to_bytes(n8, "little") + struct.pack("<II", power, power if ceremony is None
                                                                          else ceremony)  # fmt: skip


def test_snarkjs_file_reads_back(snarkjs_ptau):
    with PowersOfTau.open(snarkjs_ptau / "p.ptau") as pot:
        assert (pot.power, pot.ceremony_power, pot.prepared) == (POWER, POWER, True)
        assert pot.tau_g1(2 * 256 - 1).shape == (511, 2, 4) and pot.tau_g2(256).shape == (256, 2, 2, 4)
        assert pot.lagrange_g1(POWER + 1).shape == (512, 2, 4) and pot.lagrange_g2(POWER).shape == (256, 2, 2, 4)
        assert pot.alpha_lagrange_g1(3).shape == pot.beta_lagrange_g1(3).shape == (8, 2, 4)
        # tau^0 G1 is the generator; the points are on their curves
        assert g1.to_ints(pot.tau_g1(1)) == g1.to_ints(g1.generator())
        assert g2.to_ints(pot.tau_g2(1)) == g2.to_ints(g2.generator())
        assert g1.on_curve(pot.lagrange_g1(5)).all() and g2.in_subgroup(pot.lagrange_g2(2)).all()
        assert g1.on_curve(pot.alpha_g1).all() and g2.on_curve(pot.beta_g2).all() and pot.beta_g1.shape == (1, 2, 4)
        assert len(pot.fingerprint) == 64 and len(pot.sha256()) == 64


def test_lagrange_bases_are_the_ifft_of_the_powers(snarkjs_ptau):
    """Basis k, point i = (1/m) sum_j tau^j omega^(-ij) G1 (m = 2^k); the top basis (k = power + 1) is built
    without tau^(m-1), as snarkjs builds it."""
    with PowersOfTau.open(snarkjs_ptau / "p.ptau") as pot:
        for k in (0, 3, POWER + 1):
            m = 1 << k
            powers = pot.tau_g1(min(m, 2 ** (POWER + 1) - 1))
            basis = pot.lagrange_g1(k)
            w_inv = pow(root_of_unity(k), -1, BN254_R)
            m_inv = pow(m, -1, BN254_R)
            for i in (0, m - 1):
                ks = [m_inv * pow(w_inv, i * j, BN254_R) % BN254_R for j in range(powers.shape[0])]
                want = g1.to_affine(msm(powers, fr.from_montgomery(fr.from_ints(ks))))
                assert g1.to_ints(want) == g1.to_ints(basis[i : i + 1]), (k, i)


def test_fingerprint_tells_files_apart(snarkjs_ptau):
    with PowersOfTau.open(snarkjs_ptau / "p.ptau") as a, PowersOfTau.open(snarkjs_ptau / "p1.ptau") as b:
        assert a.fingerprint != b.fingerprint and not b.prepared
    data = (snarkjs_ptau / "p.ptau").read_bytes()
    with PowersOfTau.open(data) as c:
        assert c.fingerprint == PowersOfTau.open(snarkjs_ptau / "p.ptau").fingerprint
        assert c.sha256() == PowersOfTau.open(snarkjs_ptau / "p.ptau").sha256()


def test_not_prepared_says_to_run_prepare_phase2(snarkjs_ptau):
    with PowersOfTau.open(snarkjs_ptau / "p1.ptau") as pot:
        assert pot.tau_g1(4).shape == (4, 2, 4)  # phase-1 points are there
        with pytest.raises(FormatError, match="prepare phase2"):
            pot.lagrange_g1(2)


@pytest.mark.parametrize("cut", [10, 100, 5000, -1])
def test_truncated_file(snarkjs_ptau, cut):
    data = (snarkjs_ptau / "p.ptau").read_bytes()
    with bounded(), pytest.raises(FormatError, match="truncated|section"):
        PowersOfTau.open(data[:cut])


@pytest.mark.parametrize("power", [POWER - 1, POWER + 1, 27, 2**32 - 1])
def test_lying_power(snarkjs_ptau, power):
    secs = sections(snarkjs_ptau / "p.ptau")
    blob = rebuild(secs, s1=header(power))
    with bounded(max_peak=8 << 20), pytest.raises(FormatError) as exc:
        PowersOfTau.open(blob)
    assert f"power={power}" in str(exc.value)


def test_section_size_names_the_section(snarkjs_ptau):
    secs = sections(snarkjs_ptau / "p.ptau")
    with pytest.raises(FormatError, match=r"section 13 \(tau G2 Lagrange\).*power=8"):
        PowersOfTau.open(rebuild(secs, s13=secs[13][:-128]))
    with pytest.raises(FormatError, match=r"missing section 2 \(tauG1\)"):
        PowersOfTau.open(rebuild(secs, s2=None))
    with pytest.raises(FormatError, match=r"Lagrange sections \[14\] are missing"):
        PowersOfTau.open(rebuild(secs, s14=None))


def test_missing_section_12_is_not_prepared(snarkjs_ptau):
    secs = sections(snarkjs_ptau / "p.ptau")
    blob = rebuild(secs, s12=None, s13=None, s14=None, s15=None)
    with PowersOfTau.open(blob) as pot, pytest.raises(FormatError, match="not prepared for phase 2"):
        pot.beta_lagrange_g1(1)


def test_wrong_curve_or_prime(snarkjs_ptau):
    secs = sections(snarkjs_ptau / "p.ptau")
    bls_q = int("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab", 16)
    with pytest.raises(FormatError, match="field size n8=48"):
        PowersOfTau.open(rebuild(secs, s1=header(POWER, bls_q, 48)))
    with pytest.raises(FormatError, match="is not BN254's"):
        PowersOfTau.open(rebuild(secs, s1=header(POWER, BN254_R)))
    with pytest.raises(FormatError, match="wrong magic"):
        PowersOfTau.open(b"zkey" + (snarkjs_ptau / "p.ptau").read_bytes()[4:])


def test_coordinate_above_q_is_refused(snarkjs_ptau):
    secs = sections(snarkjs_ptau / "p.ptau")
    bad = bytearray(secs[12])
    bad[64 * 3 : 64 * 3 + 32] = b"\xff" * 32  # section point 3 = basis 2^2, point 0, x
    with PowersOfTau.open(rebuild(secs, s12=bytes(bad))) as pot:
        assert pot.lagrange_g1(1).shape == (2, 2, 4)
        with pytest.raises(FormatError, match=r"section 12 \(tau G1 Lagrange\): point 3 has a coordinate >= q"):
            pot.lagrange_g1(2)


def test_out_of_range_requests(snarkjs_ptau):
    with PowersOfTau.open(snarkjs_ptau / "p.ptau") as pot:
        with pytest.raises(FormatError, match="2\\^0 .. 2\\^8"):
            pot.lagrange_g2(POWER + 1)
        with pytest.raises(FormatError, match="holds 256"):
            pot.tau_g2(257)


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(FormatError, match="cannot read"):
        PowersOfTau.open(tmp_path / "nope.ptau")
    (tmp_path / "empty.ptau").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        PowersOfTau.open(tmp_path / "empty.ptau")


def test_arrays_outlive_the_file(snarkjs_ptau):
    pot = PowersOfTau.open(snarkjs_ptau / "p.ptau")
    pts = pot.lagrange_g1(2)
    pot.close()
    assert pts.flags.writeable and g1.on_curve(pts).all()  # a copy, readable after the map is gone

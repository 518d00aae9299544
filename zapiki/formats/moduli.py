"""The BN254 moduli as Python ints, importable without numpy (short-lived commands parse JSON with them).

>>> BN254_R < BN254_Q
True
"""

# r: the order of G1 and G2, the scalar field (witness values, coefficients, public signals)
BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
# q: the base field (point coordinates)
BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

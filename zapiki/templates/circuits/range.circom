pragma circom 2.0.0;

// A committed value lies in a public range: the prover knows `value` and `salt` with
// Poseidon([value, salt]) == commitment and min <= value <= max, all of value, min and max below 2^64.
//   public inputs:  commitment, min, max
//   private inputs: value, salt (salt: any field element)

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

template Range() {
    signal input value;
    signal input salt;
    signal input commitment;
    signal input min;
    signal input max;

    // Each operand of the comparators below 2^64, as LessEqThan(64) requires (else it could be fooled by
    // values that wrap around the field).
    component valueBits = Num2Bits(64);
    valueBits.in <== value;
    component minBits = Num2Bits(64);
    minBits.in <== min;
    component maxBits = Num2Bits(64);
    maxBits.in <== max;

    component h = Poseidon(2);
    h.inputs[0] <== value;
    h.inputs[1] <== salt;
    commitment === h.out;

    component aboveMin = LessEqThan(64);
    aboveMin.in[0] <== min;
    aboveMin.in[1] <== value;
    aboveMin.out === 1;

    component belowMax = LessEqThan(64);
    belowMax.in[0] <== value;
    belowMax.in[1] <== max;
    belowMax.out === 1;
}

component main {public [commitment, min, max]} = Range();

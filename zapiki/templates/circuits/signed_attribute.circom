pragma circom 2.0.0;

// An issuer-signed attribute value compares with a public threshold: the prover knows `value` and an
// EdDSA-Poseidon (Baby Jubjub) signature by the key (issuer_ax, issuer_ay) on M = Poseidon([attribute, value]),
// value and threshold below 2^64, such that
//   comparison 0: value >= threshold;  1: value <= threshold;  2: value == threshold
// (any other comparison has no proof).
//   public inputs:  issuer_ax, issuer_ay, attribute, threshold, comparison
//   private inputs: value, sig_r8x, sig_r8y, sig_s
// The issuer's key and the signature's R8 are points of Baby Jubjub. The circuit does not say who the issuer
// is: a verifier must check (issuer_ax, issuer_ay) is a key it trusts.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/babyjub.circom";

template SignedAttribute() {
    signal input value;
    signal input sig_r8x;
    signal input sig_r8y;
    signal input sig_s;
    signal input issuer_ax;
    signal input issuer_ay;
    signal input attribute;
    signal input threshold;
    signal input comparison;

    component valueBits = Num2Bits(64);
    valueBits.in <== value;
    component thresholdBits = Num2Bits(64);
    thresholdBits.in <== threshold;

    component msg = Poseidon(2);
    msg.inputs[0] <== attribute;
    msg.inputs[1] <== value;

    // Both points on Baby Jubjub (circomlib's verifier takes them as they come): an honest signature's R8 always
    // is, and off the curve its addition formulas are no group law (an exceptional R8 can leave its sum's x free).
    component issuerOnCurve = BabyCheck();
    issuerOnCurve.x <== issuer_ax;
    issuerOnCurve.y <== issuer_ay;
    component r8OnCurve = BabyCheck();
    r8OnCurve.x <== sig_r8x;
    r8OnCurve.y <== sig_r8y;

    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== issuer_ax;
    sig.Ay <== issuer_ay;
    sig.S <== sig_s;
    sig.R8x <== sig_r8x;
    sig.R8y <== sig_r8y;
    sig.M <== msg.out;

    // One-hot selector: exactly one of comparison == 0, 1, 2 (each IsEqual output a bit equal to 1 iff equal),
    // so comparison is in {0, 1, 2}.
    component is0 = IsEqual();
    is0.in[0] <== comparison;
    is0.in[1] <== 0;
    component is1 = IsEqual();
    is1.in[0] <== comparison;
    is1.in[1] <== 1;
    component is2 = IsEqual();
    is2.in[0] <== comparison;
    is2.in[1] <== 2;
    is0.out + is1.out + is2.out === 1;

    component ge = GreaterEqThan(64);
    ge.in[0] <== value;
    ge.in[1] <== threshold;
    component le = LessEqThan(64);
    le.in[0] <== value;
    le.in[1] <== threshold;
    component eq = IsEqual();
    eq.in[0] <== value;
    eq.in[1] <== threshold;

    // The selected comparison holds: the sum of (selector * result) is the selected result (a bit).
    signal holds0;
    signal holds1;
    signal holds2;
    holds0 <== is0.out * ge.out;
    holds1 <== is1.out * le.out;
    holds2 <== is2.out * eq.out;
    holds0 + holds1 + holds2 === 1;
}

component main {public [issuer_ax, issuer_ay, attribute, threshold, comparison]} = SignedAttribute();

pragma circom 2.0.0;

// An issuer-signed birth date is at least `min_age` years before `today`: the prover knows `birth_date` and
// an EdDSA-Poseidon (Baby Jubjub) signature by the key (issuer_ax, issuer_ay) on
// M = Poseidon([ATTR, birth_date]), ATTR = int.from_bytes(b"birth_date", "big"), with
// birth_date + min_age * 10000 <= today (dates as YYYYMMDD integers: the min_age-th birthday is on or before
// today).
//   public inputs:  issuer_ax, issuer_ay, min_age, today
//   private inputs: birth_date, sig_r8x, sig_r8y, sig_s
// The issuer's key and the signature's R8 are points of Baby Jubjub. The circuit does not say who the issuer
// is: a verifier must check (issuer_ax, issuer_ay) is a key it trusts.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/babyjub.circom";

template AgeAtLeast() {
    signal input birth_date;
    signal input sig_r8x;
    signal input sig_r8y;
    signal input sig_s;
    signal input issuer_ax;
    signal input issuer_ay;
    signal input min_age;
    signal input today;

    // int.from_bytes(b"birth_date", "big")
    var ATTR = 0x62697274685f64617465;

    component birthBits = Num2Bits(32);
    birthBits.in <== birth_date;
    component todayBits = Num2Bits(32);
    todayBits.in <== today;
    component ageBits = Num2Bits(8);
    ageBits.in <== min_age;

    component msg = Poseidon(2);
    msg.inputs[0] <== ATTR;
    msg.inputs[1] <== birth_date;

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

    // birth_date + min_age * 10000 < 2^32 + 2^22: LessThan(32) inside LessEqThan(32) decomposes
    // birth_date + min_age * 10000 + 2^32 - today - 1 into 33 bits, which has no solution (rather than a wrong
    // one) when the left side is 2^33 or more; below that the comparison is exact.
    component old = LessEqThan(32);
    old.in[0] <== birth_date + min_age * 10000;
    old.in[1] <== today;
    old.out === 1;
}

component main {public [issuer_ax, issuer_ay, min_age, today]} = AgeAtLeast();

pragma circom 2.0.0;

// Knowledge of a Poseidon preimage: the prover knows `preimage` with Poseidon([preimage]) == hash.
//   public input:  hash
//   private input: preimage (any field element)

include "circomlib/circuits/poseidon.circom";

template HashPreimage() {
    signal input preimage;
    signal input hash;

    component h = Poseidon(1);
    h.inputs[0] <== preimage;
    hash === h.out;
}

component main {public [hash]} = HashPreimage();

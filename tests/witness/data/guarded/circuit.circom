pragma circom 2.0.0;
// Built with: npx circom2@0.2.23 circuit.circom --wasm  (circuit.wasm is the generated guarded_js/guarded.wasm).
// Expected witnesses in ../snarkjs_vectors.json come from snarkjs@0.7.6 `wtns calculate`.

// Test circuit for the witness calculator's error paths: an assert, array inputs and log().
template Guarded(n) {
    signal input xs[n];
    signal input limit;
    signal output total;
    var acc = 0;
    for (var i = 0; i < n; i++) {
        acc += xs[i];
    }
    assert(acc < limit);
    log("total", acc);
    total <== acc * limit;
}

component main {public [limit]} = Guarded(3);

pragma circom 2.0.0;

// Membership in a Poseidon Merkle tree of depth 20, with a scoped nullifier: the prover knows `value` and
// `secret` such that the leaf Poseidon([value, secret]) lies in the tree of root `root`, and outputs
// nullifier = Poseidon([secret, scope]) (one nullifier per secret and scope: it links two proofs of the same
// secret in the same scope, and nothing else).
//   public inputs:  root, scope
//   public output:  nullifier
//   private inputs: value, secret, path_elements[20] (the siblings, leaf level first),
//                   path_indices[20] (0: the current node is the left child, 1: the right child)
// Tree convention: empty leaves 0; node = Poseidon([left, right]).

include "circomlib/circuits/poseidon.circom";

template SetMembership(depth) {
    signal input value;
    signal input secret;
    signal input path_elements[depth];
    signal input path_indices[depth];
    signal input root;
    signal input scope;
    signal output nullifier;

    component leaf = Poseidon(2);
    leaf.inputs[0] <== value;
    leaf.inputs[1] <== secret;

    component hashes[depth];
    signal cur[depth + 1];
    signal left[depth];
    cur[0] <== leaf.out;
    for (var i = 0; i < depth; i++) {
        // Each index a bit: anything else would mix the two children.
        path_indices[i] * (path_indices[i] - 1) === 0;
        // index 0: (cur, sibling); index 1: (sibling, cur)
        left[i] <== cur[i] + path_indices[i] * (path_elements[i] - cur[i]);
        hashes[i] = Poseidon(2);
        hashes[i].inputs[0] <== left[i];
        hashes[i].inputs[1] <== cur[i] + path_elements[i] - left[i];
        cur[i + 1] <== hashes[i].out;
    }
    root === cur[depth];

    component nul = Poseidon(2);
    nul.inputs[0] <== secret;
    nul.inputs[1] <== scope;
    nullifier <== nul.out;
}

component main {public [root, scope]} = SetMembership(20);

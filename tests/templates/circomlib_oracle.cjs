// Poseidon hashes, Baby Jubjub EdDSA-Poseidon keys and signatures and Poseidon Merkle paths from circomlibjs,
// the reference the template circuits are checked against (tests/templates/test_circuits.py).
//
// Reads {"name": request, ...} as JSON on stdin and writes {"name": result, ...} on stdout; every number is a
// decimal string both ways. Requests:
//   {"poseidon": [x, ...]}                           -> Poseidon([x, ...])
//   {"public_key": "seed"}                           -> [Ax, Ay] of the private key sha256(seed)
//   {"sign": {"key": "seed", "message": [x, ...]}}   -> {"r8x", "r8y", "s"}: the key's EdDSA-Poseidon signature
//                                                       on M = Poseidon([x, ...])
//   {"merkle": {"depth": d, "leaves": [[x, ...], ...], "index": i}}
//        -> {"root", "path_elements", "path_indices"} of leaf i in the tree of 2^d leaves: Poseidon([x, ...]) of
//           each given preimage first, the rest 0; node = Poseidon([left, right])
// Run with NODE_PATH pointing at the node_modules holding circomlibjs.
"use strict";

const crypto = require("crypto");
const { buildPoseidon, buildEddsa } = require("circomlibjs");

function readStdin() {
    return new Promise((resolve, reject) => {
        const chunks = [];
        process.stdin.on("data", (c) => chunks.push(c));
        process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        process.stdin.on("error", reject);
    });
}

async function main() {
    const requests = JSON.parse(await readStdin());
    const poseidon = await buildPoseidon();
    const eddsa = await buildEddsa();
    const F = poseidon.F;
    const str = (x) => F.toObject(x).toString();
    const hash = (xs) => poseidon(xs.map((x) => BigInt(x)));
    const privateKey = (seed) => crypto.createHash("sha256").update(seed).digest();

    function merkle({ depth, leaves, index }) {
        let level = leaves.map(hash);
        let zero = F.e(0n);
        let i = index;
        const pathElements = [];
        const pathIndices = [];
        for (let d = 0; d < depth; d++) {
            const sibling = i ^ 1;
            pathElements.push(str(sibling < level.length ? level[sibling] : zero));
            pathIndices.push(String(i & 1));
            const next = [];
            for (let j = 0; j < level.length; j += 2) {
                next.push(poseidon([level[j], j + 1 < level.length ? level[j + 1] : zero]));
            }
            level = next;
            zero = poseidon([zero, zero]);
            i >>= 1;
        }
        return { root: str(level.length ? level[0] : zero), path_elements: pathElements, path_indices: pathIndices };
    }

    const results = {};
    for (const [name, req] of Object.entries(requests)) {
        if (req.poseidon) {
            results[name] = str(hash(req.poseidon));
        } else if (req.public_key) {
            results[name] = eddsa.prv2pub(privateKey(req.public_key)).map(str);
        } else if (req.sign) {
            const prv = privateKey(req.sign.key);
            const msg = hash(req.sign.message);
            const sig = eddsa.signPoseidon(prv, msg);
            if (!eddsa.verifyPoseidon(msg, sig, eddsa.prv2pub(prv))) throw new Error(`${name}: signature does not verify`);
            results[name] = { r8x: str(sig.R8[0]), r8y: str(sig.R8[1]), s: sig.S.toString() };
        } else if (req.merkle) {
            results[name] = merkle(req.merkle);
        } else {
            throw new Error(`${name}: unknown request ${JSON.stringify(req)}`);
        }
    }
    process.stdout.write(JSON.stringify(results));
}

main().then(
    () => process.exit(0),
    (err) => {
        process.stderr.write(`${err.stack || err}\n`);
        process.exit(1);
    },
);

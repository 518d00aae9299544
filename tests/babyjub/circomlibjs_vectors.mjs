// Reference answers from circomlibjs (and the blake-hash package its EdDSA uses), for tests/babyjub.
//
// Usage: node circomlibjs_vectors.mjs NODE_MODULES < request.json > answers.json
// The request names what to compute; each key is optional and every list is answered in order:
//   {"poseidon": [["1", "2"], ...],                 -> decimal strings (buildPoseidon, the one eddsa uses)
//    "poseidon_reference": [["1", "2"], ...],       -> decimal strings (buildPoseidonReference)
//    "blake512": ["<hex>", ...],                    -> hex digests
//    "prv2pub": ["<hex private key>", ...],         -> [ax, ay, packed hex]
//    "sign": [["<hex private key>", "<msg>"], ...]  -> {r8x, r8y, s, packed} (signPoseidon, packSignature)
//    "verify": [{msg, r8x, r8y, s, ax, ay}, ...]    -> booleans (verifyPoseidon)
//    "pack": [["x", "y"], ...]                      -> hex (packPoint)
//    "unpack": ["<hex>", ...]                       -> ["x", "y"] or null (unpackPoint)
//    "unpack_signature": ["<hex>", ...]}            -> {r8x, r8y, s} or null
// Field elements travel as decimal strings. This script is ours; circomlibjs itself is only called.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const modules = resolve(process.argv[2]);
const circomlibjs = await import(pathToFileURL(join(modules, "circomlibjs", "main.js")).href);
const require = createRequire(join(modules, "circomlibjs", "package.json"));
const createBlakeHash = require("blake-hash");

const request = JSON.parse(readFileSync(0, "utf8"));
const needs = (...keys) => keys.some((k) => k in request);
// Build only what the request needs: buildEddsa alone takes about two seconds (it builds every hash it knows).
const eddsa = needs("prv2pub", "sign", "verify", "unpack_signature") ? await circomlibjs.buildEddsa() : null;
const babyJub = eddsa ? eddsa.babyJub : needs("pack", "unpack") ? await circomlibjs.buildBabyjub() : null;
const poseidon = eddsa ? eddsa.poseidon : needs("poseidon") ? await circomlibjs.buildPoseidon() : null;
const F = babyJub ? babyJub.F : poseidon?.F;
const str = (e) => F.toString(e);
const hex = (b) => Buffer.from(b).toString("hex");
const point = (x, y) => [F.e(BigInt(x)), F.e(BigInt(y))];

const answers = {};
if (request.poseidon) {
  answers.poseidon = request.poseidon.map((inputs) => str(poseidon(inputs.map(BigInt))));
}
if (request.poseidon_reference) {
  const reference = await circomlibjs.buildPoseidonReference();
  answers.poseidon_reference = request.poseidon_reference.map((inputs) =>
    reference.F.toString(reference(inputs.map(BigInt))),
  );
}
if (request.blake512) {
  answers.blake512 = request.blake512.map((data) =>
    createBlakeHash("blake512").update(Buffer.from(data, "hex")).digest("hex"),
  );
}
if (request.prv2pub) {
  answers.prv2pub = request.prv2pub.map((prv) => {
    const A = eddsa.prv2pub(Buffer.from(prv, "hex"));
    return [str(A[0]), str(A[1]), hex(babyJub.packPoint(A))];
  });
}
if (request.sign) {
  answers.sign = request.sign.map(([prv, msg]) => {
    const sig = eddsa.signPoseidon(Buffer.from(prv, "hex"), F.e(BigInt(msg)));
    return { r8x: str(sig.R8[0]), r8y: str(sig.R8[1]), s: sig.S.toString(), packed: hex(eddsa.packSignature(sig)) };
  });
}
if (request.verify) {
  answers.verify = request.verify.map((v) =>
    eddsa.verifyPoseidon(F.e(BigInt(v.msg)), { R8: point(v.r8x, v.r8y), S: BigInt(v.s) }, point(v.ax, v.ay)),
  );
}
if (request.pack) {
  answers.pack = request.pack.map(([x, y]) => hex(babyJub.packPoint(point(x, y))));
}
if (request.unpack) {
  answers.unpack = request.unpack.map((data) => {
    const P = babyJub.unpackPoint(Buffer.from(data, "hex"));
    return P === null ? null : [str(P[0]), str(P[1])];
  });
}
if (request.unpack_signature) {
  answers.unpack_signature = request.unpack_signature.map((data) => {
    const sig = eddsa.unpackSignature(Buffer.from(data, "hex"));
    return sig.R8 === null ? null : { r8x: str(sig.R8[0]), r8y: str(sig.R8[1]), s: sig.S.toString() };
  });
}
process.stdout.write(JSON.stringify(answers));
process.exit(0);

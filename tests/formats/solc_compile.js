// Compiles Solidity with solcjs (npm `solc`): standard JSON input on stdin, standard JSON output on stdout.
// Usage: node solc_compile.js PATH_TO_SOLC_PACKAGE < input.json
const solc = require(process.argv[2]);
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => { process.stdout.write(solc.compile(input)); });

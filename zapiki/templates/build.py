"""Compile the proof templates' circuits (``circuits/<id>.circom``) into the package data under ``compiled/``.

For each circuit ``<id>``, circom 2 (``--r1cs --wasm --sym --O2``, circomlib from ``-l``) gives the shipped

* ``<id>.r1cs``: the constraint system (the setup and the prover's constraint check read it);
* ``<id>.wasm``: the witness calculator;
* ``<id>.json``: ``{"public_signals": [...], "constraints": N, "wires": N, "circom": "2.x.y"}``, the public
  signals' names in witness order (witness indices 1..nPublic, outputs first, read from the ``.sym`` file).

``python -m zapiki.templates.build`` rebuilds them all (or the ids given); ``--check`` builds into a temporary
folder and exits 1 naming each shipped file that differs from what the sources give (circom's output is
deterministic: the same sources and compiler give the same bytes). ``make templates`` runs it with the circom2
and circomlib that ``.ci/node`` pins.

The compiler is ``--circom``, else ``$ZAPIKI_CIRCOM``, else ``.ci/node/node_modules/.bin/circom2`` in the
repository, else ``circom2`` or ``circom`` on the PATH; circomlib is looked up under ``--lib`` (default
``.ci/node/node_modules``: the circuits include ``circomlib/circuits/...``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CIRCUITS = HERE / "circuits"
COMPILED = HERE / "compiled"
REPO = HERE.parent.parent
NODE_MODULES = REPO / ".ci" / "node" / "node_modules"
#: What is shipped per circuit id.
SUFFIXES = (".r1cs", ".wasm", ".json")
TIMEOUT_S = 600


class BuildError(RuntimeError):
    """The compiler is missing or failed, or its output is not what was expected."""


def circuit_ids() -> list[str]:
    """The ids of the circuits under ``circuits/``, sorted."""
    return sorted(p.stem for p in CIRCUITS.glob("*.circom"))


def find_circom(explicit: str | None = None) -> str:
    """The circom 2 compiler to run (see the module's docstring); raises :class:`BuildError` when none is found."""
    for candidate in (explicit, os.environ.get("ZAPIKI_CIRCOM")):
        if candidate:
            found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
            if found is None:
                raise BuildError(f"circom compiler {candidate!r} not found")
            return found
    local = NODE_MODULES / ".bin" / "circom2"
    if local.exists():
        return str(local)
    for name in ("circom2", "circom"):
        found = shutil.which(name)
        if found:
            return found
    raise BuildError("no circom 2 compiler: run `make templates` (installs circom2 into .ci/node) or pass --circom")


def circom_version(circom: str) -> str:
    """The compiler's version, ``2.x.y`` (``circom --version`` prints ``circom compiler 2.2.3``)."""
    done = subprocess.run([circom, "--version"], capture_output=True, text=True, timeout=120)
    found = re.findall(r"circom compiler (\d+\.\d+\.\d+)", done.stdout) or re.findall(r"(\d+\.\d+\.\d+)", done.stdout)
    if done.returncode != 0 or not found:
        raise BuildError(f"{circom} --version: {(done.stdout + done.stderr).strip()!r}")
    return found[-1]


def public_signals(sym: str, n_public: int) -> list[str]:
    """The names of witness indices ``1..n_public`` in a ``.sym`` file (rows ``label,witness,component,name``),
    without the ``main.`` prefix.

    >>> public_signals("1,1,0,main.out\\n2,2,0,main.a\\n3,-1,0,main.t\\n4,3,0,main.b\\n", 2)
    ['out', 'a']
    """
    names: dict[int, str] = {}
    for line in sym.splitlines():
        parts = line.split(",", 3)
        if len(parts) == 4 and parts[1].lstrip("-").isdigit():
            index = int(parts[1])
            if 1 <= index <= n_public:
                names.setdefault(index, parts[3].removeprefix("main."))
    missing = [i for i in range(1, n_public + 1) if i not in names]
    if missing:
        raise BuildError(f"the .sym file names no signal for witness indices {missing}")
    return [names[i] for i in range(1, n_public + 1)]


def compile_circuit(circuit_id: str, out: Path, circom: str, lib: Path, version: str) -> None:
    """Compile ``circuits/<circuit_id>.circom`` and write its shipped files into ``out``."""
    from zapiki.formats.r1cs import read_r1cs_header

    with tempfile.TemporaryDirectory(prefix=f"zapiki-{circuit_id}-") as tmp:
        source = CIRCUITS / f"{circuit_id}.circom"
        cmd = [circom, str(source), "--r1cs", "--wasm", "--sym", "--O2", "-l", str(lib), "-o", tmp]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"{circuit_id}: circom ran past {TIMEOUT_S} s") from exc
        r1cs = Path(tmp) / f"{circuit_id}.r1cs"
        wasm = Path(tmp) / f"{circuit_id}_js" / f"{circuit_id}.wasm"
        sym = Path(tmp) / f"{circuit_id}.sym"
        if done.returncode != 0 or not (r1cs.exists() and wasm.exists() and sym.exists()):
            raise BuildError(f"{circuit_id}: circom failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
        header = read_r1cs_header(r1cs)
        info = {
            "public_signals": public_signals(sym.read_text(), header.n_public),
            "constraints": header.n_constraints,
            "wires": header.n_wires,
            "circom": version,
        }
        shutil.copyfile(r1cs, out / f"{circuit_id}.r1cs")
        shutil.copyfile(wasm, out / f"{circuit_id}.wasm")
        (out / f"{circuit_id}.json").write_text(json.dumps(info, indent=2) + "\n")


def build(out: Path, ids: Sequence[str], circom: str, lib: Path) -> None:
    """Compile ``ids`` into ``out`` (several compilers at once)."""
    version = circom_version(circom)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, min(len(ids), os.cpu_count() or 1))) as pool:
        for future in [pool.submit(compile_circuit, i, out, circom, lib, version) for i in ids]:
            future.result()


def differences(built: Path, shipped: Path, ids: Sequence[str]) -> list[str]:
    """The shipped files (relative to ``shipped``) that are missing or differ from those in ``built``."""
    return [
        f"{i}{suffix}"
        for i in ids
        for suffix in SUFFIXES
        if not (shipped / f"{i}{suffix}").is_file()
        or (shipped / f"{i}{suffix}").read_bytes() != (built / f"{i}{suffix}").read_bytes()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zapiki.templates.build", description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="circuit ids (default: every circuits/*.circom)")
    parser.add_argument("--check", action="store_true", help="build into a temporary folder; exit 1 on differences")
    parser.add_argument("--circom", help="the circom 2 compiler (default: see the module's docstring)")
    parser.add_argument("--lib", type=Path, default=NODE_MODULES, help="the folder holding circomlib/")
    args = parser.parse_args(argv)
    known = circuit_ids()
    ids = args.ids or known
    unknown = sorted(set(ids) - set(known))
    if unknown:
        parser.error(f"no circuits/{unknown[0]}.circom (circuits: {', '.join(known)})")
    try:
        circom = find_circom(args.circom)
        if not (args.lib / "circomlib" / "circuits").is_dir():
            raise BuildError(f"circomlib not found under {args.lib} (run `make templates` or pass --lib)")
        if not args.check:
            build(COMPILED, ids, circom, args.lib)
            print(f"built {', '.join(ids)} into {COMPILED}")
            return 0
        with tempfile.TemporaryDirectory(prefix="zapiki-templates-") as tmp:
            build(Path(tmp), ids, circom, args.lib)
            differ = differences(Path(tmp), COMPILED, ids)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if differ:
        print(
            "shipped template files differ from what the sources give (rebuild: make templates): "
            + ", ".join(f"zapiki/templates/compiled/{name}" for name in differ),
            file=sys.stderr,
        )
        return 1
    print(f"the shipped files of {', '.join(ids)} are what the sources give")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compiled circuits are kept on disk (wasmtime's code cache in a private folder), so a fresh process computes a
witness of a circuit it has seen before without compiling it again; the cache can be turned off, a folder open
to others is never used, and a damaged cache entry is compiled again rather than trusted."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WITNESS = """
from pathlib import Path
from zapiki.witness import WitnessCalculator
fx = Path("tests/fixtures/groth16/multiplier")
ok = WitnessCalculator(fx / "circuit.wasm").calculate_wtns({"a": 3, "b": 11}) == (fx / "witness.wtns").read_bytes()
print("witness ok" if ok else "witness WRONG")
"""


def _witness_in_a_fresh_process(cache: str | None, **env_vars: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "ZAPIKI_WASM_CACHE"} | env_vars
    if cache is not None:
        env["ZAPIKI_WASM_CACHE"] = cache
    done = subprocess.run(
        [sys.executable, "-c", WITNESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "witness ok" in done.stdout, done.stdout + done.stderr
    return done.stderr


def _artifacts(folder: Path) -> dict[Path, float]:
    """The compiled modules kept (not wasmtime's usage counters or its per-process `.cleanup` marks)."""
    found = (folder / "modules").rglob("*")
    return {p: p.stat().st_mtime for p in found if p.is_file() and p.suffix != ".stats" and not p.name.startswith(".")}


def test_a_compiled_circuit_is_kept_in_a_private_folder_and_used_again(tmp_path):
    folder = tmp_path / "cache"
    _witness_in_a_fresh_process(str(folder))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "config.toml").stat().st_mode) == 0o600
    first = _artifacts(folder)
    assert first, "nothing compiled was kept"
    _witness_in_a_fresh_process(str(folder))
    assert _artifacts(folder) == first  # found and used: nothing compiled or written again


def test_a_damaged_cache_entry_is_compiled_again_not_trusted(tmp_path):
    folder = tmp_path / "cache"
    _witness_in_a_fresh_process(str(folder))
    kept = _artifacts(folder)
    assert kept, "nothing compiled was kept: there is nothing to damage"
    damaged = {}
    for path in kept:
        damaged[path] = os.urandom(path.stat().st_size)
        path.write_bytes(damaged[path])
    _witness_in_a_fresh_process(str(folder))  # still the right witness
    assert set(_artifacts(folder)) == set(kept)
    for path, junk in damaged.items():  # each damaged entry was refused, compiled again and written back
        assert path.read_bytes() != junk, f"{path.name} still holds the damaged bytes"


def test_the_cache_lives_in_the_users_cache_folder_unless_turned_off(tmp_path):
    xdg = tmp_path / "xdg"
    for value in ("off", "0"):
        _witness_in_a_fresh_process(value, XDG_CACHE_HOME=str(xdg))
    assert not (xdg / "zapiki" / "wasmtime").exists()
    _witness_in_a_fresh_process(None, XDG_CACHE_HOME=str(xdg))
    assert _artifacts(xdg / "zapiki" / "wasmtime")


def test_a_folder_open_to_others_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    log = _witness_in_a_fresh_process(str(shared))
    assert "wasm code cache off" in log and "lets group or others in" in log, log
    assert not (shared / "modules").exists() and not (shared / "config.toml").exists()

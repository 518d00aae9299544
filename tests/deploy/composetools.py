"""docker-compose 1.29.2, to check and resolve deploy/compose.yaml: it pins PyYAML<6, which the project cannot
take, so it lives in a virtual environment of its own under `.ci/docker-compose/.venv` (made on first use, kept;
PyYAML 5.4 has no wheel for this Python and is built with Cython<3, as its setup needs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPOSE_VENV = REPO / ".ci" / "docker-compose" / ".venv"


def docker_compose_exe() -> str:
    """The docker-compose executable, installed first if it is not yet."""
    exe = COMPOSE_VENV / "bin" / "docker-compose"
    done = COMPOSE_VENV / ".complete"
    if not done.exists():
        shutil.rmtree(COMPOSE_VENV, ignore_errors=True)
        pip = [str(COMPOSE_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        steps = [
            [sys.executable, "-m", "venv", str(COMPOSE_VENV)],
            pip + ["cython<3", "wheel", "setuptools"],
            pip + ["--no-build-isolation", "pyyaml==5.4.1"],
            pip + ["docker-compose==1.29.2"],
        ]
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, f"{step}: {proc.stderr[-2000:]}"
        done.touch()
    return str(exe)

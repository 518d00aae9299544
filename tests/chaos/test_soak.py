"""The chaos soak, bounded for CI: a real deployment (private PostgreSQL, scheduler, two supervised workers,
`zapiki serve`) under two users' mixed load while workers are SIGKILLed and SIGTERMed, the scheduler killed and
replaced, `zapiki serve` SIGKILLed and restarted and PostgreSQL restarted, at seeded random moments. Every
invariant must hold at the end. ZAPIKI_SOAK_SEED replays a run; ZAPIKI_SOAK_MINUTES makes it longer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zapiki.chaos import SoakOptions, run_soak
from zapiki.chaos.soak import ACTIONS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16" / "multiplier"


@pytest.mark.timeout(1800)
def test_every_invariant_holds_after_a_soak_of_random_blows(tmp_path, capsys):
    seed = int(os.environ.get("ZAPIKI_SOAK_SEED", "2026"))
    minutes = float(os.environ.get("ZAPIKI_SOAK_MINUTES", "3"))
    report = run_soak(SoakOptions(seed=seed, duration_s=minutes * 60, folder=tmp_path / "soak", circuit=FIXTURES))
    with capsys.disabled():
        print("\n" + "\n".join(report.lines()))
    assert report.violations == [], "\n".join(report.lines())
    figures = report.figures
    # the soak really did what it says: every kind of blow landed, and every kind of job ran
    assert figures["blows"].keys() == set(ACTIONS), figures
    assert figures["completed"] > 100 and figures["groth16_verified"] > 0, figures
    assert figures["cancels"] + figures["manual_retries"] > 0, figures

"""Chaos soak: a real deployment on this machine under a mixed load while processes are killed at random,
then every invariant of the job store checked. `python -m zapiki.chaos --seed N --minutes M`."""

from zapiki.chaos.soak import Report, SoakOptions, run_soak

__all__ = ["Report", "SoakOptions", "run_soak"]

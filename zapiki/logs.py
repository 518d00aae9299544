"""One logging setup for every process Zapiki runs (`zapiki serve`, `zapiki worker`'s Dask workers through the
preload, `zapiki scheduler`, the `zapiki db` commands): one line per event on stderr, with a timestamp, the
level, the logger's name and the message, in Dask's own format so that a worker's lines and Dask's read alike::

    2025-01-01 12:00:00,000 - zapiki.worker - INFO - Proof generation completed: <proof> (took 8 ms) [job <job>]

The level comes from ``ZAPIKI_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR; default INFO).

>>> level("warning") == logging.WARNING and level("15") == 15 and level(None, env={}) == logging.INFO
True
>>> level("loud")
Traceback (most recent call last):
...
ValueError: ZAPIKI_LOG_LEVEL='loud' is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

ENV = "ZAPIKI_LOG_LEVEL"
FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"  # distributed's `distributed.logging` format
DEFAULT = logging.INFO


def level(value: str | int | None = None, env: Mapping[str, str] | None = None) -> int:
    """The level `value` names (a name or a number), else ``$ZAPIKI_LOG_LEVEL``, else INFO."""
    if value is None or value == "":
        value = (os.environ if env is None else env).get(ENV, "") or DEFAULT
    if isinstance(value, int):
        return value
    text = value.strip().upper()
    if text.isdigit():
        return int(text)
    found = logging.getLevelNamesMapping().get(text)
    if found is None:
        raise ValueError(f"{ENV}={value!r} is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)")
    return found


def configure(value: str | int | None = None) -> int:
    """Log every logger's records at `value` (default: ``$ZAPIKI_LOG_LEVEL``, else INFO) and above to stderr,
    one line each, through one handler on the root logger (added once; a second call only sets the level).
    An unknown level is reported and INFO used: a typo must not stop a worker from joining. Returns the level."""
    try:
        chosen = level(value)
        problem = None
    except ValueError as exc:
        chosen, problem = DEFAULT, str(exc)
    root = logging.getLogger()
    if not any(getattr(h, "_zapiki", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._zapiki = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(chosen)
    zapiki = logging.getLogger("zapiki")
    zapiki.setLevel(logging.NOTSET)  # follow the root's level
    zapiki.propagate = True
    if problem:
        logging.getLogger("zapiki.logs").warning("%s; logging at INFO", problem)
    return chosen


def dask_level(value: str | int | None = None) -> str | None:
    """``$ZAPIKI_LOG_LEVEL`` (or `value`) as the level of Dask's own loggers in its configuration
    (``DASK_LOGGING__DISTRIBUTED``), for the Dask processes Zapiki starts; None when not set or not a level.

    >>> dask_level("WARNING"), dask_level("15"), dask_level("loud")
    ('warning', None, None)
    """
    if value is None:
        value = os.environ.get(ENV) or None
    if value is None:
        return None
    try:
        name = logging.getLevelName(level(value))
    except ValueError:
        return None
    return name.lower() if name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else None

"""Settings: `scheduler_config.yaml` (Dask's settings plus a `zapiki:` section), then environment variables.

Each setting is declared once, on :class:`Settings`: its name, type, default and where it sits in the
`zapiki:` section. :meth:`Settings.load` walks the declarations; environment variables follow one rule:
``ZAPIKI_<NAME>`` for a single value, ``ZAPIKI_<NAME>_<KEY>`` for a key of a mapping, plus the historical
names declared on their settings.

>>> s = Settings.load(env={"ZAPIKI_MAX_BODY_BYTES": "2048", "QUEUE_LOW_PRIORITY": "2"})
>>> s.max_body_bytes, s.queue_weights, s.circuit_limits["free"].max_constraints
(2048, {'high': 6, 'normal': 3, 'low': 2}, 65000)
>>> Settings.load(env={"ZAPIKI_LEASE_S": "soon"})
Traceback (most recent call last):
...
zapiki.errors.InputError: ZAPIKI_LEASE_S: Input should be a valid number, unable to parse string as a number
"""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path
from typing import Any

import dask.config
import yaml
from pydantic import ValidationError
from pydantic.dataclasses import dataclass

from zapiki.errors import InputError
from zapiki.limits import CircuitLimits, WasmLimits

PRIORITIES = ("high", "normal", "low")
DEFAULT_CONFIG_NAME = "scheduler_config.yaml"
ENV_PREFIX = "ZAPIKI_"


def _default_config_path() -> Path | None:
    """The config file: $ZAPIKI_CONFIG, else ./scheduler_config.yaml, else the one beside the package source."""
    env = os.environ.get("ZAPIKI_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path.cwd() / DEFAULT_CONFIG_NAME, Path(__file__).resolve().parent.parent / DEFAULT_CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def setting(default: Any, yaml: str | dict[str, str], env: str | dict[str, str] | None = None) -> Any:
    """Declare a setting: its default and its place in the `zapiki:` section (a dotted path, or for a mapping
    assembled from several places, ``{key: path}``); `env` names its historical variable(s) (``{key: name}``
    for keys of a mapping), honoured besides ``ZAPIKI_<NAME>``."""
    metadata = {"yaml": yaml, "env": env}
    if isinstance(default, (dict, list)) or dataclasses.is_dataclass(default):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """What the service reads from the `zapiki:` section; every field has a working default.

    A pydantic dataclass: values are validated (and coerced) when built, `dataclasses.replace` works.
    """

    database_url: str = setting("sqlite:///.zapiki/zapiki.db", "database_url", env="DATABASE_URL")
    queue_weights: dict[str, int] = setting(
        {"high": 6, "normal": 3, "low": 1},
        {p: f"queues.{p}" for p in PRIORITIES},
        env={p: f"QUEUE_{p.upper()}_PRIORITY" for p in PRIORITIES},
    )
    strict_priority: bool = setting(False, "queues.strict")
    max_retries: int = setting(3, "retry.max_retries")
    retry_delays_s: tuple[float, ...] = setting((0.0, 60.0, 300.0), "retry.delays_s")
    # a job that ran past its timeout fails for good unless this is true
    retry_timeouts: bool = setting(False, "retry.timeouts")
    default_timeout_s: float = setting(600.0, "timeout.default_s")
    max_timeout_s: float = setting(600.0, "timeout.max_s")
    in_flight_buffer: int = setting(1, "in_flight_buffer")
    batch_size: int = setting(500, "batch_size")
    lease_s: float = setting(30.0, "lease_s")
    # attempts in flight at once per user, by the user's tier (0: no cap); users take turns within a queue
    user_max_in_flight: dict[str, int] = setting({"free": 2, "pro": 16, "enterprise": 0}, "users.max_in_flight")
    # keys of these tiers may use the high queue
    high_priority_tiers: tuple[str, ...] = setting(("pro", "enterprise"), "users.high_priority_tiers")
    # bytes of circuit files (wasm, zkey, r1cs) a user may store, by tier (0: no quota)
    storage_quota_bytes: dict[str, int] = setting(
        {"free": 256 << 20, "pro": 8 << 30, "enterprise": 0}, "users.storage_quota_bytes"
    )
    shutdown_grace_s: float = setting(30.0, "shutdown_grace_s")  # how long `zapiki serve` waits for running jobs
    worker_concurrency: int = setting(1, "worker_concurrency", env="WORKER_CONCURRENCY")
    n_workers: int = setting(2, "n_workers")
    rate_limits: dict[str, int] = setting({"free": 10, "pro": 1000, "enterprise": 1_000_000}, "api.rate_limits")
    max_body_bytes: int = setting(1 << 20, "api.max_body_bytes")
    # a circuit upload (multipart), streamed to a temporary file
    max_upload_bytes: int = setting(256 << 20, "api.max_upload_bytes")
    max_batch_bytes: int = setting(32 << 20, "api.max_batch_bytes")  # POST /api/v1/proofs/batch
    max_batch_items: int = setting(10_000, "api.max_batch_items")  # jobs in one batch request
    # the largest circuit a key of each tier may upload (checked on the files' headers before any work)
    circuit_limits: dict[str, CircuitLimits] = setting(
        {
            "free": CircuitLimits(max_constraints=65_000, max_wires=131_072, max_public=256),
            "pro": CircuitLimits(max_constraints=261_000, max_wires=524_288, max_public=1_000),
            "enterprise": CircuitLimits(max_constraints=1_040_000, max_wires=2_097_152, max_public=4_096),
        },
        "circuits.limits",
    )
    # bounds on probing an uploaded circuit wasm
    wasm: WasmLimits = setting(
        WasmLimits(),
        {
            "max_bytes": "circuits.max_wasm_bytes",
            "cpu_s": "circuits.probe_cpu_s",
            "wall_s": "circuits.probe_wall_s",
            "memory_bytes": "circuits.probe_memory_bytes",
        },
    )
    # per process: witness calculators and parsed proving keys kept by each prover; circuit blobs the dispatcher
    # keeps scattered on the cluster (least recently used go first)
    cache_calculators: int = setting(8, "caches.calculators")
    cache_proving_keys: int = setting(4, "caches.proving_keys")
    cache_scattered_blobs: int = setting(16, "caches.scattered_blobs")
    # the powers-of-tau file (.ptau, prepared for phase 2) the proof templates' keys are made from; None: a
    # development setup, labelled as such wherever a template is shown (env ZAPIKI_TEMPLATES_PTAU)
    templates_ptau: str | None = setting(None, "templates.ptau")
    # the powers-of-tau file (.ptau, prepared for phase 2) PLONK circuits uploaded without a key are set up from:
    # one file for every circuit (universal setup), read with memory maps; None: such uploads are refused
    plonk_ptau: str | None = setting(None, "plonk.ptau")
    random_seed: int | None = setting(None, "random_seed")  # seeds the weighted queue choice (tests, reproducibility)
    dask: dict[str, Any] = dataclasses.field(default_factory=dict)  # the file outside the `zapiki:` section

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
        """Read `path` (or the default config file), apply environment overrides, and validate.

        For every declared setting: its default, replaced by the value at its place in the `zapiki:` section
        (a mapping is merged key by key into the default, nested mappings too), replaced by its environment
        variable when set and not empty: ``ZAPIKI_<NAME>`` for a setting holding one value (``ZAPIKI_LEASE_S``),
        ``ZAPIKI_<NAME>_<KEY>`` for each key of a mapping that holds one value (``ZAPIKI_RATE_LIMITS_FREE``,
        ``ZAPIKI_WASM_CPU_S``), else the setting's declared historical name (``DATABASE_URL``). A value of the
        wrong type is an InputError naming the YAML key or the variable it came from.
        """
        env = dict(os.environ if env is None else env)
        file = Path(path) if path is not None else _default_config_path()
        raw: dict[str, Any] = {}
        if file is not None:
            try:
                raw = yaml.safe_load(file.read_text()) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise InputError(f"cannot read config file {file}: {exc}") from exc
            if not isinstance(raw, dict):
                raise InputError(f"config file {file} must hold a mapping")
        section = raw.pop("zapiki", None) or {}
        if not isinstance(section, dict):
            raise InputError("zapiki: must be a mapping")
        base = cls()
        values: dict[str, Any] = {}
        origins: dict[tuple[Any, ...], str] = {}  # where each value given came from, for error messages
        for f in dataclasses.fields(cls):
            if "yaml" in f.metadata:
                values[f.name] = _read_setting(f, _plain(getattr(base, f.name)), section, env, origins)
        try:
            settings = cls(**values, dask=raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InputError(f"{_where(tuple(error['loc']), origins)}: {error['msg']}") from None
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise InputError naming the first setting that makes no sense."""
        if any(w < 0 for w in self.queue_weights.values()) or sum(self.queue_weights.values()) <= 0:
            raise InputError(f"queue weights must be >= 0 with a positive sum, got {self.queue_weights}")
        if self.max_retries < 0:
            raise InputError("retry.max_retries must be >= 0")
        if not self.retry_delays_s or any(d < 0 for d in self.retry_delays_s):
            raise InputError("retry.delays_s must be a non-empty list of delays >= 0")
        if not 0 < self.default_timeout_s <= self.max_timeout_s:
            raise InputError("timeout.default_s must be > 0 and <= timeout.max_s")
        if self.batch_size < 1 or self.in_flight_buffer < 0 or self.lease_s <= 0 or self.shutdown_grace_s < 0:
            raise InputError("batch_size must be >= 1, in_flight_buffer >= 0, lease_s > 0 and shutdown_grace_s >= 0")
        if self.worker_concurrency < 1 or self.n_workers < 1:
            raise InputError("worker_concurrency and n_workers must be >= 1")

    def apply_dask_config(self) -> None:
        """Load the Dask part of the file into `dask.config` (explicit settings already there still win)."""
        if self.dask:
            dask.config.update(dask.config.config, self.dask, priority="old")

    def retry_delay(self, retry_number: int) -> float:
        """Seconds to wait before retry `retry_number` (1-based); the schedule's last value repeats."""
        return self.retry_delays_s[min(retry_number, len(self.retry_delays_s)) - 1]


_MISSING = object()


def _plain(value: Any) -> Any:
    """A default as the YAML file would spell it: dataclasses become mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _lookup(section: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of the `zapiki:` section; _MISSING when absent or null."""
    node: Any = section
    keys = path.split(".")
    for i, key in enumerate(keys):
        if node is None:
            return _MISSING
        if not isinstance(node, dict):
            raise InputError(f"{'.'.join(keys[:i])}: must be a mapping")
        node = node.get(key)
    return _MISSING if node is None else node


def _merge(default: Any, given: Any) -> Any:
    """`given` over `default`, key by key where both are mappings."""
    if isinstance(default, dict) and isinstance(given, dict):
        return {**default, **{k: _merge(default.get(k), v) for k, v in given.items()}}
    return given


def _single(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _read_setting(
    f: dataclasses.Field[Any], default: Any, section: dict[str, Any], env: dict[str, str], origins: dict[tuple, str]
) -> Any:
    """One setting's value: its default, then the file, then the environment; records where values came from."""
    where, aliases = f.metadata["yaml"], f.metadata["env"]
    value = default
    for key, path in where.items() if isinstance(where, dict) else [(None, where)]:
        given = _lookup(section, path)
        if given is not _MISSING:
            value = _merge(value, given) if key is None else {**value, key: given}
            origins[(f.name,) if key is None else (f.name, key)] = path
    if _single(default):
        var = _first_set(env, f"{ENV_PREFIX}{f.name.upper()}", aliases)
        if var:
            value, origins[(f.name,)] = env[var], var
    elif isinstance(default, dict) and isinstance(value, dict):
        names = aliases if isinstance(aliases, dict) else {}
        for k, v in list(value.items()):
            var = _single(v) and _first_set(env, f"{ENV_PREFIX}{f.name.upper()}_{str(k).upper()}", names.get(k))
            if var:
                value, origins[(f.name, k)] = {**value, k: env[var]}, var
    return value


def _first_set(env: dict[str, str], *names: str | None) -> str | None:
    """The first of `names` set (and not empty) in `env`."""
    return next((name for name in names if name and env.get(name)), None)


def _where(loc: tuple, origins: dict[tuple, str]) -> str:
    """The YAML key or variable a validation error's location came from (`api.rate_limits.free`)."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return ".".join([origins[loc[:n]], *map(str, loc[n:])])
    return ".".join(map(str, loc))

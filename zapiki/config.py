"""Settings: `scheduler_config.yaml` (Dask's settings plus a `zapiki:` section), then environment variables.

>>> s = Settings.load()
>>> s.queue_weights["high"] >= s.queue_weights["low"]
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dask.config
import yaml

from zapiki.errors import InputError
from zapiki.systems.groth16.limits import CircuitLimits
from zapiki.witness.sandbox import WasmLimits

PRIORITIES = ("high", "normal", "low")
DEFAULT_CONFIG_NAME = "scheduler_config.yaml"


def _default_config_path() -> Path | None:
    """The config file: $ZAPIKI_CONFIG, else ./scheduler_config.yaml, else the one beside the package source."""
    env = os.environ.get("ZAPIKI_CONFIG")
    if env:
        return Path(env)
    for candidate in (Path.cwd() / DEFAULT_CONFIG_NAME, Path(__file__).resolve().parent.parent / DEFAULT_CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def _wasm_limits(section: dict[str, Any]) -> WasmLimits:
    base = WasmLimits()
    return WasmLimits(
        max_bytes=int(section.get("max_wasm_bytes", base.max_bytes)),
        cpu_s=int(section.get("probe_cpu_s", base.cpu_s)),
        wall_s=float(section.get("probe_wall_s", base.wall_s)),
        memory_bytes=int(section.get("probe_memory_bytes", base.memory_bytes)),
    )


@dataclass(frozen=True)
class Settings:
    """What the service reads from the `zapiki:` section; every field has a working default."""

    database_url: str = "sqlite:///.zapiki/zapiki.db"
    queue_weights: dict[str, int] = field(default_factory=lambda: {"high": 6, "normal": 3, "low": 1})
    strict_priority: bool = False
    max_retries: int = 3
    retry_delays_s: tuple[float, ...] = (0.0, 60.0, 300.0)
    default_timeout_s: float = 600.0
    max_timeout_s: float = 600.0
    in_flight_buffer: int = 1
    batch_size: int = 500
    lease_s: float = 30.0
    retry_timeouts: bool = False  # a job that ran past its timeout fails for good unless this is true
    # attempts in flight at once per user, by the user's tier (0: no cap); users take turns within a queue
    user_max_in_flight: dict[str, int] = field(default_factory=lambda: {"free": 2, "pro": 16, "enterprise": 0})
    high_priority_tiers: tuple[str, ...] = ("pro", "enterprise")  # keys of these tiers may use the high queue
    shutdown_grace_s: float = 30.0  # how long `zapiki serve` waits for running jobs when it stops
    worker_concurrency: int = 1
    n_workers: int = 2
    rate_limits: dict[str, int] = field(default_factory=lambda: {"free": 10, "pro": 1000, "enterprise": 1_000_000})
    max_body_bytes: int = 1 << 20
    max_upload_bytes: int = 256 << 20  # a circuit upload (multipart), streamed to a temporary file
    max_batch_bytes: int = 32 << 20  # POST /api/v1/proofs/batch
    max_batch_items: int = 10_000  # jobs in one batch request
    # the largest circuit a key of each tier may upload (checked on the files' headers before any work)
    circuit_limits: dict[str, CircuitLimits] = field(
        default_factory=lambda: {
            "free": CircuitLimits(max_constraints=65_000, max_wires=131_072, max_public=256),
            "pro": CircuitLimits(max_constraints=261_000, max_wires=524_288, max_public=1_000),
            "enterprise": CircuitLimits(max_constraints=1_040_000, max_wires=2_097_152, max_public=4_096),
        }
    )
    wasm: WasmLimits = field(default_factory=WasmLimits)
    # per process: witness calculators and parsed proving keys kept by each prover; circuit blobs the dispatcher
    # keeps scattered on the cluster (least recently used go first)
    cache_calculators: int = 8
    cache_proving_keys: int = 4
    cache_scattered_blobs: int = 16
    # bytes of circuit files (wasm, zkey, r1cs) a user may store, by tier (0: no quota)
    storage_quota_bytes: dict[str, int] = field(
        default_factory=lambda: {"free": 256 << 20, "pro": 8 << 30, "enterprise": 0}
    )  # bounds on probing an uploaded circuit wasm
    random_seed: int | None = None  # seeds the weighted queue choice (tests, reproducible runs)
    dask: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
        """Read `path` (or the default config file), apply environment overrides, and validate."""
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
        z = raw.pop("zapiki", None) or {}
        queues = z.get("queues", {}) or {}
        retry = z.get("retry", {}) or {}
        timeout = z.get("timeout", {}) or {}
        base = cls()
        weights = {p: int(queues.get(p, base.queue_weights[p])) for p in PRIORITIES}
        for p in PRIORITIES:
            var = f"QUEUE_{p.upper()}_PRIORITY"
            if env.get(var):
                weights[p] = int(env[var])
        settings = replace(
            base,
            database_url=env.get("DATABASE_URL") or z.get("database_url", base.database_url),
            queue_weights=weights,
            strict_priority=bool(queues.get("strict", base.strict_priority)),
            max_retries=int(retry.get("max_retries", base.max_retries)),
            retry_delays_s=tuple(float(d) for d in retry.get("delays_s", base.retry_delays_s)),
            default_timeout_s=float(timeout.get("default_s", base.default_timeout_s)),
            max_timeout_s=float(timeout.get("max_s", base.max_timeout_s)),
            in_flight_buffer=int(z.get("in_flight_buffer", base.in_flight_buffer)),
            batch_size=int(z.get("batch_size", base.batch_size)),
            lease_s=float(z.get("lease_s", base.lease_s)),
            shutdown_grace_s=float(z.get("shutdown_grace_s", base.shutdown_grace_s)),
            retry_timeouts=bool(retry.get("timeouts", base.retry_timeouts)),
            user_max_in_flight={
                **base.user_max_in_flight,
                **{k: int(v) for k, v in ((z.get("users") or {}).get("max_in_flight") or {}).items()},
            },
            high_priority_tiers=tuple((z.get("users") or {}).get("high_priority_tiers", base.high_priority_tiers)),
            worker_concurrency=int(
                env.get("WORKER_CONCURRENCY") or z.get("worker_concurrency", base.worker_concurrency)
            ),
            n_workers=int(z.get("n_workers", base.n_workers)),
            random_seed=z.get("random_seed"),
            rate_limits={
                **base.rate_limits,
                **{k: int(v) for k, v in ((z.get("api") or {}).get("rate_limits") or {}).items()},
            },
            max_body_bytes=int((z.get("api") or {}).get("max_body_bytes", base.max_body_bytes)),
            max_upload_bytes=int((z.get("api") or {}).get("max_upload_bytes", base.max_upload_bytes)),
            max_batch_bytes=int((z.get("api") or {}).get("max_batch_bytes", base.max_batch_bytes)),
            max_batch_items=int((z.get("api") or {}).get("max_batch_items", base.max_batch_items)),
            wasm=_wasm_limits(z.get("circuits") or {}),
            cache_calculators=int((z.get("caches") or {}).get("calculators", base.cache_calculators)),
            cache_proving_keys=int((z.get("caches") or {}).get("proving_keys", base.cache_proving_keys)),
            cache_scattered_blobs=int((z.get("caches") or {}).get("scattered_blobs", base.cache_scattered_blobs)),
            storage_quota_bytes={
                **base.storage_quota_bytes,
                **{k: int(v) for k, v in ((z.get("users") or {}).get("storage_quota_bytes") or {}).items()},
            },
            circuit_limits={
                **base.circuit_limits,
                **{
                    tier: CircuitLimits(**{k: int(v) for k, v in values.items()})
                    for tier, values in ((z.get("circuits") or {}).get("limits") or {}).items()
                },
            },
            dask=raw,
        )
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

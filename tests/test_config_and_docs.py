"""Configuration comes from scheduler_config.yaml with environment overrides."""

import dataclasses
import subprocess
import sys

import pytest
import yaml

from zapiki.config import PRIORITIES, Settings
from zapiki.errors import InputError


def test_the_shipped_config_file_holds_the_documented_defaults():
    s = Settings.load("scheduler_config.yaml", env={})
    assert s.queue_weights == {"high": 6, "normal": 3, "low": 1} and not s.strict_priority
    assert s.retry_delays_s == (0.0, 60.0, 300.0) and s.max_retries == 3
    assert s.default_timeout_s == s.max_timeout_s == 600.0
    assert s.shutdown_grace_s == 30.0
    assert s.database_url.startswith("sqlite:///")
    assert "distributed" in s.dask  # the Dask part, for dask.config


def test_environment_overrides_the_file():
    env = {"DATABASE_URL": "postgresql://u:p@h/db", "WORKER_CONCURRENCY": "4", "QUEUE_NORMAL_PRIORITY": "5"}
    s = Settings.load("scheduler_config.yaml", env=env)
    assert s.database_url == "postgresql://u:p@h/db"
    assert s.worker_concurrency == 4 and s.queue_weights["normal"] == 5


def test_strict_mode_and_schedules_come_from_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("zapiki:\n  queues: {strict: true}\n  retry: {max_retries: 1, delays_s: [2, 4]}\n")
    s = Settings.load(path, env={})
    assert s.strict_priority and s.max_retries == 1
    assert [s.retry_delay(n) for n in (1, 2, 3)] == [2.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "text",
    ["zapiki:\n  queues: {high: -1}\n", "zapiki:\n  timeout: {default_s: 900, max_s: 600}\n", "[1, 2]\n", "a: [\n"],
)
def test_a_bad_config_is_named(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        Settings.load(path, env={})


# ---- each setting declared once: its YAML key, its type, its environment variable ----

SETTINGS = [f for f in dataclasses.fields(Settings) if "yaml" in f.metadata]


def _plain(value):
    """A setting's value as YAML would spell it."""
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return list(value) if isinstance(value, tuple) else value


def _other(name, value):
    """A valid value other than `value` (the default) for setting `name`."""
    if name == "default_timeout_s":
        return 300.0  # must stay <= max_timeout_s
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value is None:  # an optional setting: a path for the .ptau ones, a number for random_seed
        return "/srv/zapiki/other.ptau" if name.endswith("_ptau") else 7
    if isinstance(value, str):
        return value + "-other"
    if isinstance(value, list):
        return value + value[-1:]
    key = next(iter(value))
    return {key: _other(name, value[key])}


def _merged(default, given):
    if isinstance(default, dict) and isinstance(given, dict):
        return {**default, **{k: _merged(default.get(k), v) for k, v in given.items()}}
    return given


def _places(f):
    """(key of the setting's value or None, YAML path) for each place the setting is read from."""
    where = f.metadata["yaml"]
    return list(where.items()) if isinstance(where, dict) else [(None, where)]


def _yaml(path, value):
    for key in reversed(path.split(".")):
        value = {key: value}
    return yaml.safe_dump({"zapiki": value})


def _load_text(tmp_path, text, env=None):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return Settings.load(path, env=env or {})


@pytest.mark.parametrize("place", [(f, k, p) for f in SETTINGS for k, p in _places(f)], ids=lambda place: place[2])
def test_each_yaml_key_sets_its_setting(tmp_path, place):
    f, key, path = place
    default = _plain(getattr(Settings(), f.name))
    given = _other(f.name, default if key is None else default[key])
    expected = _merged(default, given if key is None else {key: given})
    assert _plain(getattr(_load_text(tmp_path, _yaml(path, given)), f.name)) == expected


def test_every_key_of_the_shipped_file_is_a_declared_setting():
    declared = {path for f in SETTINGS for _, path in _places(f)}

    def leaves(node, prefix=""):
        for key, value in node.items():
            path = prefix + key
            if path in declared:
                yield path
            elif isinstance(value, dict):
                yield from leaves(value, path + ".")
            else:
                yield path

    with open("scheduler_config.yaml") as fh:
        section = yaml.safe_load(fh)["zapiki"]
    assert set(leaves(section)) <= declared
    # the file spells out the defaults
    assert dataclasses.replace(Settings.load("scheduler_config.yaml", env={}), dask={}) == Settings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("api: {max_body_bytes: lots}", "api.max_body_bytes: Input should be a valid integer"),
        ("api: {rate_limits: {free: many}}", "api.rate_limits.free: Input should be a valid integer"),
        ("api: {rate_limits: [1, 2]}", "api.rate_limits: Input should be a valid dictionary"),
        ("queues: {high: x}", "queues.high: Input should be a valid integer"),
        ("queues: {strict: sometimes}", "queues.strict: Input should be a valid boolean"),
        ("circuits: {probe_wall_s: slow}", "circuits.probe_wall_s: Input should be a valid number"),
        ("circuits: {limits: {free: {max_wires: 0}}}", "circuits.limits.free: Value error, CircuitLimits.max_wires"),
        ("circuits: {limits: {team: {max_wires: 9}}}", "circuits.limits.team.max_constraints: Field required"),
        ("users: {high_priority_tiers: pro}", "users.high_priority_tiers: Input should be a valid tuple"),
        ("users: 5", "users: must be a mapping"),
    ],
)
def test_a_value_of_the_wrong_type_names_its_key(tmp_path, text, message):
    with pytest.raises(InputError, match="^" + message.replace("[", r"\[")):
        _load_text(tmp_path, f"zapiki:\n  {text}\n")


def _env_value(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


SINGLE_VALUED = [f for f in SETTINGS if not isinstance(_plain(getattr(Settings(), f.name)), dict | list)]


@pytest.mark.parametrize("f", SINGLE_VALUED, ids=lambda f: f.name)
def test_each_single_valued_setting_has_its_zapiki_variable(f):
    value = _other(f.name, getattr(Settings(), f.name))
    loaded = Settings.load("scheduler_config.yaml", env={f"ZAPIKI_{f.name.upper()}": _env_value(value)})
    assert getattr(loaded, f.name) == value


@pytest.mark.parametrize(
    ("var", "attribute", "key", "value"),
    [
        ("ZAPIKI_RATE_LIMITS_FREE", "rate_limits", "free", 5),
        ("ZAPIKI_QUEUE_WEIGHTS_HIGH", "queue_weights", "high", 9),
        ("ZAPIKI_USER_MAX_IN_FLIGHT_PRO", "user_max_in_flight", "pro", 3),
        ("ZAPIKI_STORAGE_QUOTA_BYTES_ENTERPRISE", "storage_quota_bytes", "enterprise", 1024),
        ("ZAPIKI_WASM_CPU_S", "wasm", "cpu_s", 3),
        ("ZAPIKI_WASM_ADDRESS_SPACE_BYTES", "wasm", "address_space_bytes", 1 << 30),
    ],
)
def test_each_key_of_a_mapping_has_its_zapiki_variable(var, attribute, key, value):
    loaded, default = Settings.load("scheduler_config.yaml", env={var: str(value)}), Settings()
    expected = {**_plain(getattr(default, attribute)), key: value}
    assert _plain(getattr(loaded, attribute)) == expected


@pytest.mark.parametrize(
    ("var", "value", "read"),
    [
        ("DATABASE_URL", "postgresql://u:p@h/db", lambda s: s.database_url),
        ("WORKER_CONCURRENCY", "4", lambda s: str(s.worker_concurrency)),
        *[(f"QUEUE_{p.upper()}_PRIORITY", "9", lambda s, p=p: str(s.queue_weights[p])) for p in PRIORITIES],
    ],
)
def test_the_historical_variables_are_aliases(var, value, read):
    assert read(Settings.load("scheduler_config.yaml", env={var: value})) == value
    assert read(Settings.load("scheduler_config.yaml", env={var: ""})) != value  # empty: unset


def test_the_zapiki_name_wins_over_the_alias_and_the_environment_over_the_file(tmp_path):
    text = "zapiki:\n  worker_concurrency: 2\n  queues: {high: 5}\n"
    assert _load_text(tmp_path, text).worker_concurrency == 2
    env = {"WORKER_CONCURRENCY": "3", "ZAPIKI_WORKER_CONCURRENCY": "4", "QUEUE_HIGH_PRIORITY": "7"}
    loaded = _load_text(tmp_path, text, env)
    assert loaded.worker_concurrency == 4 and loaded.queue_weights["high"] == 7
    with pytest.raises(InputError, match="^ZAPIKI_LEASE_S: Input should be a valid number"):
        _load_text(tmp_path, text, {"ZAPIKI_LEASE_S": "soon"})


def test_mappings_merge_with_the_defaults_key_by_key(tmp_path):
    text = (
        "zapiki:\n  api: {rate_limits: {free: 5, team: 50}}\n"
        "  circuits: {limits: {free: {max_constraints: 10}, team: {max_constraints: 5, max_wires: 9, max_public: 1}}}\n"
    )
    loaded, default = _load_text(tmp_path, text), Settings()
    assert loaded.rate_limits == {**default.rate_limits, "free": 5, "team": 50}
    assert loaded.circuit_limits["free"] == dataclasses.replace(default.circuit_limits["free"], max_constraints=10)
    assert loaded.circuit_limits["pro"] == default.circuit_limits["pro"]
    assert loaded.circuit_limits["team"].max_wires == 9


def test_settings_are_frozen_and_copied_with_replace():
    settings = Settings.load("scheduler_config.yaml", env={})
    copy = dataclasses.replace(settings, lease_s="2", batch_size=25)
    assert (copy.lease_s, copy.batch_size, settings.lease_s) == (2.0, 25, 30.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lease_s = 1.0  # type: ignore[misc]


def test_reading_the_settings_does_not_import_the_proof_systems():
    code = "import sys, zapiki.config; print(sorted(m for m in sys.modules if m.startswith('zapiki')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["zapiki", "zapiki.config", "zapiki.errors", "zapiki.limits"]

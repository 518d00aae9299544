"""The worker's cache of shared inputs (a circuit's wasm and proving key, read by path by the isolated provers)
is a private folder, and no cached file is trusted by its name alone: each is checked against its SHA-256 once
per process, and replaced from the data at hand when it does not match."""

import hashlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from zapiki.errors import TransientError
from zapiki.jobs import worker
from zapiki.jobs.worker import materialise


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def resource(blob: bytes) -> dict[str, object]:
    return {"sha256": hashlib.sha256(blob).hexdigest(), "data": blob}


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """A umask that keeps nothing private, so only the cache's own care does."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache" / "worker"
    monkeypatch.setenv("ZAPIKI_WORKER_CACHE", str(folder))
    monkeypatch.setattr(worker, "_VERIFIED", set())
    return folder


def test_the_cache_folder_and_its_files_are_private(cache: Path) -> None:
    blob = os.urandom(4096)
    paths = materialise({"zkey": resource(blob)})
    path = Path(paths["zkey"])
    assert path == cache / hashlib.sha256(blob).hexdigest()
    assert path.read_bytes() == blob
    assert mode(cache) == 0o700
    assert mode(cache.parent) == 0o700  # created for it, so private too
    assert mode(path) == 0o600
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left behind


def test_the_default_folder_is_under_the_users_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZAPIKI_WORKER_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert worker._cache_dir() == tmp_path / "xdg" / "zapiki" / "worker"
    assert mode(tmp_path / "xdg" / "zapiki" / "worker") == 0o700
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert worker._cache_dir() == tmp_path / "home" / ".cache" / "zapiki" / "worker"
    assert mode(tmp_path / "home" / ".cache" / "zapiki" / "worker") == 0o700


@pytest.mark.parametrize("loose", [0o777, 0o750, 0o701])
def test_a_folder_open_to_others_is_refused(cache: Path, loose: int) -> None:
    cache.mkdir(parents=True)
    os.chmod(cache, loose)
    with pytest.raises(TransientError, match=str(cache)) as refused:
        materialise({"zkey": resource(b"proving key")})
    assert f"{loose:04o}" in str(refused.value)
    assert list(cache.iterdir()) == []
    assert mode(cache) == loose  # refused, not silently changed


def test_a_folder_owned_by_another_user_is_refused(cache: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user (CI runs as root)")
    cache.mkdir(parents=True, mode=0o700)
    os.chown(cache, 65534, 65534)
    with pytest.raises(TransientError, match=str(cache)) as refused:
        materialise({"zkey": resource(b"proving key")})
    assert "65534" in str(refused.value)
    assert list(cache.iterdir()) == []


def test_a_link_to_a_folder_open_to_others_is_refused(cache: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o777)
    cache.parent.mkdir(mode=0o700)
    cache.symlink_to(shared)
    with pytest.raises(TransientError, match=str(shared)):
        materialise({"zkey": resource(b"proving key")})


def test_a_tampered_file_is_detected_and_replaced(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    blob = os.urandom(10_000)
    digest = hashlib.sha256(blob).hexdigest()
    cache.mkdir(parents=True, mode=0o700)
    planted = cache / digest
    planted.write_bytes(b"evil" + blob[4:])  # the right name, the wrong content, before any use
    with caplog.at_level(logging.WARNING, logger="zapiki"):
        path = Path(materialise({"zkey": resource(blob)})["zkey"])
    assert path == planted and path.read_bytes() == blob and mode(path) == 0o600
    assert any("does not match" in r.getMessage() and digest in r.getMessage() for r in caplog.records)

    # tampered again after it was verified: the change (content, time) is noticed at the next use
    caplog.clear()
    before = os.stat(path)
    with open(path, "r+b") as f:
        f.write(b"evil")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    with caplog.at_level(logging.WARNING, logger="zapiki"):
        again = Path(materialise({"zkey": resource(blob)})["zkey"])
    assert again == path and again.read_bytes() == blob
    assert any("does not match" in r.getMessage() for r in caplog.records)


def test_a_file_that_is_not_a_regular_file_is_replaced(cache: Path, tmp_path: Path) -> None:
    blob = b"wasm module"
    digest = hashlib.sha256(blob).hexdigest()
    cache.mkdir(parents=True, mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(blob)  # the right bytes, but behind a link that could be pointed anywhere
    (cache / digest).symlink_to(elsewhere)
    path = Path(materialise({"wasm": resource(blob)})["wasm"])
    assert not path.is_symlink() and path.read_bytes() == blob and mode(path) == 0o600


def test_data_that_does_not_match_its_announced_hash_is_kept_under_its_true_name(cache: Path) -> None:
    blob = b"the real proving key"
    path = Path(materialise({"zkey": {"sha256": "0" * 64, "data": blob}})["zkey"])
    assert path.name == hashlib.sha256(blob).hexdigest() and path.read_bytes() == blob
    assert not (cache / ("0" * 64)).exists()


def test_each_file_is_hashed_once_per_process_unless_it_changes(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blob = os.urandom(100_000)
    digest = hashlib.sha256(blob).hexdigest()
    cache.mkdir(parents=True, mode=0o700)
    (cache / digest).write_bytes(blob)  # cached by an earlier process: not trusted until hashed
    os.chmod(cache / digest, 0o644)
    hashed = []
    real = worker._file_sha256
    monkeypatch.setattr(worker, "_file_sha256", lambda fd: hashed.append(fd) or real(fd))
    for _ in range(5):
        assert Path(materialise({"zkey": resource(blob)})["zkey"]).read_bytes() == blob
    assert len(hashed) == 1
    assert mode(cache / digest) == 0o600  # tightened when it was checked
    before = os.stat(cache / digest)
    os.utime(cache / digest, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    materialise({"zkey": resource(blob)})
    assert len(hashed) == 2  # changed (here only its time): hashed again
    # a file this process wrote itself is known good without reading it back
    materialise({"other": resource(b"fresh")})
    materialise({"other": resource(b"fresh")})
    assert len(hashed) == 2


def test_concurrent_writers_of_one_blob_do_not_corrupt_it(cache: Path) -> None:
    blob = os.urandom(8 << 20)
    digest = hashlib.sha256(blob).hexdigest()
    item = {"zkey": resource(blob)}
    materialise({"warm": resource(b"x")})  # the folder exists before the race
    errors: list[BaseException] = []
    seen: list[str] = []
    stop = threading.Event()

    def write(barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            path = Path(materialise(item)["zkey"])
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    def read() -> None:  # a prover reading the file by path meanwhile sees all of it, or nothing
        while True:
            last = stop.is_set()  # one more read once the writers are done
            try:
                data = (cache / digest).read_bytes()
            except FileNotFoundError:
                continue
            seen.append(hashlib.sha256(data).hexdigest())
            if last:
                return

    for _ in range(3):
        (cache / digest).unlink(missing_ok=True)
        worker._VERIFIED.clear()
        barrier = threading.Barrier(6)
        threads = [threading.Thread(target=write, args=(barrier,)) for _ in range(6)]
        readers = [threading.Thread(target=read) for _ in range(2)]
        stop.clear()
        for t in readers + threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        for t in readers:
            t.join()
        assert not errors, errors
        assert (cache / digest).read_bytes() == blob and mode(cache / digest) == 0o600
    assert seen and set(seen) == {digest}
    assert sorted(p.name for p in cache.iterdir()) == sorted([digest, hashlib.sha256(b"x").hexdigest()])

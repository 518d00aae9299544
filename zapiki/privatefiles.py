"""Folders only their owner may enter (the SQLite database's, the worker cache, the compiled-wasm cache): one
place that makes them and one that checks them.

>>> import tempfile, os, stat
>>> base = tempfile.mkdtemp()
>>> made = make_private_dirs(os.path.join(base, "a", "b"))
>>> [oct(stat.S_IMODE(os.stat(p).st_mode)) for p in made]
['0o700', '0o700']
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def make_private_dirs(path: str | os.PathLike[str]) -> list[Path]:
    """Create `path` and its missing parents with mode 0700 (whatever the umask); returns the folders it created,
    outermost first. Existing folders are left as they are. An OSError says what failed."""
    missing: list[Path] = []
    folder = Path(os.path.abspath(path))
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    created = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:  # made meanwhile by another process: theirs, left as it is
            continue
        os.chmod(folder, 0o700)
        created.append(folder)
    return created


def user_cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/zapiki/...`` (when absolute), else ``~/.cache/zapiki/...``; KeyError or RuntimeError when
    no home folder is known.

    >>> user_cache_dir("worker").parts[-2:]
    ('zapiki', 'worker')
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base.joinpath("zapiki", *parts)


def private_dir_problems(path: str | os.PathLike[str]) -> list[str]:
    """What keeps the folder at `path` (links not followed) from being private to this user: not a folder, owned
    by another user, or open to group or others. Empty when it is fine; an OSError when it cannot be looked at.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> private_dir_problems(folder)
    []
    >>> os.chmod(folder, 0o755)
    >>> private_dir_problems(folder)
    ['its mode 0755 lets group or others in (0700 wanted)']
    """
    st = os.lstat(path)
    problems = []
    if not stat.S_ISDIR(st.st_mode):
        problems.append("it is not a folder")
    if st.st_uid != os.geteuid():
        problems.append(f"it is owned by uid {st.st_uid}, not by this user (uid {os.geteuid()})")
    if stat.S_IMODE(st.st_mode) & 0o077:
        problems.append(f"its mode {stat.S_IMODE(st.st_mode):04o} lets group or others in (0700 wanted)")
    return problems

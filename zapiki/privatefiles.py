"""Folders only their owner may enter (the SQLite database's, the worker cache): one helper for both.

>>> import tempfile, os, stat
>>> base = tempfile.mkdtemp()
>>> made = make_private_dirs(os.path.join(base, "a", "b"))
>>> [oct(stat.S_IMODE(os.stat(p).st_mode)) for p in made]
['0o700', '0o700']
"""

from __future__ import annotations

import os
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

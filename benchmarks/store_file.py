"""Looking at an existing store file before anything touches it: refusing a foreign,
unreadable or damaged file untouched, and the URI that reads one on read-only media.

Apart from :mod:`dgpbench.benchmarks.store` because none of it needs a store's connection:
it decides whether a connection may be opened at all.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from dgpbench.benchmarks.store_schema import APPLICATION_ID
from dgpbench.errors import BadInput


def read_only_uri(path: Path) -> str:
    """The URI that opens the store read-only. Where its folder cannot be written and no
    ``-wal`` holds pending writes (read-only media), ``immutable=1``: SQLite would
    otherwise need to create the ``-shm`` file to read a WAL-mode store, and cannot."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = Path(f"{path}-wal")
    if not os.access(path.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size):
        uri += "&immutable=1"
    return uri


def check_existing(path: Path, deep: bool) -> None:
    """Read-only look at an existing file before anything writes to it; ``deep`` (before
    a write) also runs SQLite's ``quick_check``, which reads every page.

    A file that is refused is left byte-for-byte as it was: SQLite's read-only open of
    a WAL-mode file may create the ``-wal`` and ``-shm`` side files, which are removed
    again if they were not there before.
    """
    if path.stat().st_size == 0:
        return
    sidecars = [Path(f"{path}{s}") for s in ("-wal", "-shm")]
    existed = {p: p.exists() for p in sidecars}
    try:
        try:
            ro = sqlite3.connect(read_only_uri(path), uri=True, timeout=60)
            try:
                app = ro.execute("PRAGMA application_id").fetchone()[0]
                n_objects = ro.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if app == APPLICATION_ID:
                    ro.execute("SELECT count(*) FROM runs").fetchone()
                damage = [" ".join(r[0].split()) for r in ro.execute("PRAGMA quick_check(3)")] if deep else ["ok"]
            finally:
                ro.close()
        except sqlite3.DatabaseError as exc:
            raise BadInput(
                f"store {path} is not a readable SQLite database ({exc}); "
                "it was left untouched: pass another --store path"
            ) from None
        # application_id 0 and no tables: a store another process is creating right now
        if app != APPLICATION_ID and not (app == 0 and n_objects == 0):
            raise BadInput(
                f"store {path} is a SQLite file but not a dgpbench store; "
                "it was left untouched: pass another --store path"
            )
        if damage != ["ok"]:
            raise BadInput(
                f"store {path} is damaged (SQLite quick_check: {'; '.join(damage)}); it was left "
                "untouched: restore it from a copy or pass another --store path"
            )
    except BadInput:
        for p in sidecars:  # only what this look created (unlink fails on read-only media)
            if not existed[p] and p.exists():
                with contextlib.suppress(OSError):
                    p.unlink()
        raise

"""Writing a command's output file so that it can never damage anything else.

``report``, ``leaderboard`` and ``compare`` write where ``-o`` says. A mistyped ``-o`` once
pointed at the store itself and replaced every stored result with HTML, so a path is checked
first: never the store (nor its ``-wal``/``-shm`` side files), never a folder, and never an
existing file that is not what the command writes (an HTML page is replaced only by an HTML
page; a SQLite or binary file never). The text then goes to a temporary file in the same
folder, which is renamed over the target only once it is complete: a full disk or a crash
leaves the old file (or none), never a truncated or 0-byte one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from dgpbench.errors import BadInput

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HTML_STARTS = (b"<!doctype html", b"<html")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_html(head: bytes) -> bool:
    return head.lstrip().lower().startswith(_HTML_STARTS)


def check_output(path: Path, store: Path, *, html: bool) -> None:
    """Refuse (exit 2, one line naming the path) an output path that would damage a file."""
    valid = "an .html file" if html else "a new file or one this command wrote"
    if path.is_dir():
        raise BadInput(f"output {path} is a directory; pass a file path, e.g. {path / 'report.html'}")
    store_files = [store, Path(f"{store}-wal"), Path(f"{store}-shm"), Path(f"{store}-journal")]
    if any(_same_file(path, s) or path.resolve() == s.resolve() for s in store_files):
        raise BadInput(f"output {path} is the results store; it was left untouched: pass {valid} elsewhere")
    if not path.exists():
        return
    if not path.is_file():
        raise BadInput(f"output {path} is not a regular file; it was left untouched: pass {valid}")
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise BadInput(f"output {path} cannot be read to check it ({exc.strerror or exc}): pass {valid}") from None
    if head.startswith(_SQLITE_MAGIC) or b"\x00" in head:
        raise BadInput(f"output {path} is an existing database or binary file; it was left untouched: pass {valid}")
    if html and head.strip() and not _is_html(head):
        raise BadInput(f"output {path} is an existing file that is not HTML; it was left untouched: pass {valid}")


def write_output(text: str, path: str | os.PathLike, store: str | os.PathLike, *, html: bool) -> Path:
    """Check ``path`` (:func:`check_output`), then write ``text`` to it atomically."""
    path = Path(path)
    check_output(path, Path(store), html=html)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"output {path}: cannot create its folder ({exc.strerror or exc})") from None
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise BadInput(f"output {path}: cannot write it ({exc.strerror or exc}); nothing was written there") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path

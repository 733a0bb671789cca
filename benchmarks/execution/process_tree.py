"""A cell process and everything it started, read from ``/proc``: their resident memory (the
memory limit) and how to stop them all (a cell's children end with its cell).

Descendants are found through each thread's ``/proc/PID/task/TID/children`` (Linux 3.5+), so
a sample costs a few reads per process of the cell rather than a scan of every process on
the machine. A grandchild whose parent died is adopted by init and leaves that tree: it is
still stopped with the cell's process group (a cell process leads its own session), unless
it started a session of its own on purpose.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def descendants(pid: int) -> list[int]:
    """Every living descendant of ``pid`` (children first), not ``pid`` itself."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                found = [int(c) for c in children.read_text().split()]
            except (OSError, ValueError):  # the thread or the process ended meanwhile
                continue
            for child in found:
                if child not in out:
                    out.append(child)
                    todo.append(child)
    return out


def resident_mb(pids: list[int]) -> float:
    """Resident memory of these processes together, in MB (2**20 bytes); gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total * PAGE / 2**20


def tree_resident_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB."""
    return resident_mb([pid, *descendants(pid)])


def kill_descendants(pid: int, rounds: int = 5) -> int:
    """SIGKILL every descendant of ``pid`` (not ``pid``), again while new ones appear (a child
    may fork while its siblings are being killed); return how many were signalled."""
    killed = 0
    for _ in range(rounds):
        found = descendants(pid)
        if not found:
            break
        for child in found:
            try:
                os.kill(child, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
    return killed


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its descendants and its process group (``pid`` leads its own)."""
    kill_descendants(pid)
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def reap_children() -> None:
    """Collect the exit status of this process's children that have ended (no zombies left)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return

"""What a run is stored with beside its results, so a number can be traced to the code and
machine that made it: the git commit, the package versions, the host."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

import dgpbench


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).resolve().parent
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "dgpbench": dgpbench.__version__}
    for pkg in ("numpy", "pandas", "scipy", "statsmodels", "torch", "tensorflow", "tensorflow-probability"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def machine() -> dict[str, Any]:
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.machine(),
    }


def this_process() -> dict[str, Any]:
    """The run's ``machine`` provenance with the id of the process running it."""
    return {**machine(), "pid": os.getpid()}


def abandoned(machine_json: str | None) -> bool:
    """Whether a ``running`` run's process is known to be gone: it ran on this host and its
    pid no longer exists. A run of another host, or of an older store without a pid, cannot be
    told from one still going, and is left as it is."""
    try:
        machine = json.loads(machine_json or "{}")
        pid = int(machine["pid"])
    except (ValueError, TypeError, KeyError):
        return False
    if machine.get("host") != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, owned by someone else
        return False
    return False

"""`dgpbench check --plugin` passes the guide's worked plugins, fails a generator whose truth
disagrees with its data (naming the check), and refuses bad input with exit code 2.

Each case runs the command in a fresh process: a plugin registers its names once per process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
PLUGINS = ROOT / "tests" / "plugins"


def check(*plugins: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    args = [a for p in plugins for a in ("--plugin", p)]
    return subprocess.run(
        [sys.executable, "-m", "dgpbench.cli.main", "check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )


def rows(stdout: str) -> dict[tuple[str, str], str]:
    """(check, subject) -> result, from the printed table."""
    out = {}
    for line in stdout.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 3 and parts[0].startswith(("check_", "make_case")):
            out[(parts[0], parts[1])] = parts[2]
    return out


def test_the_worked_examples_pass():
    done = check(str(EXAMPLES / "confounded_line.py"), str(EXAMPLES / "per_arm_line.py"))
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("check_observed_outcome_is_the_realised_potential_outcome", "generator:confounded_line")] == "pass"
    assert table[("check_samples_follow_own_density", "model:per_arm_line")] == "pass"
    assert set(table.values()) <= {"pass", "n/a"}
    assert len([k for k in table if k[1] == "generator:confounded_line"]) >= 15
    assert "0 failed" in done.stdout


def test_a_truth_inconsistent_with_its_data_fails_naming_the_check():
    done = check(str(PLUGINS / "broken_truth.py"))
    assert done.returncode == 1, done.stdout + done.stderr
    table = rows(done.stdout)
    assert table[("check_sample_moments_match_the_conditional_law", "generator:broken_truth")] == "FAIL"
    assert table[("check_same_seed_same_result", "generator:broken_truth")] == "pass"
    failing = next(line for line in done.stdout.splitlines() if "check_sample_moments_match" in line)
    assert "truth.mean" in failing  # the reason says what disagrees


def test_an_unknown_module_is_bad_input():
    done = check("no_such_plugin_module_xyz")
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert "--plugin 'no_such_plugin_module_xyz'" in line and "ModuleNotFoundError" in line


def test_a_missing_file_is_bad_input():
    done = check("missing/plugin.py")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "missing/plugin.py" in line and "no such .py file" in line


def test_a_plugin_that_registers_nothing_is_bad_input():
    done = check(str(PLUGINS / "registers_nothing.py"))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "registered no generator or model" in line and "GENERATORS.register" in line


def test_the_plugin_option_is_required():
    done = check()
    assert done.returncode == 2 and "--plugin" in done.stderr

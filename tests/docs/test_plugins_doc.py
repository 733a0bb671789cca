"""The plugin guide cannot drift: its Truth-field tables are the generated ones, its worked
examples are the files under docs/examples/ verbatim, and those files run as a suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from dgpbench.benchmarks.metrics import truth_fields

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
REGENERATE = "python -m dgpbench.benchmarks.metrics.truth_fields --write docs/plugins.md"
INCLUDE = re.compile(r"<!-- include: (\S+) -->\n```\w+\n(.*?)```", re.S)


def test_the_truth_field_tables_are_the_generated_ones():
    assert truth_fields.generated_region(GUIDE.read_text()) == truth_fields.render(), (
        f"docs/plugins.md's Truth-field tables are out of date with the metric registry; run: {REGENERATE}"
    )


def test_the_tables_follow_a_metric_declaration():
    """A metric that declared another Truth field would show under it (the table reads the declaration)."""
    import dataclasses

    metrics = truth_fields.builtin_metrics()
    crps = next(m for m in metrics if m.name == "crps")
    changed = [dataclasses.replace(crps, truth=("sample_y",)) if m is crps else m for m in metrics]
    assert "| `sample_y` | `crps` |" in truth_fields.metrics_table(changed)
    assert "| `sample_y` | — (no metric reads it) |" in truth_fields.metrics_table(metrics)


def test_replace_region_rewrites_only_the_generated_part():
    text = f"before\n{truth_fields.BEGIN}\nold\n{truth_fields.END}\nafter\n"
    out = truth_fields.replace_region(text, truth_fields.render())
    assert out.startswith("before\n") and out.endswith("\nafter\n")
    assert truth_fields.generated_region(out) == truth_fields.render()


def test_every_worked_example_is_included_verbatim():
    included = dict(INCLUDE.findall(GUIDE.read_text()))
    examples = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "examples").iterdir())
    assert sorted(included) == examples
    for path, block in included.items():
        assert block == (ROOT / path).read_text(), f"docs/plugins.md's copy of {path} differs from the file"


def test_the_worked_examples_run_as_a_suite(tmp_path):
    """The guide's suite with both plugins: every cell ok, and the per-arm model recovers the
    constant effect of 1 on held-out rows (the naive difference in means, confounded, does not)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    plugins = ["--plugin", "docs/examples/confounded_line.py", "--plugin", "docs/examples/per_arm_line.py"]
    store = str(tmp_path / "s.sqlite")
    cli = [sys.executable, "-m", "dgpbench.cli.main"]
    done = subprocess.run(
        [*cli, "run", "docs/examples/plugin_suite.yaml", *plugins, "--store", store, "--no-progress", "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = subprocess.run(
        [*cli, "results", "--store", store, "--format", "json"], capture_output=True, text=True, cwd=ROOT, env=env
    )
    rows = json.loads(out.stdout)
    assert {r["status"] for r in rows} == {"ok"}
    mine = [r for r in rows if r["model"] == "per_arm_line" and r["metric"] == "ate_abs_error_out"]
    assert len(mine) == 2 and all(r["value"] < 0.3 for r in mine)
    assert all(r["naive"] > 0.5 for r in mine)  # confounding: the difference in means is far off
    assert any(r["model"] == "per_arm_line" and r["metric"] == "crps" for r in rows)

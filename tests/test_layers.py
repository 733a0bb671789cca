"""The layout is the architecture: no upward imports, no heavy backend where listing starts,
and the project installs the way the README says with every layer importable."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["generators", "models", "benchmarks", "reports", "cli"]
HEAVY = ("torch", "tensorflow", "tensorflow_probability", "tf_keras")


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(module, at_top_level) for every import in a file."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, id(node) in top))
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_imports_a_layer_to_its_right(layer):
    higher = [f"dgpbench.{x}" for x in LAYERS[LAYERS.index(layer) + 1 :]]
    bad = []
    for path in (ROOT / layer).rglob("*.py"):
        bad += [
            f"{path.relative_to(ROOT)} imports {m}"
            for m, _ in imports_of(path)
            if any(m == h or m.startswith(h + ".") for h in higher)
        ]
    assert not bad, bad


def test_the_core_imports_no_layer():
    """``dgpbench/`` (parameters, registries, errors, vocabulary) sits under every layer."""
    layers = [f"dgpbench.{x}" for x in LAYERS]
    bad = [
        f"{path.relative_to(ROOT)} imports {m}"
        for path in (ROOT / "dgpbench").glob("*.py")
        for m, _ in imports_of(path)
        if any(m == h or m.startswith(h + ".") for h in layers)
    ]
    assert not bad, bad


def test_reports_read_only_the_store():
    """Reports know a metric only as the store keeps it with its run: never the metric
    registry (``dgpbench.benchmarks.metrics`` or a metric module), a model or a generator.
    Pure helpers of ``dgpbench.benchmarks.metrics.base`` (split_key, normalised_score) are fine."""
    forbidden = ("dgpbench.models", "dgpbench.generators", "dgpbench.benchmarks.metrics")
    bad = [
        f"{path.relative_to(ROOT)} imports {m}"
        for path in (ROOT / "reports").rglob("*.py")
        for m, _ in imports_of(path)
        if any(m == f or m.startswith(f + ".") for f in forbidden) and m != "dgpbench.benchmarks.metrics.base"
    ]
    assert not bad, bad


def test_heavy_backends_only_inside_their_models():
    bad = []
    for layer in LAYERS + ["dgpbench"]:
        for path in (ROOT / layer).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("benchmarks/perf/"):
                continue  # stand-alone measurement scripts, never imported by the package
            for m, top in imports_of(path):
                private_backend = rel.startswith(("models/tfp/_", "models/torch/_"))  # loaded lazily
                if (
                    m.split(".")[0] in HEAVY
                    and not private_backend
                    and (top or not rel.startswith(("models/tfp/", "models/torch/")))
                ):
                    bad.append(f"{rel} imports {m}" + (" at module level" if top else ""))
    assert not bad, bad


def test_listing_and_validation_never_import_torch_or_tensorflow():
    code = (
        "import sys, io, contextlib\n"
        "from dgpbench.cli import main as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['list']) == 0\n"
        "from dgpbench.benchmarks.suite import load\n"
        "for s in ('quick', 'default', 'full'): load(s)\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_installs_from_a_wheel_with_every_layer_and_its_data(tmp_path):
    """Build the wheel as pip does, install it alone into a folder, import every layer from it."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = wheel_dir.glob("dgpbench-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    code = (
        "import json, dgpbench, importlib.resources as r\n"
        "import dgpbench.generators.registry, dgpbench.models.registry, dgpbench.cli.main\n"
        "import dgpbench.reports.leaderboard\n"
        "from dgpbench.generators.registry import load_generator\n"
        "o, t = load_generator('radon_mn').sample(0); o2, t2 = load_generator('ihdp', replication=10).sample(0)\n"
        "from dgpbench.benchmarks.suite import builtin_suites\n"
        "print(json.dumps({'file': dgpbench.generators.__file__, 'rows': len(o.frame), 'ihdp': len(o2.frame),"
        " 'suites': builtin_suites()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["file"].startswith(str(target))
    assert info["rows"] == 919 and info["ihdp"] == 747
    assert {"quick", "default", "full"} <= set(info["suites"])

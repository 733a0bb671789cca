"""Security: suites are read with ``yaml.safe_load`` only, nothing is ever unpickled from the
store or a report, templates autoescape, and plugins are imported only when a user names them
(or installs them as entry points)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

from dgpbench.cli.main import main
from dgpbench.errors import BadInput
from dgpbench.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("dgpbench", "generators", "models", "benchmarks", "reports")

MISUSE = {
    "yaml loader other than safe_load": re.compile(
        r"yaml\.(load|unsafe_load|full_load|load_all)\(|Loader\s*=\s*"
        r"(yaml\.)?(Unsafe|Full)?Loader\b"
    ),
    "unpickling (other than a pickle.loads(pickle.dumps(...)) round trip)": re.compile(
        r"\b(c?pickle|dill|cloudpickle|joblib)\.loads?\((?!\s*(c?pickle|dill|cloudpickle)\.dumps\()"
    ),
    "marshal / shelve": re.compile(r"\bmarshal\.loads?\(|\bshelve\.open\("),
    "eval / exec of text": re.compile(r"(?<![\w.])(eval|exec)\("),
    "torch.load without weights_only=True": re.compile(r"torch\.load\((?![^)]*weights_only\s*=\s*True)"),
    "numpy load with pickles": re.compile(r"allow_pickle\s*=\s*True"),
    "jinja2 without autoescape": re.compile(r"autoescape\s*=\s*False"),
}


def _sources() -> list[Path]:
    return [p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))]


def test_source_tree_has_no_unsafe_loading():
    assert len(_sources()) > 20
    hits = []
    for path in _sources():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            for what, pattern in MISUSE.items():
                if pattern.search(code):
                    hits.append(f"{path.relative_to(ROOT)}:{n}: {what}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_every_jinja_environment_autoescapes():
    calls = [(p, m) for p in _sources() for m in re.finditer(r"jinja2\.Environment\(|\bEnvironment\(", p.read_text())]
    assert calls, "the reports build no jinja2 Environment any more: update this test"
    for path, match in calls:
        text, depth, end = path.read_text(), 1, match.end()
        while depth and end < len(text):  # to the call's closing parenthesis
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        call = text[match.start() : end]
        assert re.search(r"autoescape\s*=\s*(True|jinja2\.select_autoescape|select_autoescape)", call), (
            f"{path.relative_to(ROOT)}: {call}"
        )


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/object:pathlib.Path {{}}",
        "!!python/name:os.system",
    ],
)
def test_suite_loader_rejects_python_tags(tag, tmp_path, capsys):
    marker = tmp_path / "pwned"
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: {tag.format(marker=marker)}\nseeds: [0]\ngenerators: [heteroscedastic]\nmodels: [ols]\n")
    assert main(["run", str(suite), "--store", str(tmp_path / "s.sqlite"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dgpbench: error: ") and str(suite) in err[0]
    assert not marker.exists() and not (tmp_path / "s.sqlite").exists()


def test_entry_point_plugins_are_imported_only_when_used(monkeypatch):
    """Listing names never imports a plugin; using it does, and a broken one is reported
    as unavailable with its reason instead of vanishing."""
    ep = importlib.metadata.EntryPoint(name="evil", value="dgpbench_no_such_plugin_module:Model", group="dgpbench.test")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: [ep] if group == "dgpbench.test" else [])
    registry = Registry("model", "dgpbench.test", {})
    assert registry.names() == ["evil"]  # listed, nothing imported
    with pytest.raises(BadInput, match="could not be imported"):
        registry.get("evil")
    assert registry.entry("evil").error  # kept, marked unavailable

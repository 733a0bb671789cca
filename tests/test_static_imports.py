"""Static tools follow every ``dgpbench.*`` import, from a plugin written outside the tree.

The namespace maps top-level folders (``generators/`` ...) to ``dgpbench.generators`` ...;
``src/dgpbench`` links them so the editable install is a plain path that a type checker and
an editor's go-to-definition can follow. An import hook would hide them: mypy would then
say "Cannot find implementation or library stub" and check nothing that uses them.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MYPY = Path(sys.executable).parent / "mypy"

PLUGIN = """
from dgpbench.generators.base import Observed
from dgpbench.models.base import Capabilities, Fitted, Model
from dgpbench.models.registry import MODELS


class MeanFitted(Fitted):
    def __init__(self, mean: float) -> None:
        self.value = mean


class MeanModel(Model):
    name = "mean_model"
    capabilities = Capabilities()

    def _fit(self, observed: Observed, seed: int) -> Fitted:
        y = observed.frame[observed.roles.outcome]
        return MeanFitted(float(y.mean()))


MODELS.register("mean_model", MeanModel)
"""

# The same plugin with one type error that only a checker that resolved the import can see.
WRONG = (
    PLUGIN
    + """

def fitted_count(model: Model, observed: Observed) -> int:
    return model.fit(observed, 0)
"""
)


def mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "plugin.py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [str(MYPY), "--strict", "--no-incremental", "plugin.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # outside the tree: none of the project's configuration applies
        timeout=300,
    )


@pytest.fixture(autouse=True)
def _mypy_installed():
    if not MYPY.exists() and shutil.which("mypy") is None:
        pytest.fail("mypy is part of the test extra: install the project with `make venv`")


def test_a_plugin_outside_the_tree_type_checks_against_dgpbench(tmp_path):
    out = mypy(tmp_path, PLUGIN)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout


def test_the_checker_sees_dgpbench_types_not_a_missing_module(tmp_path):
    out = mypy(tmp_path, WRONG)
    assert out.returncode == 1, out.stdout
    assert '"Fitted", expected "int")  [return-value]' in out.stdout, out.stdout
    assert "Cannot find implementation" not in out.stdout and "import-untyped" not in out.stdout

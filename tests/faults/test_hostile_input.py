"""Hostile input is refused quickly: exit 2 with one line, nothing created, within seconds.

Each attack was reproduced on the tool before its fix: a 470-byte YAML alias bomb in
``params`` ran for minutes at full CPU; a million seeds, or 1000 labels x 1000 seeds, were
planned as a million cells; a lone surrogate in a suite name gave a traceback after creating
the store; ``report -o DIR`` gave a traceback; ``results %`` matched every run as a SQL
wildcard; ``--workers`` had no upper bound; ``leaderboard`` printed labels' ANSI escape codes
raw. Every command runs as a user runs it (a subprocess) under a time bound far below what
the attack took.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from faults_support import TINY, run_cli, suite_yaml

from dgpbench.benchmarks import suite as suite_mod
from dgpbench.benchmarks.suite_input import MAX_ALIAS_NODES, MAX_CELLS, MAX_SUITE_BYTES
from dgpbench.errors import BadInput

BOUND = 20  # seconds for a refusal, imports included on a loaded machine; the attacks ran for minutes

ALIAS_BOMB = """\
name: bomb
seeds: [0]
generators:
  - name: heteroscedastic
    params:
      a: &a [x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
models: [ols]
"""


def refused(proc, *needles: str) -> str:
    """The one line of a bad-input refusal (exit 2), holding each of ``needles``."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("dgpbench: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def refused_run(tmp_path: Path, text: str, *needles: str) -> str:
    """``dgpbench run`` of a suite with ``text`` is refused within BOUND and creates no store."""
    suite, store = tmp_path / "suite.yaml", tmp_path / "store.sqlite"
    suite.write_text(text, encoding="utf-8", errors="surrogatepass")
    line = refused(run_cli("run", str(suite), "--store", str(store), "--no-progress", timeout=BOUND), *needles)
    assert line.count(str(suite)) <= 1 and "invalid YAML" not in line, line  # said once, and plainly
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite.yaml"]  # no store, no journal
    return line


@pytest.fixture(scope="module")
def finished_store(tmp_path_factory) -> Path:
    """A store holding one finished run of one tiny cell."""
    folder = tmp_path_factory.mktemp("finished")
    (folder / "suite.yaml").write_text(suite_yaml(["ols"], [0], name="tiny"))
    proc = run_cli("run", str(folder / "suite.yaml"), "--store", str(folder / "s.sqlite"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    return folder / "s.sqlite"


@pytest.fixture
def store(finished_store, tmp_path) -> Path:
    copy = tmp_path / "store" / "s.sqlite"
    copy.parent.mkdir()
    shutil.copyfile(finished_store, copy)
    return copy


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes, but SQLite's own ``-wal``/``-shm`` sidecars,
    which any reader of a WAL store may create."""
    files = (p for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm")))
    return {str(p.relative_to(folder)): p.read_bytes() for p in files}


# -- suites -----------------------------------------------------------------------------------


def test_yaml_alias_bomb_is_refused_at_once(tmp_path):
    refused_run(tmp_path, ALIAS_BOMB, "suite.yaml", "alias", f"{MAX_ALIAS_NODES:,}")


def test_recursive_alias_is_refused(tmp_path):
    text = suite_yaml(["ols"], [0], generators=("{name: heteroscedastic, params: {n: &loop [*loop]}}",))
    refused_run(tmp_path, text, "suite.yaml", "recursive")


def test_a_few_aliases_still_work():
    text = suite_yaml(
        ["ols"],
        [0],
        generators=(
            "{name: heteroscedastic, label: a, params: &small {n: 30, n_test: 10}}",
            "{name: heteroscedastic, label: b, params: *small}",
        ),
    )
    suite = suite_mod.parse(text)
    assert [g.params for g in suite.generators] == [{"n": 30, "n_test": 10}] * 2


def test_a_million_seeds_are_refused_before_parsing(tmp_path):
    seeds = "[" + ",".join(map(str, range(10**6))) + "]"
    text = suite_yaml(["ols"], [0]).replace("seeds: [0]", f"seeds: {seeds}")
    refused_run(tmp_path, text, "suite.yaml", f"{MAX_SUITE_BYTES:,} bytes", "DGPBENCH_MAX_SUITE_BYTES")


def thousand_by_thousand() -> str:
    labels = [f"{{name: heteroscedastic, label: g{i}, params: {{n: 30, n_test: 10}}}}" for i in range(1000)]
    return suite_yaml(["ols"], list(range(1000)), generators=tuple(labels))


def test_a_million_cells_are_refused_naming_the_limit_and_how_to_raise_it(tmp_path):
    refused_run(
        tmp_path, thousand_by_thousand(), "1,000,000 cells", f"{MAX_CELLS:,}", "max_cells", "DGPBENCH_MAX_CELLS"
    )


def test_many_seeds_within_the_size_limit_meet_the_cell_limit():
    seeds = list(range(MAX_CELLS // 2 + 1))
    text = suite_yaml(["ols", "linear_gaussian"], seeds)
    assert len(text.encode()) < MAX_SUITE_BYTES
    with pytest.raises(BadInput, match=f"{MAX_CELLS + 2:,} cells"):
        suite_mod.parse(text, "x.yaml")


def test_the_size_limit_is_raised_by_the_environment(monkeypatch):
    text = suite_yaml(["ols"], [0])
    monkeypatch.setenv("DGPBENCH_MAX_SUITE_BYTES", "100")
    with pytest.raises(BadInput, match=r"more than the limit of 100 bytes.*DGPBENCH_MAX_SUITE_BYTES"):
        suite_mod.parse(text, "x.yaml")
    monkeypatch.setenv("DGPBENCH_MAX_SUITE_BYTES", str(len(text)))
    assert suite_mod.parse(text, "x.yaml").name == "faults"
    monkeypatch.setenv("DGPBENCH_MAX_SUITE_BYTES", "-1")
    with pytest.raises(BadInput, match="DGPBENCH_MAX_SUITE_BYTES='-1': must be a positive integer"):
        suite_mod.parse(text, "x.yaml")


def test_the_cell_limit_counts_only_the_pairs_a_suite_asks_for():
    models = ["{name: ols, generators: [g0]}", "{name: twfe, generators: [g1]}"]
    gens = ("{name: heteroscedastic, label: g0}", "{name: did_panel, label: g1, seeds: [0, 1]}")
    text = suite_yaml(models, [0, 1, 2], generators=gens) + "max_cells: 5\n"
    assert suite_mod.parse(text).max_cells == 5  # 3 seeds x ols + 2 seeds x twfe
    with pytest.raises(BadInput, match=r"5 cells.*limit of 4"):
        suite_mod.parse(text.replace("max_cells: 5", "max_cells: 4"))


def test_the_cell_limit_is_raised_by_the_suite_key_or_the_environment(monkeypatch):
    text = thousand_by_thousand()
    assert suite_mod.parse(text + "max_cells: 1000000\n").max_cells == 10**6
    monkeypatch.setenv("DGPBENCH_MAX_CELLS", "1000000")
    assert len(suite_mod.parse(text).generators) == 1000
    monkeypatch.setenv("DGPBENCH_MAX_CELLS", "lots")
    with pytest.raises(BadInput, match="DGPBENCH_MAX_CELLS"):
        suite_mod.parse(text)


@pytest.mark.parametrize("bad", ["max_cells: 0", "max_cells: -3", "max_cells: true", "max_cells: 1.5"])
def test_max_cells_must_be_a_positive_integer(bad):
    with pytest.raises(BadInput, match="max_cells"):
        suite_mod.parse(suite_yaml(["ols"], [0]) + bad + "\n")


def test_max_cells_leaves_the_suite_hash_alone():
    """Raising a limit asks for no other results, so a run resumes across it."""
    text = suite_yaml(["ols"], [0])
    assert suite_mod.parse(text + "max_cells: 7\n").hash() == suite_mod.parse(text).hash()


def one_line_suite(key: str, value: str) -> str:
    """The tiny suite with top-level ``key`` set to the YAML ``value``."""
    keys = {"name": "s", "seeds": "[0]", "generators": f"[{TINY}]", "models": "[ols]", "metrics": "[coef_error]"}
    return "".join(f"{k}: {value if k == key else v}\n" for k, v in {**keys, key: value}.items())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", '"caf\\udce9"'),
        ("generators", '[{name: heteroscedastic, label: "caf\\udce9"}]'),
        ("models", '[{name: ols, label: "\\ud800"}]'),
        ("description", '"\\udfff"'),
    ],
)
def test_lone_surrogate_is_refused_before_the_store_exists(key, value, tmp_path):
    refused_run(tmp_path, one_line_suite(key, value), "surrogate", key)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", '"\\e[2J\\e[31mred"'),
        ("generators", '[{name: heteroscedastic, label: "\\e[31mred\\e[0m"}]'),
        ("models", '[{name: ols, label: "ols\\rfake"}]'),
    ],
)
def test_control_characters_in_names_and_labels_are_refused(key, value, tmp_path):
    line = refused_run(tmp_path, one_line_suite(key, value), "control character", key)
    assert "\x1b" not in line and "\r" not in line


# -- the command line -------------------------------------------------------------------------


def test_workers_beyond_the_machine_are_refused(tmp_path):
    (tmp_path / "suite.yaml").write_text(suite_yaml(["ols"], [0]))
    proc = run_cli(
        "run", str(tmp_path / "suite.yaml"), "--store", str(tmp_path / "s.sqlite"), "--workers", "100000", timeout=BOUND
    )
    refused(proc, "--workers 100000", "at most")
    assert not (tmp_path / "s.sqlite").exists()


def test_results_run_id_is_a_prefix_not_a_pattern(store):
    before = files_of(store.parent)
    for pattern in ("%", "_", "2%"):
        refused(run_cli("results", pattern, "--store", str(store), timeout=BOUND), repr(pattern), "not in the store")
    run_id = sqlite3.connect(store).execute("SELECT run_id FROM runs").fetchone()[0]
    ok = run_cli("results", run_id[:10], "--store", str(store), timeout=BOUND)  # a real prefix still works
    assert ok.returncode == 0 and run_id in ok.stdout
    assert files_of(store.parent) == before


def test_report_into_a_directory_is_refused(store, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    before = files_of(tmp_path)
    refused(run_cli("report", "-o", str(out), "--store", str(store), timeout=BOUND), str(out), "directory")
    assert files_of(tmp_path) == before


def test_leaderboard_escapes_control_characters_of_stored_labels(store):
    """A store written before labels were checked (or by hand) may hold escape codes: the
    terminal table shows them escaped, never as codes the terminal obeys."""
    db = sqlite3.connect(store)
    with db:
        db.execute("UPDATE cells SET generator = ?, model = ?", ("\x1b[2J\x1b[31mred", "ols\rfake\x07"))
    db.close()
    before = files_of(store.parent)
    proc = run_cli("leaderboard", "--store", str(store), "--detail", timeout=BOUND)
    assert proc.returncode == 0, proc.stderr
    assert not {"\x1b", "\r", "\x07"} & set(proc.stdout)
    assert "\\x1b[2J\\x1b[31mred" in proc.stdout and "ols\\rfake\\x07" in proc.stdout
    assert files_of(store.parent) == before


def test_plugin_help_says_plugins_run_arbitrary_code():
    proc = run_cli("run", "--help", timeout=BOUND)
    assert proc.returncode == 0
    assert "arbitrary code" in " ".join(proc.stdout.split())


def test_docs_state_the_trust_boundary():
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/distributed.md"):
        assert "arbitrary code" in " ".join((root / doc).read_text().split()), doc


def test_suite_limits_are_documented():
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    for name in ("max_cells", "DGPBENCH_MAX_CELLS", "DGPBENCH_MAX_SUITE_BYTES", f"{MAX_CELLS:,}"):
        assert name in readme, name


@pytest.mark.parametrize("attack", ["bomb", "seeds"])
def test_direct_parse_is_bounded_too(attack):
    """The Python face (``suite.parse``) refuses as the command does."""
    text = ALIAS_BOMB if attack == "bomb" else "seeds: [" + ",".join(["1"] * (MAX_SUITE_BYTES // 2)) + "]\n"
    with pytest.raises(BadInput):
        suite_mod.parse(text, "x.yaml")


@pytest.mark.parametrize("name", suite_mod.builtin_suites())
def test_the_limits_refuse_no_builtin_suite(name):
    assert suite_mod.load(name).max_cells is None


def test_an_ordinary_suite_passes_the_limits():
    suite = suite_mod.parse(suite_yaml(["ols", "twfe"], [0, 1, 2], generators=(TINY,)))
    assert suite.max_cells is None and len(suite.models) == 2

"""Bad input never ends in a traceback: hundreds of malformed suites (wrong types, unknown
keys, broken YAML, huge numbers, negative seeds, empty lists, Python tags) and bad command
lines each end with exit code 2 and one ``dgpbench: error:`` line that names the key."""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dgpbench.benchmarks.suite import MAX_SEED, TOP_KEYS
from dgpbench.cli.main import main

BASE = {
    "name": "fuzz",
    "seeds": [0, 1],
    "time_limit": 30,
    "generators": [{"name": "heteroscedastic", "params": {"n": 30, "n_test": 10}}],
    "models": [{"name": "ols"}, {"name": "linear_gaussian", "label": "lg"}],
}
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
huge = st.one_of(st.integers(2**53 + 1, 10**400), st.integers(-(10**400), -(2**53) - 1))
names = st.text(min_size=1, max_size=12)
entry_kind = st.sampled_from(["generators", "models"])


def _wrong_type(key: str):
    ok = TOP_KEYS[key]
    return junk.filter(lambda v: isinstance(v, bool) or not isinstance(v, ok))


@st.composite
def broken_docs(draw):
    """(suite document, a fragment the error message must contain)."""
    doc = copy.deepcopy(BASE)
    kind = draw(
        st.sampled_from(
            [
                "unknown_top",
                "missing",
                "wrong_type",
                "bad_seed",
                "no_seeds",
                "dup_seed",
                "bad_time",
                "empty_entries",
                "entry_type",
                "entry_key",
                "entry_name",
                "entry_label",
                "dup_label",
                "params_type",
                "param_unknown",
                "param_value",
                "param_huge",
                "metric",
                "no_metrics",
                "metrics_word",
                "empty_name",
                "model_seeds",
            ]
        )
    )
    if kind == "unknown_top":
        key = draw(st.one_of(names, st.integers())).__str__()
        if key in TOP_KEYS:
            key += "_x"
        doc[key] = draw(junk)
        return doc, key
    if kind == "missing":
        key = draw(st.sampled_from(["name", "seeds", "generators", "models"]))
        del doc[key]
        return doc, key
    if kind == "wrong_type":
        key = draw(st.sampled_from(sorted(TOP_KEYS)))
        doc[key] = draw(_wrong_type(key))
        return doc, key
    if kind == "bad_seed":
        bad = draw(
            st.one_of(
                st.integers(max_value=-1),
                st.integers(min_value=MAX_SEED + 1, max_value=10**400),
                st.floats(),
                st.text(max_size=5),
                st.booleans(),
                st.none(),
                st.lists(st.integers()),
            )
        )
        seeds = [0, 1]
        seeds.insert(draw(st.integers(0, 2)), bad)
        doc["seeds"] = seeds
        return doc, "seeds"
    if kind == "no_seeds":
        doc["seeds"] = []
        return doc, "seeds"
    if kind == "dup_seed":
        doc["seeds"] = [3, 1, 3]
        return doc, "seeds"
    if kind == "bad_time":
        doc["time_limit"] = draw(
            st.one_of(
                st.floats(max_value=0),
                st.floats(min_value=604800.5),
                st.integers(max_value=0),
                st.integers(604801, 10**400),
                st.just(float("nan")),
                st.just(float("inf")),
            )
        )
        return doc, "time_limit"
    if kind == "empty_name":
        doc["name"] = draw(st.sampled_from(["", " ", "\t"]))
        return doc, "name"
    section = draw(entry_kind)
    entries = doc[section]
    i = draw(st.integers(0, len(entries) - 1))
    where = f"{section}[{i}]"
    if kind == "empty_entries":
        doc[section] = []
        return doc, section
    if kind == "entry_type":
        entries[i] = draw(junk.filter(lambda v: not isinstance(v, (dict, str))))
        return doc, where
    if kind == "entry_key":
        key = draw(names.filter(lambda k: k not in ("name", "label", "params", "seeds")))
        entries[i][key] = draw(junk)
        return doc, where
    if kind == "entry_name":
        entries[i]["name"] = draw(
            st.one_of(junk.filter(lambda v: not isinstance(v, str)), names.map(lambda s: "no_such_" + s))
        )
        return doc, f"{where}.name"
    if kind == "entry_label":
        entries[i]["label"] = draw(st.one_of(junk.filter(lambda v: not isinstance(v, str)), st.just(""), st.just(" ")))
        return doc, f"{where}.label"
    if kind == "dup_label":
        doc["models"] = [{"name": "ols", "label": "same"}, {"name": "linear_gaussian", "label": "same"}]
        return doc, "models[1].label"
    if kind == "params_type":
        entries[i]["params"] = draw(junk.filter(lambda v: v and not isinstance(v, dict)))
        return doc, f"{where}.params"
    if kind == "param_unknown":
        entries[i]["params"] = {draw(names.map(lambda s: "zz_" + s)): draw(junk)}
        return doc, f"{where}.params"
    if kind == "param_value":
        doc["generators"][0]["params"]["n"] = draw(
            st.one_of(
                st.integers(max_value=1), st.floats(), st.text(max_size=4), st.booleans(), st.lists(st.integers())
            )
        )
        return doc, "generators[0].params"
    if kind == "param_huge":
        doc["generators"][0]["params"][draw(st.sampled_from(["n", "n_test"]))] = draw(huge)
        return doc, "generators[0].params"
    if kind == "metric":
        doc["metrics"] = ["crps", draw(st.one_of(names.map(lambda s: "no_such_" + s), st.integers(), st.none()))]
        return doc, "metrics[1]"
    if kind == "no_metrics":
        doc["metrics"] = []
        return doc, "metrics"
    if kind == "metrics_word":
        doc["metrics"] = draw(names.filter(lambda s: s != "all"))
        return doc, "metrics"
    if kind == "model_seeds":
        doc["models"][0]["seeds"] = [0]
        return doc, "models[0].seeds"
    raise AssertionError(kind)


BAD_TEXTS = [
    "name: [unclosed\nseeds: [0]\n",
    "name: x\n  seeds: [0]\n bad indent: 1\n",
    "\tname: tabs are not indentation\n",
    "name: x\nseeds: {0: 1\n",
    "name: !!python/object/apply:os.system ['echo pwned']\nseeds: [0]\n",
    "name: !!python/object:dgpbench.benchmarks.cell.Cell {}\n",
    "!!python/name:os.system\n",
    "name: x\nseeds: !!binary aGVsbG8=\n",
    "? [a, b]\n: c\n",
    "name: *undefined_alias\n",
    "%YAML 9.9\n---\nname: x\n",
    "- just\n- a list\n",
    "42\n",
    "",
    "~\n",
    "name: x\n" * 3 + "seeds: [0]\n...\n---\nname: second document\n",
    "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
    "generators: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
    "[" * 5000 + "]" * 5000 + "\n",
    "name: x\nseeds: [" + "7" * 5000 + "]\n",
    "name: x\ntime_limit: " + "9" * 400 + "\n",
    "name: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _one_error_line(capsys) -> str:
    """The error line; argparse's usage lines may precede it, a traceback never."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("dgpbench: error: "), err
    assert all(line.startswith(("usage:", " ")) for line in lines[:-1]), err
    return lines[-1]


def _run_suite_text(text: str | bytes, folder, capsys) -> str:
    path = folder / "suite.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    store = folder / "store" / "s.sqlite"
    code = main(["run", str(path), "--store", str(store), "--no-progress"])
    created = store.exists()
    if created:
        os.remove(store)
    assert code == 2
    assert not created, "the store was created: work started before validation finished"
    return _one_error_line(capsys)


@SETTINGS
@given(case=broken_docs())
def test_malformed_suite_exits_2_naming_the_key(case, folder, capsys):
    doc, key = case
    line = _run_suite_text(yaml.safe_dump(doc, allow_unicode=True), folder, capsys)
    assert key in line or repr(key) in line, (key, line)


@pytest.mark.parametrize("text", BAD_TEXTS, ids=range(len(BAD_TEXTS)))
def test_broken_yaml_exits_2_naming_the_file(text, folder, capsys):
    assert str(folder / "suite.yaml") in _run_suite_text(text, folder, capsys)


@SETTINGS
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_exit_2(data, folder, capsys):
    """Random bytes are either a broken suite or not UTF-8; never a run, never a traceback."""
    _run_suite_text(data, folder, capsys)


def test_python_tags_are_rejected_and_never_executed(folder, capsys):
    marker = folder / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\nseeds: [0]\n"
    assert str(folder / "suite.yaml") in _run_suite_text(text, folder, capsys)
    assert not marker.exists()


# -- command lines ---------------------------------------------------------------------------------

GOOD_SUITE = yaml.safe_dump(BASE)
ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=10)


@st.composite
def bad_argv(draw):
    """(argv, a fragment the error message must contain, or '')."""
    case = draw(
        st.sampled_from(
            [
                "workers",
                "workers_text",
                "only",
                "only_nomatch",
                "plugin",
                "plugin_file",
                "scheduler",
                "unknown_option",
                "missing_suite",
                "no_such_suite",
                "format",
                "list_what",
                "command",
                "no_command",
                "no_store",
                "compare_args",
            ]
        )
    )
    run = ["run", "{suite}", "--store", "{store}", "--no-progress"]
    if case == "workers":
        return [*run, "--workers", str(draw(st.integers(-(10**6), 0)))], "--workers"
    if case == "workers_text":
        value = draw(
            st.text(min_size=1, max_size=6).filter(
                lambda s: not s.strip().lstrip("+-").isdigit() and not s.startswith("-")
            )
        )
        return [*run, "--workers", value], "--workers"
    if case == "only":
        value = draw(st.text(min_size=1, max_size=12).filter(lambda s: "=" not in s and not s.startswith("-")))
        return [*run, "--only", value], "--only"
    if case == "only_nomatch":
        return [*run, "--only", f"{draw(st.sampled_from(['generator', 'model']))}=nomatch_{draw(ident)}"], "--only"
    if case == "plugin":
        name = "no_such_plugin_" + draw(ident)
        return [*run, "--plugin", name], name
    if case == "plugin_file":
        return [*run, "--plugin", f"/no/such/dir/{draw(ident)}.py"], "--plugin"
    if case == "scheduler":
        return [*run, "--scheduler", "no_port_" + draw(ident)], "--scheduler"
    if case == "unknown_option":
        return [*run, "--" + draw(ident) + "_bogus"], "_bogus"
    if case == "missing_suite":
        return ["run"], "suite"
    if case == "no_such_suite":
        name = "no_such_suite_" + draw(ident)
        return ["run", name, "--store", "{store}"], name
    if case == "format":
        cmd = draw(st.sampled_from(["list", "leaderboard", "results"]))
        return [cmd, "--format", "xx_" + draw(ident)], "--format"
    if case == "list_what":
        return ["list", "xx_" + draw(ident)], "what"
    if case == "command":
        return ["xx_" + draw(ident)], "command"
    if case == "no_command":
        return [], "command"
    if case == "no_store":
        cmd = draw(st.sampled_from(["leaderboard", "results", "report"]))
        return [cmd, "--store", "{folder}/absent_" + draw(ident) + ".sqlite"], "absent_"
    if case == "compare_args":
        return ["compare", draw(ident)], "run_b"
    raise AssertionError(case)


@SETTINGS
@given(case=bad_argv())
def test_bad_command_line_exits_2(case, folder, capsys):
    argv, fragment = case
    (folder / "good.yaml").write_text(GOOD_SUITE)
    store = folder / "cli-store" / "s.sqlite"
    fill = {"{suite}": str(folder / "good.yaml"), "{store}": str(store), "{folder}": str(folder)}
    argv = [fill.get(a, a) if not a.startswith("{folder}") else a.replace("{folder}", str(folder)) for a in argv]
    assert main(argv) == 2, argv
    line = _one_error_line(capsys)
    assert fragment in line, (argv, line)
    if store.exists():
        os.remove(store)

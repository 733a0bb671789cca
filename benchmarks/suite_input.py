"""Reading a suite's YAML (``yaml.SafeLoader`` only) and the limits on a suite as hostile
input, each checked before anything is planned or created.

A suite file is user input that a run expands and stores, and each step can be made to blow
up: a few hundred bytes of YAML aliases name a billion nodes (every walk over them then runs
for minutes), a seed list asks for millions of cells, a string holds a lone surrogate that no
file or SQLite text can store, or escape codes that a terminal obeys when a table prints it.
Each limit is far above what a real suite needs; the message says how to raise it.

- the file: at most ``MAX_SUITE_BYTES`` (1 MiB, a list of 150,000 seeds), checked before it
  is parsed (``DGPBENCH_MAX_SUITE_BYTES`` raises it);
- aliases (``*name``) may add at most ``MAX_ALIAS_NODES`` YAML nodes to those written, and no
  alias may contain itself;
- cells: at most ``MAX_CELLS`` (generator entries x their seeds x the models that run on
  them), raised by the suite key ``max_cells`` or ``DGPBENCH_MAX_CELLS``;
- text: no string may hold a lone surrogate; names and labels are printable.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from dgpbench.errors import BadInput

MAX_SUITE_BYTES = 1 << 20
MAX_ALIAS_NODES = 100_000
MAX_CELLS = 100_000
BYTES_VAR = "DGPBENCH_MAX_SUITE_BYTES"
CELLS_VAR = "DGPBENCH_MAX_CELLS"


def env_limit(var: str, default: int) -> int:
    """A positive integer limit from the environment variable ``var``, else ``default``."""
    raw = os.environ.get(var)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise BadInput(f"environment variable {var}={raw!r}: must be a positive integer")
    return value


def check_size(n_bytes: int, source: str) -> None:
    """Refuse a suite text of more than the byte limit before reading or parsing it."""
    limit = env_limit(BYTES_VAR, MAX_SUITE_BYTES)
    if n_bytes > limit:
        raise BadInput(
            f"{source}: the suite is {n_bytes:,} bytes, more than the limit of {limit:,} bytes; "
            f"set the environment variable {BYTES_VAR} to raise it"
        )


def load_yaml(text: str, source: str) -> Any:
    """``yaml.safe_load`` of ``text``, refusing aliases that expand it beyond the limit; any
    YAML error becomes one line naming the file and where.

    The node graph is composed first (aliases share their node, so it is as small as the
    text) and its expanded size counted once per distinct node; only then is it built into
    Python objects that validation walks.
    """
    check_size(len(text.encode("utf-8", "surrogatepass")), source)
    try:
        return _bounded_load(text, source)
    except BadInput:
        raise
    except RecursionError:
        raise BadInput(f"{source}: invalid YAML: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal of more digits than Python converts
        raise BadInput(f"{source}: invalid YAML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise BadInput(f"{source}: invalid YAML{where}: {problem}") from None


def _bounded_load(text: str, source: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        written, expanded = _node_counts(node, source)
        if expanded - written > MAX_ALIAS_NODES:
            raise BadInput(
                f"{source}: YAML aliases expand the suite to {expanded:,} nodes from {written:,} written, "
                f"more than {MAX_ALIAS_NODES:,} added by aliases; write the repeated parts out instead"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _node_counts(root: yaml.Node, source: str) -> tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded), without expanding anything:
    each distinct node's expanded size is computed once, children first (an iterative walk,
    so deep nesting costs no recursion)."""
    size: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the path from the root, still being counted
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            open_.discard(key)
        elif key not in size:
            if key in open_:
                mark = node.start_mark
                raise BadInput(f"{source}: a recursive YAML alias at line {mark.line + 1} contains itself")
            open_.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node) if id(c) not in size)
    return len(size), size[id(root)]


def check_text(doc: Any, source: str) -> None:
    """Refuse any string (key or value) holding a lone surrogate, naming its key path: SQLite,
    JSON files and terminals cannot store it, so it would fail only once the store exists."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, key = stack.pop()
        if isinstance(value, str):
            _check_surrogates(value, source, key or "(document)")
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str):
                    _check_surrogates(k, source, f"{key}.{ascii(k)}" if key else ascii(k))
                stack.append((v, f"{key}.{k}" if key else str(k)))
        elif isinstance(value, list):
            stack.extend((v, f"{key}[{i}]") for i, v in enumerate(value))


def _check_surrogates(text: str, source: str, key: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        key = key.encode("utf-8", "backslashreplace").decode()
        raise BadInput(
            f"{source}: {key}: {ascii(text)} holds a lone surrogate ({ascii(text[exc.start])}), "
            "which no file or database can store; write the character it stands for"
        ) from None


def check_printable(text: str, source: str, key: str) -> None:
    """A name or label is printed in terminal tables: refuse control characters (escape
    codes a terminal would obey, carriage returns that overwrite a line)."""
    if not text.isprintable():
        raise BadInput(f"{source}: {key}: {ascii(text)} holds a control character; use printable text")


def max_cells(value: Any, source: str) -> int | None:
    """The suite key ``max_cells``: a positive integer, or None where the suite has none."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadInput(f"{source}: max_cells: {value!r} must be a positive integer")
    return value


def check_cells(n_cells: int, suite_limit: int | None, source: str) -> None:
    """Refuse a suite asking for more cells than its limit, before any is planned."""
    limit = suite_limit or env_limit(CELLS_VAR, MAX_CELLS)
    if n_cells > limit:
        raise BadInput(
            f"{source}: the suite asks for {n_cells:,} cells (generator entries x their seeds x models), "
            f"more than the limit of {limit:,}; raise it with the suite key `max_cells: N` "
            f"or the environment variable {CELLS_VAR}"
        )

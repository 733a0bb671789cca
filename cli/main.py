"""``dgpbench`` command line: the parser, the dispatch and the exit codes.

Each command is a module of this package owning its subparser (``add_parser``) and its
``run(args) -> int`` (asv's ``commands/``); this module only assembles them. Commands import
the layers they use when they run, so ``dgpbench --help`` and ``dgpbench list`` start fast.

Exit codes: 0 success (including runs whose failed cells were recorded), 2 bad input
(suite, arguments, plugin, store path), 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from types import ModuleType

from dgpbench.cli import check, compare, leaderboard, report, results
from dgpbench.cli import list as list_command
from dgpbench.cli import run as run_command
from dgpbench.errors import BadInput

# In the order ``dgpbench --help`` lists them.
COMMANDS: dict[str, ModuleType] = {
    "list": list_command,
    "run": run_command,
    "report": report,
    "leaderboard": leaderboard,
    "compare": compare,
    "results": results,
    "check": check,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's usage errors are bad input too: exit 2, one line
        raise BadInput(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dgpbench", description="Does model M recover the data generating process of generator G?")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS.values():
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command].run(args)
    except BadInput as exc:
        print(f"dgpbench: error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # a page of the store went bad after it was opened
        print(f"dgpbench: error: the store cannot be read ({exc}); it was not written to", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def console() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console()

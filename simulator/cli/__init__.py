"""``rollout-sim``: the command-line interface.

Each group of subcommands lives in its own module with a ``register(subparsers)``
function; :data:`COMMAND_MODULES` lists them and :data:`COMMANDS` says which module adds
which command, so that a process imports only the module of the command it runs (the
others pull in the deck, the workbook, the charts, VOI and actuals: about half a second
of start-up). Bad input exits with status 2 and one clear line per problem on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

from ..scenario import ScenarioError

#: Modules (relative to this package) that add subcommands.
COMMAND_MODULES = ["core", "export", "sweep", "analysis", "update", "calibrate", "voi",
                   "gates", "classes", "cases"]
#: The module that adds each command (tests/test_cli_startup.py checks it against them).
COMMANDS = {"validate": "core", "run": "core", "export": "export", "sweep": "sweep",
            "gap": "analysis", "levers": "analysis", "sensitivity": "analysis",
            "breakeven": "analysis", "update": "update", "calibrate": "calibrate",
            "voi": "voi", "gates": "gates", "classes": "classes", "cases": "cases"}


class CliError(Exception):
    """A user error the CLI reports as one line and exit status 2."""


_LONG_NUMBER = re.compile(r"\d{31,}")


def short_numbers(text: str) -> str:
    """``text`` with every number of more than 30 digits (a pasted 300-digit --seed) written
    as ``about 10^N``: a message stays one readable line."""
    return _LONG_NUMBER.sub(lambda m: f"about 10^{len(m.group()) - 1}", text)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of ``command``'s module when it names one
    (what :func:`main` runs: same parse, same errors, far fewer imports)."""
    parser = argparse.ArgumentParser(
        prog="rollout-sim",
        description="Monte Carlo business case for enterprise AI rollouts.",
        epilog="Every term in the outputs (NPV, P10, expectation gap, EVPI, ...) is explained "
               "in docs/glossary.md; from nothing to a CFO deck in 15 minutes: "
               "docs/quickstart-finance.md.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [COMMANDS[command]] if command in COMMANDS else COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    from ..simulation import on_first_kernel, on_first_stream
    from ..warm import announce_compile, announce_stream_compile

    on_first_kernel(announce_compile)  # a cold compile says so on stderr, with progress
    on_first_stream(announce_stream_compile)  # and so does a first very large run
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, CliError) as exc:
        print(f"error: {short_numbers(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemError as exc:  # Ctrl-C delivered inside compiled code surfaces as this
        if isinstance(exc.__context__ or exc.__cause__, KeyboardInterrupt):
            print("interrupted", file=sys.stderr)
            return 130
        raise
    except BrokenPipeError:
        # Output piped into e.g. `head` that closed early: not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file that cannot be read or written: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


# ScenarioError is listed because main() turns it into exit status 2 (the CLI's contract).
__all__ = ["COMMANDS", "COMMAND_MODULES", "CliError", "ScenarioError", "build_parser", "main",
           "short_numbers"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``rollout-sim``: the command-line interface.

Each group of subcommands lives in its own module with a ``register(subparsers)``
function; :data:`COMMAND_MODULES` lists them. Bad input exits with status 2 and one
clear line per problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..scenario import ScenarioError

#: Modules (relative to this package) that add subcommands.
COMMAND_MODULES = ["core", "export", "sweep", "analysis", "update", "calibrate", "voi",
                   "gates"]


class CliError(Exception):
    """A user error the CLI reports as one line and exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollout-sim",
        description="Monte Carlo business case for enterprise AI rollouts.",
        epilog="Every term in the outputs (NPV, P10, expectation gap, EVPI, ...) is explained "
               "in docs/glossary.md; from nothing to a CFO deck in 15 minutes: "
               "docs/quickstart-finance.md.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into e.g. `head` that closed early: not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


# ScenarioError is listed because main() turns it into exit status 2 (the CLI's contract).
__all__ = ["COMMAND_MODULES", "CliError", "ScenarioError", "build_parser", "main"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

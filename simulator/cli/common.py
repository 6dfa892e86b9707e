"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import check_writable, target_kind
from ..csv_safe import to_csv
from ..formatting import json_value
from ..scenario import Scenario, ScenarioError, load_scenario


def add_run_options(p: argparse.ArgumentParser, paths: int = 20_000) -> None:
    """--paths, --seed, --horizon, --set, --format: the options every analysis shares."""
    p.add_argument("file", help="scenario TOML file")
    p.add_argument("--paths", type=int, default=paths, help=f"Monte Carlo paths ({paths})")
    p.add_argument("--seed", type=int, default=7, help="random seed (7)")
    p.add_argument("--horizon", type=int, default=None, help="override horizon, months")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE",
                   help="override a scenario value, e.g. adoption.cohorts[0].size=400 "
                        "(TOML syntax: numbers, true/false, \"text\", {dist=...})")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format on stdout (table)")


def parse_value(text: str) -> Any:
    """A TOML value (number, bool, string, inline table); bare words become strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def with_horizon(sc: Scenario, horizon: int | None) -> Scenario:
    """``sc`` with ``--horizon`` applied as ``scenario.horizon_months``, so the flag gets
    the same checks as ``--set scenario.horizon_months=H`` (waves, gates and levers after
    the horizon are refused, not dropped). One line per problem, naming the flag."""
    if horizon is None or horizon == sc.horizon:
        return sc
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 120:
        return sc  # the run itself reports it ("horizon: 200 is above 120")
    try:
        return sc.with_values({"scenario.horizon_months": horizon})
    except ScenarioError as exc:
        raise ScenarioError([f"--horizon {horizon}: {line}" for line in exc.problems]) \
            from None


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    """The scenario FILE with ``--set`` overrides and ``--horizon`` applied, validated."""
    sc = load_scenario(args.file)
    changes = {}
    for item in getattr(args, "overrides", []) or []:
        if "=" not in item:
            raise ScenarioError([f"--set {item!r}: expected PATH=VALUE"])
        key, value = item.split("=", 1)
        changes[key.strip()] = parse_value(value.strip())
    sc = sc.with_values(changes) if changes else sc
    return with_horizon(sc, getattr(args, "horizon", None))



def emit(data: dict | pd.DataFrame, fmt: str, title: str | None = None) -> None:
    """Print a dict or DataFrame as an aligned table, JSON or CSV."""
    if isinstance(data, dict):
        if fmt == "json":
            print(json.dumps({k: json_value(v) for k, v in data.items()}, indent=2))
            return
        data = pd.DataFrame({"metric": list(data), "value": [json_value(v) for v in
                                                             data.values()]})
    if fmt == "json":
        print(data.to_json(orient="records", indent=2))
    elif fmt == "csv":
        to_csv(data, sys.stdout, index=False)
    else:
        if title:
            print(title)
            print("=" * len(title))
        print(data.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))


def check_out_dir(path: str | None, flag: str = "--out") -> None:
    """Refuse, before any work, an output directory that is an existing file or a special
    file (one line naming the flag and the path)."""
    if path is None:
        return
    kind = target_kind(path)
    if kind not in ("missing", "directory"):
        raise ScenarioError([f"{flag} {path}: exists and is not a directory (name a new or "
                             f"existing directory)"])


def check_out_file(path: str | None, flag: str = "--out", *, sources: tuple = (),
                   force: bool = False) -> None:
    """Refuse, before any work, an output file that is a directory or another special
    file, or (without ``force``) one of the command's own input files."""
    if path is None:
        return
    try:
        check_writable(path)
    except OSError as exc:
        raise ScenarioError([f"{flag} {path}: {exc.strerror}"]) from None
    target = Path(path).resolve()
    for src in sources:
        if src is not None and not force and Path(src).resolve() == target:
            raise ScenarioError([f"{flag} {path}: is the input file {src}; writing it would "
                                 f"overwrite it (name another file, or add --force)"])


def out_dir(path: str | None) -> Path | None:
    """The output directory, created if missing (checked by :func:`check_out_dir`)."""
    if path is None:
        return None
    check_out_dir(path)
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p

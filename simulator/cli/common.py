"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

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


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    sc = load_scenario(args.file)
    changes = {}
    for item in getattr(args, "overrides", []) or []:
        if "=" not in item:
            raise ScenarioError([f"--set {item!r}: expected PATH=VALUE"])
        key, value = item.split("=", 1)
        changes[key.strip()] = parse_value(value.strip())
    return sc.with_values(changes) if changes else sc


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def emit(data: dict | pd.DataFrame, fmt: str, title: str | None = None) -> None:
    """Print a dict or DataFrame as an aligned table, JSON or CSV."""
    if isinstance(data, dict):
        if fmt == "json":
            print(json.dumps({k: _clean(v) for k, v in data.items()}, indent=2))
            return
        data = pd.DataFrame({"metric": list(data), "value": [_clean(v) for v in
                                                             data.values()]})
    if fmt == "json":
        print(data.to_json(orient="records", indent=2))
    elif fmt == "csv":
        data.to_csv(sys.stdout, index=False)
    else:
        if title:
            print(title)
            print("=" * len(title))
        print(data.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))


def out_dir(path: str | None) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p

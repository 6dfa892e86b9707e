"""Shared deployment: start the app for a team, but only with sign-in configured.

``make serve`` runs ``python -m simulator.serve``. It reads the secrets file, and unless it
holds OpenID Connect settings (``[auth]``) and a non-empty allow-list (``[access] allow`` or
``ROLLOUT_SIM_ALLOW``) it prints one line saying what is missing and exits with status 2,
before anything listens. Otherwise it warms numba's cache, prepares its own process as the
app's server (:func:`simulator.warm.serve`: kernels loaded, the default view computed) and
serves ``streamlit run app.py`` in it on the given address, with sign-in enforced in the
app (``ROLLOUT_SIM_REQUIRE_SIGNIN=1``) and error details hidden from visitors. It never prints a
secret's value.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from .ui.access import DOCS, REQUIRE_ENV, auth_problems

ROOT = Path(__file__).resolve().parents[1]
PROG = "rollout-sim serve"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--secrets", type=Path, default=Path(".streamlit/secrets.toml"),
                   help="secrets file with [auth] and [access] (default: %(default)s)")
    p.add_argument("--address", default="0.0.0.0",
                   help="interface to listen on (default: %(default)s, every interface)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--check", action="store_true",
                   help="only check the sign-in settings; start nothing")
    return p


def config_problems(secrets_file: Path, environ: dict[str, str] | None = None) -> list[str]:
    """What keeps ``secrets_file`` from configuring a signed-in deployment (one line each)."""
    if not secrets_file.is_file():
        return [f"{secrets_file} does not exist (it holds [auth] for st.login and "
                "[access] allow)"]
    try:
        secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The decoder's message quotes no file content, only positions.
        return [f"{secrets_file} cannot be read as TOML ({type(exc).__name__})"]
    problems = auth_problems(secrets, environ)
    if importlib.util.find_spec("authlib") is None:
        problems.append("Authlib is not installed (pip install -e .)")
    return problems


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The ``streamlit run`` command line for a shared, signed-in server."""
    exe = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    return [exe, "run", str(ROOT / "app.py"),
            "--server.address", args.address, "--server.port", str(args.port),
            "--server.headless", "true", "--server.fileWatcherType", "none",
            "--server.runOnSave", "false", "--client.showErrorDetails", "none",
            "--client.toolbarMode", "viewer", "--secrets.files", str(args.secrets.resolve())]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    problems = config_problems(args.secrets)
    if problems:
        print(f"{PROG}: refusing to start without sign-in: {'; '.join(problems)} "
              f"(see {DOCS})", file=sys.stderr)
        return 2
    if args.check:
        print(f"{PROG}: sign-in settings in {args.secrets} are complete")
        return 0
    from . import warm

    seconds = warm.warm()
    print(f"{PROG}: simulation kernels ready ({seconds:.1f} s); serving on "
          f"{args.address}:{args.port}, sign-in required", file=sys.stderr, flush=True)
    os.environ[REQUIRE_ENV] = "1"
    # Served from a prepared process, as `make run` does: the default view is computed
    # before the server listens, so the first signed-in visitors share it.
    return warm.serve(["streamlit", *streamlit_command(args)[1:]])


if __name__ == "__main__":
    raise SystemExit(main())

"""The app under concurrent analysts: N browser sessions against one ``streamlit run`` server.

Starts the app on 127.0.0.1 as ``make run`` does (``python -m simulator.warm``, then
``python -m simulator.warm --serve streamlit run app.py``: a prepared process), opens
N pages in Debian's chromium (playwright, never a downloaded browser) at the same moment,
and records for each page the first render (navigation until four charts are drawn and the
script has stopped), then, per change, the update latency
(keypress or entry until the script has run and stopped again, tiles drawn). Each session
first sets its own seed (unless ``--same-inputs``), so nobody can reuse another's results
(the worst case), then moves the discount-rate slider ``--changes`` times. It samples the
server's resident memory (psutil, children included), counts exceptions shown in the pages
or logged by the server, and records the server's CPU seconds: on a shared machine the
latencies measure the contention as much as the app, the CPU seconds do not. The app logs
each run's server-side script time (``ROLLOUT_SIM_RERUN_LOG``, :mod:`simulator.ui.timing`),
reported per first render and update with the part spent queueing for and computing
simulations, so the server's share of a browser-observed latency is known. Prints a JSON
summary; ``--record`` appends a section to benchmarks/RESULTS.md.

The pages' own rendering competes with the server when they run on its machine: eight
chromium pages use several times the server's CPU. ``--client protocol`` replaces them by
clients that speak Streamlit's websocket protocol and render nothing (what the server sees
of analysts whose browsers run on their own machines), and ``--server-cpus 0,1`` keeps the
server (numba's threads included) on those cores and the clients off them.

    .venv/bin/python benchmarks/load_app.py --sessions 8 --changes 4 --record
    .venv/bin/python benchmarks/load_app.py --sessions 1 --changes 6
    .venv/bin/python benchmarks/load_app.py --client protocol --server-cpus 0,1 --sessions 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import machine  # noqa: E402

from simulator.ui.session import DEFAULT_PATHS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WARM_OLD = ("from simulator import load_scenario, simulate; "
            "simulate(load_scenario('scenarios/seed_case.toml'), paths=64, seed=1)")
TIMEOUT_MS = 300_000
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
IDLE = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return !!a && a.getAttribute('data-test-script-state') === 'notRunning'; }")
CHARTS = ("() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
          "[data-testid=\"stVegaLiteChart\"] svg.marks').length >= 4")
# Set before an input changes: remembers whether the script has run since (a
# MutationObserver sees every change of the state attribute, however short the rerun).
ARM = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
       " window.__ran = false; if (window.__obs) window.__obs.disconnect();"
       " window.__obs = new MutationObserver(() => { if (a.getAttribute("
       "'data-test-script-state') === 'running') window.__ran = true; });"
       " window.__obs.observe(a, {attributes: true,"
       " attributeFilter: ['data-test-script-state']}); }")
RERAN = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
         " return window.__ran && a.getAttribute('data-test-script-state') === 'notRunning'"
         " && document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 4; }")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RssSampler(threading.Thread):
    """Peak resident memory of a process and its children, sampled every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def rss(self) -> int:
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs)
        except psutil.Error:
            return 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process and its children."""
    try:
        root = psutil.Process(pid)
        return sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0.0


def machine_busy() -> float:
    """CPU seconds every process on the machine has used since boot (idle and iowait out;
    guest time is already inside user time)."""
    t = psutil.cpu_times()
    return (sum(t) - t.idle - sum(getattr(t, f, 0.0)
                                  for f in ("iowait", "guest", "guest_nice")))


def _children_cpu() -> float:
    """CPU seconds of every finished, reaped descendant of this process."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def pin(cpus: set[int] | None):
    """A ``preexec_fn`` that keeps a child process on ``cpus`` (None: anywhere)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_server(port: int, log: Path, app_root: Path, env: dict,
                 cpus: set[int] | None = None) -> subprocess.Popen:
    env = {**env, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    flags = ["--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    if "--serve" in (app_root / "simulator" / "warm.py").read_text():  # as `make run` serves
        cmd = [sys.executable, "-m", "simulator.warm", "--serve", "streamlit", "run", "app.py",
               *flags]
    else:  # a checkout from before the prepared server process
        cmd = [str(Path(sys.executable).parent / "streamlit"), "run", "app.py", *flags]
    out = log.open("w")
    proc = subprocess.Popen(cmd, cwd=app_root, env=env, stdout=out, stderr=subprocess.STDOUT,
                            preexec_fn=pin(cpus))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited early:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not answer within 120 s")


#: The page is idle with its tiles drawn (the end of a rerun the state attribute missed).
SETTLED = ("() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
           " return a.getAttribute('data-test-script-state') === 'notRunning'"
           " && document.querySelectorAll('[data-testid=\"stMetric\"]').length >= 4; }")
QUIET_S = 1.0  # no message for this long, and idle: a rerun seen only by its messages is over


async def wait_rerun(page, frames: dict, seen: int, t0: float, out: dict) -> float:
    """Seconds from ``t0`` until the rerun started at ``t0`` has finished.

    Normally the page's script-state attribute shows the rerun (``RERAN``). A rerun can
    also finish before the page ever marks the script as running (seen with fast reruns);
    its messages still arrive. When messages arrived after ``t0``, none for ``QUIET_S`` and
    the page is idle, the rerun ended with its last message (counted in ``out``).
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    deadline = t0 + TIMEOUT_MS / 1000
    while True:
        try:
            await page.wait_for_function(RERAN, polling=20, timeout=2000)
            return time.perf_counter() - t0
        except PlaywrightTimeout:
            pass
        last = frames["last"]
        if (frames["n"] > seen and time.perf_counter() - last >= QUIET_S
                and await page.evaluate(SETTLED)):
            out["seen_by_messages"] += 1
            return last - t0
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no rerun within {TIMEOUT_MS / 1000:.0f} s")


async def one_session(browser, url: str, i: int, changes: int, distinct: bool,
                      start: asyncio.Event) -> dict:
    ctx = await browser.new_context(viewport={"width": 1500, "height": 1800})
    page = await ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    out: dict = {"session": i, "updates": [], "errors": [], "seen_by_messages": 0}
    frames = {"n": 0, "last": 0.0}  # websocket messages from the server to this page

    def on_frame(_payload) -> None:
        frames["n"] += 1
        frames["last"] = time.perf_counter()

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    try:
        await start.wait()
        t0 = time.perf_counter()
        await page.goto(url)
        await page.wait_for_function(CHARTS, polling=50, timeout=TIMEOUT_MS)
        await page.wait_for_function(IDLE, polling=50, timeout=TIMEOUT_MS)
        out["first_render"] = time.perf_counter() - t0
        if distinct:
            seed = page.get_by_role("spinbutton", name="Random seed")
            await page.evaluate(ARM)
            seen, t0 = frames["n"], time.perf_counter()
            await seed.fill(str(1000 + i))
            await seed.press("Enter")
            out["updates"].append(await wait_rerun(page, frames, seen, t0, out))
        slider = page.get_by_role("slider", name="Discount rate")
        await slider.focus()
        for _ in range(changes):
            await page.evaluate(ARM)
            seen, t0 = frames["n"], time.perf_counter()
            await slider.press("ArrowRight")
            out["updates"].append(await wait_rerun(page, frames, seen, t0, out))
        out["exceptions"] = await page.locator('[data-testid="stException"]').count()
    except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
        out["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await ctx.close()
    return out


async def drive(url: str, sessions: int, changes: int, distinct: bool) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            start = asyncio.Event()
            tasks = [asyncio.create_task(one_session(browser, url, i, changes, distinct, start))
                     for i in range(sessions)]
            await asyncio.sleep(0.5)
            start.set()
            return await asyncio.gather(*tasks)
        finally:
            await browser.close()


# ------------------------------------------------------------------ protocol clients
#: What a page's first render waits for, counted in the deltas of a run.
CHARTS_MIN = 4


class ProtocolPage:
    """One analyst as the server sees them: Streamlit's own websocket protocol (BackMsg /
    ForwardMsg protobufs) without a browser, so the page's rendering runs elsewhere.

    It does what the page does: on connecting it asks for a run, and to change an input it
    sends that widget's new value and asks for a rerun. The widgets are read from each run's
    deltas with Streamlit's own test parser; values are tracked here as the browser tracks
    them. No message cache is claimed, so the server sends every message in full (a browser
    that holds some of them gets references instead: this client asks for no less).
    """

    def __init__(self, ws):
        self.ws = ws
        self.values: dict[str, object] = {}  # widget id -> the value this page has set
        self.tree = None
        self.exceptions = 0
        self.charts = 0

    async def rerun(self, widgets=()) -> None:
        """Ask for a run with ``widgets`` (WidgetState protos) changed; return when the
        server reports the script finished (a run ended early for a rerun is followed)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.testing.v1.element_tree import parse_tree_from_messages

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        msg.rerun_script.widget_states.widgets.extend(widgets)
        await self.ws.send(msg.SerializeToString())
        deltas = []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                deltas.append(fwd)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    deltas = []
                    continue
                break
        self.tree = parse_tree_from_messages(deltas)
        types = [d.delta.new_element.WhichOneof("type") for d in deltas
                 if d.delta.WhichOneof("type") == "new_element"]
        self.exceptions += types.count("exception")
        self.charts = types.count("vega_lite_chart") + types.count("arrow_vega_lite_chart")

    def widget(self, kind: str, label: str):
        found = [w for w in self.tree.get(kind) if w.label.startswith(label)]  # unit after
        if not found:
            raise LookupError(f"no {kind} labelled {label!r} in the last run")
        return found[0]

    def current(self, w) -> float:
        """The widget's value as the page holds it: the last one set here, else the
        server's (``value`` when the script set it, else the default)."""
        if w.id in self.values:
            return self.values[w.id]
        return (w.proto.value if w.proto.set_value else w.proto.default)[0]

    def state(self, w, value) -> object:
        """The WidgetState proto carrying ``value`` for widget ``w`` (remembered)."""
        self.values[w.id] = value
        return w.set_value(value)._widget_state


async def protocol_session(ws_url: str, i: int, changes: int, distinct: bool,
                           start: asyncio.Event) -> dict:
    """One protocol page: first render, its own seed, then ``changes`` slider steps (the
    ArrowRight of the browser run: one step up, clamped to the slider's maximum)."""
    import websockets

    out: dict = {"session": i, "updates": [], "errors": [], "seen_by_messages": 0}
    try:
        await start.wait()
        t0 = time.perf_counter()
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                      compression=None, open_timeout=TIMEOUT_MS / 1000,
                                      ping_interval=None) as ws:
            page = ProtocolPage(ws)
            await page.rerun()
            if page.charts < CHARTS_MIN:
                raise RuntimeError(f"first run drew {page.charts} charts")
            out["first_render"] = time.perf_counter() - t0
            if distinct:
                seed = page.widget("number_input", "Random seed")
                t0 = time.perf_counter()
                await page.rerun([page.state(seed, 1000 + i)])
                out["updates"].append(time.perf_counter() - t0)
            for _ in range(changes):
                slider = page.widget("slider", "Discount rate")
                step = slider.proto.step
                value = min(page.current(slider) + step, slider.proto.max)
                t0 = time.perf_counter()
                await page.rerun([page.state(slider, value)])
                out["updates"].append(time.perf_counter() - t0)
            out["exceptions"] = page.exceptions
    except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
        out["errors"].append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return out


async def drive_protocol(url: str, sessions: int, changes: int, distinct: bool) -> list[dict]:
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    start = asyncio.Event()
    tasks = [asyncio.create_task(protocol_session(ws_url, i, changes, distinct, start))
             for i in range(sessions)]
    await asyncio.sleep(0.5)
    start.set()
    return await asyncio.gather(*tasks)


def pct(xs: list[float]) -> dict:
    if not xs:
        return {}
    a = np.asarray(xs)
    return {"n": int(a.size), "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2), "max": round(float(a.max()), 2)}


def run(args: argparse.Namespace) -> dict:
    info = machine()
    app_root = args.app_root.resolve()
    if args.server_cpus:  # the pages (this driver, its browser) keep off the server's cores
        rest = os.sched_getaffinity(0) - args.server_cpus
        if not rest or not args.server_cpus <= os.sched_getaffinity(0):
            raise SystemExit(f"--server-cpus: {sorted(args.server_cpus)} must be a proper "
                             f"subset of this process's CPUs {sorted(os.sched_getaffinity(0))}")
        os.sched_setaffinity(0, rest)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "numba_cache" if args.fresh_cache else ROOT / ".numba_cache"
        path = os.pathsep.join(p for p in (str(app_root), os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": path}
        if args.server_cpus:  # the server sees only its cores, numba's threads included
            env["NUMBA_NUM_THREADS"] = str(len(args.server_cpus))
        t0 = time.perf_counter()
        if not args.no_warm:
            warm = (["-m", "simulator.warm"] if (app_root / "simulator/warm.py").exists()
                    else ["-c", WARM_OLD])  # a checkout from before the warm step
            subprocess.run([sys.executable, *warm], cwd=app_root, check=True, env=env,
                           preexec_fn=pin(args.server_cpus))
        warm_s = time.perf_counter() - t0
        return _serve_and_drive(args, info, app_root, env, warm_s)


def _serve_and_drive(args, info, app_root, env, warm_s) -> dict:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "streamlit.log"
        reruns_log = Path(tmp) / "reruns.jsonl"  # one line per script run (simulator.ui.timing)
        proc = start_server(port, log, app_root, {**env, "ROLLOUT_SIM_RERUN_LOG": str(reruns_log)},
                            args.server_cpus)
        sampler = RssSampler(proc.pid)
        sampler.start()
        reaped0 = _children_cpu()
        busy0, t_start, own0 = machine_busy(), time.monotonic(), time.process_time()
        clients = drive_protocol if args.client == "protocol" else drive
        try:
            results = asyncio.run(clients(f"http://127.0.0.1:{port}/", args.sessions,
                                          args.changes, args.distinct))
        finally:
            sampler.stop.set()
            sampler.join()
            rss_end = sampler.rss()
            busy, wall = machine_busy() - busy0, time.monotonic() - t_start
            own_cpu = time.process_time() - own0  # this driver (the protocol clients' CPU)
            server_cpu = cpu_seconds(proc.pid)
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # Browser, its driver and the server have all exited and been reaped by now.
        browser_cpu = _children_cpu() - reaped0 - server_cpu
        server_log = log.read_text()
        runs = server_runs(reruns_log)
    first = [r["first_render"] for r in results if "first_render" in r]
    updates = [u for r in results for u in r["updates"]]
    return {
        "machine": info, "sessions": args.sessions, "changes": args.changes,
        "paths": DEFAULT_PATHS, "client": args.client, "distinct_seeds": args.distinct,
        "server_cpus": sorted(args.server_cpus) if args.server_cpus else None,
        "warm_s": round(warm_s, 1),
        "app_root": str(app_root), "fresh_cache": args.fresh_cache, "warmed": not args.no_warm,
        "first_render_s": pct(first), "update_s": pct(updates),
        "server_cpu_s": round(server_cpu, 1),
        "browser_cpu_s_lower_bound": round(browser_cpu, 1),  # reaped processes only
        "driver_cpu_s": round(own_cpu, 1),
        # the whole machine while the pages ran: what other work took is busy minus ours
        "wall_s": round(wall, 1), "machine_busy_cpu_s": round(busy, 1),
        "machine_cpu_s": round(wall * (os.cpu_count() or 1), 1),
        "server_rss_peak_mb": round(sampler.peak / 1e6), "server_rss_end_mb": round(rss_end / 1e6),
        "page_exceptions": sum(r.get("exceptions", 0) for r in results),
        "session_errors": [e for r in results for e in r["errors"]],
        "updates_seen_by_messages": sum(r.get("seen_by_messages", 0) for r in results),
        "server_tracebacks": server_log.count("Traceback"), "label": args.label,
        **runs,
    }


def server_runs(path: Path) -> dict:
    """Percentiles of the server's own script time per run, from the app's rerun log: the
    first run of each session (its first render) and the later ones (its updates), the part
    of each spent in the runner (queueing for and computing simulations), and computing."""
    first: list[float] = []
    later: list[float] = []
    sim: list[float] = []
    compute: list[float] = []
    seen: set[str] = set()
    lines = []
    if path.exists():
        lines = [json.loads(ln) for ln in path.read_text().splitlines() if ln.strip()]
    for ln in sorted(lines, key=lambda r: r["end"]):
        (later if ln["session"] in seen else first).append(ln["script_s"])
        seen.add(ln["session"])
        sim.append(ln["simulate_s"])
        compute.append(ln.get("compute_s", 0.0))
    return {"server_runs": len(lines), "server_first_run_s": pct(first),
            "server_update_run_s": pct(later), "server_simulate_s": pct(sim),
            "server_compute_s": pct(compute),
            "server_script_total_s": round(sum(first) + sum(later), 1)}


def markdown(res: dict) -> str:
    m = res["machine"]
    f, u = res["first_render_s"], res["update_s"]
    return (
        f"\n### {res['sessions']} session(s), {res['paths']:,} paths, "
        f"{'protocol clients, ' if res.get('client') == 'protocol' else ''}"
        f"{_cpus(res.get('server_cpus'))}"
        f"{'distinct seeds' if res['distinct_seeds'] else 'same inputs'}"
        f"{', ' + res['label'] if res['label'] else ''}\n\n"
        f"{m['date']}, {m['cpu']}, {m['cores']} cores, load (1 min) at start "
        f"{m['load_1min_at_start']:.1f}; `{m['command']}`. Warm step "
        f"{res['warm_s']} s.\n\n"
        "| first render p50 / p95 / max | update p50 / p95 / max (n) | server RSS peak | "
        "server CPU s | exceptions |\n|---|---|---|---|---|\n"
        f"| {f.get('p50')} / {f.get('p95')} / {f.get('max')} s | {u.get('p50')} / "
        f"{u.get('p95')} / {u.get('max')} s ({u.get('n')}) | {res['server_rss_peak_mb']} MB | "
        f"{res['server_cpu_s']} | "
        f"{res['page_exceptions'] + res['server_tracebacks'] + len(res['session_errors'])} |\n"
        + _server_line(res) + _machine_line(res))


def _cpus(cpus: list[int] | None) -> str:
    return f"server on CPUs {','.join(map(str, cpus))} only, " if cpus else ""


def _cpu_set(text: str) -> set[int]:
    try:
        cpus = {int(c) for c in text.split(",") if c.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give CPU numbers such as 0,1") from None
    if not cpus:
        raise argparse.ArgumentTypeError("give at least one CPU number")
    return cpus


def _machine_line(res: dict) -> str:
    """How busy the whole machine was while the pages ran (absent in older results)."""
    if "machine_busy_cpu_s" not in res:
        return ""
    clients = (f"protocol clients {res['driver_cpu_s']}" if res.get("client") == "protocol"
               else f"browsers at least {res['browser_cpu_s_lower_bound']}")
    return (f"\nMachine while the pages ran: {res['wall_s']} s, {res['machine_busy_cpu_s']} of "
            f"{res['machine_cpu_s']} CPU seconds busy (server {res['server_cpu_s']}, {clients}, "
            "the rest other work).\n")


def _server_line(res: dict) -> str:
    """The server's own script time per run (absent for a checkout without the rerun log)."""
    if not res.get("server_runs"):
        return ""
    f, u, s = (res["server_first_run_s"], res["server_update_run_s"],
               res["server_simulate_s"])
    c = res.get("server_compute_s", {})
    return (f"\nServer script time per run ({res['server_runs']} runs, "
            f"{res['server_script_total_s']} s in all): first render p50 / p95 {f.get('p50')} / "
            f"{f.get('p95')} s, update p50 / p95 / max {u.get('p50')} / {u.get('p95')} / "
            f"{u.get('max')} s, of which in the runner (queue + simulation) p50 / p95 "
            f"{s.get('p50')} / {s.get('p95')} s (computing p50 / p95 {c.get('p50')} / "
            f"{c.get('p95')} s; the rest queueing).\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=8)
    p.add_argument("--changes", type=int, default=4, help="slider moves per session")
    p.add_argument("--client", choices=("browser", "protocol"), default="browser",
                   help="browser: chromium pages on this machine (their rendering competes "
                        "with the server for its cores); protocol: Streamlit's websocket "
                        "protocol without a browser, as the server sees analysts whose "
                        "browsers run on their own machines")
    p.add_argument("--server-cpus", type=_cpu_set, default=None, metavar="0,1",
                   help="run the server (and numba's threads) on these CPUs only and the "
                        "pages on the others: a server of that many cores whose analysts' "
                        "browsers run elsewhere (needs more CPUs than these)")
    p.add_argument("--same-inputs", dest="distinct", action="store_false",
                   help="skip the per-session seed: every session asks for the same runs")
    p.add_argument("--app-root", type=Path, default=ROOT,
                   help="checkout whose app.py and simulator/ to serve (to compare versions)")
    p.add_argument("--fresh-cache", action="store_true",
                   help="start from an empty numba cache, as after a fresh install")
    p.add_argument("--no-warm", action="store_true",
                   help="skip `python -m simulator.warm` (the first visitor compiles)")
    p.add_argument("--label", default="", help="a note for the recorded section title")
    p.add_argument("--record", action="store_true", help="append to benchmarks/RESULTS.md")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    res = run(args)
    print(json.dumps(res, indent=1))
    if args.record:
        with (ROOT / "benchmarks" / "RESULTS.md").open("a") as fh:
            fh.write(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

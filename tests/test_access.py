"""Access: `make run` listens on loopback only, `make serve` needs sign-in, the app shows
nothing to a signed-out or not-allowed visitor, secrets and uploads stay out of the logs, and
runs over the app's size limits are refused with one line per problem."""

from __future__ import annotations

import io
import ipaddress
import logging
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from simulator import ScenarioError, loads_scenario
from simulator.serve import config_problems, streamlit_command
from simulator.ui import access, limits, runner, session

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 180
COOKIE = "cookie-secret-MARKER-" + "x" * 40
CLIENT_SECRET = "client-secret-MARKER-7f3a"
AUTH = {"redirect_uri": "https://sim.example.com/oauth2callback", "cookie_secret": COOKIE,
        "client_id": "rollout-sim", "client_secret": CLIENT_SECRET,
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}
SECRETS = {"auth": AUTH, "access": {"allow": ["example.com", "guest@partner.org"]}}


# --------------------------------------------------------------------------- server settings


@pytest.fixture
def repo_config(monkeypatch):
    """Streamlit's effective config as `make run` sees it (read from the repo root)."""
    for k in [k for k in os.environ if k.startswith("STREAMLIT_SERVER_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(ROOT)
    st_config.get_config_options(force_reparse=True)
    yield st_config
    st_config.get_config_options(force_reparse=True)


def _make_run_address() -> str | None:
    """The --server.address that `make run` passes to streamlit, if any."""
    out = subprocess.run(["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if "streamlit run" in ln)
    words = shlex.split(line)
    for i, w in enumerate(words):
        if w.startswith("--server.address"):
            return w.split("=", 1)[1] if "=" in w else words[i + 1]
    return None


def test_make_run_listens_on_loopback_only(repo_config):
    address = _make_run_address() or repo_config.get_option("server.address")
    assert address is not None, "no address: streamlit would listen on every interface"
    assert ipaddress.ip_address(address).is_loopback


def test_xsrf_cors_and_upload_size_are_safe(repo_config):
    assert repo_config.get_option("server.enableXsrfProtection") is True
    assert repo_config.get_option("server.enableCORS") is True
    assert repo_config.get_option("server.corsAllowedOrigins") == []
    mb = repo_config.get_option("server.maxUploadSize")
    assert mb <= 1 and session.MAX_UPLOAD_BYTES <= mb * 1024 * 1024


# --------------------------------------------------------------------------- allow-list


@pytest.mark.parametrize("email, ok", [
    ("ana@example.com", True), ("Ana@EXAMPLE.com", True), ("guest@partner.org", True),
    ("other@partner.org", False), ("eve@evil-example.com", False),
    ("eve@example.com.evil.org", False), ("eve@sub.example.com", False),
    ("example.com", False), ("a@b@example.com", False), ("@example.com", False),
    (None, False), (42, False),
])
def test_allow_list_matches_whole_domains_and_addresses(email, ok):
    entries = access.allow_list(SECRETS, {})
    assert access.email_allowed(email, entries) is ok


def test_unverified_email_is_refused():
    entries = access.allow_list(SECRETS, {})
    assert access.email_allowed("ana@example.com", entries, verified=True)
    assert not access.email_allowed("ana@example.com", entries, verified=False)


def test_allow_list_merges_env_and_rejects_junk():
    entries = access.allow_list(SECRETS, {access.ALLOW_ENV: " Corp.example.net ,bob@x.io,"})
    assert entries == ("example.com", "guest@partner.org", "corp.example.net", "bob@x.io")
    bad = access.allow_list_problems(("example.com", "*", "a@@b.com", "no_tld"))
    assert len(bad) == 3 and all(line.startswith("access.allow: ") for line in bad)


def test_signin_required_by_env_or_auth_section():
    assert not access.signin_required({}, {})
    assert access.signin_required({}, {access.REQUIRE_ENV: "1"})
    assert access.signin_required({"auth": AUTH}, {})


def test_auth_problems_name_what_is_missing_never_the_values():
    assert access.auth_problems(SECRETS, {}) == []
    weak = {"auth": {**AUTH, "cookie_secret": "short", "redirect_uri": "/oauth2callback"}}
    lines = access.auth_problems(weak, {})
    assert [ln.split(":")[0] for ln in lines] == ["auth.redirect_uri", "auth.cookie_secret",
                                                  "access.allow"]
    assert not any("short" in ln or CLIENT_SECRET in ln for ln in lines)
    named = {"auth": {k: v for k, v in AUTH.items() if k not in access.PROVIDER_KEYS}
             | {"corp": {k: AUTH[k] for k in access.PROVIDER_KEYS}}}
    assert access.providers(named["auth"]) == ["corp"]


# --------------------------------------------------------------------------- the serve command


def _serve(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != access.ALLOW_ENV}
    return subprocess.run([sys.executable, "-m", "simulator.serve", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_serve_without_sign_in_settings_refuses_in_one_line(tmp_path):
    r = _serve("--secrets", str(tmp_path / "secrets.toml"), cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to start without sign-in" in lines[0]
    assert "secrets.toml does not exist" in lines[0] and r.stdout == ""


def test_serve_names_missing_allow_list_without_echoing_secrets(tmp_path):
    f = tmp_path / "secrets.toml"
    f.write_text(tomli_w.dumps({"auth": AUTH}))
    r = _serve("--secrets", str(f), cwd=tmp_path)
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert "access.allow: empty" in line
    assert COOKIE not in r.stderr + r.stdout and CLIENT_SECRET not in r.stderr + r.stdout


def test_serve_check_passes_with_complete_settings(tmp_path):
    f = tmp_path / "secrets.toml"
    f.write_text(tomli_w.dumps(SECRETS))
    assert config_problems(f) == []
    r = _serve("--secrets", str(f), "--check", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert COOKIE not in r.stderr + r.stdout


def test_serve_command_hides_errors_and_uses_the_checked_secrets(tmp_path):
    from simulator.serve import _parser

    args = _parser().parse_args(["--secrets", str(tmp_path / "s.toml"), "--port", "9000"])
    cmd = streamlit_command(args)
    opts = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert opts["--client.showErrorDetails"] == "none"
    assert opts["--secrets.files"] == str((tmp_path / "s.toml").resolve())
    assert opts["--server.port"] == "9000"


# --------------------------------------------------------------------------- the app, gated


def _app(secrets: dict | None, user: dict, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if secrets:
        at.secrets.update(secrets)
    at.user = user
    at.session_state[session.PATHS] = 300
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _shows_no_scenario_data(at: AppTest) -> None:
    assert not at.exception
    assert len(at.metric) == 0 and len(at.get("vega_lite_chart")) == 0
    assert len(at.selectbox) == 0 and len(at.number_input) == 0 and len(at.slider) == 0
    assert len(at.dataframe) == 0 and len(at.sidebar) == 0
    assert session.HEADLINES not in at.session_state
    text = " ".join(m.value for m in at.markdown) + " ".join(m.value for m in at.caption)
    assert "seed_case" not in text and "Wave 1" not in text


@pytest.mark.parametrize("user", [{"is_logged_in": False}, {"email": "ana@example.com"}])
def test_signed_out_visitor_sees_only_the_sign_in_page(user):
    at = _app(SECRETS, user)
    _shows_no_scenario_data(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_required_sign_in_without_settings_shows_nothing(monkeypatch):
    monkeypatch.setenv(access.REQUIRE_ENV, "1")
    at = _app(None, {"is_logged_in": True, "email": "ana@example.com"})
    _shows_no_scenario_data(at)
    assert len(at.button) == 0 and "not configured" in at.error[0].value


@pytest.mark.parametrize("user", [
    {"is_logged_in": True, "email": "eve@evil-example.com"},
    {"is_logged_in": True, "email": "ana@example.com", "email_verified": False},
    {"is_logged_in": True},
])
def test_user_not_on_the_allow_list_is_refused(user):
    at = _app(SECRETS, user)
    _shows_no_scenario_data(at)
    assert "is not allowed" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]


def test_allowed_user_sees_the_business_case():
    at = _app(SECRETS, {"is_logged_in": True, "email": "Ana@Example.com"})
    assert not at.exception
    assert len(at.metric) >= 4 and at.session_state[session.HEADLINES] is not None
    assert any("Signed in as" in c.value for c in at.sidebar.caption)


def test_secrets_and_uploads_never_reach_the_logs(capfd):
    marker = "UPLOAD-MARKER-91c2"
    data = (f'[scenario]\nname = "{marker}"\nhorizon_months = "{marker}"\n').encode()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(), logging.getLogger("streamlit")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        at = _app(SECRETS, {"is_logged_in": True, "email": "ana@example.com"},
                  **{session.SOURCE: session.UPLOADED,
                     session.UPLOAD: {"name": "mine.toml", "data": data}})
    finally:
        for lg, lv in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(lv)
    assert not at.exception and len(at.error) >= 1 and len(at.metric) == 0
    out, err = capfd.readouterr()
    logged = buf.getvalue() + out + err
    for secret in (marker, COOKIE, CLIENT_SECRET):
        assert secret not in logged


# --------------------------------------------------------------------------- size limits


def _oversized(seed_case, cohorts: int, tiers: int, horizon: int) -> str:
    doc = tomllib.loads(seed_case.to_toml())
    tier = next(iter(doc["adoption"]["tiers"].values()))
    for i in range(tiers - len(doc["adoption"]["tiers"])):
        doc["adoption"]["tiers"][f"extra_{i}"] = dict(tier)
    wave = doc["adoption"]["cohorts"][0]
    doc["adoption"]["cohorts"] = [dict(wave, name=f"Wave {i}", size=5) for i in range(cohorts)]
    doc["scenario"]["horizon_months"] = horizon
    return tomli_w.dumps(doc)


def test_limits_report_one_line_per_problem(seed_case):
    big = loads_scenario(_oversized(seed_case, limits.MAX_COHORTS + 1, limits.MAX_TIERS + 1,
                                    120))
    lines = limits.complexity_problems(big, 100_000)
    assert [ln.split(":")[0] for ln in lines] == [
        "adoption.cohorts", "adoption.tiers", "paths × scenario.horizon_months"]
    assert f"{limits.MAX_COHORTS + 1} cohorts" in lines[0]
    assert "at most 60,000 paths" in lines[2]
    assert limits.complexity_problems(seed_case, session.MAX_PATHS) == []
    assert limits.complexity_problems(seed_case, 10)[0].startswith("paths: 10 is outside")


def test_runner_refuses_over_the_limits_whatever_the_widgets_allow(seed_case):
    text = _oversized(seed_case, limits.MAX_COHORTS + 1, 2, 36)
    with pytest.raises(ScenarioError) as err:
        runner.run_toml(text, 300, 1)
    assert len(err.value.problems) == 1 and "adoption.cohorts" in err.value.problems[0]
    with pytest.raises(ScenarioError, match="paths: 10,000,000 is outside"):
        runner.run_toml(seed_case.to_toml(), 10_000_000, 1)


def test_app_shows_the_limit_problems_and_keeps_running(seed_case):
    data = _oversized(seed_case, limits.MAX_COHORTS + 3, limits.MAX_TIERS + 2, 36).encode()
    at = _app(None, {}, **{session.SOURCE: session.UPLOADED,
                           session.UPLOAD: {"name": "big.toml", "data": data}})
    assert not at.exception and len(at.metric) == 0
    errors = [e.value for e in at.error]
    assert len(errors) == 2
    assert re.match(r"adoption\.cohorts: 27 cohorts", errors[0])
    assert errors[1].startswith("adoption.tiers: 14 tiers")


def test_unreadable_secrets_file_fails_closed(tmp_path):
    from streamlit.runtime.secrets import secrets_singleton

    bad = tmp_path / "secrets.toml"
    bad.write_text("[auth\nclient_secret = 'x'\n")
    saved = st_config.get_option("secrets.files")
    st_config._set_option("secrets.files", [str(bad)], "test")
    secrets_singleton._secrets = None
    try:
        at = _app(None, {"is_logged_in": True, "email": "ana@example.com"})
    finally:
        st_config._set_option("secrets.files", saved, "test")
        secrets_singleton._secrets = None
    _shows_no_scenario_data(at)
    assert "not configured" in at.error[0].value


def test_serve_serves_from_a_prepared_process_with_sign_in_required(tmp_path, monkeypatch):
    """With complete settings `make serve` warms the kernels, then hands the checked
    streamlit command to the prepared-process server (as `make run` does), sign-in on."""
    import simulator.serve as serve_mod
    import simulator.warm as warm_mod

    f = tmp_path / "secrets.toml"
    f.write_text(tomli_w.dumps(SECRETS))
    seen = {}
    monkeypatch.setattr(warm_mod, "warm", lambda: 0.0)
    monkeypatch.setattr(warm_mod, "serve", lambda cmd: seen.update(
        cmd=cmd, require=os.environ.get(access.REQUIRE_ENV)) or 0)
    monkeypatch.setattr(serve_mod.os, "execv", lambda *a: pytest.fail("replaced itself"))
    # main() sets the variable itself; setenv first so that teardown restores it.
    monkeypatch.setenv(access.REQUIRE_ENV, "")
    assert serve_mod.main(["--secrets", str(f), "--port", "9001"]) == 0
    cmd = seen["cmd"]
    assert cmd[:3] == ["streamlit", "run", str(serve_mod.ROOT / "app.py")]
    opts = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert opts["--server.port"] == "9001" and opts["--client.showErrorDetails"] == "none"
    assert seen["require"] == "1"

"""SIPmath 3.0 export: the library validates against the standard's published schema, its
metalogs reproduce the paths' distributions, and its trials are the run's own paths."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from scipy.stats import spearmanr

from simulator import simulate
from simulator.cli import main
from simulator.export.sipmath import (
    DEFAULT_OUTPUTS,
    SipError,
    fit_metalog,
    metalog_quantile,
    sip_library,
    write_sip_library,
)

SCHEMA = json.loads((Path(__file__).parent / "data" / "sipmath-3.0-schema.json").read_text())
PATHS, SEED = 2000, 9


@pytest.fixture(scope="module")
def res(seed_case):
    return simulate(seed_case, paths=PATHS, seed=SEED)


@pytest.fixture(scope="module")
def lib(res):
    return sip_library(res, inputs=["economics.hourly_cost", "pilot.accuracy",
                                    "economics.minutes_saved_per_task"])


def test_library_validates_against_the_published_schema(lib):
    jsonschema.validate(lib, SCHEMA)
    # and a broken library does not (the check can fail)
    bad = json.loads(json.dumps(lib))
    del bad["sips"][0]["ref"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_every_sip_is_wired_to_its_copula_layer_and_stream(lib):
    names = [s["name"] for s in lib["sips"]]
    assert names[:len(DEFAULT_OUTPUTS)] == list(DEFAULT_OUTPUTS)
    (copula,) = lib["U01"]["copula"]
    layers = [s["ref"]["copulaLayer"] for s in lib["sips"]]
    assert layers == copula["copulaLayer"] and len(set(layers)) == len(layers)
    assert copula["arguments"]["rng"] == [r["name"] for r in lib["U01"]["rng"]]
    assert all(s["function"] == "Metalog_1_0" for s in lib["sips"])
    m = lib["globalVariables"][0]["value"]
    assert m["rows"] == names and m["columns"] == names
    corr = np.eye(len(names))
    for e in m["matrix"]:
        i, j = names.index(e["row"]), names.index(e["col"])
        corr[i, j] = corr[j, i] = e["value"]
    assert np.all(np.linalg.eigvalsh(corr) > -1e-9)  # a valid correlation matrix


def test_trials_are_the_runs_own_paths(lib, res):
    for s in lib["sips"]:
        np.testing.assert_array_equal(s["metadata"]["trials"], res.paths[s["name"]])
        assert s["metadata"]["label"] and s["metadata"]["count"] == PATHS


def test_metalogs_reproduce_each_distribution(lib, res):
    """Kolmogorov distance between the metalog and the paths within a few times the
    sampling noise of an empirical CDF (1.36 / sqrt(n) is its 95 % band)."""
    y = (np.arange(1, PATHS + 1) - 0.5) / PATHS
    for s in lib["sips"]:
        a = s["arguments"]
        q = metalog_quantile(a["aCoefficients"], y, a.get("lowerBound"), a.get("upperBound"))
        assert np.all(np.diff(q) >= 0), s["name"]
        x = np.sort(res.paths[s["name"]].to_numpy(dtype=float))
        # share of paths below each metalog quantile vs its probability
        ks = np.max(np.abs(np.searchsorted(x, q, side="right") / PATHS - y))
        assert ks < 3 * 1.36 / np.sqrt(PATHS), (s["name"], ks)


def test_copula_keeps_the_rank_dependence(lib, res):
    names = [s["name"] for s in lib["sips"]]
    m = {(e["row"], e["col"]): e["value"] for e in lib["globalVariables"][0]["value"]["matrix"]}
    rho = spearmanr(res.paths["npv"], res.paths["economics.minutes_saved_per_task"])[0]
    r = m[("npv", "economics.minutes_saved_per_task")]
    # Spearman rho of a Gaussian copula: (6 / pi) asin(r / 2)
    assert 6 / np.pi * np.arcsin(r / 2) == pytest.approx(rho, abs=0.02)
    assert "npv" in names


def test_metalog_fit_recovers_a_known_distribution():
    rng = np.random.default_rng(3)
    x = rng.normal(10, 2, 5000)
    a = fit_metalog(x)
    med = metalog_quantile(a, np.array([0.1, 0.5, 0.9]))
    np.testing.assert_allclose(med, [10 - 1.2816 * 2, 10, 10 + 1.2816 * 2], atol=0.15)
    b = fit_metalog(np.full(10, 4.0))
    assert b == [4.0]
    bounded = fit_metalog(rng.beta(2, 5, 3000), 0.0, 1.0)
    q = metalog_quantile(bounded, np.array([1e-6, 1 - 1e-6]), 0.0, 1.0)
    assert 0 < q[0] < q[1] < 1


def test_bad_variables_are_one_line_errors(res):
    with pytest.raises(SipError, match="profit: not a per-path output"):
        sip_library(res, outputs=["profit"], inputs=[])
    if res.paths["payback_month"].isna().any():
        with pytest.raises(SipError, match="payback_month: .* paths have no value"):
            sip_library(res, outputs=["payback_month"], inputs=[])


def test_cli_writes_the_library(tmp_path, capsys):
    out = tmp_path / "lib.json"
    rc = main(["export", "scenarios/seed_case.toml", "--paths", "300", "--seed", "4",
               "--sipmath", str(out), "--sip-vars", "npv,roi,economics.hourly_cost"])
    assert rc == 0
    lib = json.loads(out.read_text())
    jsonschema.validate(lib, SCHEMA)
    assert [s["name"] for s in lib["sips"]] == ["npv", "roi", "economics.hourly_cost"]
    assert f"wrote {out}" in capsys.readouterr().out
    rc = main(["export", "scenarios/seed_case.toml", "--paths", "300",
               "--sipmath", str(tmp_path / "x.json"), "--sip-vars", "nope"])
    assert rc != 0 and not (tmp_path / "x.json").exists()
    assert "nope: not a per-path output" in capsys.readouterr().err


def test_write_is_atomic_json(res, tmp_path):
    p = write_sip_library(res, tmp_path / "lib.json", outputs=["npv"], inputs=[])
    assert json.loads(p.read_text())["sips"][0]["name"] == "npv"

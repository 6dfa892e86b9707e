"""The interactive path's sampling cache: same numbers, only the changed column redone."""

from __future__ import annotations

import numpy as np

from simulator import distributions
from simulator.distributions import Dist, sample
from simulator.simulation import sample_inputs, seeds


def _dists():
    return [Dist("pert", (0.0, 1.0, 3.0, 4.0)), Dist("uniform", (2.0, 5.0)),
            Dist("fixed", (7.0,)), Dist("normal", (1.0, 0.2))]


def test_cached_sampling_is_bit_identical_to_uncached():
    d = _dists()
    plain = sample(d, 500, np.random.default_rng(3))
    cached = sample(d, 500, np.random.default_rng(3), design_key=("test", 3))
    again = sample(d, 500, np.random.default_rng(3), design_key=("test", 3))
    np.testing.assert_array_equal(cached, plain)
    np.testing.assert_array_equal(again, plain)
    again[:, 0] = -1.0  # callers own their copy: the cache is not touched
    np.testing.assert_array_equal(sample(d, 500, np.random.default_rng(3),
                                         design_key=("test", 3)), plain)


def test_changing_one_input_redoes_only_its_column(monkeypatch):
    d = _dists()
    sample(d, 400, np.random.default_rng(5), design_key=("one", 5))
    calls = []
    real = Dist.ppf

    def counting(self, u):
        calls.append(self)
        return real(self, u)

    monkeypatch.setattr(Dist, "ppf", counting)
    d2 = list(d)
    d2[1] = Dist("uniform", (2.0, 6.0))
    out = sample(d2, 400, np.random.default_rng(5), design_key=("one", 5))
    assert calls == [d2[1]]
    np.testing.assert_array_equal(out, sample(d2, 400, np.random.default_rng(5)))


def test_cache_is_bounded_in_bytes():
    lru = distributions._ByteLRU(10_000)
    for k in range(10):
        lru.put(k, np.zeros(500))  # 4 000 bytes each
    assert lru._bytes <= 10_000 and lru.get(9) is not None and lru.get(0) is None


def test_sample_inputs_uses_the_seed_as_key(seed_case):
    x1, _ = sample_inputs(seed_case, 300, 11)
    rng, _ = seeds(11)
    x2 = sample(list(seed_case.inputs().values()), 300, rng,
                seed_case.correlation_matrix() if seed_case.correlations else None,
                keys=seed_case.input_paths())
    np.testing.assert_array_equal(x1, x2)


def test_a_new_tier_in_the_file_leaves_every_other_inputs_draws_unchanged(tmp_path):
    """Two versions of a scenario file are paired: a tier added before the others (new
    inputs, every later input moved along) changes no draw of an input both versions have."""
    from conftest import SCENARIOS

    from simulator.scenario import load_scenario

    text = (SCENARIOS / "seed_case.toml").read_text()
    extra = ('[adoption.tiers.coached]\ndescription = "A coach per team"\n'
             'ceiling = { dist = "pert", min = 0.5, mode = 0.6, max = 0.7 }\n'
             'innovation_p = { dist = "pert", min = 0.05, mode = 0.1, max = 0.2 }\n'
             'imitation_q = { dist = "pert", min = 0.2, mode = 0.3, max = 0.4 }\n'
             'cost_per_user = 50.0\n\n')
    f = tmp_path / "v2.toml"
    f.write_text(text.replace("[adoption.tiers.pilot]", extra + "[adoption.tiers.pilot]", 1))
    old, new = load_scenario(SCENARIOS / "seed_case.toml"), load_scenario(f)
    x_old, n_old = sample_inputs(old, 400, 21)
    x_new, n_new = sample_inputs(new, 400, 21)
    moved = [n for j, n in enumerate(n_old) if n_new.index(n) != j]
    assert len(n_new) == len(n_old) + 4 and len(moved) >= 4  # positions shifted
    for j, name in enumerate(n_old):
        np.testing.assert_array_equal(x_old[:, j], x_new[:, n_new.index(name)], err_msg=name)

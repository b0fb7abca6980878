"""playground/sampling.py: temperature, greedy, top-k, top-p on logits, with a seeded generator."""
import math

import pytest
import torch

from playground.sampling import (check_temperature, filter_logits, sample_bernoulli_logits,
                                 sample_logits, token_probs)

LOGITS = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))


def draws(logits, n=4000, seed=0, **kw):
    g = torch.Generator().manual_seed(seed)
    return sample_logits(logits.expand(n, -1), generator=g, **kw)


def test_temperature_zero_is_argmax_and_ignores_the_generator():
    logits = torch.randn(8, 30, generator=torch.Generator().manual_seed(0))
    a = sample_logits(logits, temperature=0, generator=torch.Generator().manual_seed(1))
    b = sample_logits(logits, temperature=0, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, logits.argmax(-1)) and torch.equal(a, b)


@pytest.mark.parametrize("bad", [-0.1, -1, float("nan"), float("inf")])
def test_bad_temperature_raises_a_clear_error(bad):
    with pytest.raises(ValueError, match="temperature"):
        sample_logits(LOGITS, temperature=bad)
    with pytest.raises(ValueError, match="temperature"):
        check_temperature(bad)


def test_same_seed_same_tokens_and_temperature_one_matches_the_model():
    a, b = draws(LOGITS, seed=3), draws(LOGITS, seed=3)
    assert torch.equal(a, b)
    freq = torch.bincount(a, minlength=4).float() / len(a)
    assert torch.allclose(freq, torch.tensor([0.5, 0.3, 0.15, 0.05]), atol=0.03)


def test_low_temperature_sharpens_high_temperature_flattens():
    cold = torch.bincount(draws(LOGITS, temperature=0.2), minlength=4)
    hot = torch.bincount(draws(LOGITS, temperature=100.0), minlength=4)
    assert cold[0] > 0.9 * cold.sum()
    assert (hot.float() / hot.sum() - 0.25).abs().max() < 0.04   # nearly uniform, still valid


def test_top_k_keeps_only_the_k_most_likely():
    assert set(draws(LOGITS, top_k=2).tolist()) == {0, 1}
    assert set(draws(LOGITS, top_k=1).tolist()) == {0}
    assert set(draws(LOGITS, top_k=0).tolist()) == {0, 1, 2, 3}   # 0 = off


def test_top_p_keeps_the_smallest_nucleus():
    # cumulative 0.5, 0.8, 0.95, 1.0: p=0.7 needs tokens {0, 1}; p=0.5 needs {0}; p=0.96 needs all.
    assert set(draws(LOGITS, top_p=0.7).tolist()) == {0, 1}
    assert set(draws(LOGITS, top_p=0.5).tolist()) == {0}
    assert set(draws(LOGITS, top_p=0.96).tolist()) == {0, 1, 2, 3}
    assert set(draws(LOGITS, top_p=1e-6).tolist()) == {0}         # the top token always stays


def test_filtered_probs_renormalise():
    p = token_probs(LOGITS, top_k=2)
    assert torch.allclose(p, torch.tensor([[0.5, 0.3, 0, 0]]) / 0.8)
    assert token_probs(LOGITS, temperature=0).tolist() == [[1.0, 0.0, 0.0, 0.0]]
    assert math.isinf(filter_logits(LOGITS, top_p=0.7)[0, 2].item())


@pytest.mark.parametrize("kw", [{"top_k": -1}, {"top_k": 1.5}, {"top_p": 0.0}, {"top_p": 1.5}])
def test_bad_filters_raise(kw):
    with pytest.raises(ValueError):
        sample_logits(LOGITS, **kw)


def test_bernoulli_logits():
    logits = torch.tensor([-3.0, -0.1, 0.1, 3.0]).expand(2000, -1)
    assert sample_bernoulli_logits(logits, temperature=0)[0].tolist() == [0, 0, 1, 1]
    g = torch.Generator().manual_seed(0)
    mean = sample_bernoulli_logits(logits, generator=g).mean(0)
    assert torch.allclose(mean, torch.sigmoid(logits[0]), atol=0.04)
    g = torch.Generator().manual_seed(0)
    hot = sample_bernoulli_logits(logits, temperature=1e6, generator=g).mean(0)
    assert (hot - 0.5).abs().max() < 0.05
    with pytest.raises(ValueError, match="temperature"):
        sample_bernoulli_logits(logits, temperature=-1)

"""Known cases for the judge metrics in playground/metrics.py."""
import numpy as np
import pytest
import torch

from playground import metrics as M


def gaussian(n, d=8, shift=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(shift, scale, (n, d))


def test_frechet_identical_sets_is_zero():
    a = gaussian(500)
    assert M.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_frechet_two_draws_of_one_distribution_are_close():
    assert M.frechet_distance(gaussian(2000, seed=0), gaussian(2000, seed=1)) < 0.1


def test_frechet_grows_with_mean_shift():
    a = gaussian(2000)
    d1, d3 = (M.frechet_distance(a, gaussian(2000, shift=s, seed=1)) for s in (1.0, 3.0))
    # mean term alone is d * shift²: 8 and 72
    assert d1 == pytest.approx(8.0, rel=0.1) and d3 == pytest.approx(72.0, rel=0.05)


def test_frechet_matches_closed_form_for_scaled_gaussians():
    # N(0, I) vs N(0, 4 I) in d dims: tr(I + 4I - 2*2I) = d
    a, b = gaussian(20000, d=4, seed=0), gaussian(20000, d=4, scale=2.0, seed=1)
    assert M.frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)


def test_frechet_is_symmetric_and_handles_rank_deficient_covariance():
    a, b = gaussian(10, d=32, seed=0), gaussian(10, d=32, shift=0.5, seed=1)  # N < D
    assert np.isfinite(M.frechet_distance(a, b))
    assert M.frechet_distance(a, b) == pytest.approx(M.frechet_distance(b, a), rel=1e-6)


def test_frechet_rejects_mismatched_dims():
    with pytest.raises(ValueError, match="feature dims"):
        M.frechet_distance(gaussian(10, d=3), gaussian(10, d=4))


def test_class_histogram():
    assert M.class_histogram([0, 0, 1, 3], 4) == [0.5, 0.25, 0.0, 0.25]
    with pytest.raises(ValueError):
        M.class_histogram([5], 4)


def test_conditional_accuracy():
    assert M.conditional_accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    with pytest.raises(ValueError):
        M.conditional_accuracy([1, 2], [1])


class _Judge(torch.nn.Module):
    """Stand-in judge: features = flattened pixels' mean and std; class = bright or dark."""
    class config:
        n_classes = 2

    def features(self, x):
        return torch.stack([x.flatten(1).mean(1), x.flatten(1).std(1)], 1)

    def head(self, f):
        return torch.stack([0.5 - f[:, 0], f[:, 0] - 0.5], 1) * 100


class _Generator:
    capabilities = frozenset({"decode", "condition"})

    def sample(self, n, *, temperature=1.0, condition=None, generator=None):
        noise = torch.rand(n, 1, 4, 4, generator=generator) * 0.1
        return noise + 0.9 * condition.view(-1, 1, 1, 1).float() if condition is not None else noise


def test_judge_report_on_a_perfect_conditional_generator():
    real = _Generator().sample(1000, condition=torch.arange(1000) % 2,
                               generator=torch.Generator().manual_seed(5))
    out = M.judge_report(_Generator(), _Judge(), real, n=1000)
    assert out["judge_cond_accuracy_T1"] == 1.0
    assert out["judge_class_hist_T1"] == [0.5, 0.5]
    assert out["judge_fd_T1"] < 1e-3

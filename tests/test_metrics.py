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


def test_class_accuracy_shows_the_worst_class_a_mean_hides():
    asked = [0, 0, 1, 1, 2, 2, 2, 2]
    got = [0, 0, 1, 1, 2, 2, 2, 0]             # 7/8 overall, class 2 only 3/4, class 3 never asked
    assert M.class_accuracy(got, asked, 4) == [1.0, 1.0, 0.75, None]
    with pytest.raises(ValueError):
        M.class_accuracy([1, 2], [1], 3)


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
    assert out["judge_class_accuracy_T1"] == [1.0, 1.0]
    assert out["judge_fd_T1"] < 1e-3


# ---- Inception-Score analogue -------------------------------------------------------------------
def test_inception_score_known_cases():
    k = 10
    confident_even = np.eye(k)[np.arange(1000) % k]           # sure of each class, all classes
    assert M.inception_score(confident_even) == pytest.approx(k, rel=1e-6)
    assert M.inception_score(np.full((500, k), 1 / k)) == pytest.approx(1.0)  # uniform noise
    assert M.inception_score(np.eye(k)[np.zeros(500, int)]) == pytest.approx(1.0)  # one mode
    half = np.eye(k)[np.arange(1000) % 5]                     # collapse onto 5 classes
    assert M.inception_score(half) == pytest.approx(5.0, rel=1e-6)
    with pytest.raises(ValueError):
        M.inception_score(np.array([[np.nan, 1.0]]))


# ---- precision / recall -------------------------------------------------------------------------
def test_precision_recall_identical_sets_are_perfect():
    a = gaussian(300)
    assert M.precision_recall(a, a) == (1.0, 1.0)


def test_precision_recall_disjoint_sets_are_zero():
    assert M.precision_recall(gaussian(300), gaussian(300, shift=50.0, seed=1)) == (0.0, 0.0)


def test_precision_recall_two_draws_of_one_distribution_are_high():
    p, r = M.precision_recall(gaussian(1000, d=4, seed=0), gaussian(1000, d=4, seed=1))
    assert p > 0.85 and r > 0.85


def test_mode_collapse_keeps_precision_and_loses_recall():
    real = np.concatenate([gaussian(500, d=2, shift=-5), gaussian(500, d=2, shift=5, seed=1)])
    collapsed = gaussian(1000, d=2, shift=5, seed=2)          # only one of the two modes
    p, r = M.precision_recall(real, collapsed)
    assert p > 0.9 and 0.4 < r < 0.55


def test_uniform_noise_against_a_tight_cluster_has_low_precision():
    real = gaussian(1000, d=2, scale=0.1)
    noise = np.random.default_rng(1).uniform(-5, 5, (1000, 2))
    p, r = M.precision_recall(real, noise)
    assert p < 0.05 and r > 0.9  # noise covers the data (recall) but is rarely on it (precision)


def test_precision_recall_rejects_bad_input():
    with pytest.raises(ValueError, match="more than k"):
        M.precision_recall(gaussian(3), gaussian(3))
    with pytest.raises(ValueError, match="features"):
        M.precision_recall(gaussian(10, d=3), gaussian(10, d=4))


# ---- perceptual similarity ----------------------------------------------------------------------
def digits_like(n, seed=0):
    """Blobs of ink on black 28x28 images, in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    cy, cx = rng.uniform(8, 20, (2, n, 1, 1))
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 20.0)


def test_ssim_known_cases():
    a = digits_like(20)
    assert np.allclose(M.ssim(a, a), 1.0)
    noise = np.random.default_rng(1).uniform(0, 1, a.shape)
    assert np.abs(M.ssim(a, noise)).max() < 0.2               # unrelated
    assert (M.ssim(a, 1 - a) < 0).all()                        # inverted
    assert M.ssim(a[0], a[0] * 0.9) > M.ssim(a[0], a[1])       # dimmer copy beats another image
    assert np.allclose(M.ssim(a, noise), M.ssim(noise, a))     # symmetric
    with pytest.raises(ValueError):
        M.ssim(np.zeros((5, 5)), np.zeros((5, 5)))             # smaller than the window


def test_feature_distance_and_diversity():
    f = gaussian(50)
    assert np.allclose(M.feature_distance(f, f), 0)
    assert M.feature_distance(np.zeros((1, 2)), np.array([[3.0, 4.0]]))[0] == pytest.approx(5.0)
    assert M.mean_pairwise_distance(np.repeat(f[:1], 10, 0)) == pytest.approx(0.0, abs=1e-6)
    # N(0, I) in d dims: E|a - b| ≈ sqrt(2d)
    assert M.mean_pairwise_distance(gaussian(1000, d=32)) == pytest.approx(8.0, rel=0.05)
    same = np.repeat(digits_like(1), 10, 0)
    assert M.mean_pairwise_ssim(same, 50) == pytest.approx(1.0)
    assert M.mean_pairwise_ssim(digits_like(200), 500) < 0.9


def test_random_pairs_are_distinct_and_seeded():
    i, j = M.random_pairs(10, 1000, seed=3)
    assert (i != j).all() and i.max() < 10 and j.max() < 10
    assert all((a == b).all() for a, b in zip((i, j), M.random_pairs(10, 1000, seed=3)))


def test_effective_classes():
    assert M.effective_classes([0.1] * 10) == pytest.approx(10.0)
    assert M.effective_classes([1.0] + [0.0] * 9) == pytest.approx(1.0)
    assert M.effective_classes([0.5, 0.5, 0, 0]) == pytest.approx(2.0)


# ---- likelihoods --------------------------------------------------------------------------------
def test_bits_per_dim():
    assert M.bits_per_dim(784 * np.log(2), 784) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        M.bits_per_dim(1.0, 0)


def test_pseudo_likelihood_matches_brute_force():
    """The RBM's `likelihood` (kind "pseudo"), per image, and the report built on it."""
    from playground.models.rbm import RBM, RBMConfig
    g = torch.Generator().manual_seed(0)
    rbm = RBM(RBMConfig(latent_dim=5, image_size=4))
    with torch.no_grad():
        for p in (rbm.W, rbm.b, rbm.c):
            p.normal_(0, 0.5, generator=g)
    x = (torch.rand(60, 1, 4, 4, generator=g) > 0.5).float()   # more than one internal batch
    v = x.flatten(1)
    brute = torch.zeros(60)
    for i in range(16):  # log p(v_i | rest) = log σ(F(v with i flipped) − F(v))
        flipped = v.clone()
        flipped[:, i] = 1 - flipped[:, i]
        brute += torch.nn.functional.logsigmoid(rbm.free_energy(flipped) - rbm.free_energy(v))
    with torch.no_grad():
        out = rbm.likelihood(x)
        report = M.likelihood_report(rbm, x, torch.zeros(60, dtype=torch.long))
    assert out.kind == "pseudo" and torch.equal(out.dims, torch.full((60,), 16))
    assert torch.allclose(out.log_p, brute, rtol=1e-5, atol=1e-5)
    assert torch.allclose(out.parts["free_energy"], rbm.free_energy(x))
    assert report["kind"] == "pseudo" and report["bits_per_dim"] is None
    assert report["nats"] == pytest.approx(-brute.mean().item(), rel=1e-5)


def test_likelihood_report_dispatches_by_what_the_model_computes():
    from playground.models.flow import FlowConfig, RealNVP
    from playground.models.gan import DCGAN, GANConfig
    from playground.models.vae import VAE, VAEConfig
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(8, 1, 28, 28, generator=g), torch.zeros(8, dtype=torch.long)
    vae = VAE(VAEConfig(latent_dim=2, channels=4, hidden=16)).eval()
    out = M.likelihood_report(vae, x, y, generator=torch.Generator().manual_seed(0))
    again = M.likelihood_report(vae, x, y, generator=torch.Generator().manual_seed(0))
    assert out["kind"] == "bound" and out == again                        # seeded: identical
    assert out["nats"] == pytest.approx(out["rec_nats"] + out["kl_nats"])
    assert out["bits_per_dim"] == pytest.approx(out["nats"] / (784 * np.log(2)))
    flow = RealNVP(FlowConfig(n_layers=2, hidden=8)).eval()
    pts = torch.randn(16, 2, generator=g)
    out = M.likelihood_report(flow, pts, torch.zeros(16, dtype=torch.long))
    assert out["kind"] == "exact_points"
    assert out["nats"] == pytest.approx(-flow.log_prob(pts).mean().item(), rel=1e-5)
    gan = DCGAN(GANConfig(latent_dim=8, channels=4, d_hidden=8)).eval()
    out = M.likelihood_report(gan, x, y)
    assert out["kind"] == "none" and out["nats"] is None and "no density" in out["note"]


def test_likelihood_report_of_text_and_pixels():
    """Text is scored per character (the end included), images per image; both exact."""
    from playground.models.char_gpt import CharGPT, CharGPTConfig
    from playground.models.pixelcnn import PixelCNN, PixelCNNConfig
    torch.manual_seed(0)
    gpt = CharGPT(CharGPTConfig(n_layer=1, n_embd=16, n_head=2)).eval()
    names = gpt._ids(["anna", "bo", "christopher"])
    kinds = torch.tensor([0, 1, 2])
    with torch.no_grad():
        out = M.likelihood_report(gpt, names, kinds)
        lp = gpt.likelihood(["anna", "bo", "christopher"], kinds)
    assert out["kind"] == "exact_text" and out["per"] == "character"
    assert lp.dims.tolist() == [5, 3, 12]
    assert out["nats"] == pytest.approx(-lp.log_p.sum().item() / 20, rel=1e-6)
    assert out["bits_per_dim"] == pytest.approx(out["nats"] / np.log(2))
    pix = PixelCNN(PixelCNNConfig(channels=4, n_layers=2, kernel=3, head=8)).eval()
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        out = M.likelihood_report(pix, x, y)
        nll = pix.nll(x, y)
    assert out["kind"] == "exact_images" and out["per"] == "image"
    assert out["nats"] == pytest.approx(nll.mean().item(), rel=1e-6)
    assert out["bits_per_dim"] == pytest.approx(out["nats"] / (784 * np.log(2)))

"""Sample-quality metrics measured with the judge classifier (pretrained/classifier-mnist).

- Fréchet distance between Gaussians fitted to judge features of generated and real images (the FID
  recipe of Heusel et al. 2017, with the judge's penultimate layer instead of Inception-v3: numbers
  compare models in this playground, not with published FIDs).
- Class histogram of samples: a generator that forgets a digit (mode collapse) shows a hole.
- Conditional accuracy: fraction of class-conditioned samples the judge assigns to the asked class.
- Inception-Score analogue exp(E_x KL(p(y|x) || p(y))) from the judge's class probabilities
  (Salimans et al. 2016): high when each sample is clearly one digit and all digits appear.
- Precision and recall as k-NN manifold estimates (Kynkäänniemi et al. 2019): precision is the
  fraction of samples inside the real data's manifold (quality), recall the fraction of real data
  inside the samples' manifold (coverage).
- Perceptual similarity of image pairs: distance of judge features, or SSIM (Wang et al. 2004)
  with an 11x11 Gaussian window; averaged over pairs of samples it measures diversity.
- Likelihoods: exact (bits/dim), an ELBO bound for VAEs, a pseudo-likelihood for unnormalised
  energy models, or none for implicit models (GANs), chosen by what the model can compute.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def _gaussian(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"features must be (N >= 2, D), got shape {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance between Gaussians fitted to feature sets a (N, D), b (M, D):
    |mu_a - mu_b|² + tr(S_a + S_b - 2 (S_a^½ S_b S_a^½)^½).

    The matrix square root goes through symmetric eigendecompositions (S_a^½ S_b S_a^½ is symmetric
    PSD), which stays real and stable for the rank-deficient covariances of small sample sets where
    scipy.linalg.sqrtm returns complex noise.
    """
    (mu_a, cov_a), (mu_b, cov_b) = _gaussian(a), _gaussian(b)
    if mu_a.shape != mu_b.shape:
        raise ValueError(f"feature dims differ: {mu_a.shape[0]} vs {mu_b.shape[0]}")
    w, v = np.linalg.eigh(cov_a)
    sqrt_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = sqrt_a @ cov_b @ sqrt_a
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    d = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt
    return float(max(d, 0.0))


def class_histogram(labels, n_classes: int) -> list[float]:
    """Fraction of `labels` (predicted classes, (N,)) in each of `n_classes` classes."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        raise ValueError("class_histogram needs at least one label")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must be in [0, {n_classes - 1}]")
    return (np.bincount(labels, minlength=n_classes) / labels.size).tolist()


def conditional_accuracy(predicted, requested) -> float:
    """Fraction of samples whose predicted class equals the class they were generated for."""
    predicted, requested = np.asarray(predicted).reshape(-1), np.asarray(requested).reshape(-1)
    if predicted.shape != requested.shape or predicted.size == 0:
        raise ValueError(f"need equal, non-empty label arrays; got {predicted.shape} and "
                         f"{requested.shape}")
    return float((predicted == requested).mean())


def class_accuracy(predicted, requested, n_classes: int) -> list[float | None]:
    """Per asked class, the fraction of its samples predicted as that class (None for a class
    never asked): the worst class is what a class-balanced mean hides."""
    predicted, requested = np.asarray(predicted).reshape(-1), np.asarray(requested).reshape(-1)
    conditional_accuracy(predicted, requested)  # the same shape checks
    return [float((predicted[requested == k] == k).mean()) if (requested == k).any() else None
            for k in range(n_classes)]


@torch.no_grad()
def judge_outputs(judge, x: Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Judge features (N, D) and class probabilities (N, K) of images x (N, 1, H, W), batched."""
    judge.eval()
    feats, probs = [], []
    for i in range(0, len(x), batch):
        f = judge.features(x[i:i + batch])
        feats.append(f)
        probs.append(judge.head(f).softmax(1))
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


@torch.no_grad()
def judge_report(model, judge, x_real: Tensor, n: int = 2000, temperature: float = 1.0,
                 seed: int = 0, batch: int = 500) -> dict:
    """Sample `n` images from `model` at `temperature` (class-balanced when it takes a condition)
    and score them against real images `x_real` with the judge. Returns flat card metrics."""
    n_classes = judge.config.n_classes
    conditional = "condition" in model.capabilities
    g = torch.Generator().manual_seed(seed)
    requested = torch.arange(n) % n_classes
    samples = torch.cat([model.sample(min(batch, n - i), temperature=temperature,
                                      condition=requested[i:i + batch] if conditional else None,
                                      generator=g).float()
                         for i in range(0, n, batch)])
    f_fake, p_fake = judge_outputs(judge, samples)
    f_real, _ = judge_outputs(judge, x_real)
    pred = p_fake.argmax(1)
    out = {f"judge_fd_T{temperature:g}": frechet_distance(f_fake, f_real),
           "judge_n_samples": n,
           "judge_mean_confidence": float(p_fake.max(1).mean())}
    if conditional:
        out[f"judge_cond_accuracy_T{temperature:g}"] = conditional_accuracy(pred, requested.numpy())
        out[f"judge_class_accuracy_T{temperature:g}"] = [
            None if a is None else round(a, 4)
            for a in class_accuracy(pred, requested.numpy(), n_classes)]
    # Fractions of samples the judge puts in class 0, 1, ..., n_classes - 1.
    out[f"judge_class_hist_T{temperature:g}"] = [round(f, 4) for f in class_histogram(pred, n_classes)]
    return out


# ---- Inception-Score analogue -------------------------------------------------------------------
def inception_score(probs: np.ndarray) -> float:
    """exp(mean_i KL(p(y|x_i) || p(y))) for class probabilities (N, K), p(y) their mean. 1 when
    every sample gets the same distribution (all blurry, or all one digit); K when samples are
    confidently classified and spread evenly over the K classes."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or len(p) < 1:
        raise ValueError(f"probs must be (N >= 1, K), got shape {p.shape}")
    if not np.isfinite(p).all() or p.min() < 0:
        raise ValueError("probs must be finite and non-negative")
    p = p / p.sum(1, keepdims=True)
    eps = 1e-12  # 0 · log 0 = 0
    kl = (p * (np.log(p + eps) - np.log(p.mean(0) + eps))).sum(1)
    return float(np.exp(kl.mean()))


# ---- k-NN manifold precision and recall ---------------------------------------------------------
def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances (A, B), clipped at 0 against round-off."""
    return ((a * a).sum(1, keepdim=True) + (b * b).sum(1) - 2 * a @ b.T).clamp_min(0)


def _knn_radii(x: torch.Tensor, k: int, batch: int) -> torch.Tensor:
    """Squared distance of each point to its k-th nearest other point (N,)."""
    out = [_sq_dists(x[i:i + batch], x).kthvalue(k + 1, dim=1).values  # +1: itself at distance 0
           for i in range(0, len(x), batch)]
    return torch.cat(out)


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, batch: int) -> float:
    """Fraction of `points` inside at least one ball (centre, radius)."""
    inside = [(_sq_dists(points[i:i + batch], centres) <= radii).any(1)
              for i in range(0, len(points), batch)]
    return float(torch.cat(inside).float().mean())


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3,
                     batch: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of feature sets real (N, D) and
    fake (M, D): each set's manifold is the union of balls around its points reaching their k-th
    nearest neighbour. Precision: fraction of fake points on the real manifold; recall: fraction of
    real points on the fake manifold. Both depend on the set sizes: compare equal-size runs."""
    r = torch.as_tensor(np.asarray(real, dtype=np.float64))
    f = torch.as_tensor(np.asarray(fake, dtype=np.float64))
    if r.dim() != 2 or f.dim() != 2 or r.shape[1] != f.shape[1]:
        raise ValueError(f"need (N, D) and (M, D) features, got {tuple(r.shape)} and {tuple(f.shape)}")
    if min(len(r), len(f)) <= k:
        raise ValueError(f"need more than k={k} points in each set, got {len(r)} and {len(f)}")
    if not (torch.isfinite(r).all() and torch.isfinite(f).all()):
        raise ValueError("features contain NaN or infinity")
    precision = _coverage(f, r, _knn_radii(r, k, batch), batch)
    recall = _coverage(r, f, _knn_radii(f, k, batch), batch)
    return precision, recall


# ---- perceptual similarity ----------------------------------------------------------------------
def feature_distance(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """Euclidean distance between paired judge features (N, D), (N, D) → (N,): a perceptual
    distance (two drawings of one digit in one style are close even when their pixels differ)."""
    fa, fb = np.asarray(fa, dtype=np.float64), np.asarray(fb, dtype=np.float64)
    if fa.shape != fb.shape or fa.ndim != 2:
        raise ValueError(f"need paired (N, D) features, got {fa.shape} and {fb.shape}")
    return np.sqrt(((fa - fb) ** 2).sum(1))


def _gaussian_window(sigma: float = 1.5, size: int = 11) -> np.ndarray:
    w = np.exp(-0.5 * ((np.arange(size) - size // 2) / sigma) ** 2)
    return w / w.sum()


def _blur(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 'valid' filtering of (N, H, W) → (N, H - s + 1, W - s + 1)."""
    from numpy.lib.stride_tricks import sliding_window_view
    x = sliding_window_view(x, len(w), axis=2) @ w                   # (N, H, W - s + 1)
    return sliding_window_view(x, len(w), axis=1) @ w                # (N, H - s + 1, W - s + 1)


def ssim(a: np.ndarray, b: np.ndarray, data_range: float = 1.0, sigma: float = 1.5,
         size: int = 11) -> np.ndarray:
    """Structural similarity (Wang et al. 2004) of paired grey images a, b (N, H, W) or (H, W) in
    [0, data_range]: the mean over positions where the 11x11 Gaussian window (σ = 1.5) fits of
    luminance · contrast · structure agreement. 1 = identical, ~0 = unrelated, < 0 = inverted."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    single = a.ndim == 2
    a, b = (a[None], b[None]) if single else (a, b)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"need paired (N, H, W) images, got {a.shape} and {b.shape}")
    if min(a.shape[1:]) < size:
        raise ValueError(f"images must be at least {size}x{size} for the SSIM window")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("images contain NaN or infinity")
    w = _gaussian_window(sigma, size)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_a, mu_b = _blur(a, w), _blur(b, w)
    var_a = _blur(a * a, w) - mu_a ** 2
    var_b = _blur(b * b, w) - mu_b ** 2
    cov = _blur(a * b, w) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
         / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    out = s.mean((1, 2))
    return out[0] if single else out


def random_pairs(n: int, pairs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`pairs` index pairs (i, j), i ≠ j, drawn from range(n) with a seeded generator."""
    if n < 2:
        raise ValueError("need at least two items to pair")
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, pairs)
    j = (i + rng.integers(1, n, pairs)) % n   # any other item, uniformly
    return i, j


def mean_pairwise_distance(features: np.ndarray, batch: int = 1000) -> float:
    """Mean Euclidean distance over all pairs of distinct rows of (N, D): diversity of a set
    (0 when every sample is the same; mode collapse pulls it down)."""
    f = torch.as_tensor(np.asarray(features, dtype=np.float64))
    if f.dim() != 2 or len(f) < 2:
        raise ValueError(f"need (N >= 2, D) features, got {tuple(f.shape)}")
    total = sum(_sq_dists(f[i:i + batch], f).sqrt().sum().item() for i in range(0, len(f), batch))
    return total / (len(f) * (len(f) - 1))   # the diagonal adds 0


def mean_pairwise_ssim(images: np.ndarray, pairs: int = 1000, seed: int = 0) -> float:
    """Mean SSIM over `pairs` seeded random pairs of distinct images (N, H, W) in [0, 1]: how
    alike the samples are (lower = more diverse)."""
    images = np.asarray(images)
    i, j = random_pairs(len(images), pairs, seed)
    return float(ssim(images[i], images[j]).mean())


def effective_classes(hist) -> float:
    """exp(entropy) of a class histogram: K for a uniform one, 1 when every sample is one class."""
    p = np.asarray(hist, dtype=np.float64)
    p = p[p > 0] / p.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


# ---- likelihoods --------------------------------------------------------------------------------
def bits_per_dim(nats: float, dims: int) -> float:
    """A negative log-likelihood in nats per item → bits per dimension."""
    if dims < 1:
        raise ValueError(f"dims must be >= 1, got {dims}")
    return float(nats) / (dims * math.log(2))


# One line a student reads next to each kind of number (the likelihood table of the Evaluate tab).
LIKELIHOOD_NOTES = {
    "bound": "−ELBO = reconstruction + KL: an upper bound on −log p(x), so the model's true "
             "likelihood is at least this good (grey-level digits, one z drawn per digit).",
    "exact_images": "Exact: log p(x) = Σ log p(pixel | pixels above and to the left), on digits "
                    "binarised at 0.5 (not comparable with grey-level models).",
    "exact_points": "Exact density by change of variables, log N(f(x)) + log|det ∂f/∂x|; the data "
                    "are continuous, so bits/dim can fall below 0.",
    "exact_text": "Exact: Σ log p(letter | letters before), end of name included, on held-out "
                  "census names (bits per character).",
    "pseudo": "Unnormalised energy model: log Z sums over 2^784 images, so shown is the "
              "pseudo-likelihood Σ log p(pixel | all others), not comparable with bits/dim.",
    "none": "No likelihood: the model draws samples but defines no density p(x); judge it by "
            "its samples (Fréchet distance, precision/recall).",
}


# The report's kind names, with exact likelihoods split by what the model makes: bits per pixel,
# per point coordinate and per character do not compare with each other.
REPORT_PER = {"bound": "image", "exact_images": "image", "exact_points": "point",
              "exact_text": "character", "pseudo": "image"}


def report_kind(kind: str | None, capabilities) -> str:
    """The one mapping from a `Likelihood.kind` (None: no "likelihood" capability) and the model's
    capabilities to the names the Evaluate tab and evaluation.json use (LIKELIHOOD_NOTES' keys)."""
    if kind is None:
        return "none"
    if kind == "exact":
        return ("exact_text" if "text" in capabilities else
                "exact_points" if "points" in capabilities else "exact_images")
    return kind


@torch.no_grad()
def likelihood_report(model, x: Tensor, y: Tensor, *, generator=None, batch: int = 250) -> dict:
    """How well a model explains held-out data x (labels y), through its `likelihood` protocol:
    {"kind", "nats" (per item, or per character for text: negative log-likelihood or its bound),
    "per", "bits_per_dim" (None for a pseudo-likelihood), "n", "note"}, and for a bound "rec_nats"
    and "kl_nats". kind: see `report_kind`; "none" for models without a likelihood (GANs, plain
    autoencoders)."""
    caps, n = model.capabilities, len(x)
    if "likelihood" not in caps:
        return {"kind": "none", "nats": None, "per": None, "bits_per_dim": None, "n": n,
                "note": model.no_likelihood_note or LIKELIHOOD_NOTES["none"]}
    cond = y if "condition" in caps else None
    size = batch * 8 if caps & {"text", "points"} else batch  # small items: bigger batches
    answers = [model.likelihood(x[i:i + size], None if cond is None else cond[i:i + size],
                                generator=generator) for i in range(0, n, size)]
    kind = report_kind(answers[0].kind, caps)
    nll = -torch.cat([a.log_p for a in answers]).double()                          # (N,)
    total, dims = nll.sum().item(), int(torch.cat([a.dims for a in answers]).sum().item())
    per = REPORT_PER[kind]
    out = {"kind": kind, "nats": total / dims if per == "character" else nll.mean().item(),
           "per": per, "bits_per_dim": None if kind == "pseudo" else bits_per_dim(total, dims)}
    if kind == "bound":  # its two terms (they sum to nats), as the card and the Evaluate tab show
        for name in ("rec", "kl"):
            out[f"{name}_nats"] = torch.cat([a.parts[name] for a in answers]).double().mean().item()
    return {**out, "n": n, "note": LIKELIHOOD_NOTES[kind]}

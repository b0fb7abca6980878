"""Sample-quality metrics measured with the judge classifier (pretrained/classifier-mnist).

- Fréchet distance between Gaussians fitted to judge features of generated and real images (the FID
  recipe of Heusel et al. 2017, with the judge's penultimate layer instead of Inception-v3: numbers
  compare models in this playground, not with published FIDs).
- Class histogram of samples: a generator that forgets a digit (mode collapse) shows a hole.
- Conditional accuracy: fraction of class-conditioned samples the judge assigns to the asked class.
"""
from __future__ import annotations

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
    # Fractions of samples the judge puts in class 0, 1, ..., n_classes - 1.
    out[f"judge_class_hist_T{temperature:g}"] = [round(f, 4) for f in class_histogram(pred, n_classes)]
    return out

"""What an evaluation measures: the metric tables, a curve, the real data samples are compared
with, and the scores of one set of samples (images on the judge's features, points on their
coordinates). Pure measurement: no model store, no request handling."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from playground import judge
from playground import metrics as M
from playground.errors import MAX_TEMPERATURE, PlaygroundError, check_int, check_number
from playground.lru import LRU

TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # shipped grid; includes T=1 for the T=1 table
GUIDANCES = (0.0, 1.0, 2.0, 4.0)  # shipped guidance grid at T=1: unconditional, conditional, the
                                  # default, strong (diversity falls, "judged as asked" rises)
SAMPLES = 1000        # per temperature, as many as the 1,000 validation digits: precision/recall
                      # and Fréchet distance depend on set sizes, so every curve uses the same
SEED = 0
K = 3                 # k-NN manifold neighbourhood (Kynkäänniemi et al. 2019 use 3)
SSIM_PAIRS = 1000     # random sample pairs for the mean SSIM
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURES = 8

# What each metric is, in the order of the figure's panels: key → (title, which way is better).
IMAGE_METRICS = {
    "frechet": ("Fréchet distance (judge features)", "lower"),
    "inception": ("Inception-Score analogue", "higher"),
    "precision": ("precision (k-NN, k=3)", "higher"),
    "recall": ("recall (k-NN, k=3)", "higher"),
    "diversity": ("diversity: mean judge-feature distance", "higher"),
    "ssim": ("similarity: mean SSIM of sample pairs", "lower"),
    "confidence": ("judge confidence", "higher"),
    "cond_accuracy": ("judged as the asked class", "higher"),
}
POINT_METRICS = {
    "frechet": ("Fréchet distance (coordinates)", "lower"),
    "precision": ("precision (k-NN, k=3)", "higher"),
    "recall": ("recall (k-NN, k=3)", "higher"),
    "diversity": ("diversity: mean pairwise distance", "higher"),
}
SPACES = {"judge": IMAGE_METRICS, "points": POINT_METRICS}


@dataclass
class Curve:
    """One model's metrics at several temperatures, and the real data's reference values."""
    model: str
    space: str                 # "judge" (images, judge features) or "points" (raw 2-D coordinates)
    samples: int
    seed: int
    points: dict[float, dict]  # temperature → {metric: value, "class_hist": [...], "seconds"}
    reference: dict            # the same metrics for real data (training vs validation split)
    source: str = "computed"   # "shipped" (evaluation.json) or "computed" (in this process)
    weights_sha256: str = ""
    likelihood: dict | None = None
    guidance: dict[float, dict] = field(default_factory=dict)  # guidance scale → metrics at T=1
                                                               # (models with a "guidance" knob)

    def temperatures(self, lo: float = 0.0, hi: float = math.inf) -> list[float]:
        return sorted(t for t in self.points if lo - 1e-9 <= t <= hi + 1e-9)

    def describe(self) -> str:
        temps = ", ".join(f"{t:g}" for t in self.temperatures())
        return (f"{self.model}: {self.source}, {self.samples:,} samples per temperature "
                f"(seed {self.seed}) at T = {temps}")


@dataclass
class Real:
    """Real data in the space a curve is measured in: what samples are compared with."""
    data: np.ndarray           # validation features (N, D) or points (N, 2)
    images: np.ndarray | None  # validation images (N, H, W) for SSIM
    reference: dict = field(default_factory=dict)


# Real data by (space, data set, judge weights): the same for every Evaluator and model of a data
# set. A handful at most (one per data set and judge), so a small bound never evicts in use.
_REAL: LRU[Real] = LRU(8)


def rounded(x):
    return None if x is None else float(f"{x:.6g}")


def temperature_grid(t_min, t_max, count) -> list[float]:
    """`count` temperatures evenly from t_min to t_max (validated; rounded to 0.01)."""
    lo = check_number(t_min, "lowest temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
    hi = check_number(t_max, "highest temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
    if lo > hi:
        raise PlaygroundError(f"the lowest temperature ({lo:g}) is above the highest ({hi:g})")
    n = check_int(count, "number of temperatures", 1, MAX_TEMPERATURES)
    if lo == hi or n == 1:
        return [round(lo, 2)]
    return sorted({round(float(t), 2) for t in np.linspace(lo, hi, n)})


def measure(x: torch.Tensor, real: Real, space: str, root: Path, device,
            requested: np.ndarray | None = None, model: str = "the model") -> dict:
    """Every metric of the space for samples x (images (N, 1, H, W) or points (N, 2)), against
    `real`; `requested` classes (conditional models) add "judged as the asked class"."""
    if space == "points":
        pts = x.double().cpu().numpy()
        if not np.isfinite(pts).all():
            raise PlaygroundError(f"{model} produced non-finite points at this temperature")
        precision, recall = M.precision_recall(real.data, pts, k=K)
        return {"frechet": M.frechet_distance(pts, real.data), "precision": precision,
                "recall": recall, "diversity": M.mean_pairwise_distance(pts)}
    x = x.float().clamp(0, 1)
    f, p = M.judge_outputs(judge.load(root, device), x.to(device))
    precision, recall = M.precision_recall(real.data, f, k=K)
    out = {"frechet": M.frechet_distance(f, real.data), "inception": M.inception_score(p),
           "precision": precision, "recall": recall,
           "diversity": M.mean_pairwise_distance(f),
           "ssim": M.mean_pairwise_ssim(x[:, 0].cpu().numpy(), SSIM_PAIRS, SEED),
           "confidence": float(p.max(1).mean())}
    if requested is not None:
        out["cond_accuracy"] = M.conditional_accuracy(p.argmax(1), requested)
        out["class_accuracy"] = [None if a is None else round(a, 4)
                                 for a in M.class_accuracy(p.argmax(1), requested, p.shape[1])]
    hist = M.class_histogram(p.argmax(1), p.shape[1])
    out["class_hist"] = [round(v, 4) for v in hist]
    out["effective_classes"] = M.effective_classes(hist)
    return out


def real_data(space: str, dataset: str, root: Path, device) -> Real:
    """Validation data of `dataset` in the curve's space, and reference metrics of real training
    data against it (what a perfect generator would score with the same sample count)."""
    key = (space, dataset, judge.sha(root) if space == "judge" else "")
    return _REAL.get_or_create(key, lambda: _load_real(space, dataset, root, device))


def _load_real(space: str, dataset: str, root: Path, device) -> Real:
    from playground.data import DATASETS
    x_val, _ = DATASETS[dataset]("val")
    x_train, _ = DATASETS[dataset]("train")
    pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(SEED))
    x_train = x_train[pick[:len(x_val)]]  # a seeded subset as large as the validation split
    if space == "judge":
        f_val, p_val = M.judge_outputs(judge.load(root, device), x_val.to(device))
        real = Real(f_val, x_val[:, 0].numpy())
        real.reference = measure(x_train, real, space, root, device)
        real.reference["class_hist"] = [round(v, 4) for v in
                                        M.class_histogram(p_val.argmax(1), p_val.shape[1])]
    else:
        real = Real(x_val.numpy(), None)
        real.reference = measure(x_train, real, space, root, device)
    return real

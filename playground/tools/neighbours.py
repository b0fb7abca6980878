"""Nearest training neighbours: is a generated digit new, or a copy? Each sample's closest training
digits of the judge's data set, by distance in pixel space and in the judge classifier's features,
next to what "close" means for an unseen real digit."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground import judge
from playground.data import split
from playground.images import to_uint8
from playground.errors import PlaygroundError, check_int, check_seed, check_temperature
from playground.files import write_atomic
from playground.tools.core import MAX_TOOL_IMAGES, Tools

NEIGHBOURS = 5          # training digits shown per generated sample
FEATURE_BATCH = 500     # digits through the judge per call


@dataclass
class Matches:
    index: np.ndarray       # (n, k) training indices, nearest first
    distance: np.ndarray    # (n, k) Euclidean distances
    labels: np.ndarray      # (n, k) the training digits' labels
    images: np.ndarray      # (n·k, H, W) uint8, sample by sample


@dataclass
class TrainingIndex:
    x: torch.Tensor          # (N, 1, H, W) the judge's training digits
    y: torch.Tensor          # (N,)
    flat: torch.Tensor       # (N, H·W) pixels in [0, 1]
    features: torch.Tensor   # (N, F) judge features
    baseline: dict[str, float]  # per space: median distance of a validation digit to its nearest


@dataclass
class Neighbours:
    model: str
    samples: np.ndarray      # (n, H, W) uint8
    seed: int
    temperature: float
    label: str | None
    baseline: dict[str, float]
    pixel: Matches
    judge: Matches


def _features(tools: Tools, x: torch.Tensor) -> torch.Tensor:
    model, dev, out = judge.load(tools.backend.root, tools.backend.device), tools.backend.device, []
    with torch.inference_mode():
        for i in range(0, len(x), FEATURE_BATCH):
            out.append(model.features(x[i:i + FEATURE_BATCH].to(dev)).float().cpu())
    return torch.cat(out)


def _data_features(tools: Tools, x: torch.Tensor, xv: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Judge features of the training and validation digits: ~9 s on one busy core, so they are
    also kept on disk in the projection cache folder, keyed by the judge's weights (sha256)."""
    from playground import projection as proj
    sha = judge.sha(tools.backend.root)
    path = proj.cache_dir() / f"judge-features-{sha[:16]}.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["weights_sha256"]) == sha and f["train"].shape[0] == len(x) \
                    and f["val"].shape[0] == len(xv):
                return torch.from_numpy(f["train"]), torch.from_numpy(f["val"])
    except Exception:  # missing or unreadable: a miss, computed below
        pass
    feats, feats_v = _features(tools, x), _features(tools, xv)
    try:
        write_atomic(path, lambda tmp: np.savez(tmp, train=feats.numpy(), val=feats_v.numpy(),
                                                weights_sha256=np.array(sha)))
    except OSError:
        pass  # a read-only disk costs time on the next start, not the answer
    return feats, feats_v


def training_index(tools: Tools) -> TrainingIndex:
    """The judge's training digits, flattened and as judge features, with the median distance from
    a validation digit to its nearest training digit in both spaces. Computed once per process
    (and per judge weights)."""
    data = tools.judge_data()
    if data is None:
        raise PlaygroundError("the judge classifier is not installed, so there are no training "
                              "digits to compare with")

    def compute():
        x, y = tools.train_split(data)
        xv, _ = split(data, "val")
        feats, feats_v = _data_features(tools, x, xv)
        flat = x.flatten(1)
        base = {"pixel": torch.cdist(xv.flatten(1), flat).min(1).values.median().item(),
                "judge": torch.cdist(feats_v, feats).min(1).values.median().item()}
        return TrainingIndex(x=x, y=y, flat=flat, features=feats, baseline=base)
    return tools.cache.get_or_create(("training_index", judge.sha(tools.backend.root)), compute)


def neighbours(tools: Tools, model_id, *, count=4, seed=0, temperature=1.0, label=None,
               k=NEIGHBOURS) -> Neighbours:
    """`count` samples (seeded as the Explore/Conditional grids are) and each one's `k` nearest
    training digits by Euclidean distance in pixel space ([0, 1] pixels) and in the judge's
    feature space, with distances, indices and labels."""
    info = tools.require(model_id, "neighbours")
    n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
    k = check_int(k, "neighbours", 1, 20)
    seed = check_seed(seed)
    t = check_temperature(temperature, allow_zero=not info.latent_dim)
    c = tools.label_index(info, label)
    samples = tools.backend.sample(info.id, n, temperature=t, seed=seed, label=c)
    index = training_index(tools)
    q = torch.from_numpy(samples).float().div(255)[:, None]                # (n, 1, H, W)
    found = {}
    for space, a, b in (("pixel", q.flatten(1), index.flat),
                        ("judge", _features(tools, q), index.features)):
        d, i = torch.cdist(a, b).topk(k, dim=1, largest=False)              # (n, k) each
        found[space] = Matches(index=i.numpy(), distance=d.numpy(), labels=index.y[i].numpy(),
                               images=to_uint8(index.x[i.flatten()]))
    return Neighbours(model=info.id, samples=samples, seed=seed, temperature=t,
                      label=None if c is None else info.class_names[c], baseline=index.baseline,
                      pixel=found["pixel"], judge=found["judge"])

"""The judge: a small CNN digit classifier used to *measure* the generative models, not to generate.

It shares the on-disk format and the registry (so it saves, loads and dry-runs like every family),
but `is_generative = False` keeps it out of the model picker and the sampling tests.
playground/metrics.py uses its penultimate layer (`features`) for a Fréchet distance between
generated and real digits, and `predict_proba` for class histograms and conditional accuracy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import GenerativeModel, Recipe, TrainConfig, register


@dataclass
class ClassifierConfig:
    n_classes: int = 10      # digits 0-9
    channels: int = 32       # first conv width; the second block doubles it
    features: int = 128      # penultimate width = feature dimension of the Fréchet distance
    dropout: float = 0.3     # 4,000 training digits: without it the net memorises them
    image_size: int = 28     # must be divisible by 4 (two 2x2 max-pools)
    # Per-image random affine augmentation while training (0 disables a term):
    rotate_deg: float = 10.0  # MNIST digits are written with up to ~10° of slant variation
    translate: float = 0.1    # fraction of the image; samples are not always centred as well
    scale: float = 0.1        # +-10 % size


@register
class DigitClassifier(GenerativeModel):
    family = "classifier"
    capabilities = frozenset()       # generates nothing: no UI control applies
    config_class = ClassifierConfig
    is_generative = False

    def __init__(self, config: ClassifierConfig):
        super().__init__(config)
        c, s = config.channels, config.image_size // 4
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.MaxPool2d(2),                                           # (B, c, 14, 14)
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
            nn.MaxPool2d(2),                                           # (B, 2c, 7, 7)
            nn.Flatten(), nn.Dropout(config.dropout),
            nn.Linear(2 * c * s * s, config.features), nn.ReLU())      # (B, features)
        self.head = nn.Sequential(nn.Dropout(config.dropout),
                                  nn.Linear(config.features, config.n_classes))

    def web_modules(self, part: str = "decoder") -> list:
        """"judge": the flattened image (H·W,) → the class logits, for the page to say what a
        decoded digit looks like (playground/webdecoder.export_judge)."""
        if part != "judge":
            return super().web_modules(part)
        s = self.config.image_size
        return [("reshape", (1, s, s)), *self.body, *self.head]

    def _check(self, x: Tensor) -> Tensor:
        size = self.config.image_size
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, size, size):
            raise ValueError(f"judge expects (B, 1, {size}, {size}) images in [0, 1], "
                             f"got {tuple(x.shape)}")
        return x.float()

    def features(self, x: Tensor) -> Tensor:
        """Penultimate activations (B, features): the embedding of the Fréchet distance."""
        return self.body(self._check(x))

    def logits(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def predict_proba(self, x: Tensor) -> Tensor:
        """Class probabilities (B, n_classes)."""
        return self.logits(x).softmax(1)

    def loss(self, batch) -> Tensor:
        x, y = batch
        return F.cross_entropy(self.logits(x), y)

    def sample(self, n, *, temperature=1.0, condition=None, prompt=None, generator=None):
        raise NotImplementedError("the judge classifier generates nothing")

    def augment(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """A different random rotation/shift/scale per image (torchvision's v2 RandomAffine draws
        one transform per call, i.e. per batch), from `generator` so training reproduces."""
        cfg, b = self.config, len(x)
        u = torch.rand(b, 4, generator=generator) * 2 - 1                 # (B, 4) in [-1, 1]
        angle = u[:, 0] * math.radians(cfg.rotate_deg)
        scale = 1 + u[:, 1] * cfg.scale
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * 2 * cfg.translate], 1),
                             torch.stack([sin, cos, u[:, 3] * 2 * cfg.translate], 1)], 1)  # (B, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)

    def batch_loss(self, x: Tensor, y: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        """Cross-entropy on per-image affine augmentations; logs the training accuracy too."""
        logits = self.logits(self.augment(x, generator))
        loss = F.cross_entropy(logits, y)
        return loss, {"loss": loss.item(), "train_acc": (logits.argmax(1) == y).float().mean().item()}

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        logits = self.logits(x)
        per_class = [(logits.argmax(1)[y == k] == k).float().mean().item()
                     for k in range(self.config.n_classes) if (y == k).any()]
        return {"val_accuracy": (logits.argmax(1) == y).float().mean().item(),
                "val_nll_nats": F.cross_entropy(logits, y).item(),
                "worst_class_accuracy": min(per_class)}


RECIPES = {
    "classifier-mnist": Recipe(
        name="classifier-mnist", family="classifier", config=ClassifierConfig(), data="mnist",
        train=TrainConfig(epochs=15, batch_size=64, lr=2e-3),
        summary="Judge CNN for MNIST-5k: its features and predictions score the digit generators.",
        limits="Trained on 4,000 digits: sure of itself on clean digits, but its probabilities on "
        "ambiguous or smudged samples are not calibrated; a generator can only be judged as well as "
        "this net sees. Features are from a net trained on the same split, so Fréchet distances are "
        "comparable between models here, not with FID numbers from the literature (Inception-v3).",
        notes="Each training image gets its own random rotation (±10°), shift (±10 %) and scale "
        "(±10 %) every epoch. Not a generative model: it is kept out of the model picker.",
        tiny={"channels": 4, "features": 16}),
}

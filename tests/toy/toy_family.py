"""A toy model family that lives in the test tree, written the way the README's "Adding a model
family" says: one file, a config dataclass, a registered GenerativeModel with capabilities, and a
recipe. Nothing in playground/ knows it; tests/test_toy_family.py shows it appears anyway."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import GenerativeModel, Recipe, TrainConfig, UIHints, register


@dataclass
class ToyConfig:
    latent_dim: int = 3     # small, so the sliders and the map are quick; not 2, to test PCA maps
    hidden: int = 32        # one hidden layer each way: trains in a second
    image_size: int = 28    # MNIST digits, so Tools and Evaluate (the judge's data) apply


@register
class ToyAutoencoder(GenerativeModel):
    family = "toy"
    capabilities = frozenset({"encode", "decode"})
    config_class = ToyConfig

    def __init__(self, config: ToyConfig):
        super().__init__(config)
        p = config.image_size ** 2
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(p, config.hidden), nn.ReLU(),
                                 nn.Linear(config.hidden, config.latent_dim))
        self.dec = nn.Sequential(nn.Linear(config.latent_dim, config.hidden), nn.ReLU(),
                                 nn.Linear(config.hidden, p), nn.Sigmoid())

    def encode(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.enc(x)                                            # (B, D)

    def decode(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        s = self.config.image_size
        return self.dec(z).view(len(z), 1, s, s)                      # (B, 1, H, W)

    def loss(self, batch) -> Tensor:
        x, _ = batch
        return F.binary_cross_entropy(self.decode(self.encode(x)), x)

    def sample(self, n: int, *, temperature: float = 1.0, condition=None, prompt=None,
               generator: torch.Generator | None = None) -> Tensor:
        return self.decode(self.prior(n, temperature, generator))

    def web_modules(self, part: str = "decoder") -> list:
        s = self.config.image_size
        if part == "decoder":
            return [*self.dec, ("reshape", (1, s, s))]
        if part == "encoder":
            return list(self.enc)
        return super().web_modules(part)


RECIPES = {"toy-mnist": Recipe(
    name="toy-mnist", family="toy", config=ToyConfig(), data="mnist",
    train=TrainConfig(epochs=1, batch_size=256, lr=3e-3),
    ui=UIHints(order=1000), summary="A toy autoencoder defined in the test tree.",
    limits="Trained for one epoch: blurry by design.", tiny={"hidden": 8})}

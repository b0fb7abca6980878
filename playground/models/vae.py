"""Variational autoencoder (Kingma & Welling 2014) with a small convolutional encoder/decoder.

Bernoulli likelihood on pixel intensities (binary cross-entropy): sharper digits than a Gaussian/MSE
decoder at the same size. The conditional VAE (cvae.py) reuses this class with `n_classes > 0`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import (GenerativeModel, Likelihood, Recipe, TrainConfig, UIHints, one_hot,
                             register)


@dataclass
class VAEConfig:
    latent_dim: int = 16    # 2 gives a plottable map; 16 gives sharper digits
    n_classes: int = 0      # > 0: one-hot label fed to encoder and decoder (conditional VAE)
    channels: int = 32      # first conv width; 32 trains in minutes on 2 CPU cores
    hidden: int = 256       # MLP width between conv features and latent
    beta: float = 1.0       # > 1 trades reconstruction for a smoother latent space
    image_size: int = 28    # must be divisible by 4 (two stride-2 convolutions)


@register
class VAE(GenerativeModel):
    family = "vae"
    capabilities = frozenset({"encode", "decode", "likelihood"})
    config_class = VAEConfig

    def __init__(self, config: VAEConfig):
        super().__init__(config)
        c, s, k = config.channels, config.image_size // 4, config.n_classes
        self.feat = (2 * c, s, s)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1), nn.SiLU(),          # (B, c, 14, 14)
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.SiLU(),      # (B, 2c, 7, 7)
            nn.Flatten())
        self.enc_fc = nn.Sequential(nn.Linear(2 * c * s * s + k, config.hidden), nn.SiLU(),
                                    nn.Linear(config.hidden, 2 * config.latent_dim))
        self.dec_fc = nn.Sequential(nn.Linear(config.latent_dim + k, config.hidden), nn.SiLU(),
                                    nn.Linear(config.hidden, 2 * c * s * s), nn.SiLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.SiLU(),  # (B, c, 14, 14)
            nn.ConvTranspose2d(c, 1, 4, 2, 1))                 # (B, 1, 28, 28) logits

    def _cond(self, h: Tensor, condition: Tensor | None) -> Tensor:
        if not self.config.n_classes:
            return h
        if condition is None:
            raise ValueError(f"{self.family} needs a class label (0–{self.config.n_classes - 1})")
        return torch.cat([h, one_hot(condition.to(h.device), self.config.n_classes)], 1)

    def posterior(self, x: Tensor, condition: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of q(z|x), each (B, latent_dim)."""
        mu, logvar = self.enc_fc(self._cond(self.encoder(x), condition)).chunk(2, 1)
        return mu, logvar.clamp(-12, 8)

    def encode(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.posterior(x, condition)[0]

    def decode_logits(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        h = self.dec_fc(self._cond(z, condition)).view(-1, *self.feat)  # (B, 2c, 7, 7)
        return self.decoder(h)

    def decode(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        return torch.sigmoid(self.decode_logits(z, condition))

    def elbo_terms(self, x: Tensor, condition: Tensor | None = None, generator=None):
        """Per-image reconstruction NLL and KL, in nats: (B,), (B,)."""
        mu, logvar = self.posterior(x, condition)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        z = mu + (0.5 * logvar).exp() * eps
        rec = F.binary_cross_entropy_with_logits(self.decode_logits(z, condition), x,
                                                 reduction="none").flatten(1).sum(1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return rec, kl

    def likelihood(self, x: Tensor, condition: Tensor | None = None, *,
                   generator: torch.Generator | None = None) -> Likelihood:
        """The ELBO with one z drawn per image from `generator`: a lower bound on log p(x)."""
        rec, kl = self.elbo_terms(x, condition, generator=generator)
        dims = torch.full((len(x),), x[0].numel(), dtype=torch.int64, device=x.device)
        return Likelihood("bound", -(rec + kl), dims, {"rec": rec, "kl": kl})

    def web_modules(self, part: str = "decoder") -> list:
        k, d = self.config.n_classes, self.latent_dim
        if part == "decoder":
            return [*self.dec_fc, ("reshape", self.feat), *self.decoder, nn.Sigmoid()]
        if part == "encoder":  # the posterior mean: the first latent_dim rows of the last layer
            last = self.enc_fc[-1]
            mean = nn.Linear(last.in_features, d)
            mean.weight, mean.bias = nn.Parameter(last.weight[:d].detach()), \
                nn.Parameter(last.bias[:d].detach())
            s = self.config.image_size
            convs = [("reshape", (1, s, s)), *self.encoder]              # (B, 2c·7·7) features
            return [*([("keep_tail", k, convs)] if k else convs), *self.enc_fc[:-1], mean]
        return super().web_modules(part)

    def loss(self, batch) -> Tensor:
        x, y = batch
        rec, kl = self.elbo_terms(x, y if self.config.n_classes else None)
        return (rec + self.config.beta * kl).mean()

    def sample(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
               prompt=None, generator: torch.Generator | None = None) -> Tensor:
        return self.decode(self.prior(n, temperature, generator), condition)

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        cond = y if self.config.n_classes else None
        rec, kl = self.elbo_terms(x, cond, generator=torch.Generator().manual_seed(0))
        mu, logvar = self.posterior(x, cond)
        mse = (self.decode(mu, cond) - x).pow(2).flatten(1).mean(1)
        active = (mu.var(0) > 0.01).sum().item()  # latent dims the encoder actually uses
        return {"neg_elbo_nats": (rec + kl).mean().item(), "recon_bce_nats": rec.mean().item(),
                "kl_nats": kl.mean().item(), "recon_mse_per_pixel": mse.mean().item(),
                "active_latent_dims": active}


MNIST_LIMITS = ("Trained on 4,000 digits only, so strokes are thinner in variety than full MNIST; "
                "samples far from the prior's centre (|z| > 3) decode to smudges; the Bernoulli "
                "decoder's mean image is greyer than a real digit's binary-looking strokes.")

RECIPES = {
    "vae-mnist-2d": Recipe(
        name="vae-mnist-2d", family="vae", config=VAEConfig(latent_dim=2), data="mnist",
        train=TrainConfig(epochs=60, batch_size=64, lr=2e-3),
        ui=UIHints(order=10),
        summary="VAE with a 2-D latent: the latent plane itself is the map of all ten digits.",
        limits=MNIST_LIMITS + " Two dimensions cannot hold every style: digits are blurrier "
        "than the 16-D model's and some classes (4/9, 3/5/8) share regions.",
        tiny={"latent_dim": 2, "channels": 4, "hidden": 16}),
    "vae-mnist-16d": Recipe(
        name="vae-mnist-16d", family="vae", config=VAEConfig(latent_dim=16), data="mnist",
        train=TrainConfig(epochs=60, batch_size=64, lr=2e-3),
        ui=UIHints(order=20),
        summary="VAE with a 16-D latent: sharper digits; slide raw axes or principal directions.",
        limits=MNIST_LIMITS + " Raw latent axes are not disentangled: one axis changes several "
        "traits at once, which is why the principal-direction mode is offered. Its N(0, I) prior "
        "has holes (regions the encoder never uses decode to smudges), so its samples score far "
        "worse than its reconstructions; `ldm-mnist` fixes that with a diffusion prior learned on "
        "this model's latents, decoded by this decoder.",
        tiny={"latent_dim": 16, "channels": 4, "hidden": 16}),
}

"""Deterministic autoencoder with a Gaussian-mixture prior fitted after training.

A plain autoencoder learns codes but no distribution over them: decoding N(0, I) gives garbage.
Following Ghosh et al. 2020 ("From variational to deterministic autoencoders"), once the network is
trained we fit a Gaussian mixture (scikit-learn, full covariances) to the codes of the training
digits and keep its weights, means and Cholesky factors as buffers: sampling is then pure torch with
the caller's generator, and the mixture ships inside model.safetensors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import GenerativeModel, Recipe, TrainConfig, UIHints, register


@dataclass
class AEConfig:
    latent_dim: int = 16    # as the 16-D VAE, so the two compare; no KL term blurs the decoder
    channels: int = 32      # first conv width; 32 trains in minutes on 2 CPU cores
    hidden: int = 256       # MLP width between conv features and latent
    n_components: int = 10  # mixture components of the code prior: about one per digit class
    image_size: int = 28    # must be divisible by 4 (two stride-2 convolutions)


@register
class Autoencoder(GenerativeModel):
    family = "ae"
    capabilities = frozenset({"encode", "decode"})
    config_class = AEConfig

    def __init__(self, config: AEConfig):
        super().__init__(config)
        c, s, d, k = config.channels, config.image_size // 4, config.latent_dim, config.n_components
        self.feat = (2 * c, s, s)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1), nn.SiLU(),          # (B, c, 14, 14)
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.SiLU(),      # (B, 2c, 7, 7)
            nn.Flatten(),
            nn.Linear(2 * c * s * s, config.hidden), nn.SiLU(),
            nn.Linear(config.hidden, d))                  # (B, d)
        self.dec_fc = nn.Sequential(nn.Linear(d, config.hidden), nn.SiLU(),
                                    nn.Linear(config.hidden, 2 * c * s * s), nn.SiLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.SiLU(),  # (B, c, 14, 14)
            nn.ConvTranspose2d(c, 1, 4, 2, 1))                 # (B, 1, 28, 28) logits
        # The code prior: a Gaussian mixture, N(0, I) per component until `after_fit` fits it.
        self.register_buffer("gmm_weights", torch.full((k,), 1.0 / k))   # (K,)
        self.register_buffer("gmm_means", torch.zeros(k, d))             # (K, d)
        self.register_buffer("gmm_chol", torch.eye(d).repeat(k, 1, 1))   # (K, d, d) lower Cholesky

    def encode(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.encoder(x)

    def decode_logits(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent has shape {tuple(z.shape)}, model expects (B, {self.latent_dim})")
        return self.decoder(self.dec_fc(z).view(-1, *self.feat))

    def decode(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        return torch.sigmoid(self.decode_logits(z))

    def web_modules(self, part: str = "decoder") -> list:
        if part == "decoder":
            return [*self.dec_fc, ("reshape", self.feat), *self.decoder, nn.Sigmoid()]
        if part == "encoder":
            s = self.config.image_size
            return [("reshape", (1, s, s)), *self.encoder]
        return super().web_modules(part)

    def loss(self, batch) -> Tensor:
        x, _ = batch
        rec = F.binary_cross_entropy_with_logits(self.decode_logits(self.encode(x)), x,
                                                 reduction="none")
        return rec.flatten(1).sum(1).mean()

    def reconstruction_error(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """Per-image mean squared error of encode→decode, (B,): high for inputs unlike the data."""
        return (self.decode(self.encode(x)) - x).pow(2).flatten(1).mean(1)

    def prior(self, n: int, temperature: float, generator: torch.Generator | None) -> Tensor:
        """Codes from the fitted mixture, (n, d): pick a component by its weight, then
        z = mean + T · L ε with ε ~ N(0, I): temperature scales each component's spread (T → 0
        gives the component means). Explore's "Random latent" and the tools draw from it too."""
        device = self.gmm_means.device
        k = torch.multinomial(self.gmm_weights, n, replacement=True, generator=generator)  # (n,)
        eps = torch.randn(n, self.latent_dim, 1, generator=generator, device=device)   # (n, d, 1)
        return self.gmm_means[k] + temperature * (self.gmm_chol[k] @ eps).squeeze(-1)  # (n, d)

    def sample(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
               prompt=None, generator: torch.Generator | None = None) -> Tensor:
        return self.decode(self.prior(n, temperature, generator))

    def code_log_prob(self, z: Tensor) -> Tensor:
        """Log-density of codes (B, d) under the fitted mixture, in nats, (B,)."""
        diff = (z[:, None] - self.gmm_means[None]).unsqueeze(-1)                      # (B, K, d, 1)
        chol = self.gmm_chol[None].expand(len(z), -1, -1, -1)
        sol = torch.linalg.solve_triangular(chol, diff, upper=False).squeeze(-1)       # (B, K, d)
        log_det = self.gmm_chol.diagonal(dim1=-2, dim2=-1).log().sum(-1)               # (K,)
        log_comp = (-0.5 * sol.pow(2).sum(-1) - log_det
                    - 0.5 * self.latent_dim * math.log(2 * math.pi))                   # (B, K)
        return torch.logsumexp(log_comp + self.gmm_weights.log(), 1)

    @torch.no_grad()
    def _codes(self, x: Tensor, batch: int = 1000) -> Tensor:
        return torch.cat([self.encode(x[i:i + batch]) for i in range(0, len(x), batch)])

    @torch.no_grad()
    def after_fit(self, x: Tensor, y: Tensor) -> None:
        """Standardise the code axes, then fit the mixture prior on the training codes."""
        from sklearn.mixture import GaussianMixture
        # Fold a per-axis affine map into the encoder's last and the decoder's first layer, so
        # codes have zero mean and unit variance (raw-axis sliders in ±3 then mean something)
        # while encode→decode stays the same function.
        codes = self._codes(x)
        m, s = codes.mean(0), codes.std(0).clamp_min(1e-6)
        enc, dec = self.encoder[-1], self.dec_fc[0]
        enc.weight.div_(s[:, None])
        enc.bias.sub_(m).div_(s)
        dec.bias.add_(dec.weight @ m)
        dec.weight.mul_(s[None, :])
        codes = ((codes - m) / s).double().numpy()
        k = min(self.config.n_components, len(codes))
        gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, n_init=1,
                              random_state=0).fit(codes)
        self.gmm_weights.copy_(torch.from_numpy(gmm.weights_))
        self.gmm_means.copy_(torch.from_numpy(gmm.means_))
        self.gmm_chol.copy_(torch.linalg.cholesky(torch.from_numpy(gmm.covariances_)))

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        logits = self.decode_logits(self.encode(x))
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
        return {"recon_bce_nats": bce.mean().item(),
                "recon_mse_per_pixel": self.reconstruction_error(x).mean().item(),
                "code_log_prob_nats": self.code_log_prob(self.encode(x)).mean().item()}


RECIPES = {
    "ae-mnist": Recipe(
        name="ae-mnist", family="ae", config=AEConfig(), data="mnist",
        train=TrainConfig(epochs=40, batch_size=64, lr=2e-3),
        ui=UIHints(order=60),
        summary="Plain autoencoder (16-D) with a 10-component Gaussian mixture fitted to its codes.",
        limits="Trained on 4,000 digits only. The mixture is fitted after training, so nothing made "
        "the decoder behave between the training codes: samples and interpolations that leave the "
        "mixture's mass decode to broken strokes more often than the VAE's. The code axes are "
        "standardised but, as in any autoencoder, not disentangled.",
        notes="Sampling: after training, the codes are standardised (an exact affine map folded "
        "into the encoder's last and the decoder's first layer), then a 10-component Gaussian "
        "mixture with full covariances (scikit-learn, `random_state=0`) is fitted to the codes of "
        "the 4,000 training digits. Its weights, means and Cholesky factors are stored as buffers "
        "in model.safetensors, so sampling is pure torch: a component is drawn by weight, then "
        "z = mean + T · L ε — temperature T scales each component's spread. "
        "`code_log_prob_nats` is the held-out digits' code log-density under that mixture.",
        tiny={"latent_dim": 4, "channels": 4, "hidden": 16, "n_components": 2}),
}

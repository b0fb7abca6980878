"""Latent diffusion (Rombach et al. 2022) at toy scale: a diffusion prior in the 16-D latent space
of vae-mnist-16d, decoded by that VAE's decoder. Stable Diffusion's idea: diffuse in a small
latent space a pretrained autoencoder defines, not over pixels.

It fixes what the playground shows is wrong with the VAE: its N(0, I) prior has holes (regions
the encoder never uses, which decode to smudges), so N(0, I) samples score far worse than
reconstructions. The denoiser learns the latents the encoder actually produces, standardised per
dimension (Stable Diffusion scales its latents for the same reason), with the class as a condition
(dropped 10 % of the time for classifier-free guidance). Schedule, samplers, guidance, inversion
and EMA: diffusion.py. The VAE's weights are copied in at training time and frozen, so the model
is one self-contained folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from playground.base import GenerativeModel, Recipe, TrainConfig, UIHints, register
from playground.models.diffusion import Diffusion, MLPDenoiser
from playground.models.vae import VAE, VAEConfig

PRETRAINED = Path(__file__).resolve().parent.parent.parent / "pretrained"


@dataclass
class LDMConfig:
    latent_dim: int = 16           # the VAE's latent size
    n_classes: int = 10
    hidden: int = 256              # denoiser width: an MLP, so it also runs in the page
    blocks: int = 4                # residual MLP blocks
    emb_dim: int = 64              # sinusoidal timestep code size
    timesteps: int = 1000
    p_uncond: float = 0.1          # share of training items whose class is dropped (CFG)
    ema_decay: float = 0.999
    vae: dict = field(default_factory=dict)  # the VAE's config (VAEConfig fields)
    vae_source: str = "vae-mnist-16d"        # pretrained/ folder the VAE weights come from at
                                             # training time ("" for a random VAE: dry runs)


@register
class LDM(MLPDenoiser, Diffusion):
    family = "ldm"
    capabilities = frozenset({"condition", "stepwise", "decode", "encode", "path"})
    config_class = LDMConfig
    x0_range = 5.0                 # standardised latents: the guess of x_0 is clipped at 5σ. The
                                   # cosine schedule ends at ᾱ ≈ 1e-5, where an unclipped guess
                                   # amplifies the noise estimate's error ~300x: without the clip
                                   # 21 % of samples were judged as asked, with it 98 % (w = 1)
    decodes_slowly = False         # 25 MLP passes on a 16-D vector: a few ms, like a decoder
    server_parts = frozenset({"encoder"})   # the decoder (sampler + VAE decoder) runs in the page;
                                            # inversion stays on the server
    PAGE_KNOBS = {"guidance": 2.0, "sampling_steps": 25}   # what the page's copy is made for: the
                                                           # controls' defaults

    def __init__(self, config: LDMConfig):
        super().__init__(config)
        vae_config = VAEConfig(**{"latent_dim": config.latent_dim, **config.vae})
        assert vae_config.latent_dim == config.latent_dim and not vae_config.n_classes
        self.vae = VAE(vae_config)
        self._fitting_on_codes = False
        self.vae.requires_grad_(False)
        d = config.latent_dim
        self.register_buffer("z_mean", torch.zeros(d))   # of the encoded training digits
        self.register_buffer("z_std", torch.ones(d))
        self.build_denoiser(d, config.hidden, config.blocks, config.emb_dim, config.n_classes)

    @property
    def latent_shape(self) -> tuple[int, ...]:
        return (self.config.latent_dim,)

    @torch.no_grad()
    def web_modules(self, part: str = "decoder") -> list:
        """The decoder for the page: the DDIM sampler at the controls' default knobs (its
        denoiser's time code precomputed for each of its steps), the standardisation undone (a
        diagonal linear layer), then the VAE's decoder."""
        if part != "decoder":
            return super().web_modules(part)
        unscale = nn.Linear(self.config.latent_dim, self.config.latent_dim)
        unscale.weight.copy_(torch.diag(self.z_std))
        unscale.bias.copy_(self.z_mean)
        return [self.page_sampler(self.PAGE_KNOBS["sampling_steps"], self.PAGE_KNOBS["guidance"]),
                unscale, *self.vae.web_modules("decoder")]

    def to_model_space(self, images: Tensor, condition: Tensor | None) -> Tensor:
        if self._fitting_on_codes:     # `fit` encoded the training digits once already
            return images
        return (self.vae.encode(images) - self.z_mean) / self.z_std

    def to_data(self, x: Tensor, condition: Tensor | None) -> Tensor:
        return self.vae.decode(x * self.z_std + self.z_mean)

    def path_space(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """Digits as the standardised 16-D latents the sampler's x_t moves among."""
        return self.to_model_space(x, condition)

    def fit(self, data, tcfg: TrainConfig, **kw) -> None:
        """Copy the frozen VAE in, encode the training digits once and standardise their latents,
        then the usual loop on those codes (the VAE never changes: encoding every batch again
        would only repeat work)."""
        x, y = data
        if self.config.vae_source:
            source = GenerativeModel.from_pretrained(PRETRAINED / self.config.vae_source)
            self.vae.load_state_dict(source.state_dict())
        with torch.no_grad():
            self.vae.eval()
            mu = torch.cat([self.vae.encode(x[i:i + 500]) for i in range(0, len(x), 500)])
            self.z_mean.copy_(mu.mean(0))
            self.z_std.copy_(mu.std(0).clamp(min=1e-3))
        self._fitting_on_codes = True
        try:
            super().fit(((mu - self.z_mean) / self.z_std, y), tcfg, **kw)
        finally:
            self._fitting_on_codes = False

    def train(self, mode: bool = True):
        super().train(mode)
        self.vae.eval()            # frozen: its layers never switch to training behaviour
        return self

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        g = torch.Generator().manual_seed(0)
        mse = self.noise_loss(self.to_model_space(x, None), y.long(), g)
        back = self.decode(self.encode(x[:256], y[:256]), y[:256], guidance=1.0)
        recon = self.vae.decode(self.vae.encode(x[:256]))
        return {"val_weighted_noise_mse": mse.item(),
                "inversion_reconstruction_mse": (back - x[:256]).pow(2).mean().item(),
                "vae_reconstruction_mse": (recon - x[:256]).pow(2).mean().item()}


RECIPES = {
    "ldm-mnist": Recipe(
        name="ldm-mnist", family="ldm",
        config=LDMConfig(vae={"channels": 32, "hidden": 256, "image_size": 28}), data="mnist",
        train=TrainConfig(epochs=400, batch_size=128, lr=1e-3),
        ui=UIHints(order=25, class_names=tuple(str(i) for i in range(10)), slider_range=3.0,
                   panels=("decoded x_t", "decoded guess of x_0"),
                   slider_mode="principal"),
        summary="Latent diffusion: a diffusion prior in vae-mnist-16d's latent space (Stable "
                "Diffusion's idea at toy scale).",
        limits="Its samples can be no sharper than vae-mnist-16d's reconstructions: the VAE's "
               "decoder draws them, blur included. Trained on the latents of 4,000 digits.",
        notes="The VAE (vae-mnist-16d) is frozen and copied into this model's weights; its "
              "latents (posterior means) are standardised per dimension before diffusion. "
              "Sliders move along principal directions of the DDIM-inverted noise of the "
              "training digits. The judge_* metrics sample with the defaults: 25 DDIM steps, "
              "guidance w = 2.",
        tiny={"hidden": 16, "blocks": 1, "emb_dim": 8, "timesteps": 50,
              "vae": {"channels": 4, "hidden": 16}, "vae_source": ""}),
}

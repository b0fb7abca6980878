"""A class-conditional DDPM on MNIST digits (Ho et al. 2020): a small U-Net predicts the noise in a
noised digit, given the timestep and the class (or "no class", for classifier-free guidance).
Schedule, samplers (DDIM / DDPM), guidance, inversion and EMA: diffusion.py.

The U-Net: three resolutions (28, 14, 7), one residual block per level on the way down and two
on the way up (one per skip), two in the middle; GroupNorm and SiLU; the timestep's sinusoidal
code and a learned class embedding are summed into one vector that every block adds to its
features. No attention: at 7 x 7 a convolution already sees most of the digit, and attention's
cost per step would make CPU sampling slower than the budget of 16 digits in 3 s.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import Recipe, TrainConfig, UIHints, register
from playground.models.diffusion import Diffusion, timestep_embedding


@dataclass
class DDPMConfig:
    n_classes: int = 10
    image_size: int = 28           # divisible by 4: two halvings
    channels: tuple = (32, 64, 64)  # widths at 28, 14 and 7 pixels; see the recipe for the cost
    emb_dim: int = 128             # time + class embedding width
    groups: int = 8                # GroupNorm groups (each width must divide by it)
    timesteps: int = 1000          # training noise levels T
    p_uncond: float = 0.1          # share of training items whose class is dropped (CFG)
    ema_decay: float = 0.999       # EMA of weights kept for sampling

    def __post_init__(self):
        self.channels = tuple(self.channels)    # config.json stores a list


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int, groups: int):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(groups, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.n2, self.c2 = nn.GroupNorm(groups, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: Tensor, e: Tensor) -> Tensor:
        h = self.c1(F.silu(self.n1(x))) + self.emb(e)[:, :, None, None]
        return self.c2(F.silu(self.n2(h))) + self.skip(x)


@register
class DDPM(Diffusion):
    family = "ddpm"
    capabilities = frozenset({"condition", "stepwise", "decode", "encode"})
    config_class = DDPMConfig

    def __init__(self, config: DDPMConfig):
        super().__init__(config)
        c1, c2, c3 = config.channels
        e, g = config.emb_dim, config.groups
        self.time = nn.Sequential(nn.Linear(e, e), nn.SiLU(), nn.Linear(e, e))
        self.label = nn.Embedding(config.n_classes + 1, e)     # the last row: "no class"
        self.inp = nn.Conv2d(1, c1, 3, padding=1)
        self.down1 = ResBlock(c1, c1, e, g)                          # 28
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)       # -> 14
        self.down2 = ResBlock(c1, c2, e, g)
        self.pool2 = nn.Conv2d(c2, c2, 3, stride=2, padding=1)       # -> 7
        self.down3 = ResBlock(c2, c3, e, g)
        self.mid = nn.ModuleList([ResBlock(c3, c3, e, g), ResBlock(c3, c3, e, g)])
        self.up3 = ResBlock(c3 + c3, c2, e, g)                       # 7, with down3's skip
        self.up2 = ResBlock(c2 + c2, c1, e, g)                       # 14, with down2's skip
        self.up1 = ResBlock(c1 + c1, c1, e, g)                       # 28, with down1's skip
        self.out = nn.Sequential(nn.GroupNorm(g, c1), nn.SiLU(), nn.Conv2d(c1, 1, 3, padding=1))

    @classmethod
    def latent_size(cls, config) -> int:
        return config.image_size ** 2               # the noise x_T, one value per pixel

    @property
    def latent_shape(self) -> tuple[int, ...]:
        return (1, self.config.image_size, self.config.image_size)

    def eps(self, x: Tensor, t: Tensor, y: Tensor) -> Tensor:
        e = self.time(timestep_embedding(t, self.config.emb_dim)) + self.label(y)
        h1 = self.down1(self.inp(x), e)
        h2 = self.down2(self.pool1(h1), e)
        h3 = self.down3(self.pool2(h2), e)
        h = h3
        for block in self.mid:
            h = block(h, e)
        h = self.up3(torch.cat([h, h3], 1), e)
        h = self.up2(torch.cat([F.interpolate(h, scale_factor=2.0), h2], 1), e)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0), h1], 1), e)
        return self.out(h)

    def to_model_space(self, images: Tensor, condition: Tensor | None) -> Tensor:
        return images * 2 - 1

    def to_data(self, x: Tensor, condition: Tensor | None) -> Tensor:
        return ((x + 1) / 2).clamp(0, 1)

    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        import time
        g = torch.Generator().manual_seed(0)
        mse = sum(self.noise_loss(self.to_model_space(x[i:i + 250], None), y[i:i + 250].long(), g)
                  * len(x[i:i + 250]) for i in range(0, len(x), 250)) / len(x)
        back = self.decode(self.encode(x[:64], y[:64]), y[:64], guidance=1.0)
        start = time.perf_counter()
        self.sample(16, condition=torch.arange(16) % self.config.n_classes, generator=g)
        return {"val_weighted_noise_mse": float(mse),
                "inversion_reconstruction_mse": (back - x[:64]).pow(2).mean().item(),
                "seconds_for_16_digits_25_ddim_steps": round(time.perf_counter() - start, 2)}


RECIPES = {
    "ddpm-mnist": Recipe(
        name="ddpm-mnist", family="ddpm", config=DDPMConfig(), data="mnist",
        # (32, 64, 64) at 2 threads, untrained, quiet machine: ~35 s an epoch, 16 digits x 25
        # guided DDIM steps ~2.8 s; (16, 32, 64): ~16 s and ~1 s (not trained to compare quality)
        train=TrainConfig(epochs=75, batch_size=64, lr=1e-3),
        ui=UIHints(order=35, class_names=tuple(str(i) for i in range(10)), slider_range=3.0,
                   panels=("x_t", "guess of x_0"),
                   slider_mode="principal"),
        summary="Diffusion (DDPM): pick a digit and watch it emerge from noise, step by step.",
        limits="Trained on 4,000 digits for a CPU budget: strokes are sometimes broken at T=1 with "
               "no guidance (w=0); guidance above ~4 gives bold, alike digits. Sampling costs "
               "one U-Net pass per step (two with guidance), so a grid takes seconds, not "
               "milliseconds, and no decoder runs in the page. The variational bound (bits/dim) is "
               "not computed: it needs ~1,000 network passes per image.",
        notes="Trained on noise prediction at uniform timesteps with the class dropped for 10 % "
              "of items; sampled from the EMA of the weights (decay 0.999). Sliders move along "
              "principal directions of the DDIM-inverted noise of the training digits. The "
              "judge_* metrics sample with the defaults: 25 DDIM steps, guidance w = 2. "
              "`train_seconds` is the training loop alone, measured on this 2-core machine.",
        tiny={"channels": (8, 8, 8), "emb_dim": 16, "groups": 4, "timesteps": 50}),
}

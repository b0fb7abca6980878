"""The models Train live trains: tiny 2-D families under the shipped registry's names.

Each live family is keyed by the `family` of the shipped model it is a small version of ("gan",
"vae", "flow"), registered with `@live_family` in LIVE_FAMILIES, and shares one small interface:
`train_step(next_batch, g)` → {loss name: value}, `decode(z)` → (B, 2) points, `diagnostic(data)`
→ what the page draws of the model's inside, and `web_modules(part)` for the page's decoder.
The flow is the shipped RealNVP (playground/models/flow.py) at live size: same couplings, same
direction, so a kept flow decodes in the page with the same op as flow-moons.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.base import FAMILIES, GenerativeModel
from playground.models.diffusion import Diffusion, MLPDenoiser, cosine_alphas_cumprod
from playground.models.flow import FlowConfig, RealNVP
from playground.webdecoder import NotExportable


GRID = 30                 # decision-surface resolution (GRID x GRID evaluations of D)

LIVE_FAMILIES: dict[str, type["LiveModel"]] = {}


def live_family(cls: type["LiveModel"]) -> type["LiveModel"]:
    """Class decorator: make a live family trainable by the key of the shipped family it mirrors."""
    import playground.models  # noqa: F401  (registers the shipped families)
    assert cls.family in FAMILIES, f"{cls.__name__}: {cls.family!r} is not a shipped family"
    assert cls.family not in LIVE_FAMILIES, f"live family {cls.family!r} registered twice"
    LIVE_FAMILIES[cls.family] = cls
    return cls


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, n_out))


def seeded_init(module: nn.Module, g: torch.Generator) -> None:
    """PyTorch's default Linear and Embedding inits, U(±1/√fan_in) and N(0, 1), drawn from `g`
    rather than the global RNG."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            bound = 1 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound, generator=g)
            nn.init.uniform_(m.bias, -bound, bound, generator=g)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, generator=g)


def grid_points(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The axis values and the (n*n, 2) points of a square grid, row by row (y outer)."""
    axis = np.linspace(lo, hi, n, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    return axis, np.stack([xx.ravel(), yy.ravel()], 1)


class LiveModel(nn.Module):
    """What every live family declares; the trainer and the page read only this."""
    family: ClassVar[str]              # the shipped family's registry key
    title: ClassVar[str]               # the family's name on the page
    loss_names: ClassVar[tuple[str, ...]]
    knobs: ClassVar[tuple[str, ...]]   # LiveConfig fields beyond the shared ones that it reads
    sampler_knobs: ClassVar[tuple[str, ...]] = ()  # those of its knobs that only change how it
                                                   # samples: a trained model takes them as it is
    latent_dim: int

    def configure_sampler(self, c: LiveConfig) -> None:
        """Take new values of the sampler knobs."""

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def diagnostic(self, data: np.ndarray) -> dict:
        raise NotImplementedError

    def web_modules(self, part: str = "decoder") -> list:
        raise NotImplementedError


def _decoder_only(model: LiveModel, part: str) -> None:
    if part != "decoder":
        raise NotExportable(f"a live {model.family} has no {part} for the page")


# ------------------------------------------------------------------------------------- GAN
@live_family
class LiveGAN(LiveModel):
    family, title = "gan", "GAN"
    loss_names = ("D loss", "G loss")
    knobs = ("latent_dim", "ratio")

    def __init__(self, c: LiveConfig, g: torch.Generator):
        super().__init__()
        self.latent_dim = c.latent_dim
        self.G = mlp(c.latent_dim, 2, c.hidden)
        self.D = mlp(2, 1, c.hidden)
        seeded_init(self, g)
        self.d_steps, self.g_steps = (int(k) for k in c.ratio.split(":"))
        # β1 = 0.5: the usual GAN setting; momentum makes the two-player game oscillate more.
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=c.lr, betas=(0.5, 0.999),
                                      fused=True)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=c.lr, betas=(0.5, 0.999),
                                      fused=True)

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        """One round: d_steps discriminator updates, then g_steps generator updates."""
        for _ in range(self.d_steps):
            x = next_batch()                                              # (B, 2)
            fake = self.G(torch.randn(len(x), self.latent_dim, generator=g)).detach()
            logits_real, logits_fake = self.D(torch.cat([x, fake])).chunk(2)  # (B, 1) each
            d_loss = (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
                      + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
        for _ in range(self.g_steps):
            logits = self.D(self.G(torch.randn(len(x), self.latent_dim, generator=g)))
            # non-saturating: maximise log D(G(z)) rather than minimise log(1 - D(G(z)))
            g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
        return {"D loss": d_loss.item(), "G loss": g_loss.item()}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)                                                   # (B, 2)

    def diagnostic(self, data: np.ndarray) -> dict:
        """D(x) = P(real) on a grid around the data: the decision surface the generator climbs."""
        lo, hi = float(data.min()) - 0.5, float(data.max()) + 0.5
        axis, pts = grid_points(lo, hi, GRID)
        p = torch.sigmoid(self.D(torch.from_numpy(pts))).reshape(GRID, GRID)
        d_real = torch.sigmoid(self.D(torch.from_numpy(data))).mean()
        return {"kind": "surface", "axis": axis, "values": p.numpy(),
                "title": "discriminator D(x) = P(real)",
                "note": f"D(real data) ≈ {d_real:.2f} on average (0.5 = D cannot tell)"}

    def web_modules(self, part: str = "decoder") -> list:
        """The generator MLP as it is."""
        _decoder_only(self, part)
        return list(self.G)


# ------------------------------------------------------------------------------------- VAE
@live_family
class LiveVAE(LiveModel):
    family, title = "vae", "VAE"
    loss_names = ("reconstruction", "KL", "loss")
    knobs = ("latent_dim", "beta")
    DECODER_STD = 0.1   # fixed p(x|z) width in data units: the scale the reconstruction is held to

    def __init__(self, c: LiveConfig, g: torch.Generator):
        super().__init__()
        self.latent_dim, self.beta = c.latent_dim, c.beta
        self.enc = mlp(2, 2 * c.latent_dim, c.hidden)
        self.dec = mlp(c.latent_dim, 2, c.hidden)
        seeded_init(self, g)
        self.opt = torch.optim.Adam(self.parameters(), lr=c.lr, fused=True)  # fused: ~2x faster here
        self.last_kl_per_dim = np.zeros(c.latent_dim, np.float32)

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        x = next_batch()                                                  # (B, 2)
        mu, logvar = self.enc(x).chunk(2, dim=1)                          # (B, L) each
        z = mu + torch.randn(mu.shape, generator=g) * (0.5 * logvar).exp()
        recon = ((self.dec(z) - x) ** 2).sum(1).mean() / (2 * self.DECODER_STD ** 2)
        kl_per_dim = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(0)  # (L,)
        kl = kl_per_dim.sum()
        loss = recon + self.beta * kl
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.last_kl_per_dim = kl_per_dim.detach().numpy()
        return {"reconstruction": recon.item(), "KL": kl.item(), "loss": loss.item()}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.dec(z)                                                 # decoder means (B, 2)

    def diagnostic(self, data: np.ndarray) -> dict:
        """Posterior means of the data in latent space (first two dims). Against the prior's
        circles: codes spread over the disc = a used latent; all at 0 = posterior collapse."""
        mu = self.enc(torch.from_numpy(data))[:, :self.latent_dim].numpy()  # (N, L)
        codes = mu[:, :2] if self.latent_dim >= 2 else np.c_[mu, np.zeros(len(mu), np.float32)]
        kl = ", ".join(f"{v:.2f}" for v in self.last_kl_per_dim)
        return {"kind": "latent", "codes": codes, "title": "where q(z|x) puts the data (means)",
                "note": f"KL per latent dim (nats): {kl} (≈ 0 = that dim is unused)"}

    def web_modules(self, part: str = "decoder") -> list:
        """The decoder MLP as it is (the page decodes the mean)."""
        _decoder_only(self, part)
        return list(self.dec)


# -------------------------------------------------------------------------------- RealNVP
@live_family
class LiveFlow(LiveModel):
    """The shipped RealNVP, `layers` couplings of width `hidden`, trained on exact NLL."""
    family, title = "flow", "RealNVP flow"
    loss_names = ("NLL",)
    knobs = ("layers",)
    # Per-layer log-scale bound: e^±1 per coupling keeps the first steps of a fast learning rate
    # from exploding; 6 layers still stretch by e^6 in all.
    MAX_LOG_SCALE = 1.0

    def __init__(self, c: LiveConfig, g: torch.Generator):
        super().__init__()
        self.latent_dim = 2
        self.flow = RealNVP(FlowConfig(latent_dim=2, n_layers=c.layers, hidden=c.hidden,
                                       max_log_scale=self.MAX_LOG_SCALE))
        seeded_init(self, g)
        with torch.no_grad():  # each coupling starts as the identity, as the shipped flow does
            for layer in self.flow.layers:
                layer.net[-1].weight.zero_()
                layer.net[-1].bias.zero_()
        self.opt = torch.optim.Adam(self.parameters(), lr=c.lr, fused=True)  # fused: ~2x faster here

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        loss = -self.flow.log_prob(next_batch()).mean()                   # NLL in nats per point
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"NLL": loss.item()}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.flow.decode(z)                                         # (B, 2)

    def diagnostic(self, data: np.ndarray) -> dict:
        """A square grid in latent space, pushed through the flow: how the plane was bent."""
        axis = np.linspace(-2.5, 2.5, 11, dtype=np.float32)
        t = np.linspace(-2.5, 2.5, 60, dtype=np.float32)
        lines = [np.stack([np.full_like(t, a), t], 1) for a in axis]        # vertical
        lines += [np.stack([t, np.full_like(t, a)], 1) for a in axis]       # horizontal
        warped = self.decode(torch.from_numpy(np.concatenate(lines))).numpy()
        return {"kind": "lines", "lines": np.split(warped, len(lines)),
                "title": "latent grid pushed through the flow"}

    def web_modules(self, part: str = "decoder") -> list:
        """f⁻¹ as the shipped flow exports it: its couplings run backwards, last layer first."""
        _decoder_only(self, part)
        return self.flow.web_modules(part)


# ------------------------------------------------------------------------------- diffusion
SCHEDULES = ("linear", "cosine", "none")


@dataclass
class PointDiffusionConfig:
    schedule: str = "linear"   # one of SCHEDULES; "none": one noise level, all noise in one jump
    hidden: int = 64           # denoiser width
    latent_dim: int = 2        # the noise is a point of the plane
    n_classes: int = 0         # unconditional: one "no class" embedding row, a learned bias
    blocks: int = 2            # residual MLP blocks
    emb_dim: int = 16          # sinusoidal timestep code size
    timesteps: int = 100       # noise levels: 2-D points need far fewer than 28 x 28 images
    p_uncond: float = 0.0      # no class to drop


class PointDiffusion(MLPDenoiser, Diffusion):
    """The shipped diffusion models' machinery (schedule, loss, DDIM, page export) on 2-D points,
    with ldm-mnist's residual MLP denoiser. Not registered: Train live builds it."""
    family = "ddpm"
    capabilities = frozenset({"decode", "points"})
    config_class = PointDiffusionConfig
    x0_range = 3.0                 # the toy sets lie within ±2: without this clip the first
                                   # steps' guesses (ᾱ ≈ 1e-5 at the cosine's end) blow the noise
                                   # estimate's error up ~300x; moons after 2,000 steps covered
                                   # 48 % of the data unclipped, 96 % clipped
    decodes_slowly = False         # a DDIM run of a small MLP on a point: a few ms
    server_parts = frozenset()

    def __init__(self, config: PointDiffusionConfig):
        super().__init__(config)
        self.build_denoiser(2, config.hidden, config.blocks, config.emb_dim, 0)

    def noise_schedule(self) -> torch.Tensor:
        """cosine (Nichol & Dhariwal); linear β (Ho et al., β from 1e-4 to 0.02 at T = 1,000,
        scaled to T levels so ᾱ ends near the same value); none: a single level at nearly pure
        noise (ᾱ = 1e-3), the failure the "no noise schedule" preset shows."""
        T = self.config.timesteps
        if self.config.schedule == "linear":
            betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64) * (1000 / T)
            return torch.cumprod(1 - betas.clamp(max=0.999), 0).float()
        if self.config.schedule == "none":
            return torch.tensor([1e-3])
        return cosine_alphas_cumprod(T)

    @property
    def latent_shape(self) -> tuple[int, ...]:
        return (2,)

    def to_model_space(self, points: torch.Tensor, condition) -> torch.Tensor:
        return points

    def to_data(self, x: torch.Tensor, condition) -> torch.Tensor:
        return x


@live_family
class LiveDiffusion(LiveModel):
    """A DDPM on 2-D points: the noise-prediction loss at random noise levels; samples are DDIM
    runs from fixed noise, so frames show one mapping moving."""
    family, title = "ddpm", "Diffusion (DDPM)"
    loss_names = ("noise MSE (min-SNR weighted)",)
    knobs = ("sampling_steps", "schedule")
    sampler_knobs = ("sampling_steps",)
    FIELD_ABAR = 0.9               # the noise level the arrows are drawn at (σ ≈ 0.3): low
                                   # enough that they point at the shape, not only its centre
    FIELD_GRID = 17                # arrows per side
    TRAJECTORIES = 8               # reverse paths drawn

    def __init__(self, c: LiveConfig, g: torch.Generator):
        super().__init__()
        self.latent_dim, self.sampling_steps = 2, c.sampling_steps
        self.net = PointDiffusion(PointDiffusionConfig(schedule=c.schedule, hidden=c.hidden))
        seeded_init(self.net, g)
        self.opt = torch.optim.Adam(self.parameters(), lr=c.lr, fused=True)

    def configure_sampler(self, c: LiveConfig) -> None:
        self.sampling_steps = c.sampling_steps

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        x = next_batch()                                                  # (B, 2)
        loss = self.net.noise_loss(x, torch.zeros(len(x), dtype=torch.long), g)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {self.loss_names[0]: loss.item()}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """DDIM from noise z to points, with the run's sampling steps."""
        return self.net.decode(z, None, sampling_steps=self.sampling_steps)   # (B, 2)

    def diagnostic(self, data: np.ndarray) -> dict:
        """Arrows: the learned score at one noise level, -ε(x, t) (the way out of the noise the
        model sees at each grid point), scaled to the grid; lines: the reverse paths of a few
        noise points through every sampling step."""
        abar = self.net.alphas_cumprod
        t = int((abar - self.FIELD_ABAR).abs().argmin())
        lo, hi = float(data.min()) - 0.5, float(data.max()) + 0.5
        _, pts = grid_points(lo, hi, self.FIELD_GRID)
        x = torch.from_numpy(pts)
        arrows = -self.net.eps(x, torch.full((len(x),), t), torch.zeros(len(x), dtype=torch.long))
        arrows = arrows.numpy() * (hi - lo) / (self.FIELD_GRID - 1) / max(
            float(arrows.norm(dim=1).max()), 1e-6)
        z = torch.randn(self.TRAJECTORIES, 2, generator=torch.Generator().manual_seed(1))
        path = [z]
        for _, z, _ in self.net.denoise(z, torch.zeros(len(z), dtype=torch.long), guidance=1.0,
                                        sampling_steps=self.sampling_steps, sampler="ddim",
                                        temperature=1.0, generator=None):
            path.append(z)
        sigma = float((1 - abar[t]).sqrt())
        return {"kind": "field", "points": pts, "arrows": arrows,
                "paths": torch.stack(path, 1).numpy(),
                "title": f"learned score -ε at noise σ = {sigma:.2f}, and reverse paths",
                "note": f"arrows: -ε(x, t) at noise level {t + 1} of {len(abar)} (where the "
                        f"model would move a noisy point); lines: {self.TRAJECTORIES} noise "
                        f"points through {self.sampling_steps} DDIM steps to samples"}

    def web_modules(self, part: str = "decoder") -> list:
        """The whole DDIM run as the page's "ddim" op, made for the run's steps (guidance is
        the knob's default: no classes, so it changes nothing)."""
        _decoder_only(self, part)
        return [self.net.page_sampler(self.sampling_steps, 2.0)]


# ------------------------------------------------------------------------------ kept models
@dataclass
class KeptConfig:
    latent_dim: int            # the trained model's noise size (a flow's: 2)
    family: str                # the live family's key (a key of LIVE_FAMILIES)
    steps_done: int            # how far it had trained when kept


class KeptModel(GenerativeModel):
    """A frozen copy of a live model, shaped like the shipped ones, so the backend can serve it to
    the other tabs (Explore's sliders and sample cloud) for the session that trained it. Not
    registered: it never comes from or goes to disk."""
    family = "live"
    capabilities = frozenset({"decode", "points"})
    config_class = KeptConfig

    def __init__(self, config: KeptConfig, net: LiveModel):
        super().__init__(config)
        self.net = net

    def decode(self, z: torch.Tensor, condition=None) -> torch.Tensor:
        return self.net.decode(z)                                          # (B, 2)

    def web_modules(self, part: str = "decoder") -> list:
        """The live model's own export (playground/webdecoder.py runs it in the page)."""
        return self.net.web_modules(part)

    def sample(self, n: int, *, temperature: float = 1.0, condition=None, prompt=None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        return self.decode(self.prior(n, temperature, generator))


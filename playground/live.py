"""Live training of tiny 2-D generative models, small enough to watch learn in the page.

Three families share one small interface (`train_step`, `sample`, `decode`, `diagnostic`):
- GAN: an MLP generator against an MLP discriminator (non-saturating loss), with a D:G step ratio.
- VAE: an MLP encoder/decoder with a Gaussian decoder of fixed width and a β on the KL term.
- RealNVP: affine coupling layers that alternate which coordinate they transform.

`LiveTrainer` owns one model, the target points and a seeded torch.Generator. `step(k)` trains k
steps (a chunk the UI keeps short, so a shared CPU stays responsive); `snapshot()` returns numpy
arrays to plot: data, model samples, loss histories, and each family's diagnostic (the
discriminator's decision surface, the VAE's posterior means, the flow's warped grid).
No Gradio here; no global random state (every draw comes from the trainer's generator).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from playground.backend import PlaygroundError, check_int, check_number
from playground.base import GenerativeModel

MAX_STEPS = 5000          # per run: a few seconds of one core at most, whatever the knobs say
TARGETS = ("moons", "circles", "8gaussians", "swissroll", "drawing")
N_DATA = 2000             # target points trained on
N_VIEW = 250              # points drawn in the plots: enough to see a shape, cheap to redraw
GRID = 30                 # decision-surface resolution (GRID x GRID evaluations of D)
RATIOS = ("1:4", "1:2", "1:1", "2:1", "4:1")   # D steps : G steps per GAN round


@dataclass
class LiveConfig:
    family: str = "gan"        # gan | vae | realnvp
    target: str = "moons"      # one of TARGETS; "drawing" trains on the person's strokes
    lr: float = 2e-3           # Adam step size; GANs are the first to blow up when it is large
    latent_dim: int = 2        # GAN/VAE noise size; a flow's latent is always the data's 2 dims
    steps: int = 2000          # training steps in this run (≤ MAX_STEPS)
    ratio: str = "1:1"         # GAN: discriminator steps : generator steps per round
    beta: float = 1.0          # VAE: weight of the KL term; large β → posterior collapse
    layers: int = 6            # RealNVP coupling layers; 1–2 cannot bend a plane into moons
    hidden: int = 64           # width of every MLP: tiny on purpose, a step costs ~1 ms
    batch: int = 256           # points per step
    seed: int = 0              # initial weights, batches and noise all follow from it


def checked_config(**knobs) -> LiveConfig:
    """A LiveConfig from untrusted knobs, or a PlaygroundError saying which knob is wrong."""
    unknown = set(knobs) - set(LiveConfig.__dataclass_fields__)
    if unknown:
        raise PlaygroundError(f"unknown knob(s): {', '.join(sorted(unknown))}")
    c = replace(LiveConfig(), **knobs)
    if c.family not in FAMILIES:
        raise PlaygroundError(f"family must be one of {', '.join(FAMILIES)}, got {c.family!r:.40}")
    if c.target not in TARGETS:
        raise PlaygroundError(f"target must be one of {', '.join(TARGETS)}, got {c.target!r:.40}")
    if c.ratio not in RATIOS:
        raise PlaygroundError(f"D:G step ratio must be one of {', '.join(RATIOS)}, "
                              f"got {c.ratio!r:.40}")
    return replace(
        c,
        lr=check_number(c.lr, "learning rate", 1e-5, 0.1),
        latent_dim=check_int(c.latent_dim, "latent size", 1, 8),
        steps=check_int(c.steps, "steps", 1, MAX_STEPS),
        beta=check_number(c.beta, "β", 0.0, 100.0),
        layers=check_int(c.layers, "coupling layers", 1, 12),
        hidden=check_int(c.hidden, "hidden width", 8, 256),
        batch=check_int(c.batch, "batch size", 16, 1024),
        seed=check_int(c.seed, "seed", 0, 2**31 - 1),
    )


def mlp(n_in: int, n_out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, n_out))


def seeded_init(module: nn.Module, g: torch.Generator) -> None:
    """PyTorch's default Linear init, U(±1/√fan_in), drawn from `g` rather than the global RNG."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            bound = 1 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound, generator=g)
            nn.init.uniform_(m.bias, -bound, bound, generator=g)


def grid_points(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The axis values and the (n*n, 2) points of a square grid, row by row (y outer)."""
    axis = np.linspace(lo, hi, n, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    return axis, np.stack([xx.ravel(), yy.ravel()], 1)


# ------------------------------------------------------------------------------------- GAN
class LiveGAN(nn.Module):
    loss_names = ("D loss", "G loss")

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


# ------------------------------------------------------------------------------------- VAE
class LiveVAE(nn.Module):
    loss_names = ("reconstruction", "KL", "loss")
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


# --------------------------------------------------------------------------------- RealNVP
class Coupling(nn.Module):
    """x[keep] passes through; x[other] ← x[other] · exp(s(x[keep])) + t(x[keep])."""

    def __init__(self, keep: int, hidden: int):
        super().__init__()
        self.keep, self.other = keep, 1 - keep
        self.net = mlp(1, 2, hidden)

    def params(self, x_keep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(x_keep).chunk(2, dim=1)                           # (B, 1) each
        return torch.tanh(s), t   # tanh keeps early scales near 1: no exploding first steps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """data → latent direction, with log|det ∂z/∂x| per point."""
        keep, other = x[:, self.keep:self.keep + 1], x[:, self.other:self.other + 1]
        s, t = self.params(keep)
        other = (other - t) * torch.exp(-s)
        out = torch.cat([keep, other], 1) if self.keep == 0 else torch.cat([other, keep], 1)
        return out, -s.squeeze(1)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        keep, other = z[:, self.keep:self.keep + 1], z[:, self.other:self.other + 1]
        s, t = self.params(keep)
        other = other * torch.exp(s) + t
        return torch.cat([keep, other], 1) if self.keep == 0 else torch.cat([other, keep], 1)


class LiveRealNVP(nn.Module):
    loss_names = ("NLL",)

    def __init__(self, c: LiveConfig, g: torch.Generator):
        super().__init__()
        self.latent_dim = 2
        self.layers = nn.ModuleList(Coupling(i % 2, c.hidden) for i in range(c.layers))
        seeded_init(self, g)
        self.opt = torch.optim.Adam(self.parameters(), lr=c.lr, fused=True)  # fused: ~2x faster here

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood in nats per point."""
        logdet = torch.zeros(len(x))
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        log_pz = -0.5 * (x ** 2).sum(1) - math.log(2 * math.pi)
        return -(log_pz + logdet).mean()

    def train_step(self, next_batch, g: torch.Generator) -> dict[str, float]:
        loss = self.nll(next_batch())
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"NLL": loss.item()}

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z                                                           # (B, 2)

    def diagnostic(self, data: np.ndarray) -> dict:
        """A square grid in latent space, pushed through the flow: how the plane was bent."""
        axis = np.linspace(-2.5, 2.5, 11, dtype=np.float32)
        t = np.linspace(-2.5, 2.5, 60, dtype=np.float32)
        lines = [np.stack([np.full_like(t, a), t], 1) for a in axis]        # vertical
        lines += [np.stack([t, np.full_like(t, a)], 1) for a in axis]       # horizontal
        warped = self.decode(torch.from_numpy(np.concatenate(lines))).numpy()
        return {"kind": "lines", "lines": np.split(warped, len(lines)),
                "title": "latent grid pushed through the flow"}


FAMILIES = {"gan": LiveGAN, "vae": LiveVAE, "realnvp": LiveRealNVP}


# ------------------------------------------------------------------------------ data
def target_points(name: str, n: int = N_DATA, seed: int = 0) -> np.ndarray:
    """(n, 2) float32 points of a toy target, roughly unit scale."""
    from playground.data import toy2d
    if name not in TARGETS or name == "drawing":
        raise PlaygroundError(f"target must be one of {', '.join(TARGETS[:-1])}, got {name!r:.40}")
    return toy2d(name, n, seed)[0].numpy()


def points_from_drawing(rgba: np.ndarray, n: int = N_DATA, seed: int = 0) -> np.ndarray:
    """Turn a drawing (H, W, 3|4 uint8; strokes are opaque, non-white) into (n, 2) points:
    stroke pixels drawn with replacement, jittered within their pixel, y pointing up,
    centred and scaled like the toy sets."""
    img = np.asarray(rgba)
    if img.ndim != 3 or img.shape[2] not in (3, 4) or min(img.shape[:2]) < 8:
        raise PlaygroundError(f"the drawing must be an RGB(A) image of at least 8x8 pixels, "
                              f"got shape {img.shape}")
    ink = img[..., :3].astype(np.float32).mean(2) < 200                  # dark enough to be a stroke
    if img.shape[2] == 4:
        ink &= img[..., 3] > 0
    rows, cols = np.nonzero(ink)
    if len(rows) < 30:
        raise PlaygroundError("draw a shape on the canvas first: it has fewer than 30 inked "
                              "pixels to learn from")
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(rows), n)
    pts = np.stack([cols[pick], -rows[pick]], 1) + rng.random((n, 2))
    spread = pts.std(0).max()
    if spread < 1.0:
        raise PlaygroundError("the drawing is a single dot: draw a shape with some extent")
    return ((pts - pts.mean(0)) / spread).astype(np.float32)


def mmd(a: np.ndarray, b: np.ndarray) -> float:
    """Squared maximum mean discrepancy with a mix of RBF widths (0 = same distribution)."""
    x, y = torch.from_numpy(a), torch.from_numpy(b)
    total = 0.0
    for width in (0.1, 0.3, 1.0):
        k = lambda p, q: torch.exp(-torch.cdist(p, q) ** 2 / (2 * width ** 2)).mean()  # noqa: E731
        total += float(k(x, x) + k(y, y) - 2 * k(x, y))
    return max(total, 0.0)


# --------------------------------------------------------------------------- trainer
class LiveTrainer:
    """One model learning one target. Not thread-safe: one caller steps it at a time (the UI's
    streaming loop); `snapshot` may be called between chunks."""

    def __init__(self, config: LiveConfig, data: np.ndarray | None = None):
        self.config = config
        self.g = torch.Generator().manual_seed(config.seed)
        self.data = torch.from_numpy(np.asarray(
            data if data is not None else target_points(config.target, N_DATA, config.seed),
            dtype=np.float32))                                            # (N, 2)
        if self.data.ndim != 2 or self.data.shape[1] != 2 or len(self.data) < 16:
            raise PlaygroundError(f"training data must be (N ≥ 16, 2) points, got "
                                  f"{tuple(self.data.shape)}")
        with torch.random.fork_rng(devices=[]):  # never touch the caller's global RNG
            self.model = FAMILIES[config.family](config, self.g)
        self.steps_done = 0
        self.history: dict[str, list[float]] = {name: [] for name in self.model.loss_names}
        self.history_steps: list[int] = []
        self.mmd_history: list[tuple[int, float]] = []
        self.seconds = 0.0         # training time spent so far (the per-session work bound)
        # Fixed noise for the plotted samples: frames then show one mapping moving, not jitter.
        self.view_z = torch.randn(N_VIEW, self.model.latent_dim, generator=self.g)
        view = torch.randperm(len(self.data), generator=self.g)[:N_VIEW]
        self.view_data = self.data[view].numpy()

    @property
    def done(self) -> bool:
        return self.steps_done >= self.config.steps

    def _batch(self) -> torch.Tensor:
        idx = torch.randint(0, len(self.data), (self.config.batch,), generator=self.g)
        return self.data[idx]

    def step(self, k: int) -> int:
        """Train up to k more steps (never past config.steps); returns how many ran."""
        k = max(0, min(int(k), self.config.steps - self.steps_done))
        if not k:
            return 0
        start = time.perf_counter()
        self.model.train()
        for _ in range(k):
            losses = self.model.train_step(self._batch, self.g)
            self.steps_done += 1
            for name, v in losses.items():
                self.history[name].append(v)
            self.history_steps.append(self.steps_done)
        self.seconds += time.perf_counter() - start
        return k

    def mean_loss(self, name: str, last: int = 50) -> float:
        """The average of a loss over the last `last` steps (single steps are noisy)."""
        values = self.history[name][-last:]
        return float(np.mean(values)) if values else float("nan")

    @torch.inference_mode()
    def sample(self, n: int = N_VIEW, temperature: float = 1.0, seed: int | None = None) -> np.ndarray:
        """(n, 2) samples with latent noise z ~ N(0, T²I); fixed view noise when seed is None."""
        if seed is None and n == N_VIEW:
            z = self.view_z
        else:
            g = torch.Generator().manual_seed(self.config.seed if seed is None else seed)
            z = torch.randn(n, self.model.latent_dim, generator=g)
        self.model.eval()
        return self.model.decode(z * temperature).numpy()

    @torch.inference_mode()
    def decode(self, z: np.ndarray) -> np.ndarray:
        """Decode latents (B, ≤ latent_dim; missing dims are 0) to (B, 2) points."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float32))
        if z.shape[1] > self.model.latent_dim:
            raise PlaygroundError(f"latent has {z.shape[1]} dims, model expects "
                                  f"{self.model.latent_dim}")
        full = np.zeros((len(z), self.model.latent_dim), np.float32)
        full[:, :z.shape[1]] = z
        self.model.eval()
        return self.model.decode(torch.from_numpy(full)).numpy()

    @torch.inference_mode()
    def snapshot(self) -> dict:
        """Everything the page draws, as numpy arrays and floats."""
        samples = self.sample()
        self.model.eval()
        diag = self.model.diagnostic(self.view_data)
        if not self.mmd_history or self.mmd_history[-1][0] != self.steps_done:
            self.mmd_history.append((self.steps_done, mmd(samples, self.view_data)))
        return {"data": self.view_data, "samples": samples, "diagnostic": diag,
                "history": {k: np.asarray(v, np.float32) for k, v in self.history.items()},
                "history_steps": np.asarray(self.history_steps),
                "mmd": np.asarray(self.mmd_history, np.float32).reshape(-1, 2),
                "coverage": coverage(samples, self.view_data),
                "steps_done": self.steps_done, "steps": self.config.steps,
                "config": asdict(self.config)}


@dataclass
class KeptConfig:
    latent_dim: int            # the trained model's noise size (a flow's: 2)
    family: str                # gan | vae | realnvp
    steps_done: int            # how far it had trained when kept


class KeptModel(GenerativeModel):
    """A frozen copy of a live model, shaped like the shipped ones, so the backend can serve it to
    the other tabs (Explore's sliders and sample cloud) for the session that trained it. Not
    registered: it never comes from or goes to disk."""
    family = "live"
    capabilities = frozenset({"decode", "points"})
    config_class = KeptConfig

    def __init__(self, config: KeptConfig, net: nn.Module):
        super().__init__(config)
        self.net = net

    def decode(self, z: torch.Tensor, condition=None) -> torch.Tensor:
        return self.net.decode(z)                                          # (B, 2)

    def web_modules(self) -> list:
        """The decoder for the page to run (playground/webdecoder.py): the GAN's generator or the
        VAE's decoder MLP as they are; the flow's couplings in their sampling order."""
        net = self.net
        if isinstance(net, LiveRealNVP):
            return [_web_coupling(c) for c in reversed(net.layers)]
        return list(net.G if isinstance(net, LiveGAN) else net.dec)

    def sample(self, n: int, *, temperature: float = 1.0, condition=None, prompt=None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        return self.decode(self.prior(n, temperature, generator))


def _web_coupling(c: Coupling) -> tuple:
    """A live coupling in the page's masked form (webdecoder's "affine_coupling"): its net reads
    the kept coordinate and returns (s, t) for the other; the page's net reads mask · y (2 inputs)
    and returns s and t for both coordinates (4 outputs; the kept one's are masked away)."""
    first, *middle, last = c.net
    net_in, net_out = nn.Linear(2, first.out_features), nn.Linear(last.in_features, 4)
    with torch.no_grad():
        net_in.weight.zero_()
        net_in.weight[:, c.keep] = first.weight[:, 0]
        net_in.bias.copy_(first.bias)
        net_out.weight.zero_()
        net_out.bias.zero_()
        for row, at in ((0, c.other), (1, 2 + c.other)):   # s, then t, of the other coordinate
            net_out.weight[at] = last.weight[row]
            net_out.bias[at] = last.bias[row]
    mask = torch.zeros(2)
    mask[c.keep] = 1
    # max_log_scale 1: the page's m · tanh(s / m) is then the live coupling's tanh(s)
    return "affine_coupling", SimpleNamespace(mask=mask, net=[net_in, *middle, net_out], max_log_scale=1.0)


def keep(trainer: "LiveTrainer") -> KeptModel:
    """A copy of the trainer's model as it is now (training on does not change it), in eval mode."""
    import copy
    net = copy.deepcopy(trainer.model).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return KeptModel(KeptConfig(net.latent_dim, trainer.config.family, trainer.steps_done), net).eval()


def coverage(samples: np.ndarray, data: np.ndarray, radius: float = 0.15) -> float:
    """Share of the data points with a model sample within `radius`: mode collapse drives it
    down even while every sample sits on the data."""
    d = torch.cdist(torch.from_numpy(data), torch.from_numpy(samples))     # (N, M)
    return float((d.min(1).values < radius).float().mean())


# ------------------------------------------------------------------------------ presets
PRESETS: dict[str, dict] = {
    "GAN mode collapse": dict(
        knobs=dict(family="gan", target="8gaussians", lr=0.01, latent_dim=2, steps=2000,
                   ratio="1:4", seed=0),
        why="The generator takes four large steps for each discriminator step, so it rushes to "
            "wherever D currently says 'real' instead of spreading out.\nIt piles onto one or two "
            "of the eight modes and hops between them (coverage ≈ 12 %) as D's surface flips."),
    "VAE posterior collapse": dict(
        knobs=dict(family="vae", target="moons", lr=0.003, latent_dim=2, steps=2000, beta=50.0,
                   seed=0),
        why="With β = 50 the KL term costs more than the latent can explain: one latent dim "
            "shuts off (its KL → 0, q(z|x) = prior) and the other carries almost nothing.\nThe "
            "decoder can only average what z no longer says: samples shrink to a curve between "
            "the moons."),
    "Flow with too few layers": dict(
        knobs=dict(family="realnvp", target="moons", lr=0.005, steps=2000, layers=1, seed=0),
        why="One coupling layer can only shift and stretch y as a function of x: it bends the "
            "plane along one axis and never splits it.\nThe warped grid stays a single sheet "
            "and the samples smear between the moons; try 8 layers."),
}

"""The training loop of Train live: knobs, targets, the trainer and what it shows each frame.

`LiveTrainer` owns one model, the target points and a seeded torch.Generator. `step(k)` trains k
steps (a chunk the UI keeps short, so a shared CPU stays responsive); `snapshot()` returns numpy
arrays to plot: data, model samples, loss histories, and the family's diagnostic. No Gradio here;
no global random state (every draw comes from the trainer's generator).
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch

from playground.errors import (MAX_SEED, PlaygroundError, check_choice, check_int, check_knob,
                               check_number)
from playground.live.models import LIVE_FAMILIES, SCHEDULES, KeptConfig, KeptModel
from playground.models.diffusion import KNOBS as DIFFUSION_KNOBS

MAX_STEPS = 5000          # per run: a few seconds of one core at most, whatever the knobs say
TARGETS = ("moons", "circles", "8gaussians", "swissroll", "drawing")
N_DATA = 2000             # target points trained on
N_VIEW = 250              # points drawn in the plots: enough to see a shape, cheap to redraw
RATIOS = ("1:4", "1:2", "1:1", "2:1", "4:1")   # D steps : G steps per GAN round
SAMPLING_STEPS = next(k for k in DIFFUSION_KNOBS if k.name == "sampling_steps")  # one declaration


@dataclass
class LiveConfig:
    family: str = "gan"        # a key of LIVE_FAMILIES: gan | vae | flow | ddpm
    target: str = "moons"      # one of TARGETS; "drawing" trains on the person's strokes
    lr: float = 2e-3           # Adam step size; GANs are the first to blow up when it is large
    latent_dim: int = 2        # GAN/VAE noise size; a flow's latent is always the data's 2 dims
    steps: int = 2000          # training steps in this run (≤ MAX_STEPS)
    ratio: str = "1:1"         # GAN: discriminator steps : generator steps per round
    beta: float = 1.0          # VAE: weight of the KL term; large β → posterior collapse
    layers: int = 6            # flow: coupling layers; 1–2 cannot bend a plane into moons
    sampling_steps: int = 25   # diffusion: DDIM steps from noise to a sample (the shipped
                               # models' default, so a kept model's page copy matches the knob)
    schedule: str = "linear"   # diffusion: noise levels (linear | cosine | none = one jump).
                               # Linear: after 2,000 steps its samples covered 81–95 % of the
                               # toy sets against 70–96 % for the cosine the digit models use
    hidden: int = 64           # width of every MLP: tiny on purpose, a step costs ~1 ms
    batch: int = 256           # points per step
    seed: int = 0              # initial weights, batches and noise all follow from it


def checked_config(**knobs) -> LiveConfig:
    """A LiveConfig from untrusted knobs, or a PlaygroundError saying which knob is wrong."""
    unknown = set(knobs) - set(LiveConfig.__dataclass_fields__)
    if unknown:
        raise PlaygroundError(f"unknown knob(s): {', '.join(sorted(unknown))}")
    c = replace(LiveConfig(), **knobs)
    return replace(
        c,
        family=check_choice(c.family, "family", list(LIVE_FAMILIES)),
        target=check_choice(c.target, "target", TARGETS),
        ratio=check_choice(c.ratio, "D:G step ratio", RATIOS),
        lr=check_number(c.lr, "learning rate", 1e-5, 0.1),
        latent_dim=check_int(c.latent_dim, "latent size", 1, 8),
        steps=check_int(c.steps, "steps", 1, MAX_STEPS),
        beta=check_number(c.beta, "β", 0.0, 100.0),
        layers=check_int(c.layers, "coupling layers", 1, 12),
        sampling_steps=check_knob(SAMPLING_STEPS, c.sampling_steps),
        schedule=check_choice(c.schedule, "noise schedule", SCHEDULES),
        hidden=check_int(c.hidden, "hidden width", 8, 256),
        batch=check_int(c.batch, "batch size", 16, 1024),
        seed=check_int(c.seed, "seed", 0, MAX_SEED),
    )


# ------------------------------------------------------------------------------ data
def target_points(name: str, n: int = N_DATA, seed: int = 0) -> np.ndarray:
    """(n, 2) float32 points of a toy target, roughly unit scale."""
    from playground.data import toy2d
    return toy2d(check_choice(name, "target", TARGETS[:-1]), n, seed)[0].numpy()


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


def coverage(samples: np.ndarray, data: np.ndarray, radius: float = 0.15) -> float:
    """Share of the data points with a model sample within `radius`: mode collapse drives it
    down even while every sample sits on the data."""
    d = torch.cdist(torch.from_numpy(data), torch.from_numpy(samples))     # (N, M)
    return float((d.min(1).values < radius).float().mean())


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
            self.model = LIVE_FAMILIES[config.family](config, self.g)
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

    def continues(self, config: LiveConfig) -> bool:
        """Whether `config` is this run with only the step budget or the family's sampler knobs
        changed: both apply to the model as it is, without training a new one."""
        free = {k: getattr(config, k) for k in ("steps", *self.model.sampler_knobs)}
        return replace(self.config, **free) == config

    def reconfigure(self, config: LiveConfig) -> None:
        """Take a config that `continues` this run; the distance to the data is measured again."""
        self.config = config
        self.model.configure_sampler(config)
        if self.mmd_history and self.mmd_history[-1][0] == self.steps_done:
            self.mmd_history.pop()

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
                "recent_loss": {k: self.mean_loss(k) for k in self.history},
                "mmd": np.asarray(self.mmd_history, np.float32).reshape(-1, 2),
                "coverage": coverage(samples, self.view_data),
                "steps_done": self.steps_done, "steps": self.config.steps,
                "config": asdict(self.config)}


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
        knobs=dict(family="flow", target="moons", lr=0.005, steps=2000, layers=1, seed=0),
        why="One coupling layer can only shift and stretch y as a function of x: it bends the "
            "plane along one axis and never splits it.\nThe warped grid stays a single sheet "
            "and the samples smear between the moons; try 8 layers."),
    "Diffusion with too few steps": dict(
        knobs=dict(family="ddpm", target="8gaussians", lr=0.002, steps=3000, sampling_steps=3,
                   schedule="linear", seed=0),
        why="The network learns as well as ever, but the sampler takes only 3 DDIM steps: from "
            "pure noise its first guess of the clean point is near the average of the modes, and "
            "two more steps cannot carry it far.\nSamples huddle in the middle, between the "
            "Gaussians (coverage ≈ 5 %); set the sampling steps to 25 and press Start: the same "
            "model, resampled, covers them all."),
    "Diffusion with no noise schedule": dict(
        knobs=dict(family="ddpm", target="moons", lr=0.002, steps=2000, sampling_steps=25,
                   schedule="none", seed=0),
        why="All the noise is added in one jump, so the network learns one thing only: the best "
            "guess of a clean point given pure noise, which is the average of the data.\nEvery "
            "sample lands near the centre, between the moons, whatever the steps; a schedule of "
            "many small noise levels lets the sampler settle the coarse shape first, then detail."),
}


def keep(trainer: LiveTrainer) -> KeptModel:
    """A copy of the trainer's model as it is now (training on does not change it), in eval mode."""
    net = copy.deepcopy(trainer.model).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return KeptModel(KeptConfig(net.latent_dim, trainer.config.family, trainer.steps_done), net).eval()

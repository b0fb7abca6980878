"""What every diffusion family shares: the noise schedule, the noise-prediction loss with
classifier-free guidance dropout, an EMA of the weights, and the samplers. The families (ddpm.py
in pixel space, ldm.py in a VAE's latent space) only say how ε(x_t, t, class) is computed and
how a clean x_0 is shown; this module registers no family.

- Forward process (Ho et al. 2020): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε with a cosine schedule
  (Nichol & Dhariwal 2021), T = 1,000 training steps.
- Sampling (Song et al. 2021): `steps` evenly spaced timesteps; η = 0 is DDIM (deterministic:
  the noise is the whole latent), η = 1 is ancestral DDPM.
- Classifier-free guidance (Ho & Salimans 2022): the class is dropped for `p_uncond` of the
  training items (replaced by a "no class" token), so one network predicts both ε(x, t, c) and
  ε(x, t, ∅); sampling uses ε_∅ + w (ε_c - ε_∅): w = 0 unconditional, 1 conditional, > 1 guided.
- Inversion: DDIM run backwards from a clean x_0 to its noise, with the class and w = 1 (guided
  inversion does not retrace its path), so decode(encode(x)) ≈ x.
"""
from __future__ import annotations

import concurrent.futures
import math
from typing import Iterator

import torch
from torch import Tensor, nn

from playground.base import GUIDANCE, GenerativeModel, Knob
from playground.errors import check_knob
from playground.sampling import check_temperature

SAMPLERS = ("ddim", "ddpm")
SPLIT_BATCH = 8            # batches from this size run as two halves on two threads
_POOL = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="diffusion-half")
MIN_SNR_GAMMA = 5.0        # the loss weighting's cap (Hang et al. 2023)
MAX_SAMPLING_STEPS = 250   # DDPM needs many more steps than DDIM; 250 x CFG keeps a grid < 1 min
KNOBS = (
    GUIDANCE,
    Knob("sampling_steps", "Denoising steps", 25, 2, MAX_SAMPLING_STEPS, integer=True,
         info="DDIM is good from ~20 steps; DDPM needs more"),
    Knob("sampler", "Sampler", "ddim", choices=SAMPLERS,
         info="DDIM: deterministic, the noise is the latent; DDPM: fresh noise every step"),
)


def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Sinusoidal features of (B,) timesteps, (B, dim): the transformer's position code."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


def cosine_alphas_cumprod(T: int, s: float = 0.008) -> Tensor:
    """ᾱ_t for t = 0..T-1 (Nichol & Dhariwal): noise rises slowly at both ends, unlike the linear
    schedule that spends its last steps on pure noise at 28 x 28."""
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, 0).float()


class Diffusion(GenerativeModel):
    """Base of the diffusion families. Subclasses define `eps(x_t, t, y)` (y = n_classes is "no
    class"), `to_model_space` / `to_data` (images in [0, 1] <-> what is diffused) and `x0_range`
    (the clip applied to each guess of x_0, None for none). The latent is the noise x_T,
    flattened: `latent_dim` is its size."""

    knobs = KNOBS
    decodes_slowly = True          # a decode is a whole DDIM run
    server_parts = frozenset({"decoder", "encoder"})
    no_likelihood_note = ("bound not computed: a diffusion model's variational bound sums a term "
                          "for each of its 1,000 noise levels, ~1,000 network passes per image")

    def __init__(self, config):
        super().__init__(config)
        self.register_buffer("alphas_cumprod", self.noise_schedule(), persistent=False)
        self._ema: list[Tensor] | None = None

    # ---- what a family supplies -------------------------------------------------------------
    x0_range: float | None = 1.0

    def noise_schedule(self) -> Tensor:
        """ᾱ_t for each training timestep (its length is the number of noise levels)."""
        return cosine_alphas_cumprod(self.config.timesteps)

    def eps(self, x: Tensor, t: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def to_model_space(self, images: Tensor, condition: Tensor | None) -> Tensor:
        raise NotImplementedError

    def to_data(self, x: Tensor, condition: Tensor | None) -> Tensor:
        raise NotImplementedError

    @property
    def latent_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    # ---- training ------------------------------------------------------------------------------
    def _labels(self, condition: Tensor | None, n: int, device) -> Tensor:
        """(n,) class ids; None means "no class" (the unconditional token)."""
        k = self.config.n_classes
        if condition is None:
            return torch.full((n,), k, dtype=torch.long, device=device)
        y = torch.as_tensor(condition, dtype=torch.long, device=device).flatten()
        if y.numel() == 1:
            y = y.expand(n)
        if y.numel() != n or (y.numel() and (y.min() < 0 or y.max() >= k)):
            raise ValueError(f"need {n} class labels in 0–{k - 1}, got {y.tolist()[:8]}")
        return y

    def noise_loss(self, x0: Tensor, y: Tensor, generator: torch.Generator | None) -> Tensor:
        """Squared error of the predicted noise at a uniform random timestep, weighted by
        min(SNR_t, 5) / SNR_t (Hang et al. 2023): the nearly clean timesteps, whose noise is
        easy to see and says little about the digit, stop dominating the gradient, which trains
        several times faster. The class is dropped for p_uncond of the items so the same network
        learns ε(x, t, ∅)."""
        n, dev = len(x0), x0.device
        t = torch.randint(0, len(self.alphas_cumprod), (n,), generator=generator).to(dev)
        noise = torch.randn(x0.shape, generator=generator).to(dev)
        drop = torch.rand(n, generator=generator).to(dev) < self.config.p_uncond
        y = torch.where(drop, torch.full_like(y, self.config.n_classes), y)
        a = self.alphas_cumprod[t].view(-1, *[1] * (x0.dim() - 1))
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        snr = self.alphas_cumprod[t] / (1 - self.alphas_cumprod[t])
        weight = snr.clamp(max=MIN_SNR_GAMMA) / snr
        err = (self.eps(x_t, t, y) - noise).pow(2).flatten(1).mean(1)
        return (weight * err).mean()

    def loss(self, batch) -> Tensor:
        x, y = batch
        return self.batch_loss(x, y, None)[0]

    def batch_loss(self, x: Tensor, y: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        loss = self.noise_loss(self.to_model_space(x, y), y.long(), generator)
        return loss, {"weighted_noise_mse": loss.item()}

    def before_fit(self, x: Tensor, generator: torch.Generator) -> None:
        self._ema = [p.detach().clone() for p in self.parameters() if p.requires_grad]

    def after_step(self) -> None:
        """An exponential moving average of the weights: the averaged weights sample far cleaner
        digits than the last step's (standard for diffusion models)."""
        if self._ema is None:
            return
        decay = self.config.ema_decay
        with torch.no_grad():
            for shadow, p in zip(self._ema, (p for p in self.parameters() if p.requires_grad)):
                shadow.lerp_(p.detach(), 1 - decay)

    def after_fit(self, x: Tensor, y: Tensor) -> None:
        """Keep the EMA weights. (The trainer then fits the sliders' principal directions to the
        encoded, i.e. DDIM-inverted, training digits: raw axes of the noise mean nothing.)"""
        if self._ema is not None:
            for shadow, p in zip(self._ema, (p for p in self.parameters() if p.requires_grad)):
                p.data.copy_(shadow)
            self._ema = None

    # ---- sampling ------------------------------------------------------------------------------
    def _schedule(self, steps: int) -> Tensor:
        """The `steps` timesteps a sampler visits, from T-1 down to 0."""
        return torch.linspace(len(self.alphas_cumprod) - 1, 0, steps).round().long()

    def guided_eps(self, x: Tensor, t: int, y: Tensor, guidance: float) -> Tensor:
        tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
        null = torch.full_like(y, self.config.n_classes)
        if guidance == 1.0 or bool((y == self.config.n_classes).all()):
            return self._eps_halves(x, tt, y)
        if guidance == 0.0:
            return self._eps_halves(x, tt, null)
        both = self._eps_halves(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))
        e_c, e_u = both.chunk(2)
        return e_u + guidance * (e_c - e_u)

    def _eps_halves(self, x: Tensor, t: Tensor, y: Tensor) -> Tensor:
        """ε on a batch, in two halves on two threads when torch itself runs one thread (as the
        server's requests do) and the batch is worth splitting: the only heavy job the gate lets
        run then uses both cores. The same numbers as one call, up to float rounding."""
        if len(x) < SPLIT_BATCH or torch.get_num_threads() > 1 or x.device.type != "cpu":
            return self.eps(x, t, y)
        h, grad, inference = len(x) // 2, torch.is_grad_enabled(), torch.is_inference_mode_enabled()

        def run(s: slice) -> Tensor:
            with torch.set_grad_enabled(grad), torch.inference_mode(inference):
                return self.eps(x[s], t[s], y[s])

        later = _POOL.submit(run, slice(h, None))
        first = run(slice(0, h))
        return torch.cat([first, later.result()])

    def _clip(self, x0: Tensor) -> Tensor:
        r = self.x0_range
        return x0 if r is None else x0.clamp(-r, r)

    @staticmethod
    def check_knobs(guidance: float, sampling_steps: int, sampler: str) -> None:
        """The knobs checked against their declarations (the services' one validator), so a
        direct caller gets the same limits and messages."""
        for knob, value in zip(KNOBS, (guidance, sampling_steps, sampler)):
            check_knob(knob, value)

    @torch.no_grad()
    def denoise(self, x: Tensor, y: Tensor, *, guidance: float, sampling_steps: int, sampler: str,
                temperature: float, generator: torch.Generator | None
                ) -> Iterator[tuple[int, Tensor, Tensor]]:
        """Run the sampler from noise x = x_T: yields (timestep t, x after the step, the guess of
        x_0 at t) once per step; the last x is the sample (x_0)."""
        ts = self._schedule(int(sampling_steps)).tolist()
        eta = 0.0 if sampler == "ddim" else 1.0
        abar = self.alphas_cumprod
        for i, t in enumerate(ts):
            a_t = abar[t]
            a_prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            e = self.guided_eps(x, t, y, guidance)
            x0 = self._clip((x - (1 - a_t).sqrt() * e) / a_t.sqrt())
            e = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()          # the noise the clipped x0 implies
            sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).clamp(min=0).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev - sigma ** 2).clamp(min=0).sqrt() * e
            if eta and i + 1 < len(ts):
                x = x + sigma * temperature * torch.randn(x.shape, generator=generator).to(x.device)
            yield t, x, x0

    def _start(self, n: int, temperature: float, generator) -> Tensor:
        dev = self.alphas_cumprod.device
        return torch.randn(n, *self.latent_shape, generator=generator).to(dev) * temperature

    def sample(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
               prompt=None, generator: torch.Generator | None = None, guidance: float = 2.0,
               sampling_steps: int = 25, sampler: str = "ddim") -> Tensor:
        """n images (n, 1, H, W) in [0, 1]. temperature scales the starting noise and DDPM's
        per-step noise; condition None samples unconditionally."""
        check_temperature(temperature)
        self.check_knobs(guidance, sampling_steps, sampler)
        y = self._labels(condition, n, self.alphas_cumprod.device)
        x = self._start(n, temperature, generator)
        for _, x, _ in self.denoise(x, y, guidance=guidance, sampling_steps=sampling_steps,
                                    sampler=sampler, temperature=temperature, generator=generator):
            pass
        return self.to_data(x, y)

    def sample_steps(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
                     generator: torch.Generator | None = None, steps: int | None = None,
                     start: Tensor | None = None, given: Tensor | None = None,
                     mask: Tensor | None = None, guidance: float = 2.0, sampling_steps: int = 25,
                     sampler: str = "ddim") -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
        """Frames (n, 1, H, 2W): x_t beside the model's guess of x_0, after every step; stats
        "step" (the timestep t), "change" (mean absolute change of the guess of x_0 since the
        last step: large early, when the digit is decided, small at the end) and, with the
        capability "path", "state" (x_t). Arguments are
        checked before the first frame."""
        self._not_a_chain(steps, start)
        if given is not None or mask is not None:
            raise ValueError(f"{self.family} does not complete images")
        check_temperature(temperature)
        self.check_knobs(guidance, sampling_steps, sampler)
        y = self._labels(condition, n, self.alphas_cumprod.device)
        x = self._start(n, temperature, generator)
        return self._frames(x, y, guidance, sampling_steps, sampler, temperature, generator)

    @torch.no_grad()
    def _frames(self, x, y, guidance, sampling_steps, sampler, temperature, generator):
        last = None
        for t, x, x0 in self.denoise(x, y, guidance=guidance, sampling_steps=sampling_steps,
                                     sampler=sampler, temperature=temperature,
                                     generator=generator):
            guess = self.to_data(x0, y)
            change = (guess - last).abs().flatten(1).mean(1) if last is not None \
                else torch.zeros(len(x))
            last = guess
            stats = {"step": torch.tensor([float(t)]), "change": change.cpu()}
            if "path" in self.capabilities:
                stats["state"] = x.flatten(1).float().cpu()
            yield torch.cat([self.show_noisy(x, y, t), guess], 3), stats

    def show_noisy(self, x: Tensor, y: Tensor, t: int) -> Tensor:
        """x_t as an image in [0, 1] (pixels: rescaled; latents: decoded)."""
        return self.to_data(x, y)

    # ---- the deterministic map between noise and data ----------------------------------------
    def decode(self, z: Tensor, condition: Tensor | None = None, *, guidance: float = 1.0,
               sampling_steps: int = 25, sampler: str = "ddim") -> Tensor:
        """Noise latents (N, latent_dim) → images: DDIM (η = 0) from x_T = z, whatever `sampler`
        says (the map from noise to data is DDIM's). Guidance 1 by default: the inverse of
        `encode`, so an inverted digit comes back."""
        self.check_knobs(guidance, sampling_steps, "ddim")
        y = self._labels(condition, len(z), z.device)
        x = z.reshape(len(z), *self.latent_shape)
        for _, x, _ in self.denoise(x, y, guidance=guidance, sampling_steps=sampling_steps,
                                    sampler="ddim", temperature=1.0, generator=None):
            pass
        return self.to_data(x, y)

    @torch.no_grad()
    def encode(self, x: Tensor, condition: Tensor | None = None, *, guidance: float = 1.0,
               sampling_steps: int = 25, sampler: str = "ddim") -> Tensor:
        """Images → their noise (N, latent_dim) by DDIM inversion with the class (w = 1 whatever
        `guidance` says: a guided path cannot be retraced), so decode(encode(x), w=1) ≈ x."""
        self.check_knobs(guidance, sampling_steps, "ddim")
        y = self._labels(condition, len(x), self.alphas_cumprod.device)
        h = self.to_model_space(x, y)
        ts = self._schedule(int(sampling_steps)).flip(0).tolist()      # 0 up to T-1
        abar = self.alphas_cumprod
        for i, t in enumerate(ts):
            a_prev = abar[ts[i - 1]] if i else torch.tensor(1.0)      # the level h is at now
            a_t = abar[t]
            # ε at the current level stands in for ε at the next: the DDIM inversion step
            e = self.guided_eps(h, ts[i - 1] if i else 0, y, 1.0)
            x0 = self._clip((h - (1 - a_prev).sqrt() * e) / a_prev.sqrt())
            h = a_t.sqrt() * x0 + (1 - a_t).sqrt() * e
        return h.flatten(1)


class MLPDenoiser:
    """ε(x_t, t, class) as a residual MLP over a vector, for a Diffusion over vectors (a VAE's
    latents, 2-D points). The time code and class embedding are summed and added before every
    block. An MLP also runs in the page: `page_sampler` exports the whole DDIM run as one op."""

    def build_denoiser(self, dim: int, hidden: int, blocks: int, emb_dim: int,
                       n_classes: int) -> None:
        self.time = nn.Sequential(nn.Linear(emb_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.label = nn.Embedding(n_classes + 1, hidden)         # the last row: "no class"
        self.inp = nn.Linear(dim, hidden)
        self.res = nn.ModuleList(nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                               nn.Linear(hidden, hidden)) for _ in range(blocks))
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(hidden, dim))

    def eps(self, x: Tensor, t: Tensor, y: Tensor) -> Tensor:
        e = self.time(timestep_embedding(t, self.config.emb_dim)) + self.label(y)
        h = self.inp(x) + e
        for block in self.res:
            h = h + block(h + e)
        return self.out(h)

    @torch.no_grad()
    def page_sampler(self, sampling_steps: int, guidance: float) -> tuple[str, dict]:
        """The page's "ddim" op (playground/webrun.py): DDIM at these knobs from noise to a clean
        vector, the denoiser's time code precomputed for each of its steps."""
        ts = self._schedule(sampling_steps).tolist()
        abar = self.alphas_cumprod
        steps = [(abar[t].item(), abar[ts[i + 1]].item() if i + 1 < len(ts) else 1.0)
                 for i, t in enumerate(ts)]
        time_emb = self.time(timestep_embedding(torch.tensor(ts), self.config.emb_dim))
        return ("ddim", {"dim": self.config.latent_dim, "n_classes": self.config.n_classes,
                         "guidance": guidance, "clip": self.x0_range, "steps": steps,
                         "time_emb": time_emb, "labels": self.label.weight, "inp": self.inp,
                         "blocks": [list(b) for b in self.res], "out": list(self.out)})

"""Interpolation: frames between two latents by lerp or slerp, with the latent norm and (for models
with a likelihood) the likelihood of every frame along both paths, so the two methods compare."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from playground import sampling
from playground.store import ModelInfo
from playground.errors import check_choice, check_int, check_seed, check_temperature
from playground.tools.core import Tools, makes_images

MAX_STEPS = 32          # interpolation frames: a strip of 32 is already wider than a screen
ELBO_DRAWS = 8          # posterior draws averaged per frame: the ELBO curve is smooth, not noisy
CLOUD = 1000            # prior samples behind a point model's path, for context


@dataclass
class Curve:
    norm: np.ndarray                 # (S,) |z| along the path
    likelihood: np.ndarray | None    # (S,) of each decoded frame; None: the model has none


@dataclass
class Interpolation:
    model: str
    method: str
    steps: int
    t: np.ndarray                    # (S,) fraction of the way from A to B
    latents: np.ndarray              # (S, D) along the chosen method
    frames: np.ndarray               # (S, H, W) uint8 images, or (S, 2) points
    points: bool                     # frames are points of a 2-D data space
    curves: dict[str, Curve]         # per method, "lerp" and "slerp"
    likelihood_name: str | None      # what Curve.likelihood measures
    endpoints: list[dict]            # what A and B are (source, seed/index, label)
    typical_norm: float              # |z| of a typical prior sample: √D·T
    temperature: float
    seed: int                        # of the ELBO's posterior draws
    label: str | None
    cloud: np.ndarray | None = None  # (CLOUD, 2) samples of a point model


def interpolate(tools: Tools, model_id, a: tuple, b: tuple, *, method="slerp", steps=10,
                label=None, temperature=1.0, seed=0) -> Interpolation:
    """Frames between two endpoints, each (source, number, drawing): "lerp" or "slerp" with `steps`
    frames (2..MAX_STEPS). Both methods are decoded and scored; the chosen one's frames are kept."""
    info = tools.require(model_id, "interpolate")
    method = check_choice(method, "interpolation", sampling.INTERPOLATIONS)
    steps = check_int(steps, "steps", 2, MAX_STEPS)
    t = check_temperature(temperature, allow_zero=True)
    seed = check_seed(seed)
    k = tools.label_index(info, label)
    za, wa = tools.endpoint(info, *a, label, t)
    zb, wb = tools.endpoint(info, *b, label, t)
    curves, chosen, name = {}, None, None
    for way in sampling.INTERPOLATIONS:
        zs = sampling.interpolate(torch.from_numpy(za[0]), torch.from_numpy(zb[0]), steps,
                                  way).numpy()
        frames = tools.render(info, zs, k)
        scored = likelihood(tools, info, frames, k, seed)
        curves[way] = Curve(np.linalg.norm(zs, axis=1), None if scored is None else scored[0])
        name = None if scored is None else scored[1]
        if way == method:
            chosen = zs, frames
    cloud = None
    if info.has("points"):  # the data the path moves through, for context
        cloud = tools.render(info, tools.backend.prior_samples(info.id, CLOUD, seed=0))
    return Interpolation(
        model=info.id, method=method, steps=steps, t=np.linspace(0, 1, steps), latents=chosen[0],
        frames=chosen[1], points=info.has("points"), curves=curves, likelihood_name=name,
        endpoints=[wa[0], wb[0]], typical_norm=math.sqrt(info.latent_dim) * t, temperature=t,
        seed=seed, label=None if k is None else info.class_names[k], cloud=cloud)


LIKELIHOOD_NAMES = {"exact": "log p(x) of the decoded frame (nats)",
                    "bound": "ELBO of the decoded frame (nats)",
                    "pseudo": "pseudo-log-likelihood of the decoded frame (nats)"}


def likelihood(tools: Tools, info: ModelInfo, frames: np.ndarray, label: int | None, seed: int
               ) -> tuple[np.ndarray, str] | None:
    """Per-frame log-likelihood of rendered frames (images (N, H, W) uint8 as shown, or points
    (N, 2)), or the stand-in the model computes (a bound, a pseudo-likelihood), and its name; None
    when the model has no likelihood. A bound from one posterior draw is noisy, so it is averaged
    over ELBO_DRAWS draws."""
    if not info.has("likelihood"):
        return None
    m, dev = tools.backend.model(info.id), tools.backend.device
    x = torch.from_numpy(np.asarray(frames, np.float32)).to(dev)
    if makes_images(info):
        x = x[:, None] / 255                                               # (N, 1, H, W)
    cond = None if label is None else torch.full((len(x),), label, dtype=torch.long, device=dev)
    g = torch.Generator(dev).manual_seed(seed)
    with torch.inference_mode():
        lik = m.likelihood(x, cond, generator=g)
        values = lik.log_p
        if lik.kind == "bound":
            cr = None if cond is None else cond.repeat_interleave(ELBO_DRAWS, 0)
            draws = m.likelihood(x.repeat_interleave(ELBO_DRAWS, 0), cr, generator=g).log_p
            values = draws.view(len(x), ELBO_DRAWS).mean(1)
    return values.float().cpu().numpy(), LIKELIHOOD_NAMES[lik.kind]

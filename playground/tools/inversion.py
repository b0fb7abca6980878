"""Your drawing → its noise: encode a drawing with a conditional model that can decode again (for a
diffusion model, DDIM inversion to the noise x_T that the deterministic sampler maps back to it),
regenerate it from that noise, and decode the same noise as every class: the style is kept, the
digit changes. Interpolating between two inverted drawings is the interpolation tool's "my drawing"
source; this module does the rest."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.tools.core import Tools, image_size


@dataclass
class Inversion:
    model: str
    label: str                   # the class the drawing was inverted with
    digit: np.ndarray            # (H, W) uint8: the drawing prepared like the data
    latent: np.ndarray           # (D,) the drawing's noise (or code)
    noise: np.ndarray | None     # (H, W) uint8: the noise shown as a picture, when it is one
    regenerated: np.ndarray      # (H, W) uint8: the noise decoded with the same class
    error: float                 # mean squared error per pixel of the regeneration
    classes: np.ndarray          # (K, H, W) uint8: the same noise decoded as each class


def invert(tools: Tools, model_id, drawing, label, knobs=None) -> Inversion:
    """A drawing or upload → its noise with class `label`, regenerated, and decoded as every
    class. `knobs` (a diffusion model's steps; guidance applies to the class row only: inversion
    and regeneration use w = 1, the only scale a deterministic path can retrace)."""
    info = tools.require(model_id, "invert")
    k = tools.label_index(info, label)
    checked = tools.backend.knobs(info, knobs)
    steps = {n: v for n, v in checked.items() if n == "sampling_steps"}
    z, digit = tools.backend.encode_drawing(info.id, drawing, k, knobs=steps)
    regenerated = tools.backend.render(info.id, z[None], k, knobs=steps)[0]
    error = float(((regenerated / 255.0 - digit / 255.0) ** 2).mean())
    names = info.class_names
    every = np.repeat(z[None], len(names), 0)
    classes = np.stack([tools.backend.render(info.id, every[c:c + 1], c, knobs=checked)[0]
                        for c in range(len(names))])
    size = image_size(info)
    noise = None
    if z.size == size * size:  # the noise is an image: show it (±3σ over black to white)
        noise = np.clip((z.reshape(size, size) + 3) / 6 * 255, 0, 255).round().astype(np.uint8)
    return Inversion(model=info.id, label=names[k], digit=digit, latent=z, noise=noise,
                     regenerated=regenerated, error=error, classes=classes)

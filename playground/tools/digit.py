"""Your digit: encode a drawing or upload, decode it again, and score it as an anomaly by its
reconstruction error against the errors of the model's validation digits."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.data import split
from playground.images import to_uint8
from playground.store import ModelInfo
from playground.errors import MAX_SAMPLES, check_int
from playground.tools.core import Tools

TOP_ANOMALIES = 8       # validation digits in the "most anomalous" gallery


@dataclass
class Reconstruction:
    model: str
    latent: np.ndarray          # (D,) the drawing's code
    digit: np.ndarray           # (H, W) uint8: the drawing prepared like the data, as encoded
    reconstruction: np.ndarray  # (H, W) uint8
    error: float                # mean squared error per pixel, pixels in [0, 1]
    label: str | None           # the class a conditional model was told was drawn


@dataclass
class Outlier:
    index: int                  # in the validation split
    label: int
    error: float
    original: np.ndarray        # (H, W) uint8
    reconstruction: np.ndarray  # (H, W) uint8


@dataclass
class Anomaly:
    digit: Reconstruction
    validation_errors: np.ndarray  # (N,) of every validation digit
    percentile: float              # share of validation digits reconstructed better, in %
    top: list[Outlier]             # the worst reconstructed validation digits, worst first


def reconstruct(tools: Tools, model_id, drawing, label=None) -> Reconstruction:
    """A drawing or upload → the digit as the model's data looks (what is encoded), its latent,
    its reconstruction and the per-pixel mean squared reconstruction error."""
    info = tools.require(model_id, "reconstruct")
    return _reconstruct(tools, info, drawing, label)


def _reconstruct(tools: Tools, info: ModelInfo, drawing, label) -> Reconstruction:
    k = tools.label_index(info, label)
    z, digit = tools.backend.encode_drawing(info.id, drawing, k)
    recon = tools.render(info, z[None], k)[0]
    error = float(((recon / 255.0 - digit / 255.0) ** 2).mean())
    return Reconstruction(model=info.id, latent=z, digit=digit, reconstruction=recon, error=error,
                          label=None if k is None else info.class_names[k])


def _validation(tools: Tools, info: ModelInfo) -> tuple[np.ndarray, np.ndarray]:
    """Reconstruction errors (N,) and reconstructions (N, H, W) uint8 of every validation digit,
    computed once per process."""
    def compute():
        x, y = split(info.dataset, "val")
        z = tools.encode(info, x, y)
        recon = tools.render(info, z, y.numpy())
        errors = ((recon / 255.0 - x[:, 0].numpy()) ** 2).reshape(len(x), -1).mean(1)
        return errors, recon
    return tools.cache.get_or_create(("validation", info.id), compute)


def validation_errors(tools: Tools, model_id) -> np.ndarray:
    """Reconstruction error (N,) of every validation digit, computed once per process."""
    return _validation(tools, tools.require(model_id, "anomaly"))[0]


def anomaly(tools: Tools, model_id, drawing, label=None, top=TOP_ANOMALIES) -> Anomaly:
    """Score a drawing by its reconstruction error against the validation digits' errors: the
    percentile, the distribution, and the `top` most anomalous validation digits."""
    info = tools.require(model_id, "anomaly")
    top = check_int(top, "how many anomalies", 1, MAX_SAMPLES)
    mine = _reconstruct(tools, info, drawing, label)
    errors, recon = _validation(tools, info)
    worst = np.argsort(-errors)[:top]
    x, y = split(info.dataset, "val")
    originals = to_uint8(x[torch.from_numpy(worst.copy())])
    return Anomaly(digit=mine, validation_errors=errors,
                   percentile=float((errors < mine.error).mean() * 100),
                   top=[Outlier(int(i), int(y[i]), float(errors[i]), o, recon[i])
                        for i, o in zip(worst, originals)])

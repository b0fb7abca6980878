"""Completion: hide a region of a real digit or a drawing and let a stepwise model fill it in (a
PixelCNN samples the hidden pixels in raster order copying the given ones; a Gibbs chain samples
them with the given pixels clamped)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

from playground.data import split
from playground.images import digit_from_image
from playground.inference import stream
from playground.store import ModelInfo
from playground.errors import PlaygroundError, check_int, check_seed, check_temperature
from playground.gate import heavy
from playground.tools.core import MAX_TOOL_IMAGES, SOURCES, Tools, image_size

MASKS = ("bottom half", "top half", "right half", "left half", "centre square")


@dataclass
class Completion:
    """What a completion starts from; its frames come separately, as the sampler runs."""
    model: str
    digit: np.ndarray    # (H, W) uint8, binarised at 0.5
    masked: np.ndarray   # (H, W) uint8, what the model sees: hidden pixels grey
    hide: str
    count: int
    seed: int
    temperature: float
    label: str | None
    source: str
    number: int | None   # the validation index (source "data")


def mask_for(name: str, size: int) -> np.ndarray:
    """The (size, size) boolean mask of given pixels when `name` ("bottom half", ...) is hidden."""
    given = np.ones((size, size), bool)
    h = size // 2
    if name == "bottom half":
        given[h:] = False
    elif name == "top half":
        given[:h] = False
    elif name == "right half":
        given[:, h:] = False
    elif name == "left half":
        given[:, :h] = False
    elif name == "centre square":
        q = size // 4
        given[q:size - q, q:size - q] = False
    else:
        raise PlaygroundError(f"unknown region {str(name)[:30]!r}; hide one of {', '.join(MASKS)}")
    return given


def complete(tools: Tools, model_id, source, number, drawing=None, *, hide="bottom half", count=4,
             seed=0, temperature=1.0, label=None
             ) -> tuple[Completion, Iterator[tuple[np.ndarray, str]]]:
    """Hide a region of a validation digit or a drawing (binarised at 0.5) and let a stepwise
    model fill it in `count` times. Validates at once; returns (what it starts from, frames), where
    frames yields (completions (count, H, W) uint8, progress text) as sampling goes, holding the
    heavy-sampler gate while it runs."""
    info = tools.require(model_id, "complete")
    n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
    t = check_temperature(temperature, allow_zero=not info.latent_dim)
    seed = check_seed(seed)
    if source not in SOURCES or source == "sample":
        raise PlaygroundError("completion starts from a real digit or a drawing: choose 'data' "
                              "or 'drawing'")
    index = None
    if source == "data":
        x, y = split(info.dataset, "val")
        index = check_int(number, "validation index", 0, len(x) - 1)
        digit = x[index, 0].numpy()
        if info.has("condition") and (label is None or label == ""):
            label = int(y[index])      # the digit's own class
    else:
        digit = digit_from_image(drawing, image_size(info))
    given_mask = mask_for(hide, digit.shape[0])
    binary = (digit > 0.5).astype(np.float32)
    if not binary[given_mask].any():
        raise PlaygroundError(f"nothing of the digit is left once the {hide} is hidden: "
                              f"hide another region")
    c = tools.label_index(info, label)
    dev = tools.backend.device
    cond = None if c is None else torch.full((n,), c, dtype=torch.long, device=dev)
    given = torch.from_numpy(binary)[None, None].to(dev)
    mask = torch.from_numpy(given_mask)[None, None].to(dev)
    start = Completion(model=info.id, digit=(binary * 255).astype(np.uint8),
                       masked=(np.where(given_mask, binary, 0.5) * 255).astype(np.uint8),
                       hide=hide, count=n, seed=seed, temperature=t,
                       label=None if c is None else info.class_names[c], source=source,
                       number=index)

    def run():
        return tools.backend.model(info.id).sample_steps(
            n, temperature=t, condition=cond, generator=tools.backend.generator(seed), given=given,
            mask=mask)
    return start, _frames(info, run, int(given_mask.size - given_mask.sum()))


def _frames(info: ModelInfo, run, hidden: int) -> Iterator[tuple[np.ndarray, str]]:
    """The sampler's frames with a progress line, inside the gate: one heavy sampler at a time."""
    with heavy(info.capabilities):
        for k, (images, stats) in enumerate(stream(run()), 1):
            step = stats.get("step")
            text = (f"Gibbs step {int(step[0])} (given pixels clamped)" if step is not None
                    else f"row {min(k, images.shape[-2])} of {images.shape[-2]} "
                         f"({hidden} hidden pixels to sample)")
            yield images, text

"""Arithmetic with classes in latent space: the mean code of each class, z + s·(mean(A) − mean(B)),
and the class × style grid (one style latent decoded as every class of a conditional model)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.store import ModelInfo
from playground.errors import PlaygroundError, check_int, check_number, check_temperature
from playground.tools.core import MAX_TOOL_IMAGES, Tools

MAX_STRENGTH = 3.0      # how far latent arithmetic may push along mean(A) - mean(B)


@dataclass
class Arithmetic:
    model: str
    plus: str
    minus: str
    strength: float
    bases: np.ndarray        # (n, D) the latents the difference is added to
    results: np.ndarray      # (n, D) bases + strength · (mean(plus) − mean(minus))
    what: list[dict]         # where each base came from
    images: np.ndarray       # (2n, H, W) uint8: the bases decoded, then the results
    mean_images: np.ndarray  # (2, H, W) uint8: mean(plus) and mean(minus) decoded
    label: str | None        # the class a conditional decoder was given


@dataclass
class StyleGrid:
    model: str
    styles: np.ndarray       # (rows, D)
    what: list[dict]         # where each style came from
    classes: list[str]       # the columns
    images: np.ndarray       # (rows·K, H, W) uint8 in reading order


def class_means(tools: Tools, model_id) -> np.ndarray:
    """Mean code (K, D) of each class's training digits, computed once per process."""
    info = tools.require(model_id, "arithmetic")

    def compute():
        x, y = tools.train_split(info.dataset)
        codes = torch.from_numpy(tools.encode(info, x, y))
        return torch.stack([codes[y == c].mean(0) for c in range(len(tools.class_names(info)))]).numpy()
    return tools.cache.get_or_create(("class_means", info.id), compute)


def _class_index(tools: Tools, info: ModelInfo, name, what: str) -> int:
    names = tools.class_names(info)
    if str(name) not in names:
        raise PlaygroundError(f"unknown {what} {str(name)[:20]!r}; choose one of {', '.join(names)}")
    return names.index(str(name))


def arithmetic(tools: Tools, model_id, plus, minus, source, number, drawing=None, *, count=8,
               strength=1.0, label=None, temperature=1.0) -> Arithmetic:
    """z + strength · (mean(plus) − mean(minus)) for `count` bases z from a source (a drawing
    gives one), with class means over the encoded training digits."""
    info = tools.require(model_id, "arithmetic")
    p, q = _class_index(tools, info, plus, "class"), _class_index(tools, info, minus, "class")
    s = check_number(strength, "strength", -MAX_STRENGTH, MAX_STRENGTH)
    n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
    t = check_temperature(temperature, allow_zero=True)
    k = tools.label_index(info, label)
    means = class_means(tools, info.id)
    base, what = tools.endpoint(info, source, number, drawing, label, t, count=n)
    result = base + s * (means[p] - means[q])[None]
    names = tools.class_names(info)
    return Arithmetic(model=info.id, plus=names[p], minus=names[q], strength=s, bases=base,
                      results=result, what=what,
                      images=tools.render(info, np.concatenate([base, result]), k),
                      mean_images=tools.render(info, means[[p, q]], k),
                      label=None if k is None else info.class_names[k])


def style_grid(tools: Tools, model_id, source, number, drawing=None, *, rows=6, label=None,
               temperature=1.0) -> StyleGrid:
    """One row per style latent, one column per class. Styles come from prior samples, encoded
    validation digits or a drawing (encoded with `label`), so a digit's style can be rewritten as
    every other digit."""
    info = tools.require(model_id, "style_grid")
    n = check_int(rows, "rows", 1, MAX_TOOL_IMAGES)
    t = check_temperature(temperature, allow_zero=True)
    styles, what = tools.endpoint(info, source, number, drawing, label, t, count=n)
    k = info.n_classes
    z = np.repeat(styles, k, axis=0)                                      # (rows·K, D)
    return StyleGrid(model=info.id, styles=styles, what=what, classes=list(info.class_names),
                     images=tools.render(info, z, np.tile(np.arange(k), len(styles))))

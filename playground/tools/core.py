"""What every tool shares: which models a tool can use (from capabilities, never family names), the
sources of latents (prior samples, validation items, a drawing), encoding data and rendering the
latents the server computed, and one bounded cache of data-set statistics.

Each experiment is a module of functions that take a `Tools` first (interpolation, arithmetic,
digit, neighbours, completion, export). They validate their inputs once (PlaygroundError, with a
message for the person) and return small dataclasses of numpy arrays and plain numbers; the UI
turns them into images, plots and files.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from playground import judge
from playground.backend import Backend
from playground.data import IMAGE_SIZES, split
from playground.store import ModelInfo
from playground.errors import (MAX_POINTS, MAX_SAMPLES, PlaygroundError, check_choice, check_int,
                               check_seed)
from playground.lru import LRU

DIGIT_DATASETS = ("mnist", "digits")  # labelled 0-9: class names known without loading the data
MAX_TOOL_IMAGES = 8     # completions, neighbour queries, arithmetic bases, grid rows
ENCODE_BATCH = 500      # data encoded per model call: bounded activations on a small server
SOURCES = ("sample", "data", "drawing")  # where an endpoint/base/style comes from

# What each tool needs from a model: capabilities, and whether its outputs must be images.
TOOL_NEEDS: dict[str, tuple[frozenset[str], bool]] = {
    "interpolate": (frozenset({"decode"}), False),
    "arithmetic": (frozenset({"encode", "decode"}), True),
    "style_grid": (frozenset({"condition", "decode"}), True),
    "reconstruct": (frozenset({"encode", "decode"}), True),
    "anomaly": (frozenset({"encode", "decode"}), True),
    "invert": (frozenset({"encode", "decode", "condition"}), True),
    "neighbours": (frozenset(), True),
    "complete": (frozenset({"stepwise", "complete"}), True),  # a diffusion sampler cannot
    "export": (frozenset(), True),
}


def makes_images(info: ModelInfo) -> bool:
    return not (info.has("points") or info.has("text"))


def image_size(info: ModelInfo) -> int:
    """The side in pixels of an image model's pictures, from its data set."""
    if info.dataset not in IMAGE_SIZES:
        raise PlaygroundError(f"{info.id} was trained on {info.dataset!r}, whose image size is "
                              f"unknown here (known: {', '.join(IMAGE_SIZES)})")
    return IMAGE_SIZES[info.dataset]


class Tools:
    """The tools' shared state on top of a Backend (its models, device and validation): a bounded
    cache of statistics computed on first use (class means, validation errors, the neighbour
    index, training splits), each built once even when many requests ask at the same moment."""

    def __init__(self, backend: Backend, cache_size: int = 16):
        self.backend = backend
        self.cache: LRU = LRU(cache_size)

    # ---- which models ------------------------------------------------------------------------
    def models(self, tool: str) -> list[ModelInfo]:
        """The models a tool can use, in the backend's order (its first is the tool's default)."""
        return [i for i in self.backend.models() if self.missing(i, tool) is None]

    def missing(self, info: ModelInfo, tool: str) -> str | None:
        """Why `info` cannot be used by `tool`, or None when it can."""
        needs, images = TOOL_NEEDS[tool]
        lacking = sorted(needs - info.capabilities)
        if lacking:
            return f"needs a model with {' and '.join(lacking)}"
        if images and not makes_images(info):
            return "works on image models only"
        if tool == "neighbours" and info.dataset != self.judge_data():
            return (f"compares with the judge's training digits ({self.judge_data()} only)"
                    if self.judge_data() else "needs the judge classifier, which is not installed")
        return None

    def require(self, model_id, tool: str) -> ModelInfo:
        info = self.backend.info(model_id)
        why = self.missing(info, tool)
        if why:
            fits = ", ".join(i.id for i in self.models(tool)) or "none"
            raise PlaygroundError(f"{info.id} cannot be used here: this tool {why} "
                                  f"({info.id} has {', '.join(sorted(info.capabilities))}). "
                                  f"Models that fit: {fits}")
        return info

    def judge_data(self) -> str | None:
        """The data set the judge classifier reads (neighbours search its training split)."""
        return judge.dataset(self.backend.root)

    # ---- classes and data --------------------------------------------------------------------
    def label_index(self, info: ModelInfo, label) -> int | None:
        """A validated class (a name or an index) as its index; None for an unconditional model."""
        cond = self.backend.condition(info, label, 1)
        return None if cond is None else int(cond[0])

    def class_names(self, info: ModelInfo) -> list[str]:
        """The classes of a model's data (its own class names, else the data's labels)."""
        if info.class_names:
            return list(info.class_names)
        if info.dataset in DIGIT_DATASETS:  # known without loading the data (the page builds fast)
            return [str(k) for k in range(10)]
        _, y = self.train_split(info.dataset)
        return [str(k) for k in range(int(y.max()) + 1)]

    def train_split(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        from playground.data import split
        return split(name, "train")   # data.py's one cache of splits

    # ---- encoding data, rendering latents ----------------------------------------------------
    def encode(self, info: ModelInfo, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        """Codes (N, D) of data items x (images (N, 1, H, W) or points (N, 2)) from the model's
        own data set, so no validation; conditional encoders are given the true labels y."""
        m, dev, out = self.backend.model(info.id), self.backend.device, []
        with torch.inference_mode():
            for i in range(0, len(x), ENCODE_BATCH):
                cond = y[i:i + ENCODE_BATCH].to(dev) if info.has("condition") else None
                out.append(m.encode(x[i:i + ENCODE_BATCH].to(dev), cond).float().cpu())
        return torch.cat(out).numpy()

    def render(self, info: ModelInfo, z: np.ndarray, labels=None) -> np.ndarray:
        """Images (N, H, W) uint8 (or points (N, 2)) of latents (N, D) the server computed itself:
        prior draws, encodings, paths, arithmetic. `labels`: None, one class index for all, or one
        per latent (conditional models)."""
        z = np.asarray(z, np.float32)
        if not info.has("condition"):
            labels = None
        elif np.ndim(labels) == 0:  # one class for all (a missing one is refused here)
            labels = np.full(len(z), self.label_index(info, labels))
        chunk = MAX_POINTS if info.has("points") else MAX_SAMPLES
        return _by_label(lambda zs, k: self.backend.render(info.id, zs, k), z, labels, chunk)

    # ---- where latents come from -------------------------------------------------------------
    def endpoint(self, info: ModelInfo, source, number, drawing, label, temperature: float,
                 count: int = 1) -> tuple[np.ndarray, list[dict]]:
        """`count` latents (count, D) from a source, with what each is: prior samples from seed
        `number`, validation items from index `number` (encoded), or a drawing (encoded, one)."""
        source = check_choice(source, "source", SOURCES)
        if source == "sample":
            seed = check_seed(number)
            z = self.backend.prior_samples(info.id, count, temperature=temperature, seed=seed)
            return z, [{"source": "sample", "seed": seed, "index": i} for i in range(count)]
        if not info.has("encode"):
            raise PlaygroundError(f"{info.id} has no encoder: it can only start from prior samples "
                                  f"(choose 'sample')")
        if source == "data":
            x, y = split(info.dataset, "val")
            i = check_int(number, "validation index", 0, len(x) - count)
            z = self.encode(info, x[i:i + count], y[i:i + count])
            return z, [{"source": "data", "index": i + k, "label": int(y[i + k])}
                       for k in range(count)]
        if not makes_images(info):
            raise PlaygroundError(f"{info.id} models points, not images: drawings do not apply")
        z, _ = self.backend.encode_drawing(info.id, drawing, label if info.has("condition") else None)
        return z[None], [{"source": "drawing"}]


def _by_label(call: Callable[[np.ndarray, int | None], np.ndarray], items: np.ndarray, labels,
              chunk: int) -> np.ndarray:
    """`call(part, label)` over parts of at most `chunk` items that share a label (labels: None, or
    one class index per item), the answers put back in the items' order."""
    if labels is None:
        groups = [(np.arange(len(items)), None)]
    else:
        labels = np.asarray(labels)
        groups = [(np.flatnonzero(labels == k), int(k)) for k in np.unique(labels)]
    out = None
    for index, k in groups:
        for s in range(0, len(index), chunk):
            part = index[s:s + chunk]
            answer = call(items[part], k)
            if out is None:
                out = np.empty((len(items), *answer.shape[1:]), answer.dtype)
            out[part] = answer
    return out

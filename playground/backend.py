"""The only module the UI calls: discovers pretrained/, caches loaded models, validates every input,
and returns plain numpy arrays, never tensors.

Model ids are the names of folders under pretrained/ found at start-up; any other string is refused
before it could touch the file system. Weights load through safetensors only (base.from_pretrained).
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from playground.base import FAMILIES, GenerativeModel

log = logging.getLogger(__name__)

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"

MAX_SAMPLES = 64         # a grid of 8x8; more costs memory and page weight, not insight
MAX_POINTS = 5000        # point clouds of 2-D models
MAX_TEMPERATURE = 5.0    # beyond this every model produces noise
MAX_LATENT_ABS = 10.0    # sliders span ±3; the API accepts a little more, never absurd values
MAX_SEED = 2**31 - 1
SLIDERS = 12             # latents with more dims show the first 12 plus "randomise the rest"
SLIDER_MODES = ("axes", "principal")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class PlaygroundError(ValueError):
    """A bad request, with a message meant for the person who made it."""


@dataclass(frozen=True)
class ModelInfo:
    id: str
    family: str
    capabilities: frozenset[str]
    latent_dim: int
    n_classes: int
    class_names: tuple[str, ...]
    summary: str
    ui: dict = field(hash=False, compare=False)
    metrics: dict = field(hash=False, compare=False)

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def slider_count(self) -> int:
        return min(SLIDERS, self.latent_dim)

    @property
    def slider_range(self) -> float:
        return float(self.ui.get("slider_range", 3.0))

    def as_dict(self) -> dict:
        return {"id": self.id, "family": self.family, "capabilities": sorted(self.capabilities),
                "latent_dim": self.latent_dim, "n_classes": self.n_classes,
                "class_names": list(self.class_names), "summary": self.summary,
                "metrics": self.metrics}


# ---- validation ---------------------------------------------------------------------------------
def check_number(value, name: str, lo: float, hi: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PlaygroundError(f"{name} must be a number, got {type(value).__name__} {value!r:.40}")
    if not math.isfinite(v):
        raise PlaygroundError(f"{name} must be finite, got {v}")
    if not lo <= v <= hi:
        raise PlaygroundError(f"{name} must be between {lo:g} and {hi:g}, got {v:g}")
    return v


def check_int(value, name: str, lo: int, hi: int) -> int:
    v = check_number(value, name, lo, hi)
    if v != int(v):
        raise PlaygroundError(f"{name} must be a whole number, got {v:g}")
    return int(v)


def check_temperature(value, allow_zero: bool = False) -> float:
    t = check_number(value, "temperature", 0.0, MAX_TEMPERATURE)
    if t == 0 and not allow_zero:
        raise PlaygroundError("temperature must be above 0 for this model (0 would collapse every "
                              "sample onto the prior's centre)")
    return t


def check_latent(values, dim: int, name: str = "latent") -> np.ndarray:
    """A latent (dim,) or a batch of latents (N, dim) as float32, finite and within bounds."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise PlaygroundError(f"{name} must be a list of {dim} numbers")
    try:
        z = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PlaygroundError(f"{name} must contain only numbers")
    if z.ndim not in (1, 2) or z.shape[-1] != dim or z.size == 0:
        raise PlaygroundError(f"{name} has shape {z.shape}, the model expects {dim} values")
    if not np.isfinite(z).all():
        raise PlaygroundError(f"{name} contains NaN or infinity")
    if np.abs(z).max() > MAX_LATENT_ABS:
        raise PlaygroundError(f"{name} values must lie within ±{MAX_LATENT_ABS:g}")
    return z.astype(np.float32)


# ---- images -------------------------------------------------------------------------------------
def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 1, H, W) in [0, 1] → (B, H, W) uint8."""
    return (images.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].cpu().numpy()


def grid(images: np.ndarray, ncol: int | None = None, pad: int = 1) -> np.ndarray:
    """(B, H, W) uint8 → one (rows·(H+pad)+pad, cols·(W+pad)+pad) uint8 sheet on a white ground."""
    b, h, w = images.shape
    ncol = ncol or math.ceil(math.sqrt(b))
    nrow = math.ceil(b / ncol)
    sheet = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), 255, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, ncol)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return sheet


# ---- the backend --------------------------------------------------------------------------------
class Backend:
    """Discovers models under `root`, loads them lazily into a bounded LRU cache, and serves
    validated decode/sample requests. Safe to call from many threads."""

    def __init__(self, root: str | Path = PRETRAINED, cache_size: int = 8, device: str | None = None):
        import playground.models  # noqa: F401  (registers every family)
        self.root = Path(root)
        self.cache_size = cache_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._cache: OrderedDict[str, GenerativeModel] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        self._infos = self._discover()

    def _discover(self) -> dict[str, ModelInfo]:
        infos = {}
        for folder in sorted(p for p in self.root.iterdir() if (p / "config.json").is_file()):
            try:
                meta = GenerativeModel.read_meta(folder)
            except ValueError as err:
                log.warning("skipping %s: %s", folder.name, err)
                continue
            family = FAMILIES[meta["family"]]
            if not getattr(family, "is_generative", True):
                continue  # e.g. the judge classifier: used by metrics, not shown in pickers
            cfg, ui = meta["config"], meta.get("ui", {})
            n_classes = int(cfg.get("n_classes", 0))
            names = ui.get("class_names") or [str(i) for i in range(n_classes)]
            infos[folder.name] = ModelInfo(
                id=folder.name, family=meta["family"], capabilities=family.capabilities,
                latent_dim=int(cfg.get("latent_dim", 0)), n_classes=n_classes,
                class_names=tuple(names), summary=ui.get("summary", ""), ui=ui,
                metrics=meta.get("metrics", {}))
        return infos

    # ---- discovery and cache ----
    def models(self, capability: str | None = None) -> list[ModelInfo]:
        return [i for i in self._infos.values() if capability is None or i.has(capability)]

    def info(self, model_id) -> ModelInfo:
        if not isinstance(model_id, str) or not _ID.match(model_id) or model_id not in self._infos:
            known = ", ".join(self._infos)
            raise PlaygroundError(f"unknown model {str(model_id)[:64]!r}; available: {known}")
        return self._infos[model_id]

    def card(self, model_id) -> str:
        info = self.info(model_id)
        return (self.root / info.id / "README.md").read_text()

    def model(self, model_id) -> GenerativeModel:
        """The loaded model, from the cache when possible (one load per id even under races)."""
        info = self.info(model_id)
        with self._lock:
            if info.id in self._cache:
                self._cache.move_to_end(info.id)
                return self._cache[info.id]
            load_lock = self._load_locks.setdefault(info.id, threading.Lock())
        with load_lock:
            with self._lock:
                if info.id in self._cache:
                    return self._cache[info.id]
            model = GenerativeModel.from_pretrained(self.root / info.id, device=self.device)
            with self._lock:
                self._cache[info.id] = model
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return model

    # ---- helpers ----
    def _condition(self, info: ModelInfo, label, n: int) -> torch.Tensor | None:
        if not info.has("condition"):
            return None
        if label is None or label == "":
            raise PlaygroundError(f"{info.id} needs a class: one of {', '.join(info.class_names)}")
        if isinstance(label, str) and label in info.class_names:
            k = info.class_names.index(label)
        else:
            k = check_int(label, "class", 0, info.n_classes - 1)
        return torch.full((n,), k, dtype=torch.long, device=self.device)

    def _generator(self, seed) -> torch.Generator:
        return torch.Generator(self.device).manual_seed(check_int(seed, "seed", 0, MAX_SEED))

    def _images_or_points(self, info: ModelInfo, out: torch.Tensor) -> np.ndarray:
        if info.has("points"):
            return out.float().cpu().numpy()
        return to_uint8(out)

    # ---- latents from sliders ----
    def latent_from_sliders(self, model_id, values, *, mode: str = "axes", rest_seed=-1,
                            temperature=1.0) -> np.ndarray:
        """The full latent (latent_dim,) for slider `values` (first `slider_count` coordinates).

        mode "axes": the values are raw latent coordinates. mode "principal": they are steps along
        the principal directions of the encoded training data, in units of each direction's spread.
        Coordinates beyond the sliders are 0 (rest_seed < 0) or drawn from N(0, T²) with rest_seed.
        """
        info = self.info(model_id)
        if mode not in SLIDER_MODES:
            raise PlaygroundError(f"slider mode must be one of {SLIDER_MODES}, got {str(mode)[:40]!r}")
        if not info.latent_dim:
            raise PlaygroundError(f"{info.id} has no latent space to slide through")
        head = check_latent(values, info.slider_count, "slider values")
        t = check_temperature(temperature, allow_zero=True)
        coeffs = np.zeros(info.latent_dim, np.float32)
        coeffs[:len(head)] = head
        if check_int(rest_seed, "rest seed", -1, MAX_SEED) >= 0 and info.latent_dim > len(head):
            g = torch.Generator().manual_seed(int(rest_seed))
            coeffs[len(head):] = torch.randn(info.latent_dim - len(head), generator=g).numpy() * t
        if mode == "axes":
            return coeffs
        m = self.model(info.id)
        z = m.latent_mean + (torch.from_numpy(coeffs).to(self.device) * m.latent_scales) @ m.latent_components
        return z.cpu().numpy()

    def sliders_for_latent(self, model_id, z, mode: str = "axes") -> list[float]:
        """Inverse of latent_from_sliders for the visible sliders (rounded to the slider step)."""
        info = self.info(model_id)
        z = check_latent(z, info.latent_dim)
        if mode == "principal":
            m = self.model(info.id)
            zt = torch.from_numpy(z).to(self.device)
            z = (((zt - m.latent_mean) @ m.latent_components.T) / m.latent_scales).cpu().numpy()
        r = info.slider_range
        return [round(float(np.clip(v, -r, r)), 2) for v in z[:info.slider_count]]

    def random_latent(self, model_id, *, seed, temperature=1.0) -> np.ndarray:
        """A latent drawn from the model's prior at `temperature` (deterministic in `seed`)."""
        return self.prior_samples(model_id, 1, temperature=temperature, seed=seed)[0]

    # ---- decoding and sampling ----
    def decode(self, model_id, z, label=None) -> np.ndarray:
        """A latent (D,) → (H, W) uint8 image, or latents (N, D) → (N, H, W); point models give
        (N, 2) float32 points."""
        info = self.info(model_id)
        if not info.has("decode"):
            raise PlaygroundError(f"{info.id} has no decoder; use sampling instead")
        z = check_latent(z, info.latent_dim)
        zb = z if z.ndim == 2 else z[None]
        n = check_int(len(zb), "number of latents", 1, MAX_POINTS if info.has("points") else MAX_SAMPLES)
        m = self.model(info.id)
        with torch.inference_mode():
            out = m.decode(torch.from_numpy(zb).to(self.device), self._condition(info, label, n))
        out = self._images_or_points(info, out)
        return out if (z.ndim == 2 or info.has("points")) else out[0]

    def prior_samples(self, model_id, n, *, temperature=1.0, seed=0) -> np.ndarray:
        """`n` latents (n, D) from the model's prior at `temperature`."""
        info = self.info(model_id)
        if not info.latent_dim:
            raise PlaygroundError(f"{info.id} has no latent space")
        n = check_int(n, "sample count", 1, MAX_POINTS)
        t = check_temperature(temperature, allow_zero=True)
        with torch.inference_mode():
            return self.model(info.id).prior(n, t, self._generator(seed)).cpu().numpy()

    def sample(self, model_id, n, *, temperature=1.0, seed=0, label=None) -> np.ndarray:
        """`n` samples: (n, H, W) uint8 images, or (n, 2) float32 points."""
        info = self.info(model_id)
        n = check_int(n, "sample count", 1, MAX_POINTS if info.has("points") else MAX_SAMPLES)
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        m = self.model(info.id)
        with torch.inference_mode():
            out = m.sample(n, temperature=t, condition=self._condition(info, label, n),
                           generator=self._generator(seed))
        return self._images_or_points(info, out)

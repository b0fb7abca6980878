"""The only module the UI calls: discovers pretrained/, caches loaded models, validates every input,
and returns plain numpy arrays, never tensors.

Model ids are the names of folders under pretrained/ found at start-up; any other string is refused
before it could touch the file system. Weights load through safetensors only (base.from_pretrained).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from playground import projection as proj
from playground.base import FAMILIES, GenerativeModel

log = logging.getLogger(__name__)

try:  # Hugging Face ZeroGPU: a GPU is attached only while a function decorated like this runs
    from spaces import GPU as on_gpu
except ImportError:  # everywhere else (the package is not a dependency)
    def on_gpu(fn):
        return fn

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"

MAX_SAMPLES = 64         # a grid of 8x8; more costs memory and page weight, not insight
MAX_POINTS = 5000        # point clouds of 2-D models
MAX_TEXTS = 50           # generated names at once
MAX_STEP_IMAGES = 16     # digits sampled step by step (PixelCNN: 16 in ~5 s on 2 cores)
MAX_CHAIN_STEPS = 5000   # Gibbs steps; an RBM mixes visibly within ~1,000
MAX_TEMPERATURE = 5.0    # beyond this every model produces noise
MAX_LATENT_ABS = 10.0    # sliders span ±3; the API accepts a little more, never absurd values
MAX_SEED = 2**31 - 1
SLIDERS = 12             # latents with more dims show the first 12 plus "randomise the rest"
SLIDER_MODES = ("axes", "principal")
MAP_DATASETS = ("mnist", "digits")  # image data sets a latent map can show (validation split)
MAP_POINTS = 1000        # prior samples drawn for a model with a decoder but no encoder
MAX_IMAGE_SIDE = 2048    # drawings/uploads; larger ones are refused, not resized
JUDGE = "classifier-mnist"  # colours a decoder-only model's samples by predicted class
SAMPLE_CACHE = 256       # recent sample() answers kept (a 64-grid is 50 KB: ≤ 13 MB)
MAX_SESSION_MODELS = 64  # models trained in the page and kept for their session (LRU, ~100 KB each)
SESSION_MODEL_TTL = 2 * 3600  # seconds a session model stays after it was last used
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SESSION_PREFIX = "session:"  # ids of models trained in the page; ':' never occurs in a folder id


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
    dataset: str = ""    # the data it was trained on (config.json "data.name")

    @property
    def mappable(self) -> bool:
        """Whether the latent map applies: image data, a latent, and an encoder (maps encoded
        validation digits) or a decoder (maps prior samples)."""
        return (self.latent_dim > 0 and self.dataset in MAP_DATASETS
                and not (self.has("points") or self.has("text"))
                and (self.has("encode") or self.has("decode")))

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def slider_count(self) -> int:
        return min(SLIDERS, self.latent_dim)

    @property
    def slider_range(self) -> float:
        return float(self.ui.get("slider_range", 3.0))

    @property
    def slider_min(self) -> float:
        """Lower end of the sliders: -range, unless the latent is one-sided (RBM probabilities)."""
        return float(self.ui.get("slider_min", -self.slider_range))

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
def stepped(frames):
    """A model's `sample_steps` iterator → (images (n, H, W) uint8, stats {name: (n,) floats}).
    Gradio resumes a stream on any worker thread, and inference mode is per thread: it is entered
    around each step, or in-place updates of the sampler's tensors fail mid-stream."""
    while True:
        with torch.inference_mode():
            out = next(frames, None)
        if out is None:
            return
        images, stats = out if isinstance(out, tuple) else (out, {})
        yield to_uint8(images), {k: v.float().cpu().numpy() for k, v in stats.items()}


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


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each busy thread its own malloc arena and keeps what is freed there; Gradio's
    ~40 worker threads then grow the server's RSS with every burst of clients. Measured with 30
    paced API clients for 20 s (single, noisy runs): +353 MB with the default, +194 MB with
    MALLOC_ARENA_MAX=2 set at start, +269 MB with this call (it only caps arenas created after it). A no-op where glibc's mallopt is missing (macOS, musl)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").mallopt(-8, int(arenas))  # -8 = M_ARENA_MAX
    except (OSError, AttributeError):
        pass


# ---- the backend --------------------------------------------------------------------------------
class Backend:
    """Discovers models under `root`, loads them lazily into a bounded LRU cache, and serves
    validated decode/sample requests. Safe to call from many threads."""

    def __init__(self, root: str | Path = PRETRAINED, cache_size: int = 8, device: str | None = None,
                 torch_threads: int | None = 1):
        import playground.models  # noqa: F401  (registers every family)
        if torch_threads:
            # Measured on 2 busy cores: one 16-D decode takes 1.2 ms with 1 intra-op thread and 92 ms
            # with 2 (the threads wait on each other for a time slice). Requests already run in
            # parallel in Gradio's thread pool, so each one gets a single thread.
            torch.set_num_threads(torch_threads)
        self.root = Path(root)
        self.cache_size = cache_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._cache: OrderedDict[str, GenerativeModel] = OrderedDict()
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        self._infos = self._discover()
        self._maps: OrderedDict[str, proj.Projection] = OrderedDict()  # latent maps, by cache key
        self._map_data: dict[str, tuple[np.ndarray, np.ndarray]] = {}    # id → (codes, labels)
        self._map_lock = threading.Lock()
        self._fit_lock = threading.Lock()  # one projection fit at a time: the CPU is shared
        self._sha: dict[str, str] = {}
        self._web_specs: dict[str, dict | None] = {}  # in-page decoders, by model id
        self._samples: OrderedDict[tuple, np.ndarray] = OrderedDict()  # recent sample() answers
        self._heavy = threading.Semaphore(1)  # stepwise samplers running at once (see sample)
        # Models trained in the page (Train live), kept for their session under an unguessable id:
        # id → (info, model, last used). Never listed by `models()`, never read from disk.
        self._session: OrderedDict[str, tuple[ModelInfo, GenerativeModel, float]] = OrderedDict()

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
                metrics=meta.get("metrics", {}), dataset=str(meta.get("data", {}).get("name", "")))
        return infos

    # ---- discovery and cache ----
    def models(self, capability: str | None = None) -> list[ModelInfo]:
        return [i for i in self._infos.values() if capability is None or i.has(capability)]

    def info(self, model_id) -> ModelInfo:
        if isinstance(model_id, str) and model_id.startswith(SESSION_PREFIX):
            return self._session_entry(model_id)[0]
        if not isinstance(model_id, str) or not _ID.match(model_id) or model_id not in self._infos:
            known = ", ".join(self._infos)
            raise PlaygroundError(f"unknown model {str(model_id)[:64]!r}; available: {known}")
        return self._infos[model_id]

    # ---- models trained in the page, kept for one session ----
    def add_session_model(self, model: GenerativeModel, *, family: str, summary: str,
                          metrics: dict | None = None, dataset: str = "") -> str:
        """Keep a model trained in the page (eval mode, its own copy) for the session that trained
        it; returns its id. The oldest are forgotten beyond MAX_SESSION_MODELS or after
        SESSION_MODEL_TTL idle seconds."""
        model_id = SESSION_PREFIX + secrets.token_hex(8)
        info = ModelInfo(id=model_id, family=family, capabilities=model.capabilities,
                         latent_dim=model.latent_dim, n_classes=0, class_names=(), summary=summary,
                         ui={}, metrics=dict(metrics or {}), dataset=dataset)
        now = time.monotonic()
        with self._lock:
            self._session[model_id] = (info, model.eval(), now)
            for old in [k for k, (_, _, t) in self._session.items() if now - t > SESSION_MODEL_TTL]:
                self._forget(old)
            while len(self._session) > MAX_SESSION_MODELS:
                self._forget(next(iter(self._session)))  # the least recently used
        return model_id

    def drop_session_model(self, model_id) -> None:
        with self._lock:
            self._forget(model_id)

    def _forget(self, model_id) -> None:
        """A session model and its page decoder (the caller holds the lock)."""
        self._session.pop(model_id, None)
        self._web_specs.pop(model_id, None)

    def _session_entry(self, model_id: str) -> tuple[ModelInfo, GenerativeModel, float]:
        with self._lock:
            entry = self._session.get(model_id)
            if entry is None:
                raise PlaygroundError("that model was trained in another session or has expired: "
                                      "train it again in the Train live tab")
            entry = (*entry[:2], time.monotonic())
            self._session[model_id] = entry
            self._session.move_to_end(model_id)
            return entry

    def card(self, model_id) -> str:
        info = self.info(model_id)
        if info.id in self._session:
            return f"# {info.family}\n\n{info.summary}\n"
        return (self.root / info.id / "README.md").read_text()

    def model(self, model_id) -> GenerativeModel:
        """The loaded model, from the cache when possible (one load per id even under races)."""
        info = self.info(model_id)
        if info.id.startswith(SESSION_PREFIX):
            return self._session_entry(info.id)[1]
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

    # ---- helpers (also used by playground/tools.py) ----
    def condition(self, info: ModelInfo, label, n: int) -> torch.Tensor | None:
        """A validated class (a name or an index) as n labels, or None for an unconditional model."""
        if not info.has("condition"):
            return None
        if label is None or label == "":
            raise PlaygroundError(f"{info.id} needs a class: one of {', '.join(info.class_names)}")
        if isinstance(label, str) and label in info.class_names:
            k = info.class_names.index(label)
        else:
            try:
                k = check_int(label, "class", 0, info.n_classes - 1)
            except PlaygroundError:
                raise PlaygroundError(f"unknown class {str(label)[:40]!r} for {info.id}; choose one "
                                      f"of {', '.join(info.class_names)}") from None
        return torch.full((n,), k, dtype=torch.long, device=self.device)

    def generator(self, seed) -> torch.Generator:
        """The request's random source: every draw follows from the validated seed."""
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
        return [round(float(np.clip(v, info.slider_min, info.slider_range)), 2)
                for v in z[:info.slider_count]]

    def web_decoder(self, model_id) -> dict | None:
        """The model's decoder as a spec the page runs itself (playground/webdecoder.py), with
        what the sliders need (slider_count, class_names); None: this model keeps the server path.
        Exported and checked against torch once per process and model."""
        from playground import webdecoder
        info = self.info(model_id)
        with self._lock:
            if info.id in self._web_specs:
                return self._web_specs[info.id]
        try:
            spec = webdecoder.export(self.model(info.id), info.id)
            spec.update(slider_count=info.slider_count, class_names=list(info.class_names))
        except webdecoder.NotExportable as err:
            log.info("%s decodes on the server: %s", info.id, err)
            spec = None
        with self._lock:
            self._web_specs[info.id] = spec
        return spec

    def rest_noise(self, model_id, rest_seed) -> list[float]:
        """The N(0, 1) draws latent_from_sliders uses for the dims beyond the sliders with this
        rest seed (before × temperature); [] for rest_seed -1 or no dims beyond the sliders."""
        info = self.info(model_id)
        if not info.latent_dim:
            return []
        z = self.latent_from_sliders(info.id, [0.0] * info.slider_count, rest_seed=rest_seed)
        return z[info.slider_count:].tolist() if int(rest_seed) >= 0 else []

    def random_latent(self, model_id, *, seed, temperature=1.0) -> np.ndarray:
        """A latent drawn from the model's prior at `temperature` (deterministic in `seed`)."""
        return self.prior_samples(model_id, 1, temperature=temperature, seed=seed)[0]

    # ---- decoding and sampling ----
    @on_gpu
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
            out = m.decode(torch.from_numpy(zb).to(self.device), self.condition(info, label, n))
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
            return self.model(info.id).prior(n, t, self.generator(seed)).cpu().numpy()

    @on_gpu
    def sample(self, model_id, n, *, temperature=1.0, seed=0, label=None) -> np.ndarray:
        """`n` samples: (n, H, W) uint8 images, or (n, 2) float32 points. Deterministic in the
        knobs, so recent answers are kept: a class that opens the page on seed 0 asks once."""
        info = self.info(model_id)
        n = check_int(n, "sample count", 1, MAX_POINTS if info.has("points") else MAX_SAMPLES)
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        cond = self.condition(info, label, n)
        key = (info.id, n, t, check_int(seed, "seed", 0, MAX_SEED), None if cond is None else int(cond[0]))
        with self._lock:
            if key in self._samples:
                self._samples.move_to_end(key)
                return self._samples[key].copy()
        m = self.model(info.id)
        # A Gibbs chain or a pixel-by-pixel sampler costs ~1 s of a core for a 64-grid (the others
        # ~10 ms): one at a time server-wide, so on 2 cores slider decodes always find a core free.
        with self._heavy if info.has("stepwise") else contextlib.nullcontext():
            with torch.inference_mode():
                out = m.sample(n, temperature=t, condition=cond, generator=self.generator(seed))
        out = self._images_or_points(info, out)
        with self._lock:
            self._samples[key] = out
            while len(self._samples) > SAMPLE_CACHE:
                self._samples.popitem(last=False)
        return out.copy()

    # ---- step-by-step sampling ----
    def sample_steps(self, model_id, n, *, temperature=1.0, seed=0, label=None, steps=None,
                     start="noise", start_index=0):
        """Yield (images (n, H, W) uint8, stats {name: (n,) floats}) as a stepwise model samples:
        pixel rows being written (autoregressive) or the frames of a Markov chain. For chains
        (ui "chain"), `steps` Gibbs steps run from noise or from validation digits start_index..."""
        info = self.info(model_id)
        if not info.has("stepwise"):
            raise PlaygroundError(f"{info.id} does not sample step by step")
        n = check_int(n, "count", 1, MAX_STEP_IMAGES)
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        kwargs = {}
        if info.ui.get("chain"):
            kwargs["steps"] = check_int(steps if steps is not None else info.ui.get("steps", 1000),
                                        "steps", 0, MAX_CHAIN_STEPS)
            if start not in ("noise", "digit"):
                raise PlaygroundError(f"a chain starts from 'noise' or 'digit', got {str(start)[:20]!r}")
            if start == "digit":
                x, _ = val_split(info.dataset)
                i = check_int(start_index, "start digit", 0, len(x) - n)
                kwargs["start"] = x[i:i + n].to(self.device)
        cond = self.condition(info, label, n)
        m = self.model(info.id)
        yield from stepped(m.sample_steps(n, temperature=t, condition=cond,
                                          generator=self.generator(seed), **kwargs))

    # ---- text ----
    def sample_text(self, model_id, n, *, temperature=1.0, seed=0, label=None, prompt="",
                    top_k=0, top_p=1.0) -> list[dict]:
        """`n` strings from a text model, each {"text", "probs" (per letter, then the end), "novel"}.
        temperature 0 = greedy; top_k 0 and top_p 1 switch those filters off."""
        info = self.info(model_id)
        if not info.has("text"):
            raise PlaygroundError(f"{info.id} does not generate text")
        n = check_int(n, "count", 1, MAX_TEXTS)
        t = check_temperature(temperature, allow_zero=True)
        k = check_int(top_k, "top-k", 0, 1000)
        p = check_number(top_p, "top-p", 0.0, 1.0)
        if p == 0:
            raise PlaygroundError("top-p must be above 0 (1 keeps every letter)")
        max_prompt = int(info.ui.get("max_prompt", 12))
        if prompt is None:
            prompt = ""
        if not isinstance(prompt, str) or len(prompt) > max_prompt or not re.fullmatch(r"[A-Za-z]*", prompt):
            raise PlaygroundError(f"the prefix must be at most {max_prompt} letters a–z")
        cond = self.condition(info, label, n)
        m = self.model(info.id)
        with torch.inference_mode():
            out = m.sample_with_probs(n, temperature=t, condition=cond, prompt=prompt.lower(),
                                      generator=self.generator(seed), top_k=k or None,
                                      top_p=None if p == 1 else p)
        kind = None if cond is None else int(cond[0])
        return [{"text": text, "probs": [round(float(q), 4) for q in probs],
                 "novel": bool(m.is_novel(text, kind))} for text, probs in out]

    # ---- latent maps ----
    def map_models(self) -> list[ModelInfo]:
        """Models whose latent space the Latent map tab can show."""
        return [i for i in self._infos.values() if i.mappable]

    def _map_info(self, model_id) -> ModelInfo:
        info = self.info(model_id)
        if not info.mappable:
            raise PlaygroundError(f"{info.id} has no latent map: it needs a latent space, image data "
                                  f"and an encoder or a decoder")
        return info

    def map_methods(self, model_id) -> list[str]:
        """Projection methods for this model: the raw plane first for a 2-D latent."""
        info = self._map_info(model_id)
        return (["latent"] if info.latent_dim == 2 else []) + ["umap", "pca", "tsne"]

    def map_source(self, model_id) -> str:
        """What the points are, in words."""
        info = self._map_info(model_id)
        if info.has("encode"):
            return "held-out validation digits, encoded (posterior mean), coloured by their label"
        if info.has("condition"):
            return f"{MAP_POINTS} prior samples (seed 0), coloured by the class they were asked for"
        return f"{MAP_POINTS} prior samples (seed 0), coloured by the judge classifier's predicted class"

    def _weights_sha(self, info: ModelInfo) -> str:
        with self._map_lock:
            if info.id not in self._sha:
                self._sha[info.id] = proj.weights_sha256(self.root / info.id / "model.safetensors")
            return self._sha[info.id]

    def preload_map_data(self) -> None:
        """Load the validation digits the maps show (the originals beside a click), ~7 s cold."""
        for dataset in {i.dataset for i in self.map_models() if i.has("encode")}:
            val_split(dataset)

    def map_images(self, model_id) -> np.ndarray:
        """The images (N, H, W) uint8 behind the map's points: the validation digits for an
        encoder, the decoded prior samples for a decoder-only model."""
        info = self._map_info(model_id)
        if info.has("encode"):
            return to_uint8(val_split(info.dataset)[0])
        codes, labels = self.map_codes(model_id)
        return self._decode_batches(info, codes, labels)

    def _decode_batches(self, info: ModelInfo, codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
        m, out = self.model(info.id), []
        with torch.inference_mode():
            for i in range(0, len(codes), 250):
                z = torch.from_numpy(codes[i:i + 250]).to(self.device)
                cond = (torch.from_numpy(labels[i:i + 250]).to(self.device)
                        if info.has("condition") else None)
                out.append(to_uint8(m.decode(z, cond)))
        return np.concatenate(out)

    def map_codes(self, model_id) -> tuple[np.ndarray, np.ndarray]:
        """Latents (N, D) float32 and labels (N,) int64 of the map's points, computed once per
        process (taken from a shipped map of these weights when there is one: no data loading)."""
        info = self._map_info(model_id)
        with self._map_lock:
            if info.id in self._map_data:
                return self._map_data[info.id]
        sha = self._weights_sha(info)
        for method in self.map_methods(info.id):
            shipped = proj.load(proj.shipped_path(self.root / info.id, method), sha)
            if shipped is not None:
                data = shipped.codes, shipped.labels
                break
        else:
            data = self._compute_map_codes(info)
        with self._map_lock:
            self._map_data[info.id] = data
        return data

    def _compute_map_codes(self, info: ModelInfo) -> tuple[np.ndarray, np.ndarray]:
        m = self.model(info.id)
        if info.has("encode"):
            x, y = val_split(info.dataset)
            codes = []
            with torch.inference_mode():
                for i in range(0, len(x), 250):
                    cond = y[i:i + 250].to(self.device) if info.has("condition") else None
                    codes.append(m.encode(x[i:i + 250].to(self.device), cond).float().cpu())
            return torch.cat(codes).numpy(), y.numpy().astype(np.int64)
        codes = self.prior_samples(info.id, MAP_POINTS, temperature=1.0, seed=0)
        if info.has("condition"):
            return codes, (np.arange(MAP_POINTS) % info.n_classes).astype(np.int64)
        labels = np.zeros(MAP_POINTS, np.int64)
        if info.dataset == "mnist" and (self.root / JUDGE / "config.json").is_file():
            judge = GenerativeModel.from_pretrained(self.root / JUDGE, device=self.device)
            images = self._decode_batches(info, codes, labels)
            with torch.inference_mode():
                x = torch.from_numpy(images).float().div(255)[:, None].to(self.device)
                labels = judge.predict_proba(x).argmax(1).cpu().numpy().astype(np.int64)
        return codes, labels

    def _map_params(self, info: ModelInfo, method, params) -> tuple[str, dict]:
        if method not in self.map_methods(info.id):
            raise PlaygroundError(f"unknown projection method {str(method)[:40]!r} for {info.id}; "
                                  f"choose one of {', '.join(self.map_methods(info.id))}")
        if params is not None and not isinstance(params, dict):
            raise PlaygroundError("projection parameters must be a dict such as "
                                  "{'n_neighbors': 15, 'min_dist': 0.1}")
        n = MAP_POINTS if not info.has("encode") else _VAL_SIZES.get(info.dataset, MAP_POINTS)
        try:
            return method, proj.check_params(method, params, n, info.latent_dim)
        except ValueError as err:
            raise PlaygroundError(str(err)) from None

    def cached_projection(self, model_id, method, params=None) -> proj.Projection | None:
        """The map if it is at hand (memory, shipped file, disk cache) without fitting; None if a
        fit is needed."""
        info = self._map_info(model_id)
        method, params = self._map_params(info, method, params)
        sha = self._weights_sha(info)
        key = proj.cache_key(info.id, sha, method, params)
        with self._map_lock:
            if key in self._maps:
                self._maps.move_to_end(key)
                return self._maps[key]
        found = None
        if params == proj.check_params(method, None, 10**6, info.latent_dim):
            found = proj.load(proj.shipped_path(self.root / info.id, method), sha)
            if found is not None:
                found.source = "shipped"
        if found is None:
            found = proj.load(proj.cache_dir() / f"{key}.npz", sha)
            if found is not None:
                found.source = "cache"
        if found is not None and found.method == method and found.params == params:
            self._remember(key, found)
            return found
        return None

    def _remember(self, key: str, p: proj.Projection) -> None:
        with self._map_lock:
            self._maps[key] = p
            while len(self._maps) > 4 * self.cache_size:
                self._maps.popitem(last=False)

    def projection(self, model_id, method, params=None, *, progress=None) -> proj.Projection:
        """The 2-D map of a model's latent space by `method` ("latent", "umap", "pca", "tsne")
        with validated `params`: from memory, the shipped file, the disk cache, or fitted now (one
        fit at a time) and cached on disk. `progress(fraction, text)` hears about slow steps."""
        info = self._map_info(model_id)
        method, params = self._map_params(info, method, params)
        found = self.cached_projection(info.id, method, params)
        if found is not None:
            return found
        say = progress or (lambda *a: None)
        with self._fit_lock:
            found = self.cached_projection(info.id, method, params)  # someone else just fitted it
            if found is not None:
                return found
            say(0.05, "encoding the digits")
            codes, labels = self.map_codes(info.id)
            if method == "umap" and not proj.umap_is_warm():
                say(0.2, "fitting UMAP (the first fit in a fresh process compiles numba: ~75 s)")
            else:
                say(0.2, f"fitting {proj.METHODS[method]} on {len(codes)} points")
            t = time.perf_counter()
            points, extra = proj.fit(method, codes, params, latent_dim=info.latent_dim)
            if method == "umap":
                proj.mark_umap_warm()
            result = proj.Projection(method, params, points, labels, codes, extra,
                                     source="computed", seconds=time.perf_counter() - t)
            if not np.isfinite(points).all():
                raise PlaygroundError(f"{method} produced non-finite points; try other parameters")
            sha = self._weights_sha(info)
            try:
                proj.save(proj.cache_dir() / f"{proj.cache_key(info.id, sha, method, params)}.npz",
                          result, sha)
            except OSError as err:  # a read-only disk costs speed, not the answer
                log.warning("could not cache the projection: %s", err)
            self._remember(proj.cache_key(info.id, sha, method, params), result)
            say(1.0, "done")
            return result

    def write_shipped_projection(self, model_id, method) -> Path:
        """Fit the default-parameter map and store it next to the weights (for shipping)."""
        info = self._map_info(model_id)
        method, params = self._map_params(info, method, None)
        codes, labels = self._compute_map_codes(info)
        points, extra = proj.fit(method, codes, params, latent_dim=info.latent_dim)
        path = proj.shipped_path(self.root / info.id, method)
        proj.save(path, proj.Projection(method, params, points, labels, codes, extra),
                  self._weights_sha(info))
        return path

    def map_latent(self, model_id, method, params, x, y) -> tuple[np.ndarray, dict]:
        """The latent a map position (x, y) stands for, and how it was found (see
        Projection.from_map); also "label": the class to decode with for conditional models."""
        p = self.projection(model_id, method, params)
        lo, hi = p.points.min(0), p.points.max(0)
        span = float(np.abs(np.concatenate([lo, hi])).max()) * 10 + 10
        xy = [check_number(x, "x", -span, span), check_number(y, "y", -span, span)]
        z, how = p.from_map(xy)
        near = how["neighbours"] or [how["index"]]
        how["label"] = int(np.bincount(p.labels[near]).argmax())
        info = self.info(model_id)
        z = np.clip(z, -MAX_LATENT_ABS, MAX_LATENT_ABS)
        if info.has("condition"):
            how["class_name"] = info.class_names[how["label"]]
        return z.astype(np.float32), how

    def place_on_map(self, model_id, method, params, z) -> tuple[np.ndarray, str]:
        """Where a latent (D,) lands on the map: (2,) and how."""
        info = self._map_info(model_id)
        z = check_latent(z, info.latent_dim)
        xy, how = self.projection(model_id, method, params).to_map(z)
        return xy[0].astype(np.float32), how

    def encode(self, model_id, images, label=None) -> np.ndarray:
        """Images (N, H, W) or (N, 1, H, W) in [0, 1] → latents (N, D) float32."""
        info = self.info(model_id)
        if not info.has("encode"):
            raise PlaygroundError(f"{info.id} has no encoder")
        try:
            x = np.asarray(images, dtype=np.float32)
        except (TypeError, ValueError):
            raise PlaygroundError("images must be an array of numbers")
        if x.ndim == 3:
            x = x[:, None]
        size = IMAGE_SIZES.get(info.dataset, 28)
        if x.ndim != 4 or x.shape[1:] != (1, size, size):
            raise PlaygroundError(f"{info.id} encodes (N, {size}, {size}) images, got shape {x.shape}")
        n = check_int(len(x), "number of images", 1, MAX_POINTS)
        if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise PlaygroundError("image values must lie in [0, 1]")
        m = self.model(info.id)
        with torch.inference_mode():
            z = m.encode(torch.from_numpy(x).to(self.device), self.condition(info, label, n))
        return z.float().cpu().numpy()

    def encode_drawing(self, model_id, image, label=None) -> tuple[np.ndarray, np.ndarray]:
        """A drawing or upload (H, W[, C]) of any size up to MAX_IMAGE_SIDE → (latent (D,), the
        MNIST-style digit (h, w) uint8 that was encoded)."""
        info = self.info(model_id)
        digit = digit_from_image(image, IMAGE_SIZES.get(info.dataset, 28))
        z = self.encode(model_id, digit[None], label)[0]
        return z, (digit * 255).round().astype(np.uint8)

    # TEMP(tools): lead replaces at merge
    @on_gpu
    def render(self, model_id, z, label=None) -> np.ndarray:
        """Decode latents the server computed itself (prior draws, encodings, interpolation paths,
        arithmetic): as `decode`, but without the ±MAX_LATENT_ABS bound meant for latents a person
        typed, which draws at temperature 3 pass. Shape and finiteness are still checked."""
        info = self.info(model_id)
        if not info.has("decode"):
            raise PlaygroundError(f"{info.id} has no decoder; use sampling instead")
        try:
            z = np.asarray(z, dtype=np.float32)
        except (TypeError, ValueError, OverflowError):
            raise PlaygroundError("latent must contain only numbers")
        if z.ndim not in (1, 2) or z.shape[-1] != info.latent_dim or z.size == 0:
            raise PlaygroundError(f"latent has shape {z.shape}, the model expects {info.latent_dim} values")
        if not np.isfinite(z).all():
            raise PlaygroundError("latent contains NaN or infinity")
        zb = z if z.ndim == 2 else z[None]
        n = check_int(len(zb), "number of latents", 1, MAX_POINTS if info.has("points") else MAX_SAMPLES)
        m = self.model(info.id)
        with torch.inference_mode():
            out = m.decode(torch.from_numpy(zb).to(self.device), self.condition(info, label, n))
        out = self._images_or_points(info, out)
        return out if (z.ndim == 2 or info.has("points")) else out[0]


_VAL_SIZES = {"mnist": 1000, "digits": 360}   # validation split sizes (data.py)
IMAGE_SIZES = {"mnist": 28, "digits": 8}


@functools.lru_cache(maxsize=4)
def val_split(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out split of a data set (images, labels), loaded once per process."""
    from playground.data import DATASETS
    return DATASETS[name]("val")


def digit_from_image(image, size: int = 28) -> np.ndarray:
    """Any drawing or upload → a (size, size) float32 digit in [0, 1] prepared like MNIST: ink is
    white on black, cropped to its bounding box, scaled to fit 20/28 of the side keeping its
    aspect, and centred by its centre of mass."""
    from PIL import Image
    if image is None:
        raise PlaygroundError("draw a digit or upload an image first")
    if isinstance(image, (str, Path)):  # an uploaded file: check what it is before decoding it
        try:
            with Image.open(image) as im:
                if max(im.size) > MAX_IMAGE_SIDE:
                    raise PlaygroundError(f"image is {im.size[0]}x{im.size[1]} pixels; the most is "
                                          f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}")
                image = np.asarray(im.convert("RGBA"))
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            if isinstance(err, PlaygroundError):
                raise
            raise PlaygroundError("that file is not an image PIL can read (use PNG, JPEG, WebP, "
                                  "GIF or BMP)") from None
    if isinstance(image, dict):  # Gradio's ImageEditor value: use what the person sees
        image = image.get("composite")
        if image is None:
            raise PlaygroundError("draw a digit or upload an image first")
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA"))
    try:
        a = np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError):
        raise PlaygroundError("that is not an image")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 4:
        raise PlaygroundError(f"that is not an image (an array of shape {a.shape})")
    if max(a.shape[:2]) > MAX_IMAGE_SIDE:
        raise PlaygroundError(f"image is {a.shape[1]}x{a.shape[0]} pixels; the most is "
                              f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}")
    if not np.isfinite(a).all():
        raise PlaygroundError("image contains NaN or infinity")
    a = a / 255.0 if a.max() > 1.0 else a
    if a.ndim == 2:
        gray, alpha = a, np.ones_like(a)
    else:
        gray = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        alpha = a[..., 3] if a.shape[2] == 4 else np.ones_like(gray)
    if alpha.min() < 0.99:          # strokes on a transparent layer: ink is opaque and dark
        ink = alpha * (1 - gray)
        if ink.max() < 0.1:         # ...or light strokes on transparency
            ink = alpha * gray
    else:                           # an opaque picture: dark ink on light paper, or the reverse
        ink = 1 - gray
        border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
        if np.median(border) > 0.5:
            ink = 1 - ink
    ink = np.clip(ink, 0, 1)
    if ink.max() < 0.1 or (ink > 0.1 * ink.max()).sum() < 3:
        raise PlaygroundError("the drawing is empty: draw a digit first")
    ys, xs = np.nonzero(ink > 0.1 * ink.max())
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] / ink.max()
    box = max(2, round(size * 20 / 28))
    h, w = crop.shape
    k = box / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS),
                       np.float32) / 255.0
    out = np.zeros((size, size), np.float32)
    total = small.sum()
    cy = (small.sum(1) @ np.arange(nh)) / total if total else nh / 2
    cx = (small.sum(0) @ np.arange(nw)) / total if total else nw / 2
    top = int(np.clip(round(size / 2 - cy - 0.5), 0, size - nh))
    left = int(np.clip(round(size / 2 - cx - 0.5), 0, size - nw))
    out[top:top + nh, left:left + nw] = small
    return np.clip(out, 0, 1)

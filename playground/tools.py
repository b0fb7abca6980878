"""Hands-on tools (the Tools tab): interpolation, latent arithmetic, class x style grids, encode a
drawing, anomaly scores, nearest training neighbours, completion, and exports.

Every tool works on a Backend, validates its inputs (PlaygroundError with a message for the person),
and returns numpy arrays and plain numbers; the UI turns them into images, plots and files. Which
models a tool offers comes from capabilities (TOOL_NEEDS), never from family names.

Statistics over the data sets (class means of the training codes, reconstruction errors of the
validation digits, judge features of the training digits) are computed on first use and kept per
process in a bounded LRU (`Tools.memo`); see `Tools.warm_seconds` for what they cost cold.
"""
from __future__ import annotations

import csv
import functools
import math
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from playground import sampling
from playground.backend import (JUDGE, MAX_SAMPLES, MAX_SEED, Backend, ModelInfo, PlaygroundError,
                                val_split, check_int, check_number, check_temperature,
                                digit_from_image, grid, stepped, to_uint8)

DIGIT_DATASETS = ("mnist", "digits")  # labelled 0-9
MAX_STEPS = 32          # interpolation frames: a strip of 32 is already wider than a screen
MAX_TOOL_IMAGES = 8     # completions, neighbour queries, arithmetic bases, grid rows
NEIGHBOURS = 5          # training digits shown per generated sample
MAX_STRENGTH = 3.0      # how far latent arithmetic may push along mean(A) - mean(B)
ELBO_DRAWS = 8          # posterior draws averaged per frame: the ELBO curve is smooth, not noisy
TOP_ANOMALIES = 8       # validation digits in the "most anomalous" gallery
SOURCES = ("sample", "data", "drawing")  # where an endpoint/base comes from
SOURCE_NAMES = {"sample": "a prior sample (seed)", "data": "a validation digit (index)",
                "drawing": "your drawing"}
# Regions hidden for completion: a (28, 28) boolean mask, True = given (kept) pixels.
MASKS = ("bottom half", "top half", "right half", "left half", "centre square")
JUDGE_DATA = "mnist"    # what the judge (pretrained/classifier-mnist) reads; neighbours search it
EXPORT_DIR = Path(tempfile.gettempdir()) / "playground-exports"  # Gradio serves the temp dir
EXPORT_MAX_AGE = 3600   # seconds; older exports are deleted as new ones are written

# What each tool needs from a model: capabilities, and whether its outputs must be images.
TOOL_NEEDS: dict[str, tuple[frozenset[str], bool]] = {
    "interpolate": (frozenset({"decode"}), False),
    "arithmetic": (frozenset({"encode", "decode"}), True),
    "style_grid": (frozenset({"condition", "decode"}), True),
    "reconstruct": (frozenset({"encode", "decode"}), True),
    "anomaly": (frozenset({"encode", "decode"}), True),
    "neighbours": (frozenset(), True),
    "complete": (frozenset({"stepwise"}), True),
    "export": (frozenset(), True),
}


def makes_images(info: ModelInfo) -> bool:
    return not (info.has("points") or info.has("text"))


def mask_for(name: str, size: int = 28) -> np.ndarray:
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


class _Memo:
    """A bounded LRU of expensive results; each key is computed once even under concurrent calls."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict = {}
        self.seconds: dict = {}     # key → how long its cold computation took

    def get(self, key, compute: Callable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            start = time.perf_counter()
            value = compute()
            with self._lock:
                self.seconds[key] = time.perf_counter() - start
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value


@functools.lru_cache(maxsize=4)
def _train_split(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    from playground.data import DATASETS
    return DATASETS[name]("train")


class Tools:
    """The tools, on top of a Backend (its model cache, device and validation)."""

    def __init__(self, backend: Backend, cache_size: int = 16):
        self.backend = backend
        self.memo = _Memo(cache_size)

    # ---- which models ------------------------------------------------------------------------
    def models(self, tool: str) -> list[ModelInfo]:
        return [i for i in self.backend.models() if self._missing(i, tool) is None]

    def _missing(self, info: ModelInfo, tool: str) -> str | None:
        needs, images = TOOL_NEEDS[tool]
        lacking = sorted(needs - info.capabilities)
        if lacking:
            return f"needs a model with {' and '.join(lacking)}"
        if images and not makes_images(info):
            return "works on image models only"
        if tool == "neighbours" and info.dataset != JUDGE_DATA:
            return f"compares with the judge's training digits ({JUDGE_DATA} only)"
        return None

    def require(self, model_id, tool: str) -> ModelInfo:
        info = self.backend.info(model_id)
        why = self._missing(info, tool)
        if why:
            fits = ", ".join(i.id for i in self.models(tool)) or "none"
            raise PlaygroundError(f"{info.id} cannot be used here: this tool {why} "
                                  f"({info.id} has {', '.join(sorted(info.capabilities))}). "
                                  f"Models that fit: {fits}")
        return info

    # ---- shared helpers ----------------------------------------------------------------------
    def _label(self, info: ModelInfo, label, n: int) -> torch.Tensor | None:
        return self.backend.condition(info, label, n)

    def _encode(self, info: ModelInfo, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """Codes (N, D) of data x, conditional encoders given the true labels y, in batches."""
        m, dev, out = self.backend.model(info.id), self.backend.device, []
        with torch.inference_mode():
            for i in range(0, len(x), 500):
                cond = y[i:i + 500].to(dev) if info.has("condition") else None
                out.append(m.encode(x[i:i + 500].to(dev), cond).float().cpu())
        return torch.cat(out)

    def _decode(self, info: ModelInfo, z: np.ndarray, cond: torch.Tensor | None) -> torch.Tensor:
        """Decoded float output (N, 1, H, W) in [0, 1] (or points (N, 2)) of latents the server
        computed (prior draws, encodings, paths): never refused by the bound on typed latents."""
        z = np.asarray(z, np.float32)
        with torch.inference_mode():
            return self.backend.model(info.id).decode(torch.from_numpy(z).to(self.backend.device),
                                                      cond).float().cpu()

    def _source(self, source) -> str:
        if source not in SOURCES:
            raise PlaygroundError(f"an endpoint comes from one of {', '.join(SOURCES)}, got "
                                  f"{str(source)[:20]!r}")
        return source

    def endpoint(self, info: ModelInfo, source, number, drawing, label, temperature,
                 count: int = 1) -> tuple[np.ndarray, list[dict]]:
        """`count` latents (count, D) from a source, with what each is: prior samples from seed
        `number`, validation items from index `number` (encoded), or a drawing (encoded, one)."""
        source = self._source(source)
        if source == "sample":
            seed = check_int(number, "seed", 0, MAX_SEED)
            z = self.backend.prior_samples(info.id, count, temperature=temperature, seed=seed)
            return z, [{"source": "sample", "seed": seed, "index": i} for i in range(count)]
        if not info.has("encode"):
            raise PlaygroundError(f"{info.id} has no encoder: it can only start from prior samples "
                                  f"(choose 'sample')")
        if source == "data":
            x, y = val_split(info.dataset)
            i = check_int(number, "validation index", 0, len(x) - count)
            z = self._encode(info, x[i:i + count], y[i:i + count]).numpy()
            return z, [{"source": "data", "index": i + k, "label": int(y[i + k])} for k in range(count)]
        if not makes_images(info):
            raise PlaygroundError(f"{info.id} models points, not images: drawings do not apply")
        z, _ = self.backend.encode_drawing(info.id, drawing, label if info.has("condition") else None)
        return z[None], [{"source": "drawing"}]

    def _likelihood(self, info: ModelInfo, x: torch.Tensor, cond, seed: int
                    ) -> tuple[np.ndarray, str] | None:
        """Per-item log-likelihood of decoded outputs x, or its stand-in, and its name; None when
        the model has no likelihood. Exact where the model has one (flows), the ELBO (averaged over
        ELBO_DRAWS posterior draws) for VAEs, minus the free energy (log p + log Z) for energy
        models. Chosen by what the model offers, not by its family."""
        if not info.has("likelihood"):
            return None
        m, dev = self.backend.model(info.id), self.backend.device
        x = x.to(dev)
        with torch.inference_mode():
            if hasattr(m, "elbo_terms"):
                g = torch.Generator(dev).manual_seed(seed)
                xr = x.repeat_interleave(ELBO_DRAWS, 0)
                cr = None if cond is None else cond.repeat_interleave(ELBO_DRAWS, 0)
                rec, kl = m.elbo_terms(xr, cr, generator=g)
                return (-(rec + kl)).view(len(x), ELBO_DRAWS).mean(1).cpu().numpy(), \
                    "ELBO of the decoded frame (nats)"
            if hasattr(m, "log_prob"):
                lp = m.log_prob(x) if cond is None else m.log_prob(x, cond)
                return lp.float().cpu().numpy(), "log p(x) of the decoded point (nats)"
            if hasattr(m, "free_energy"):
                return (-m.free_energy(x)).float().cpu().numpy(), "−free energy = log p + log Z (nats)"
        return None

    # ---- interpolation -----------------------------------------------------------------------
    def interpolate(self, model_id, a: tuple, b: tuple, *, method="slerp", steps=10, label=None,
                    temperature=1.0, seed=0) -> dict:
        """Frames between two endpoints, each (source, number, drawing): "lerp" or "slerp" with
        `steps` frames (2..MAX_STEPS). Returns the chosen path's latents (S, D) and frames (images
        (S, H, W) uint8 or points (S, 2)), and for both methods the latent norm and, for models
        with a likelihood, the likelihood of each decoded frame, so lerp and slerp compare."""
        info = self.require(model_id, "interpolate")
        if method not in sampling.INTERPOLATIONS:
            raise PlaygroundError(f"interpolation must be 'lerp' or 'slerp', got {str(method)[:20]!r}")
        steps = check_int(steps, "steps", 2, MAX_STEPS)
        t = check_temperature(temperature, allow_zero=True)
        seed = check_int(seed, "seed", 0, MAX_SEED)
        za, wa = self.endpoint(info, *a, label, t)
        zb, wb = self.endpoint(info, *b, label, t)
        cond = self._label(info, label, steps)
        curves, frames, path, scored_name = {}, None, None, None
        for name in sampling.INTERPOLATIONS:
            zs = sampling.interpolate(torch.from_numpy(za[0]), torch.from_numpy(zb[0]), steps,
                                      name).numpy()
            out = self._decode(info, zs, cond)
            scored = self._likelihood(info, out, cond, seed)
            curves[name] = {"norm": np.linalg.norm(zs, axis=1),
                            "likelihood": None if scored is None else scored[0]}
            scored_name = None if scored is None else scored[1]
            if name == method:
                path = zs
                frames = out.numpy() if info.has("points") else to_uint8(out)
        result = {"model": info.id, "method": method, "steps": steps, "t": np.linspace(0, 1, steps),
                  "latents": path, "frames": frames, "points": info.has("points"),
                  "curves": curves, "likelihood_name": scored_name, "endpoints": [wa[0], wb[0]],
                  "typical_norm": math.sqrt(info.latent_dim) * t, "temperature": t, "seed": seed,
                  "label": None if cond is None else info.class_names[int(cond[0])]}
        if info.has("points"):  # the data the path moves through, for context
            cloud = self.backend.prior_samples(info.id, 1000, temperature=1.0, seed=0)
            result["cloud"] = self._decode(info, cloud, None).numpy()
        return result

    # ---- latent arithmetic -------------------------------------------------------------------
    def class_names(self, info: ModelInfo) -> list[str]:
        """The classes of a model's data (its own class names, else the data's labels)."""
        if info.class_names:
            return list(info.class_names)
        if info.dataset in DIGIT_DATASETS:  # known without loading the data (the page builds fast)
            return [str(k) for k in range(10)]
        _, y = _train_split(info.dataset)
        return [str(k) for k in range(int(y.max()) + 1)]

    def class_means(self, model_id) -> np.ndarray:
        """Mean code (K, D) of each class's training digits, computed once per process."""
        info = self.require(model_id, "arithmetic")

        def compute():
            x, y = _train_split(info.dataset)
            codes = self._encode(info, x, y)
            k = len(self.class_names(info))
            return torch.stack([codes[y == c].mean(0) for c in range(k)]).numpy()
        return self.memo.get(("class_means", info.id), compute)

    def _class_index(self, info: ModelInfo, name, what: str) -> int:
        names = self.class_names(info)
        if str(name) not in names:
            raise PlaygroundError(f"unknown {what} {str(name)[:20]!r}; choose one of {', '.join(names)}")
        return names.index(str(name))

    def arithmetic(self, model_id, plus, minus, source, number, drawing=None, *, count=8,
                   strength=1.0, label=None, temperature=1.0) -> dict:
        """z + strength · (mean(plus) − mean(minus)) for `count` bases z from a source (a drawing
        gives one). Returns bases/results latents and decoded images, and the two class means'
        decodings."""
        info = self.require(model_id, "arithmetic")
        p, q = self._class_index(info, plus, "class"), self._class_index(info, minus, "class")
        s = check_number(strength, "strength", -MAX_STRENGTH, MAX_STRENGTH)
        n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
        t = check_temperature(temperature, allow_zero=True)
        means = self.class_means(info.id)
        base, what = self.endpoint(info, source, number, drawing, label, t, count=n)
        result = base + s * (means[p] - means[q])[None]
        cond = self._label(info, label, len(base))
        images = to_uint8(self._decode(info, np.concatenate([base, result]),
                                       None if cond is None else cond.repeat(2)))
        mean_cond = self._label(info, label, 2)
        return {"model": info.id, "plus": self.class_names(info)[p], "minus": self.class_names(info)[q],
                "strength": s, "bases": base, "results": result, "what": what,
                "images": images, "n": len(base),
                "mean_images": to_uint8(self._decode(info, means[[p, q]], mean_cond)),
                "label": None if cond is None else info.class_names[int(cond[0])]}

    # ---- class x style grid ------------------------------------------------------------------
    def style_grid(self, model_id, source, number, drawing=None, *, rows=6, label=None,
                   temperature=1.0) -> dict:
        """One row per style latent, one column per class: (rows·K, H, W) uint8 in reading order.
        Styles come from prior samples, encoded validation digits or a drawing (encoded with
        `label`), so a digit's style can be rewritten as every other digit."""
        info = self.require(model_id, "style_grid")
        n = check_int(rows, "rows", 1, MAX_TOOL_IMAGES)
        t = check_temperature(temperature, allow_zero=True)
        styles, what = self.endpoint(info, source, number, drawing, label, t, count=n)
        k = info.n_classes
        z = np.repeat(styles, k, axis=0)                                  # (rows·K, D)
        cond = torch.arange(k, device=self.backend.device).repeat(len(styles))
        return {"model": info.id, "styles": styles, "what": what, "classes": list(info.class_names),
                "images": to_uint8(self._decode(info, z, cond)), "rows": len(styles)}

    # ---- your digit: reconstruction and anomaly ----------------------------------------------
    def reconstruct(self, model_id, drawing, label=None) -> dict:
        """A drawing or upload → the MNIST-style digit encoded, its latent (D,), the reconstruction
        and the per-pixel mean squared reconstruction error."""
        info = self.require(model_id, "reconstruct")
        cond_label = label if info.has("condition") else None
        z, digit = self.backend.encode_drawing(info.id, drawing, cond_label)
        recon = self._decode(info, z[None], self._label(info, cond_label, 1))
        error = float(((recon[0, 0].numpy() - digit / 255.0) ** 2).mean())
        return {"model": info.id, "latent": z, "digit": digit, "reconstruction": to_uint8(recon)[0],
                "error": error, "label": cond_label}

    def validation_errors(self, model_id) -> np.ndarray:
        """Reconstruction error (N,) of every validation digit, computed once per process."""
        info = self.require(model_id, "anomaly")

        def compute():
            x, y = val_split(info.dataset)
            z = self._encode(info, x, y).numpy()
            errors = []
            for i in range(0, len(x), 500):
                cond = y[i:i + 500].to(self.backend.device) if info.has("condition") else None
                recon = self._decode(info, z[i:i + 500], cond)
                errors.append((recon - x[i:i + 500]).pow(2).flatten(1).mean(1))
            return torch.cat(errors).numpy()
        return self.memo.get(("validation_errors", info.id), compute)

    def anomaly(self, model_id, drawing, label=None, top=TOP_ANOMALIES) -> dict:
        """Score a drawing by its reconstruction error against the validation digits' errors:
        the percentile, the distribution, and the `top` most anomalous validation digits (index,
        label, error, original, reconstruction)."""
        info = self.require(model_id, "anomaly")
        mine = self.reconstruct(info.id, drawing, label)
        errors = self.validation_errors(info.id)
        top = check_int(top, "how many anomalies", 1, MAX_SAMPLES)
        worst = np.argsort(-errors)[:top]
        x, y = val_split(info.dataset)
        xs = x[torch.from_numpy(worst.copy())]
        z = self._encode(info, xs, y[worst]).numpy()
        cond = y[worst].to(self.backend.device) if info.has("condition") else None
        recon = to_uint8(self._decode(info, z, cond))
        return {**mine, "validation_errors": errors,
                "percentile": float((errors < mine["error"]).mean() * 100),
                "top": [{"index": int(i), "label": int(y[i]), "error": float(errors[i]),
                         "original": to_uint8(x[i:i + 1])[0], "reconstruction": r}
                        for i, r in zip(worst, recon)]}

    # ---- nearest training neighbours ---------------------------------------------------------
    def _judge(self):
        from playground.base import GenerativeModel

        def load():
            path = self.backend.root / JUDGE
            if not (path / "config.json").is_file():
                raise PlaygroundError("the judge classifier (pretrained/classifier-mnist) is not "
                                      "installed, so judge-space neighbours are unavailable")
            return GenerativeModel.from_pretrained(path, device=self.backend.device)
        return self.memo.get(("judge",), load)

    def _features(self, x: torch.Tensor) -> torch.Tensor:
        judge, out = self._judge(), []
        with torch.inference_mode():
            for i in range(0, len(x), 500):
                out.append(judge.features(x[i:i + 500].to(self.backend.device)).float().cpu())
        return torch.cat(out)

    def training_index(self) -> dict:
        """The judge's training digits flattened (N, P) and their judge features (N, F), with the
        median distance from a validation digit to its nearest training digit in both spaces (what
        "close" means for an unseen real digit). Computed once per process."""
        def compute():
            x, y = _train_split(JUDGE_DATA)
            xv, _ = val_split(JUDGE_DATA)
            feats, feats_v = self._data_features(x, xv)
            flat = x.flatten(1)
            base = {"pixel": torch.cdist(xv.flatten(1), flat).min(1).values.median().item(),
                    "judge": torch.cdist(feats_v, feats).min(1).values.median().item()}
            return {"x": x, "y": y, "flat": flat, "features": feats, "baseline": base}
        return self.memo.get(("training_index",), compute)

    def _data_features(self, x: torch.Tensor, xv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Judge features of the training and validation digits: ~9 s on one busy core, so they
        are also kept on disk in the projection cache folder, keyed by the judge's weights (sha256)."""
        from playground import projection as proj
        sha = proj.weights_sha256(self.backend.root / JUDGE / "model.safetensors")
        path = proj.cache_dir() / f"judge-features-{sha[:16]}.npz"
        try:
            with np.load(path, allow_pickle=False) as f:
                if str(f["weights_sha256"]) == sha and f["train"].shape[0] == len(x) \
                        and f["val"].shape[0] == len(xv):
                    return torch.from_numpy(f["train"]), torch.from_numpy(f["val"])
        except Exception:  # missing or unreadable: a miss, computed below
            pass
        feats, feats_v = self._features(x), self._features(xv)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp.npz")
            np.savez(tmp, train=feats.numpy(), val=feats_v.numpy(), weights_sha256=np.array(sha))
            tmp.replace(path)
        except OSError:
            pass  # a read-only disk costs time on the next start, not the answer
        return feats, feats_v

    def neighbours(self, model_id, *, count=4, seed=0, temperature=1.0, label=None,
                   k=NEIGHBOURS) -> dict:
        """`count` samples (seeded as the Explore/Conditional grids are) and each one's `k` nearest
        training digits by Euclidean distance in pixel space ([0, 1] pixels) and in the judge's
        feature space, with distances, indices and labels."""
        info = self.require(model_id, "neighbours")
        n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
        k = check_int(k, "neighbours", 1, 20)
        samples = self.backend.sample(info.id, n, temperature=temperature, seed=seed, label=label)
        index = self.training_index()
        q = torch.from_numpy(samples).float().div(255)[:, None]           # (n, 1, H, W)
        out = {"model": info.id, "samples": samples, "seed": int(seed), "temperature": float(temperature),
               "label": label if info.has("condition") else None, "baseline": index["baseline"]}
        for space, a, b in (("pixel", q.flatten(1), index["flat"]),
                            ("judge", self._features(q), index["features"])):
            d, i = torch.cdist(a, b).topk(k, dim=1, largest=False)       # (n, k) each
            out[space] = {"index": i.numpy(), "distance": d.numpy(),
                          "labels": index["y"][i].numpy(), "images": to_uint8(index["x"][i.flatten()])}
        return out

    # ---- completion --------------------------------------------------------------------------
    def complete(self, model_id, source, number, drawing=None, *, hide="bottom half", count=4,
                 seed=0, temperature=1.0, label=None) -> tuple[dict, Iterator[tuple[np.ndarray, str]]]:
        """Hide a region of a validation digit or a drawing (binarised at 0.5) and let a stepwise
        model fill it in `count` times: the PixelCNN samples the hidden pixels in raster order
        (copying the given ones), a Gibbs chain samples them with the given pixels clamped.
        Validates at once; returns ({"digit", "masked", ...}, frames) where frames yields
        (completions (count, H, W) uint8, progress text) as sampling goes."""
        info = self.require(model_id, "complete")
        n = check_int(count, "count", 1, MAX_TOOL_IMAGES)
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        g = self.backend.generator(seed)
        if self._source(source) == "sample":
            raise PlaygroundError("completion starts from a real digit or a drawing: choose 'data' "
                                  "or 'drawing'")
        if source == "data":
            x, y = val_split(info.dataset)
            i = check_int(number, "validation index", 0, len(x) - 1)
            digit, true_label = x[i, 0].numpy(), int(y[i])
            if info.has("condition") and (label is None or label == ""):
                label = info.class_names[true_label]
        else:
            digit = digit_from_image(drawing, x_size(info))
        given_mask = mask_for(hide, digit.shape[0])
        binary = (digit > 0.5).astype(np.float32)
        if not binary[given_mask].any():
            raise PlaygroundError(f"nothing of the digit is left once the {hide} is hidden: "
                                  f"hide another region")
        cond = self._label(info, label, n)
        dev = self.backend.device
        given = torch.from_numpy(binary)[None, None].to(dev)
        mask = torch.from_numpy(given_mask)[None, None].to(dev)
        m = self.backend.model(info.id)
        frames = m.sample_steps(n, temperature=t, condition=cond, generator=g, given=given, mask=mask)
        shown = np.where(given_mask, binary, 0.5)     # hidden pixels grey
        meta = {"model": info.id, "digit": (binary * 255).astype(np.uint8),
                "masked": (shown * 255).astype(np.uint8), "hide": hide, "count": n, "seed": int(seed),
                "temperature": t, "label": None if cond is None else info.class_names[int(cond[0])],
                "source": source, "number": number}
        return meta, self._frames(info, frames, int(given_mask.size - given_mask.sum()))

    def _frames(self, info: ModelInfo, frames, hidden: int) -> Iterator[tuple[np.ndarray, str]]:
        k = 0
        for images, stats in stepped(frames):
            k += 1
            step = stats.get("step")
            text = (f"Gibbs step {int(step[0])} (given pixels clamped)" if step is not None
                    else f"row {min(k, images.shape[-2])} of {images.shape[-2]} "
                         f"({hidden} hidden pixels to sample)")
            yield images, text

    # ---- export grids ------------------------------------------------------------------------
    def sample_grid(self, model_id, *, count=16, seed=0, temperature=1.0, label=None) -> dict:
        """The grid Explore's "Sample a grid" and the Conditional tab draw for these knobs, with
        the latents when the model's sampler is "decode a prior draw" (checked, not assumed: a
        model whose sampler is something else, like a Gibbs chain, or no latent, gets none)."""
        info = self.require(model_id, "export")
        n = check_int(count, "count", 1, MAX_SAMPLES)
        images = self.backend.sample(info.id, n, temperature=temperature, seed=seed, label=label)
        latents = None
        if info.has("decode") and info.latent_dim:
            z = self.backend.prior_samples(info.id, n, temperature=temperature, seed=seed)
            cond = self._label(info, label if info.has("condition") else None, n)
            if np.array_equal(to_uint8(self._decode(info, z, cond)), images):
                latents = z
        return {"model": info.id, "images": images, "latents": latents, "seed": int(seed),
                "temperature": float(temperature), "count": n,
                "label": label if info.has("condition") else None}

    def warm_seconds(self) -> dict:
        """How long each cached statistic took to compute cold, in seconds (for the README)."""
        return {"/".join(map(str, k)): round(v, 2) for k, v in self.memo.seconds.items()}


def x_size(info: ModelInfo) -> int:
    from playground.backend import IMAGE_SIZES
    return IMAGE_SIZES.get(info.dataset, 28)


# ---- files ----------------------------------------------------------------------------------------
def _export_path(kind: str, ext: str) -> Path:
    """A fresh file name in the export folder: the kind is a fixed word from the code and the rest
    random, so no user input ever becomes part of a path. Exports older than EXPORT_MAX_AGE go."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in EXPORT_DIR.iterdir():
        try:
            if now - old.stat().st_mtime > EXPORT_MAX_AGE:
                old.unlink()
        except OSError:
            pass  # another request removed it first
    return EXPORT_DIR / f"{kind}-{uuid.uuid4().hex[:12]}.{ext}"


def save_png(kind: str, image: np.ndarray) -> str:
    from PIL import Image
    path = _export_path(kind, "png")
    Image.fromarray(np.asarray(image, np.uint8)).save(path)
    return str(path)


def save_gif(kind: str, frames: np.ndarray, scale: int = 4, ms: int = 120) -> str:
    """An animated GIF of frames (S, H, W) uint8, scaled up (nearest) and played forth and back."""
    from PIL import Image
    frames = np.asarray(frames, np.uint8)
    big = [Image.fromarray(f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST)
           for f in frames]
    loop = big + big[-2:0:-1]                       # a → b → a without repeating the ends
    path = _export_path(kind, "gif")
    loop[0].save(path, save_all=True, append_images=loop[1:], duration=ms, loop=0)
    return str(path)


def save_csv(kind: str, rows: list[dict]) -> str:
    """Rows of knobs, seeds and latents as CSV (columns: the union of the rows' keys, in order)."""
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    path = _export_path(kind, "csv")
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def latent_columns(z: np.ndarray) -> dict:
    """{"z0": ..., "z1": ...} for one latent, rounded to 6 digits (float32 precision)."""
    return {f"z{i}": round(float(v), 6) for i, v in enumerate(np.asarray(z).reshape(-1))}


def strip(images: np.ndarray) -> np.ndarray:
    """Images (S, H, W) side by side as one uint8 sheet (the grid's look)."""
    return grid(images, ncol=len(images))

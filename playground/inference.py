"""Inference: decode, sample, sample step by step, generate text, encode. Every input is validated
here once; every heavy sampler runs through the one gate (playground/gate.py); answers are numpy
arrays or plain Python values, never tensors."""
from __future__ import annotations

import re

import numpy as np
import torch

from playground.data import VAL_SIZES, split
from playground.base import all_knobs
from playground.errors import (MAX_CHAIN_STEPS, MAX_LATENT_ABS, MAX_POINTS, MAX_SAMPLES,
                               MAX_STEP_IMAGES, MAX_TEXTS, MAX_TOP_K, PlaygroundError,
                               check_choice, check_int, check_knob, check_latent, check_number,
                               check_seed, check_temperature)
from playground.gate import gated, heavy
from playground.images import digit_from_image, to_uint8
from playground.lru import LRU
from playground.runtime import on_gpu
from playground.store import ModelInfo, ModelStore

SAMPLE_CACHE = 256       # recent sample() answers kept (a 64-grid is 50 KB: ≤ 13 MB)
SLOW_CHUNK = 16          # samples per batch of a slow sampler: progress every ~1.6 s (ddpm-mnist)
PATH_DIGITS = 1000       # validation digits in a sampler path's map: a readable cloud, ~0.1 s
CHAIN_STARTS = ("noise", "digit")


def stream(frames):
    """A model's `sample_steps` iterator → (images (n, H, W) uint8, stats {name: (n,) floats,
    and "state" (n, D) for a model with the capability "path"}).
    Gradio resumes a stream on any worker thread, and inference mode is per thread: it is entered
    around each step, or in-place updates of the sampler's tensors fail mid-stream."""
    while True:
        with torch.inference_mode():
            out = next(frames, None)
        if out is None:
            return
        images, stats = out
        yield to_uint8(images), {k: v.float().cpu().numpy() for k, v in stats.items()}


class Inference:
    """Validated model calls over a ModelStore. Safe to call from many threads."""

    def __init__(self, store: ModelStore):
        self.store, self.device = store, store.device
        self._samples: LRU[np.ndarray] = LRU(SAMPLE_CACHE)
        self._path_maps: LRU[dict] = LRU(8)

    # ---- request helpers ----
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

    @staticmethod
    def knobs(info: ModelInfo, values: dict | None) -> dict:
        """The model's sampler knobs (base.Knob) that were given, checked: the keyword arguments
        its sampling methods take (a knob not given keeps the method's own default: guidance 2
        to sample, 1 to decode, the inverse of encode). Every value given is checked against its
        knob wherever a family declares one, used by this model or not (garbage is refused,
        never ignored); a name no family declares is refused."""
        values = dict(values or {})
        known = {k.name: k for k in all_knobs()}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise PlaygroundError(f"unknown sampler knob {str(unknown[0])[:40]!r}; known: "
                                  f"{', '.join(sorted(known))}")
        checked = {name: check_knob(known[name], v) for name, v in values.items()
                   if v is not None}
        return {k.name: checked[k.name] for k in info.knobs if k.name in checked}

    def generator(self, seed: int) -> torch.Generator:
        """The request's random source: every draw follows from the (already validated) seed."""
        return torch.Generator(self.device).manual_seed(seed)

    def _output(self, info: ModelInfo, out: torch.Tensor) -> np.ndarray:
        return out.float().cpu().numpy() if info.has("points") else to_uint8(out)

    def _count(self, info: ModelInfo, n, name: str) -> int:
        return check_int(n, name, 1, MAX_POINTS if info.has("points") else MAX_SAMPLES)

    # ---- decoding ----
    @on_gpu
    def decode(self, model_id, z, label=None, knobs=None) -> np.ndarray:
        """A latent a person typed or slid to, (D,) → (H, W) uint8 image, or (N, D) → (N, H, W);
        point models give (N, 2) float32 points."""
        info = self.store.require(model_id, "decode", "has no decoder; use sampling instead")
        return self._decode(info, check_latent(z, info.latent_dim), label, knobs)

    @on_gpu
    def render(self, model_id, z, label=None, knobs=None) -> np.ndarray:
        """Decode latents the server computed itself (prior draws, their sums and blends): checked
        for shape and finiteness, but never refused for lying beyond the ±MAX_LATENT_ABS bound
        meant for typed latents (a T = 3 prior draw often does)."""
        info = self.store.require(model_id, "decode", "has no decoder; use sampling instead")
        z = np.asarray(z, np.float32)
        if z.ndim not in (1, 2) or z.shape[-1] != info.latent_dim:
            raise PlaygroundError(f"latent has shape {z.shape}, the model expects {info.latent_dim} values")
        if not np.isfinite(z).all():
            raise PlaygroundError("latent contains NaN or infinity")
        return self._decode(info, z, label, knobs)

    def _decode(self, info: ModelInfo, z: np.ndarray, label, knobs) -> np.ndarray:
        zb = z if z.ndim == 2 else z[None]
        n = self._count(info, len(zb), "number of latents")
        kw, cond = self.knobs(info, knobs), self.condition(info, label, n)
        with gated(info.decodes_slowly), torch.inference_mode():
            out = self.store.model(info.id).decode(torch.from_numpy(zb).to(self.device), cond,
                                                   **kw)
        out = self._output(info, out)
        return out if (z.ndim == 2 or info.has("points")) else out[0]

    # ---- sampling ----
    def prior_samples(self, model_id, n, *, temperature=1.0, seed=0) -> np.ndarray:
        """`n` latents (n, D) from the model's prior at `temperature`."""
        info = self.store.info(model_id)
        if not info.latent_dim:
            raise PlaygroundError(f"{info.id} has no latent space")
        n = check_int(n, "sample count", 1, MAX_POINTS)
        t = check_temperature(temperature, allow_zero=True)
        seed = check_seed(seed)
        with torch.inference_mode():
            return self.store.model(info.id).prior(n, t, self.generator(seed)).cpu().numpy()

    def random_latent(self, model_id, *, seed, temperature=1.0) -> np.ndarray:
        """A latent drawn from the model's prior at `temperature` (deterministic in `seed`),
        clipped to the range a person may type, since it goes back into the sliders."""
        z = self.prior_samples(model_id, 1, temperature=temperature, seed=seed)[0]
        return np.clip(z, -MAX_LATENT_ABS, MAX_LATENT_ABS)

    @on_gpu
    def sample(self, model_id, n, *, temperature=1.0, seed=0, label=None, knobs=None,
               progress=None) -> np.ndarray:
        """`n` samples: (n, H, W) uint8 images, or (n, 2) float32 points. Deterministic in the
        knobs, so recent answers are kept: a class that opens the page on seed 0 asks once. A
        slow sampler (a U-Net run per sample) draws SLOW_CHUNK at a time, always, so the answer
        does not depend on `progress`, which hears the share done (0–1) after each chunk; the
        first k of n samples are then the k samples of a smaller request."""
        info = self.store.info(model_id)
        n = self._count(info, n, "sample count")
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        seed = check_seed(seed)
        cond = self.condition(info, label, n)
        kw = self.knobs(info, knobs)
        key = (info.id, n, t, seed, None if cond is None else int(cond[0]), *sorted(kw.items()))
        chunk = SLOW_CHUNK if info.decodes_slowly else n

        def draw() -> np.ndarray:
            m, g, parts = self.store.model(info.id), self.generator(seed), []
            with heavy(info.capabilities), torch.inference_mode():
                for i in range(0, n, chunk):
                    k = min(chunk, n - i)
                    parts.append(m.sample(k, temperature=t, generator=g, **kw,
                                          condition=None if cond is None else cond[i:i + k]))
                    if progress is not None:
                        progress((i + k) / n)
            return self._output(info, torch.cat(parts))
        return self._samples.get_or_create(key, draw).copy()

    def sample_steps(self, model_id, n, *, temperature=1.0, seed=0, label=None, steps=None,
                     start="noise", start_index=0, knobs=None):
        """Yield (images (n, H, W) uint8, stats {name: (n,) floats}) as a stepwise model samples:
        pixel rows being written (autoregressive) or the frames of a Markov chain. For chains
        (UI hint chain_steps > 0), `steps` steps run from noise or from validation digits
        start_index...; other samplers take neither."""
        info = self.store.require(model_id, "stepwise", "does not sample step by step")
        n = check_int(n, "count", 1, MAX_STEP_IMAGES)
        t = check_temperature(temperature, allow_zero=not info.latent_dim)
        seed = check_seed(seed)
        # Every knob is validated, used or not: garbage is refused, never silently ignored.
        steps = check_int(info.ui.chain_steps or 1000 if steps is None else steps, "steps", 0,
                          MAX_CHAIN_STEPS)
        start = check_choice(start, "start", CHAIN_STARTS)
        start_index = check_int(start_index, "start digit", 0, max(0, VAL_SIZES.get(info.dataset, n) - n))
        kwargs = self.knobs(info, knobs)
        if info.ui.chain_steps:  # only Markov chains take a step count and a start
            kwargs["steps"] = steps
            if start == "digit":
                kwargs["start"] = split(info.dataset, "val")[0][start_index:start_index + n].to(self.device)
        cond = self.condition(info, label, n)
        m = self.store.model(info.id)
        with heavy(info.capabilities):
            yield from stream(m.sample_steps(n, temperature=t, condition=cond,
                                             generator=self.generator(seed), **kwargs))

    def path_map(self, model_id) -> dict:
        """"path": the map a sampler's state is drawn on: validation digits in the state's space,
        on the two directions that best separate their classes (linear discriminant analysis:
        linear, so any state projects the same way; a 16-D latent's top two principal directions
        hold only ~18 % of its variance and mix the classes). {"points" (N, 2), "labels" (N,),
        "mean" (D,), "components" (2, D): a state s projects as (s - mean) @ components.T,
        "explained" (2,): the share of the between-class spread each direction holds}."""
        info = self.store.require(model_id, "path", "draws no sampler path")

        def fit() -> dict:
            from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
            x, y = split(info.dataset, "val")
            x, y = x[:PATH_DIGITS], y[:PATH_DIGITS]
            m = self.store.model(info.id)
            with torch.inference_mode():
                cond = y.to(self.device) if info.has("condition") else None
                h = m.path_space(x.to(self.device), cond).double().cpu().numpy()
            lda = LinearDiscriminantAnalysis(n_components=2).fit(h, y.numpy())
            mean, components = lda.xbar_, lda.scalings_[:, :2].T
            return {"points": ((h - mean) @ components.T).astype(np.float32),
                    "labels": y.numpy(), "mean": mean, "components": components,
                    "explained": lda.explained_variance_ratio_[:2]}
        return self._path_maps.get_or_create(info.id, fit)

    # ---- text ----
    def sample_text(self, model_id, n, *, temperature=1.0, seed=0, label=None, prompt="",
                    top_k=0, top_p=1.0) -> list[dict]:
        """`n` strings from a text model, each {"text", "probs" (per letter, then the end), "novel"}.
        temperature 0 = greedy; top_k 0 and top_p 1 switch those filters off."""
        info = self.store.require(model_id, "text", "does not generate text")
        n = check_int(n, "count", 1, MAX_TEXTS)
        t = check_temperature(temperature, allow_zero=True)
        seed = check_seed(seed)
        k = check_int(top_k, "top-k", 0, MAX_TOP_K)
        p = check_number(top_p, "top-p", 0.0, 1.0)
        if p == 0:
            raise PlaygroundError("top-p must be above 0 (1 keeps every letter)")
        prompt = "" if prompt is None else prompt
        limit = info.ui.max_prompt
        if not isinstance(prompt, str) or len(prompt) > limit or not re.fullmatch(r"[A-Za-z]*", prompt):
            raise PlaygroundError(f"the prefix must be at most {limit} letters a–z")
        cond = self.condition(info, label, n)
        m = self.store.model(info.id)
        with torch.inference_mode():
            out = m.sample_text(n, temperature=t, condition=cond, prompt=prompt.lower(),
                                generator=self.generator(seed), top_k=k or None,
                                top_p=None if p == 1 else p)
        kind = None if cond is None else int(cond[0])
        return [{"text": text, "probs": [round(float(q), 4) for q in probs],
                 "novel": bool(m.is_novel(text, kind))} for text, probs in out]

    # ---- encoding ----
    def encode(self, model_id, images, label=None, knobs=None) -> np.ndarray:
        """Images (N, H, W) or (N, 1, H, W) in [0, 1] → latents (N, D) float32."""
        info = self.store.require(model_id, "encode", "has no encoder")
        try:
            x = np.asarray(images, dtype=np.float32)
        except (TypeError, ValueError, OverflowError):
            raise PlaygroundError("images must be an array of numbers")
        if x.ndim == 3:
            x = x[:, None]
        size = info.image_size
        if x.ndim != 4 or x.shape[1:] != (1, size, size):
            raise PlaygroundError(f"{info.id} encodes (N, {size}, {size}) images, got shape {x.shape}")
        n = check_int(len(x), "number of images", 1, MAX_POINTS)
        if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise PlaygroundError("image values must lie in [0, 1]")
        kw, cond = self.knobs(info, knobs), self.condition(info, label, n)
        with gated(info.decodes_slowly), torch.inference_mode():
            z = self.store.model(info.id).encode(torch.from_numpy(x).to(self.device), cond, **kw)
        return z.float().cpu().numpy()

    def encode_drawing(self, model_id, image, label=None, knobs=None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """A drawing or upload (H, W[, C]) of any size up to MAX_IMAGE_SIDE → (latent (D,), the
        MNIST-style digit (h, w) uint8 that was encoded)."""
        info = self.store.require(model_id, "encode", "has no encoder")
        digit = digit_from_image(image, info.image_size)
        z = self.encode(info.id, digit[None], label, knobs)[0]
        return z, (digit * 255).round().astype(np.uint8)

    def decode_batches(self, info: ModelInfo, codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Many latents the server holds (a map's points) → images (N, H, W) uint8, 250 at a time."""
        m, out = self.store.model(info.id), []
        with torch.inference_mode():
            for i in range(0, len(codes), 250):
                z = torch.from_numpy(codes[i:i + 250]).to(self.device)
                cond = (torch.from_numpy(labels[i:i + 250]).to(self.device)
                        if info.has("condition") else None)
                out.append(to_uint8(m.decode(z, cond)))
        return np.concatenate(out)

"""The latent-map service: which models have a map, the latents behind its points, projections
from memory, the shipped file, the disk cache or a fit (one at a time), and the map ↔ latent
correspondences a click or a drawing needs. `python -m playground.maps` writes the shipped maps.
The maths lives in playground/projection.py (numpy only); this module feeds it models and data."""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import torch

from playground import judge
from playground import projection as proj
from playground.data import VAL_SIZES, split
from playground.errors import MAX_LATENT_ABS, PlaygroundError, check_latent, check_number
from playground.images import to_uint8
from playground.inference import Inference
from playground.lru import LRU
from playground.store import ModelInfo, ModelStore

log = logging.getLogger(__name__)

MAP_POINTS = 1000        # prior samples drawn for a model with a decoder but no encoder


class Maps:
    def __init__(self, store: ModelStore, infer: Inference, cache_size: int = 8):
        self.store, self.infer, self.device = store, infer, store.device
        self._maps: LRU[proj.Projection] = LRU(4 * cache_size)       # by projection cache key
        self._codes: LRU[tuple[np.ndarray, np.ndarray]] = LRU(4 * cache_size)  # id → (codes, labels)
        self._fit_lock = threading.Lock()  # one projection fit at a time: the CPU is shared

    def map_models(self) -> list[ModelInfo]:
        """Models whose latent space the Latent map tab can show, in picker order."""
        return [i for i in self.store.models() if i.mappable]

    def info(self, model_id) -> ModelInfo:
        info = self.store.info(model_id)
        if not info.mappable:
            raise PlaygroundError(f"{info.id} has no latent map: it needs a latent space, image data "
                                  f"and an encoder or a decoder")
        return info

    def methods(self, model_id) -> list[str]:
        """Projection methods for this model: the raw plane first for a 2-D latent."""
        info = self.info(model_id)
        return (["latent"] if info.latent_dim == 2 else []) + ["umap", "pca", "tsne"]

    def source(self, model_id) -> str:
        """What the points are, in words."""
        info = self.info(model_id)
        if info.has("encode"):
            return "held-out validation digits, encoded (posterior mean), coloured by their label"
        if info.has("condition"):
            return f"{MAP_POINTS} prior samples (seed 0), coloured by the class they were asked for"
        return f"{MAP_POINTS} prior samples (seed 0), coloured by the judge classifier's predicted class"

    def preload(self) -> None:
        """Load the validation digits the maps show (the originals beside a click), ~7 s cold."""
        for dataset in {i.dataset for i in self.map_models() if i.has("encode")}:
            split(dataset, "val")

    def images(self, model_id) -> np.ndarray:
        """The images (N, H, W) uint8 behind the map's points: the validation digits for an
        encoder, the decoded prior samples for a decoder-only model."""
        info = self.info(model_id)
        if info.has("encode"):
            return to_uint8(split(info.dataset, "val")[0])
        codes, labels = self.codes(model_id)
        return self.infer.decode_batches(info, codes, labels)

    def codes(self, model_id) -> tuple[np.ndarray, np.ndarray]:
        """Latents (N, D) float32 and labels (N,) int64 of the map's points, computed once per
        process (taken from a shipped map of these weights when there is one: no data loading)."""
        info = self.info(model_id)

        def compute():
            sha = self.store.weights_sha(info.id)
            for method in self.methods(info.id):
                shipped = proj.load(proj.shipped_path(self.store.root / info.id, method), sha)
                if shipped is not None:
                    return shipped.codes, shipped.labels
            return self._compute_codes(info)
        return self._codes.get_or_create(info.id, compute)

    def _compute_codes(self, info: ModelInfo) -> tuple[np.ndarray, np.ndarray]:
        m = self.store.model(info.id)
        if info.has("encode"):
            x, y = split(info.dataset, "val")
            codes = []
            with torch.inference_mode():
                for i in range(0, len(x), 250):
                    cond = y[i:i + 250].to(self.device) if info.has("condition") else None
                    codes.append(m.encode(x[i:i + 250].to(self.device), cond).float().cpu())
            return torch.cat(codes).numpy(), y.numpy().astype(np.int64)
        codes = self.infer.prior_samples(info.id, MAP_POINTS, temperature=1.0, seed=0)
        if info.has("condition"):
            return codes, (np.arange(MAP_POINTS) % info.n_classes).astype(np.int64)
        labels = np.zeros(MAP_POINTS, np.int64)
        if info.dataset == judge.dataset(self.store.root):
            images = self.infer.decode_batches(info, codes, labels)
            with torch.inference_mode():
                x = torch.from_numpy(images).float().div(255)[:, None].to(self.device)
                p = judge.load(self.store.root, self.device).predict_proba(x)
                labels = p.argmax(1).cpu().numpy().astype(np.int64)
        return codes, labels

    def _params(self, info: ModelInfo, method, params) -> tuple[str, dict]:
        if method not in self.methods(info.id):
            raise PlaygroundError(f"unknown projection method {str(method)[:40]!r} for {info.id}; "
                                  f"choose one of {', '.join(self.methods(info.id))}")
        if params is not None and not isinstance(params, dict):
            raise PlaygroundError("projection parameters must be a dict such as "
                                  "{'n_neighbors': 15, 'min_dist': 0.1}")
        n = VAL_SIZES.get(info.dataset, MAP_POINTS) if info.has("encode") else MAP_POINTS
        try:
            return method, proj.check_params(method, params, n, info.latent_dim)
        except ValueError as err:
            raise PlaygroundError(str(err)) from None

    def cached(self, model_id, method, params=None) -> proj.Projection | None:
        """The map if it is at hand (memory, shipped file, disk cache) without fitting; None if a
        fit is needed."""
        info = self.info(model_id)
        method, params = self._params(info, method, params)
        sha = self.store.weights_sha(info.id)
        key = proj.cache_key(info.id, sha, method, params)
        found = self._maps.get(key)
        if found is not None:
            return found
        if params == proj.check_params(method, None, 10**6, info.latent_dim):
            found = proj.load(proj.shipped_path(self.store.root / info.id, method), sha)
            if found is not None:
                found.source = "shipped"
        if found is None:
            found = proj.load(proj.cache_dir() / f"{key}.npz", sha)
            if found is not None:
                found.source = "cache"
        if found is not None and found.method == method and found.params == params:
            return self._maps.put(key, found)
        return None

    def projection(self, model_id, method, params=None, *, progress=None) -> proj.Projection:
        """The 2-D map of a model's latent space by `method` ("latent", "umap", "pca", "tsne")
        with validated `params`: from memory, the shipped file, the disk cache, or fitted now (one
        fit at a time) and cached on disk. `progress(fraction, text)` hears about slow steps."""
        info = self.info(model_id)
        method, params = self._params(info, method, params)
        found = self.cached(info.id, method, params)
        if found is not None:
            return found
        say = progress or (lambda *a: None)
        with self._fit_lock:
            found = self.cached(info.id, method, params)  # someone else just fitted it
            if found is not None:
                return found
            say(0.05, "encoding the digits")
            codes, labels = self.codes(info.id)
            if method == "umap" and not proj.umap_is_warm():
                say(0.2, "fitting UMAP (the first fit in a fresh process compiles numba: ~75 s)")
            else:
                say(0.2, f"fitting {proj.METHODS[method]} on {len(codes)} points")
            t = time.perf_counter()
            points, extra = proj.fit(method, codes, params, latent_dim=info.latent_dim)
            if method == "umap":
                proj.mark_umap_warm()
            if not np.isfinite(points).all():
                raise PlaygroundError(f"{method} produced non-finite points; try other parameters")
            result = proj.Projection(method, params, points, labels, codes, extra,
                                     source="computed", seconds=time.perf_counter() - t)
            sha = self.store.weights_sha(info.id)
            key = proj.cache_key(info.id, sha, method, params)
            try:
                proj.save(proj.cache_dir() / f"{key}.npz", result, sha)
            except OSError as err:  # a read-only disk costs speed, not the answer
                log.warning("could not cache the projection: %s", err)
            self._maps.put(key, result)
            say(1.0, "done")
            return result

    def write_shipped(self, model_id, method) -> Path:
        """Fit the default-parameter map and store it next to the weights (for shipping)."""
        info = self.info(model_id)
        method, params = self._params(info, method, None)
        codes, labels = self._compute_codes(info)
        points, extra = proj.fit(method, codes, params, latent_dim=info.latent_dim)
        path = proj.shipped_path(self.store.root / info.id, method)
        proj.save(path, proj.Projection(method, params, points, labels, codes, extra),
                  self.store.weights_sha(info.id))
        return path

    def map_latent(self, model_id, method, params, x, y) -> tuple[np.ndarray, dict]:
        """The latent a map position (x, y) stands for, and how it was found (see
        Projection.from_map); also "label": the class to decode with for conditional models."""
        info = self.info(model_id)
        p = self.projection(info.id, method, params)
        lo, hi = p.points.min(0), p.points.max(0)
        span = float(np.abs(np.concatenate([lo, hi])).max()) * 10 + 10
        xy = [check_number(x, "x", -span, span), check_number(y, "y", -span, span)]
        z, how = p.from_map(xy)
        near = how["neighbours"] or [how["index"]]
        how["label"] = int(np.bincount(p.labels[near]).argmax())
        if info.has("condition"):
            how["class_name"] = info.class_names[how["label"]]
        return np.clip(z, -MAX_LATENT_ABS, MAX_LATENT_ABS).astype(np.float32), how

    def place(self, model_id, method, params, z) -> tuple[np.ndarray, str]:
        """Where a latent (D,) lands on the map: (2,) and how."""
        info = self.info(model_id)
        z = check_latent(z, info.latent_dim)
        xy, how = self.projection(info.id, method, params).to_map(z)
        return xy[0].astype(np.float32), how


def main(argv=None) -> None:
    """python -m playground.maps --all | <model id>... [--methods umap pca tsne]"""
    import argparse
    ap = argparse.ArgumentParser(description="Precompute the shipped latent maps "
                                             "(pretrained/<id>/projection-<method>.npz).")
    ap.add_argument("ids", nargs="*", help="model ids (default with --all: every mappable model)")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--methods", nargs="+", default=None, choices=list(proj.METHODS))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    store = ModelStore()
    maps = Maps(store, Inference(store))
    ids = args.ids or ([m.id for m in maps.map_models()] if args.all else [])
    if not ids:
        ap.error("name model ids or pass --all")
    for model_id in ids:
        valid = maps.methods(model_id)
        for method in [m for m in (args.methods or valid) if m in valid]:
            t = time.perf_counter()
            path = maps.write_shipped(model_id, method)
            log.info("%s: %.1f s, %.0f KB", path, time.perf_counter() - t, path.stat().st_size / 1024)


if __name__ == "__main__":
    main()

"""2-D maps of a latent space: UMAP (imported lazily), PCA and t-SNE of encoded validation digits,
the map ↔ latent correspondences a click or a new input needs, shipped projections next to the
weights and an on-disk cache for recomputes. No torch here: codes come in as numpy arrays.

Files
- Shipped: pretrained/<id>/projection-<method>.npz, one per method, written by
  `python -m playground.maps --all`. Keys: points (N, 2) float32, labels (N,) int64,
  codes (N, D) float32 (the latents the points stand for, so a click decodes without re-encoding),
  method and params (JSON) as plain unicode arrays, weights_sha256 of the model.safetensors it was
  made from (a retrained model ignores a stale map), and for PCA its mean and components.
- Recomputes: <cache dir>/<sha256 of (model id, weights hash, data, method, params)>.npz, same keys.
  The cache dir is $LATENT_PLAYGROUND_CACHE, else ~/.cache/latent-playground/projections; file names
  are hashes, never a user's string. Loaded with allow_pickle=False.

umap-learn's first fit in a fresh process spends ~75 s compiling with numba, so `warm_up_in_background`
pays that in a low-priority daemon thread after start-up, and nothing imports umap at app import.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from playground.files import write_atomic

log = logging.getLogger(__name__)

# Method key → what the picker says. "latent" is offered only for 2-D latents: the plane itself.
METHODS = {
    "latent": "latent plane (2-D latent: exact)",
    "umap": "UMAP",
    "pca": "PCA",
    "tsne": "t-SNE",
}
# Parameters each method takes, with the defaults the shipped maps use.
DEFAULT_PARAMS: dict[str, dict] = {
    "latent": {},
    "pca": {},
    "umap": {"n_neighbors": 15, "min_dist": 0.1},  # umap-learn's defaults
    "tsne": {"perplexity": 30.0},                  # scikit-learn's default
}
SEED = 0            # every fit is seeded: same codes and params → same map
K_NEIGHBOURS = 10   # neighbours averaged when a map position has no exact inverse
SNAP_FRACTION = 0.015  # a click within 1.5 % of the map's diagonal of a point means that point
DATA_TAG = "val-v1"  # which digits a map shows; part of every cache key
ENV_CACHE = "LATENT_PLAYGROUND_CACHE"
ENV_WARMUP = "LATENT_PLAYGROUND_WARMUP"  # "0" skips the background UMAP warm-up


# ---- parameters ---------------------------------------------------------------------------------
def _number(params: dict, key: str, lo: float, hi: float, *, integer: bool = False,
            why: str = "") -> float:
    v = params.get(key, DEFAULT_PARAMS_ALL.get(key))
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {v!r:.40}")
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{key} must be between {lo:g} and {hi:g}{why}, got {v:g}")
    if integer and v != int(v):
        raise ValueError(f"{key} must be a whole number, got {v:g}")
    return int(v) if integer else v


DEFAULT_PARAMS_ALL = {k: v for p in DEFAULT_PARAMS.values() for k, v in p.items()}


def check_params(method, params: dict | None, n_points: int, latent_dim: int) -> dict:
    """The validated, normalised parameters of `method` (unknown keys are dropped, missing ones
    take the defaults), or a ValueError saying what is wrong."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown projection method {str(method)[:40]!r}; choose one of "
                         f"{', '.join(METHODS)}")
    if method == "latent" and latent_dim != 2:
        raise ValueError(f"the latent plane is a map only for 2-D latents; this model has "
                         f"{latent_dim} dims: choose umap, pca or tsne")
    params = dict(params or {})
    if method == "umap":
        return {"n_neighbors": _number(params, "n_neighbors", 2, n_points - 1, integer=True,
                                       why=f" (more than 1, fewer than the {n_points} points)"),
                "min_dist": _number(params, "min_dist", 0.0, 1.0)}
    if method == "tsne":
        return {"perplexity": round(_number(params, "perplexity", 2.0, min(100.0, (n_points - 1) / 3),
                                            why=" (t-SNE needs 3·perplexity < points)"), 3)}
    return {}


# ---- fitting ------------------------------------------------------------------------------------
def fit(method: str, codes: np.ndarray, params: dict | None = None, *,
        latent_dim: int | None = None) -> tuple[np.ndarray, dict]:
    """Project codes (N, D) to points (N, 2) float32. Returns (points, extra): extra holds what
    maps new latents exactly (PCA's mean and components), else is empty."""
    codes = np.asarray(codes, np.float32)
    params = check_params(method, params, len(codes), latent_dim or codes.shape[1])
    if method == "latent":
        return codes[:, :2].copy(), {}
    if method == "pca":
        from sklearn.decomposition import PCA
        pca = PCA(n_components=2, random_state=SEED).fit(codes)
        return (pca.transform(codes).astype(np.float32),
                {"pca_mean": pca.mean_.astype(np.float32),
                 "pca_components": pca.components_.astype(np.float32)})
    if method == "tsne":
        from sklearn.manifold import TSNE
        tsne = TSNE(n_components=2, perplexity=params["perplexity"], init="pca", random_state=SEED)
        return tsne.fit_transform(codes).astype(np.float32), {}
    import umap  # lazy: ~4-30 s to import, ~75 s of numba compilation on the first fit
    # random_state makes UMAP deterministic and single-threaded (n_jobs=1 says so, without a warning)
    reducer = umap.UMAP(n_components=2, n_neighbors=params["n_neighbors"], n_jobs=1,
                        min_dist=params["min_dist"], random_state=SEED)
    return reducer.fit_transform(codes).astype(np.float32), {}


# ---- a map and its correspondences ---------------------------------------------------------------
@dataclass
class Projection:
    """Points (N, 2) standing for codes (N, D), with labels; maps latents ↔ map positions."""
    method: str
    params: dict
    points: np.ndarray
    labels: np.ndarray
    codes: np.ndarray
    extra: dict = field(default_factory=dict)
    source: str = "computed"   # "shipped", "cache" or "computed"
    seconds: float = 0.0

    @property
    def exact(self) -> bool:
        """Whether every map position is exactly one latent (the plane of a 2-D latent, or PCA
        of a 2-D latent, which is an invertible affine map)."""
        return self.method == "latent" or (self.method == "pca" and self.codes.shape[1] == 2)

    def how_clicks_work(self) -> str:
        if self.exact:
            return ("Every position on this map is exactly one latent: a click anywhere, on a "
                    "digit or between clusters, decodes that latent.")
        return (f"A click on a digit decodes its latent. A click on empty space decodes the "
                f"inverse-distance-weighted average of the latents of the {K_NEIGHBOURS} nearest "
                f"digits on the map (the {METHODS[self.method]} map has no exact inverse).")

    def to_map(self, z: np.ndarray) -> tuple[np.ndarray, str]:
        """Where latents (M, D) land: (M, 2) and how — exact for the latent plane and PCA, else
        the weighted average of the positions of the K nearest codes in latent space."""
        z = np.atleast_2d(np.asarray(z, np.float32))
        if self.method == "latent":
            return z[:, :2].copy(), "exact"
        if self.method == "pca":
            return (z - self.extra["pca_mean"]) @ self.extra["pca_components"].T, "exact (PCA)"
        d = np.linalg.norm(self.codes[None] - z[:, None], axis=2)          # (M, N)
        return _idw(d, self.points), f"weighted average of its {K_NEIGHBOURS} nearest digits"

    def from_map(self, xy) -> tuple[np.ndarray, dict]:
        """The latent (D,) a map position stands for, and what was done: {"how", "index" (the
        nearest digit), "snapped" (the click was on that digit), "neighbours"}."""
        xy = np.asarray(xy, np.float32).reshape(2)
        d = np.linalg.norm(self.points - xy, axis=1)                        # (N,)
        nearest = int(d.argmin())
        lo, hi = self.points.min(0), self.points.max(0)
        snap = d[nearest] <= SNAP_FRACTION * float(np.linalg.norm(hi - lo))
        info = {"index": nearest, "snapped": bool(snap), "neighbours": []}
        if self.method == "latent":
            return xy.copy(), info | {"how": "exact: the map is the latent plane"}
        if self.exact:  # PCA of a 2-D latent: invert the affine map
            z = xy @ np.linalg.inv(self.extra["pca_components"].T) + self.extra["pca_mean"]
            return z.astype(np.float32), info | {"how": "exact: inverse of the 2-D PCA"}
        if snap:
            return self.codes[nearest].copy(), info | {"how": f"the latent of point #{nearest}"}
        order = np.argsort(d)[:K_NEIGHBOURS]
        z = _idw(d[None], self.codes)[0]
        return z, info | {"neighbours": order.tolist(),
                          "how": f"weighted average of the latents of the {K_NEIGHBOURS} nearest digits"}


def _idw(dist: np.ndarray, values: np.ndarray, k: int = K_NEIGHBOURS) -> np.ndarray:
    """Inverse-distance-weighted average of `values` over each row's k nearest (dist (M, N))."""
    k = min(k, dist.shape[1])
    idx = np.argpartition(dist, k - 1, axis=1)[:, :k]                      # (M, k)
    dk = np.take_along_axis(dist, idx, 1)
    w = 1.0 / np.maximum(dk, 1e-6)
    w /= w.sum(1, keepdims=True)
    return np.einsum("mk,mkd->md", w, values[idx]).astype(np.float32)


# ---- files --------------------------------------------------------------------------------------
def shipped_path(model_dir: str | Path, method: str) -> Path:
    if method not in METHODS:
        raise ValueError(f"unknown projection method {method!r}")
    return Path(model_dir) / f"projection-{method}.npz"


def cache_dir() -> Path:
    """$LATENT_PLAYGROUND_CACHE, else ~/.cache/latent-playground/projections (outside the repo)."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env)
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return home / "latent-playground" / "projections"


def cache_key(model_id: str, weights_sha: str, method: str, params: dict) -> str:
    blob = json.dumps([model_id, weights_sha, DATA_TAG, method, params], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def save(path: str | Path, proj: Projection, weights_sha: str) -> None:
    """Write atomically, so a crash never leaves a half-written map."""
    write_atomic(path, lambda tmp: np.savez_compressed(
        tmp, points=proj.points.astype(np.float32),
        labels=proj.labels.astype(np.int64), codes=proj.codes.astype(np.float32),
        method=np.array(proj.method), params=np.array(json.dumps(proj.params)),
        weights_sha256=np.array(weights_sha),
        **{k: np.asarray(v, np.float32) for k, v in proj.extra.items()}))


def load(path: str | Path, weights_sha: str | None = None) -> Projection | None:
    """A saved map, or None when missing, unreadable or made from other weights."""
    try:
        with np.load(path, allow_pickle=False) as f:
            if weights_sha is not None and str(f["weights_sha256"]) != weights_sha:
                log.warning("%s was made from other weights; ignoring it", path)
                return None
            extra = {k: f[k] for k in ("pca_mean", "pca_components") if k in f.files}
            proj = Projection(method=str(f["method"]), params=json.loads(str(f["params"])),
                              points=f["points"], labels=f["labels"], codes=f["codes"], extra=extra)
    except FileNotFoundError:
        return None
    except Exception as err:  # a corrupt cache file is a miss, not a crash
        log.warning("could not read %s: %s", path, err)
        return None
    if proj.points.shape != (len(proj.codes), 2) or proj.labels.shape != (len(proj.codes),):
        log.warning("%s has inconsistent shapes; ignoring it", path)
        return None
    return proj


# ---- UMAP warm-up -------------------------------------------------------------------------------
_warm = {"started": False, "done": False, "seconds": None}
_warm_lock = threading.Lock()


def umap_is_warm() -> bool:
    return _warm["done"]


def mark_umap_warm() -> None:
    """A UMAP fit has finished in this process: numba's compilation is paid."""
    _warm["done"] = True


def warm_up_in_background(delay: float = 2.0, before=None) -> threading.Thread | None:
    """Import umap and fit a tiny random set in a low-priority daemon thread, so numba's one-off
    compilation (~75 s) is paid before anyone asks for a UMAP. `before` runs first in the thread
    (e.g. preloading data). Harmless if the process exits meanwhile; once per process; skipped
    when $LATENT_PLAYGROUND_WARMUP is "0"."""
    with _warm_lock:
        if _warm["started"] or os.environ.get(ENV_WARMUP, "1") == "0":
            return None
        _warm["started"] = True

    def run():
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # Linux: this thread only
        except (AttributeError, OSError):
            pass
        time.sleep(delay)
        try:
            if before is not None:
                before()
            t = time.perf_counter()
            import umap
            rng = np.random.default_rng(SEED)
            # Two sizes: below 4,096 points UMAP uses exact neighbours (the maps here), above it
            # pynndescent (recomputes of bigger sets), and each path compiles its own code.
            for n in (300, 4200):
                x = rng.normal(size=(n, 8)).astype(np.float32)
                umap.UMAP(n_neighbors=10, random_state=SEED, n_epochs=20, n_jobs=1).fit_transform(x)
                _warm["done"] = _warm["done"] or n < 4096
            _warm["seconds"] = time.perf_counter() - t
            _warm["done"] = True
            log.info("UMAP warmed up in %.1f s", _warm["seconds"])
        except Exception as err:  # never take the app down for an optimisation
            log.warning("UMAP warm-up failed: %s", err)

    thread = threading.Thread(target=run, name="umap-warm-up", daemon=True)
    thread.start()
    return thread

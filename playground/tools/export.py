"""Exports: the grid Explore and Conditional sample, with its latents, and the files every tool
offers for download (PNG, GIF, CSV), written under fresh names in a folder Gradio serves."""
from __future__ import annotations

import csv
import io
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.images import grid
from playground.errors import MAX_SAMPLES, check_int, check_seed, check_temperature
from playground.files import write_atomic
from playground.tools.core import Tools

EXPORT_DIR = Path(tempfile.gettempdir()) / "playground-exports"  # Gradio serves the temp dir
EXPORT_MAX_AGE = 3600   # seconds; older exports are deleted as new ones are written


@dataclass
class Grid:
    model: str
    images: np.ndarray          # (n, H, W) uint8, as Explore's "Sample a grid" draws them
    latents: np.ndarray | None  # (n, D) when the sampler decodes these prior draws, else None
    seed: int
    temperature: float
    count: int
    label: str | None


def sample_grid(tools: Tools, model_id, *, count=16, seed=0, temperature=1.0, label=None) -> Grid:
    """The grid Explore's "Sample a grid" and the Conditional tab draw for these knobs, with the
    latents when the model's sampler is "decode a prior draw" (checked, not assumed: a model whose
    sampler is something else, like a Gibbs chain, or that has no latent, gets none)."""
    info = tools.require(model_id, "export")
    n = check_int(count, "count", 1, MAX_SAMPLES)
    seed = check_seed(seed)
    t = check_temperature(temperature, allow_zero=not info.latent_dim)
    k = tools.label_index(info, label)
    images = tools.backend.sample(info.id, n, temperature=t, seed=seed, label=k)
    latents = None
    if info.has("decode") and info.latent_dim:
        z = tools.backend.prior_samples(info.id, n, temperature=t, seed=seed)
        if np.array_equal(tools.render(info, z, k), images):
            latents = z
    return Grid(model=info.id, images=images, latents=latents, seed=seed, temperature=t, count=n,
                label=None if k is None else info.class_names[k])


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
    picture = Image.fromarray(np.asarray(image, np.uint8))
    return str(write_atomic(_export_path(kind, "png"), lambda tmp: picture.save(tmp, format="PNG")))


def save_gif(kind: str, frames: np.ndarray, scale: int = 4, ms: int = 120) -> str:
    """An animated GIF of frames (S, H, W) uint8, scaled up (nearest) and played forth and back."""
    from PIL import Image
    frames = np.asarray(frames, np.uint8)
    big = [Image.fromarray(f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST)
           for f in frames]
    loop = big + big[-2:0:-1]                       # a → b → a without repeating the ends
    return str(write_atomic(_export_path(kind, "gif"), lambda tmp: loop[0].save(
        tmp, format="GIF", save_all=True, append_images=loop[1:], duration=ms, loop=0)))


def save_csv(kind: str, rows: list[dict]) -> str:
    """Rows of knobs, seeds and latents as CSV (columns: the union of the rows' keys, in order)."""
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return str(write_atomic(_export_path(kind, "csv"), text.getvalue()))


def latent_columns(z: np.ndarray) -> dict:
    """{"z0": ..., "z1": ...} for one latent, rounded to 6 digits (float32 precision)."""
    return {f"z{i}": round(float(v), 6) for i, v in enumerate(np.asarray(z).reshape(-1))}


def strip(images: np.ndarray) -> np.ndarray:
    """Images (S, H, W) side by side as one uint8 sheet (the grid's look)."""
    return grid(images, ncol=len(images))

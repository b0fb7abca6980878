"""What a request may ask for, and the one error type a person sees when it asks for too much.

Every value that reaches a model passes through one of these validators exactly once; callers keep
the value they return (a float, an int, a float32 array) and never convert the raw input again.
Pure: imports nothing from the rest of the playground, so training code and the UI can share it.
"""
from __future__ import annotations

import math

import numpy as np

MAX_SAMPLES = 64         # a grid of 8x8; more costs memory and page weight, not insight
MAX_POINTS = 5000        # point clouds of 2-D models
MAX_TEXTS = 50           # generated names at once
MAX_TOP_K = 1000         # top-k beyond a text model's vocabulary keeps every token anyway
MAX_STEP_IMAGES = 16     # digits sampled step by step (PixelCNN: 16 in ~5 s on 2 cores)
MAX_CHAIN_STEPS = 5000   # Gibbs steps; an RBM mixes visibly within ~1,000
MAX_TEMPERATURE = 5.0    # beyond this every model produces noise
MAX_LATENT_ABS = 10.0    # sliders span ±3; the API accepts a little more, never absurd values
MAX_SEED = 2**31 - 1
MAX_IMAGE_SIDE = 2048    # drawings/uploads; larger ones are refused, not resized


class PlaygroundError(ValueError):
    """A bad request, with a message meant for the person who made it."""


def check_number(value, name: str, lo: float, hi: float) -> float:
    """A finite float in [lo, hi]. Booleans and None are not numbers, whatever Python says."""
    if isinstance(value, bool) or value is None:
        raise PlaygroundError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise PlaygroundError(f"{name} must be a number, got {type(value).__name__} {value!r:.40}")
    if not math.isfinite(v):
        raise PlaygroundError(f"{name} must be finite, got {v}")
    if not lo <= v <= hi:
        raise PlaygroundError(f"{name} must be between {lo:g} and {hi:g}, got {v:g}")
    return v


def check_int(value, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi]; "3" and 3.0 are accepted as 3, 3.5 is refused."""
    v = check_number(value, name, lo, hi)
    if v != int(v):
        raise PlaygroundError(f"{name} must be a whole number, got {v:g}")
    return int(v)


def check_seed(value, name: str = "seed") -> int:
    return check_int(value, name, 0, MAX_SEED)


def check_temperature(value, allow_zero: bool = False) -> float:
    t = check_number(value, "temperature", 0.0, MAX_TEMPERATURE)
    if t == 0 and not allow_zero:
        raise PlaygroundError("temperature must be above 0 for this model (0 would collapse every "
                              "sample onto the prior's centre)")
    return t


def check_choice(value, name: str, choices) -> str:
    """One of `choices` (strings), with the list in the message."""
    if not isinstance(value, str) or value not in choices:
        raise PlaygroundError(f"{name} must be one of {', '.join(map(str, choices))}; "
                              f"got {str(value)[:40]!r}")
    return value


def check_knob(knob, value):
    """A value for a sampler knob (base.Knob): one of its choices, or a number in its range
    (whole when the knob is)."""
    if knob.choices:
        return check_choice(value, knob.label, knob.choices)
    if knob.integer:
        return check_int(value, knob.label, int(knob.low), int(knob.high))
    return check_number(value, knob.label, knob.low, knob.high)


def check_latent(values, dim: int, name: str = "latent") -> np.ndarray:
    """A latent (dim,) or a batch of latents (N, dim) that a person typed or sent, as float32,
    finite and within ±MAX_LATENT_ABS. Latents the server draws itself never come through here."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise PlaygroundError(f"{name} must be a list of {dim} numbers")
    try:
        z = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise PlaygroundError(f"{name} must contain only numbers")
    if z.ndim not in (1, 2) or z.shape[-1] != dim or z.size == 0:
        raise PlaygroundError(f"{name} has shape {z.shape}, the model expects {dim} values")
    if not np.isfinite(z).all():
        raise PlaygroundError(f"{name} contains NaN or infinity")
    if np.abs(z).max() > MAX_LATENT_ABS:
        raise PlaygroundError(f"{name} values must lie within ±{MAX_LATENT_ABS:g}")
    return z.astype(np.float32)

"""The one gate for heavy samplers: at most one runs at a time, server-wide.

A Gibbs chain or a pixel-by-pixel sampler costs ~1 s of a core for a 64-grid (a feed-forward
decoder ~10 ms). On 2 cores, letting one heavy job run at a time means slider decodes always find
a core free. Every path that runs such a sampler (grids, step-by-step streams, completion,
evaluation points) enters `heavy(capabilities)`; a light model passes straight through.
"""
from __future__ import annotations

import contextlib
import threading

HEAVY = frozenset({"stepwise"})  # capabilities whose samplers are sequential and slow
_gate = threading.BoundedSemaphore(1)


def is_heavy(capabilities) -> bool:
    return bool(HEAVY & frozenset(capabilities))


def heavy(capabilities):
    """Hold the gate while a model with these capabilities samples; no-op for light models."""
    return gated(is_heavy(capabilities))


@contextlib.contextmanager
def gated(slow: bool):
    """Hold the gate while something slow runs (a diffusion model's decode: tens of network
    passes); no-op when `slow` is False."""
    if not slow:
        yield
        return
    with _gate:
        yield

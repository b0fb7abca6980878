"""Turning a model's next-token logits into a token: temperature, top-k, top-p (nucleus), greedy.

Every autoregressive family (char_gpt, pixelcnn) calls `sample_logits`, so the knobs mean the same
thing everywhere:
- temperature T divides the logits: 1.0 = the model's own distribution, < 1.0 = less random,
  > 1.0 = more random, 0 = greedy (argmax, deterministic). Negative or non-finite T is an error.
- top_k keeps only the k most likely tokens (None or 0 = keep all).
- top_p keeps the smallest set of most likely tokens whose probability adds up to at least p
  (None or 1.0 = keep all); the single most likely token is always kept.
Randomness comes only from `generator`.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def check_temperature(temperature: float) -> float:
    """Return `temperature` as a float, or raise a ValueError that says what is allowed."""
    t = float(temperature)
    if not math.isfinite(t) or t < 0:
        raise ValueError(f"temperature must be a finite number >= 0 (0 = greedy), got {temperature!r}")
    return t


def filter_logits(logits: Tensor, *, top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Set the logits of tokens outside the top-k / top-p set to -inf. logits: (B, V)."""
    if top_k is not None:
        if int(top_k) != top_k or top_k < 0:
            raise ValueError(f"top_k must be a whole number >= 0 (0 = off), got {top_k!r}")
        top_k = int(top_k)
    if top_p is not None and not (0.0 < float(top_p) <= 1.0):
        raise ValueError(f"top_p must be in (0, 1] (1 = off), got {top_p!r}")
    if top_k and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]                 # (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)       # (B, V)
        cum = sorted_logits.softmax(-1).cumsum(-1)
        # Drop a token when the tokens before it already reach top_p: the first token always stays.
        drop_sorted = (cum - sorted_logits.softmax(-1)) >= top_p
        drop = drop_sorted.scatter(-1, order, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    return logits


def token_probs(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None) -> Tensor:
    """The distribution `sample_logits` draws from, (B, V); at T=0 it is one-hot on the argmax."""
    t = check_temperature(temperature)
    logits = logits.float()
    if t == 0:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    return filter_logits(logits / t, top_k=top_k, top_p=top_p).softmax(-1)


def sample_logits(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None, generator: torch.Generator | None = None) -> Tensor:
    """Draw one token per row of `logits` (B, V) → (B,) int64. T=0 is greedy and ignores generator."""
    t = check_temperature(temperature)
    if t == 0:
        return logits.argmax(-1)
    probs = token_probs(logits, temperature=t, top_k=top_k, top_p=top_p)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def sample_bernoulli_logits(logits: Tensor, *, temperature: float = 1.0,
                            generator: torch.Generator | None = None) -> Tensor:
    """Binary version for a single logit per variable (PixelCNN pixels): same temperature meaning.
    T=0 gives (logits > 0); returns a float tensor of 0/1 with the shape of `logits`."""
    t = check_temperature(temperature)
    if t == 0:
        return (logits > 0).float()
    p = torch.sigmoid(logits.float() / t)
    return (torch.rand(p.shape, generator=generator, device=p.device) < p).float()


# ---- interpolation between latents -----------------------------------------------------------
INTERPOLATIONS = ("lerp", "slerp")


def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Straight line a → b at fractions t (S,): (S, D). Its midpoints of two N(0, I) draws are
    shorter than a typical draw (norm ≈ 0.71·√D at t = ½), so a decoder sees atypical latents."""
    t = t.to(a.dtype)[:, None]                                          # (S, 1)
    return (1 - t) * a[None] + t * b[None]


def slerp(a: Tensor, b: Tensor, t: Tensor, eps: float = 1e-6) -> Tensor:
    """Spherical interpolation (Shoemake 1985; White 2016 for generative models): along the great
    circle through a and b, norms blending smoothly, so every frame keeps a typical norm. (S, D).
    Parallel or opposite endpoints (or a zero one) have no single great circle: lerp is used."""
    t = t.to(a.dtype)[:, None]                                          # (S, 1)
    na, nb = a.norm(), b.norm()
    if na < eps or nb < eps:
        return lerp(a, b, t[:, 0])
    omega = torch.arccos(((a / na) @ (b / nb)).clamp(-1.0, 1.0))        # angle between them
    so = torch.sin(omega)
    if so < eps:
        return lerp(a, b, t[:, 0])
    return (torch.sin((1 - t) * omega) / so) * a[None] + (torch.sin(t * omega) / so) * b[None]


def interpolate(a: Tensor, b: Tensor, steps: int, method: str = "slerp") -> Tensor:
    """`steps` latents (steps, D) from a to b inclusive, by "lerp" or "slerp"."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {str(method)[:20]!r}")
    if a.shape != b.shape or a.dim() != 1:
        raise ValueError(f"endpoints must be two vectors of one size, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    if int(steps) != steps or steps < 2:
        raise ValueError(f"need at least 2 steps, got {steps!r}")
    t = torch.linspace(0, 1, int(steps), dtype=a.dtype, device=a.device)
    return (lerp if method == "lerp" else slerp)(a, b, t)

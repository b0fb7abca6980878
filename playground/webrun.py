"""The numpy interpreter of the page's specs (playground/webdecoder.py writes decoders and encoders,
playground/webgpt.py a text model's next-token network; the formats are described there): the
reference assets/webdecoder.js and assets/webgpt.js are tested against, and what the exporters
check every spec with before the page gets it. Pure: numpy (and scipy's erf) only."""
from __future__ import annotations

import base64
import math

import numpy as np
# erf over arrays in C: numpy has none, and math.erf element by element was a third of a text
# model's check (the static build runs thousands of them)
from scipy.special import erf


# ---- tensors ------------------------------------------------------------------------------------
def pack(t) -> dict:
    a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def unpack(d: dict) -> np.ndarray:
    """A packed tensor as float32: little-endian float32 (the default), or "dtype": "int16" steps
    of one float32 "scale" per tensor (the static build's quantised weights), value = q · scale
    rounded to float32, as the page computes it."""
    if d.get("dtype", "float32") == "int16":
        q = np.frombuffer(base64.b64decode(d["data"]), dtype="<i2")
        return (q.astype(np.float32) * np.float32(d["scale"])).reshape(d["shape"])
    a = np.frombuffer(base64.b64decode(d["data"]), dtype="<f4")
    return a.reshape(d["shape"]).astype(np.float32)


# ---- a numpy interpreter of the spec (the reference for assets/webdecoder.js) ---------------------
def run(spec: dict, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Run the spec alone on inputs (B, ...) (latents for a decoder, items for an encoder,
    flattened) [and labels (B,)]: (B, *output_shape) float32."""
    x = np.asarray(z, np.float64).reshape(len(z), -1)
    if spec["n_classes"]:
        x = np.concatenate([x, np.eye(spec["n_classes"])[np.asarray(labels)]], 1)
    with np.errstate(over="ignore"):  # exp(-x) of a very negative x is inf: σ, SiLU are then 0
        for op in spec["ops"]:
            x = OPS[op["op"]](x, op)
    return x.astype(np.float32)


def _conv_transpose2d(x, op):
    w, b, s, p = unpack(op["w"]).astype(np.float64), unpack(op["b"]), op["stride"], op["padding"]
    n, _, h, wd = x.shape
    k = w.shape[2]
    full = np.zeros((n, w.shape[1], (h - 1) * s + k, (wd - 1) * s + k))
    for ky in range(k):
        for kx in range(k):  # every input pixel adds w[:, :, ky, kx] at (y·s + ky, x·s + kx)
            full[:, :, ky:ky + (h - 1) * s + 1:s, kx:kx + (wd - 1) * s + 1:s] += \
                np.einsum("nihw,io->nohw", x, w[:, :, ky, kx], optimize=True)  # BLAS: 5x
    oh, ow = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    return full[:, :, p:p + oh, p:p + ow] + b[None, :, None, None]


def _coupling(x, op, inverse: bool = True):
    """One affine coupling of the flow's Coupling, in either direction of its one convention: the
    kept coordinates (mask 1) pass; the others become (x - t) · exp(-s) run backwards
    ("coupling_inverse", the decoder) or x · exp(s) + t run forwards ("coupling_forward", the
    encoder)."""
    mask, m = np.asarray(op["mask"], np.float64), op["max_log_scale"]
    h = x * mask
    for o in op["ops"]:
        h = OPS[o["op"]](h, o)
    s, t = np.split(h, 2, axis=1)                              # (B, d) each
    s, t = m * np.tanh(s / m) * (1 - mask), t * (1 - mask)
    return (x - t) * np.exp(-s) if inverse else x * np.exp(s) + t


def _keep_tail(x, op):
    """The ops on all but the last n inputs, those n appended unchanged: (B, F) → (B, F')."""
    n, head = op["n"], x[:, :-op["n"]]
    for o in op["ops"]:
        head = OPS[o["op"]](head, o)
    return np.concatenate([head.reshape(len(x), -1), x[:, -n:]], 1)


def _conv2d(x, op):
    w, b, s, p = unpack(op["w"]).astype(np.float64), unpack(op["b"]), op["stride"], op["padding"]
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    k = w.shape[2]
    # every k x k window (n, in, oh, ow, k, k), strided, times the weights in one BLAS product
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))          # (n, oh, ow, out)
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None]


def _ddim(x, op):
    """The deterministic sampler of a latent diffusion model (see the module docstring):
    (B, D [+ K one-hot]) noise → (B, D) clean latents."""
    d, k, w = op["dim"], op["n_classes"], op["guidance"]
    c = np.argmax(x[:, d:], 1) if k else np.zeros(len(x), int)
    z, emb, labels = x[:, :d], unpack(op["time_emb"]).astype(np.float64), unpack(op["labels"])

    def eps(z, i, c):
        e = emb[i] + labels[c]
        h = OPS["linear"](z, op["inp"]) + e
        for block in op["blocks"]:
            g = h + e
            for o in block:
                g = OPS[o["op"]](g, o)
            h = h + g
        for o in op["out"]:
            h = OPS[o["op"]](h, o)
        return h

    null = np.full(len(x), k)
    for i, (a, a_prev) in enumerate(op["steps"]):
        e = eps(z, i, null) if w == 0 or not k else eps(z, i, c)
        if k and w not in (0.0, 1.0):
            u = eps(z, i, null)
            e = u + w * (e - u)
        x0 = (z - np.sqrt(1 - a) * e) / np.sqrt(a)
        if op["clip"] is not None:
            x0 = np.clip(x0, -op["clip"], op["clip"])
            e = (z - np.sqrt(a) * x0) / np.sqrt(1 - a)
        z = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * e
    return z


# ---- a text model's next-token network: ops on (B, T, C) sequences -----------------------------
def run_tokens(spec: dict, ids: np.ndarray) -> np.ndarray:
    """Run a text spec (playground/webgpt.py) on token ids (B, T ≤ block), the class token first:
    next-token logits at every position, (B, T, vocab) float32."""
    x = np.asarray(ids, np.int64)
    for op in spec["ops"]:
        x = OPS[op["op"]](x, op)
    return x.astype(np.float32)


def _embed(ids, op):
    """Token ids (B, T) → token embedding + position embedding (B, T, C)."""
    return unpack(op["tok"]).astype(np.float64)[ids] + unpack(op["pos"])[:ids.shape[1]]


def _residual(x, op):
    """x + ops(x): a pre-norm transformer block is two of these."""
    h = x
    for o in op["ops"]:
        h = OPS[o["op"]](h, o)
    return x + h


def _layer_norm(x, op):
    """Over the last axis, biased variance, as nn.LayerNorm."""
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + op["eps"]) * unpack(op["w"]) + unpack(op["b"])


def _causal_attention(x, op):
    """Rows [q | k | v] (B, T, 3C), each C = n_head × head_dim as nn.Linear(C, 3C) lays them out →
    softmax(q kᵀ / √head_dim) v over the positions up to each one, heads concatenated (B, T, C)."""
    b, t, c = x.shape[0], x.shape[1], x.shape[2] // 3
    nh = op["n_head"]
    q, k, v = x.reshape(b, t, 3, nh, c // nh).transpose(2, 0, 3, 1, 4)  # 3 × (B, nh, T, hd)
    s = q @ k.swapaxes(-1, -2) / math.sqrt(c // nh)                     # (B, nh, T, T)
    s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return (w @ v).transpose(0, 2, 1, 3).reshape(b, t, c)




OPS = {
    "ddim": _ddim,
    "embed": _embed,
    "residual": _residual,
    "layer_norm": _layer_norm,
    "causal_attention": _causal_attention,
    "gelu": lambda x, op: 0.5 * x * (1 + erf(x / math.sqrt(2))),  # exact (erf), nn.GELU()
    "linear": lambda x, op: x @ unpack(op["w"]).T.astype(np.float64) + unpack(op["b"]),
    "reshape": lambda x, op: x.reshape(len(x), *op["shape"]),
    # k x k windows, stride k (nn.MaxPool2d(k)): (B, C, H, W) → (B, C, H // k, W // k)
    "max_pool2d": lambda x, op: x[:, :, :x.shape[2] // op["k"] * op["k"], :x.shape[3] // op["k"] * op["k"]]
        .reshape(len(x), x.shape[1], x.shape[2] // op["k"], op["k"], x.shape[3] // op["k"], op["k"])
        .max((3, 5)),
    "flatten": lambda x, op: x.reshape(len(x), -1),
    "keep_tail": _keep_tail,
    "conv_transpose2d": _conv_transpose2d,
    "conv2d": _conv2d,
    "coupling_inverse": _coupling,
    "coupling_forward": lambda x, op: _coupling(x, op, inverse=False),
    "silu": lambda x, op: x / (1 + np.exp(-x)),
    "relu": lambda x, op: np.maximum(x, 0),
    "leaky_relu": lambda x, op: np.where(x >= 0, x, x * op["slope"]),
    "tanh": lambda x, op: np.tanh(x),
    "sigmoid": lambda x, op: 1 / (1 + np.exp(-x)),
}

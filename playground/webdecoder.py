"""Export a small decoder so the page can run it: an op list plus float32 weights, as JSON.

The Explore tab's sliders then repaint in the browser (assets/webdecoder.js) with no request to
the server: a digit on a canvas, or for point models ("points" capability: output (B, 2)) the
latent plane beside the data plane. An image spec looks like
    {"format": "webdecoder/1", "model": id, "latent_dim": D, "n_classes": K, "output": "image",
     "input_dim": D + K, "output_shape": [1, 28, 28], "ops": [...],
     "latent_mean": [...], "latent_components": [[...]], "latent_scales": [...]}
where each op is a dict such as {"op": "linear", "w": T, "b": T}, {"op": "reshape", "shape": [C,
H, W]}, {"op": "conv_transpose2d", "w": T, "b": T, "stride": 2, "padding": 1}, {"op": "silu"}, and
a tensor T is {"shape": [...], "data": base64 of little-endian float32}. The input vector is the
latent, followed by the one-hot class for conditional models. A point model's spec has "output":
"points", "output_shape": [2], ops such as {"op": "coupling_inverse", "mask": [1, 0],
"max_log_scale": 2.0, "ops": [the scale/shift MLP's ops]} (an affine coupling layer run backwards:
x = (y - t(kept)) · exp(-s(kept)), kept = mask · y, s bounded by tanh; the flows trained in the page
use the same couplings), and "prior_draws": a fixed
set of N(0, I) latents the page scales by T and decodes for the faint background of both planes.

The decode path is found by walking the model's modules: a family may describe it itself with
`web_modules()` (a list of modules, activations and ("reshape", shape) steps from the decoder's
input to its [0, 1] output); otherwise the layouts of the shipped families are recognised
(`dec_fc` + `feat` + `decoder` for the autoencoders, `generator.fc/bn0/net` for the GANs, `layers`
of couplings with `mask`, `net`, `max_log_scale` for RealNVP, inverted last layer first).
BatchNorm is folded into the layer before it. Every export is checked against the model's own
`decode` on random latents: a decoder the spec does not reproduce is not exported at all, so the
page keeps the server path for it instead of painting something else.
"""
from __future__ import annotations

import base64
import sys

import numpy as np
import torch
from torch import nn

FORMAT = "webdecoder/1"
MAX_PARAMS = 4_000_000     # 16 MB of float32: beyond this the page is better served by the server
CHECK_TOLERANCE = 1e-4     # max |pixel| difference between the spec and torch on random latents
PRIOR_DRAWS = 1000         # background points of a point model's planes, as the server's figure

ACTIVATIONS = {nn.SiLU: "silu", nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}


class NotExportable(ValueError):
    """The model's decoder uses something the page's interpreter does not implement."""


# ---- tensors ------------------------------------------------------------------------------------
def pack(t) -> dict:
    a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def unpack(d: dict) -> np.ndarray:
    a = np.frombuffer(base64.b64decode(d["data"]), dtype="<f4")
    return a.reshape(d["shape"]).astype(np.float32)


# ---- the decode path ----------------------------------------------------------------------------
def decode_path(model: nn.Module) -> list:
    """The decoder as a flat chain of modules / ("reshape", shape) steps, or NotExportable."""
    if hasattr(model, "web_modules"):
        return list(model.web_modules())
    if all(hasattr(model, a) for a in ("dec_fc", "feat", "decoder")):     # AE, VAE, cVAE
        return [*model.dec_fc, ("reshape", tuple(model.feat)), *model.decoder, nn.Sigmoid()]
    g = getattr(model, "generator", None)
    if g is not None and all(hasattr(g, a) for a in ("fc", "feat", "bn0", "net")):  # DCGAN, cGAN
        return [g.fc, ("reshape", tuple(g.feat)), g.bn0, nn.ReLU(), *g.net, nn.Sigmoid()]
    layers = getattr(model, "layers", None)
    if layers and all(hasattr(c, a) for c in layers for a in ("mask", "net", "max_log_scale")):
        return [("coupling_inverse", c) for c in reversed(layers)]          # RealNVP: f⁻¹
    raise NotExportable(f"no known decoder layout in {type(model).__name__}")


def _fold_batchnorm(ops: list, bn: nn.BatchNorm2d, weights: dict) -> None:
    """Fold an eval-mode BatchNorm into the last linear/conv op's weights (exact up to rounding)."""
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().double().numpy()
    shift = (bn.bias.detach().double().numpy() - bn.running_mean.double().numpy() * scale)
    last = ops[-1] if ops else None
    if last is not None and last["op"] == "reshape" and len(ops) > 1:
        last = ops[-2]
    if last is None or id(last) not in weights:
        raise NotExportable("BatchNorm must follow a linear or convolution layer to be folded")
    w, b = weights[id(last)]
    if last["op"] == "linear":   # rows are (channel, y, x) flattened: repeat per channel
        per = w.shape[0] // len(scale)
        s, t = np.repeat(scale, per), np.repeat(shift, per)
        weights[id(last)] = (w * s[:, None], b * s + t)
    elif last["op"] == "conv_transpose2d":  # weight (in, out, kh, kw)
        weights[id(last)] = (w * scale[None, :, None, None], b * scale + shift)
    else:                                   # conv2d weight (out, in, kh, kw)
        weights[id(last)] = (w * scale[:, None, None, None], b * scale + shift)


def _ops(path: list) -> list[dict]:
    ops, weights = [], {}
    for m in path:
        if isinstance(m, tuple) and m[0] == "reshape":
            ops.append({"op": "reshape", "shape": [int(v) for v in m[1]]})
        elif isinstance(m, tuple) and m[0] == "coupling_inverse":
            c = m[1]
            ops.append({"op": m[0], "mask": c.mask.detach().cpu().tolist(),
                        "max_log_scale": float(c.max_log_scale), "ops": _ops(list(c.net))})
        elif type(m) in ACTIVATIONS:
            ops.append({"op": ACTIVATIONS[type(m)]})
        elif isinstance(m, nn.LeakyReLU):
            ops.append({"op": "leaky_relu", "slope": float(m.negative_slope)})
        elif isinstance(m, (nn.Identity, nn.Dropout)):
            continue
        elif isinstance(m, nn.Linear):
            op = {"op": "linear"}
            ops.append(op)
            weights[id(op)] = _wb(m, m.out_features)
        elif isinstance(m, (nn.ConvTranspose2d, nn.Conv2d)):
            if m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros" or \
                    len(set(m.stride)) != 1 or len(set(m.padding)) != 1 or \
                    any(getattr(m, "output_padding", (0, 0))):
                raise NotExportable(f"unsupported {m}")
            op = {"op": "conv_transpose2d" if isinstance(m, nn.ConvTranspose2d) else "conv2d",
                  "stride": int(m.stride[0]), "padding": int(m.padding[0])}
            ops.append(op)
            weights[id(op)] = _wb(m, m.out_channels)
        elif isinstance(m, nn.BatchNorm2d):
            _fold_batchnorm(ops, m, weights)
        else:
            raise NotExportable(f"the page cannot run {type(m).__name__}")
    for op in ops:
        if id(op) in weights:
            w, b = weights[id(op)]
            op["w"], op["b"] = pack(w), pack(b)
    return ops


def _wb(m: nn.Module, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    w = m.weight.detach().double().cpu().numpy()
    b = m.bias.detach().double().cpu().numpy() if m.bias is not None else np.zeros(n_out)
    return w, b


def _n_params(ops: list[dict]) -> int:
    return sum(int(np.prod(op[t]["shape"])) for op in ops for t in ("w", "b") if t in op) + \
        sum(_n_params(op["ops"]) for op in ops if "ops" in op)


def export(model, model_id: str = "", check: bool = True) -> dict:
    """The web-decoder spec of a loaded model (see the module docstring). Raises NotExportable."""
    if "decode" not in getattr(model, "capabilities", ()) or not model.latent_dim:
        raise NotExportable("the model has no latent decoder")
    k = int(getattr(model.config, "n_classes", 0) or 0)
    ops = _ops(decode_path(model))
    n_params = _n_params(ops)
    if n_params > MAX_PARAMS:
        raise NotExportable(f"{n_params:,} parameters is too many to send to the page")
    d = model.latent_dim
    points = "points" in model.capabilities
    spec = {"format": FORMAT, "model": model_id, "latent_dim": d, "n_classes": k, "input_dim": d + k,
            "output": "points" if points else "image", "n_params": n_params, "ops": ops,
            "latent_mean": model.latent_mean.cpu().tolist(),
            "latent_components": model.latent_components.cpu().tolist(),
            "latent_scales": model.latent_scales.cpu().tolist()}
    if points:  # fixed draws, so the background is the same on every visit (seeded, not random)
        g = torch.Generator().manual_seed(0)
        spec["prior_draws"] = pack(torch.randn(PRIOR_DRAWS, d, generator=g))
    out = run(spec, np.zeros((1, d), np.float32), np.zeros(1, np.int64) if k else None)
    spec["output_shape"] = list(out.shape[1:])
    if check:
        err = check_error(model, spec)
        if not err <= CHECK_TOLERANCE:
            raise NotExportable(f"the exported decoder differs from torch by {err:.2g}")
    return spec


def check_error(model, spec: dict, n: int = 8, seed: int = 0) -> float:
    """Max |spec - torch decode| over `n` random latents (and classes)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, model.latent_dim, generator=g) * 1.5
    k = spec["n_classes"]
    y = torch.randint(0, k, (n,), generator=g) if k else None
    with torch.inference_mode():
        want = model.decode(z.to(model.latent_mean.device),
                            None if y is None else y.to(model.latent_mean.device)).float().cpu().numpy()
    got = run(spec, z.numpy(), None if y is None else y.numpy())
    return float(np.abs(got - want).max())


# ---- a numpy interpreter of the spec (the reference for assets/webdecoder.js) ---------------------
def run(spec: dict, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """Decode latents (B, D) [and labels (B,)] with the spec alone: (B, *output_shape) float32."""
    x = np.asarray(z, np.float64).reshape(len(z), -1)
    if spec["n_classes"]:
        x = np.concatenate([x, np.eye(spec["n_classes"])[np.asarray(labels)]], 1)
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
                np.einsum("nihw,io->nohw", x, w[:, :, ky, kx])
    oh, ow = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    return full[:, :, p:p + oh, p:p + ow] + b[None, :, None, None]


def _coupling(x, op):
    """One affine coupling run backwards (the flow's Coupling.inverse): the kept coordinates
    (mask 1) pass, the others become (x - t) · exp(-s)."""
    mask, m = np.asarray(op["mask"], np.float64), op["max_log_scale"]
    h = x * mask
    for o in op["ops"]:
        h = OPS[o["op"]](h, o)
    s, t = np.split(h, 2, axis=1)                              # (B, d) each
    s, t = m * np.tanh(s / m) * (1 - mask), t * (1 - mask)
    return (x - t) * np.exp(-s)


def _conv2d(x, op):
    w, b, s, p = unpack(op["w"]).astype(np.float64), unpack(op["b"]), op["stride"], op["padding"]
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    n, _, h, wd = x.shape
    k = w.shape[2]
    oh, ow = (h - k) // s + 1, (wd - k) // s + 1
    out = np.zeros((n, w.shape[0], oh, ow))
    for ky in range(k):
        for kx in range(k):
            out += np.einsum("nihw,oi->nohw",
                             x[:, :, ky:ky + (oh - 1) * s + 1:s, kx:kx + (ow - 1) * s + 1:s],
                             w[:, :, ky, kx])
    return out + b[None, :, None, None]


OPS = {
    "linear": lambda x, op: x @ unpack(op["w"]).T.astype(np.float64) + unpack(op["b"]),
    "reshape": lambda x, op: x.reshape(len(x), *op["shape"]),
    "conv_transpose2d": _conv_transpose2d,
    "conv2d": _conv2d,
    "coupling_inverse": _coupling,
    "silu": lambda x, op: x / (1 + np.exp(-x)),
    "relu": lambda x, op: np.maximum(x, 0),
    "leaky_relu": lambda x, op: np.where(x >= 0, x, x * op["slope"]),
    "tanh": lambda x, op: np.tanh(x),
    "sigmoid": lambda x, op: 1 / (1 + np.exp(-x)),
}


def main(argv=None) -> None:
    """python -m playground.webdecoder: which shipped models the page decodes, and their sizes."""
    import json

    from playground.backend import Backend
    backend = Backend()
    for info in backend.models("decode"):
        try:
            spec = export(backend.model(info.id), info.id)
        except NotExportable as err:
            print(f"{info.id:18s} server path: {err}")
            continue
        size = len(json.dumps(spec))
        print(f"{info.id:18s} in page: {spec['n_params']:,} params, {size / 1e6:.2f} MB JSON, "
              f"max |page - torch| {check_error(backend.model(info.id), spec, n=64, seed=1):.2g}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Export a model's small decoder or encoder so the page can run it: an op list plus float32
weights, as JSON.

The Explore tab's sliders then repaint in the browser (assets/webdecoder.js) with no request to
the server: a digit on a canvas, or for point models ("points" capability: output (B, 2)) the
latent plane beside the data plane. An image decoder's spec looks like
    {"format": "webdecoder/1", "model": id, "part": "decoder", "latent_dim": D, "n_classes": K,
     "output": "image", "input_dim": D + K, "output_shape": [1, 28, 28], "ops": [...],
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

An encoder's spec ("part": "encoder", "output": "latent", "output_shape": [D]) reads the
flattened item (an image (1, H, W) as H·W values, a point as d) followed by the one-hot class, so
"input_dim" is H·W + K and "input_shape" the item's shape; it returns the posterior mean (what
`encode` returns). Its extra ops: {"op": "flatten"} and {"op": "keep_tail", "n": K, "ops": [...]}
(run the ops on all but the last K inputs, then append those K unchanged: a conditional encoder's
convolutions see the image while the class waits for the layer that reads it); a flow's encoder runs
its couplings forwards, {"op": "coupling_forward", ...} with the same fields as coupling_inverse.

A latent diffusion decoder starts with {"op": "ddim", "dim": D, "n_classes": K, "guidance": w,
"clip": r or null, "steps": [[ᾱ_t, ᾱ_prev], ...], "time_emb": T (S, h), "labels": T (K + 1, h),
"inp": op, "blocks": [[ops], ...], "out": [ops]}: the deterministic sampler (η = 0) from the noise
(the first D inputs) to a clean latent, its denoiser an MLP ε(x, t, c) = out(h) with
h = inp(x) + e, h = h + block(h + e) per block, e = time_emb[step] + labels[c] (c from the one-hot
class; K = "no class"), guided as ε_∅ + w (ε_c - ε_∅). The spec then also says which sampler knobs
it was made for ("knobs": [[name, value], ...], every knob the UI shows, in its order): the page
paints only when its controls show those values.

What to export comes from the model itself, `model.web_modules(part)` (the protocol written in
playground/base.py); this module never looks inside a family. `to_ops` is the one converter from
such a chain to ops, also for a text model's network (playground/webgpt.py: embed, residual,
layer_norm, causal_attention, gelu); each format names the ops its page script runs, and a chain
with any other op is not exported. BatchNorm is folded into the layer before it. Every export is
checked against the model's own `decode` (or `encode`) on random inputs: a part the spec does not
reproduce is not exported at all, so the page keeps the server path for it instead of painting
something else.
"""
from __future__ import annotations

import sys

import numpy as np
import torch
from torch import nn

from playground.webrun import OPS, pack, run, unpack  # noqa: F401  (the spec format's interpreter)

FORMAT = "webdecoder/1"
MAX_PARAMS = 4_000_000     # 16 MB of float32: beyond this the page is better served by the server
CHECK_TOLERANCE = 1e-4     # max difference between the spec and torch on random inputs (check_error)
SAMPLER_TOLERANCE = 1e-3   # the same for a spec with a sampler in it: 25 steps of float32 rounding
                           # (measured ~1e-4 on pixels in [0, 1]; a grey level is 4e-3)
PRIOR_DRAWS = 1000         # background points of a point model's planes, as the server's figure

ACTIVATIONS = {nn.SiLU: "silu", nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
# The ops a decoder or encoder spec may hold: what assets/webdecoder.js and webrun.py run for them.
# The converter knows more (a text model's ops, playground/webgpt.py); a decoder with a LayerNorm
# would pass the numpy check and then fail in the page, so it is refused here instead.
DECODER_OPS = frozenset({"ddim", "linear", "reshape", "flatten", "keep_tail", "conv_transpose2d",
                         "conv2d", "max_pool2d", "coupling_inverse", "coupling_forward", "silu",
                         "relu", "leaky_relu", "tanh", "sigmoid"})


class NotExportable(ValueError):
    """The model's decoder uses something the page's interpreter does not implement."""


# ---- the path: what the model says its part is ----------------------------------------------------
PARTS = {"decoder": "decode", "encoder": "encode"}   # part → the capability and method it mirrors


def module_path(model, part: str = "decoder") -> list:
    """The part as a flat chain of modules and steps (GenerativeModel.web_modules), or
    NotExportable when the model has none."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {sorted(PARTS)}, got {part!r}")
    if PARTS[part] not in model.capabilities or not model.latent_dim:
        raise NotExportable(f"the model has no latent {part}")
    if part in model.server_parts:
        raise NotExportable(f"{model.family}'s {part} is a many-step sampler: it runs on the server")
    try:
        return list(model.web_modules(part))
    except NotImplementedError as err:
        raise NotExportable(str(err)) from None


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


def to_ops(path: list, allowed: frozenset[str] = DECODER_OPS) -> list[dict]:
    """A web_modules chain as spec ops with packed weights; NotExportable for a step whose op is
    not in `allowed` (the ops the target page script runs)."""
    ops, weights = [], {}
    for m in path:
        before = len(ops)
        if isinstance(m, tuple) and m[0] == "reshape":
            ops.append({"op": "reshape", "shape": [int(v) for v in m[1]]})
        elif isinstance(m, tuple) and m[0] in ("coupling_inverse", "coupling_forward"):
            c = m[1]
            ops.append({"op": m[0], "mask": c.mask.detach().cpu().tolist(),
                        "max_log_scale": float(c.max_log_scale),
                        "ops": to_ops(list(c.net), allowed)})
        elif isinstance(m, tuple) and m[0] == "keep_tail":
            ops.append({"op": "keep_tail", "n": int(m[1]), "ops": to_ops(list(m[2]), allowed)})
        elif isinstance(m, tuple) and m[0] == "ddim":
            d = m[1]
            ops.append({"op": "ddim", "dim": int(d["dim"]), "n_classes": int(d["n_classes"]),
                        "guidance": float(d["guidance"]), "clip": d["clip"],
                        "steps": [[float(a), float(b)] for a, b in d["steps"]],
                        "time_emb": pack(d["time_emb"].detach().cpu()),
                        "labels": pack(d["labels"].detach().cpu()),
                        "inp": to_ops([d["inp"]], allowed)[0],
                        "blocks": [to_ops(list(b), allowed) for b in d["blocks"]],
                        "out": to_ops(list(d["out"]), allowed)})
        elif isinstance(m, tuple) and m[0] == "embed":   # (embed, token table, position table)
            tok, pos = m[1], m[2]
            if any(e.max_norm is not None for e in (tok, pos)):
                raise NotExportable("an embedding with max_norm changes its table as it runs")
            ops.append({"op": "embed", "tok": pack(tok.weight.detach().cpu()),
                        "pos": pack(pos.weight.detach().cpu())})
        elif isinstance(m, tuple) and m[0] == "residual":
            ops.append({"op": "residual", "ops": to_ops(list(m[1]), allowed)})
        elif isinstance(m, tuple) and m[0] == "causal_attention":
            ops.append({"op": "causal_attention", "n_head": int(m[1])})
        elif isinstance(m, nn.LayerNorm):
            if len(m.normalized_shape) != 1:
                raise NotExportable(f"unsupported {m}: the page normalises over the last axis only")
            n = m.normalized_shape[0]
            w = m.weight.detach().cpu() if m.weight is not None else torch.ones(n)
            b = m.bias.detach().cpu() if m.bias is not None else torch.zeros(n)
            ops.append({"op": "layer_norm", "eps": float(m.eps), "w": pack(w), "b": pack(b)})
        elif isinstance(m, nn.GELU):
            if m.approximate != "none":
                raise NotExportable(f"unsupported {m}: the page runs the exact (erf) GELU")
            ops.append({"op": "gelu"})
        elif isinstance(m, nn.Flatten):
            if (m.start_dim, m.end_dim) != (1, -1):
                raise NotExportable(f"unsupported {m}")
            ops.append({"op": "flatten"})
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
        elif isinstance(m, nn.MaxPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            if m.kernel_size not in (k, (k, k)) or m.stride not in (k, (k, k)) or \
                    m.padding not in (0, (0, 0)) or m.dilation not in (1, (1, 1)) or m.ceil_mode:
                raise NotExportable(f"unsupported {m}: the page pools k x k windows, stride k")
            ops.append({"op": "max_pool2d", "k": int(k)})
        else:
            raise NotExportable(f"the page cannot run {type(m).__name__}")
        if any(op["op"] not in allowed for op in ops[before:]):
            name = m[0] if isinstance(m, tuple) else type(m).__name__
            raise NotExportable(f"the page cannot run {name} here")
    for op in ops:
        if id(op) in weights:
            w, b = weights[id(op)]
            op["w"], op["b"] = pack(w), pack(b)
    return ops


def _wb(m: nn.Module, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    w = m.weight.detach().double().cpu().numpy()
    b = m.bias.detach().double().cpu().numpy() if m.bias is not None else np.zeros(n_out)
    return w, b


def count_params(ops: list[dict]) -> int:
    """The number of weights in `ops`, nested ones included."""
    return sum(int(np.prod(op[t]["shape"])) for op in ops
               for t in ("w", "b", "time_emb", "labels", "tok", "pos") if t in op) + \
        sum(count_params(op["ops"]) for op in ops if "ops" in op) + \
        sum(count_params([op["inp"], *op["out"], *(o for b in op["blocks"] for o in b)])
            for op in ops if op["op"] == "ddim")


def export(model, model_id: str = "", part: str = "decoder", *, check: bool = True) -> dict:
    """The spec of a loaded model's decoder or encoder (see the module docstring), checked against
    torch unless `check` is False. Raises NotExportable."""
    ops = to_ops(module_path(model, part))
    n_params = count_params(ops)
    if n_params > MAX_PARAMS:
        raise NotExportable(f"{n_params:,} parameters is too many to send to the page")
    d = model.latent_dim
    k = int(getattr(model.config, "n_classes", 0) or 0) if "condition" in model.capabilities else 0
    points = "points" in model.capabilities
    if part == "decoder":
        item, input_dim, output = None, d + k, "points" if points else "image"
    else:
        item = _item_shape(model, k)
        input_dim, output = int(np.prod(item)) + k, "latent"
    knobs = _knobs(model, ops)
    spec = {"format": FORMAT, "model": model_id, "part": part, "latent_dim": d, "n_classes": k,
            "input_dim": input_dim, "output": output, "n_params": n_params, "ops": ops,
            "latent_mean": model.latent_mean.cpu().tolist(),
            "latent_components": model.latent_components.cpu().tolist(),
            "latent_scales": model.latent_scales.cpu().tolist()}
    if item is not None:
        spec["input_shape"] = list(item)
    if knobs:
        spec["knobs"] = knobs
    if points and part == "decoder":  # fixed draws: the same background on every visit
        g = torch.Generator().manual_seed(0)
        spec["prior_draws"] = pack(torch.randn(PRIOR_DRAWS, d, generator=g))
    out = run(spec, np.zeros((1, input_dim - k), np.float32), np.zeros(1, np.int64) if k else None)
    spec["output_shape"] = list(out.shape[1:])
    if check:
        err = check_error(model, spec)
        if not err <= tolerance(spec):
            raise NotExportable(f"the exported {part} differs from torch by {err:.2g}")
    return spec


def export_judge(model, model_id: str = "", *, check: bool = True) -> dict:
    """The judge classifier's spec (part "judge", web_modules("judge")): the flattened image
    (H·W,) in [0, 1] to the class logits (K,), for the page to say what a decoded digit looks
    like. Checked against torch's logits on random images. Raises NotExportable."""
    try:
        ops = to_ops(list(model.web_modules("judge")))
    except NotImplementedError as err:
        raise NotExportable(str(err)) from None
    size = int(model.config.image_size)
    spec = {"format": FORMAT, "model": model_id, "part": "judge", "latent_dim": 0, "n_classes": 0,
            "classes": int(model.config.n_classes), "input_dim": size * size,
            "input_shape": [1, size, size], "output": "logits", "n_params": count_params(ops),
            "ops": ops, "output_shape": [int(model.config.n_classes)]}
    if check:
        x = torch.rand(8, 1, size, size, generator=torch.Generator().manual_seed(0))
        with torch.inference_mode():
            want = model.logits(x).float().numpy()
        err = float((np.abs(run(spec, x.flatten(1).numpy()) - want) / np.maximum(1, np.abs(want))).max())
        if not err <= CHECK_TOLERANCE:
            raise NotExportable(f"the exported judge differs from torch by {err:.2g}")
    return spec


def _knobs(model, ops: list[dict]) -> list:
    """[[name, value], ...] of every knob the UI shows (base.all_knobs, in order) for a spec with
    a sampler in it: the values it was made for (the knob's default; guidance from the op)."""
    if not any(op["op"] == "ddim" for op in ops):
        return []
    from playground.base import all_knobs
    guidance = next(op["guidance"] for op in ops if op["op"] == "ddim")
    steps = next(len(op["steps"]) for op in ops if op["op"] == "ddim")
    made = {"guidance": guidance, "sampling_steps": steps, "sampler": "ddim"}
    return [[k.name, made.get(k.name, k.default)] for k in all_knobs()]


def tolerance(spec: dict) -> float:
    """How far the spec may be from torch: one decoder pass, or a whole sampler run."""
    return SAMPLER_TOLERANCE if spec.get("knobs") else CHECK_TOLERANCE


def spec_knobs(spec: dict, model) -> dict:
    """The sampler knobs a spec was made for, as keyword arguments of the model's methods."""
    return {name: value for name, value in spec.get("knobs", [])
            if name in {k.name for k in model.knobs}}


def _item_shape(model, k: int) -> tuple[int, ...]:
    """The shape of one item an encoder reads: what the model's decoder makes."""
    if "decode" not in model.capabilities:
        raise NotExportable("an encoder is checked on items the model decodes, and it has no decoder")
    dev = model.latent_mean.device
    with torch.inference_mode():
        out = model.decode(torch.zeros(1, model.latent_dim, device=dev),
                           torch.zeros(1, dtype=torch.int64, device=dev) if k else None)
    return tuple(out.shape[1:])


def check_error(model, spec: dict, n: int = 8, seed: int = 0) -> float:
    """Max |spec - torch| / max(1, |torch|) over `n` random inputs (and classes): latents ~
    N(0, 1.5²) through `decode` for a decoder; images uniform in [0, 1] (points ~ N(0, 1.5²))
    through `encode` for an encoder. Relative above 1: a flow maps far points to codes in the
    thousands, where float32 torch itself is only good to ~1e-7 of the value."""
    g = torch.Generator().manual_seed(seed)
    encoder = spec.get("part", "decoder") == "encoder"
    if not encoder:
        x = torch.randn(n, model.latent_dim, generator=g) * 1.5
    elif "points" in model.capabilities:
        x = torch.randn(n, *spec["input_shape"], generator=g) * 1.5
    else:
        x = torch.rand(n, *spec["input_shape"], generator=g)
    k = spec["n_classes"]
    y = torch.randint(0, k, (n,), generator=g) if k else None
    dev = model.latent_mean.device
    knobs = spec_knobs(spec, model)
    with torch.inference_mode():
        fn = model.encode if encoder else model.decode
        want = fn(x.to(dev), None if y is None else y.to(dev), **knobs).float().cpu().numpy()
    got = run(spec, x.flatten(1).numpy(), None if y is None else y.numpy())
    return float((np.abs(got - want) / np.maximum(1, np.abs(want))).max())


def main(argv=None) -> None:
    """python -m playground.webdecoder [root]: which shipped models' decoders and encoders the page
    can run, and their sizes."""
    import json
    from pathlib import Path

    import playground.models  # noqa: F401  (registers every family)
    from playground.base import GenerativeModel
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "pretrained"
    for folder in sorted(p.parent for p in root.glob("*/config.json")):
        model = GenerativeModel.from_pretrained(folder)
        for part, capability in PARTS.items():
            if capability not in model.capabilities:
                continue
            name = f"{folder.name} {part}"
            try:
                spec = export(model, folder.name, part)
            except NotExportable as err:
                print(f"{name:26s} server path: {err}")
                continue
            size = len(json.dumps(spec))
            print(f"{name:26s} in page: {spec['n_params']:,} params, {size / 1e6:.2f} MB JSON, "
                  f"max |page - torch| {check_error(model, spec, n=64, seed=1):.2g}")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The Chain tab's export: a Markov chain the page runs itself, for a model whose sampler is a
block Gibbs chain of binary units whose two conditionals are its exported encoder and decoder,
each one linear layer and a sigmoid (an RBM: p(h=1|v) = σ(β(vW + c)), p(v=1|h) = σ(β(hWᵀ + b)),
β = 1/T). Asked of the model, never of its family's name: the build runs the model's own sampler
(`sample_steps`) and this chain (`gibbs`, what assets/static/chain.js does op for op) on torch's
random numbers from one seed, and exports the chain only when their frames agree.

The chain's weights are the decoder's and encoder's, as the build already stored them (int16
steps): no byte more. Its error is measured where the chain runs, on binary states of a chain:
max |p_page - p_torch| of p(h|v) and p(v|h) at T = 1 (it grows like 1/T below 1). The page draws
its uniforms from torch's generator (torchrand.js), so a seed starts from the server's noise;
with 16-bit weights a unit whose probability lands within the error of its uniform flips, and
the chain then goes its own way from the server's (a draw of the same model, within the error)."""
from __future__ import annotations

import numpy as np
import torch

from playground import webdecoder
from playground.errors import MAX_CHAIN_STEPS, MAX_SEED, MAX_STEP_IMAGES, MAX_TEMPERATURE
import playground.static.folder as F
import playground.static.weights as W
from playground.webrun import unpack

TOLERANCE = W.TOLERANCE          # a unit's probability within one grey level of torch's
CHECK = {"n": 2, "steps": 3, "temperature": 0.8, "seed": 0}   # the sampler is this chain?
STATES = {"n": 64, "steps": 20, "seed": 1}                     # where the error is measured


def layer(model, info, part: str) -> dict | None:
    """The part's spec reduced to its one linear layer (the op before its sigmoid), or None."""
    try:
        spec = webdecoder.export(model, info.id, part)
    except webdecoder.NotExportable:
        return None
    ops = [o for o in spec["ops"] if o["op"] != "reshape"]
    if spec.get("n_classes") or [o["op"] for o in ops] != ["linear", "sigmoid"]:
        return None
    return ops[0]


def gibbs(up: tuple, down: tuple, n: int, steps: int, temperature: float,
          generator: torch.Generator) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The page's chain in torch: n chains from uniform binary noise, `steps` block Gibbs steps
    at β = 1/T, with (w (out, in), b) of the up (v → h) and down (h → v) layers. Returns the
    frames (the noise, then p(v|h) after each step, (n, V)) and the binary states [v, h, v, …]
    in the order their uniforms are drawn."""
    (wu, bu), (wd, bd) = up, down
    beta = 1.0 / temperature
    v = (torch.rand(n, wu.shape[1], generator=generator) < 0.5).float()       # (n, V)
    frames, states = [v], [v]
    for _ in range(steps):
        ph = torch.sigmoid(beta * (v @ wu.T + bu))                            # (n, H)
        h = (torch.rand(ph.shape, generator=generator) < ph).float()
        pv = torch.sigmoid(beta * (h @ wd.T + bd))                            # (n, V)
        v = (torch.rand(pv.shape, generator=generator) < pv).float()
        frames.append(pv)
        states += [h, v]
    return frames, states


def export_chain(model, info, pool: W.Pool) -> F.Extra | None:
    """The chain of a model whose sampler is one (see the module docstring), or None."""
    if not info.ui.chain_steps or not (info.has("encode") and info.has("decode")):
        return None
    up, down = layer(model, info, "encoder"), layer(model, info, "decoder")
    if up is None or down is None:
        return None
    exact = [tuple(torch.from_numpy(unpack(op[k])) for k in ("w", "b")) for op in (up, down)]
    c = CHECK
    frames, _ = gibbs(*exact, c["n"], c["steps"], c["temperature"],
                      torch.Generator().manual_seed(c["seed"]))
    with torch.inference_mode():
        theirs = [f.flatten(1) for f, _ in model.sample_steps(
            c["n"], temperature=c["temperature"], steps=c["steps"],
            generator=torch.Generator().manual_seed(c["seed"]))]
    if len(theirs) != len(frames) or any(a.shape != b.shape or not torch.allclose(a, b, atol=1e-5)
                                         for a, b in zip(frames, theirs)):
        return None            # its sampler is another chain (or not this one's frames)
    stored, own = {}, 0
    for op in (up, down):
        for k in ("w", "b"):
            key = W.source_key(op[k])
            if key not in pool.stored:   # a part the build did not ship: exact float32
                pool.stored[key] = pool.float32(unpack(op[k]))
                own += pool.stored[key].nbytes
            stored[id(op), k] = pool.stored[key]
    page = [tuple(torch.from_numpy(unpack(stored[id(op), k].inline)) for k in ("w", "b"))
            for op in (up, down)]
    error = conditional_error(exact, page)
    params = sum(int(np.prod(op[k]["shape"])) for op in (up, down) for k in ("w", "b"))
    report = W.PartReport(info.id, "chain", params, error, TOLERANCE, None, 0,
                          0 if own else params, own,
                          measures="p(h|v) and p(v|h) at T = 1 on a chain's binary states")
    if not error <= TOLERANCE:
        raise webdecoder.NotExportable(f"its conditionals differ from torch by {error:.2g}")
    ref = lambda op: {k: W.reference(stored[id(op), k]) for k in ("w", "b")}  # noqa: E731
    value = {"model": info.id, "up": ref(up), "down": ref(down),
             "visible_shape": list(model.decode(torch.zeros(1, info.latent_dim)).shape[1:]),
             "chain_steps": info.ui.chain_steps,
             "limits": {"steps": MAX_CHAIN_STEPS, "chains": MAX_STEP_IMAGES,
                        "temperature": MAX_TEMPERATURE, "seed": MAX_SEED},
             "error": float(f"{error:.3g}"), "tolerance": TOLERANCE}
    return F.Extra(value, [report])


def conditional_error(exact: list[tuple], page: list[tuple]) -> float:
    """max |p_page - p_torch| of both conditionals at T = 1, on the states of an exact chain
    (its noise, and digits forming)."""
    s = STATES
    _, states = gibbs(*exact, s["n"], s["steps"], 1.0, torch.Generator().manual_seed(s["seed"]))
    err = 0.0
    for i, x in enumerate(states):
        (we, be), (wp, bp) = (exact[i % 2], page[i % 2])   # v → h (up), then h → v (down)
        err = max(err, float((torch.sigmoid(x @ we.T + be) - torch.sigmoid(x @ wp.T + bp))
                             .abs().max()))
    return err


F.EXPORTERS["stepwise"] = export_chain

"""Export a text model's next-token network (the character GPT) so a page writes names with no
server: the serverless static build runs it with assets/webgpt.js.

Its own module beside webdecoder.py because what crosses to the page is different: not a function
of a latent vector but a network over token sequences plus the rules of a sampler (which ids are
letters, which start a class, when a name must end, the request limits). The machinery is the
same: the model's `web_modules("text")` chain (the protocol in playground/base.py) goes through
webdecoder's one converter (`to_ops`, with the ops assets/webgpt.js runs), weights are packed as
there, the spec is run by webrun.py's numpy interpreter (`run_tokens`) and checked against torch
before anyone gets it; a model it cannot reproduce raises NotExportable.

The spec:
    {"format": "webgpt/1", "model": id, "part": "text", "tokens": ["", "a", ..., "z"] (id → text,
     "" for the end), "end": 0, "class_names": [...], "class_tokens": [27, 28, 29] (class k's start
     token), "block": 16 (positions the network holds), "min_letters": 1 (the end is barred
     before), "max_letters": 14 (the end is forced there), "max_prompt": 14, "limits": {"count",
     "temperature", "top_k", "seed"} (the server's request limits, playground/errors.py),
     "n_params": N, "ops": [...]}
Ops, on (B, T, ·) sequences: {"op": "embed", "tok": T (V + K, C), "pos": T (block, C)} (ids →
token row + position row), {"op": "residual", "ops": [...]} (x + ops(x)), {"op": "layer_norm",
"w", "b", "eps"}, {"op": "linear", "w", "b"}, {"op": "causal_attention", "n_head": h} (rows
[q | k | v] → each position attends to itself and the positions before it), {"op": "gelu"} (exact,
erf). The last op gives the next-token logits at every position (B, T, V).

The page samples with its own seeded generator (assets/webgpt.js): the same seed and knobs give
the same names in the page every time, not the names the server's torch.Generator gives.
"""
from __future__ import annotations

import sys

import numpy as np
import torch

from playground.errors import MAX_SEED, MAX_TEMPERATURE, MAX_TEXTS, MAX_TOP_K
from playground.webdecoder import CHECK_TOLERANCE, MAX_PARAMS, NotExportable, count_params, to_ops
from playground.webrun import run_tokens

FORMAT = "webgpt/1"
PART = "text"
TEXT_OPS = frozenset({"embed", "residual", "layer_norm", "linear", "causal_attention", "gelu"})


def module_path(model) -> list:
    """The model's next-token network as a chain (GenerativeModel.web_modules("text")), or
    NotExportable when it writes no text."""
    if "text" not in model.capabilities:
        raise NotExportable("the model writes no text")
    try:
        return list(model.web_modules(PART))
    except NotImplementedError as err:
        raise NotExportable(str(err)) from None


def export(model, model_id: str = "", *, check: bool = True) -> dict:
    """The spec of a loaded text model (see the module docstring), checked against torch unless
    `check` is False. Raises NotExportable."""
    ops = to_ops(module_path(model), TEXT_OPS)
    if not ops or ops[0]["op"] != "embed":
        raise NotExportable("a text network starts with its embedding")
    n_params = count_params(ops)
    if n_params > MAX_PARAMS:
        raise NotExportable(f"{n_params:,} parameters is too many to send to the page")
    t = model.text_tokens()
    block = ops[0]["pos"]["shape"][0]
    if t.max_letters + 1 > block:
        raise NotExportable(f"names of {t.max_letters} letters need {t.max_letters + 1} positions, "
                            f"the network holds {block}")
    spec = {"format": FORMAT, "model": model_id, "part": PART, "tokens": list(t.tokens),
            "end": t.end, "class_names": list(t.class_names), "class_tokens": list(t.class_tokens),
            "block": block, "min_letters": t.min_letters, "max_letters": t.max_letters,
            "max_prompt": t.max_letters,
            "limits": {"count": MAX_TEXTS, "temperature": MAX_TEMPERATURE, "top_k": MAX_TOP_K,
                       "seed": MAX_SEED},
            "n_params": n_params, "ops": ops}
    if check:
        err = check_error(model, spec)
        if not err <= CHECK_TOLERANCE:
            raise NotExportable(f"the exported text network differs from torch by {err:.2g}")
    return spec


def check_error(model, spec: dict, n: int = 8, seed: int = 0) -> float:
    """Max |spec - torch| of the next-token logits at every position of `n` random sequences as
    long as the network holds: a class token, then random letters and ends."""
    return check_errors(model, spec, n, seed)[0]


def check_errors(model, spec: dict, n: int = 8, seed: int = 0) -> tuple[float, float]:
    """(max |spec - torch| of the logits, of the next-token probabilities at T = 1) on the
    sequences of `check_error`. The probabilities are what a page samples from and shows: a
    spec with rounded weights (the static build's) is judged by them."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, len(spec["tokens"]), (n, spec["block"] - 1), generator=g)
    pick = torch.randint(0, len(spec["class_tokens"]), (n,), generator=g)
    classes = torch.tensor(spec["class_tokens"])[pick]
    ids = torch.cat([classes[:, None], ids], 1)                       # (n, block)
    dev = next(model.parameters()).device
    with torch.inference_mode():
        want = model(ids.to(dev)).float().cpu().numpy()              # (n, block, V)
    got = run_tokens(spec, ids.numpy())
    return float(np.abs(got - want).max()), float(np.abs(softmax(got) - softmax(want)).max())


def softmax(logits: np.ndarray) -> np.ndarray:
    """Over the last axis, in float64."""
    e = np.exp(logits - logits.max(-1, keepdims=True), dtype=np.float64)
    return e / e.sum(-1, keepdims=True)


def main(argv=None) -> None:
    """python -m playground.webgpt [root]: which shipped text models the page can run, their spec
    sizes and their error against torch."""
    import json
    from pathlib import Path

    import playground.models  # noqa: F401  (registers every family)
    from playground.base import GenerativeModel
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "pretrained"
    for folder in sorted(p.parent for p in root.glob("*/config.json")):
        model = GenerativeModel.from_pretrained(folder)
        if "text" not in model.capabilities:
            continue
        try:
            spec = export(model, folder.name)
        except NotExportable as err:
            print(f"{folder.name:20s} server only: {err}")
            continue
        size = len(json.dumps(spec))
        print(f"{folder.name:20s} in page: {spec['n_params']:,} params, {size:,} bytes of JSON, "
              f"max |page - torch| {check_error(model, spec, n=64, seed=1):.2g}")


if __name__ == "__main__":
    main(sys.argv[1:])

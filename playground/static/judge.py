"""The judge in the static folder: the digit classifier the Gradio page runs under Explore's canvas
to say what the decoded digit looks like ("looks like a 3 (82 %)", assets/webdecoder.js: describe,
verdict), shipped like the decoders (its spec as playground/judge.web_spec gives it to the app,
weights as int16 steps of one scale per tensor, the coarsest step that passes its check).

Its check is what the caption says, on digits it will meet: real validation digits and digits the
page's image models decode. On every one of them the page's top class must be torch's, and every
class's probability within TOLERANCE of torch's. A random-input check (the decoders') would judge
noise, where a classifier's answers mean nothing.

Why TOLERANCE = 0.005: the caption rounds the probability to a whole percent, so half a point
keeps the shown figure within one point of torch's exact probability (the bound the Gradio page's
own browser test holds its in-page judge to), and equal to torch's rounded one unless torch's lies
within half a point of a rounding edge.

The folder may have no room for it (25 MB, the decoders first): `smallest` says what its weights
take at the coarsest step of the ladder, before any check, so the build can leave it out (and say
so) without a search whose result it could not ship."""
from __future__ import annotations

import numpy as np
import torch

from playground import judge, webdecoder
from playground.data import mnist
from playground.store import ModelStore
import playground.static.weights as W

TOLERANCE = 0.005      # max |p_page - p_torch| of any class's probability (see the docstring)
VALIDATION = 128       # the first validation digits of the check set (each measurement runs the
                       # numpy reference on every image: ~25 ms an image)
SAMPLES = 8            # decoded samples per image model in the page, prior draws at T = 1
SEED = 0               # the prior draws' generator


def check_images(store: ModelStore, model_ids: list[str], shape: list[int]) -> np.ndarray:
    """The fixed check set, (N, H·W) float32 in [0, 1]: VALIDATION real validation digits, then
    SAMPLES digits decoded by torch from each of `model_ids` whose output has `shape` (conditional
    models cycle through their classes)."""
    images = [mnist("val")[0][:VALIDATION]]
    with torch.inference_mode():
        for model_id in model_ids:
            model, info = store.model(model_id), store.info(model_id)
            z = model.prior(SAMPLES, 1.0, torch.Generator().manual_seed(SEED))
            cond = torch.arange(SAMPLES) % info.n_classes if info.has("condition") else None
            x = model.decode(z, cond).float()
            if list(x.shape[1:]) == list(shape):
                images.append(x.clamp(0, 1))
    return torch.cat(images).flatten(1).numpy()


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def verdict_error(spec: dict, images: np.ndarray, want: np.ndarray) -> float:
    """max |p_spec - p_torch| over the images and classes, or inf when the spec's top class is not
    torch's on any of them (the caption would name another digit)."""
    got = softmax(webdecoder.run(spec, images).astype(np.float64))
    if (got.argmax(1) != want.argmax(1)).any():
        return float("inf")
    return float(np.abs(got - want).max())


def page_spec(root) -> dict | None:
    """The judge's page spec as the app serves it (inline float32 tensors, class names), or None
    when the judge is not shipped or its export fails its check."""
    import json
    body = judge.web_spec(root)
    return None if body is None else json.loads(body)


def smallest(spec: dict) -> int:
    """Bytes of the judge's weight files if every tensor the build may quantise took the ladder's
    coarsest step (no check): no passing step ships less."""
    n = 0
    for holder, key in W.tensor_slots(spec):
        a = webdecoder.unpack(holder[key])
        if a.size >= W.MIN_QUANTISED:
            raw, size = W.quantise(a, W.LADDER[0])[0].tobytes(), 2
        else:
            raw, size = np.ascontiguousarray(a, "<f4").tobytes(), 4
        n += len(W.blob_script("0" * 20, W.blob(raw, size)))
    return n


def export(spec: dict, root, store: ModelStore, model_ids: list[str],
           pool: W.Pool) -> tuple[dict, W.PartReport]:
    """The judge's page spec (`spec` with its tensors as blob references in `pool`, and its
    check) and report. Raises webdecoder.NotExportable when it misses its check even with float32
    weights."""
    model = judge.load(root)
    images = check_images(store, model_ids, spec["input_shape"])
    with torch.inference_mode():
        want = model.predict_proba(torch.from_numpy(images).reshape(-1, *spec["input_shape"]))
    want = want.double().numpy()
    page, _inline, report = W.shrink(model, spec, pool, tolerance=TOLERANCE,
                                     check_error=lambda s: verdict_error(s, images, want))
    report.measures = (f"every class's probability on {len(images)} digits ({VALIDATION} "
                       f"validation, {len(images) - VALIDATION} decoded), the top class torch's")
    page.update(error=float(f"{report.error:.3g}"), tolerance=TOLERANCE, checked=len(images))
    return page, report

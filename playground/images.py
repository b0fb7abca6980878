"""Image helpers shared by the services and the tabs: tensors to uint8, sheets of digits, and any
drawing or upload turned into a digit prepared like the training data, and a picture as base64
PNG text. numpy/PIL only."""
from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import numpy as np

from playground.errors import MAX_IMAGE_SIDE, PlaygroundError


def to_uint8(images) -> np.ndarray:
    """A (B, 1, H, W) tensor in [0, 1] → (B, H, W) uint8."""
    a = images.detach().float().cpu().numpy()[:, 0]
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


def grid(images: np.ndarray, ncol: int | None = None, pad: int = 1) -> np.ndarray:
    """(B, H, W) uint8 → one (rows·(H+pad)+pad, cols·(W+pad)+pad) uint8 sheet on a white ground."""
    b, h, w = images.shape
    ncol = ncol or math.ceil(math.sqrt(b))
    nrow = math.ceil(b / ncol)
    sheet = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad), 255, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, ncol)
        sheet[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return sheet


def drawing_from_digit(digit: np.ndarray, size: int) -> np.ndarray:
    """A (h, w) uint8 digit, white ink on black as the data is (`to_uint8`) → a (size, size, 4)
    uint8 RGBA canvas as a sketchpad sends a drawing: black ink on opaque white paper, the ink the
    digit scaled up smoothly (a brush's soft edge, not blocks). `digit_from_image` reads it back to
    about the digit: the example a drawing sub-tab opens with."""
    from PIL import Image
    if digit.dtype != np.uint8 or digit.ndim != 2:
        raise ValueError(f"a digit is (h, w) uint8, got {digit.dtype} of shape {digit.shape}")
    ink = np.asarray(Image.fromarray(digit).resize((size, size), Image.BILINEAR))  # (size, size)
    canvas = np.full((size, size, 4), 255, np.uint8)                               # white, opaque
    canvas[..., :3] = (255 - ink)[..., None]
    return canvas


def digit_from_image(image, size: int = 28) -> np.ndarray:
    """Any drawing or upload → a (size, size) float32 digit in [0, 1] prepared like MNIST: ink is
    white on black, cropped to its bounding box, scaled to fit 20/28 of the side keeping its
    aspect, and centred by its centre of mass."""
    from PIL import Image
    if image is None:
        raise PlaygroundError("draw a digit or upload an image first")
    if isinstance(image, (str, Path)):  # an uploaded file: check what it is before decoding it
        try:
            with Image.open(image) as im:
                if max(im.size) > MAX_IMAGE_SIDE:
                    raise PlaygroundError(f"image is {im.size[0]}x{im.size[1]} pixels; the most is "
                                          f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}")
                image = np.asarray(im.convert("RGBA"))
        except (OSError, ValueError, Image.DecompressionBombError) as err:
            if isinstance(err, PlaygroundError):
                raise
            raise PlaygroundError("that file is not an image PIL can read (use PNG, JPEG, WebP, "
                                  "GIF or BMP)") from None
    if isinstance(image, dict):  # Gradio's ImageEditor value: use what the person sees
        image = image.get("composite")
        if image is None:
            raise PlaygroundError("draw a digit or upload an image first")
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGBA"))
    try:
        a = np.asarray(image, dtype=np.float32)
    except (TypeError, ValueError):
        raise PlaygroundError("that is not an image")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or min(a.shape[:2]) < 4:
        raise PlaygroundError(f"that is not an image (an array of shape {a.shape})")
    if max(a.shape[:2]) > MAX_IMAGE_SIDE:
        raise PlaygroundError(f"image is {a.shape[1]}x{a.shape[0]} pixels; the most is "
                              f"{MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}")
    if not np.isfinite(a).all():
        raise PlaygroundError("image contains NaN or infinity")
    a = a / 255.0 if a.max() > 1.0 else a
    if a.ndim == 2:
        gray, alpha = a, np.ones_like(a)
    else:
        gray = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
        alpha = a[..., 3] if a.shape[2] == 4 else np.ones_like(gray)
    if alpha.min() < 0.99:          # strokes on a transparent layer: ink is opaque and dark
        ink = alpha * (1 - gray)
        if ink.max() < 0.1:         # ...or light strokes on transparency
            ink = alpha * gray
    else:                           # an opaque picture: dark ink on light paper, or the reverse
        ink = 1 - gray
        border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
        if np.median(border) > 0.5:
            ink = 1 - ink
    ink = np.clip(ink, 0, 1)
    if ink.max() < 0.1 or (ink > 0.1 * ink.max()).sum() < 3:
        raise PlaygroundError("the drawing is empty: draw a digit first")
    ys, xs = np.nonzero(ink > 0.1 * ink.max())
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1] / ink.max()
    box = max(2, round(size * 20 / 28))
    h, w = crop.shape
    k = box / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize((nw, nh), Image.LANCZOS),
                       np.float32) / 255.0
    out = np.zeros((size, size), np.float32)
    total = small.sum()
    cy = (small.sum(1) @ np.arange(nh)) / total if total else nh / 2
    cx = (small.sum(0) @ np.arange(nw)) / total if total else nw / 2
    top = int(np.clip(round(size / 2 - cy - 0.5), 0, size - nh))
    left = int(np.clip(round(size / 2 - cx - 0.5), 0, size - nw))
    out[top:top + nh, left:left + nw] = small
    return np.clip(out, 0, 1)


def png_base64(image: np.ndarray, optimize: bool = False) -> str:
    """A uint8 image (H, W) or (H, W, C) as base64 PNG text (lossless); `optimize` trades CPU for
    a few bytes (files shipped once, not a picture made per request)."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=optimize)
    return base64.b64encode(buf.getvalue()).decode("ascii")

"""One validator per kind of classroom input. Each takes what a client sent (parsed JSON) and
returns the clean value to store, or raises RoomError with a message for the person who sent it.
Pure: no database, no Gradio."""
from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata

from playground.errors import PlaygroundError, check_latent

DRAWING_SIDE = 28          # drawings are MNIST-sized: what every encoder here reads
MAX_NAME_CHARS = 40        # a display name, not an essay
MAX_LATENT_DIM = 1024      # the largest latent here is a diffusion model's 784-pixel noise
MAX_TEXT_CHARS = 200       # a question's text
MAX_ANSWER_CHARS = 60      # a free answer: a word or a number, shown in a histogram
MAX_CHOICES = 12           # histogram bars a board can show
MAX_ROUND_ITEMS = 12       # images in one real-or-generated round
_MODEL_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_CODE = re.compile(r"[A-Z0-9]{4,12}")


class RoomError(PlaygroundError):
    """A refused classroom request: `status` is the HTTP status it becomes (400 by default)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def refuse(check, *args, **kw):
    """Run a playground.errors validator, its PlaygroundError becoming a 400 RoomError."""
    try:
        return check(*args, **kw)
    except RoomError:
        raise
    except PlaygroundError as err:
        raise RoomError(str(err)) from None


def check_object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise RoomError(f"{what} must be a JSON object")
    return value


def check_text(value, what: str, limit: int) -> str:
    """Printable text, trimmed, 1..limit characters; control characters refused. Markup is kept
    as typed: pages show it as text, never as HTML."""
    if not isinstance(value, str):
        raise RoomError(f"{what} must be text")
    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        raise RoomError(f"{what} must not be empty")
    if len(text) > limit:
        raise RoomError(f"{what} is {len(text)} characters; the most is {limit}")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text):
        raise RoomError(f"{what} contains control or unassigned characters")
    return text


def check_name(value) -> str:
    return check_text(value, "name", MAX_NAME_CHARS)


def check_code(value) -> str:
    """A room code as a person types it: case and spaces forgiven."""
    code = value.strip().upper().replace(" ", "").replace("-", "") if isinstance(value, str) else ""
    if not _CODE.fullmatch(code):
        raise RoomError("a room code is 4 to 12 letters and digits", 404)
    return code


def check_model_id(value, latent_dims: dict | None = None) -> str:
    """A model id: the known ones when the service was told them, else a plausible id (never a path)."""
    if not isinstance(value, str) or not _MODEL_ID.fullmatch(value):
        raise RoomError("model must be a model id such as vae-mnist-2d")
    if latent_dims is not None and value not in latent_dims:
        raise RoomError(f"unknown model {value!r}")
    return value


def check_room_latent(model, z, latent_dims: dict | None = None) -> tuple[str, list[float]]:
    """(model, z): z as many finite numbers within ±MAX_LATENT_ABS as the model has dims."""
    model = check_model_id(model, latent_dims)
    if latent_dims is not None:
        dim = latent_dims[model]
    elif isinstance(z, list) and 0 < len(z) <= MAX_LATENT_DIM:
        dim = len(z)
    else:
        raise RoomError(f"z must be a list of 1 to {MAX_LATENT_DIM} numbers")
    if isinstance(z, list) and any(isinstance(v, bool) for v in z):
        raise RoomError("z must contain only numbers")
    values = refuse(check_latent, z, dim, "z")
    return model, [round(float(v), 4) for v in values]


def check_drawing(value) -> str:
    """A 28x28 drawing: base64 of 784 grey bytes, row by row, 0 paper and 255 ink, with some ink."""
    if not isinstance(value, str) or len(value) > 2 * DRAWING_SIDE ** 2:
        raise RoomError(f"pixels must be base64 of {DRAWING_SIDE}x{DRAWING_SIDE} bytes")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RoomError("pixels must be base64") from None
    if len(raw) != DRAWING_SIDE ** 2:
        raise RoomError(f"pixels hold {len(raw)} bytes; a drawing is {DRAWING_SIDE}x{DRAWING_SIDE} "
                        f"= {DRAWING_SIDE ** 2}")
    if not any(raw):
        raise RoomError("the drawing is empty")
    return base64.b64encode(raw).decode()


def check_question(value) -> dict | None:
    """A lesson question: {"text", "choices": [...]} (a histogram of choices) or {"text"} alone
    (short free answers, counted as typed). None clears it."""
    if value is None:
        return None
    q = check_object(value, "question")
    unknown = set(q) - {"text", "choices"}
    if unknown:
        raise RoomError(f"question has unknown fields: {', '.join(sorted(unknown))[:80]}")
    out = {"text": check_text(q.get("text"), "question text", MAX_TEXT_CHARS)}
    if q.get("choices") is not None:
        choices = q["choices"]
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise RoomError(f"choices must be a list of 2 to {MAX_CHOICES} answers")
        out["choices"] = [check_text(c, "choice", MAX_ANSWER_CHARS) for c in choices]
        if len(set(out["choices"])) != len(out["choices"]):
            raise RoomError("choices must differ")
    return out


def check_answer(value, question: dict) -> str:
    """An answer to `question`: one of its choices, or short text (a number is kept as typed)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        value = f"{value:g}"
    text = check_text(value, "answer", MAX_ANSWER_CHARS)
    if "choices" in question and text not in question["choices"]:
        raise RoomError(f"answer must be one of {', '.join(question['choices'])[:200]}")
    return text


def check_round(value) -> list[dict]:
    """The images of a real-or-generated round: [{"pixels": base64 28x28, "real": bool}, ...]."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ROUND_ITEMS:
        raise RoomError(f"a round has 1 to {MAX_ROUND_ITEMS} images")
    items = []
    for item in value:
        item = check_object(item, "a round image")
        if not isinstance(item.get("real"), bool):
            raise RoomError("each round image says whether it is real (true or false)")
        items.append({"pixels": check_drawing(item.get("pixels")), "real": item["real"]})
    return items

"""Where this app changes Gradio's own behaviour, in one place, each change with its measurement.
tests/test_gradio_fixes.py fails when Gradio's code under a patch changes, so each patch is
re-checked (and dropped once Gradio fixes the problem itself)."""
from __future__ import annotations

import os
from pathlib import Path

from playground.files import write_atomic

# Gradio (6.31) leaves two animation loops running for the life of the page: the status tracker
# of the app's own loading screen starts its elapsed-time timer and its loader's spring, and is
# removed while still "pending", so both re-request a frame forever (even in an app of one
# Markdown). A page that asks for frames every frame is on the display's clock: a slider move
# then waits for the next frame (8 ms median, up to 16.7) before the page's decoder may run,
# where an idle page runs it at once. Measured in Chromium on the Explore tab, slider to painted
# frame, vae-mnist-2d (python -m playground.bench, quiet machine): 13.8 ms median, 19.2 p90 with
# the loops; 3.6 and 5.2 with this script.
# This script sends a frame request made by the status tracker's code (or by the motion loop it
# started) to a 250 ms timer instead, while no status tracker is shown: what those loops draw is
# then invisible. A tracker shown again gets its frames back within 250 ms. Gradio's modules keep
# the requestAnimationFrame they find when they load, and add launch(head=...) later, so
# FirstInHead puts this script at the top of the page's <head>.
IDLE_FRAMES_JS = """(() => {
  const raf = window.requestAnimationFrame.bind(window), caf = window.cancelAnimationFrame.bind(window);
  const loops = new WeakSet();  // callbacks seen animating a status tracker
  const shown = () => document.querySelector('[data-testid="status-tracker"]:not(.hide)') !== null;
  window.requestAnimationFrame = cb => {
    if (!loops.has(cb) && /\\/statustracker-[^/]*\\.js/.test(new Error().stack || '')) loops.add(cb);
    if (!loops.has(cb) || shown()) return raf(cb);
    return -setTimeout(() => cb(performance.now()), 250);
  };
  window.cancelAnimationFrame = id => (id < 0 ? clearTimeout(-id) : caf(id));
})();"""


class FirstInHead:
    """ASGI middleware: every HTML page the app serves gets IDLE_FRAMES_JS as the first element of
    its <head>, ahead of Gradio's own scripts."""
    TAG = f"<script>{IDLE_FRAMES_JS}</script>".encode()

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        start, chunks = None, []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html") or \
                        headers.get(b"content-encoding"):
                    return await send(message)          # not a page: pass through untouched
                start = message
                return None
            if start is None:
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            body = b"".join(chunks)
            at = body.lower().find(b"<head>")
            if at >= 0:
                body = body[:at + 6] + self.TAG + body[at + 6:]
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def write_image_cache_atomically() -> None:
    """Gradio (6.31) saves a generated image in its cache under the hash of its bytes with
    Path.write_bytes, which empties the file before writing it: when two requests make the same
    image at once (a class pressing "Sample a grid" on seed 0), one may be served the file while
    the other is rewriting it, and gets an empty body (23 of 592 identical concurrent API calls,
    measured; tests/test_api.py). Here the file is written under a temporary name and renamed into
    place, so a reader gets the whole file. An existing file of that hash is already those bytes:
    it is only touched, as the rewrite did, so the hourly cache sweep (by ctime) spares it."""
    from gradio import processing_utils as pu
    if getattr(pu.save_pil_to_cache, "atomic", False):
        return

    def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
        data = pu.encode_pil_to_bytes(img, format)
        path = (Path(cache_dir) / pu.hash_bytes(data) / f"{name}.{format}").resolve()
        try:
            if path.stat().st_size == len(data):
                os.utime(path)
                return str(path)
        except FileNotFoundError:
            pass
        return str(write_atomic(path, data))

    save_pil_to_cache.atomic = True
    save_pil_to_cache.replaces = pu.save_pil_to_cache
    pu.save_pil_to_cache = save_pil_to_cache


def tune_gradio() -> None:
    """Gradio settings measured here; call before `demo.queue()` (the queue reads the variables).
    Gradio recomputes a pandas summary of its last 10,000 events after every event, for the
    monitoring page this app turns off: +17 ms of server CPU per call once that log is full. It is
    never recomputed, and the log is kept short (bounded memory). Cache images written atomically;
    unreadable inputs refused clearly."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**31))
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    write_image_cache_atomically()
    refuse_unreadable_inputs()


def refuse_unreadable_inputs() -> None:
    """Gradio (6.31) turns a value its component cannot read (text in a Slider, NaN in a whole
    Number, a malformed file record) into a ComponentProcessingError or a pydantic ValidationError,
    which the page and the API show as a bare "Error" (show_error=False hides its text) and the
    direct HTTP route as a 500; and it rounds a fraction given to a whole-number input silently.
    Here each becomes a gr.Error naming the input, the same clear refusal the app's own
    validators give."""
    import math
    import re

    import pydantic
    from gradio import blocks, components, exceptions
    if getattr(blocks.Blocks.preprocess_data, "refuses_unreadable", False):
        return
    original = blocks.Blocks.preprocess_data

    async def preprocess_data(self, block_fn, inputs, state, explicit_call=False):
        # A whole-number input (gr.Number(precision=0): seeds, indices) rounds 2.5 to 2 without a
        # word; a fraction there is refused instead, as the app's own validators refuse it.
        for block, value in zip(block_fn.inputs, inputs):
            if (isinstance(block, components.Number) and block.precision == 0
                    and isinstance(value, float) and math.isfinite(value) and value != int(value)):
                raise exceptions.Error(f"{block.label or 'a whole-number input'} must be a whole "
                                       f"number, got {value:g}", print_exception=False)
        try:
            return await original(self, block_fn, inputs, state, explicit_call)
        except exceptions.ComponentProcessingError as err:
            found = re.search(r"at index (\d+)", str(err))
            block = block_fn.inputs[int(found[1])] if found else None
            name = getattr(block, "label", None) or (block.get_block_name() if block else "an input")
            value = inputs[int(found[1])] if found and int(found[1]) < len(inputs) else None
            raise exceptions.Error(f"{name} cannot take {str(value)[:40]!r}: "
                                   f"{err.__cause__ or 'unreadable value'}", print_exception=False) from None
        except pydantic.ValidationError:
            raise exceptions.Error("a file input got something that is not a file record "
                                   "(upload an image instead)", print_exception=False) from None

    preprocess_data.refuses_unreadable = True
    preprocess_data.replaces = original
    blocks.Blocks.preprocess_data = preprocess_data

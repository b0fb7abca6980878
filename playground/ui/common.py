"""Helpers shared by the tabs: turning backend errors into messages the page shows, each tab's
default model, and the model card line."""
from __future__ import annotations

import functools
import logging
import inspect

import gradio as gr

from playground.errors import PlaygroundError

log = logging.getLogger(__name__)


def user_errors(fn):
    """Show a PlaygroundError to the user as a gr.Error (the server keeps running). Works for
    streaming handlers (generator functions) too, which Gradio recognises by their type."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except PlaygroundError as err:
                raise gr.Error(str(err), print_exception=False) from None
        return stream

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except PlaygroundError as err:
            raise gr.Error(str(err), print_exception=False) from None
    return wrapper


def card_markdown(info) -> str:
    """The model picker's summary: one line, what the model can do, its headline metrics."""
    caps = ", ".join(sorted(info.capabilities))
    shown = {k: v for k, v in info.metrics.items() if isinstance(v, (int, float))}
    metrics = " · ".join(f"{k.replace('_', ' ')} **{v:.4g}**" for k, v in list(shown.items())[:5])
    latent = f"{info.latent_dim}-D latent" if info.latent_dim else "no latent"
    return (f"**{info.id}** ({info.family}, {latent}; {caps})  \n{info.summary}  \n"
            f"<small>{metrics}</small>")


def default_model(models: list):
    """A tab's default: the first model with what it needs (the backend lists models in their
    config's UI order, then by id), or None when no model has it."""
    return models[0] if models else None


def no_model(what: str) -> gr.Markdown:
    """What a tab shows instead of its controls when no installed model can do its job."""
    return gr.Markdown(f"No model here can {what}.", elem_classes="no-model")


# ---- sampler knobs (base.Knob): one control per knob some family declares ---------------------
def opening_knobs(info) -> list:
    """Every knob control's value (`all_knobs()` order) when the model `info` is opened: its
    family's defaults (a family may set its own default of a shared knob)."""
    from playground.base import all_knobs, own_default
    return [own_default(k, info.knobs) for k in all_knobs()]


def knob_controls(first, tab: str) -> list:
    """A control for each knob of `all_knobs()`, in that order, visible when the model `first`
    declares it; the handlers take their values last, in the same order (`knob_values`)."""
    from playground.base import all_knobs
    declared = {k.name for k in first.knobs}
    controls = []
    for k, value in zip(all_knobs(), opening_knobs(first)):
        common = dict(label=k.label, info=k.info, visible=k.name in declared,
                      elem_id=f"{tab}-knob-{k.name}", value=value)
        controls.append(gr.Radio(list(k.choices), **common) if k.choices else
                        gr.Slider(k.low, k.high, step=1 if k.integer else 0.1, **common))
    return controls


def knob_updates(info) -> list:
    """Show the knobs the chosen model declares, at its defaults; hide the rest."""
    from playground.base import all_knobs
    declared = {k.name for k in info.knobs}
    return [gr.update(visible=True, value=value) if k.name in declared
            else gr.update(visible=False) for k, value in zip(all_knobs(), opening_knobs(info))]


def first_look(make, what: str):
    """What a tab shows before anyone presses its button: `make()` (the tab's own handler at its
    default knobs) run once while the page is built, so a fresh page already holds a result and
    sends no request for it. None (the empty output of before) when it fails: logged, never a
    reason for the app not to start."""
    try:
        return make()
    except Exception as err:  # noqa: BLE001 (a first look is a courtesy; the button still works)
        log.warning("no first look for %s: %s", what, err)
        return None


def sampling_progress(progress, n: int):
    """Gradio's progress bar as the services' progress callback (share done, 0–1)."""
    return lambda done: progress(done, desc=f"sampling {n} images: {round(done * n)} done")


def knob_values(values) -> dict:
    """The knob controls' values by name (the services check them)."""
    from playground.base import all_knobs
    return {k.name: v for k, v in zip(all_knobs(), values)}

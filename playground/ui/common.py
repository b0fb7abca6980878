"""Helpers shared by the tabs: turning backend errors into messages the page shows, each tab's
default model, and the model card line."""
from __future__ import annotations

import functools
import inspect

import gradio as gr

from playground.errors import PlaygroundError


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

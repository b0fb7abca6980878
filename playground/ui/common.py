"""Helpers shared by the tabs: turning backend errors into messages the page shows, and images."""
from __future__ import annotations

import functools
import inspect

import gradio as gr

from playground.backend import PlaygroundError


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

"""Tools: hands-on experiments, one sub-tab per module (interpolate, latent arithmetic, class ×
style, your digit with its anomaly score, a drawing inverted to its noise, nearest training neighbours, completion, export). The
logic is playground/tools/; each module here lays out its controls, draws its figures and writes
its downloads in module-level handlers that take the tools service first (bound at wiring time),
so tests call them directly. Each sub-tab lists only the models with the capabilities it needs.
Six whose first result costs seconds or needs a drawing open on one stored when the app was
shipped (first_look.py); the drawing ones with an example digit already drawn."""
from __future__ import annotations

import gradio as gr

from playground.backend import Backend
from playground.tools import Tools
from playground.ui.tools.arithmetic import create_arithmetic_tab
from playground.ui.tools.completion import create_completion_tab
from playground.ui.tools.digit import create_digit_tab
from playground.ui.tools.export import create_export_tab
from playground.ui.tools.interpolation import create_interpolation_tab
from playground.ui.tools.inversion import create_inversion_tab
from playground.ui.tools.neighbours import create_neighbours_tab
from playground.ui.tools.style import create_style_tab


def create_tools_tab(backend: Backend, explore: dict | None = None, tabs=None) -> dict:
    """The Tools tab; `explore` (Explore's components) and `tabs` let "Your digit" open its latent
    in Explore."""
    # imported here, not above: `python -m playground.ui.tools.first_look` imports this package first
    from playground.ui.tools.first_look import shipped
    tools = Tools(backend)
    looks = shipped(tools)  # six sub-tabs' results at their defaults, stored when shipped (ms)
    with gr.Tab("Tools", id="tools"):
        with gr.Tabs() as inner:  # a view selects a sub-tab by its id
            create_interpolation_tab(tools)
            create_arithmetic_tab(tools, looks["arithmetic"])
            create_style_tab(tools, looks["style"])
            create_digit_tab(tools, explore, tabs, looks["digit"], looks["anomaly"])
            create_inversion_tab(tools, looks["inversion"])
            create_neighbours_tab(tools, looks["neighbours"])
            create_completion_tab(tools, looks["completion"])
            create_export_tab(tools)
    return {"tools": tools, "tabs": inner}

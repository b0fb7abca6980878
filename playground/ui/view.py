"""Applying a view (playground/view.py: the fields, their ranges, the JS entry points) to the
Gradio page: the one handler behind share links (?model=&z=...), lesson steps' "Show me" and the
classroom's "follow the teacher".

Each tab that a view can set gives a Target: the components it sets and a function from a View to
their updates. The page's `window.latentWeb.applyView(view)` (assets/view.js) keeps the view and
clicks the hidden #apply-view button, whose event hands it to `apply_view` as JSON; a link's query
goes through `open_link` when the page loads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import gradio as gr

from playground.errors import PlaygroundError
from playground.view import View

# The hidden button's event takes the view the page keeps (assets/view.js), not a component value.
TAKE_VIEW_JS = "(_) => window.latentWeb.takeView()"
MAX_VIEW_JSON = 4000  # characters: a view is ~12 short fields


@dataclass
class Target:
    """One tab's part of a view: which view tabs it serves, the components it sets, and the
    function that turns a View for those tabs into one update per component."""
    tabs: tuple[str, ...]
    outputs: list
    apply: Callable[[View], tuple]


def given(value):
    """A view's field as an update: left as it is when the view leaves it out."""
    return gr.skip() if value is None else value


def sampler_knobs(view: View, info) -> list:
    """Updates for a tab's sampler knob controls (common.knob_controls' order): shown as the
    view's model declares them (left as they are without a model), set to the view's values or
    else the model's defaults."""
    from playground.base import all_knobs
    from playground.ui.common import opening_knobs
    declared = None if info is None else {k.name for k in info.knobs}
    opening = [None] * len(all_knobs()) if info is None else opening_knobs(info)
    out = []
    for k, default in zip(all_knobs(), opening):
        u = {} if declared is None else {"visible": k.name in declared}
        if k.name in view.knobs:
            u["value"] = view.knobs[k.name]
        elif declared and k.name in declared:
            u["value"] = default
        out.append(gr.update(**u) if u else gr.skip())
    return out


def registered(backend) -> dict:
    """The models a view may name: the shipped ones (never a session's or a path)."""
    return {m.id: m for m in backend.models()}


def updates(view: View, targets: list[Target]) -> list:
    """The outer tabs, the Tools sub-tabs, then every target's outputs (skipped unless the view's
    tab is one it serves)."""
    top = None if view.tab is None else view.tab.split("-")[0] if view.tab.startswith("tools-") \
        else view.tab
    out = [gr.Tabs(selected=top) if top else gr.skip(),
           gr.Tabs(selected=view.tab) if view.tab and view.tab.startswith("tools-") else gr.skip()]
    for target in targets:
        if view.tab in target.tabs:
            out.extend(target.apply(view))
        else:
            out.extend([gr.skip()] * len(target.outputs))
    return out


def skips(targets: list[Target]) -> list:
    return [gr.skip()] * (2 + sum(len(t.outputs) for t in targets))


def apply_view(backend, targets: list[Target], payload):
    """Set the page to a view (JSON of View.to_dict's shape): its tab, the tab's model, class,
    temperature, seed, sliders and knobs. A bad view is refused with its reason."""
    try:
        if not isinstance(payload, str) or len(payload) > MAX_VIEW_JSON:
            raise PlaygroundError(f"a view is JSON text of at most {MAX_VIEW_JSON} characters")
        try:
            raw = json.loads(payload)
        except ValueError:
            raise PlaygroundError("a view must be JSON") from None
        view = View.from_dict(raw, registered(backend))
        return updates(view, targets)
    except PlaygroundError as err:
        raise gr.Error(f"This view could not be opened: {err}", print_exception=False) from None


def open_link(backend, targets: list[Target], request: gr.Request):
    """Open the view a link describes (?model=&mode=&t=&seed=&class=&rest=&z=..., ?tab=...); a
    link with neither a tab nor a model (a lesson link, no link) leaves the page as it opens."""
    q = dict(request.query_params) if request else {}
    if not {"tab", "model"} & set(q):
        return skips(targets)
    try:
        return updates(View.from_query(q, registered(backend)), targets)
    except PlaygroundError as err:
        gr.Warning(f"This link could not be opened: {err}")
        return skips(targets)


def wire_views(demo: gr.Blocks, backend, tabs, tools_tabs, targets: list[Target]) -> None:
    """The hidden button applyView clicks, and the link opened on load: one handler each, the
    same updates."""
    def apply_page_view(payload):
        """Apply a view (JSON) to the page; see playground/view.py."""
        return apply_view(backend, targets, payload)

    def open_page_link(request: gr.Request):  # Gradio passes the request by this annotation
        return open_link(backend, targets, request)

    payload = gr.Textbox(visible=False)
    button = gr.Button("apply a view", visible="hidden", elem_id="apply-view")
    outputs = [tabs, tools_tabs, *(c for t in targets for c in t.outputs)]
    button.click(apply_page_view, payload, outputs, js=TAKE_VIEW_JS, api_visibility="private",
                 show_progress="hidden")
    # hidden: a page opened without a link must not flash a spinner over every tab's outputs
    demo.load(open_page_link, None, outputs, api_visibility="private", show_progress="hidden")

"""The lesson panel above the tabs: lessons/*.md (playground/lessons.py) rendered in the page by
assets/lessons.js, the script the static folder runs too. A step stays in sight while its
"Show me" sets the tabs below through latentWeb.applyView (playground/ui/view.py)."""
from __future__ import annotations

import logging

import gradio as gr

from playground.lessons import load, page_data
from playground.ui.view import registered

# The page's script builds the panel inside this element from the `lessons` prop.
MOUNT_JS = "if (window.latentLessons) window.latentLessons.mount(element.querySelector('.lessons-root'), props.lessons);"


def create_lessons_panel(backend) -> gr.HTML:
    """The panel; a lesson file that fails its check is left out and named in the panel (the
    test suite checks every shipped file)."""
    errors: list[str] = []
    data = page_data(load(registered(backend), errors=errors), errors)
    for err in errors:
        logging.getLogger(__name__).warning(err)
    return gr.HTML('<div class="lessons-root"></div>', elem_id="lessons", js_on_load=MOUNT_JS,
                   lessons=data)

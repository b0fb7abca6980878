"""build_demo(): the whole page, one `create_<tab>_tab(backend)` per tab; launch_kwargs(): hardened
launch settings shared by app.py and the tests."""
from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

from playground.backend import Backend
from playground.ui.conditional import create_conditional_tab
from playground.ui.explore import create_explore_tab

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"


def build_demo(backend: Backend | None = None) -> gr.Blocks:
    backend = backend or Backend()
    with gr.Blocks(title="Latent Space Playground") as demo:
        gr.Markdown("# Latent Space Playground\nSee how generative models work: slide through "
                    "latent spaces, turn the temperature, ask for a class.")
        with gr.Tabs():
            create_explore_tab(backend)
            create_conditional_tab(backend)
    demo.queue(default_concurrency_limit=4)
    return demo


def launch_kwargs() -> dict:
    """Hardened defaults: localhost unless the host (e.g. Spaces) sets GRADIO_SERVER_NAME, no share
    link, no monitoring endpoint, small uploads, no extra file access."""
    return dict(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("PORT", os.environ.get("GRADIO_SERVER_PORT", 7860))),
        share=False,
        enable_monitoring=False,
        max_file_size="2mb",
        allowed_paths=[],
        show_error=False,
        css_paths=[ASSETS / "style.css"],
        footer_links=["api", "gradio"],
    )

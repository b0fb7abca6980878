"""build_demo(): the whole page, one `create_<tab>_tab(backend)` per tab; launch_kwargs(): hardened
launch settings shared by app.py and the tests."""
from __future__ import annotations

import os
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from playground.backend import Backend
from playground.classroom.http import classroom_routes
from playground.runtime import limit_malloc_arenas
from playground.ui.gradio_fixes import FirstInHead, tune_gradio
from playground.ui.http_errors import MIDDLEWARE
from playground.ui.classroom import create_classroom_tab
from playground.ui.conditional import create_conditional_tab
from playground.ui.evaluate import create_evaluate_tab
from playground.ui.explore import create_explore_tab
from playground.ui.latent_map import create_latent_map_tab
from playground.ui.lessons import create_lessons_panel
from playground.ui.steps import create_steps_tab
from playground.ui.text import create_text_tab
from playground.ui.tools import create_tools_tab
from playground.ui.train_live import create_train_live_tab
from playground.ui.view import wire_views
from playground.ui.web_routes import web_routes

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
# inline in the page's head: no CDN, no static route. classroom.js: the Classroom tab's live parts
HEAD_SCRIPTS = ("webdecoder.js", "webencoder.js", "view.js", "lessons.js", "classroom.js",
                "connection.js", "touchpad.js")


def build_demo(backend: Backend | None = None, *, warm_up: bool = False) -> gr.Blocks:
    """The page. `warm_up`: after start-up, preload the map's digits and pay UMAP's one-off numba
    compilation in a low-priority daemon thread (app.py does when run as a server)."""
    backend = backend or Backend()
    limit_malloc_arenas()  # a server's threads share 2 malloc arenas: bounded RSS (see backend)
    tune_gradio()
    # Generated images live in Gradio's cache; files older than an hour are swept every 10 minutes
    # so a long-running classroom server does not fill its disk.
    with gr.Blocks(title="Latent Space Playground", delete_cache=(600, 3600)) as demo:
        gr.Markdown("# Latent Space Playground\nSee how generative models work: slide through "
                    "latent spaces, turn the temperature, ask for a class.")
        create_lessons_panel(backend)  # above the tabs: a step stays in sight as they change
        with gr.Tabs() as tabs:
            explore = create_explore_tab(backend)  # later tabs read its latent
            conditional = create_conditional_tab(backend)
            latent_map = create_latent_map_tab(backend, explore)
            tools = create_tools_tab(backend, explore, tabs)
            text = create_text_tab(backend)
            steps = create_steps_tab(backend)
            live = create_train_live_tab(backend, explore, tabs)  # keeps a trained model for Explore
            evaluate = create_evaluate_tab(backend)
            create_classroom_tab(backend)  # pushes and follows views (playground/view.py)
        # What a view (share link, lesson step, classroom) sets, tab by tab (None: no such tab).
        targets = [t for t in (explore and explore["target"], conditional,
                               latent_map and latent_map["target"], text, steps, live, evaluate)
                   if t is not None]
        wire_views(demo, backend, tabs, tools["tabs"], targets)
    demo.queue(**queue_kwargs())
    if warm_up:
        from playground.projection import warm_up_in_background
        warm_up_in_background(delay=5.0, before=backend.preload_map_data)
    return demo


def queue_kwargs() -> dict:
    """Gradio's queue: 4 events of a kind at once, and at most PLAYGROUND_QUEUE_SIZE (default 64)
    waiting in all. Past that a request is refused at once with Gradio's "This application is
    currently busy. Please try again." (HTTP 503 to API clients) instead of joining a queue that
    grows without bound under a class's load: 64 is two waiting events for each of 30 students,
    about 3 s of slider decodes at the 22 req/s this machine serves."""
    size = os.environ.get("PLAYGROUND_QUEUE_SIZE", "64")
    if not size.isdigit() or not 1 <= int(size) <= 10_000:
        raise ValueError(f"PLAYGROUND_QUEUE_SIZE must be a whole number from 1 to 10000, got {size[:20]!r}")
    return {"default_concurrency_limit": 4, "max_size": int(size)}


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
        # The in-page decoder (and the judge's ops), then the page's view entry points
        # (latentWeb.applyView, ...), inline: no CDN, no static route.
        head="".join(f"<script>{(ASSETS / name).read_text()}</script>" for name in HEAD_SCRIPTS),
        footer_links=["api", "gradio"],
        # PLAYGROUND_MCP=1 also serves every public endpoint as an MCP tool (their docstrings
        # are the tool descriptions) at /gradio_api/mcp/.
        mcp_server=os.environ.get("PLAYGROUND_MCP", "").lower() in ("1", "true", "yes"),
        # A wrong-shaped body on the direct-call routes gets 404/422, not Gradio's 500. The page
        # gets the frame fix of gradio_fixes.py at the top of its <head>. The classroom's JSON
        # API and event streams (/classroom/...) and the page's judge (/web/judge.json) are
        # routes of the same app, outside Gradio's per-event queue.
        app_kwargs={"middleware": [*MIDDLEWARE, Middleware(FirstInHead)],
                    "routes": classroom_routes() + web_routes()},
    )

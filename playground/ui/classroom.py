"""Classroom: a teacher opens a room, pushes what their Explore tab shows, asks questions, runs a
real-or-generated round and watches the board; students join with the room's code and a name,
follow the teacher's view and send latents, drawings, answers and votes.

The live parts run in the page (assets/classroom.js) against the room's HTTP API (/classroom/,
playground/classroom/http.py): joining, following (an EventSource), pushing, submitting. A view is
playground/view.py's, read with latentWeb.currentView() and applied with latentWeb.applyView()
(assets/view.js). Gradio events serve only what needs the models, for one person at a time: the
teacher's board (a timer that runs only once the teacher has a room) and a round's images."""
from __future__ import annotations

import base64
import html
import json
import re

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from playground.backend import Backend
from playground.classroom.checks import RoomError
from playground.classroom.http import CLASSROOM
from playground.errors import PlaygroundError
from playground.images import png_base64
from playground.lru import LRU
from playground.ui.plots import map_figure

BOARD_POINTS = 1000   # the newest latents and drawings on the board; more hide each other
ROUND_SIZE = 6        # images per real-or-generated round: half real, half generated
BOARD_EVERY_S = 1.5   # the teacher's board refresh; students' pages never run it

# (submission id, map model, method) → (x, y, decoded digit as a PNG data URL) or None: each
# submission is placed and decoded once, not on every refresh of the board
_placed: LRU = LRU(20_000)

PANEL_HTML = """
<div id="classroom">
 <div class="cr-side" id="cr-student-side">
  <h3>Join a class</h3>
  <div id="cr-join">
   <input id="cr-join-code" placeholder="room code" maxlength="12" autocomplete="off">
   <input id="cr-join-name" placeholder="your name" maxlength="40" autocomplete="off">
   <button id="cr-join-button" class="cr-primary">Join</button>
  </div>
  <div id="cr-seat" hidden>
   <p><b id="cr-seat-name"></b> <button id="cr-leave">Leave</button></p>
   <p><button id="cr-send-latent">Send my Explore latent</button></p>
   <p><canvas id="cr-draw" width="168" height="168" aria-label="drawing pad"></canvas><br>
      <button id="cr-send-drawing">Send my drawing</button> <button id="cr-clear">Clear</button></p>
   <div id="cr-question" hidden></div>
   <div id="cr-round-items" hidden></div>
   <p id="cr-sent" role="status"></p>
  </div>
  <p id="cr-student-status" role="status"></p>
 </div>
 <div class="cr-side" id="cr-teacher-side">
  <h3>Teach</h3>
  <button id="cr-create" class="cr-primary">Create a room</button>
  <div id="cr-teacher-room" hidden>
   <p>Room code: <b id="cr-code-shown" class="cr-code"></b> (students enter it in "Join a class")</p>
   <p><button id="cr-push">Push my current view</button> every student's page follows it</p>
   <p><input id="cr-q-text" placeholder="a question for the class" maxlength="200">
      <input id="cr-q-choices" placeholder="choices, comma separated (empty: free answers)">
      <button id="cr-ask">Ask</button></p>
   <p><button id="cr-reveal">Reveal the round's answers</button></p>
  </div>
  <p id="cr-teacher-status" role="status"></p>
 </div>
</div>
<style>
 #classroom { display: flex; flex-wrap: wrap; gap: 2em; }
 #classroom .cr-side { flex: 1 1 320px; }
 #classroom input { border: 1px solid #bbb; border-radius: 4px; padding: 2px 6px; margin: 2px; }
 #classroom button { border: 1px solid #999; border-radius: 4px; padding: 2px 10px; margin: 2px; }
 #classroom .cr-primary { background: #4f46e5; color: #fff; }
 #classroom .cr-code { font-size: 1.6em; letter-spacing: 0.15em; }
 #classroom .cr-error { color: #b91c1c; }
 #cr-draw { border: 1px solid #999; touch-action: none; background: #fff; }
 .cr-round-item { display: inline-block; text-align: center; margin: 4px; }
 .cr-round-item canvas { width: 84px; height: 84px; image-rendering: pixelated; display: block; }
 #cr-hover img { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #ccc; }
</style>
"""
HOVER_HTML = ('<div id="cr-hover"><img hidden alt="the digit under the pointer">'
              '<p id="cr-hover-name"></p></div>')
START_ROUND_JS = "(items) => { if (window.latentWeb) window.latentWeb.classroom.startRound(items); }"


def as_text(name: str) -> str:
    """A name as literal text in Markdown: HTML escaped, Markdown's marks backslashed."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(name, quote=False))


def png_data_url(image: np.ndarray) -> str:
    return "data:image/png;base64," + png_base64(image)


def map_method(backend: Backend, model_id: str) -> str:
    """The board's map: the latent plane itself, else a shipped UMAP, else PCA (never a fit)."""
    methods = backend.map_methods(model_id)
    if "latent" in methods:
        return "latent"
    return "umap" if backend.cached_projection(model_id, "umap") is not None else "pca"


def place(backend: Backend, sub: dict, model_id: str, method: str):
    """(x, y, decoded digit) of one submission on this model's map, or None when it cannot go
    there (a latent of another model, a drawing and a model without an encoder)."""
    info, body = backend.info(model_id), sub["body"]
    label = info.class_names[0] if info.has("condition") else None
    try:
        if sub["kind"] == "latent":
            if body["model"] != model_id:
                return None
            z = np.asarray(body["z"], np.float32)
        elif info.has("encode"):
            ink = np.frombuffer(base64.b64decode(body["pixels"]), np.uint8).reshape(28, 28)
            z, _ = backend.encode_drawing(model_id, 255 - ink, label)  # dark ink on white paper
        else:
            return None
        xy, _ = backend.place_on_map(model_id, method, None, z)
        return float(xy[0]), float(xy[1]), png_data_url(backend.decode(model_id, z, label))
    except PlaygroundError:  # e.g. a drawing too faint to encode: left off the board, not an error
        return None


def board_figure(backend: Backend, model_id: str, subs: list[dict]) -> tuple[go.Figure, int]:
    """The map of `model_id` with the class's latents (●) and drawings (✕) on it; each point's
    customdata is its decoded digit and its student's name, which the page shows on hover. Also
    how many could not be placed on this map."""
    method = map_method(backend, model_id)
    p = backend.projection(model_id, method)
    info = backend.info(model_id)
    names = list(info.class_names) or [str(k) for k in range(int(p.labels.max()) + 1)]
    fig = map_figure(p.points, p.labels, names, title=f"the class on {model_id}'s map",
                     revision=f"{model_id}/{method}")
    for trace in fig.data:  # the digits of the map recede behind the class's points
        trace.marker.opacity, trace.hoverinfo = 0.25, "skip"
    shown, other = {"latent": [], "drawing": []}, 0
    for sub in subs:
        where = _placed.get_or_create((sub["id"], model_id, method),
                                      lambda: place(backend, sub, model_id, method))
        if where is None:
            other += 1
        else:
            shown[sub["kind"]].append((*where, sub["name"]))
    for kind, symbol in (("latent", "circle"), ("drawing", "x")):
        pts = shown[kind]
        fig.add_trace(go.Scatter(
            x=[q[0] for q in pts], y=[q[1] for q in pts], mode="markers", name=f"{kind}s ({len(pts)})",
            # plotly's label reads markup: the name escaped there, as typed in the page's panel
            text=[html.escape(q[3]) for q in pts], customdata=[[q[2], q[3]] for q in pts],
            marker=dict(symbol=symbol, size=11, color="#111" if kind == "latent" else "#e4572e",
                        line=dict(width=1, color="#fff")),
            hovertemplate="%{text}<extra>" + kind + "</extra>"))
    return fig, other


def answers_figure(question: dict | None) -> go.Figure | None:
    if not question:
        return None
    counts = question["counts"]
    fig = go.Figure(go.Bar(x=[html.escape(k) for k in counts], y=list(counts.values()),
                           marker_color="#4f46e5"))
    fig.update_layout(title=html.escape(question["text"]), height=300,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis_title="students")
    return fig


def round_markdown(rnd: dict | None) -> str:
    if not rnd:
        return "No real-or-generated round yet."
    acc = "–" if rnd["accuracy"] is None else f"{rnd['accuracy']:.0%}"
    rows = [f"**Round {rnd['id']}** ({'revealed' if rnd['revealed'] else 'voting'}): "
            f"{rnd['votes']} votes, the class is right **{acc}** of the time", "",
            "| image | it is | voted real | voted generated | right |", "|---|---|---|---|---|"]
    for i, item in enumerate(rnd["items"]):
        right = "–" if item["accuracy"] is None else f"{item['accuracy']:.0%}"
        rows.append(f"| {i + 1} | {'real' if item['real'] else 'generated'} | {item['votes_real']} "
                    f"| {item['votes_generated']} | {right} |")
    return "\n".join(rows)


def create_classroom_tab(backend: Backend) -> None:
    """The tab (the views it pushes and follows: playground/view.py, assets/view.js)."""
    maps = [m for m in backend.map_models() if m.makes_images]

    def teacher_room(teacher_json):
        try:
            t = json.loads(teacher_json or "null")
            return CLASSROOM.service.teacher(t["code"], t["key"]) if t else None
        except (ValueError, TypeError, KeyError):
            raise RoomError("this page's room is unreadable; create a room") from None

    def board(teacher_json, model_id, seen):
        """The board: the class's latents and drawings on the map, the answers' histogram, the
        round's votes. Unchanged since the last tick: nothing is sent."""
        try:
            room = teacher_room(teacher_json)
            if room is None:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), seen, gr.skip()
            service = CLASSROOM.service
            subs = service.store.submissions(room.id, kinds=["latent", "drawing"],
                                             limit=10**9)[-BOARD_POINTS:]
            results, roster = service.results(room), service.roster(room)
        except RoomError as err:  # the room expired or was closed: the board stops asking
            return gr.skip(), gr.skip(), gr.skip(), f"**{err}**", seen, gr.Timer(active=False)
        key = json.dumps([room.code, model_id, subs[-1]["id"] if subs else 0, results,
                          len(roster)], sort_keys=True)
        if key == seen:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), seen, gr.skip()
        try:
            fig, other = board_figure(backend, model_id, subs)
        except PlaygroundError as err:
            return gr.skip(), gr.skip(), gr.skip(), f"**{err}**", seen, gr.skip()
        names = ", ".join(as_text(s["name"]) for s in roster[:30])
        status = (f"Room **{room.code}**: {len(roster)} students ({names}"
                  f"{', …' if len(roster) > 30 else ''}); {len(subs)} latents and drawings"
                  + (f", {other} of them not on this model's map" if other else ""))
        return (fig, answers_figure(results["question"]), round_markdown(results["round"]), status,
                key, gr.skip())

    def round_images(model_id, seed):
        """Images for a real-or-generated round: half held-out MNIST digits, half the model's
        samples, shuffled. The page starts the round with them (its teacher key, the room's API)."""
        from playground.data import split
        from playground.images import to_uint8
        info = backend.info(model_id)
        if not info.makes_images or info.image_size != 28:
            raise gr.Error(f"{model_id} does not draw 28x28 digits")
        rng = np.random.default_rng(int(seed))
        real_all = split("mnist", "val")[0]
        real = to_uint8(real_all[rng.choice(len(real_all), ROUND_SIZE // 2, replace=False)])
        label = info.class_names[0] if info.has("condition") else None
        try:
            fake = backend.sample(model_id, ROUND_SIZE - ROUND_SIZE // 2,
                                  seed=int(rng.integers(2**31 - 1)), label=label)
        except PlaygroundError as err:
            raise gr.Error(str(err), print_exception=False) from None
        items = [{"pixels": base64.b64encode(im.tobytes()).decode(), "real": True} for im in real]
        items += [{"pixels": base64.b64encode(np.asarray(im, np.uint8).tobytes()).decode(),
                   "real": False} for im in fake]
        return [items[i] for i in rng.permutation(len(items))], int(seed) + 1

    with gr.Tab("Classroom", id="classroom"):
        gr.HTML(PANEL_HTML)
        teacher_box = gr.Textbox(visible="hidden", elem_id="cr-teacher")
        board_on = gr.Button("board", visible="hidden", elem_id="cr-board-on")
        round_items = gr.JSON(visible=False)
        round_seed = gr.State(0)
        seen = gr.State("")
        timer = gr.Timer(BOARD_EVERY_S, active=False)
        with gr.Accordion("The board (teacher)", open=True):
            board_status = gr.Markdown("Create a room to see the class here.", elem_id="cr-board-status")
            with gr.Row():
                board_model = gr.Dropdown([m.id for m in maps], value=maps[0].id if maps else None,
                                          label="Map of", elem_id="cr-map-model", scale=3)
                round_btn = gr.Button("Start a real-or-generated round with this model",
                                      elem_id="cr-round", scale=2)
            with gr.Row():
                map_plot = gr.Plot(label="Latent map of the class's submissions", elem_id="cr-map",
                                   scale=4)
                gr.HTML(HOVER_HTML)
            with gr.Row():
                answers = gr.Plot(label="Answers", elem_id="cr-answers")
                round_md = gr.Markdown(elem_id="cr-round-results")

    board_on.click(lambda: gr.Timer(active=True), None, timer, api_visibility="private",
                   queue=False, show_progress="hidden")
    timer.tick(board, [teacher_box, board_model, seen],
               [map_plot, answers, round_md, board_status, seen, timer], api_visibility="private",
               show_progress="hidden", trigger_mode="always_last")
    board_model.change(lambda: "", None, seen, api_visibility="private", queue=False)
    round_btn.click(round_images, [board_model, round_seed], [round_items, round_seed],
                    api_visibility="private").then(None, round_items, None, js=START_ROUND_JS)

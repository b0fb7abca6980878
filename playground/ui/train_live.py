"""Train live: watch a GAN, a VAE and a RealNVP flow learn a 2-D distribution in the page.

Start runs a streaming generator: it trains in short chunks (~50 ms of one core each), spends at
most TRAIN_SHARE of every FRAME_SECONDS training and the rest idle, and yields the data/sample
scatter, the family's diagnostic (D's decision surface, the VAE's posterior, the flow's warped grid)
and the loss curves once per frame. Pause and Reset bump the session's run token; the loop checks it
before every chunk, so it stops within one chunk (this also works for API clients, which cannot
trigger a frontend `cancels=`). When the browser goes away Gradio's queue stops advancing the
generator (the event is no longer alive), and the session's state expires with a delete_callback
that stops any loop left. The trainer stays in the session's gr.State after training, so the model
can be explored here (decode a chosen latent, sample at a temperature).
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from playground import live
from playground.backend import PlaygroundError, check_number
from playground.ui.common import user_errors

FRAME_SECONDS = 0.5        # one streamed frame per this many seconds
TRAIN_SHARE = 0.6          # at most this share of each frame trains; the rest leaves the CPU free
CHUNK_SECONDS = 0.05       # steps per chunk adapt so one chunk costs about this much
MAX_RUNS_PER_SESSION = 50  # fresh trainers per session (Start after a change of knobs or Reset)
MAX_TRAINING_AT_ONCE = 2   # sessions training at the same time, server-wide; others queue
SESSION_TTL = 2 * 3600     # seconds the trained model stays with an idle session

TARGET_CHOICES = [("two moons", "moons"), ("circles", "circles"), ("8 Gaussians", "8gaussians"),
                  ("swiss roll slice", "swissroll"), ("my drawing", "drawing")]
FAMILY_CHOICES = [("GAN", "gan"), ("VAE", "vae"), ("RealNVP flow", "realnvp")]
DATA_COLOUR, SAMPLE_COLOUR = "#9aa0a6", "#e4572e"


class LiveSession:
    """One browser session's training: the trainer (kept after training to explore) and the run
    token that pause/reset bump to stop the streaming loop. A plain class, not a dataclass:
    Gradio serialises dataclass State values into the page config."""

    def __init__(self):
        self.trainer: live.LiveTrainer | None = None
        self.token = 0       # the streaming loop runs while its token is the current one
        self.runs = 0        # fresh trainers started in this session
        self.lock = threading.Lock()  # one chunk / one decode at a time on the trainer
        # What Pause/Reset said: the stopped stream repeats it as its last frame, because Gradio
        # re-sends a stream's last frame when it ends and that could land after Pause's own reply.
        self.stopped_note: str | None = None
        self.backend = None             # where a model kept for the other tabs lives
        self.kept_id: str | None = None # its id there (one per session; a newer one replaces it)

    def __deepcopy__(self, memo):  # Gradio deep-copies a State's default: a fresh session
        return LiveSession()


def stop_session(session: LiveSession | None) -> None:
    """State delete_callback: the session expired or closed; stop a loop that might still run."""
    if isinstance(session, LiveSession):
        session.token += 1
        session.trainer = None
        if session.kept_id and session.backend is not None:
            session.backend.drop_session_model(session.kept_id)


# --------------------------------------------------------------------------------- figures
def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title=title,
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.08),
                      uirevision="live")  # keep the person's zoom while frames replace the data
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig


def _square(fig: go.Figure, data: np.ndarray, pad: float = 0.6) -> None:
    """Fixed axes around the data (samples that fly off are clipped, the view never jumps)."""
    lo, hi = float(data.min()) - pad, float(data.max()) + pad
    fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(range=[lo, hi])


def _points(xy: np.ndarray, name: str, colour: str, size: int = 4, opacity: float = 0.6):
    return go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, hoverinfo="skip",
                      marker=dict(size=size, color=colour, opacity=opacity))


def scatter_figure(snap: dict, marker: np.ndarray | None = None, title: str = "") -> go.Figure:
    """Target points against model samples (same fixed noise every frame: one mapping moving)."""
    fig = go.Figure([_points(snap["data"], "data", DATA_COLOUR),
                     _points(snap["samples"], "model samples", SAMPLE_COLOUR)])
    if marker is not None:
        fig.add_trace(go.Scatter(x=marker[:, 0], y=marker[:, 1], mode="markers",
                                 name="decoded latent", marker=dict(size=16, symbol="x",
                                                                    color="#111111")))
    _square(fig, snap["data"])
    return _layout(fig, title or f"data vs model · step {snap['steps_done']}")


def diagnostic_figure(snap: dict) -> go.Figure:
    """Each family's view inside the model, drawn by the diagnostic's kind."""
    diag, fig = snap["diagnostic"], go.Figure()
    if diag["kind"] == "surface":
        fig.add_trace(go.Heatmap(x=diag["axis"], y=diag["axis"], z=diag["values"], zmin=0, zmax=1,
                                 colorscale="RdBu", reversescale=True, opacity=0.75,
                                 colorbar=dict(title="D(x)", thickness=10), hoverinfo="skip"))
        fig.add_trace(_points(snap["data"], "data", "#333333", 3, 0.5))
        fig.add_trace(_points(snap["samples"], "model samples", SAMPLE_COLOUR, 3, 0.7))
        _square(fig, snap["data"], pad=0.5)
    elif diag["kind"] == "lines":
        xs, ys = [], []
        for line in diag["lines"]:
            xs += [*line[:, 0], None]
            ys += [*line[:, 1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="warped latent grid",
                                 line=dict(width=1, color="#4e79a7"), hoverinfo="skip"))
        fig.add_trace(_points(snap["data"], "data", DATA_COLOUR, 3, 0.5))
        _square(fig, snap["data"])
    elif diag["kind"] == "latent":
        t = np.linspace(0, 2 * np.pi, 100)
        for r in (1, 2):
            fig.add_trace(go.Scatter(x=r * np.cos(t), y=r * np.sin(t), mode="lines",
                                     line=dict(color="#bbbbbb", dash="dot"), hoverinfo="skip",
                                     name="prior N(0, I): 1σ, 2σ", showlegend=r == 1))
        fig.add_trace(_points(diag["codes"], "posterior means of the data", "#4e79a7", 4, 0.6))
        fig.update_xaxes(range=[-3, 3], title="z₁")
        fig.update_yaxes(range=[-3, 3], title="z₂")
    return _layout(fig, diag["title"])


def _smooth(values: np.ndarray, points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Bucket means: at most `points` points per curve, whatever the step count (small frames)."""
    n = len(values)
    if n <= points:
        return np.arange(1, n + 1), values
    edges = np.linspace(0, n, points + 1).astype(int)
    return edges[1:], np.array([values[a:b].mean() for a, b in zip(edges[:-1], edges[1:])])


def loss_figure(snap: dict) -> go.Figure:
    """The family's training losses, and the distance of its samples to the data (MMD²), which
    means the same thing for every family."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training losses",
                                                        "MMD² samples ↔ data (lower is better)"))
    colours = ["#4e79a7", "#e4572e", "#59a14f"]
    for colour, (name, values) in zip(colours, snap["history"].items()):
        x, y = _smooth(values)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour)),
                      row=1, col=1)
    m = snap["mmd"]
    fig.add_trace(go.Scatter(x=m[:, 0], y=np.maximum(m[:, 1], 1e-5), mode="lines+markers",
                             name="MMD²", line=dict(color="#111111"), marker=dict(size=3)),
                  row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title="step", range=[0, snap["steps"]])
    _layout(fig, "", height=300)
    fig.update_layout(uirevision=None)
    return fig


def status_text(trainer: live.LiveTrainer, snap: dict, state: str) -> str:
    c, note = trainer.config, snap["diagnostic"].get("note", "")
    losses = " · ".join(f"{k} {trainer.mean_loss(k):.3g}" for k in trainer.history)
    rate = trainer.steps_done / trainer.seconds if trainer.seconds else 0.0
    return (f"**{state}** · step {trainer.steps_done} of {c.steps} · {rate:.0f} steps/s of CPU  \n"
            f"{losses or 'no steps yet'} · MMD² {snap['mmd'][-1, 1]:.3g} · "
            f"coverage {snap['coverage']:.0%} of the data has a sample nearby"
            + (f"  \n{note}" if note else ""))


# --------------------------------------------------------------------------------- handlers
def knobs_to_config(target, family, lr, latent_size, steps, ratio, beta, layers, seed):
    return live.checked_config(target=target, family=family, lr=lr, latent_dim=latent_size,
                               steps=steps, ratio=ratio, beta=beta, layers=layers, seed=seed)


def drawing_points(drawing, seed: int) -> np.ndarray:
    """The sketchpad's composite as training points, or a clear error when nothing is drawn."""
    image = drawing.get("composite") if isinstance(drawing, dict) else drawing
    if image is None:
        raise PlaygroundError("draw a shape on the canvas first (target: my drawing)")
    return live.points_from_drawing(np.asarray(image), live.N_DATA, seed)


def frame(trainer: live.LiveTrainer, state: str, k: int | None = None):
    """One streamed frame. The scatter comes every frame; with a frame index `k` the diagnostic
    and the loss curves alternate (gr.skip() leaves a plot as it is): a busy browser redraws
    half as much. Without `k` (first and last frames) everything comes."""
    snap = trainer.snapshot()
    diag = diagnostic_figure(snap) if k is None or k % 2 == 0 else gr.skip()
    loss = loss_figure(snap) if k is None or k % 2 == 1 else gr.skip()
    return scatter_figure(snap), diag, loss, status_text(trainer, snap, state)


def stopped(session: LiveSession) -> tuple:
    """The last frame of a stream that Pause/Reset stopped: their message, plots left as they are
    (a stream replaced by a new Start leaves everything to the new one)."""
    return gr.skip(), gr.skip(), gr.skip(), session.stopped_note or gr.skip()


def create_train_live_tab(backend, explore: dict | None = None, tabs=None) -> None:
    """The tab; with Explore's handles (and the page's tabs) a trained model can be opened there."""
    @user_errors
    def start_training(target, family, lr, latent_size, steps, ratio, beta, layers, seed, drawing,
                       session):
        """Train a small GAN, VAE or RealNVP on a 2-D target and stream what it learns about twice a
        second: data vs samples, the family's diagnostic, the loss curves and a status line. Start
        after Pause continues the same model (raising `steps` extends it); changed knobs start a new
        one. Stops at `steps` (at most 5,000), on Pause/Reset, or when the page closes."""
        config = knobs_to_config(target, family, lr, latent_size, steps, ratio, beta, layers, seed)
        data = drawing_points(drawing, config.seed) if config.target == "drawing" else None
        session = session if isinstance(session, LiveSession) else LiveSession()
        with session.lock:
            session.token += 1            # a loop still running for this session stops
            session.stopped_note = None
            token, old = session.token, session.trainer
            same = (old is not None and replace(old.config, steps=config.steps) == config
                    and (data is None or np.array_equal(old.data.numpy(), data)))
            if same and old.steps_done < config.steps:
                old.config = config       # resume, perhaps with a larger step budget
                trainer, state = old, "Training (continued)"
            elif same:
                trainer, state = old, "Finished: raise the steps to train on, or Reset"
            else:
                if session.runs >= MAX_RUNS_PER_SESSION:
                    raise PlaygroundError(f"this session has started {MAX_RUNS_PER_SESSION} runs; "
                                          "reload the page to start a new session")
                trainer, state = live.LiveTrainer(config, data), "Training"
                session.trainer, session.runs = trainer, session.runs + 1
        yield *frame(trainer, state if not trainer.done else "Finished"), session
        chunk, k = 5, 0
        while not trainer.done:
            frame_end = time.monotonic() + FRAME_SECONDS
            train_end = time.monotonic() + FRAME_SECONDS * TRAIN_SHARE
            while not trainer.done and time.monotonic() < train_end:
                with session.lock:
                    if session.token != token:  # paused, reset or restarted
                        break
                    t0 = time.perf_counter()
                    trainer.step(chunk)
                    spent = time.perf_counter() - t0
                # aim each chunk at CHUNK_SECONDS, changing by at most 2x per chunk
                aim = chunk * CHUNK_SECONDS / max(spent, 1e-4)
                chunk = int(min(500, max(1, chunk / 2, min(chunk * 2, aim))))
            if session.token != token:
                yield *stopped(session), session
                return
            k += 1
            yield *frame(trainer, *(("Finished",) if trainer.done else ("Training", k))), session
            time.sleep(max(0.0, frame_end - time.monotonic()))

    @user_errors
    def pause_training(session):
        """Pause: stop the running training after its current chunk; Start continues it."""
        if not isinstance(session, LiveSession) or session.trainer is None:
            return "Nothing to pause: press Start first."
        session.token += 1
        t = session.trainer
        session.stopped_note = f"**Paused** at step {t.steps_done} of {t.config.steps}: Start continues."
        return session.stopped_note

    @user_errors
    def reset_training(session):
        """Reset: stop training and forget the model; the next Start trains a new one."""
        note = "**Reset**: press Start to train a new model."
        if isinstance(session, LiveSession):
            session.token += 1
            session.trainer = None
            session.stopped_note = note
        return None, None, None, note, session

    @user_errors
    def apply_preset(name):
        """'Break it' presets: set the knobs for a classic failure and explain it in two lines."""
        if name not in live.PRESETS:
            raise PlaygroundError(f"unknown preset {name!r:.40}; choose from "
                                  f"{', '.join(live.PRESETS)}")
        preset = live.PRESETS[name]
        k = replace(live.LiveConfig(), **preset["knobs"])
        shown = knob_visibility(k.family, k.target)
        return (k.target, k.family, k.lr, gr.Slider(value=k.latent_dim, visible=shown[0]), k.steps,
                gr.Radio(value=k.ratio, visible=shown[1]), gr.Slider(value=k.beta, visible=shown[2]),
                gr.Slider(value=k.layers, visible=shown[3]), k.seed,
                gr.Sketchpad(visible=shown[4]),
                f"**{name}.** " + preset["why"].replace("\n", "  \n"))

    def knob_visibility(family, target) -> tuple[bool, ...]:
        """Which of latent size, D:G ratio, β, coupling layers and the canvas apply."""
        return (family != "realnvp", family == "gan", family == "vae", family == "realnvp",
                target == "drawing")

    @user_errors
    def show_live_knobs(family, target):
        """Show the knobs that apply to this family (D:G ratio, β, coupling layers) and the
        drawing canvas when the target is a drawing."""
        return tuple(gr.update(visible=v) for v in knob_visibility(family, target))

    @user_errors
    def explore_live_model(z1, z2, temperature, session):
        """Explore the model trained in this session: decode the latent (z₁, z₂, rest 0) to one
        point, over 250 samples drawn at temperature T (z ~ N(0, T²I))."""
        if not isinstance(session, LiveSession) or session.trainer is None:
            raise PlaygroundError("train a model first: press Start (Reset forgets it)")
        z = np.array([[check_number(z1, "z₁", -4, 4), check_number(z2, "z₂", -4, 4)]], np.float32)
        t = check_number(temperature, "temperature", 0.0, 3.0)
        trainer = session.trainer
        with session.lock:
            snap = {"data": trainer.view_data, "samples": trainer.sample(live.N_VIEW, t, seed=0),
                    "steps_done": trainer.steps_done}
            point = trainer.decode(z[:, :trainer.model.latent_dim])
        return scatter_figure(snap, point, f"{trainer.config.family} after {trainer.steps_done} "
                                           f"steps · T = {t:g} · z → ({point[0, 0]:.2f}, "
                                           f"{point[0, 1]:.2f})")

    @user_errors
    def keep_live_model(session):
        """Keep a copy of the model trained in this session (as it is now) and open it in the
        Explore tab: its sliders, temperature and sample cloud then work on it. It stays for this
        session only (a newer one replaces it) and is never saved to disk."""
        if not isinstance(session, LiveSession) or session.trainer is None:
            raise PlaygroundError("train a model first: press Start (Reset forgets it)")
        with session.lock:  # a copy between chunks; the training may go on meanwhile
            trainer = session.trainer
            kept = live.keep(trainer)
            view_z, view_data = trainer.view_z, trainer.view_data
        with torch.inference_mode():  # scored on the copy: the trainer's history is left as it is
            coverage = live.coverage(kept.decode(view_z).numpy(), view_data)
        c, steps = trainer.config, kept.config.steps_done
        name = dict((v, k) for k, v in FAMILY_CHOICES)[c.family]
        target = dict((v, k) for k, v in TARGET_CHOICES)[c.target]
        label = f"your {name} on {target} (Train live, step {steps})"
        if session.kept_id:
            backend.drop_session_model(session.kept_id)
        session.backend = backend
        session.kept_id = backend.add_session_model(
            kept, family=f"live {c.family}", dataset=c.target,
            summary=f"Trained in this page for {steps} steps on {target} (seed "
                    f"{c.seed}); kept for this session only.",
            metrics={"coverage": coverage})
        choices = [m.id for m in backend.models("decode")] + [(label, session.kept_id)]
        return gr.Dropdown(choices=choices, value=session.kept_id), gr.Tabs(selected="explore"), session

    first = live.LiveConfig()
    with gr.Tab("Train live", id="train-live"):
        session = gr.State(LiveSession(), time_to_live=SESSION_TTL, delete_callback=stop_session)
        with gr.Row():
            with gr.Column(scale=4):
                preset = gr.Dropdown(list(live.PRESETS), value=None, label="Break it",
                                     info="classic failures, set up for you", elem_id="live-preset")
                why = gr.Markdown(elem_id="live-why")
                target = gr.Radio(TARGET_CHOICES, value=first.target, label="Target",
                                  elem_id="live-target")
                drawing = gr.Sketchpad(label="Draw the target (black strokes)", visible=False,
                                       canvas_size=(256, 256), fixed_canvas=True, layers=False,
                                       transforms=(), elem_id="live-drawing")
                family = gr.Radio(FAMILY_CHOICES, value=first.family, label="Family",
                                  elem_id="live-family")
                with gr.Row():
                    lr = gr.Slider(1e-4, 0.02, value=first.lr, step=1e-4, label="Learning rate")
                    steps = gr.Slider(50, live.MAX_STEPS, value=first.steps, step=50, label="Steps",
                                      elem_id="live-steps")
                with gr.Row():
                    latent_size = gr.Slider(1, 8, value=first.latent_dim, step=1,
                                            label="Latent size")
                    seed = gr.Number(first.seed, precision=0, minimum=0, label="Seed")
                ratio = gr.Radio(list(live.RATIOS), value=first.ratio, label="D:G step ratio",
                                 info="discriminator steps : generator steps per round")
                beta = gr.Slider(0, 100, value=first.beta, step=0.5, label="β (weight of KL)",
                                 visible=False)
                layers = gr.Slider(1, 12, value=first.layers, step=1, label="Coupling layers",
                                   visible=False)
                with gr.Row():
                    start_btn = gr.Button("Start", variant="primary", elem_id="live-start")
                    pause_btn = gr.Button("Pause", elem_id="live-pause")
                    reset_btn = gr.Button("Reset", elem_id="live-reset")
                status = gr.Markdown("Pick a target and a family, then press **Start**.",
                                     elem_id="live-status")
            with gr.Column(scale=6):
                with gr.Row():
                    scatter = gr.Plot(label="Data and samples", elem_id="live-scatter")
                    diagnostic = gr.Plot(label="Inside the model", elem_id="live-diag")
                losses = gr.Plot(label="Losses", elem_id="live-loss")
                with gr.Accordion("Explore the trained model", open=False, elem_id="live-explore"):
                    with gr.Row():
                        z1 = gr.Slider(-3, 3, value=0, step=0.05, label="z₁")
                        z2 = gr.Slider(-3, 3, value=0, step=0.05, label="z₂")
                        temperature = gr.Slider(0, 2, value=1, step=0.05, label="Temperature T")
                    with gr.Row():
                        explore_btn = gr.Button("Decode and sample", elem_id="live-explore-run")
                        keep_btn = gr.Button("Open in the Explore tab", elem_id="live-keep",
                                             visible=explore is not None and tabs is not None)
                    explored = gr.Plot(label="The trained model", elem_id="live-explored")

    family_knobs = [latent_size, ratio, beta, layers, drawing]
    knobs = [target, family, lr, latent_size, steps, ratio, beta, layers, seed]
    preset.input(apply_preset, preset, [*knobs, drawing, why], api_name="apply_preset")
    gr.on([family.input, target.input], show_live_knobs, [family, target], family_knobs,
          api_name="show_live_knobs")
    start_btn.click(start_training, [*knobs, drawing, session],
                    [scatter, diagnostic, losses, status, session], api_name="start_training",
                    concurrency_limit=MAX_TRAINING_AT_ONCE, concurrency_id="live-training")
    pause_btn.click(pause_training, session, status, api_name="pause_training")
    reset_btn.click(reset_training, session, [scatter, diagnostic, losses, status, session],
                    api_name="reset_training")
    gr.on([explore_btn.click, z1.release, z2.release, temperature.release], explore_live_model,
          [z1, z2, temperature, session], explored, api_name="explore_live_model")
    if explore is not None and tabs is not None:
        select, select_in, select_out = explore["select"]
        keep_btn.click(keep_live_model, session, [explore["model"], tabs, session],
                       api_name="keep_live_model").success(
            select, select_in, select_out, api_visibility="private", show_progress="hidden")

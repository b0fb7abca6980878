"""Train live: watch a GAN, a VAE, a RealNVP flow and a DDPM learn a 2-D distribution in the page.

Start runs a streaming generator: it trains in short chunks (~50 ms of one core each), spends at
most TRAIN_SHARE of every FRAME_SECONDS training and the rest idle, and yields the data/sample
scatter, the family's diagnostic (D's decision surface, the VAE's posterior, the flow's warped grid,
the diffusion model's denoising field and reverse paths)
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
import torch

from playground import live
from playground.live import first_look as shipped_run
from playground.errors import PlaygroundError, check_choice, check_number
from playground.ui.common import first_look, user_errors
from playground.ui.train_live_figures import (diagnostic_figure, loss_figure, measures_text,
                                              scatter_figure, status_text)
from playground.ui.view import Target
from playground.view import View

FRAME_SECONDS = 0.5        # one streamed frame per this many seconds
TRAIN_SHARE = 0.6          # at most this share of each frame trains; the rest leaves the CPU free
CHUNK_SECONDS = 0.05       # steps per chunk adapt so one chunk costs about this much
MAX_RUNS_PER_SESSION = 50  # fresh trainers per session (Start after a change of knobs or Reset)
MAX_TRAINING_AT_ONCE = 2   # sessions training at the same time, server-wide; others queue
SESSION_TTL = 2 * 3600     # seconds the trained model stays with an idle session

TARGET_CHOICES = [("two moons", "moons"), ("circles", "circles"), ("8 Gaussians", "8gaussians"),
                  ("swiss roll slice", "swissroll"), ("my drawing", "drawing")]
FAMILY_CHOICES = [(cls.title, key) for key, cls in live.LIVE_FAMILIES.items()]
TARGET_NAMES = {key: name for name, key in TARGET_CHOICES}


class LiveSession:
    """One browser session's training: the trainer (kept after training to explore) and the run
    token that pause/reset bump to stop the streaming loop. A plain class, not a dataclass:
    Gradio serialises dataclass State values into the page config."""

    def __init__(self, backend=None):
        self.trainer: live.LiveTrainer | None = None
        self.token = 0       # the streaming loop runs while its token is the current one
        self.runs = 0        # fresh trainers started in this session
        self.lock = threading.Lock()  # one chunk / one decode at a time on the trainer
        # What Pause/Reset said: the stopped stream repeats it as its last frame, because Gradio
        # re-sends a stream's last frame when it ends and that could land after Pause's own reply.
        self.stopped_note: str | None = None
        self.backend = backend          # where a model kept for the other tabs lives
        self.kept_id: str | None = None # its id there (one per session; a newer one replaces it)

    def __deepcopy__(self, memo):  # Gradio deep-copies a State's default: a fresh session
        return LiveSession(self.backend)


def stop_session(session: LiveSession | None) -> None:
    """State delete_callback: the session expired or closed; stop a loop that might still run."""
    if isinstance(session, LiveSession):
        session.token += 1
        session.trainer = None
        if session.kept_id and session.backend is not None:
            session.backend.drop_session_model(session.kept_id)


# --------------------------------------------------------------------------------- handlers
def knobs_to_config(target, family, lr, latent_size, steps, ratio, beta, layers, seed,
                    sampling_steps, schedule):
    return live.checked_config(target=target, family=family, lr=lr, latent_dim=latent_size,
                               steps=steps, ratio=ratio, beta=beta, layers=layers, seed=seed,
                               sampling_steps=sampling_steps, schedule=schedule)


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


def first_frame() -> tuple:
    """The tab's first look: the default run's final frame, stored when the app was shipped
    (playground/live/first_look.py; the run would cost ~8 s of every start)."""
    snap = shipped_run.load()
    c = snap["config"]
    status = (f"**The default run's final frame** ({live.LIVE_FAMILIES[c['family']].title} on "
              f"{TARGET_NAMES[c['target']]}, {c['steps']:,} steps), precomputed: press **Start** "
              f"to watch it learn.  \n" + measures_text(snap))
    return scatter_figure(snap), diagnostic_figure(snap), loss_figure(snap), status


def stopped(session: LiveSession) -> tuple:
    """The last frame of a stream that Pause/Reset stopped: their message, plots left as they are
    (a stream replaced by a new Start leaves everything to the new one)."""
    return gr.skip(), gr.skip(), gr.skip(), session.stopped_note or gr.skip()


def trained(session) -> live.LiveTrainer:
    if not isinstance(session, LiveSession) or session.trainer is None:
        raise PlaygroundError("train a model first: press Start (Reset forgets it)")
    return session.trainer


@user_errors
def start_training(target, family, lr, latent_size, steps, ratio, beta, layers, seed, drawing,
                   session, sampling_steps=live.LiveConfig.sampling_steps,
                   schedule=live.LiveConfig.schedule):
    """Train a small GAN, VAE, RealNVP or DDPM on a 2-D target and stream what it learns about
    twice a second: data vs samples, the family's diagnostic, the loss curves and a status line.
    Start after Pause continues the same model (raising `steps` extends it; new sampling steps
    resample it); other changed knobs start a new one. Stops at `steps` (at most 5,000), on Pause/Reset, or when the page closes. The
    diffusion knobs (DDIM sampling steps, noise schedule) come last, after the session."""
    config = knobs_to_config(target, family, lr, latent_size, steps, ratio, beta, layers, seed,
                             sampling_steps, schedule)
    data = drawing_points(drawing, config.seed) if config.target == "drawing" else None
    session = session if isinstance(session, LiveSession) else LiveSession()
    with session.lock:
        session.token += 1            # a loop still running for this session stops
        session.stopped_note = None
        token, old = session.token, session.trainer
        same = (old is not None and old.continues(config)
                and (data is None or np.array_equal(old.data.numpy(), data)))
        if same:                      # resume, perhaps with more steps or another sampler
            old.reconfigure(config)
        if same and old.steps_done < config.steps:
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
        time.sleep(max(0.0, frame_end - time.monotonic()))  # pacing: the rest of the frame idles


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


FAMILY_KNOBS = ("latent_dim", "ratio", "beta", "layers", "sampling_steps", "schedule")


def knob_visibility(family, target) -> tuple[bool, ...]:
    """Which of FAMILY_KNOBS and the canvas apply: the family's own knobs (each live family
    declares them), and the canvas for a drawn target."""
    knobs = live.LIVE_FAMILIES[check_choice(family, "family", list(live.LIVE_FAMILIES))].knobs
    return (*(k in knobs for k in FAMILY_KNOBS), target == "drawing")


@user_errors
def apply_preset(name):
    """'Break it' presets: set the knobs for a classic failure and explain it in two lines."""
    preset = live.PRESETS[check_choice(name, "preset", list(live.PRESETS))]
    k = replace(live.LiveConfig(), **preset["knobs"])
    shown = knob_visibility(k.family, k.target)
    return (k.target, k.family, k.lr, gr.Slider(value=k.latent_dim, visible=shown[0]), k.steps,
            gr.Radio(value=k.ratio, visible=shown[1]), gr.Slider(value=k.beta, visible=shown[2]),
            gr.Slider(value=k.layers, visible=shown[3]), k.seed,
            gr.Slider(value=k.sampling_steps, visible=shown[4]),
            gr.Radio(value=k.schedule, visible=shown[5]), gr.Sketchpad(visible=shown[6]),
            f"**{name}.** " + preset["why"].replace("\n", "  \n"))


def view_preset(view: View):
    """A view's preset, set as picking it does (a view without one leaves the tab as it is)."""
    name = view.knobs.get("preset")
    return (name, *apply_preset(name)) if name else [gr.skip()] * 14


@user_errors
def show_live_knobs(family, target):
    """Show the knobs that apply to this family (latent size, D:G ratio, β, coupling layers,
    sampling steps, noise schedule) and the drawing canvas when the target is a drawing."""
    return tuple(gr.update(visible=v) for v in knob_visibility(family, target))


@user_errors
def explore_live_model(z1, z2, temperature, session):
    """Explore the model trained in this session: decode the latent (z₁, z₂, rest 0) to one
    point, over 250 samples drawn at temperature T (z ~ N(0, T²I))."""
    trainer = trained(session)
    z = np.array([[check_number(z1, "z₁", -4, 4), check_number(z2, "z₂", -4, 4)]], np.float32)
    t = check_number(temperature, "temperature", 0.0, 3.0)
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
    trained(session)
    backend = session.backend
    if backend is None:
        raise PlaygroundError("this page cannot open a trained model in the Explore tab")
    with session.lock:  # a copy between chunks; the training may go on meanwhile
        trainer = session.trainer
        kept = live.keep(trainer)
        view_z, view_data = trainer.view_z, trainer.view_data
    with torch.inference_mode():  # scored on the copy: the trainer's history is left as it is
        coverage = live.coverage(kept.decode(view_z).numpy(), view_data)
    c, steps = trainer.config, kept.config.steps_done
    target = TARGET_NAMES[c.target]
    label = f"your {live.LIVE_FAMILIES[c.family].title} on {target} (Train live, step {steps})"
    if session.kept_id:
        backend.drop_session_model(session.kept_id)
    session.kept_id = backend.add_session_model(
        kept, family=f"live {c.family}", dataset=c.target,
        summary=f"Trained in this page for {steps} steps on {target} (seed "
                f"{c.seed}); kept for this session only.",
        metrics={"coverage": coverage})
    choices = [m.id for m in backend.models("decode")] + [(label, session.kept_id)]
    return gr.Dropdown(choices=choices, value=session.kept_id), gr.Tabs(selected="explore"), session


def create_train_live_tab(backend, explore: dict | None = None, tabs=None) -> Target:
    """The tab; with Explore's handles (and the page's tabs) a trained model can be opened there.
    Returns what a view sets on it: a "break it" preset."""
    first = live.LiveConfig()
    shown = knob_visibility(first.family, first.target)
    with gr.Tab("Train live", id="train-live"):
        session = gr.State(LiveSession(backend), time_to_live=SESSION_TTL,
                           delete_callback=stop_session)
        with gr.Row():
            with gr.Column(scale=4):
                preset = gr.Dropdown(list(live.PRESETS), value=None, label="Break it",
                                     info="classic failures, set up for you", elem_id="live-preset")
                why = gr.Markdown(elem_id="live-why")
                target = gr.Radio(TARGET_CHOICES, value=first.target, label="Target",
                                  elem_id="live-target")
                drawing = gr.Sketchpad(label="Draw the target (black strokes)", visible=shown[6],
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
                                            label="Latent size", visible=shown[0])
                    seed = gr.Number(first.seed, precision=0, minimum=0, label="Seed")
                ratio = gr.Radio(list(live.RATIOS), value=first.ratio, label="D:G step ratio",
                                 info="discriminator steps : generator steps per round",
                                 visible=shown[1])
                beta = gr.Slider(0, 100, value=first.beta, step=0.5, label="β (weight of KL)",
                                 visible=shown[2])
                layers = gr.Slider(1, 12, value=first.layers, step=1, label="Coupling layers",
                                   visible=shown[3])
                steps_knob = live.SAMPLING_STEPS
                sampling_steps = gr.Slider(steps_knob.low, steps_knob.high,
                                           value=first.sampling_steps, step=1,
                                           label="Sampling steps (DDIM)", info=steps_knob.info,
                                           visible=shown[4], elem_id="live-sampling-steps")
                schedule = gr.Radio(list(live.SCHEDULES), value=first.schedule,
                                    label="Noise schedule",
                                    info="how noise grows over the levels; none = all at once",
                                    visible=shown[5], elem_id="live-schedule")
                with gr.Row():
                    start_btn = gr.Button("Start", variant="primary", elem_id="live-start")
                    pause_btn = gr.Button("Pause", elem_id="live-pause")
                    reset_btn = gr.Button("Reset", elem_id="live-reset")
                look = first_look(first_frame, "Train live") or (
                    None, None, None, "Pick a target and a family, then press **Start**.")
                status = gr.Markdown(look[3], elem_id="live-status")
            with gr.Column(scale=6):
                with gr.Row():
                    scatter = gr.Plot(look[0], label="Data and samples", elem_id="live-scatter")
                    diagnostic = gr.Plot(look[1], label="Inside the model", elem_id="live-diag")
                losses = gr.Plot(look[2], label="Losses", elem_id="live-loss")
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

    family_knobs = [latent_size, ratio, beta, layers, sampling_steps, schedule, drawing]
    knobs = [target, family, lr, latent_size, steps, ratio, beta, layers, seed]
    preset_out = [*knobs, sampling_steps, schedule, drawing, why]
    preset.input(apply_preset, preset, preset_out, api_name="apply_preset")
    gr.on([family.input, target.input], show_live_knobs, [family, target], family_knobs,
          api_name="show_live_knobs")
    start_btn.click(start_training, [*knobs, drawing, session, sampling_steps, schedule],
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
    return Target(("train-live",), [preset, *preset_out], view_preset)

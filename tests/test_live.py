"""Live training (playground/live/): each family learns, knobs are checked, runs are seeded, a kept
model is served and decoded in the page; the tab's handlers called directly, without HTTP."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import live, webdecoder
from playground.base import FAMILIES
from playground.errors import PlaygroundError
from playground.models.flow import Coupling
from playground.ui import train_live as ui

ROOT = Path(__file__).resolve().parent.parent
LIVE = sorted(live.LIVE_FAMILIES)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trainer(**knobs):
    return live.LiveTrainer(live.checked_config(**{"steps": 300, "seed": 0, **knobs}))


def test_live_families_use_the_shipped_vocabulary():
    """Keyed like playground/base.FAMILIES, and the flow is built from the shipped flow's couplings
    (one convention: the page needs one coupling op)."""
    assert LIVE == ["ddpm", "flow", "gan", "vae"] and set(LIVE) <= set(FAMILIES)
    assert all(cls.family == key for key, cls in live.LIVE_FAMILIES.items())
    layers = trainer(family="flow", layers=3).model.flow.layers
    assert len(layers) == 3 and all(type(c) is Coupling for c in layers)


def test_live_needs_nothing_of_the_web_backend():
    """A training library: validators from playground.errors, never the web service layer."""
    import sys
    code = "import sys, playground.live; print('playground.backend' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("family,loss", [("vae", "loss"), ("flow", "NLL")])
def test_likelihood_families_reduce_their_loss(family, loss):
    t = trainer(family=family)
    t.step(20)
    early = t.mean_loss(loss, last=20)
    t.step(280)
    assert t.mean_loss(loss, last=20) < early


@pytest.mark.parametrize("family", LIVE)
def test_samples_move_towards_the_data(family):
    """Every family, the GAN included (its two losses chase each other and need not fall), brings
    its samples closer to the data: the MMD² between samples and data falls."""
    t = trainer(family=family)
    before = t.snapshot()["mmd"][-1, 1]
    t.step(300)
    after = t.snapshot()["mmd"][-1, 1]
    assert after < 0.5 * before, (before, after)


def test_same_seed_same_run_and_global_rng_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a, b = trainer(family="gan", steps=20), trainer(family="gan", steps=20)
    a.step(20), b.step(20)
    assert np.array_equal(a.snapshot()["samples"], b.snapshot()["samples"])
    assert torch.equal(torch.rand(3), expected), "training must not draw from the global RNG"


def test_steps_stop_at_the_budget():
    t = trainer(family="vae", steps=30)
    assert t.step(100) == 30 and t.done and t.step(5) == 0


def test_snapshot_has_each_family_diagnostic():
    kinds = {f: trainer(family=f).snapshot()["diagnostic"]["kind"] for f in LIVE}
    assert kinds == {"gan": "surface", "vae": "latent", "flow": "lines", "ddpm": "field"}
    snap = trainer(family="gan").snapshot()
    assert snap["diagnostic"]["values"].shape == (live.GRID, live.GRID)
    assert snap["samples"].shape == (live.N_VIEW, 2)


def test_decode_fills_missing_latent_dims():
    t = trainer(family="vae", latent_dim=4)
    assert t.decode([[0.5, -0.5]]).shape == (1, 2)
    with pytest.raises(PlaygroundError, match="latent has 5 dims, model expects 4"):
        t.decode(np.zeros((1, 5)))


@pytest.mark.parametrize("knobs,match", [
    (dict(lr=-1), "learning rate"),
    (dict(lr=float("nan")), "learning rate must be finite"),
    (dict(steps=10**6), "steps must be between"),
    (dict(steps=2.5), "whole number"),
    (dict(family="diffusion"), "family must be one of"),
    (dict(target="../etc/passwd"), "target must be one of"),
    (dict(ratio="9:1"), "ratio"),
    (dict(beta=1e9), "β"),
    (dict(layers=0), "coupling layers"),
    (dict(latent_dim=99), "latent size"),
    (dict(epochs=3), "unknown knob"),
    (dict(sampling_steps=1), "Denoising steps must be between 2 and 250"),
    (dict(sampling_steps=float("inf")), "Denoising steps"),
    (dict(schedule="quadratic"), "noise schedule must be one of"),
])
def test_bad_knobs_are_refused(knobs, match):
    with pytest.raises(PlaygroundError, match=match):
        live.checked_config(**knobs)


def test_drawing_becomes_points():
    img = np.full((64, 64, 4), 0, np.uint8)
    img[20:24, 10:50] = (0, 0, 0, 255)                  # a horizontal black stroke
    pts = live.points_from_drawing(img, n=500)
    assert pts.shape == (500, 2) and np.ptp(pts[:, 0]) > 3 * np.ptp(pts[:, 1])
    t = live.LiveTrainer(live.checked_config(family="flow", target="drawing", steps=10), pts)
    assert t.step(10) == 10


@pytest.mark.parametrize("image,match", [
    (np.zeros((64, 64, 4), np.uint8), "draw a shape"),           # nothing drawn
    (np.full((64, 64, 3), 255, np.uint8), "draw a shape"),       # white page
    (np.zeros((4, 4, 4), np.uint8), "at least 8x8"),
])
def test_empty_drawings_are_refused(image, match):
    with pytest.raises(PlaygroundError, match=match):
        live.points_from_drawing(image)


def test_presets_are_valid_configs():
    for name, preset in live.PRESETS.items():
        live.checked_config(**preset["knobs"])
        assert preset["why"].count("\n") == 1, f"{name}: two lines of explanation"


@pytest.mark.parametrize("family", LIVE)
def test_a_kept_model_is_served_by_the_backend_and_frozen(family, backend):
    t = trainer(family=family, steps=100)
    t.step(50)
    model_id = backend.add_session_model(live.keep(t), family=f"live {family}", summary="kept",
                                         dataset="toy2d")
    info = backend.info(model_id)
    assert info.has("points") and info.latent_dim == t.model.latent_dim
    assert model_id not in [m.id for m in backend.models()], "session models are never listed"
    z = np.zeros(info.latent_dim, np.float32)
    z[0] = 0.7
    before = backend.decode(model_id, z)
    np.testing.assert_allclose(before, t.decode(z[None]), atol=1e-6)
    spec = backend.web_decoder(model_id)  # the page decodes it too (checked against torch)
    assert spec["output"] == "points"
    np.testing.assert_allclose(webdecoder.run(spec, z[None]), before.reshape(1, 2), atol=1e-5)
    t.step(50)  # training on does not change what was kept
    assert np.array_equal(backend.decode(model_id, z), before)
    a = backend.sample(model_id, 5, temperature=0.8, seed=3)
    assert a.shape == (5, 2) and np.array_equal(a, backend.sample(model_id, 5, temperature=0.8, seed=3))
    backend.drop_session_model(model_id)
    with pytest.raises(PlaygroundError, match="another session or has expired"):
        backend.decode(model_id, z)


def test_session_model_ids_cannot_name_anything_else(backend):
    for bad in ["session:", "session:../../etc", "session:vae-mnist-2d"]:
        with pytest.raises(PlaygroundError):
            backend.info(bad)


NODE_SCRIPT = """
const web = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const dec = web.load(input.spec);
process.stdout.write(JSON.stringify(input.z.map(z => Array.from(dec.run(z, 0)))));
"""


@pytest.mark.parametrize("family", LIVE)
def test_a_kept_model_decodes_in_the_page(family, tmp_path):
    """The kept model's export runs in assets/webdecoder.js (under node, when installed) and in
    the numpy reference as torch decodes; a flow exports the shipped flow's op and no other."""
    t = trainer(family=family, steps=100)
    t.step(60)
    kept = live.keep(t)
    assert repr(kept.web_modules()) == repr(kept.web_modules(part="decoder"))
    with pytest.raises(webdecoder.NotExportable, match="no encoder"):
        kept.web_modules(part="encoder")
    spec = json.loads(json.dumps(webdecoder.export(kept, "session:test")))
    ops = {op["op"] for op in spec["ops"]}
    assert family != "flow" or ops == {"coupling_inverse"}
    assert family != "ddpm" or ops == {"ddim"}, "the shipped latent diffusion's sampler op"
    values = np.random.default_rng(2).uniform(-3, 3, size=(4, kept.latent_dim)).round(2)
    with torch.inference_mode():
        want = kept.decode(torch.from_numpy(values.astype(np.float32))).numpy()
    assert np.abs(webdecoder.run(spec, values) - want).max() <= 1e-5
    if not shutil.which("node"):
        pytest.skip("node is not installed: the page's own interpreter is not run")
    script = tmp_path / "run.js"
    script.write_text(NODE_SCRIPT)
    done = subprocess.run(["node", str(script), str(ROOT / "assets" / "webdecoder.js")],
                          input=json.dumps({"spec": spec, "z": values.tolist()}),
                          capture_output=True, text=True, timeout=60, check=True)
    assert np.abs(np.array(json.loads(done.stdout), np.float32) - want).max() <= 1e-5


def test_diffusion_field_and_paths():
    """The diffusion view: a grid of score arrows at one noise level, and reverse paths that run
    through every sampling step from noise to the samples the sampler gives."""
    t = trainer(family="ddpm", sampling_steps=10)
    t.step(100)
    diag = t.snapshot()["diagnostic"]
    grid = live.LiveDiffusion.FIELD_GRID
    assert diag["points"].shape == diag["arrows"].shape == (grid * grid, 2)
    paths = diag["paths"]
    assert paths.shape == (live.LiveDiffusion.TRAJECTORIES, 10 + 1, 2)
    np.testing.assert_allclose(paths[:, -1], t.decode(paths[:, 0]), atol=1e-5)
    cell = np.ptp(diag["points"][:, 0]) / (grid - 1)
    assert np.linalg.norm(diag["arrows"], axis=1).max() == pytest.approx(cell, rel=1e-4)


def test_new_sampling_steps_resample_the_same_model():
    """Sampling steps only change the sampler: a finished run takes them without training anew,
    and its distance to the data is measured again."""
    t = trainer(family="ddpm", steps=60)
    t.step(60)
    before = t.snapshot()
    changed = live.checked_config(**{**before["config"], "sampling_steps": 5})
    assert t.continues(changed)
    assert not t.continues(live.checked_config(**{**before["config"], "schedule": "cosine"}))
    t.reconfigure(changed)
    after = t.snapshot()
    assert t.steps_done == 60 and not np.array_equal(after["samples"], before["samples"])
    assert len(after["mmd"]) == 1 and after["mmd"][0, 1] != before["mmd"][0, 1]
    assert not trainer(family="flow").continues(live.checked_config(family="flow", steps=300,
                                                                    layers=2))


def test_diffusion_presets_show_their_failure():
    """The presets' explanations hold: 3 DDIM steps leave the samples huddled between the eight
    Gaussians until 25 steps resample the same model onto them; one noise level (no schedule)
    sends every sample to the middle of the moons whatever the steps."""
    few = live.LiveTrainer(live.checked_config(**live.PRESETS["Diffusion with too few steps"]["knobs"]))
    few.step(few.config.steps)
    huddled = few.snapshot()["coverage"]
    few.reconfigure(live.checked_config(**{**few.config.__dict__, "sampling_steps": 25}))
    assert huddled < 0.2 and few.snapshot()["coverage"] > 0.9, huddled
    one = live.LiveTrainer(live.checked_config(**live.PRESETS["Diffusion with no noise schedule"]["knobs"]))
    one.step(one.config.steps)
    samples = one.snapshot()["samples"]
    assert (samples.std(0) < 0.25 * one.view_data.std(0)).all()
    assert np.abs(samples.mean(0) - one.view_data.mean(0)).max() < 0.4


def test_the_page_has_one_coupling_op():
    """Live and shipped flows share one convention, so the interpreters carry one coupling op."""
    assert "affine_coupling" not in webdecoder.OPS
    assert "affine_coupling" not in (ROOT / "assets" / "webdecoder.js").read_text()


# ---- the tab's handlers, called as Gradio would --------------------------------------------------
def test_knobs_shown_are_the_family_s_own():
    assert ui.FAMILY_KNOBS == ("latent_dim", "ratio", "beta", "layers", "sampling_steps",
                               "schedule")
    assert ui.knob_visibility("gan", "moons") == (True, True, False, False, False, False, False)
    assert ui.knob_visibility("vae", "drawing") == (True, False, True, False, False, False, True)
    assert ui.knob_visibility("flow", "moons") == (False, False, False, True, False, False, False)
    assert ui.knob_visibility("ddpm", "moons") == (False, False, False, False, True, True, False)
    assert [v for _, v in ui.FAMILY_CHOICES] == list(live.LIVE_FAMILIES)
    with pytest.raises(PlaygroundError, match="family must be one of"):
        ui.knob_visibility("realnvp", "moons")


def test_handlers_train_pause_keep_and_reset(backend):
    session = ui.LiveSession(backend)
    frames = list(ui.start_training("moons", "flow", 0.005, 2, 50, "1:1", 1.0, 2, 0, None, session))
    assert "Finished" in frames[-1][3] and session.trainer.steps_done == 50
    assert "Paused" in ui.pause_training(session)
    plot = ui.explore_live_model(0.5, -0.5, 1.0, session)
    assert "flow after 50 steps" in plot.layout.title.text
    picker, _, _ = ui.keep_live_model(session)
    assert picker.value == session.kept_id and backend.info(session.kept_id).has("points")
    assert backend.web_decoder(session.kept_id)["ops"][0]["op"] == "coupling_inverse"
    *plots, note, _ = ui.reset_training(session)
    assert plots == [None, None, None] and "Reset" in note
    with pytest.raises(Exception, match="train a model first"):
        ui.explore_live_model(0.0, 0.0, 1.0, session)
    ui.stop_session(session)  # the session expires: its kept model goes with it
    with pytest.raises(PlaygroundError, match="another session or has expired"):
        backend.info(session.kept_id)


# ---- the first look: the default run's final frame, shipped in assets/ ------------------------
def test_the_shipped_first_frame_is_today_s_default_run():
    """A change of LiveConfig's defaults must regenerate the file, or the page would open on
    another run than Start trains."""
    from dataclasses import asdict
    from playground.live import first_look
    stored = json.loads(first_look.PATH.read_text())
    assert stored["config"] == asdict(live.LiveConfig()), \
        "LiveConfig's defaults changed: run python -m playground.live.first_look"
    assert stored["steps_done"] == live.LiveConfig().steps
    assert first_look.PATH.stat().st_size < 300_000


def test_the_first_frame_is_three_figures_and_a_status():
    import plotly.graph_objects as go
    *figures, status = ui.first_frame()
    assert all(isinstance(f, go.Figure) for f in figures)
    scatter, diagnostic, _ = figures
    assert len(scatter.data[1].x) == live.N_VIEW and diagnostic.data[0].type == "heatmap"
    assert "final frame" in status and f"{live.LiveConfig().steps:,} steps" in status
    assert "coverage" in status


def test_a_stored_snapshot_reads_back_as_it_was_and_only_for_the_defaults(tmp_path):
    from playground.live import first_look
    t = live.LiveTrainer(live.LiveConfig())
    t.step(20)
    snap = t.snapshot()
    first_look.write(snap, tmp_path / "look.json")
    back = first_look.load(tmp_path / "look.json")
    assert back.keys() == snap.keys() and back["config"] == snap["config"]
    for key in ("data", "samples", "mmd"):
        np.testing.assert_allclose(back[key], snap[key], rtol=1e-3)
    np.testing.assert_allclose(back["diagnostic"]["values"], snap["diagnostic"]["values"], rtol=1e-3)
    assert back["history"]["D loss"].shape == (20,) and back["steps_done"] == 20
    stale = json.loads((tmp_path / "look.json").read_text())
    stale["config"]["lr"] = 0.01
    (tmp_path / "stale.json").write_text(json.dumps(stale))
    with pytest.raises(PlaygroundError, match="python -m playground.live.first_look"):
        first_look.load(tmp_path / "stale.json")

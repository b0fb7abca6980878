"""Diffusion models through the services and the Tools handlers, on the tiny root (random weights,
so fast): sampler knobs are checked once and change the answer, the same seed and knobs give the
same samples, inversion goes back to the drawing's noise and forth to the drawing, step-by-step
frames show x_t beside the guess of x_0, and the mathematics of the shared sampler holds (the
schedule, DDIM's determinism, inversion against decoding on a trained-free identity check)."""
import numpy as np
import pytest
import torch

from playground.backend import Backend
from playground.errors import PlaygroundError
from playground.models.diffusion import MAX_SAMPLING_STEPS, cosine_alphas_cumprod
from playground.tools import Tools, inversion
from tests.factories import tiny

DIFFUSION = ["ddpm-mnist", "ldm-mnist"]


@pytest.fixture(scope="module")
def backend(tiny_root):
    return Backend(tiny_root)


def test_the_schedule_falls_from_clean_to_noise():
    a = cosine_alphas_cumprod(1000)
    assert a.shape == (1000,) and a[0] > 0.999 and a[-1] < 1e-3
    assert bool((a[1:] < a[:-1]).all()), "ᾱ_t falls at every step"


@pytest.mark.parametrize("model_id", DIFFUSION)
def test_knobs_are_declared_checked_and_change_the_samples(backend, model_id):
    info = backend.info(model_id)
    assert [k.name for k in info.knobs] == ["guidance", "sampling_steps", "sampler"]
    assert info.decodes_slowly == (model_id == "ddpm-mnist")  # a U-Net run per step, or an MLP
    a = backend.sample(model_id, 4, seed=1, label="3", knobs={"guidance": 0.0, "sampling_steps": 4})
    b = backend.sample(model_id, 4, seed=1, label="3", knobs={"guidance": 0.0, "sampling_steps": 4})
    c = backend.sample(model_id, 4, seed=1, label="3", knobs={"guidance": 4.0, "sampling_steps": 4})
    d = backend.sample(model_id, 4, seed=1, label="3",
                       knobs={"guidance": 0.0, "sampling_steps": 4, "sampler": "ddpm"})
    assert np.array_equal(a, b), "same seed and knobs, same samples"
    assert not np.array_equal(a, c) and not np.array_equal(a, d), "guidance and sampler matter"


@pytest.mark.parametrize("knobs,message", [
    ({"guidance": float("nan")}, "Guidance"),
    ({"guidance": 9.0}, "Guidance"),
    ({"guidance": "strong"}, "Guidance"),
    ({"sampling_steps": 1}, "Denoising steps"),
    ({"sampling_steps": MAX_SAMPLING_STEPS + 1}, "Denoising steps"),
    ({"sampling_steps": 2.5}, "Denoising steps"),
    ({"sampler": "../../etc/passwd"}, "Sampler"),
    ({"temperature_of_noise": 1.0}, "unknown sampler knob"),
])
def test_bad_knobs_are_refused_for_every_model(backend, knobs, message):
    """A knob value is checked wherever some family declares the knob, used by this model or not."""
    for model_id in ("ddpm-mnist", "vae-mnist-2d"):
        with pytest.raises(PlaygroundError, match=message):
            backend.sample(model_id, 2, seed=0, label="1" if model_id == "ddpm-mnist" else None,
                           knobs=knobs)


def test_a_slow_sampler_reports_progress_and_keeps_its_prefix(backend):
    """A U-Net sampler draws 16 at a time whether anyone listens or not: progress after each
    batch, and a larger request starts with the samples of a smaller one."""
    seen = []
    many = backend.sample("ddpm-mnist", 40, seed=7, label="2", knobs={"sampling_steps": 3},
                          progress=seen.append)
    assert seen == [16 / 40, 32 / 40, 1.0]
    few = backend.sample("ddpm-mnist", 16, seed=7, label="2", knobs={"sampling_steps": 3})
    assert np.array_equal(many[:16], few)
    fast = []
    backend.sample("ldm-mnist", 40, seed=7, label="2", progress=fast.append)
    assert fast == [1.0], "a fast sampler draws all at once"


def test_a_model_without_knobs_takes_none(backend):
    assert backend.info("vae-mnist-2d").knobs == ()
    plain = backend.sample("vae-mnist-2d", 4, seed=2)
    assert np.array_equal(plain, backend.sample("vae-mnist-2d", 4, seed=2,
                                                knobs={"guidance": 3.0, "sampler": "ddpm"}))


@pytest.mark.parametrize("model_id", DIFFUSION)
def test_steps_show_x_t_beside_the_guess_of_x_0(backend, model_id):
    frames = list(backend.sample_steps(model_id, 2, seed=0, label="5",
                                       knobs={"sampling_steps": 5}))
    assert len(frames) == 5
    images, stats = frames[-1]
    assert images.shape == (2, 28, 56) and images.dtype == np.uint8
    path = {"state"} if backend.info(model_id).has("path") else set()
    assert set(stats) == {"step", "change"} | path and stats["step"][0] == 0
    assert backend.info(model_id).ui.panels[0].endswith("x_t")
    with pytest.raises(PlaygroundError, match="Denoising steps"):
        next(backend.sample_steps(model_id, 2, seed=0, label="5", knobs={"sampling_steps": 0}))


def test_a_latent_diffusion_s_path_and_its_map(backend):
    """ldm-mnist's frames carry x_t (the capability "path"): the last one is the sample's
    latent, whose decoding is the last frame's guess of x_0; the map is the validation digits'
    latents on their two principal directions, which projects any state."""
    assert backend.info("ldm-mnist").has("path") and not backend.info("ddpm-mnist").has("path")
    with pytest.raises(PlaygroundError, match="draws no sampler path"):
        backend.path_map("ddpm-mnist")
    frames = list(backend.sample_steps("ldm-mnist", 3, seed=0, label="2",
                                       knobs={"sampling_steps": 4}))
    states = np.stack([stats["state"] for _, stats in frames])
    assert states.shape == (4, 3, 16)
    m = backend.store.model("ldm-mnist")
    with torch.inference_mode():
        last = m.to_data(torch.from_numpy(states[-1]), None).numpy()[:, 0]
    assert np.abs(last * 255 - frames[-1][0][:, :, 28:]).max() <= 1
    pmap = backend.path_map("ldm-mnist")
    assert pmap is backend.path_map("ldm-mnist"), "fitted once, then cached"
    n = len(pmap["points"])
    assert pmap["points"].shape == (n, 2) and pmap["labels"].shape == (n,)
    assert pmap["components"].shape == (2, 16) and 0 < pmap["explained"].sum() <= 1 + 1e-9
    with torch.inference_mode():
        x, _ = __import__("playground.data", fromlist=["split"]).split("mnist", "val")
        h = m.path_space(x[:5]).double().numpy()
    np.testing.assert_allclose((h - pmap["mean"]) @ pmap["components"].T, pmap["points"][:5],
                               atol=1e-4)


def test_the_trained_ldm_path_moves_from_noise_onto_the_digits():
    """With the shipped weights, on the map, each path ends in the cloud of real digits of the
    asked class: the nearest class centre for most samples, and at half the distance it began."""
    shipped = Backend()
    pmap = shipped.path_map("ldm-mnist")
    centres = np.stack([pmap["points"][pmap["labels"] == k].mean(0) for k in range(10)])
    frames = list(shipped.sample_steps("ldm-mnist", 16, seed=0, label="7",
                                       knobs={"sampling_steps": 10}))
    first, last = ((frames[i][1]["state"] - pmap["mean"]) @ pmap["components"].T for i in (0, -1))
    to_centres = [np.linalg.norm(s[:, None] - centres[None], axis=2) for s in (first, last)]
    assert (to_centres[1].argmin(1) == 7).mean() >= 0.75
    assert to_centres[1][:, 7].mean() < 0.7 * to_centres[0][:, 7].mean(), to_centres


def test_ddim_is_deterministic_and_inversion_retraces_it():
    """With η = 0 the sampler is a fixed map from noise to data, and encoding runs it backwards.
    Checked with the exact noise prediction for N(0, I) data, ε(x_t) = √(1-ᾱ_t) x_t, where each
    DDIM step scales x by cos(θ_t - θ_s) (ᾱ = cos²θ): decode(encode(z)) comes back to z with an
    error that shrinks as the steps get finer."""
    model = tiny("ddpm-mnist", timesteps=1000)
    abar = model.alphas_cumprod
    model.eps = lambda x, t, y: (1 - abar[t]).sqrt().view(-1, 1, 1, 1) * x
    model.x0_range = None                     # N(0, I) data is not clipped to [-1, 1] ...
    model.to_data = model.to_model_space = lambda x, c: x   # ... nor to pixels in [0, 1]
    z = torch.randn(3, model.latent_dim, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([1, 2, 3])
    assert torch.equal(model.decode(z, y), model.decode(z, y))
    errors = []
    for steps in (5, 50):
        back = model.encode(model.decode(z, y, sampling_steps=steps), y, sampling_steps=steps)
        errors.append((back - z).abs().mean().item())
    assert errors[1] < errors[0] / 3 and errors[1] < 0.05, errors


@pytest.mark.parametrize("model_id", DIFFUSION + ["cvae-mnist"])
def test_invert_a_drawing_regenerate_it_and_change_its_class(backend, model_id):
    img = np.full((200, 200, 4), 255, np.uint8)
    img[40:160, 90:110, :3] = 0
    r = inversion.invert(Tools(backend), model_id, img, "1", {"sampling_steps": 10})
    assert r.digit.shape == r.regenerated.shape == (28, 28)
    assert r.classes.shape == (10, 28, 28) and 0 <= r.error <= 1
    assert (r.noise is not None) == (r.latent.size == 28 * 28)
    with pytest.raises(PlaygroundError, match="blank|empty|nothing"):
        inversion.invert(Tools(backend), model_id, np.full((200, 200, 4), 255, np.uint8), "1")


@pytest.mark.parametrize("model_id", DIFFUSION)
def test_slerp_between_two_inverted_drawings(backend, model_id):
    """The interpolation tool's "my drawing" endpoints of a diffusion model are DDIM-inverted
    noises (with the class): the path starts and ends at the drawings' regenerations."""
    from playground.tools import interpolation
    one, seven = np.full((200, 200, 4), 255, np.uint8), np.full((200, 200, 4), 255, np.uint8)
    one[40:160, 90:110, :3] = 0
    seven[40:60, 50:150, :3], seven[60:170, 130:150, :3] = 0, 0
    tools = Tools(backend)
    r = interpolation.interpolate(tools, model_id, ("drawing", 0, one), ("drawing", 0, seven),
                                  method="slerp", steps=4, label="1")
    assert r.frames.shape == (4, 28, 28) and r.endpoints == [{"source": "drawing"}] * 2
    start = inversion.invert(tools, model_id, one, "1")
    np.testing.assert_allclose(r.latents[0], start.latent, atol=1e-5)
    assert np.abs(r.frames[0].astype(int) - start.regenerated).max() <= 1


def test_models_without_a_class_cannot_invert(backend):
    with pytest.raises(PlaygroundError, match="cannot be used here"):
        inversion.invert(Tools(backend), "vae-mnist-2d", np.zeros((28, 28)), None)


def test_a_family_may_set_its_own_default_of_a_shared_knob(backend):
    """PixelCNN shares the guidance control with the diffusion models but opens at 1.5: picking
    it moves the control there, and a request that gives no value samples at it."""
    from playground.base import all_knobs, own_default
    from playground.ui.common import knob_updates
    guidance = next(k for k in all_knobs() if k.name == "guidance")
    px, dd = backend.info("pixelcnn-mnist"), backend.info("ddpm-mnist")
    assert own_default(guidance, px.knobs) == 1.5 and own_default(guidance, dd.knobs) == 2.0
    shown = knob_updates(px)
    assert shown[0]["visible"] and shown[0]["value"] == 1.5
    assert not shown[1]["visible"] and "value" not in shown[1]   # DDIM steps: not PixelCNN's
    assert knob_updates(dd)[0]["value"] == 2.0
    a = backend.sample("pixelcnn-mnist", 2, seed=3, label="4")
    assert np.array_equal(a, backend.sample("pixelcnn-mnist", 2, seed=3, label="4",
                                            knobs={"guidance": 1.5}))

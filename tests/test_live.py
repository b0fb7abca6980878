"""Live training (playground/live.py): each family learns, knobs are checked, runs are seeded."""
import numpy as np
import pytest
import torch

from playground import live, webdecoder
from playground.backend import PlaygroundError


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def trainer(**knobs):
    return live.LiveTrainer(live.checked_config(**{"steps": 300, "seed": 0, **knobs}))


@pytest.mark.parametrize("family,loss", [("vae", "loss"), ("realnvp", "NLL")])
def test_likelihood_families_reduce_their_loss(family, loss):
    t = trainer(family=family)
    t.step(20)
    early = t.mean_loss(loss, last=20)
    t.step(280)
    assert t.mean_loss(loss, last=20) < early


@pytest.mark.parametrize("family", list(live.FAMILIES))
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
    kinds = {f: trainer(family=f).snapshot()["diagnostic"]["kind"] for f in live.FAMILIES}
    assert kinds == {"gan": "surface", "vae": "latent", "realnvp": "lines"}
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
])
def test_bad_knobs_are_refused(knobs, match):
    with pytest.raises(PlaygroundError, match=match):
        live.checked_config(**knobs)


def test_drawing_becomes_points():
    img = np.full((64, 64, 4), 0, np.uint8)
    img[20:24, 10:50] = (0, 0, 0, 255)                  # a horizontal black stroke
    pts = live.points_from_drawing(img, n=500)
    assert pts.shape == (500, 2) and np.ptp(pts[:, 0]) > 3 * np.ptp(pts[:, 1])
    t = live.LiveTrainer(live.checked_config(family="realnvp", target="drawing", steps=10), pts)
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


@pytest.mark.parametrize("family", ["gan", "vae", "realnvp"])
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

"""Backend: discovery, validation with clear errors, the cache, determinism."""
import concurrent.futures
import math

import numpy as np
import pytest

from playground.backend import Backend
from playground.errors import PlaygroundError, MAX_SAMPLES

SHIPPED = {"vae-mnist-2d", "vae-mnist-16d", "cvae-mnist"}


def test_discovers_the_shipped_models(backend):
    ids = {m.id for m in backend.models()}
    assert SHIPPED <= ids
    assert {m.id for m in backend.models("condition")} >= {"cvae-mnist"}
    for m in backend.models():
        assert m.summary, f"{m.id} has no summary for the picker"
        assert "## Metrics" in backend.card(m.id)


@pytest.mark.parametrize("bad", ["nope", "../pretrained/vae-mnist-2d", "/etc/passwd", "vae-mnist-2d/",
                                 "", None, 3, "VAE-MNIST-2D", "x" * 10_000, "..", "classifier-mnist"])
def test_unknown_or_path_like_ids_are_refused(backend, bad):
    with pytest.raises(PlaygroundError, match="unknown model"):
        backend.info(bad)


@pytest.mark.parametrize("z", [[math.nan, 0.0], [0.0, math.inf], [-math.inf, 0], [1e9, 0], [0.0],
                               [0.0, 0.0, 0.0], "0,0", None, [[0, "a"]], [{"a": 1}, 0]])
def test_bad_latents_are_refused(backend, z):
    with pytest.raises(PlaygroundError):
        backend.decode("vae-mnist-2d", z)


@pytest.mark.parametrize("t", [0, -1, math.nan, math.inf, 1e6, "hot"])
def test_bad_temperatures_are_refused(backend, t):
    with pytest.raises(PlaygroundError, match="temperature"):
        backend.sample("vae-mnist-2d", 4, temperature=t, seed=0)


@pytest.mark.parametrize("n", [0, -3, MAX_SAMPLES + 1, 10**9, 2.5, math.nan])
def test_bad_counts_are_refused(backend, n):
    with pytest.raises(PlaygroundError, match="sample count"):
        backend.sample("vae-mnist-16d", n, temperature=1.0, seed=0)


@pytest.mark.parametrize("label", [None, 10, -1, "eleven", 3.5])
def test_conditional_models_need_a_valid_class(backend, label):
    with pytest.raises(PlaygroundError, match="class"):
        backend.sample("cvae-mnist", 4, temperature=1.0, seed=0, label=label)


@pytest.mark.parametrize("seed", [-1, 2**40, math.nan, "x"])
def test_bad_seeds_are_refused(backend, seed):
    with pytest.raises(PlaygroundError, match="seed"):
        backend.sample("vae-mnist-2d", 2, temperature=1.0, seed=seed)


def test_decode_gives_an_image_and_batches(backend):
    img = backend.decode("vae-mnist-2d", [0.5, -1.0])
    assert img.shape == (28, 28) and img.dtype == np.uint8 and img.max() > 100
    batch = backend.decode("vae-mnist-2d", [[0.5, -1.0], [0, 0]])
    assert batch.shape == (2, 28, 28) and np.array_equal(batch[0], img)


def test_same_seed_same_samples(backend):
    a = backend.sample("cvae-mnist", 8, temperature=0.8, seed=5, label="3")
    b = backend.sample("cvae-mnist", 8, temperature=0.8, seed=5, label=3)
    c = backend.sample("cvae-mnist", 8, temperature=0.8, seed=6, label=3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_slider_modes_and_rest(backend):
    info = backend.info("vae-mnist-16d")
    assert info.slider_count == 12
    values = [0.5] * 12
    axes = backend.latent_from_sliders(info.id, values, mode="axes")
    assert np.allclose(axes[:12], 0.5) and np.allclose(axes[12:], 0)
    rest = backend.latent_from_sliders(info.id, values, mode="axes", rest_seed=3)
    assert np.allclose(rest[:12], 0.5) and not np.allclose(rest[12:], 0)
    assert np.array_equal(rest, backend.latent_from_sliders(info.id, values, mode="axes", rest_seed=3))
    pc = backend.latent_from_sliders(info.id, values, mode="principal")
    assert not np.allclose(pc, axes)
    # sliders_for_latent inverts the principal mapping for the visible sliders
    assert np.allclose(backend.sliders_for_latent(info.id, pc, mode="principal"), values, atol=0.01)
    with pytest.raises(PlaygroundError, match="slider mode"):
        backend.latent_from_sliders(info.id, values, mode="../etc")
    with pytest.raises(PlaygroundError, match="expects 12"):
        backend.latent_from_sliders(info.id, [0.0] * 16)


def test_principal_directions_were_fitted(backend):
    m = backend.model("vae-mnist-16d")
    scales = m.latent_scales.numpy()
    assert not np.allclose(scales, 1) and np.all(np.diff(scales) <= 1e-6), "sorted spreads"


def test_cache_returns_the_same_object_and_is_bounded():
    b = Backend(cache_size=2)
    first = b.model("vae-mnist-2d")
    assert b.model("vae-mnist-2d") is first
    b.model("vae-mnist-16d"), b.model("cvae-mnist")
    assert b.store._loaded.keys() == ["vae-mnist-16d", "cvae-mnist"]


def test_concurrent_loads_are_safe():
    b = Backend()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        models = list(pool.map(lambda _: b.model("vae-mnist-16d"), range(32)))
    assert all(m is models[0] for m in models)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda s: b.sample("vae-mnist-16d", 4, seed=s % 2), range(16)))
    assert all(np.array_equal(o, outs[i % 2]) for i, o in enumerate(outs))

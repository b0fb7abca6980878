"""Latent maps: projection fits, the map ↔ latent correspondences, files and cache, validation."""
import numpy as np
import pytest

from playground import projection as proj
from playground.backend import Backend
from playground.errors import PlaygroundError
from playground.images import digit_from_image



@pytest.fixture
def codes():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (3, 6))
    return (centres[np.arange(120) % 3] + rng.normal(0, 0.3, (120, 6))).astype(np.float32)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(proj.ENV_CACHE, str(tmp_path / "cache"))
    return tmp_path / "cache"


# ---- fitting ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,params", [("pca", {}), ("tsne", {"perplexity": 10})])
def test_fit_shapes_and_determinism(codes, method, params):
    a, extra = proj.fit(method, codes, params)
    b, _ = proj.fit(method, codes, params)
    assert a.shape == (len(codes), 2) and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, b), "same codes and params → same map"
    assert set(extra) == ({"pca_mean", "pca_components"} if method == "pca" else set())


def test_latent_plane_is_the_identity_for_2d():
    z = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    points, _ = proj.fit("latent", z, latent_dim=2)
    assert np.array_equal(points, z)


@pytest.mark.parametrize("method,params,match", [
    ("spectral", {}, "unknown projection method"),
    (None, {}, "unknown projection method"),
    ("umap", {"n_neighbors": 1}, "n_neighbors"),
    ("umap", {"n_neighbors": 0}, "n_neighbors"),
    ("umap", {"n_neighbors": 1000}, "fewer than the 1000 points"),
    ("umap", {"n_neighbors": 7.5}, "whole number"),
    ("umap", {"min_dist": -0.1}, "min_dist"),
    ("umap", {"min_dist": 1.5}, "min_dist"),
    ("umap", {"min_dist": float("nan")}, "min_dist"),
    ("umap", {"min_dist": "far"}, "min_dist must be a number"),
    ("tsne", {"perplexity": 1000}, "perplexity"),
    ("latent", {}, "only for 2-D latents"),
])
def test_absurd_parameters_are_refused(method, params, match):
    with pytest.raises(ValueError, match=match):
        proj.check_params(method, params, n_points=1000, latent_dim=16)


def test_parameters_are_normalised():
    assert proj.check_params("umap", {"n_neighbors": 30.0, "junk": 1}, 1000, 16) == \
        {"n_neighbors": 30, "min_dist": 0.1}
    assert proj.check_params("pca", {"n_neighbors": 3}, 1000, 16) == {}


# ---- map ↔ latent -------------------------------------------------------------------------------
def test_pca_places_latents_exactly(codes):
    points, extra = proj.fit("pca", codes)
    p = proj.Projection("pca", {}, points, np.zeros(len(codes), np.int64), codes, extra)
    xy, how = p.to_map(codes[:5])
    assert np.allclose(xy, points[:5], atol=1e-4) and how.startswith("exact")


def test_click_on_a_point_decodes_its_latent_and_between_points_averages(codes):
    points, extra = proj.fit("tsne", codes, {"perplexity": 10})
    p = proj.Projection("tsne", {"perplexity": 10.0}, points, np.arange(len(codes)) % 3, codes)
    z, how = p.from_map(points[7])
    assert how["snapped"] and how["index"] == 7 and np.array_equal(z, codes[7])
    far = points.max(0) + 100
    z, how = p.from_map(far)
    assert not how["snapped"] and len(how["neighbours"]) == proj.K_NEIGHBOURS
    near = codes[how["neighbours"]]
    assert np.all(z >= near.min(0) - 1e-5) and np.all(z <= near.max(0) + 1e-5), "a convex combination"
    assert "nearest" in p.how_clicks_work()


def test_latent_plane_inverts_exactly_anywhere():
    z = np.random.default_rng(2).normal(size=(40, 2)).astype(np.float32)
    p = proj.Projection("latent", {}, z.copy(), np.zeros(40, np.int64), z)
    back, how = p.from_map([1.234, -2.5])
    assert np.allclose(back, [1.234, -2.5]) and how["how"].startswith("exact")
    assert "exactly one latent" in p.how_clicks_work()


# ---- files and cache ----------------------------------------------------------------------------
def test_save_load_round_trip_and_stale_weights(tmp_path, codes):
    points, extra = proj.fit("pca", codes)
    p = proj.Projection("pca", {}, points, np.arange(len(codes)) % 3, codes, extra)
    path = tmp_path / "m.npz"
    proj.save(path, p, "abc")
    q = proj.load(path, "abc")
    assert q.method == "pca" and np.array_equal(q.points, points) and np.array_equal(q.codes, codes)
    assert np.array_equal(q.extra["pca_components"], extra["pca_components"])
    assert proj.load(path, "other weights") is None
    path.write_bytes(b"not an npz")
    assert proj.load(path, "abc") is None
    assert not list(tmp_path.glob("*.tmp*")), "no temporary files left behind"


def test_cache_key_is_a_hash_never_a_path():
    key = proj.cache_key("../../etc/passwd", "sha", "umap", {"n_neighbors": 15})
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    assert key != proj.cache_key("../../etc/passwd", "sha", "umap", {"n_neighbors": 16})


def test_recompute_is_cached_on_disk_and_a_second_request_fits_nothing(cache):
    params = {"perplexity": 12}
    first = Backend().projection("vae-mnist-2d", "tsne", params)
    assert first.source == "computed" and first.points.shape == (1000, 2)
    assert len(list(cache.glob("*.npz"))) == 1
    again = Backend().projection("vae-mnist-2d", "tsne", params)  # a fresh process's view
    assert again.source == "cache" and np.array_equal(again.points, first.points)


def test_bad_requests_cache_nothing(cache):
    b = Backend()
    for method, params in [("umap", {"n_neighbors": 1}), ("umap", {"min_dist": 3}), ("nope", {}),
                           ("latent", {})]:
        with pytest.raises(PlaygroundError):
            b.projection("vae-mnist-16d", method, params)
    with pytest.raises(PlaygroundError, match="unknown model"):
        b.projection("../pretrained/vae-mnist-2d", "pca")
    assert not cache.exists() or not list(cache.iterdir())


SHIPPED_WITH_MAPS = ("vae-mnist-2d", "vae-mnist-16d", "cvae-mnist")


def test_shipped_maps_load_fast_without_umap(backend):
    """Every map file next to the weights is current (made from these weights) and small; the
    models that shipped with the Latent map tab have one per method."""
    for info in backend.map_models():
        for method in backend.map_methods(info.id):
            path = proj.shipped_path(backend.root / info.id, method)
            if not path.is_file():
                assert info.id not in SHIPPED_WITH_MAPS, f"{path} missing"
                continue
            # points and the latents they stand for, float32, plus a little metadata
            assert path.stat().st_size < 4 * 1000 * (2 + info.latent_dim) + 100_000
            assert proj.load(path, backend.store.weights_sha(info.id)), \
                f"{path} was made from other weights: run python -m playground.maps {info.id}"
            p = backend.projection(info.id, method)
            assert p.source == "shipped" and p.points.shape == (1000, 2)
            assert p.codes.shape == (1000, info.latent_dim) and sorted(set(p.labels)) == list(range(10))
    # that starting the app does not import umap: tests/test_imports.py (no subprocess needed)


def test_place_and_click_through_the_backend(backend):
    p = backend.projection("vae-mnist-16d", "umap")
    xy, how = backend.place_on_map("vae-mnist-16d", "umap", None, p.codes[3])
    assert np.linalg.norm(xy - p.points[3]) < np.ptp(p.points, 0).max() / 5
    z, how = backend.map_latent("vae-mnist-16d", "umap", None, *p.points[3])
    assert how["snapped"] and how["index"] == 3 and np.array_equal(z, p.codes[3])
    z, how = backend.map_latent("cvae-mnist", "pca", None, 0.0, 0.0)
    assert how["class_name"] in backend.info("cvae-mnist").class_names
    with pytest.raises(PlaygroundError, match="x must be"):
        backend.map_latent("vae-mnist-2d", "latent", None, float("inf"), 0)


# ---- drawings -----------------------------------------------------------------------------------
def test_drawing_is_cropped_scaled_and_centred_like_mnist():
    canvas = np.zeros((400, 300, 4), np.uint8)
    canvas[20:120, 10:40] = (0, 0, 0, 255)          # a black bar, top-left, on transparency
    digit = digit_from_image({"composite": canvas})
    assert digit.shape == (28, 28) and digit.max() == pytest.approx(1.0, abs=0.05)
    ys, xs = np.nonzero(digit > 0.2)
    assert ys.max() - ys.min() + 1 <= 21 and ys.max() - ys.min() + 1 >= 18, "longest side → 20 px"
    mass = np.array([np.average(ys, weights=digit[ys, xs]), np.average(xs, weights=digit[ys, xs])])
    assert np.allclose(mass, 13.5, atol=1.0), "centred by centre of mass"
    paper = np.full((200, 200, 3), 255, np.uint8)
    paper[50:150, 90:110] = 0                         # dark ink on white paper (an upload)
    assert np.allclose(digit_from_image(paper), digit_from_image(255 - paper), atol=1e-6)


@pytest.mark.parametrize("image,match", [
    (None, "draw a digit"),
    ({"composite": None}, "draw a digit"),
    ({"composite": np.zeros((280, 280, 4), np.uint8)}, "empty"),
    (np.full((100, 100, 3), 255, np.uint8), "empty"),
    (np.zeros((3000, 100), np.uint8), "the most is"),
    ("hello", "not an image"),
    (np.zeros((10, 10, 7)), "not an image"),
])
def test_bad_drawings_get_clear_messages(image, match):
    with pytest.raises(PlaygroundError, match=match):
        digit_from_image(image)


def test_encode_validates_shapes(backend):
    z = backend.encode("vae-mnist-16d", np.zeros((2, 28, 28)))
    assert z.shape == (2, 16)
    with pytest.raises(PlaygroundError, match="28, 28"):
        backend.encode("vae-mnist-16d", np.zeros((2, 14, 14)))
    with pytest.raises(PlaygroundError, match=r"\[0, 1\]"):
        backend.encode("vae-mnist-16d", np.full((1, 28, 28), 9.0))
    with pytest.raises(PlaygroundError, match="class"):
        backend.encode("cvae-mnist", np.zeros((1, 28, 28)))


def test_a_decoder_only_model_maps_prior_samples_coloured_by_the_judge(tmp_path, cache):
    """A model with a decoder but no encoder (a GAN): 1,000 prior samples, labelled by the judge."""
    import playground.models  # noqa: F401
    from playground.base import FAMILIES
    recipe = playground.models.RECIPES.get("dcgan-mnist")
    if recipe is None or not (Backend().root / "classifier-mnist").is_dir():
        pytest.skip("needs the gan family and the judge classifier")
    cls = FAMILIES[recipe.family]
    model = cls(cls.config_class(**{**vars(recipe.config), **recipe.tiny}))
    model.save_pretrained(tmp_path / "gan-tiny", data={"name": "mnist"}, ui={})
    (tmp_path / "classifier-mnist").symlink_to(Backend().root / "classifier-mnist")
    b = Backend(tmp_path)
    assert [m.id for m in b.map_models()] == ["gan-tiny"]
    p = b.projection("gan-tiny", "pca")
    assert p.points.shape == (1000, 2) and p.codes.shape == (1000, recipe.tiny["latent_dim"])
    assert p.labels.min() >= 0 and p.labels.max() <= 9 and "judge" in b.map_source("gan-tiny")
    z, how = b.map_latent("gan-tiny", "pca", None, *p.points[0])
    assert np.array_equal(z, p.codes[0]) and b.map_images("gan-tiny").shape == (1000, 28, 28)

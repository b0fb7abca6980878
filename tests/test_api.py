"""The HTTP API through gradio_client against the real launched app."""
import numpy as np
import pytest
from gradio_client.exceptions import AppError
from PIL import Image

from playground.ui.common import upscale

ZEROS = [0.0] * 12


def read(path):
    return np.asarray(Image.open(path).convert("L"))


def decode(client, model, values, mode="axes", label=None, rest_seed=-1, temperature=1.0, seed=0):
    return client.predict(model, mode, label, rest_seed, temperature, seed, *values, api_name="/decode")


def test_every_event_has_an_api_name(app_url, client):
    api = client.view_api(return_format="dict")["named_endpoints"]
    for name in ["/select_model", "/decode", "/random_latent", "/reset_latent", "/set_mode",
                 "/sample_grid", "/randomise_rest", "/sample_class", "/select_conditional_model"]:
        assert name in api, f"missing endpoint {name}"
    assert not any(name.startswith("/lambda") or name.startswith("/fn") for name in api)


def test_decode_matches_the_backend(client, backend):
    values = [0.7, -1.2] + [0.0] * 10
    image, _ = decode(client, "vae-mnist-2d", values)
    expected = upscale(backend.decode("vae-mnist-2d", [0.7, -1.2]))
    assert np.array_equal(read(image), expected)


def test_select_model_shows_one_slider_per_dim(client):
    out = client.predict("vae-mnist-16d", "axes", 1.0, 0, api_name="/select_model")
    card, _, *rest = out
    sliders = rest[:12]
    assert "vae-mnist-16d" in card
    assert all(s["visible"] for s in sliders)
    out = client.predict("vae-mnist-2d", "axes", 1.0, 0, api_name="/select_model")
    assert [s["visible"] for s in out[2:14]] == [True, True] + [False] * 10


def test_grid_is_deterministic_in_the_seed(client):
    a, _ = client.predict("vae-mnist-16d", None, 0.8, 3, api_name="/sample_grid")
    b, _ = client.predict("vae-mnist-16d", None, 0.8, 3, api_name="/sample_grid")
    c, _ = client.predict("vae-mnist-16d", None, 0.8, 4, api_name="/sample_grid")
    assert np.array_equal(read(a), read(b)) and not np.array_equal(read(a), read(c))


def test_random_latent_sets_sliders_and_rest(client):
    out = client.predict("vae-mnist-16d", "axes", None, 1.0, 11, api_name="/random_latent")
    values, rest_seed, image = out[:12], out[12], out[13]
    assert any(abs(v) > 0.05 for v in values) and rest_seed == 11
    again, _ = decode(client, "vae-mnist-16d", values, rest_seed=rest_seed)
    assert np.array_equal(read(image), read(again)), "the sliders reproduce the view"


def test_conditional_samples(client):
    image = client.predict("cvae-mnist", "7", 1.0, 0, 16, api_name="/sample_class")
    assert read(image).shape[0] > 100


@pytest.mark.parametrize("args,match", [
    (("nope", "axes", None, -1, 1.0, 0, *ZEROS), "not in the list of choices"),
    (("vae-mnist-2d", "../../etc", None, -1, 1.0, 0, *ZEROS), "not in the list of choices"),
    (("cvae-mnist", "axes", "42", -1, 1.0, 0, *ZEROS), "class"),
    (("vae-mnist-2d", "axes", None, -1, 1.0, 0, 1e9, *ZEROS[1:]), "maximum|3"),
    (("vae-mnist-2d", "axes", None, -1, 99.0, 0, *ZEROS), "temperature|maximum"),
])
def test_bad_decode_requests_get_clear_errors(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name="/decode")


@pytest.mark.parametrize("args,match", [
    (("vae-mnist-2d", None, 0.0, 0), "temperature"),
    (("vae-mnist-2d", None, 1.0, -5), "seed|minimum|0"),
    (("vae-mnist-2d", None, 1e6, 0), "temperature|maximum"),
])
def test_bad_grid_requests_get_clear_errors(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name="/sample_grid")
    # the server is still up and answering
    assert client.predict("vae-mnist-2d", None, 1.0, 0, api_name="/sample_grid")[0]


def test_conditional_count_limit(client):
    with pytest.raises(AppError, match="maximum|count|64"):
        client.predict("cvae-mnist", "7", 1.0, 0, 10_000, api_name="/sample_class")

"""The HTTP API through gradio_client against the real launched app."""
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image


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


def test_a_class_asking_for_the_same_pictures_at_once_gets_them_all(app_url):
    """Identical answers share one file in Gradio's cache; every client must still get all of it
    (see playground.ui.write_image_cache_atomically)."""
    from concurrent.futures import ThreadPoolExecutor
    from gradio_client import Client

    def student(_):
        c = Client(app_url, verbose=False, ssl_verify=False)
        return [path for _ in range(8) for path in (
            c.predict("vae-mnist-16d", None, 1.0, 0, api_name="/sample_grid")[0],
            decode(c, "vae-mnist-16d", [0.5] * 12)[0])]

    with ThreadPoolExecutor(12) as pool:
        paths = [p for answers in pool.map(student, range(12)) for p in answers]
    assert len(paths) == 192
    grids, digits = {read(p).tobytes() for p in paths[::2]}, {read(p).tobytes() for p in paths[1::2]}
    assert len(grids) == len(digits) == 1


def test_decode_matches_the_backend(client, backend):
    values = [0.7, -1.2] + [0.0] * 10
    image, _ = decode(client, "vae-mnist-2d", values)
    expected = backend.decode("vae-mnist-2d", [0.7, -1.2])
    assert np.array_equal(read(image), expected)


def test_select_model_shows_one_slider_per_dim(client):
    out = client.predict("vae-mnist-16d", "axes", 1.0, 0, api_name="/select_model")
    card, _, *rest = out
    sliders = rest[:12]
    assert "vae-mnist-16d" in card
    assert all(s["visible"] for s in sliders)
    out = client.predict("vae-mnist-2d", "axes", 1.0, 0, api_name="/select_model")
    assert [s["visible"] for s in out[2:14]] == [True, True] + [False] * 10
    assert out[-1] == "axes", "the person's slider mode is kept"


def test_a_diffusion_model_opens_on_principal_directions(client):
    """Raw axes of a diffusion model's noise mean nothing: selecting one switches the sliders to
    the principal directions of its inverted digits; other models keep the person's mode."""
    out = client.predict("ldm-mnist", "axes", 1.0, 0, *[2.0, 25, "ddim"], api_name="/select_model")
    assert out[-1] == "principal" and out[2]["label"].startswith("PC 1")
    out = client.predict("vae-mnist-16d", "principal", 1.0, 0, api_name="/select_model")
    assert out[-1] == "principal"


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
    assert read(image).shape == (2 * 29 + 1, 8 * 29 + 1)  # two rows of eight 28x28 digits


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


# ---- latent map ---------------------------------------------------------------------------------
def plot_points(plot) -> int:
    """How many data points a gr.Plot output (plotly JSON through the API) shows, markers aside."""
    import json
    fig = json.loads(plot["plot"]) if isinstance(plot, dict) else plot
    def length(x):  # plotly ≥ 6 sends arrays as base64 typed arrays
        if isinstance(x, dict):
            import base64
            return len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize
        return len(x)
    return sum(length(t["x"]) for t in fig["data"] if t["name"] not in
               ("clicked", "Explore's latent", "your drawing"))


def test_latent_map_endpoints_exist(client):
    api = client.view_api(return_format="dict")["named_endpoints"]
    for name in ["/latent_map", "/select_map_model", "/set_map_method", "/decode_map_point",
                 "/place_drawing", "/place_upload", "/place_explore_latent"]:
        assert name in api, f"missing endpoint {name}"


def test_latent_map_shows_every_validation_digit(client):
    plot, status, how, *_ = client.predict("vae-mnist-16d", "umap", 15, 0.1, 30,
                                           api_name="/latent_map")
    assert plot_points(plot) == 1000
    assert "1,000 points" in status and "shipped" in status
    assert "nearest" in how


def test_select_map_model_for_a_2d_latent_offers_the_exact_plane(client):
    out = client.predict("vae-mnist-2d", api_name="/select_map_model")
    method, plot, how = out[1], out[5], out[7]
    assert method["value"] == "latent" and plot_points(plot) == 1000
    assert "exactly one latent" in how


def test_decode_map_point_matches_the_backend(client, backend):
    decoded, original, text, *_ = client.predict("vae-mnist-2d", "latent", 15, 0.1, 30, 0.5, -1.0,
                                                 api_name="/decode_map_point")
    assert np.array_equal(read(decoded), backend.decode("vae-mnist-2d", [0.5, -1.0]))
    assert read(original).shape == read(decoded).shape and "exact" in text


def test_place_a_drawing(client, tmp_path):
    from gradio_client import handle_file
    img = np.full((200, 200), 255, np.uint8)
    img[40:160, 90:110] = 0  # a "1" in dark ink on white paper
    path = tmp_path / "one.png"
    Image.fromarray(img).save(path)
    value = {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path))}
    plot, encoded, text = client.predict("vae-mnist-16d", "umap", 15, 0.1, 30, value, None,
                                            api_name="/place_drawing")
    fig = __import__("json").loads(plot["plot"])
    assert any(t["name"] == "your drawing" for t in fig["data"]) and "lands at" in text
    assert read(encoded).shape == (28, 28)


@pytest.mark.parametrize("args,match", [
    (("vae-mnist-16d", "umap", 1, 0.1, 30), "n_neighbors|minimum"),
    (("vae-mnist-16d", "umap", 15, 1.5, 30), "min_dist|maximum"),
    (("vae-mnist-16d", "spectral", 15, 0.1, 30), "not in the list of choices|unknown projection"),
    (("nope", "umap", 15, 0.1, 30), "not in the list of choices|unknown model"),
])
def test_bad_latent_map_requests_get_clear_errors(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name="/latent_map")


def test_uploads_that_are_not_images_get_clear_messages(client, tmp_path):
    from gradio_client import handle_file
    fake = tmp_path / "fake.png"
    fake.write_text("hello, I am not a PNG")
    with pytest.raises(AppError, match="not an image"):
        client.predict("vae-mnist-16d", "umap", 15, 0.1, 30, handle_file(str(fake)), None,
                       api_name="/place_upload")
    big = tmp_path / "big.png"
    Image.new("L", (3000, 100), 255).save(big)
    with pytest.raises(AppError, match="the most is"):
        client.predict("vae-mnist-16d", "umap", 15, 0.1, 30, handle_file(str(big)), None,
                       api_name="/place_upload")
    blank = tmp_path / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    with pytest.raises(AppError, match="empty"):
        client.predict("vae-mnist-16d", "umap", 15, 0.1, 30, handle_file(str(blank)), None,
                       api_name="/place_upload")


def test_generate_names_with_knobs(client):
    html, rows = client.predict("chargpt-names", "female", "ma", 1.0, 0, 1.0, 20, 0,
                                api_name="/generate_text")
    assert len(rows) == 20 and all(r["text"].startswith("ma") for r in rows)
    assert all(len(r["probs"]) == len(r["text"]) + 1 for r in rows)
    assert "are new" in html
    greedy = [client.predict("chargpt-names", "male", "", 0.0, 0, 1.0, 3, s, api_name="/generate_text")[1]
              for s in (0, 1)]
    assert greedy[0] == greedy[1] and len({r["text"] for r in greedy[0]}) == 1, "T=0 is greedy"
    hot = client.predict("chargpt-names", "last", "", 3.0, 0, 1.0, 10, 0, api_name="/generate_text")[1]
    assert all(r["text"].isalpha() or r["text"] == "" for r in hot)


@pytest.mark.parametrize("args,match", [
    (("chargpt-names", "female", "../etc", 1.0, 0, 1.0, 5, 0), "letters"),
    (("chargpt-names", "female", "", -0.5, 0, 1.0, 5, 0), "temperature|minimum"),
    (("chargpt-names", "alien", "", 1.0, 0, 1.0, 5, 0), "kind|class|choices"),
    (("chargpt-names", "female", "", 1.0, -3, 1.0, 5, 0), "top-k|minimum"),
    (("chargpt-names", "female", "", 1.0, 0, 1.0, 500, 0), "count|maximum"),
])
def test_bad_text_requests(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name="/generate_text")


def test_place_explore_latent(client, backend):
    values = [1.0, -0.5] + [0.0] * 10
    plot, text = client.predict("vae-mnist-2d", "latent", 15, 0.1, 30, "vae-mnist-2d", "axes", -1,
                                1.0, *values, api_name="/place_explore_latent")
    assert "lands at (1.00, -0.50)" in text
    with pytest.raises(AppError, match="Explore shows vae-mnist-16d"):
        client.predict("vae-mnist-2d", "latent", 15, 0.1, 30, "vae-mnist-16d", "axes", -1, 1.0,
                       *values, api_name="/place_explore_latent")


def test_gibbs_chain_streams_frames_and_free_energy(client):
    job = client.submit("rbm-mnist", None, 1.0, 0, 4, 200, "noise", 0, api_name="/sample_steps")
    outputs = list(job)
    assert len(outputs) >= 10, "frames stream while the chain runs"
    image, plot, progress, scrub, path = outputs[-1]
    assert progress == "Gibbs step 200" and read(image).shape == (29 + 1, 4 * 29 + 1)
    assert plot is not None and scrub is not None, "the last frame also sets the scrubber"
    assert path is None or "plot" not in path, "a chain draws no latent path"


def test_diffusion_through_the_existing_endpoints(client, tmp_path):
    """ddpm-mnist through /sample_class, /sample_steps and the inversion endpoint, its knobs
    last: guidance changes the digits, the same knobs give the same digits, bad knobs are
    refused clearly."""
    a = client.predict("ddpm-mnist", "3", 1.0, 0, 4, 0.0, 8, "ddim", api_name="/sample_class")
    b = client.predict("ddpm-mnist", "3", 1.0, 0, 4, 0.0, 8, "ddim", api_name="/sample_class")
    c = client.predict("ddpm-mnist", "3", 1.0, 0, 4, 4.0, 8, "ddim", api_name="/sample_class")
    assert np.array_equal(read(a), read(b)) and not np.array_equal(read(a), read(c))
    with pytest.raises(AppError, match="Guidance|maximum"):
        client.predict("ddpm-mnist", "3", 1.0, 0, 4, 99.0, 8, "ddim", api_name="/sample_class")
    with pytest.raises(AppError, match="Sampler|choices"):
        client.predict("ddpm-mnist", "3", 1.0, 0, 4, 2.0, 8, "euler", api_name="/sample_class")
    frames = list(client.submit("ddpm-mnist", "3", 1.0, 0, 2, 1000, "noise", 0, 2.0, 6, "ddim",
                                api_name="/sample_steps"))
    image, _, progress, scrub, _ = frames[-1]
    assert progress.startswith("step 6, noise level t = 0") and scrub is not None
    assert read(image).shape == (29 + 1, 2 * (2 * 28 + 1) + 1), "x_t | x_0 per digit"
    digit = tmp_path / "seven.png"
    img = np.full((200, 200), 255, np.uint8)
    img[40:60, 60:150], img[60:170, 110:130] = 0, 0
    Image.fromarray(img).save(digit)
    encoded, noise, regen, classes, text = client.predict(
        "ddpm-mnist", handle_file(str(digit)), "7", 2.0, 10, "ddim", api_name="/invert_upload")
    assert read(classes).shape[1] > 9 * 28 and "Inverted as a **7**" in text


def test_latent_diffusion_streams_its_path_on_the_map(client):
    """ldm-mnist's x_t drawn on a map of real digits' latents as it denoises: the path grows by
    one point per step, one line per sample."""
    import json
    frames = list(client.submit("ldm-mnist", "3", 1.0, 0, 2, 1000, "noise", 0, 2.0, 6, "ddim",
                                api_name="/sample_steps"))
    grown = []
    for *_, path in frames[:-1]:
        traces = {t.get("name"): t for t in json.loads(path["plot"])["data"]}
        grown.append(sum(v is not None for v in traces["paths from noise"]["x"]))
        assert len(traces["x_t now"]["x"]) == 2 and {"0", "9"} <= set(traces)
    assert grown == [2 * k for k in range(1, 7)]


@pytest.mark.parametrize("args,match", [
    (("rbm-mnist", None, 1.0, 0, 4, 10**6, "noise", 0), "steps|maximum"),
    (("rbm-mnist", None, 1.0, 0, 4, 10, "../etc", 0), "noise|digit|choices"),
    (("rbm-mnist", None, 1.0, 0, 4, 10, "digit", 999_999), "start digit"),
    (("rbm-mnist", None, 0.0, 0, 4, 10, "noise", 0), "temperature"),
])
def test_bad_step_requests(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name="/sample_steps")


# ----------------------------------------------------------------------------- Train live
LIVE = ("moons", "vae", 0.003, 2, 100, "1:1", 1.0, 6, 0, None)   # target … seed, drawing


def live_knobs(**changes):
    names = ("target", "family", "lr", "latent_size", "steps", "ratio", "beta", "layers", "seed",
             "drawing")
    return tuple(changes.get(n, v) for n, v in zip(names, LIVE))


def live_step(status: str) -> int:
    import re
    return int(re.search(r"step (\d+) of", status).group(1))


def test_live_training_streams_to_the_end(app_url):
    from gradio_client import Client
    client = Client(app_url, verbose=False)           # a session of its own
    outputs = list(client.submit(*live_knobs(), api_name="/start_training"))
    assert len(outputs) >= 2, "a first frame at step 0, then at least one more"
    scatter, diagnostic, losses, status = outputs[-1]
    assert "Finished" in status and live_step(status) == 100
    assert all(p["type"] == "plotly" for p in (scatter, diagnostic, losses))


def test_live_diffusion_with_its_sampler_knobs(app_url):
    """The 2-D DDPM through the API: its sampling steps and schedule come after the drawing; a
    finished run started again with other sampling steps resamples the same model."""
    from gradio_client import Client
    client = Client(app_url, verbose=False)
    knobs = live_knobs(family="ddpm", steps=100)
    scatter, diagnostic, _, status = client.predict(*knobs, 10, "cosine", api_name="/start_training")
    assert "Finished" in status and live_step(status) == 100
    assert "learned score" in diagnostic["plot"] and "through 10 DDIM steps" in status
    *_, again = client.predict(*knobs, 4, "cosine", api_name="/start_training")
    assert "Finished" in again and live_step(again) == 100 and "through 4 DDIM steps" in again
    with pytest.raises(AppError, match="noise schedule|choice|not in the list"):
        client.predict(*knobs, 10, "quadratic", api_name="/start_training")


def test_live_pause_resume_reset(app_url):
    from gradio_client import Client
    client = Client(app_url, verbose=False)
    job = client.submit(*live_knobs(family="flow", steps=5000), api_name="/start_training")
    frames = iter(job)
    next(frames), next(frames)                        # the first frame and one more: it trains
    paused = client.predict(api_name="/pause_training")
    assert "Paused" in paused
    at = live_step(paused)
    job.result(timeout=120)                           # pause ends the stream (a hang fails here)
    assert live_step(job.outputs()[-1][3]) <= at + 500, "at most one more chunk after the pause"
    # Start with the same knobs continues the same model (same session)
    resumed = client.submit(*live_knobs(family="flow", steps=5000), api_name="/start_training")
    first = next(iter(resumed))
    assert "continued" in first[3] and live_step(first[3]) >= at
    client.predict(api_name="/pause_training")
    plot = client.predict(0.5, -0.5, 1.0, api_name="/explore_live_model")
    assert plot["type"] == "plotly"
    # Kept for the session, the model is one of Explore's models: its sliders decode it
    update = client.predict(api_name="/keep_live_model")      # Explore's model picker
    kept = update["value"]
    assert kept.startswith("session:") and [c for c in update["choices"] if c[1] == kept]
    out = client.predict(kept, "axes", None, -1, 1.0, 0, *([0.5, -0.5] + [0.0] * 10), api_name="/decode")
    assert out[1]["type"] == "plotly"
    with pytest.raises(AppError):  # another session cannot use it
        Client(app_url, verbose=False).predict(kept, "axes", None, -1, 1.0, 0, *([0.0] * 12),
                                               api_name="/decode")
    *plots, status = client.predict(api_name="/reset_training")
    assert "Reset" in status and plots == [None, None, None]
    with pytest.raises(AppError, match="train a model first"):
        client.predict(0.0, 0.0, 1.0, api_name="/explore_live_model")


@pytest.mark.parametrize("changes,match", [
    (dict(lr=-1.0), "learning rate|minimum"),
    (dict(steps=10**6), "steps|maximum"),
    (dict(family="diffusion"), "not in the list of choices"),
    (dict(ratio="9:1"), "not in the list of choices"),
    (dict(target="drawing"), "draw a shape on the canvas first"),
    (dict(layers=0, family="flow"), "coupling layers|minimum"),
])
def test_bad_live_knobs_get_clear_errors(client, changes, match):
    with pytest.raises(AppError, match=match):
        client.predict(*live_knobs(**changes), api_name="/start_training")


def test_break_it_presets_set_the_knobs(client):
    out = client.predict("VAE posterior collapse", api_name="/apply_preset")
    assert out[1] == "vae" and "posterior collapse" in out[-1]
    beta = out[6]                                      # an update: the value and its visibility
    assert beta["value"] >= 20 and beta["visible"] is True


def test_the_judge_for_the_page_is_a_cached_file_outside_the_queue(app_url):
    """GET /web/judge.json: the judge classifier's spec for the page, once per browser (ETag and a
    day's Cache-Control: a class reloading its pages fetches 304s, not 2.5 MB each)."""
    import httpx
    r = httpx.get(f"{app_url}/web/judge.json", timeout=60)
    assert r.status_code == 200 and r.json()["part"] == "judge"
    assert r.json()["class_names"] == [str(k) for k in range(10)]
    assert "max-age" in r.headers["cache-control"]
    again = httpx.get(f"{app_url}/web/judge.json", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content

"""The Evaluate tab: curves against temperature, the shipped-curves cache, bounds and errors; unit
tests of playground/evaluate/, then the HTTP API through gradio_client against the real app."""
import json
import math
import shutil
import threading

import gradio as gr
import pytest
from gradio_client.exceptions import AppError

from playground import evaluate as E
from playground import gate
from playground.backend import Backend
from playground.errors import PlaygroundError
from playground.evaluate import scores
from playground.lru import LRU
from playground.ui.evaluate import DEFAULT_COUNT, create_evaluate_tab

SHIPPED = ["vae-mnist-2d", "vae-mnist-16d", "ae-mnist", "cvae-mnist", "dcgan-mnist", "cgan-mnist",
           "pixelcnn-mnist", "rbm-mnist", "flow-moons", "chargpt-names"]


@pytest.fixture(scope="module")
def evaluator(backend):
    return E.Evaluator(backend)


def without_timing(points: dict) -> dict:
    return {t: {k: v for k, v in p.items() if k != "seconds"} for t, p in points.items()}


# ---- unit ---------------------------------------------------------------------------------------
def test_temperature_grid():
    assert E.temperature_grid(0.25, 2.0, 8) == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert E.temperature_grid(1.0, 1.0, 5) == [1.0]
    for args, match in [((math.nan, 1, 3), "finite"), ((0.5, math.inf, 3), "finite"),
                        ((2.0, 1.0, 3), "above the highest"), ((0.0, 1.0, 3), "between"),
                        ((0.5, 1.0, 9), "number of temperatures"), ((0.5, 1.0, 0), "between"),
                        (("hot", 1.0, 3), "must be a number")]:
        with pytest.raises(PlaygroundError, match=match):
            E.temperature_grid(*args)


@pytest.mark.parametrize("models,match", [
    ([], "at least one model"),
    (["nope"], "unknown model"),
    (["../pretrained/vae-mnist-2d"], "unknown model"),
    (["chargpt-names"], "likelihood table"),
])
def test_bad_model_lists(evaluator, models, match):
    with pytest.raises(PlaygroundError, match=match):
        evaluator.compute(models, [1.0], 100)


def test_requests_are_bounded(evaluator):
    with pytest.raises(PlaygroundError, match="samples per temperature"):
        evaluator.compute(["vae-mnist-2d"], [1.0], 100_000)
    with pytest.raises(PlaygroundError, match="temperatures"):
        evaluator.compute(["vae-mnist-2d"], [1.0] * (E.MAX_TEMPERATURES + 1), 100)
    with pytest.raises(PlaygroundError, match="temperature must be finite"):
        evaluator.compute(["vae-mnist-2d"], [float("nan")], 100)
    slow = [m.id for m in evaluator.curve_models() if m.has("stepwise")]
    with pytest.raises(PlaygroundError, match="step-by-step"):
        evaluator.compute(slow, [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], 1000)


def test_sampling_time_is_bounded_by_what_each_sampler_costs(evaluator):
    """A request is priced by its samplers: a U-Net diffusion run (~0.1 s a sample) reaches the
    two-minute bound five times sooner than a Gibbs chain (~20 ms); decoders are not counted."""
    temps = [0.5, 1.0, 1.5, 2.0, 2.5]
    evaluator.check_request(["rbm-mnist", "vae-mnist-16d"], temps, 1000, 0)      # ≈ 100 s
    evaluator.check_request(["ddpm-mnist"], temps, 200, 0)                       # ≈ 100 s
    with pytest.raises(PlaygroundError, match=r"about 250 s of step-by-step or diffusion"):
        evaluator.check_request(["ddpm-mnist"], temps, 500, 0)


def test_one_computation_at_a_time(evaluator):
    with evaluator._compute_lock:  # as if another request were computing
        with pytest.raises(PlaygroundError, match="another evaluation is running"):
            evaluator.compute(["vae-mnist-2d"], [1.0], 100)


def test_an_evaluation_waits_for_the_heavy_gate(backend, monkeypatch):
    """"One heavy sampler at a time, server-wide" covers evaluation points: while the gate is held
    (here by the test, as by another request's Gibbs chain), an evaluation of a stepwise model asks
    for it and draws nothing until it is released."""
    info = next(m for m in E.Evaluator(backend).curve_models() if m.has("stepwise"))
    held, asked, sampled, moved = gate._gate, threading.Event(), threading.Event(), threading.Event()

    class Spy:  # the gate, telling the test when someone asks for it
        def __enter__(self):
            asked.set(), moved.set()
            held.acquire()

        def __exit__(self, *exc):
            held.release()

    family = type(backend.model(info.id))
    draw = family.sample

    def sample(self, *args, **kwargs):
        sampled.set(), moved.set()
        return draw(self, *args, **kwargs)

    monkeypatch.setattr(gate, "_gate", Spy())
    monkeypatch.setattr(family, "sample", sample)
    results, errors = [], []

    def evaluate():
        try:
            results.extend(E.Evaluator(backend).compute([info.id], [1.0], E.MIN_SAMPLES,
                                                        with_likelihood=False))
        except Exception as err:  # noqa: BLE001 - reported by the test thread
            errors.append(err)

    held.acquire()  # another heavy sampler is running
    worker = threading.Thread(target=evaluate)
    try:
        worker.start()
        assert moved.wait(timeout=300), "the evaluation neither asked for the gate nor sampled"
        assert asked.is_set() and not sampled.is_set(), "it sampled while the gate was held"
    finally:
        held.release()
    worker.join(timeout=600)
    assert not worker.is_alive() and not errors, errors
    assert sampled.is_set() and results[0].points[1.0]["frechet"] > 0


def test_caches_are_bounded_lrus(evaluator):
    assert isinstance(scores._REAL, LRU)
    assert all(isinstance(c, LRU) for c in (evaluator._memo, evaluator._likelihoods,
                                            evaluator._shipped))


def tab_components(backend) -> dict:
    with gr.Blocks() as demo:
        create_evaluate_tab(backend)
    return {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}


def test_the_tab_s_defaults_follow_the_model_order(backend):
    ev = E.Evaluator(backend)
    ids = [m.id for m in ev.curve_models()]
    c = tab_components(backend)
    assert c["eval-models"].value == ids[:DEFAULT_COUNT]
    assert c["eval-hist-model"].value == next(m.id for m in ev.curve_models()
                                              if ev.space(m) == "judge")


@pytest.mark.parametrize("folders", [[], ["flow-moons"], ["chargpt-names", "vae-mnist-2d"]])
def test_the_tab_builds_whatever_models_there_are(tmp_path, folders):
    """No curve model (no tab), only point models (no histogram), image models without the judge
    (no curve): the page still builds."""
    for folder in folders:
        (tmp_path / folder).symlink_to(Backend().root / folder)
    c = tab_components(Backend(tmp_path))
    if "flow-moons" in folders:
        assert c["eval-models"].value == ["flow-moons"] and c["eval-hist-model"].value is None
    else:
        assert "eval-models" not in c


def test_curves_are_deterministic_and_reproduce_the_shipped_file(backend):
    a = E.Evaluator(backend).compute(["vae-mnist-2d"], [1.0, 0.5], 100, seed=3,
                                     with_likelihood=False)[0]
    b = E.Evaluator(backend).compute(["vae-mnist-2d"], [1.0], 100, seed=3,
                                     with_likelihood=False)[0]
    assert without_timing(a.points)[1.0] == without_timing(b.points)[1.0]  # other T: no effect
    c = E.Evaluator(backend).compute(["vae-mnist-2d"], [1.0], 100, seed=4, with_likelihood=False)[0]
    assert c.points[1.0]["frechet"] != a.points[1.0]["frechet"]
    # The shipped curve is what the same knobs give now.
    ev = E.Evaluator(backend)
    shipped = ev.shipped("vae-mnist-2d")
    fresh = ev.compute(["vae-mnist-2d"], [1.0], E.SAMPLES, E.SEED, with_likelihood=False)[0]
    assert without_timing(fresh.points)[1.0] == without_timing(shipped.points)[1.0]
    assert ev.curve("vae-mnist-2d").source == "computed"  # recomputed curves take precedence


def test_curves_show_the_temperature_trade_off(evaluator):
    """On the shipped VAE, lower temperature buys precision with recall and diversity."""
    cv = evaluator.shipped("vae-mnist-16d")
    lo, one = cv.points[0.25], cv.points[1.0]
    assert lo["precision"] >= one["precision"] and lo["recall"] < one["recall"]
    assert lo["diversity"] < one["diversity"] and lo["ssim"] > one["ssim"]
    assert 0 < one["frechet"] and 1 <= one["inception"] <= 10
    assert cv.reference["frechet"] < one["frechet"]  # real digits beat the model


@pytest.mark.parametrize("model_id", SHIPPED)
def test_shipped_files_match_the_weights(evaluator, model_id):
    cv = evaluator.shipped(model_id)
    assert cv is not None, f"run python -m playground.evaluate --model {model_id}"
    assert cv.likelihood and cv.likelihood["note"]
    if evaluator.space(evaluator.backend.info(model_id)):
        info = evaluator.backend.info(model_id)
        assert cv.temperatures() == list(E.TEMPERATURES)
        assert cv.samples == evaluator.shipped_samples(info)
        if any(k.name == "guidance" for k in info.knobs):
            assert sorted(cv.guidance) == list(E.GUIDANCES)
        assert all(math.isfinite(v) for p in cv.points.values() for k, v in p.items()
                   if isinstance(v, float))


def test_likelihood_kinds(evaluator):
    kinds = {m: evaluator.likelihood(m)["kind"] for m in SHIPPED}
    assert kinds["dcgan-mnist"] == kinds["cgan-mnist"] == kinds["ae-mnist"] == "none"
    assert kinds["vae-mnist-16d"] == kinds["cvae-mnist"] == "bound"
    assert kinds["flow-moons"] == "exact_points" and kinds["chargpt-names"] == "exact_text"
    assert kinds["rbm-mnist"] == "pseudo"
    assert E.likelihood_cell(evaluator.likelihood("dcgan-mnist")) == ("no likelihood", "—")
    assert E.likelihood_cell(evaluator.likelihood("vae-mnist-16d"))[1].startswith("≤")


def test_table_shows_the_worst_class_and_the_rarest_digit(evaluator):
    p = {"cond_accuracy": 0.95, "class_accuracy": [1.0, 0.9, None], "class_hist": [0.2, 0.5, 0.3]}
    assert E.asked_cell(p) == "95.0%, 90.0% (1)"
    assert E.classes_cell(p) == "20.0% (0), 50.0% (1)"
    assert E.asked_cell({}) == E.classes_cell({}) == "—"
    assert E.asked_cell({"cond_accuracy": 0.9, "class_accuracy": [None, 0.95, 0.85]}) == \
        "90.0%, 85.0% (2)"                       # a class never asked does not shift the digit
    rows = {line.split(" | ")[0][2:]: line for line in E.table_at(evaluator).splitlines()[2:]}
    assert "% (" in rows["cvae-mnist"] and rows["flow-moons"].count("| — |") >= 2


def test_stale_or_broken_files_are_ignored(tmp_path):
    for folder in ("vae-mnist-2d", "classifier-mnist"):
        shutil.copytree(Backend().root / folder, tmp_path / folder)
    ev = E.Evaluator(Backend(tmp_path))
    assert ev.shipped("vae-mnist-2d") is not None
    path = tmp_path / "vae-mnist-2d" / E.FILE
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "weights_sha256": "0" * 64}))  # made for other weights
    assert ev.shipped("vae-mnist-2d") is None and ev.curve("vae-mnist-2d") is None
    path.write_text("{not json")
    assert ev.shipped("vae-mnist-2d") is None
    path.write_text(json.dumps({**raw, "judge_sha256": "1" * 64}))  # judge retrained
    assert ev.shipped("vae-mnist-2d") is None


# ---- API ----------------------------------------------------------------------------------------
def figure(plot) -> dict:
    """The plotly figure inside a gr.Plot output (plain, or an update that also sets visibility)."""
    plot = plot.get("value", plot)
    return json.loads(plot["plot"])


def test_evaluate_endpoints_exist(client):
    api = client.view_api(return_format="dict")["named_endpoints"]
    for name in ["/evaluation_curves", "/recompute_evaluation", "/mode_collapse", "/likelihood_table"]:
        assert name in api, f"missing endpoint {name}"


def test_shipped_curves_load(client):
    images, points, status = client.predict(["vae-mnist-16d", "dcgan-mnist", "flow-moons"], 0.25,
                                            2.0, 1000, 0, api_name="/evaluation_curves")
    names = {t["name"] for t in figure(images)["data"]}
    assert {"vae-mnist-16d", "dcgan-mnist", "real digits"} <= names
    assert "flow-moons" in {t["name"] for t in figure(points)["data"]}
    assert "shipped, 1,000 samples per temperature" in status
    # a narrower range shows fewer temperatures
    images, _, _ = client.predict(["vae-mnist-16d"], 0.5, 1.0, 1000, 0, api_name="/evaluation_curves")
    line = next(t for t in figure(images)["data"] if t["name"] == "vae-mnist-16d")
    assert line["x"] == [0.5, 0.75, 1.0]


def test_mode_collapse_histogram(client):
    plot, text, temps = client.predict("vae-mnist-2d", "1", 1000, 0, api_name="/mode_collapse")
    bars = [t for t in figure(plot)["data"] if t["type"] == "bar"]
    assert len(bars) == 2 and len(bars[0]["y"]) == len(bars[1]["y"]) == 10
    assert "effective classes" in text and "Rarest" in text


def test_likelihood_table(client):
    table = client.predict(api_name="/likelihood_table")
    rows = {r[0]: r for r in table["data"]}
    assert rows["dcgan-mnist"][2] == "no likelihood"
    assert "ELBO" in rows["vae-mnist-16d"][2] and rows["vae-mnist-16d"][3].startswith("≤")
    assert rows["flow-moons"][3] and "change of variables" in rows["flow-moons"][4]
    assert "nats/character" in rows["chargpt-names"][2]


def test_recompute_is_deterministic(client):
    args = (["vae-mnist-2d", "flow-moons"], 0.5, 1.0, 2, 100, 7, "vae-mnist-2d", "1")
    first = client.predict(*args, api_name="/recompute_evaluation")
    again = client.predict(*args, api_name="/recompute_evaluation")
    status = first[2]
    assert "computed, 100 samples per temperature (seed 7) at T = 0.5, 1" in status
    for a, b in ((first[0], again[0]), (first[1], again[1])):
        assert [t["y"] for t in figure(a)["data"]] == [t["y"] for t in figure(b)["data"]]
    assert "100 samples at T=1" in first[4]


@pytest.mark.parametrize("args,match", [
    (([], 0.5, 1.0, 2, 100, 0), "at least one model"),
    ((["nope"], 0.5, 1.0, 2, 100, 0), "not in the list of choices|unknown model"),
    ((["vae-mnist-2d"], 2.0, 1.0, 2, 100, 0), "above the highest"),
    ((["vae-mnist-2d"], 0.5, 1.0, 2, 50_000, 0), "maximum|samples per temperature"),
    ((["vae-mnist-2d"], 0.5, 1.0, 99, 100, 0), "maximum|number of temperatures"),
    ((["chargpt-names"], 0.5, 1.0, 2, 100, 0), "not in the list of choices|likelihood table"),
])
def test_bad_recompute_requests_get_clear_errors(client, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, "vae-mnist-2d", "1", api_name="/recompute_evaluation")
    assert client.predict(["vae-mnist-2d"], 0.25, 2.0, 1000, 0, api_name="/evaluation_curves")[0]


def test_bad_histogram_requests(client):
    with pytest.raises(AppError, match="must be a number"):
        client.predict("vae-mnist-2d", "hot", 1000, 0, api_name="/mode_collapse")
    with pytest.raises(AppError, match="not in the list of choices|unknown model"):
        client.predict("../etc", "1", 1000, 0, api_name="/mode_collapse")

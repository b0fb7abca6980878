"""The benchmark's own machinery, briefly: concurrent clients against the real app and against the
minimal reference app, and the table the README quotes (python -m playground.bench runs it long)."""
from playground import bench


def measured(r: dict) -> None:
    assert r["errors"] == r["warmup_errors"] == 0, r["error_examples"] + r["warmup_error_examples"]
    assert r["requests"] > 3 and r["p50_ms"] > 0 and r["server_cpu_ms_per_request"] > 0
    assert r["rss_after_mb"] > 100


def test_concurrent_clients_are_measured_on_the_app(app_server):
    """The session's launched app (one launch for every test that needs it)."""
    measured(bench.bench_concurrent(app_server, clients=3, seconds=3.0,
                                    calls=bench.playground_calls))


def test_concurrent_clients_are_measured_on_the_reference_app():
    server = bench.Server(env={"LATENT_PLAYGROUND_WARMUP": "0"},
                          args=("-m", "playground.bench", "--reference-app"))
    try:
        measured(bench.bench_concurrent(server, clients=3, seconds=3.0,
                                        calls=bench.reference_calls))
    finally:
        server.close()


def test_table_prints_every_figure():
    one = {"median_ms": 1.0, "p90_ms": 2.0, "n": 3}
    c = {"clients": 30, "think_s": [0, 0], "seconds": 60, "p50_ms": 1, "p95_ms": 2, "decode_p50_ms": 1,
         "decode_p95_ms": 2, "grid_p50_ms": 3, "grid_p95_ms": 4, "throughput_rps": 9, "errors": 0,
         "server_cpu_cores": 1, "server_cpu_ms_per_request": 20, "client_cpu_cores": 0.5,
         "rss_growth_mb": 10, "rss_growth_after_warmup_mb": 5}
    report = {"decode": {"m": {"one_latent": one, "grid_64": one}},
              "server": {"cold_start_s": 7, "rss_all_models_mb": 700, "settled_after_s": 60},
              "browser_slider_to_pixels": {"models": {"m": {
                  "decode_alone": {"median_ms": 0.5, "p90_ms": 0.75, "n": 200},
                  "in_page": {**one, "requests_per_move": 0},
                  "server_path": {**one, "requests_per_move": 2}}}},
              "concurrent": {"stress": c}, "load": {"start": [0.1, 0.2, 0.3], "end": [1, 2, 3]},
              "samplers": {"d": {"knobs": {"guidance": 2.0}, "16_of_a_class": one,
                                 "grid_64": {**one, "median_ms": 6500.0}}}}
    text = bench.table(report)
    for figure in ("cold start", "700 MB", "in_page", "server_path", "p95 2 ms", "20 ms/request",
                   "clients' CPU 0.5 cores", "0 requests/move", "decode alone   0.50 /   0.75 ms",
                   "1.0 /    2.0 ms", "[0.1, 0.2, 0.3]", "64-grid median 6.50 s"):
        assert figure in text
    del report["decode"], report["server"], report["concurrent"]  # --browser-only
    assert "decode alone" in bench.table(report)
    report = {"static": {"folder_mb": 24.5, "first_paint_http": one, "first_paint_file": one,
                         "requests_outside_the_folder": 0,
                         "models": {"m": {"in_page": {**one, "requests_per_move": 0}}}},
              "load": {"start": [0, 0, 0], "end": [0, 0, 0]}}  # --static-only
    text = bench.table(report)
    for figure in ("24.50 MB", "1 / 2 ms from a local server", "0 requests left", "1.0 /    2.0 ms"):
        assert figure in text


def test_the_static_page_is_timed_in_chromium(static_site, browser):
    """First paint from a server and from the disk, and slider moves on a digit model and on the
    point model, in the session's build: every move paints, none sends a request."""
    from playground.bench.static import bench_static
    out = bench_static(moves=3, models=["vae-mnist-2d", "flow-moons"], site=static_site[0], loads=1,
                       browser=browser)
    assert out["folder_mb"] <= 25 and out["requests_outside_the_folder"] == 0
    assert out["first_paint_http"]["median_ms"] > 0 and out["first_paint_file"]["median_ms"] > 0
    for m in out["models"].values():
        r = m["in_page"]
        assert r["n"] == 3 and r["timed_out"] == 0 and r["requests_per_move"] == 0


def test_in_page_models_come_from_the_registry(backend):
    """Every model whose decoder the page runs, in model order, whatever models are shipped: both
    of the page's drawings (digits, a point model's planes) among them."""
    picked = bench.in_page_models()
    assert picked == [m.id for m in backend.models("decode") if backend.web_decoder(m.id) is not None]
    assert {backend.web_decoder(m)["output"] for m in picked} == {"image", "points"}


def test_many_step_samplers_are_timed_through_the_api(app_server):
    """Every model with sampler knobs, at their defaults, through the launched app."""
    out = bench.bench_samplers(app_server.url, reps=1)
    assert {"ddpm-mnist", "ldm-mnist"} <= set(out)
    for r in out.values():
        assert r["knobs"]["sampling_steps"] == 25 and r["grid_64"]["median_ms"] > 0
        assert r["16_of_a_class"]["n"] == 1


def test_a_classroom_is_measured_on_the_app(app_server):
    """A small class on the session's app: every push reaches every student, every submission lands."""
    from playground.bench.classroom import bench_classroom, table_lines
    r = bench_classroom(app_server, students=5, seconds=3.0, push_every_s=1.0,
                        submit_every_s=(0.5, 1.0), baseline_s=1.0)
    assert r["errors"] == 0 and r["missed_deliveries"] == 0, r["error_examples"]
    assert r["pushes"] >= 2 and r["push_to_last_student"]["n"] == r["pushes"]
    assert r["submissions"] >= 5 and r["decode_during"]["n"] > 0
    assert "push to the last student" in "\n".join(table_lines(r))

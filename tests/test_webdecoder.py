"""The in-page decoder's export (playground/webdecoder.py): spec → JSON → numpy interpreter and the
page's own JavaScript (run by node) reproduce torch's decode."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import webdecoder
from playground.base import FAMILIES

ROOT = Path(__file__).resolve().parent.parent
IN_PAGE = ["vae-mnist-2d", "vae-mnist-16d", "cvae-mnist", "ae-mnist", "flow-moons", "rbm-mnist",
           "ldm-mnist"]


def json_round_trip(spec: dict) -> dict:
    return json.loads(json.dumps(spec))


def random_inputs(spec: dict, n: int = 16, seed: int = 0):
    g = np.random.default_rng(seed)
    z = (g.normal(size=(n, spec["latent_dim"])) * 1.5).astype(np.float32)
    y = g.integers(0, spec["n_classes"], n) if spec["n_classes"] else None
    return z, y


def torch_decode(model, z, y, spec=None) -> np.ndarray:
    """The model's decode at the knobs the spec was made for (a diffusion sampler's)."""
    knobs = webdecoder.spec_knobs(spec, model) if spec else {}
    with torch.inference_mode():
        return model.decode(torch.from_numpy(z), None if y is None else torch.from_numpy(y),
                            **knobs).numpy()


def tiny(family: str, **overrides):
    """A random-weight model of `family` with BatchNorm statistics that are not the identity."""
    import playground.models  # noqa: F401
    cls = FAMILIES[family]
    defaults = {"latent_dim": 6, "channels": 4} if family != "flow" else {}
    cfg = cls.config_class(**{**defaults, **overrides})
    torch.manual_seed(0)
    model = cls(cfg).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
    return model


def test_pack_unpack_is_exact():
    a = np.random.default_rng(0).normal(size=(3, 4, 5)).astype(np.float32)
    assert np.array_equal(webdecoder.unpack(json_round_trip(webdecoder.pack(a))), a)


def test_shipped_models_in_page_and_on_server(backend):
    page = {i.id for i in backend.models("decode") if backend.web_decoder(i.id)}
    assert set(IN_PAGE) <= page
    for info in backend.models("decode"):  # every shipped decoder runs in the page, but a
        if "decoder" in FAMILIES[info.family].server_parts:   # many-step one, which says so
            assert backend.web_decoder(info.id) is None
            continue
        assert backend.web_decoder(info.id)["output"] == ("points" if info.has("points") else "image")


@pytest.mark.parametrize("model_id", IN_PAGE)
def test_shipped_export_round_trip(backend, model_id):
    spec = json_round_trip(backend.web_decoder(model_id))
    model = backend.model(model_id)
    z, y = random_inputs(spec)
    got = webdecoder.run(spec, z, y)
    assert got.shape == ((16, 2) if backend.info(model_id).has("points") else (16, 1, 28, 28))
    # one decoder pass agrees to 1e-5; a sampler's 25 passes to its own tolerance
    bound = webdecoder.tolerance(spec) if spec.get("knobs") else 1e-5
    assert np.abs(got - torch_decode(model, z, y, spec)).max() <= bound
    assert np.allclose(spec["latent_components"], model.latent_components.numpy())
    assert spec["class_names"] == list(backend.info(model_id).class_names)


@pytest.mark.parametrize("family,extra", [("gan", {}), ("cgan", {}), ("vae", {}), ("cvae", {}),
                                          ("ae", {"n_components": 2}),
                                          ("flow", {"n_layers": 3, "hidden": 8})])
def test_family_export_round_trip(family, extra):
    """Every family with a small decoder exports, BatchNorm folded (GANs), even before its
    pretrained weights ship."""
    model = tiny(family, **extra)
    with torch.no_grad():  # layers initialised to zero (the flow starts as the identity) count too
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    spec = json_round_trip(webdecoder.export(model, family))
    assert all(op["op"] != "batch_norm" for op in spec["ops"])
    z, y = random_inputs(spec)
    assert np.abs(webdecoder.run(spec, z, y) - torch_decode(model, z, y)).max() <= 1e-5


def test_a_decoder_the_spec_does_not_reproduce_is_not_exported(monkeypatch):
    model = tiny("vae")
    monkeypatch.setattr(model, "decode", lambda z, c=None: 1 - model.__class__.decode(model, z, c))
    with pytest.raises(webdecoder.NotExportable, match="differs from torch"):
        webdecoder.export(model)


def test_point_model_spec_inverts_the_flow_and_carries_its_background(backend):
    """The couplings run last layer first, the tanh bound holds for big scales, and the page gets
    the same background draws on every export."""
    spec = json_round_trip(backend.web_decoder("flow-moons"))
    model = backend.model("flow-moons")
    assert [op["op"] for op in spec["ops"]] == ["coupling_inverse"] * len(model.layers)
    assert spec["ops"][0]["mask"] == model.layers[-1].mask.tolist()
    draws = webdecoder.unpack(spec["prior_draws"])
    assert draws.shape == (webdecoder.PRIOR_DRAWS, 2) and abs(draws.std() - 1) < 0.1
    again = webdecoder.export(model, "flow-moons", check=False)
    assert again["prior_draws"] == spec["prior_draws"]
    z = np.random.default_rng(2).uniform(-9, 9, (64, 2)).astype(np.float32)  # T = 3 at the edges
    assert np.allclose(webdecoder.run(spec, z), torch_decode(model, z, None), atol=1e-4)
    x = torch.from_numpy(webdecoder.run(spec, z[:8]))
    with torch.inference_mode():
        assert np.allclose(model.encode(x).numpy(), z[:8], atol=1e-3)  # and f(f⁻¹(z)) = z


ENCODERS = ["vae-mnist-2d", "vae-mnist-16d", "cvae-mnist", "ae-mnist", "flow-moons", "rbm-mnist"]


@pytest.mark.parametrize("model_id", ENCODERS)
def test_shipped_encoder_export_round_trip(backend, model_id):
    """The encoder reads the flattened item then the one-hot class and gives `encode`'s output."""
    model = backend.model(model_id)
    spec = json_round_trip(webdecoder.export(model, model_id, "encoder"))
    assert spec["part"] == "encoder" and spec["output"] == "latent"
    assert spec["output_shape"] == [model.latent_dim]
    points = "points" in model.capabilities
    assert spec["input_shape"] == ([2] if points else [1, 28, 28])
    g = torch.Generator().manual_seed(4)
    x = torch.randn(16, 2, generator=g) if points else torch.rand(16, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (16,), generator=g) if spec["n_classes"] else None
    assert spec["input_dim"] == x[0].numel() + spec["n_classes"]
    got = webdecoder.run(spec, x.flatten(1).numpy(), None if y is None else y.numpy())
    with torch.inference_mode():
        want = model.encode(x, y).numpy()
    assert np.abs(got - want).max() <= 1e-4 * max(1.0, np.abs(want).max())


def test_a_conditional_encoder_keeps_the_class_aside(backend):
    spec = webdecoder.export(backend.model("cvae-mnist"), "cvae-mnist", "encoder")
    first = spec["ops"][0]
    assert first["op"] == "keep_tail" and first["n"] == 10
    assert [o["op"] for o in first["ops"]][0] == "reshape" and first["ops"][-1]["op"] == "flatten"


def test_an_encoder_the_spec_does_not_reproduce_is_not_exported(monkeypatch):
    model = tiny("vae")
    monkeypatch.setattr(model, "encode", lambda x, c=None: 2 * model.__class__.encode(model, x, c))
    with pytest.raises(webdecoder.NotExportable, match="encoder differs from torch"):
        webdecoder.export(model, part="encoder")
    with pytest.raises(ValueError, match="part"):
        webdecoder.export(model, part="discriminator")


def test_keep_tail_and_flatten_ops():
    x = np.arange(2 * 6, dtype=np.float64).reshape(2, 6)
    op = {"op": "keep_tail", "n": 2, "ops": [{"op": "reshape", "shape": [1, 2, 2]},
                                              {"op": "relu"}, {"op": "flatten"}]}
    want = np.concatenate([np.maximum(x[:, :4] - 3, 0), x[:, 4:] - 3], 1)  # the tail untouched
    assert np.array_equal(webdecoder.OPS["keep_tail"](x - 3, op), want)


def test_the_cli_lists_both_parts_without_the_service_layer(tmp_path, capsys):
    import ast
    tree = ast.parse((ROOT / "playground" / "webdecoder.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("playground.")} - {
        "playground.base", "playground.models", "playground.webrun"}
    tiny("cvae", n_classes=3).save_pretrained(tmp_path / "cvae-tiny")
    webdecoder.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "cvae-tiny decoder" in out and "cvae-tiny encoder" in out and out.count("in page") == 2


def test_unsupported_layers_are_refused():
    model = tiny("vae")
    model.decoder[1] = torch.nn.GELU()
    with pytest.raises(webdecoder.NotExportable, match="GELU"):
        webdecoder.export(model)


def test_rest_noise_is_what_the_sliders_use(backend):
    noise = backend.rest_noise("vae-mnist-16d", 7)
    z = backend.latent_from_sliders("vae-mnist-16d", [0.0] * 12, rest_seed=7, temperature=0.5)
    assert len(noise) == 4 and np.allclose(np.array(noise) * 0.5, z[12:])
    assert backend.rest_noise("vae-mnist-16d", -1) == []


NODE_SCRIPT = """
const web = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const dec = web.load(input.spec, {simd: input.simd});
if (input.simd && !dec.simd) throw new Error('no WebAssembly SIMD in this node');
const out = input.z.map((z, i) => {
  const lat = web.latentFromSliders(input.spec, z, input.mode, null, 1);
  return Array.from(dec.run(lat, input.y ? input.y[i] : 0));
});
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize("simd", [True, False], ids=["simd", "js"])
@pytest.mark.parametrize("model_id,mode", [("cvae-mnist", "axes"), ("vae-mnist-16d", "principal"),
                                           ("flow-moons", "axes"), ("ldm-mnist", "principal")])
def test_javascript_interpreter_matches_torch(backend, model_id, mode, simd, tmp_path):
    """assets/webdecoder.js itself (the code the page runs), under node: its WebAssembly SIMD
    sums, and the JavaScript ones a browser without SIMD runs."""
    spec = backend.web_decoder(model_id)
    k = spec["slider_count"]
    g = np.random.default_rng(1)
    values = g.uniform(-3, 3, size=(4, k)).round(2)
    y = g.integers(0, 10, 4).tolist() if spec["n_classes"] else None
    script = tmp_path / "run.js"
    script.write_text(NODE_SCRIPT)
    payload = json.dumps({"spec": spec, "z": values.tolist(), "y": y, "mode": mode, "simd": simd})
    done = subprocess.run(["node", str(script), str(ROOT / "assets" / "webdecoder.js")],
                          input=payload, capture_output=True, text=True, timeout=60, check=True)
    got = np.array(json.loads(done.stdout), np.float32).reshape(4, *spec["output_shape"])
    z = np.stack([backend.latent_from_sliders(model_id, v, mode=mode) for v in values])
    want = torch_decode(backend.model(model_id), z, None if y is None else np.array(y), spec)
    assert np.abs(got - want).max() <= (webdecoder.tolerance(spec) if spec.get("knobs") else 1e-5)


OPS_SCRIPT = """
const web = require(process.argv[2]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = input.cases.map(({op, x, shape}) => {
  const dec = web.load({format: 'webdecoder/1', latent_dim: x.length, n_classes: 0,
                        input_dim: x.length, ops: [{op: 'reshape', shape}, ...op]},
                       {simd: input.simd});
  if (dec.simd !== input.simd) throw new Error('no WebAssembly SIMD in this node');
  return Array.from(dec.run(x, 0));
});
process.stdout.write(JSON.stringify(out));
"""


def _layer_case(g, kind: str, c_in: int, c_out: int, k: int, stride: int, padding: int,
                act: str | None, size: int = 5) -> dict:
    shape = [c_in] if kind == "linear" else [c_in, size, size]
    w_shape = {"linear": [c_out, c_in], "conv2d": [c_out, c_in, k, k],
               "conv_transpose2d": [c_in, c_out, k, k]}[kind]
    op = {"op": kind, "w": webdecoder.pack(g.normal(size=w_shape)),
          "b": webdecoder.pack(g.normal(size=c_out))}
    if kind != "linear":
        op |= {"stride": stride, "padding": padding}
    ops = [op] + ([{"op": act, **({"slope": 0.2} if act == "leaky_relu" else {})}] if act else [])
    return {"op": ops, "x": g.normal(size=int(np.prod(shape))).tolist(), "shape": shape}


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize("simd", [True, False], ids=["simd", "js"])
def test_javascript_layers_match_the_numpy_reference(tmp_path, simd):
    """Each layer kernel of assets/webdecoder.js (channels-last; the activation fused into the
    write; WebAssembly SIMD sums 16 channels at a time, the JavaScript ones 8) against
    webrun.py's, on shapes the shipped decoders do not have: channel counts that are not a
    multiple of 8 or 16, odd kernels, strides and paddings."""
    g = np.random.default_rng(3)
    cases = [_layer_case(g, "linear", 37, 19, 0, 0, 0, "silu"),
             _layer_case(g, "linear", 8, 16, 0, 0, 0, None),
             _layer_case(g, "linear", 20, 35, 0, 0, 0, "sigmoid"),
             _layer_case(g, "conv_transpose2d", 5, 11, 4, 2, 1, "relu"),
             _layer_case(g, "conv_transpose2d", 3, 9, 3, 1, 0, "tanh"),
             _layer_case(g, "conv_transpose2d", 6, 1, 5, 3, 2, "sigmoid"),
             _layer_case(g, "conv2d", 5, 11, 3, 1, 1, "leaky_relu"),
             _layer_case(g, "conv2d", 3, 8, 4, 2, 1, None),
             _layer_case(g, "conv2d", 7, 2, 5, 2, 2, "silu", size=7)]
    script = tmp_path / "ops.js"
    script.write_text(OPS_SCRIPT)
    done = subprocess.run(["node", str(script), str(ROOT / "assets" / "webdecoder.js")],
                          input=json.dumps({"cases": cases, "simd": simd}), capture_output=True, text=True,
                          timeout=60, check=True)
    for case, got in zip(cases, json.loads(done.stdout)):
        spec = {"n_classes": 0, "ops": [{"op": "reshape", "shape": case["shape"]}, *case["op"]]}
        want = webdecoder.run(spec, np.array([case["x"]], np.float32))[0].ravel()
        assert np.abs(np.array(got) - want).max() <= 1e-5 * max(1.0, np.abs(want).max()), case["op"][0]["op"]


SCHEDULER_SCRIPT = """
const web = require(process.argv[2]);
const frames = [];                       // the callbacks queued for the next animation frame
globalThis.requestAnimationFrame = f => frames.push(f);
const nextFrame = now => frames.splice(0).forEach(f => f(now));
const painted = [];
const s = web.frameScheduler((job, now) => painted.push([job, now]));
for (let i = 1; i <= 5; i++) s.request(i);         // a drag's moves within one frame
const queued = frames.length;
nextFrame(16);
nextFrame(32);                                     // no move: no paint
s.request(6); s.cancel(); nextFrame(48);           // a cancelled move paints nothing
s.request(7); nextFrame(64);
process.stdout.write(JSON.stringify({painted, queued, frames: s.frames, requests: s.requests}));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_frame_scheduler_paints_the_latest_request_once_per_frame(tmp_path):
    """latentWeb.frameScheduler, which the Explore tab and the static page draw through: any
    number of requests before a frame give one paint of the last, inside the frame's callback."""
    script = tmp_path / "scheduler.js"
    script.write_text(SCHEDULER_SCRIPT)
    done = subprocess.run(["node", str(script), str(ROOT / "assets" / "webdecoder.js")],
                          capture_output=True, text=True, timeout=60, check=True)
    got = json.loads(done.stdout)
    assert got == {"painted": [[5, 16], [7, 64]], "queued": 1, "frames": 2, "requests": 7}


JUDGE_SCRIPT = """
const web = require(process.argv[2]);
require(process.argv[3]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const judge = web.load(input.spec, {simd: input.simd});
process.stdout.write(JSON.stringify(input.x.map(x => Array.from(judge.run(x)))));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
@pytest.mark.parametrize("simd", [True, False], ids=["simd", "js"])
def test_the_judge_runs_in_the_page_as_in_torch(backend, simd, tmp_path):
    """The judge classifier's export (its convolutions, folded BatchNorms, max pooling and head),
    run by assets/webdecoder.js + webencoder.js under node, gives torch's logits on validation
    digits and on noise; max_pool2d matches nn.MaxPool2d in the numpy reference too."""
    from playground import judge
    from playground.data import mnist
    model = judge.load(backend.root)
    spec = json.loads(judge.web_spec(backend.root))
    x = torch.cat([mnist("val")[0][:6],
                   torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))])
    script = tmp_path / "judge.js"
    script.write_text(JUDGE_SCRIPT)
    done = subprocess.run(["node", str(script), str(ROOT / "assets" / "webdecoder.js"),
                           str(ROOT / "assets" / "webencoder.js")],
                          input=json.dumps({"spec": spec, "simd": simd, "x": x.flatten(1).tolist()}),
                          capture_output=True, text=True, timeout=60, check=True)
    got = np.array(json.loads(done.stdout))
    with torch.inference_mode():
        want = model.logits(x).numpy()
    assert np.abs(got - want).max() <= 1e-4 * max(1, np.abs(want).max())
    assert (got.argmax(1) == want.argmax(1)).all()
    pool = {"op": "max_pool2d", "k": 2}
    a = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    assert np.array_equal(webdecoder.OPS["max_pool2d"](a, pool),
                          torch.nn.MaxPool2d(2)(torch.from_numpy(a)).numpy())

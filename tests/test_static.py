"""The static build (python -m playground.static): a self-contained folder, the same bytes every
time, within its size budget, refusing an export that fails its check; every exported decoder and
encoder agrees with torch within the recorded tolerance in the numpy reference and in node (the
page's own scripts, weights inflated as the page does); the page's random numbers and map rules
are the server's."""
import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import judge
from playground import projection as proj
from playground import webdecoder
from playground.base import FAMILIES
from playground.static import SIZE_BUDGET, BuildError, build
from playground.static.folder import JUDGE_FILE, part_tolerance
from playground.static import judge as J
from playground.static import weights as W
from playground.store import ModelStore
from tests.factories import shipped

NODE = shutil.which("node")


# ---- reading the folder back ----------------------------------------------------------------------
def data_file(path: Path):
    """(kind, key, value) of a `latentStatic.add(kind, key, value);` script."""
    text = path.read_text()
    assert text.startswith("latentStatic.add(") and text.endswith(");\n"), path
    return tuple(json.loads("[" + text[len("latentStatic.add("):-3] + "]"))


def catalog(folder: Path) -> dict:
    text = (folder / "data" / "catalog.js").read_text()
    return json.loads(text[len("latentStatic.setCatalog("):-3])


def blob_bytes(folder: Path, blob_id: str, itemsize: int) -> bytes:
    got_id, data = W.read_blob_script((folder / "weights" / f"{blob_id}.js").read_text())
    assert got_id == blob_id
    return W.unblob(data, itemsize)


def inline(folder: Path, value):
    """A page spec with its blob tensors packed inline, as webrun.run reads them."""
    if isinstance(value, list):
        return [inline(folder, v) for v in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("blob"), str) and "shape" in value:
        raw = blob_bytes(folder, value["blob"], 2 if value.get("dtype") == "int16" else 4)
        out = {k: v for k, v in value.items() if k != "blob"}
        return out | {"data": base64.b64encode(raw).decode("ascii")}
    return {k: inline(folder, v) for k, v in value.items()}


def torch_out(model, kind: str, x: np.ndarray, y, knobs: dict) -> np.ndarray:
    with torch.inference_mode():
        if kind == "decoder":
            out = model.decode(torch.from_numpy(x), y, **knobs)
        else:
            out = model.encode(torch.from_numpy(x).reshape(len(x), 1, 28, 28), y)
    return out.numpy().reshape(len(x), -1)


def relative(got, want) -> float:
    return float((np.abs(np.asarray(got) - want) / np.maximum(1, np.abs(want))).max())


def random_jobs(cat: dict, store: ModelStore, n: int = 6, seed: int = 11):
    """Inputs the build's search never saw, for every exported part, with torch's answers."""
    g = np.random.default_rng(seed)
    for m in cat["models"]:
        model = store.model(m["id"])
        for kind in ["decoder"] + (["encoder"] if m["encoder"] else []):
            x = ((g.normal(size=(n, m["latent_dim"])) * 1.5) if kind == "decoder"
                 else g.uniform(size=(n, 28 * 28))).astype(np.float32)
            y = g.integers(0, m["n_classes"], n) if m["n_classes"] else None
            knobs = {k: v for k, v in m["knobs"] if k in {kk.name for kk in model.knobs}} \
                if kind == "decoder" else {}
            want = torch_out(model, kind, x, None if y is None else torch.from_numpy(y), knobs)
            yield {"kind": kind, "id": m["id"], "inputs": x.tolist(),
                   "labels": None if y is None else y.tolist()}, want


@pytest.fixture(scope="module")
def site(static_site):
    return static_site


@pytest.fixture(scope="module")
def store():
    return ModelStore()


# ---- the folder --------------------------------------------------------------------------------------
def test_the_folder_is_self_contained(site):
    folder, report = site
    html = (folder / "index.html").read_text()
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'href="([^"]+)"', html)
    sources = [s for s in sources if not s.startswith("data:")]  # the empty favicon: no request
    assert sources and [s for s in sources if not (folder / s).is_file()] == []
    import plotly
    shipped_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (folder / "plotly.min.js").read_bytes() == shipped_js.read_bytes()
    ours = [folder / "index.html", *folder.glob("*.js"), *(folder / "static").iterdir(),
            *(folder / "data").iterdir()]
    for path in [p for p in ours if p.name != "plotly.min.js"]:
        assert "http://" not in path.read_text() and "https://" not in path.read_text(), path
    readme = (folder / "README.md").read_text()
    assert readme.startswith("---\n") and "\nsdk: static\n" in readme.split("---")[1]
    on_disk = {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    assert on_disk == report.files


def test_size_is_within_the_budget(site):
    folder, report = site
    assert report.size <= SIZE_BUDGET
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) == report.size


def test_every_model_the_page_can_run_is_in_it_and_the_rest_are_named(site):
    """Found by capability: every shipped decoder but those their family keeps on the server;
    the others listed with why (the page's footer says so)."""
    folder, report = site
    cat = catalog(folder)
    in_page = {m["id"] for m in cat["models"]}
    by_design = {i for i in shipped("decode")
                 if "decoder" in FAMILIES[ModelStore().info(i).family].server_parts}
    assert in_page == set(shipped("decode")) - by_design
    left = {m["id"] for m in cat["left_out"]}
    assert left == set(shipped()) - in_page - set(shipped("text"))   # names: the Names tab
    assert all(m["reason"] for m in cat["left_out"])
    # an encoder wherever the model has one the page can use (to place a drawing on its map)
    store = ModelStore()
    for m in cat["models"]:
        info = store.info(m["id"])
        wants = info.has("encode") and info.mappable and "encoder" not in FAMILIES[info.family].server_parts
        assert m["encoder"] == wants, m["id"]
        assert (folder / "models" / f"{m['id']}.encoder.js").is_file() == wants
        assert bool(m.get("maps")) == info.mappable


def test_the_build_is_deterministic(tiny_root, tmp_path):
    """Same inputs, same bytes: two builds of the tiny models (the same code path as the shipped
    ones: export, quantisation step search, packing, at a fraction of a full build's minute)."""
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        build(folder, tiny_root, log=lambda *a: None)
    first, second = ({str(p.relative_to(f)): p.read_bytes() for p in f.rglob("*") if p.is_file()}
                     for f in folders)
    assert first.keys() == second.keys() and len(first) > 10
    assert [k for k in first if first[k] != second[k]] == []


def test_an_export_that_fails_its_check_stops_the_build(tiny_root, tmp_path, monkeypatch):
    """One model's decoder differs from torch: the build names it and writes nothing."""
    real = webdecoder.check_error
    victim = "vae-mnist-16d"
    monkeypatch.setattr(webdecoder, "check_error",
                        lambda model, spec, **kw: 1.0 if spec["model"] == victim else real(model, spec, **kw))
    out = tmp_path / "site"
    with pytest.raises(BuildError, match=f"{victim} decoder: the exported decoder differs from torch"):
        build(out, tiny_root, log=lambda *a: None)
    assert not out.exists()


def test_a_tab_for_another_capability_is_one_exporter_and_one_script(tiny_root, tmp_path,
                                                                     monkeypatch):
    """A tab's data: an exporter registered for "text" writes models/<id>.text.js for the text
    model, which the catalog then lists instead of naming it as left out."""
    from playground.static import folder as B
    monkeypatch.setitem(B.EXPORTERS, "text", lambda model, info, pool: B.Extra({
        "kinds": list(info.class_names),
        "embedding": B.page_tensor(pool, np.zeros((3, 2), np.float32))}))
    out = tmp_path / "site"
    build(out, tiny_root, log=lambda *a: None)
    text_models = [i for i in shipped("text")]
    cat = catalog(out)
    assert cat["extras"]["text"] == text_models
    assert not {m["id"] for m in cat["left_out"]} & set(text_models)
    kind, key, value = data_file(out / "models" / f"{text_models[0]}.text.js")
    assert (kind, key) == ("text", text_models[0]) and (out / "weights" / f"{value['embedding']['blob']}.js").is_file()


def test_the_build_never_replaces_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="not a static build"):
        build(tmp_path, log=lambda *a: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_every_page_script_parses(site):
    """A syntax error would only show in a browser: node checks each script of the folder."""
    folder, _ = site
    for path in [*folder.glob("*.js"), *(folder / "static").glob("*.js")]:
        if path.name != "plotly.min.js":
            done = subprocess.run([NODE, "--check", str(path)], capture_output=True, text=True)
            assert done.returncode == 0, f"{path.name}: {done.stderr}"


# ---- parity -----------------------------------------------------------------------------------------
def test_weights_blob_round_trip():
    a = np.random.default_rng(0).normal(size=(33, 7)).astype(np.float32)
    q, scale = W.quantise(a, 1 / 64)
    assert q.dtype == np.dtype("<i2") and np.abs(q.astype(np.float32) * np.float32(scale) - a).max() <= scale / 2
    for raw, size in ((q.tobytes(), 2), (a.tobytes(), 4)):
        assert W.unblob(W.blob(raw, size), size) == raw
        assert W.read_blob_script(W.blob_script("0a1b", W.blob(raw, size)).decode()) == ("0a1b", W.blob(raw, size))


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_the_pages_base85_reads_pythons():
    """core.js's base85 (what the page decodes a weight script's text with) gives the bytes
    base64.b85encode was given, whatever the last group's length; other characters throw."""
    g = np.random.default_rng(3)
    cases = [bytes(n) for n in range(9)] + [b"\xff" * n for n in range(9)] + \
        [g.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 2, 3, 4, 5, 1001, 4096)]
    script = f"""
const S = require({json.dumps(str(Path(__file__).parents[1] / "assets" / "static" / "core.js"))});
const texts = {json.dumps([base64.b85encode(c).decode() for c in cases])};
const bad = ["ab\\"c", "abcd'", "a/cde", "abc\\u00e9e", "abcdef"].map(t => {{ try {{ S.base85(t); return false; }} catch (e) {{ return true; }} }});
console.log(JSON.stringify({{bytes: texts.map(t => Array.from(S.base85(t))), bad}}));
"""
    done = subprocess.run([NODE, "-e", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert [bytes(b) for b in got["bytes"]] == cases and all(got["bad"])


def test_a_shared_tensor_that_does_not_suit_a_part_is_copied_exactly():
    """A tensor already shipped for another part, quantised too coarsely for this one: the part
    keeps its own float32 copy rather than miss the tolerance (or fail the build)."""
    from playground.webrun import unpack
    from tests.test_webdecoder import tiny
    model = tiny("vae")
    spec = webdecoder.export(model, "tiny", "decoder")
    slots = W.tensor_slots(spec)
    i = max(range(len(slots)), key=lambda j: np.prod(slots[j][0][slots[j][1]]["shape"]))
    holder, key = slots[i]
    pool = W.Pool()
    coarse = pool.stored[W.source_key(holder[key])] = pool.int16(*W.quantise(unpack(holder[key]), 1.0))
    page, inline, report = W.shrink(model, spec, pool)
    page_holder, page_key = W.tensor_slots(page)[i]
    assert page_holder[page_key]["blob"] != coarse.blob_id and "dtype" not in page_holder[page_key]
    assert report.shared == 0 and report.error <= W.TOLERANCE
    assert webdecoder.check_error(model, inline, n=64, seed=5) <= W.TOLERANCE


def test_every_part_agrees_with_torch_in_the_numpy_reference(site, store):
    folder, report = site
    cat = catalog(folder)
    errors = {(p.model, p.part): p for p in report.parts}
    for job, want in random_jobs(cat, store):
        suffix = ".encoder" if job["kind"] == "encoder" else ""
        kind, key, spec = data_file(folder / "models" / f"{job['id']}{suffix}.js")
        assert (kind, key) == (job["kind"], job["id"])
        got = webdecoder.run(inline(folder, spec), np.array(job["inputs"], np.float32),
                             None if job["labels"] is None else np.array(job["labels"]))
        err = relative(got.reshape(len(want), -1), want)
        assert err <= W.TOLERANCE, f"{job['id']} {job['kind']}: {err:.2g}"
        assert spec["tolerance"] == pytest.approx(part_tolerance(store.info(job["id"])))
        assert spec["error"] == float(f"{errors[(job['id'], job['kind'])].error:.3g}") <= W.TOLERANCE


NODE_SCRIPT = r"""
const path = require("path");
const folder = path.resolve(process.argv[2]);
const S = require(path.join(folder, "static/core.js"));
globalThis.latentStatic = S;
S.web = require(path.join(folder, "webdecoder.js"));
S.folder = folder;
require(path.join(folder, "webencoder.js"));
require(path.join(folder, "data/catalog.js"));
const rand = require(path.join(folder, "static/torchrand.js"));
const maths = require(path.join(folder, "static/mapmath.js"));
const paths = require(path.join(folder, "static/pathmath.js"));
const chains = require(path.join(folder, "static/chainmath.js"));
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const rows = zs => zs.map(z => Array.from(z));
// an endpoint as the Interpolate tab resolves it: the prior as the page draws it, or the map's codes
async function source(id, e, count) {
  const dim = S.model(id).latent_dim;
  if (e.source === "sample") return paths.endpoints({...e, prior: await S.prior(id), dim}, count);
  const codes = Object.values((await S.map(id)).methods)[0].codes;
  return paths.endpoints({...e, codes, dim}, count);
}
(async () => {
  const out = [];
  for (const job of input) {
    if (job.kind === "randn") { out.push(Array.from(rand.randn(job.seed, job.n))); continue; }
    if (job.kind === "rand") { out.push(Array.from(rand.rand(job.seed, job.n))); continue; }
    if (job.kind === "text") {
      const gpt = await S.text(job.id);
      out.push(job.ids.map(seq => rows(gpt.forward(seq))));
      continue;
    }
    if (job.kind === "generate") { out.push((await S.text(job.id)).generate(job.options)); continue; }
    if (job.kind === "path") {
      out.push(rows(paths.interpolate(Float32Array.from(job.a), Float32Array.from(job.b), job.steps, job.method)));
      continue;
    }
    if (job.kind === "interpolate") {
      const [a] = await source(job.id, job.a, 1), [b] = await source(job.id, job.b, 1);
      out.push(rows(paths.interpolate(a, b, job.steps, job.method)));
      continue;
    }
    if (job.kind === "arithmetic") {
      const means = await S.classMeans(job.id), bases = await source(job.id, job.base, job.count);
      out.push({means: rows(means.means), bases: rows(bases),
                results: rows(paths.arithmetic(bases, means.means[job.plus], means.means[job.minus], job.strength))});
      continue;
    }
    if (job.kind === "chain") {
      const state = chains.chain(await S.chain(job.id), job), frames = [Array.from(state.frame)];
      for (let k = 0; k < job.steps; k++) frames.push(Array.from(state.advance(1).frame));
      out.push(frames);
      continue;
    }
    if (job.kind === "judge") {  // the judge as Explore's caption loads it: logits and what it says
      const j = await S.judge();
      out.push(job.inputs.map(x => ({logits: Array.from(j.run(x)), says: S.web.page.verdict(j, x)})));
      continue;
    }
    if (job.kind === "from_map" || job.kind === "to_map") {
      const map = (await S.map(job.id)).methods[job.method];
      const rules = {...S.catalog.map, max_latent_abs: S.catalog.limits.max_latent_abs};
      out.push(job.kind === "from_map"
        ? job.xy.map(([x, y]) => { const f = maths.fromMap(map, x, y, rules); return {...f, z: Array.from(f.z)}; })
        : job.zs.map(z => maths.toMap(map, z, rules).xy));
      continue;
    }
    const part = await S.part(job.kind, job.id);
    out.push(job.inputs.map((x, i) => Array.from(part.run(x, job.labels ? job.labels[i] : 0))));
  }
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""


def node(folder: Path, jobs: list, tmp_path: Path):
    script = tmp_path / "run.js"
    script.write_text(NODE_SCRIPT)
    done = subprocess.run([NODE, str(script), str(folder)], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_every_part_agrees_with_torch_in_node(site, store, tmp_path):
    """The page's scripts themselves: weights inflated and unpacked as the page does, the
    interpreter of assets/webdecoder.js and webencoder.js; equal to the numpy reference too."""
    folder, _ = site
    jobs, wants = zip(*random_jobs(catalog(folder), store, seed=12))
    for job, want, got in zip(jobs, wants, node(folder, list(jobs), tmp_path)):
        got = np.array(got, np.float32)
        assert relative(got, want) <= W.TOLERANCE, f"{job['id']} {job['kind']}"
        suffix = ".encoder" if job["kind"] == "encoder" else ""
        spec = inline(folder, data_file(folder / "models" / f"{job['id']}{suffix}.js")[2])
        ref = webdecoder.run(spec, np.array(job["inputs"], np.float32),
                             None if job["labels"] is None else np.array(job["labels"]))
        bound = webdecoder.tolerance(spec) if spec.get("knobs") else 1e-5
        assert np.abs(got - ref.reshape(len(got), -1)).max() <= bound, f"{job['id']} {job['kind']}"


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_the_page_draws_torchs_random_numbers(site, tmp_path):
    """torch.randn(n, generator=manual_seed(s)) on both of its paths (n < 16 and n >= 16)."""
    folder, _ = site
    cases = [(s, n) for s in (0, 1, 7, 2**31 - 1) for n in (1, 2, 3, 4, 15, 16, 17, 52, 244, 1024)]
    got = node(folder, [{"kind": "randn", "seed": s, "n": n} for s, n in cases], tmp_path)
    for (s, n), values in zip(cases, got):
        want = torch.randn(n, generator=torch.Generator().manual_seed(s)).numpy()
        assert np.abs(np.array(values) - want).max() <= 2e-6, (s, n)


@pytest.mark.skipif(not NODE, reason="node is not installed")
@pytest.mark.parametrize("model_id,method", [("vae-mnist-2d", "latent"), ("vae-mnist-2d", "pca"),
                                             ("vae-mnist-16d", "umap"), ("cvae-mnist", "tsne"),
                                             ("dcgan-mnist", "pca")])
def test_the_map_rules_are_the_servers(site, store, tmp_path, model_id, method):
    """A click on a point, near it, in empty space, outside the points; and placing latents."""
    from playground.errors import MAX_LATENT_ABS
    folder, _ = site
    p = proj.load(proj.shipped_path(store.root / model_id, method), store.weights_sha(model_id))
    g = np.random.default_rng(3)
    lo, hi = p.points.min(0), p.points.max(0)
    clicks = [p.points[5], p.points[17] + (hi - lo) * 0.004, *g.uniform(lo, hi, (6, 2)),
              hi + (hi - lo) * 0.3]
    zs = [p.codes[3], p.codes[40] + 0.2, g.normal(size=p.codes.shape[1]) * 2]
    got_from, got_to = node(folder, [
        {"kind": "from_map", "id": model_id, "method": method, "xy": [list(map(float, c)) for c in clicks]},
        {"kind": "to_map", "id": model_id, "method": method, "zs": [list(map(float, z)) for z in zs]}],
        tmp_path)
    for xy, got in zip(clicks, got_from):
        z, how = p.from_map(xy)
        near = how["neighbours"] or [how["index"]]
        assert got["index"] == how["index"] and got["snapped"] == how["snapped"]
        assert got["label"] == int(np.bincount(p.labels[near]).argmax())
        assert np.allclose(got["z"], np.clip(z, -MAX_LATENT_ABS, MAX_LATENT_ABS), atol=1e-5)
    for z, got in zip(zs, got_to):
        assert np.allclose(got, p.to_map(np.float32(z))[0][0], atol=1e-4)


def test_the_page_draws_the_prior_as_the_model_does(site):
    """Asked of the models: a standard normal prior is drawn with torch's generator, a mixture
    from shipped draws, and a sampler that is not decode(prior) (a Gibbs chain) gets no grid."""
    folder, _ = site
    prior = {m["id"]: m["prior"] for m in catalog(folder)["models"]}
    assert prior["vae-mnist-16d"] == {"kind": "normal", "grid": True}
    assert prior["ae-mnist"]["kind"] == "bank" and prior["ae-mnist"]["grid"]
    assert prior["rbm-mnist"]["kind"] == "normal" and not prior["rbm-mnist"]["grid"]
    assert prior["ldm-mnist"]["grid"]


def test_a_maps_codes_ship_exactly_or_within_their_stated_step(site, store):
    """Gaussian codes as float32, exactly; an RBM's probabilities as int16 steps, each code
    within CODES_ERROR (the folder's saving that pays for the Names tab)."""
    from playground.static.folder import CODES_ERROR
    folder, _ = site
    for m in catalog(folder)["models"]:
        if not m.get("maps"):
            continue
        _, _, value = data_file(folder / "maps" / f"{m['id']}.js")
        method = m["maps"][0]
        codes = value["methods"][method]["codes"]
        p = proj.load(proj.shipped_path(store.root / m["id"], method), store.weights_sha(m["id"]))
        got = webdecoder.unpack(inline(folder, codes))
        if codes.get("dtype") == "int16":
            assert 0 < codes["error"] <= CODES_ERROR
            assert np.abs(got - p.codes).max() == pytest.approx(codes["error"], rel=0.01)
        else:
            assert codes["error"] == 0 and np.array_equal(got, p.codes), m["id"]
    rbm = data_file(folder / "maps" / "rbm-mnist.js")[2]
    assert rbm["methods"]["pca"]["codes"]["dtype"] == "int16"


# ---- the judge: what Explore's caption says of the decoded digit ---------------------------------
def test_the_judge_ships_in_the_folder(site):
    """The shipped folder has room for the judge: its file, its catalog entry and its check."""
    folder, report = site
    cat = catalog(folder)
    assert cat["judge"] == {"model": judge.JUDGE, "src": JUDGE_FILE}
    assert judge.JUDGE not in {m["id"] for m in cat["left_out"]}
    assert (folder / JUDGE_FILE).is_file()
    assert any(p.part == "judge" for p in report.parts)


def test_a_judge_with_no_room_is_named_with_its_figures(monkeypatch):
    """The fit decision, on a folder with less room than the judge's weights take at the ladder's
    coarsest step (J.smallest, stubbed: no weights are read): left out with that size and the room
    the rest left, before any search (no export), and the caption not offered."""
    from playground.static import folder as F

    def no_search(*args):
        raise AssertionError("searched for a step though no step fits")
    monkeypatch.setattr(J, "page_spec", lambda root: {"model": judge.JUDGE})
    monkeypatch.setattr(J, "smallest", lambda spec: 300_000)
    monkeypatch.setattr(J, "export", no_search)
    budget, doc, report = 200_000, {"judge": None}, F.Report(Path("unused"))
    F._judge(judge.PRETRAINED, None, [], doc, {}, report, budget, log=lambda *a: None)
    assert doc["judge"] is None and [i for i, _ in report.left_out] == [judge.JUDGE]
    need, room = (float(v) for v in re.findall(r"([\d.]+) MB", report.left_out[0][1])[:2])
    assert need == 0.30 > room
    said = F.folder_size(F.naming([], doc, report), report)   # the folder that names it
    assert abs(room - (budget - said) / 1e6) < 0.005


def test_the_judges_verdicts_are_torchs_on_its_check_set(site, tmp_path):
    """On its check set (validation digits and the page's models' decoded samples), the shipped
    judge names torch's digit every time and every probability is within its tolerance, in the
    numpy reference and in node (the page's loader, interpreter and caption text)."""
    folder, root = site[0], judge.PRETRAINED
    cat = catalog(folder)
    kind, key, value = data_file(folder / cat["judge"]["src"])
    assert (kind, key) == ("judge", judge.JUDGE) and value["tolerance"] == J.TOLERANCE
    spec = inline(folder, value)
    images = J.check_images(ModelStore(root), [m["id"] for m in cat["models"] if m["output"] == "image"],
                            spec["input_shape"])
    assert len(images) == value["checked"] > J.VALIDATION
    with torch.inference_mode():
        want = judge.load(root).predict_proba(torch.from_numpy(images).reshape(-1, *spec["input_shape"]))
    want = want.double().numpy()
    ref = webdecoder.run(spec, images)
    got = J.softmax(ref.astype(np.float64))
    assert (got.argmax(1) == want.argmax(1)).all()
    err = np.abs(got - want).max()
    assert err == pytest.approx(value["error"], rel=0.01) and err <= J.TOLERANCE
    if not NODE:
        return
    ran = node(folder, [{"kind": "judge", "inputs": images.tolist()}], tmp_path)[0]
    logits = np.array([r["logits"] for r in ran])
    assert np.abs(logits - ref).max() <= 1e-4 * max(1, np.abs(ref).max())
    k, p = want.argmax(1), want.max(1)
    for r, k_, p_ in zip(ran, k, p):
        said = re.fullmatch(r"looks like an? (\d) \((\d+) %\)", r["says"])
        assert int(said.group(1)) == k_ and abs(int(said.group(2)) - 100 * p_) <= 100 * J.TOLERANCE + 0.5


# ---- names: the character GPT in the page ---------------------------------------------------------
def random_sequences(spec: dict, n: int, seed: int) -> np.ndarray:
    """(n, block) token ids: a class token, then random letters and ends."""
    g = np.random.default_rng(seed)
    ids = g.integers(0, len(spec["tokens"]), (n, spec["block"] - 1))
    return np.concatenate([g.choice(spec["class_tokens"], (n, 1)), ids], 1)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_the_names_and_chain_exporters_are_registered(site):
    """Names and the Gibbs chain come with the build: their models are under the catalog's
    extras, with each part's error against torch in the report and the model file."""
    from playground.static import folder as B
    from playground.static.text import TOLERANCE
    folder, report = site
    assert {"text", "stepwise"} <= set(B.EXPORTERS)
    cat = catalog(folder)
    assert cat["extras"] == {"text": shipped("text"), "stepwise": ["rbm-mnist"]}
    parts = {(p.model, p.part): p for p in report.parts}
    for model_id in shipped("text"):
        p = parts[(model_id, "text")]
        assert p.error <= TOLERANCE and p.measures and 0 < p.also["logit_error"] < 0.1
        assert p.quantised > 0.9 * p.params       # int16 steps: what fits the budget
        _, _, spec = data_file(folder / "models" / f"{model_id}.text.js")
        assert spec["format"] == "webgpt/1" and spec["error"] == float(f"{p.error:.3g}")
        assert spec["logit_error"] == float(f"{p.also['logit_error']:.3g}")
    chain = parts[("rbm-mnist", "chain")]
    assert chain.bytes == 0 and chain.shared == chain.params and chain.error <= W.TOLERANCE
    built = json.loads((folder / "build.json").read_text())
    text_part = next(p for p in built["parts"] if p["part"] == "text")
    assert "logit_error" in text_part and text_part["measures"].startswith("the next-letter")
    assert "the next-letter probabilities" in report.text()


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_the_name_model_agrees_with_torch_in_numpy_and_node(site, store, tmp_path):
    """Its letter probabilities within the stated bound on sequences the build never saw, in
    the numpy reference and in node (the page's own scripts: weights inflated as the page does,
    assets/webgpt.js); node equal to numpy to float rounding."""
    from playground.static.text import TOLERANCE
    from playground.webrun import run_tokens
    folder, _ = site
    for model_id in shipped("text"):
        spec = inline(folder, data_file(folder / "models" / f"{model_id}.text.js")[2])
        ids = random_sequences(spec, 96, seed=7)
        with torch.inference_mode():
            want = store.model(model_id)(torch.from_numpy(ids)).numpy()
        ref = run_tokens(spec, ids)
        assert np.abs(softmax(ref) - softmax(want)).max() <= TOLERANCE
        got = np.array(node(folder, [{"kind": "text", "id": model_id, "ids": ids.tolist()}],
                            tmp_path)[0], np.float32)
        assert np.abs(got - ref).max() <= 1e-4
        assert np.abs(softmax(got) - softmax(want)).max() <= TOLERANCE


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_names_are_the_same_for_a_seed(site, tmp_path):
    folder, _ = site
    model_id = shipped("text")[0]
    opts = {"n": 6, "temperature": 0.8, "topK": 10, "topP": 0.9, "prefix": "ma", "kind": "female",
            "seed": 5}
    first, again, other = node(folder, [{"kind": "generate", "id": model_id, "options": o}
                                        for o in (opts, opts, opts | {"seed": 6})], tmp_path)
    assert first == again and first != other
    assert all(r["text"].startswith("ma") and r["probs"][:2] == [1, 1] for r in first)
    greedy = node(folder, [{"kind": "generate", "id": model_id,
                            "options": {"n": 2, "temperature": 0, "kind": "male", "seed": s}}
                           for s in (1, 2)], tmp_path)
    assert greedy[0] == greedy[1]      # T = 0 draws nothing


# ---- interpolation and arithmetic: the server's maths ---------------------------------------------
@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_lerp_and_slerp_are_the_servers(site, tmp_path):
    """pathmath.js against playground/sampling.py, including the endpoints slerp cannot turn
    on (a zero vector, parallel and opposite ones: lerp)."""
    from playground import sampling
    folder, _ = site
    g = np.random.default_rng(4)
    a, b = g.normal(size=(2, 16)).astype(np.float32)
    cases = [(a, b, 10), (a, b, 2), (a, b, 33), (a * 0, b, 5), (a, 2 * a, 5), (a, -a, 4),
             (g.normal(size=256).astype(np.float32), g.normal(size=256).astype(np.float32), 9)]
    jobs = [{"kind": "path", "a": x.tolist(), "b": y.tolist(), "steps": n, "method": m}
            for x, y, n in cases for m in ("lerp", "slerp")]
    for job, got in zip(jobs, node(folder, jobs, tmp_path)):
        want = sampling.interpolate(torch.tensor(job["a"]), torch.tensor(job["b"]), job["steps"],
                                    job["method"]).numpy()
        assert np.abs(np.array(got) - want).max() <= 2e-6 * max(1, np.abs(want).max()), job["method"]


@pytest.fixture(scope="module")
def tools(backend):
    from playground.tools import Tools
    return Tools(backend)


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_interpolations_are_the_servers(site, tools, tmp_path):
    """The Interpolate tab's path latents: a prior sample (torch's generator) to a validation
    digit (the map's code, which the server encodes), as tools.interpolation.interpolate."""
    from playground.static.folder import CODES_ERROR
    from playground.tools.interpolation import interpolate
    folder, _ = site
    cases = [("vae-mnist-16d", "slerp", None), ("cvae-mnist", "lerp", "4"),
             ("rbm-mnist", "slerp", None)]
    jobs = [{"kind": "interpolate", "id": i, "a": {"source": "sample", "seed": 3, "temperature": 0.8},
             "b": {"source": "data", "index": 17}, "steps": 7, "method": m} for i, m, _ in cases]
    for (model_id, method, label), got in zip(cases, node(folder, jobs, tmp_path)):
        want = interpolate(tools, model_id, ("sample", 3, None), ("data", 17, None), method=method,
                           steps=7, label=label, temperature=0.8).latents
        assert np.abs(np.array(got) - want).max() <= CODES_ERROR + 1e-5, model_id


@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_arithmetic_is_the_servers(site, tools, tmp_path):
    """The class means shipped are the server's; z + s · (mean(A) − mean(B)) as
    tools.arithmetic.arithmetic, from validation digits and from prior samples."""
    from playground.tools.arithmetic import arithmetic, class_means
    folder, _ = site
    cat = {m["id"]: m for m in catalog(folder)["models"]}
    with_means = {i for i, m in cat.items() if "arithmetic" in m}
    assert with_means == {i.id for i in tools.models("arithmetic")} & set(cat)
    cases = [("vae-mnist-16d", "data", 5, 3, 1.5, None), ("ae-mnist", "data", 990, 4, -2.0, None),
             ("cvae-mnist", "sample", 2, 3, 0.7, "1"), ("vae-mnist-2d", "sample", 9, 2, 3.0, None)]
    jobs = [{"kind": "arithmetic", "id": i, "base": {"source": src, "seed": n, "index": n,
                                                     "temperature": 0.9},
             "count": c, "plus": 3, "minus": 8, "strength": s} for i, src, n, c, s, _ in cases]
    for (model_id, src, n, c, s, label), got in zip(cases, node(folder, jobs, tmp_path)):
        assert np.array_equal(np.float32(got["means"]), class_means(tools, model_id))
        want = arithmetic(tools, model_id, "3", "8", src, n, count=c, strength=s, label=label,
                          temperature=0.9)
        assert np.abs(np.array(got["bases"]) - want.bases).max() <= 1e-5, model_id
        assert np.abs(np.array(got["results"]) - want.results).max() <= 1e-5, model_id


# ---- the Gibbs chain ------------------------------------------------------------------------------
@pytest.mark.skipif(not NODE, reason="node is not installed")
def test_the_chain_is_the_servers_on_the_pages_weights(site, store, tmp_path):
    """chainmath.js draws torch's uniforms (torch.rand) and runs the block Gibbs steps of
    playground/static/chain.py's `gibbs`, which the build checked against the RBM's own sampler:
    on the page's weights the frames agree; the noise it starts from is the server's."""
    from playground.static.chain import gibbs
    folder, _ = site
    _, _, value = data_file(folder / "models" / "rbm-mnist.stepwise.js")
    layers = [tuple(torch.from_numpy(webdecoder.unpack(inline(folder, value[p][k])))
                    for k in ("w", "b")) for p in ("up", "down")]
    job = {"kind": "chain", "id": "rbm-mnist", "n": 3, "steps": 4, "temperature": 0.9, "seed": 11}
    got, uniforms = node(folder, [job, {"kind": "rand", "seed": 2, "n": 1000}], tmp_path)
    assert np.array_equal(np.float32(uniforms), torch.rand(1000, generator=torch.Generator().manual_seed(2)).numpy())
    want, _ = gibbs(*layers, 3, 4, 0.9, torch.Generator().manual_seed(11))
    assert len(got) == len(want)
    for g_, w_ in zip(got, want):
        assert np.abs(np.array(g_) - w_.numpy().ravel()).max() <= 1e-5
    with torch.inference_mode():
        noise = store.model("rbm-mnist").noise(3, torch.Generator().manual_seed(11))
    assert np.array_equal(np.array(got[0]), noise.flatten().numpy())

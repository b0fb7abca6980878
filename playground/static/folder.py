"""The static build: every model the page can run, its maps and curves, the page, in one folder.

What runs where is asked of the models (capabilities, `server_parts`, `web_modules`), never of a
family's name. A model whose decoder the page cannot run by design (none, or one its family keeps
on the server) is left out and named in the page's footer; an export that fails its check against
torch stops the build with the list, so no page paints something its model would not."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from playground import judge, webdecoder
from playground import projection as proj
from playground.errors import MAX_LATENT_ABS, MAX_SEED, MAX_TEMPERATURE
from playground.evaluate.scores import SPACES
from playground.evaluate.service import FILE as EVALUATION_FILE
from playground.evaluate.service import FORMAT_VERSION as EVALUATION_FORMAT
from playground.backend import Backend
from playground.inference import Inference
from playground.lessons import load as load_lessons, page_data
from playground.maps import Maps
from playground.sampling import INTERPOLATIONS
from playground.ui import plots
import playground.static.judge as J
import playground.static.weights as W
from playground.store import PRETRAINED, SLIDERS, ModelInfo, ModelStore
from playground.tools import MAX_TOOL_IMAGES, Tools
from playground.tools.arithmetic import MAX_STRENGTH, class_means
from playground.tools.interpolation import MAX_STEPS

ROOT = Path(__file__).resolve().parent.parent.parent
ASSETS = ROOT / "assets"
PAGE = ASSETS / "static"          # index.html, static.css, one script per tab and their helpers
SIZE_BUDGET = 25_000_000          # bytes: the whole folder (the 25 MB)
GRID = 64                         # Explore's grid: 8 x 8, as the app's
BANK = 1024                       # draws shipped for a prior the page cannot draw itself
FORMAT = "latent-static/2"
MARKER = "build.json"             # the build's report; its presence marks a folder as a build
# The page says this once, in its footer: what only a server can do.
FULL_APP = ("Train live, Evaluate's recompute with your own temperatures and seeds, UMAP/t-SNE "
            "refits with other parameters, PixelCNN sampling, PixelCNN and RBM completion, "
            "diffusion sampling and inversion, the likelihood along an interpolation, the Tools "
            "tab's style grid, reconstruction, anomaly scores, neighbours and exports, names "
            "marked new or copied from the training data, the HTTP/MCP API")
# The page's own scripts, loaded in this order before the tabs (which are every other
# assets/static/*.js, in name order: one more file is one more tab).
HELPERS = ("torchrand.js", "mapmath.js", "pathmath.js", "chainmath.js", "core.js")
# Exporters for what is not a latent decoder (a text model for a Names tab, a Markov chain for a
# Chain tab): capability → function(model, info, pool) returning an Extra (the dict its tab reads,
# tensors as blob references: page_tensor(pool, array), and the report of what it exported), or
# None. The build calls them for every model with that capability, after every model's decoder
# and encoder (so an exporter may reuse their stored tensors: pool.stored), writes
# models/<id>.<capability>.js and lists the model in the catalog's "extras"; a model served that
# way is no longer named as left out. An exporter raises webdecoder.NotExportable when its export
# fails its check against torch: the build then stops, as for a decoder. Registered by the module
# that brings the tab's export (playground/static/text.py, chain.py).
EXPORTERS: dict[str, Callable] = {}
# A map's codes ship as int16 steps (of their largest value / 32767) when that moves no code by
# more than this, else as float32, exactly: an RBM's codes are probabilities in [0, 1] (steps of
# 3e-5, half the bytes: 0.6 MB less), a Gaussian latent's would move by ~7e-5 and stay exact.
CODES_ERROR = 2e-5
JUDGE_FILE = f"models/{judge.JUDGE}.judge.js"   # the judge classifier for Explore's caption


@dataclass
class Extra:
    """What an exporter gives its tab: the value models/<id>.<capability>.js carries, and the
    report of each part it ships (its error against torch, its bytes)."""
    value: dict
    parts: list[W.PartReport] = field(default_factory=list)


class BuildError(RuntimeError):
    """The folder was not written: what failed, model by model."""


@dataclass
class Report:
    out: Path
    parts: list[W.PartReport] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)   # path → bytes

    @property
    def size(self) -> int:
        return sum(self.files.values())

    def text(self) -> str:
        lines = [f"{'part':28s} {'params':>10s} {'int16':>10s} {'shared':>9s} {'step':>8s} "
                 f"{'max error':>9s} {'KB':>7s}"]
        for p in self.parts:
            step = ("shared" if p.params and p.shared == p.params else
                    "float32" if p.step is None else f"{p.step:.4f}")
            lines.append(f"{p.model + ' ' + p.part:28s} {p.params:>10,d} {p.quantised:>10,d} "
                         f"{p.shared:>9,d} {step:>8s} {p.error:>9.2e} {p.bytes / 1e3:>7.0f}")
        lines.append(f"tolerance: max |page - torch| / max(1, |torch|) <= {W.TOLERANCE:.4g} "
                     f"(one grey level)")
        for p in self.parts:
            if p.measures:
                also = "".join(f"; {k.replace('_', ' ')} {v:.2e}" for k, v in p.also.items())
                lines.append(f"{p.model} {p.part}: the error is of {p.measures} (<= "
                             f"{p.tolerance:.4g}){also}")
        for model_id, why in self.left_out:
            lines.append(f"left out: {model_id}: {why}")
        lines.append(f"maps: {', '.join(self.maps) or 'none'}")
        groups: dict[str, int] = {}
        for path, n in self.files.items():
            top = path.split("/")[0] if "/" in path else path
            groups[top] = groups.get(top, 0) + n
        lines.append("size: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(groups.items())))
        lines.append(f"total: {self.size / 1e6:.2f} MB in {len(self.files)} files "
                     f"(budget {SIZE_BUDGET / 1e6:.0f} MB) -> {self.out}")
        return "\n".join(lines)


# ---- small helpers --------------------------------------------------------------------------------
def dumps(value) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII (the same bytes every build)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def script(kind: str, key: str, value) -> str:
    """A data file the page loads with a <script> tag (file:// pages cannot fetch JSON)."""
    return f"latentStatic.add({dumps(kind)},{dumps(key)},{dumps(value)});\n"


def plotly_js() -> Path:
    """plotly.min.js as the installed plotly package ships it (no CDN)."""
    import plotly
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise BuildError(f"plotly.min.js is not in the installed plotly package ({path})")
    return path


def info_dict(info: ModelInfo) -> dict:
    return {"id": info.id, "family": info.family, "summary": info.summary,
            "capabilities": sorted(info.capabilities), "latent_dim": info.latent_dim,
            "n_classes": info.n_classes, "class_names": list(info.class_names),
            "slider_count": info.slider_count, "slider_min": info.slider_min,
            "slider_range": info.slider_range, "slider_mode": info.ui.slider_mode}


def left_out_reason(info: ModelInfo) -> str:
    if info.has("text"):
        return "writes text with a network the page cannot run: the full app's Generate names tab"
    if info.has("stepwise"):
        return "samples step by step with no latent to slide: the full app's Step by step tab"
    return "has no latent decoder the page can run"


# ---- what the grid and "Random latent" can draw in the page -----------------------------------------
def prior_in_page(model, info: ModelInfo, spec: dict, pool: W.Pool) -> dict:
    """How the page draws this model's prior, asked of the model: "normal" when prior(n, T) is
    torch.randn(n, D) · T with the same generator (the page has torch's generator: the same seed
    gives the server's draws), "bank" when it is linear in T (center + T · spread: BANK draws
    shipped), else none. "grid": whether `sample` is decode(prior) (a Gibbs chain is not), so the
    page's grid is the server's grid."""
    d, t = info.latent_dim, 0.7
    gen = lambda: torch.Generator().manual_seed(0)  # noqa: E731
    out: dict = {"kind": None, "grid": False}
    with torch.inference_mode():
        z = model.prior(16, t, gen())
        if torch.allclose(z, torch.randn(16, d, generator=gen()) * t, atol=1e-6):
            out["kind"] = "normal"
        elif torch.allclose(z, model.prior(16, 0.0, gen()) + t * (model.prior(16, 1.0, gen())
                                                                  - model.prior(16, 0.0, gen())),
                            atol=1e-5):
            center = model.prior(BANK, 0.0, gen())
            spread = model.prior(BANK, 1.0, gen()) - center
            out.update(kind="bank", center=page_tensor(pool, center.numpy()),
                       spread=page_tensor(pool, spread.numpy()))
        if out["kind"] is None:
            return out
        cond = torch.zeros(16, dtype=torch.long) if info.has("condition") else None
        knobs = webdecoder.spec_knobs(spec, model)
        try:
            a = model.sample(16, temperature=t, condition=cond, generator=gen())
            b = model.decode(model.prior(16, t, gen()), cond, **knobs)
            out["grid"] = a.shape == b.shape and bool(torch.allclose(a, b, atol=1e-5))
        except (TypeError, ValueError, NotImplementedError):
            out["grid"] = False
    return out


def page_tensor(pool: W.Pool, a: np.ndarray) -> dict:
    """An exact float32 tensor as a blob reference."""
    st = pool.float32(np.asarray(a, np.float32))
    return {"shape": list(np.shape(a)), "blob": st.blob_id}


def page_codes(pool: W.Pool, codes: np.ndarray) -> dict:
    """A map's codes as a blob reference: int16 steps where no code moves by more than
    CODES_ERROR, else exact float32 (page_tensor). "error": the largest move."""
    codes = np.asarray(codes, np.float32)
    q, scale = W.quantise(codes, 0.0)   # the finest step: the largest code is 32767 steps
    error = float(np.abs(q.astype(np.float32) * np.float32(scale) - codes).max())
    if error > CODES_ERROR:
        return page_tensor(pool, codes) | {"error": 0.0}
    return W.reference(pool.int16(q, scale)) | {"error": float(f"{error:.3g}")}


# ---- the build ----------------------------------------------------------------------------------
def part_tolerance(info) -> float:
    """How far a decoder's or encoder's stored weights may take the page from torch. A model the
    page also runs as a Gibbs chain (chain.py) sums whole binary layers through them: at the step
    the random-input check picked, rbm-mnist's chain missed one grey level (4.7e-3), so its parts
    keep finer steps (the chain is still checked on its own)."""
    return W.TOLERANCE / 2 if info.ui.chain_steps else W.TOLERANCE


def build(out: str | Path, root: str | Path = PRETRAINED, *, budget: int = SIZE_BUDGET,
          log=print) -> Report:
    """Write the static folder `out` (replacing an earlier build there, never other files) and
    return its report. Raises BuildError when an export fails its check against torch, or the
    folder would exceed `budget` bytes."""
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BuildError(f"{out} exists and is not a static build: choose an empty folder")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same rounding (and so the same quantisation) on every run
    try:
        files, report = _collect(Path(root), out, log, budget)
    finally:
        torch.set_num_threads(threads)
    files[MARKER] = marker(files, report)
    report.files = {path: len(data) for path, data in sorted(files.items())}
    if report.size > budget:      # build.json too: the budget is what the folder holds
        raise BuildError(f"the folder would be {report.size / 1e6:.2f} MB, over the "
                         f"{budget / 1e6:.0f} MB budget:\n{report.text()}")
    staging = Path(tempfile.mkdtemp(prefix=".static-", dir=out.parent if out.parent.exists() else None))
    try:
        for path, data in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        staging.chmod(0o755)  # mkdtemp's 0o700 would keep a web server out
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return report


def _collect(root: Path, out: Path, log, budget: int = SIZE_BUDGET) -> tuple[dict[str, bytes], Report]:
    store = ModelStore(root)
    maps = Maps(store, Inference(store))
    tools = Tools(Backend(root))      # the Tools tab's class means, computed as it computes them
    pool, report = W.Pool(), Report(out)
    files: dict[str, bytes] = {}
    catalog, failures = [], []
    extras: dict[str, list[str]] = {}
    left_out: dict[str, str] = {}
    for info in store.models():
        if not info.has("decode"):
            continue
        model = store.model(info.id)
        try:
            webdecoder.module_path(model, "decoder")
        except webdecoder.NotExportable as err:   # by design: its family keeps it on the server
            left_out[info.id] = str(err)
            continue
        entry = info_dict(info)
        parts = {}
        for part in ("decoder", "encoder"):
            if part == "encoder":
                # the page encodes only to place a drawing on the model's map
                if not (info.has("encode") and info.mappable):
                    continue
                try:
                    webdecoder.module_path(model, part)
                except webdecoder.NotExportable:
                    continue
            try:
                spec = webdecoder.export(model, info.id, part)
                page, _inline, part_report = W.shrink(model, spec, pool,
                                                      tolerance=part_tolerance(info))
            except webdecoder.NotExportable as err:
                failures.append(f"{info.id} {part}: {err}")
                continue
            page.update(slider_count=info.slider_count, class_names=list(info.class_names),
                        latent_components=page_tensor(pool, spec["latent_components"]),
                        error=float(f"{part_report.error:.3g}"), tolerance=part_report.tolerance)
            parts[part] = page
            report.parts.append(part_report)
            log(f"{info.id} {part}: {part_report.params:,} params, max error "
                f"{part_report.error:.2e}")
        if "decoder" not in parts:
            continue
        dec = parts["decoder"]
        entry.update(output=dec["output"], output_shape=dec["output_shape"],
                     knobs=dec.get("knobs", []), encoder="encoder" in parts,
                     error={p: s["error"] for p, s in parts.items()},
                     prior=prior_in_page(model, info, dec, pool))
        files[f"models/{info.id}.js"] = script("decoder", info.id, dec).encode()
        if "encoder" in parts:
            files[f"models/{info.id}.encoder.js"] = script("encoder", info.id, parts["encoder"]).encode()
        if info.mappable:
            shipped = _maps(maps, info, pool)
            if shipped:
                files[f"maps/{info.id}.js"] = script("map", info.id, shipped).encode()
                entry["maps"] = list(shipped["methods"])
                # the codes behind an encoder's map are its validation digits, encoded in order
                # (Maps.codes): the Interpolate tab's "validation digit #i"
                entry["validation_codes"] = info.has("encode")
                report.maps.append(f"{info.id} ({', '.join(shipped['methods'])})")
        if tools.missing(info, "arithmetic") is None:
            entry["arithmetic"] = {"classes": tools.class_names(info),
                                   "means": page_tensor(pool, class_means(tools, info.id))}
        catalog.append(entry)
    for info in store.models():   # after every decoder and encoder: exporters may share tensors
        for capability, exporter in sorted(EXPORTERS.items()):
            if not info.has(capability):
                continue
            try:
                extra = exporter(store.model(info.id), info, pool)
            except webdecoder.NotExportable as err:
                failures.append(f"{info.id} {capability}: {err}")
                continue
            if extra is not None:   # its tab reads models/<id>.<capability>.js
                files[f"models/{info.id}.{capability}.js"] = script(capability, info.id,
                                                                     extra.value).encode()
                extras.setdefault(capability, []).append(info.id)
                report.parts.extend(extra.parts)
                for p in extra.parts:
                    log(f"{p.model} {p.part}: {p.params:,} params, max error {p.error:.2e}")
        in_page = any(m["id"] == info.id for m in catalog) or \
            any(info.id in ids for ids in extras.values())
        if not in_page:
            report.left_out.append((info.id, left_out.get(info.id) or left_out_reason(info)))
    if failures:
        raise BuildError("these exports fail their check against torch, so the page would paint "
                         "something their models do not; fix or retrain them:\n  "
                         + "\n  ".join(failures))
    if not catalog and not extras:
        raise BuildError(f"no model under {root} has a decoder the page can run")
    curves = _evaluation(store, root)
    # The lessons (lessons/*.md, checked against these models as the app checks them; one that
    # names a model not here is left out, said in the log) as one deflated blob (a third of
    # their 35 KB of JSON), for the app's own panel script.
    bad: list[str] = []
    shown = page_data(load_lessons({i.id: i for i in store.models()}, errors=bad), bad)
    for err in bad:
        log(f"left out: {err}")
    lessons = json.dumps(shown, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")).encode()
    lessons_blob, _ = pool.add(lessons, 1)
    files.update(weight_files(pool))
    files["data/evaluation.js"] = script("evaluation", "all", curves).encode()
    tabs = sorted(p.name for p in PAGE.glob("*.js") if p.name not in HELPERS)
    doc = {
        "format": FORMAT, "models": catalog, "extras": extras, "judge": None,
        "full_app": FULL_APP, "tabs": [t[:-3] for t in tabs], "lessons": {"blob": lessons_blob},
        "limits": {"sliders": SLIDERS, "grid": GRID, "max_seed": MAX_SEED,
                   "max_temperature": MAX_TEMPERATURE, "max_latent_abs": MAX_LATENT_ABS},
        "tools": {"max_steps": MAX_STEPS, "max_strength": MAX_STRENGTH,
                  "max_images": MAX_TOOL_IMAGES, "interpolations": list(INTERPOLATIONS)},
        "map": {"k_neighbours": proj.K_NEIGHBOURS, "snap_fraction": proj.SNAP_FRACTION,
                "methods": proj.METHODS},
        "palette": {"colours": plots.CLASS_COLOURS, "symbols": plots.CLASS_SYMBOLS,
                    "markers": plots.MAP_MARKERS},
    }
    interpreters = ["webdecoder.js"] + sorted(p.name for p in ASSETS.glob("web*.js")
                                              if p.name != "webdecoder.js") + ["lessons.js",
                                                                               "touchpad.js"]
    for name in interpreters:
        files[name] = (ASSETS / name).read_bytes()
    for p in sorted(PAGE.iterdir()):
        if p.suffix in (".js", ".css"):
            files[f"static/{p.name}"] = p.read_bytes()
    # The first model's decoder comes with the page, not after it: its files load in parallel
    # with the scripts instead of one after another (the first digit paints sooner).
    first_files = [] if not catalog else [f"models/{catalog[0]['id']}.js", *(
        f"weights/{b}.js" for b in sorted(set(re.findall(
            r'"blob":"([0-9a-f]+)"', files[f"models/{catalog[0]['id']}.js"].decode()))))]
    tags = "\n".join(f'<script src="{src}"></script>' for src in
                     [*interpreters, *(f"static/{h}" for h in HELPERS), "data/catalog.js",
                      *first_files, *(f"static/{t}" for t in tabs)])
    files["index.html"] = (PAGE / "index.html").read_text().replace("<!-- scripts -->", tags).encode()
    files["plotly.min.js"] = plotly_js().read_bytes()
    _judge(root, store, catalog, doc, files, report, budget, log)   # last: it takes what room is left
    files.update(naming(catalog, doc, report))
    return files, report


def weight_files(pool: W.Pool) -> dict[str, bytes]:
    """weights/<id>.js of every blob in `pool`."""
    return {f"weights/{blob_id}.js": W.blob_script(blob_id, data)
            for blob_id, data in sorted(pool.blobs.items())}


def naming(catalog: list[dict], doc: dict, report: Report) -> dict[str, bytes]:
    """The files that say what the folder holds and lacks: data/catalog.js (`doc`, with the left
    out named) and README.md."""
    doc = doc | {"left_out": [{"id": i, "reason": r} for i, r in report.left_out]}
    return {"data/catalog.js": ("latentStatic.setCatalog(" + dumps(doc) + ");\n").encode(),
            "README.md": readme(catalog, report.left_out).encode()}


def marker(files: dict[str, bytes], report: Report) -> bytes:
    """build.json of a folder of `files` (the build's report: each file's bytes, each part's
    error and size, what was left out); its presence marks a folder as a build."""
    return (dumps({"format": FORMAT, "files": {p: len(d) for p, d in sorted(files.items())},
                   "parts": [p.as_dict() | {"model": p.model, "part": p.part} for p in report.parts],
                   "left_out": report.left_out}) + "\n").encode()


def folder_size(files: dict[str, bytes], report: Report) -> int:
    """Bytes of the folder `files` (all but build.json) make, build.json included."""
    return sum(map(len, files.values())) + len(marker(files, report))


def _judge(root: Path, store: ModelStore, catalog: list[dict], doc: dict, files: dict[str, bytes],
           report: Report, budget: int, log) -> None:
    """The judge classifier for Explore's caption (static/judge.py), when the folder has room for
    it: then in `files` (JUDGE_FILE and its weights) and doc["judge"], else named in
    report.left_out with its size and the room left. A judge that misses its check stops the build,
    as a decoder does; a root without one ships no caption (the page then says nothing there)."""
    spec = J.page_spec(root)
    if spec is None:
        return
    room = budget - folder_size(files | naming(catalog, doc, report), report)

    def why(take: str) -> str:
        return (f"the caption under Explore's digit (what it looks like) needs the judge "
                f"classifier, whose weights take {take} MB; the folder has {room / 1e6:.2f} MB left "
                f"of its {budget / 1e6:.0f} MB (the full app says it)")
    least = J.smallest(spec)
    if least > room:       # no step of the ladder makes it fit: no search
        report.left_out.append((judge.JUDGE, why(f"at least {least / 1e6:.2f}")))
        log(f"left out: {judge.JUDGE} judge: {least:,} bytes at least, {room:,} left")
        return
    pool = W.Pool()
    images = [m["id"] for m in catalog if m["output"] == "image"]
    try:
        page, part = J.export(spec, root, store, images, pool)
    except webdecoder.NotExportable as err:
        raise BuildError(f"the judge's export fails its check against torch: {err}") from None
    mine = {JUDGE_FILE: script("judge", judge.JUDGE, page).encode(), **weight_files(pool)}
    judged = doc | {"judge": {"model": judge.JUDGE, "src": JUDGE_FILE}}
    with_it = Report(report.out, [*report.parts, part], report.left_out)
    # what it adds: its files, and their lines in the catalog and build.json
    need = folder_size(files | mine | naming(catalog, judged, with_it), with_it) - (budget - room)
    if need > room:
        report.left_out.append((judge.JUDGE, why(f"{need / 1e6:.2f}")))
        log(f"left out: {judge.JUDGE} judge: {need:,} bytes, {room:,} left")
        return
    files.update(mine)
    doc.update(judged)
    report.parts.append(part)
    log(f"{part.model} {part.part}: {part.params:,} params, max error {part.error:.2e}")


def _maps(maps: Maps, info: ModelInfo, pool: W.Pool) -> dict | None:
    """The shipped projections of these weights (stale or missing ones are skipped), with what
    the page's click rules need: points, labels, the codes behind them, PCA's affine map."""
    methods = {}
    for method in maps.methods(info.id):
        p = maps.cached(info.id, method)
        if p is None or p.source != "shipped":
            continue
        m = {"points": page_tensor(pool, p.points), "codes": page_codes(pool, p.codes),
             "labels": [int(v) for v in p.labels], "exact": p.exact, "how": p.how_clicks_work(),
             "params": p.params}
        if "pca_mean" in p.extra:
            m.update(pca_mean=page_tensor(pool, p.extra["pca_mean"]),
                     pca_components=page_tensor(pool, p.extra["pca_components"]))
        methods[method] = m
    if not methods:
        return None
    return {"model": info.id, "source": maps.source(info.id), "methods": methods}


def _evaluation(store: ModelStore, root: Path) -> dict:
    """The shipped curves and likelihood rows of these weights (and this judge), by model."""
    out = {}
    judge_sha = judge.sha(root) if judge.available(root) else None
    for info in store.models():
        path = root / info.id / EVALUATION_FILE
        if not path.is_file():
            continue
        raw = json.loads(path.read_text())
        if raw.get("format_version") != EVALUATION_FORMAT or \
                raw.get("weights_sha256") != store.weights_sha(info.id) or \
                (raw.get("space") == "judge" and raw.get("judge_sha256") != judge_sha):
            continue   # made for other weights: the full app recomputes it
        out[info.id] = {k: raw.get(k) for k in ("space", "samples", "seed", "reference", "points",
                                                "likelihood", "guidance")}
    # metrics as lists: the page shows them in this order (canonical JSON sorts a dict's keys)
    return {"models": out, "metrics": {space: [[k, *v] for k, v in m.items()]
                                       for space, m in SPACES.items()}}


def readme(catalog: list[dict], left_out: list[tuple[str, str]]) -> str:
    """The folder's README: a static Hugging Face Space's front matter, then what it is."""
    models = "\n".join(f"- `{m['id']}`: {m['summary']}" for m in catalog)
    missing = "\n".join(f"- `{i}`: {r}" for i, r in left_out) or "- none"
    return f"""---
title: Latent Space Playground (static)
emoji: 🧭
colorFrom: indigo
colorTo: pink
sdk: static
app_file: index.html
license: mit
short_description: Generative models running in your browser, no server
---

# Latent Space Playground, static

Every model here runs in your browser: open `index.html` (from a disk, a USB stick or any static
host). Nothing is fetched from another site, and no server computes anything.

Built by `python -m playground.static` from the Latent Space Playground repository. Weights are
stored as 16-bit steps of a per-tensor scale where that keeps every picture within one grey level
of PyTorch's (float32 elsewhere), and the name writer's letter probabilities within 1/255 of
PyTorch's; `build.json` lists each part's measured error.

Models in the page:
{models}

Left out (they need the full app, `python app.py`):
{missing}

The full app adds: {FULL_APP}.
"""

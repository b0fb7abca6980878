"""Quality/diversity curves against temperature, the likelihood table, and the shipped curves.

    python -m playground.evaluate --all                 # (re)compute pretrained/<id>/evaluation.json
    python -m playground.evaluate --model pixelcnn-mnist
    python -m playground.evaluate --table               # the T=1 table of every shipped file

A curve scores `samples` samples per temperature with the metrics of playground/metrics.py: for
image models of the judge's data set on the judge classifier's features (Fréchet distance, IS
analogue, precision/recall, diversity, SSIM, class histogram); for 2-D point models on the raw
coordinates. Each temperature draws from its own generator seeded with `seed`, so a point does not
depend on which other temperatures were asked for, and same seed + knobs → identical numbers.

Shipped curves (pretrained/<id>/evaluation.json) record the sha256 of the model's and the judge's
weights; a file whose hashes no longer match (a retrained model) is ignored until recomputed.
Curves recomputed on request are kept in memory, one computation at a time per process.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from playground import metrics as M
from playground.backend import (JUDGE, MAX_TEMPERATURE, Backend, ModelInfo, PlaygroundError,
                                check_int, check_number)
from playground.base import GenerativeModel
from playground.projection import weights_sha256

log = logging.getLogger(__name__)

FILE = "evaluation.json"
FORMAT_VERSION = 1
TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # shipped grid; includes T=1 for the T=1 table
SAMPLES = 1000        # per temperature, as many as the 1,000 validation digits: precision/recall
                      # and Fréchet distance depend on set sizes, so every curve uses the same
SEED = 0
K = 3                 # k-NN manifold neighbourhood (Kynkäänniemi et al. 2019 use 3)
SSIM_PAIRS = 1000     # random sample pairs for the mean SSIM
BATCH = 250           # samples drawn and judged at once (memory, not speed)
MIN_SAMPLES = 100     # fewer make the 128-D Fréchet covariance and the k-NN balls meaningless
MAX_SAMPLES = 1000
MAX_TEMPERATURES = 8
MIN_TEMPERATURE = 0.05
# Step-by-step samplers (a Gibbs chain, pixel-by-pixel writing) cost ~20 ms a sample against
# ~0.2 ms for a decoder: a request may draw at most this many from them (≈ 2 min on one core).
MAX_SLOW_DRAWS = 6000
MEMO_KEYS = 64        # recomputed curves kept in memory: (model, weights, samples, seed) entries

# What each metric is, in the order of the figure's panels: key → (title, which way is better).
IMAGE_METRICS = {
    "frechet": ("Fréchet distance (judge features)", "lower"),
    "inception": ("Inception-Score analogue", "higher"),
    "precision": ("precision (k-NN, k=3)", "higher"),
    "recall": ("recall (k-NN, k=3)", "higher"),
    "diversity": ("diversity: mean judge-feature distance", "higher"),
    "ssim": ("similarity: mean SSIM of sample pairs", "lower"),
    "confidence": ("judge confidence", "higher"),
    "cond_accuracy": ("judged as the asked class", "higher"),
}
POINT_METRICS = {
    "frechet": ("Fréchet distance (coordinates)", "lower"),
    "precision": ("precision (k-NN, k=3)", "higher"),
    "recall": ("recall (k-NN, k=3)", "higher"),
    "diversity": ("diversity: mean pairwise distance", "higher"),
}
SPACES = {"judge": IMAGE_METRICS, "points": POINT_METRICS}


@dataclass
class Curve:
    """One model's metrics at several temperatures, and the real data's reference values."""
    model: str
    space: str                 # "judge" (images, judge features) or "points" (raw 2-D coordinates)
    samples: int
    seed: int
    points: dict[float, dict]  # temperature → {metric: value, "class_hist": [...], "seconds"}
    reference: dict            # the same metrics for real data (training vs validation split)
    source: str = "computed"   # "shipped" (evaluation.json) or "computed" (in this process)
    weights_sha256: str = ""
    likelihood: dict | None = None

    def temperatures(self, lo: float = 0.0, hi: float = math.inf) -> list[float]:
        return sorted(t for t in self.points if lo - 1e-9 <= t <= hi + 1e-9)

    def describe(self) -> str:
        temps = ", ".join(f"{t:g}" for t in self.temperatures())
        return (f"{self.model}: {self.source}, {self.samples:,} samples per temperature "
                f"(seed {self.seed}) at T = {temps}")


@dataclass
class _Real:
    """Real data in the space a curve is measured in: what samples are compared with."""
    data: np.ndarray           # validation features (N, D) or points (N, 2)
    images: np.ndarray | None  # validation images (N, H, W) for SSIM
    reference: dict = field(default_factory=dict)


# Real data in each curve space, by (space, data set, judge sha256): the same for every Evaluator.
_REAL: dict[tuple, _Real] = {}
_REAL_LOCK = threading.Lock()


def _round(x):
    return None if x is None else float(f"{x:.6g}")


def temperature_grid(t_min, t_max, count) -> list[float]:
    """`count` temperatures evenly from t_min to t_max (validated; rounded to 0.01)."""
    lo = check_number(t_min, "lowest temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
    hi = check_number(t_max, "highest temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
    if lo > hi:
        raise PlaygroundError(f"the lowest temperature ({lo:g}) is above the highest ({hi:g})")
    n = check_int(count, "number of temperatures", 1, MAX_TEMPERATURES)
    if lo == hi or n == 1:
        return [round(lo, 2)]
    return sorted({round(float(t), 2) for t in np.linspace(lo, hi, n)})


class Evaluator:
    """Curves and likelihoods for the models a Backend serves. Thread-safe; computing is
    serialised by one lock (a second request while one runs is refused, not queued)."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.root = backend.root
        self._lock = threading.Lock()          # guards the dictionaries below
        self._compute_lock = threading.Lock()  # one computation at a time: the CPU is shared
        self._judge_lock = threading.Lock()    # one load of the judge
        self._memo: OrderedDict[tuple, Curve] = OrderedDict()
        self._likelihoods: dict[tuple, dict] = {}
        self._shas: dict[Path, tuple[tuple, str]] = {}
        self._shipped: dict[str, tuple[str, Curve | None]] = {}
        self._judge: GenerativeModel | None = None

    # ---- which models, in which space ----
    def judge_dataset(self) -> str | None:
        path = self.root / JUDGE / "config.json"
        if not path.is_file():
            return None
        return json.loads(path.read_text()).get("data", {}).get("name")

    def space(self, info: ModelInfo) -> str | None:
        """"points" for 2-D point models, "judge" for image models of the judge's data set, None
        for the rest (text: likelihood only)."""
        if info.has("points"):
            return "points"
        if not info.has("text") and info.dataset and info.dataset == self.judge_dataset():
            return "judge"
        return None

    def curve_models(self) -> list[ModelInfo]:
        return [i for i in self.backend.models() if self.space(i)]

    def _curve_info(self, model_id) -> ModelInfo:
        info = self.backend.info(model_id)
        if not self.space(info):
            raise PlaygroundError(f"{info.id} makes {'text' if info.has('text') else 'data'} that "
                                  f"no curve metric applies to; see its row in the likelihood table")
        return info

    def check_models(self, model_ids) -> list[ModelInfo]:
        if isinstance(model_ids, str):
            model_ids = [model_ids]
        if not model_ids:
            raise PlaygroundError("pick at least one model to evaluate")
        if not isinstance(model_ids, (list, tuple)) or len(model_ids) > 32:
            raise PlaygroundError("models must be a list of model ids")
        return [self._curve_info(m) for m in dict.fromkeys(model_ids)]

    # ---- hashes and files ----
    def sha(self, model_id: str) -> str:
        """sha256 of pretrained/<id>/model.safetensors, re-read only when the file changes."""
        path = self.root / model_id / "model.safetensors"
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if path in self._shas and self._shas[path][0] == stamp:
                return self._shas[path][1]
        digest = weights_sha256(path)
        with self._lock:
            self._shas[path] = (stamp, digest)
        return digest

    def _hashes(self, info: ModelInfo) -> dict:
        out = {"weights_sha256": self.sha(info.id)}
        if self.space(info) == "judge":
            out["judge_sha256"] = self.sha(JUDGE)
        return out

    def shipped(self, model_id: str) -> Curve | None:
        """The shipped evaluation.json as a Curve (its likelihood attached), or None when it is
        missing, unreadable or made for other weights."""
        info = self.backend.info(model_id)
        path = self.root / info.id / FILE
        if not path.is_file():
            return None
        hashes = self._hashes(info)
        key = json.dumps(hashes) + str(path.stat().st_mtime_ns)
        with self._lock:
            if info.id in self._shipped and self._shipped[info.id][0] == key:
                return self._shipped[info.id][1]
        curve = None
        try:
            raw = json.loads(path.read_text())
            if raw.get("format_version") == FORMAT_VERSION and all(
                    raw.get(k) == v for k, v in hashes.items()):
                curve = Curve(model=info.id, space=raw.get("space") or "", samples=raw["samples"],
                              seed=raw["seed"], reference=raw.get("reference", {}),
                              points={float(p["temperature"]): p for p in raw.get("points", [])},
                              source="shipped", weights_sha256=hashes["weights_sha256"],
                              likelihood=raw.get("likelihood"))
            else:
                log.info("%s: %s was made for other weights; ignoring it", info.id, path)
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("%s: unreadable %s (%s); ignoring it", info.id, path, err)
        with self._lock:
            self._shipped[info.id] = (key, curve)
        return curve

    # ---- looking curves up ----
    def curve(self, model_id, samples=SAMPLES, seed=SEED) -> Curve | None:
        """The curve for these knobs if computed in this process, else the shipped one, else None."""
        info = self._curve_info(model_id)
        samples = check_int(samples, "samples per temperature", 1, MAX_SAMPLES)
        seed = check_int(seed, "seed", 0, 2**31 - 1)
        key = (info.id, self.sha(info.id), samples, seed)
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        return self.shipped(info.id)

    def likelihood(self, model_id) -> dict | None:
        """The model's likelihood row: shipped, or computed in this process, or None."""
        info = self.backend.info(model_id)
        key = (info.id, self.sha(info.id))
        with self._lock:
            found = self._likelihoods.get(key)
        if found is not None:
            return found
        shipped = self.shipped(info.id)
        return shipped.likelihood if shipped else None

    # ---- real data ----
    def judge(self) -> GenerativeModel:
        with self._judge_lock:
            if self._judge is None:
                self._judge = GenerativeModel.from_pretrained(self.root / JUDGE,
                                                              device=self.backend.device)
            return self._judge

    def real(self, info: ModelInfo) -> _Real:
        """Validation data in the curve's space, and reference metrics of real training data
        against it (what a perfect generator would score with the same sample count)."""
        from playground.data import DATASETS
        space = self.space(info)
        key = (space, info.dataset, self.sha(JUDGE) if space == "judge" else "")
        with _REAL_LOCK:
            if key in _REAL:
                return _REAL[key]
        x_val, _ = DATASETS[info.dataset]("val")
        x_train, _ = DATASETS[info.dataset]("train")
        pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(SEED))
        x_train = x_train[pick[:len(x_val)]]  # a seeded subset as large as the validation split
        if space == "judge":
            f_val, p_val = M.judge_outputs(self.judge(), x_val.to(self.backend.device))
            real = _Real(f_val, x_val[:, 0].numpy())
            real.reference = self._scores(x_train, real, info)
            real.reference["class_hist"] = [round(v, 4) for v in
                                            M.class_histogram(p_val.argmax(1), p_val.shape[1])]
        else:
            real = _Real(x_val.numpy(), None)
            real.reference = self._scores(x_train, real, info)
        with _REAL_LOCK:
            _REAL[key] = real
        return real

    # ---- scoring ----
    def _scores(self, x: torch.Tensor, real: _Real, info: ModelInfo,
                requested: np.ndarray | None = None) -> dict:
        """Every metric of the curve's space for samples x (images (N, 1, H, W) or points (N, 2))."""
        if self.space(info) == "points":
            pts = x.double().cpu().numpy()
            if not np.isfinite(pts).all():
                raise PlaygroundError(f"{info.id} produced non-finite points at this temperature")
            precision, recall = M.precision_recall(real.data, pts, k=K)
            return {"frechet": M.frechet_distance(pts, real.data), "precision": precision,
                    "recall": recall, "diversity": M.mean_pairwise_distance(pts)}
        x = x.float().clamp(0, 1)
        f, p = M.judge_outputs(self.judge(), x.to(self.backend.device))
        precision, recall = M.precision_recall(real.data, f, k=K)
        out = {"frechet": M.frechet_distance(f, real.data), "inception": M.inception_score(p),
               "precision": precision, "recall": recall,
               "diversity": M.mean_pairwise_distance(f),
               "ssim": M.mean_pairwise_ssim(x[:, 0].cpu().numpy(), SSIM_PAIRS, SEED),
               "confidence": float(p.max(1).mean())}
        if requested is not None:
            out["cond_accuracy"] = M.conditional_accuracy(p.argmax(1), requested)
        hist = M.class_histogram(p.argmax(1), p.shape[1])
        out["class_hist"] = [round(v, 4) for v in hist]
        out["effective_classes"] = M.effective_classes(hist)
        return out

    @torch.no_grad()
    def point(self, info: ModelInfo, temperature: float, samples: int, seed: int) -> dict:
        """Metrics of `samples` samples at one temperature (class-balanced for conditional
        models), drawn with a generator seeded by `seed` alone."""
        real = self.real(info)
        model = self.backend.model(info.id)
        g = torch.Generator(self.backend.device).manual_seed(seed)
        requested = (torch.arange(samples) % info.n_classes) if info.has("condition") else None
        start = time.perf_counter()
        with torch.inference_mode():
            x = torch.cat([model.sample(min(BATCH, samples - i), temperature=temperature,
                                        condition=None if requested is None else
                                        requested[i:i + BATCH].to(self.backend.device),
                                        generator=g).float().cpu()
                           for i in range(0, samples, BATCH)])
        scores = self._scores(x, real, info, None if requested is None else requested.numpy())
        out = {"temperature": temperature, **{k: v if isinstance(v, list) else _round(v)
                                               for k, v in scores.items()}}
        out["seconds"] = round(time.perf_counter() - start, 2)
        return out

    @torch.no_grad()
    def compute_likelihood(self, model_id) -> dict:
        """The likelihood row on the model's validation split (metrics.likelihood_report)."""
        from playground.data import DATASETS
        info = self.backend.info(model_id)
        if info.dataset not in DATASETS:
            raise PlaygroundError(f"{info.id}: its data set {info.dataset!r} is not available")
        x, y = DATASETS[info.dataset]("val")
        model = self.backend.model(info.id)
        g = torch.Generator(self.backend.device).manual_seed(SEED)
        with torch.inference_mode():
            row = M.likelihood_report(model, x.to(self.backend.device), y.to(self.backend.device),
                                      generator=g)
        row = {k: _round(v) if isinstance(v, float) else v for k, v in row.items()}
        key = (info.id, self.sha(info.id))
        with self._lock:
            self._likelihoods[key] = row
        return row

    def check_request(self, model_ids, temperatures, samples, seed) -> tuple[list[ModelInfo], int, int]:
        infos = self.check_models(model_ids)
        samples = check_int(samples, "samples per temperature", MIN_SAMPLES, MAX_SAMPLES)
        seed = check_int(seed, "seed", 0, 2**31 - 1)
        slow = sum(samples * len(temperatures) for i in infos if i.has("stepwise"))
        if slow > MAX_SLOW_DRAWS:
            raise PlaygroundError(
                f"that asks {slow:,} samples of step-by-step samplers (the most is "
                f"{MAX_SLOW_DRAWS:,}, ~2 minutes): choose fewer temperatures or samples, or one "
                f"step-by-step model at a time")
        return infos, samples, seed

    def compute(self, model_ids, temperatures, samples=SAMPLES, seed=SEED, *,
                progress: Callable[[float, str], None] | None = None,
                with_likelihood: bool = True) -> list[Curve]:
        """Compute curves of `model_ids` at `temperatures` (validated, bounded), one computation
        per process at a time; results are remembered for `curve(model, samples, seed)`."""
        temps = [check_number(t, "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE) for t in temperatures]
        if not temps or len(temps) > MAX_TEMPERATURES:
            raise PlaygroundError(f"give 1 to {MAX_TEMPERATURES} temperatures")
        infos, samples, seed = self.check_request(model_ids, temps, samples, seed)
        say = progress or (lambda *a: None)
        if not self._compute_lock.acquire(blocking=False):
            raise PlaygroundError("another evaluation is running on this server; try again when "
                                  "it has finished (one at a time keeps the CPU for everyone)")
        try:
            steps, done, curves = len(infos) * (len(temps) + 1), 0, []
            for info in infos:
                say(done / steps, f"{info.id}: loading the real data and the judge")
                self.real(info)
                curve = Curve(info.id, self.space(info), samples, seed, {},
                              self.real(info).reference, weights_sha256=self.sha(info.id))
                for t in temps:
                    say(done / steps, f"{info.id}: {samples:,} samples at T={t:g}")
                    curve.points[t] = self.point(info, t, samples, seed)
                    done += 1
                if with_likelihood:
                    say(done / steps, f"{info.id}: likelihood of the validation data")
                    curve.likelihood = self.compute_likelihood(info.id)
                done += 1
                key = (info.id, curve.weights_sha256, samples, seed)
                with self._lock:
                    old = self._memo.get(key)
                    if old is not None:  # keep temperatures computed earlier with these knobs
                        curve.points = {**old.points, **curve.points}
                    curve.points = dict(sorted(curve.points.items())[-4 * MAX_TEMPERATURES:])
                    self._memo[key] = curve
                    self._memo.move_to_end(key)
                    while len(self._memo) > MEMO_KEYS:
                        self._memo.popitem(last=False)
                curves.append(curve)
            say(1.0, "done")
            return curves
        finally:
            self._compute_lock.release()

    # ---- shipping ----
    def write_shipped(self, model_id, *, temperatures=TEMPERATURES, samples=SAMPLES, seed=SEED,
                      progress=None) -> Path:
        """Compute the default curve (or only the likelihood for models without a curve space)
        and write pretrained/<id>/evaluation.json."""
        info = self.backend.info(model_id)
        start = time.perf_counter()
        out = {"format_version": FORMAT_VERSION, "model": info.id, **self._hashes(info),
               "space": self.space(info), "samples": samples, "seed": seed, "k": K}
        if self.space(info):
            curve, = self.compute([info.id], temperatures, samples, seed, progress=progress)
            out.update(reference={k: v if isinstance(v, list) else _round(v)
                                  for k, v in curve.reference.items()},
                       points=[curve.points[t] for t in sorted(temperatures)],
                       likelihood=curve.likelihood)
        else:
            out.update(samples=0, reference={}, points=[],
                       likelihood=self.compute_likelihood(info.id))
        out["seconds"] = round(time.perf_counter() - start, 1)
        path = self.root / info.id / FILE
        path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
        return path


# ---- the T=1 table ------------------------------------------------------------------------------
def likelihood_cell(row: dict | None) -> tuple[str, str]:
    """(value, bits/dim) as the table shows them."""
    if row is None:
        return "not computed", ""
    if row["kind"] == "none":
        return "no likelihood", "—"
    value = f"{row['nats']:.4g} nats/{row['per']}"
    if row["kind"] == "bound":
        return f"−ELBO {value}", f"≤ {row['bits_per_dim']:.4g}"
    if row["kind"] == "pseudo":
        return f"−PLL {value}", "—"
    return f"−log p {value}", f"{row['bits_per_dim']:.4g}"


def table_at(evaluator: Evaluator, temperature: float = 1.0) -> str:
    """A markdown table of every model at one temperature from the shipped files."""
    lines = ["| model | Fréchet distance | IS | precision | recall | likelihood | bits/dim |",
             "|---|---|---|---|---|---|---|"]
    for info in evaluator.backend.models():
        curve = evaluator.shipped(info.id)
        p = curve.points.get(temperature, {}) if curve else {}
        value, bpd = likelihood_cell(curve.likelihood if curve else None)

        def cell(k):
            return f"{p[k]:.3g}" if p.get(k) is not None else "—"
        lines.append(f"| {info.id} | {cell('frechet')} | {cell('inception')} | {cell('precision')} "
                     f"| {cell('recall')} | {value} | {bpd} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every shipped generative model")
    which.add_argument("--model", action="append", help="one model id (repeat for more)")
    which.add_argument("--table", action="store_true", help="print the T=1 table and exit")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="samples per temperature")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # Backend does too; the timings in the tab assume one thread
    evaluator = Evaluator(Backend())
    if args.table:
        print(table_at(evaluator))
        return
    ids = [i.id for i in evaluator.backend.models()] if args.all else args.model
    total = time.perf_counter()
    for model_id in ids:
        start = time.perf_counter()
        try:
            path = evaluator.write_shipped(model_id, samples=args.samples, seed=args.seed)
        except PlaygroundError as err:
            parser.error(str(err))
        print(f"{model_id}: {time.perf_counter() - start:.1f} s → {path}", flush=True)
    print(f"total {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()

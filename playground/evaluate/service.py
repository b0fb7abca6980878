"""The Evaluator: which models have curves, shipped curves read back, curves and likelihoods
computed on request (one computation per process at a time), remembered in bounded caches."""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import torch

from playground import judge
from playground import metrics as M
from playground.errors import (MAX_TEMPERATURE, PlaygroundError, check_int, check_number,
                               check_seed)
from playground.evaluate.scores import (GUIDANCES, K, MAX_TEMPERATURES, MIN_TEMPERATURE, SAMPLES,
                                        SEED, TEMPERATURES, Curve, measure, real_data, rounded)
from playground.files import weights_sha256, write_atomic
from playground.gate import heavy
from playground.lru import LRU

if TYPE_CHECKING:
    from playground.backend import Backend
    from playground.store import ModelInfo

log = logging.getLogger(__name__)

FILE = "evaluation.json"
FORMAT_VERSION = 1
BATCH = 250           # samples drawn and judged at once (memory, not speed)
MIN_SAMPLES = 100     # fewer make the 128-D Fréchet covariance and the k-NN balls meaningless
MAX_SAMPLES = 1000
SLOW_SAMPLES = 200    # shipped curves of a model whose every sample is a many-step sampler run
                      # (diffusion: ~50 network passes a digit) are measured on fewer samples
# Seconds a sample costs beyond a decoder pass (~0.2 ms, not counted): a step-by-step sampler (a
# Gibbs chain, pixel-by-pixel writing) ~20 ms; a U-Net diffusion run ~100 ms (ddpm-mnist: 16
# digits, 25 guided steps in 1.6 s on this 2-core machine). A request may ask at most
# MAX_SAMPLING_SECONDS of them.
STEPWISE_SECONDS, SLOW_SECONDS = 0.02, 0.1
MAX_SAMPLING_SECONDS = 120
MEMO_KEYS = 64        # recomputed curves (and likelihood rows, parsed shipped files) kept in memory


class Evaluator:
    """Curves and likelihoods for the models a Backend serves. Thread-safe; computing is
    serialised by one lock (a second request while one runs is refused, not queued)."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.root = Path(backend.root)
        self._compute_lock = threading.Lock()  # one computation at a time: the CPU is shared
        self._memo: LRU[Curve] = LRU(MEMO_KEYS)          # (model, weights, samples, seed)
        self._likelihoods: LRU[dict] = LRU(MEMO_KEYS)    # (model, weights)
        self._shipped: LRU[Curve | None] = LRU(MEMO_KEYS)  # (model, hashes, file mtime)

    # ---- which models, in which space ----
    def space(self, info: ModelInfo) -> str | None:
        """"points" for 2-D point models, "judge" for image models of the judge's data set, None
        for the rest (text: likelihood only)."""
        if info.has("points"):
            return "points"
        if not info.has("text") and info.dataset and info.dataset == judge.dataset(self.root):
            return "judge"
        return None

    def curve_models(self) -> list[ModelInfo]:
        """The models with a curve, in the backend's model order (the page's default picks)."""
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
        return weights_sha256(self.root / model_id / "model.safetensors")

    def _hashes(self, info: ModelInfo) -> dict:
        out = {"weights_sha256": self.sha(info.id)}
        if self.space(info) == "judge":
            out["judge_sha256"] = judge.sha(self.root)
        return out

    def shipped(self, model_id: str) -> Curve | None:
        """The shipped evaluation.json as a Curve (its likelihood attached), or None when it is
        missing, unreadable or made for other weights."""
        info = self.backend.info(model_id)
        path = self.root / info.id / FILE
        if not path.is_file():
            return None
        hashes = self._hashes(info)
        key = (info.id, json.dumps(hashes), path.stat().st_mtime_ns)
        return self._shipped.get_or_create(key, lambda: self._read_shipped(info, path, hashes))

    def _read_shipped(self, info: ModelInfo, path: Path, hashes: dict) -> Curve | None:
        try:
            raw = json.loads(path.read_text())
            if raw.get("format_version") != FORMAT_VERSION or any(
                    raw.get(k) != v for k, v in hashes.items()):
                log.info("%s: %s was made for other weights; ignoring it", info.id, path)
                return None
            return Curve(model=info.id, space=raw.get("space") or "", samples=raw["samples"],
                         seed=raw["seed"], reference=raw.get("reference", {}),
                         points={float(p["temperature"]): p for p in raw.get("points", [])},
                         source="shipped", weights_sha256=hashes["weights_sha256"],
                         likelihood=raw.get("likelihood"),
                         guidance={float(p["guidance"]): p for p in raw.get("guidance", [])})
        except (OSError, ValueError, KeyError, TypeError) as err:
            log.warning("%s: unreadable %s (%s); ignoring it", info.id, path, err)
            return None

    # ---- looking curves up ----
    def curve(self, model_id, samples=SAMPLES, seed=SEED) -> Curve | None:
        """The curve for these knobs if computed in this process, else the shipped one, else None."""
        info = self._curve_info(model_id)
        samples = check_int(samples, "samples per temperature", 1, MAX_SAMPLES)
        seed = check_seed(seed)
        found = self._memo.get((info.id, self.sha(info.id), samples, seed))
        return found if found is not None else self.shipped(info.id)

    def likelihood(self, model_id) -> dict | None:
        """The model's likelihood row: computed in this process, or shipped, or None."""
        info = self.backend.info(model_id)
        found = self._likelihoods.get((info.id, self.sha(info.id)))
        if found is not None:
            return found
        shipped = self.shipped(info.id)
        return shipped.likelihood if shipped else None

    # ---- computing ----
    def real(self, info: ModelInfo):
        return real_data(self.space(info), info.dataset, self.root, self.backend.device)

    @torch.no_grad()
    def point(self, info: ModelInfo, temperature: float, samples: int, seed: int,
              knobs: dict | None = None) -> dict:
        """Metrics of `samples` samples at one temperature (class-balanced for conditional
        models), drawn with a generator seeded by `seed` alone, and the sampler `knobs` (checked)
        of a model that has them."""
        kw = self.backend.knobs(info, knobs)
        real = self.real(info)
        model = self.backend.model(info.id)
        device = self.backend.device
        g = torch.Generator(device).manual_seed(seed)
        requested = (torch.arange(samples) % info.n_classes) if info.has("condition") else None
        start = time.perf_counter()
        # A step-by-step sampler holds the server-wide heavy gate while it draws (not while the
        # judge scores): "one heavy sampler at a time" holds for evaluations too.
        with heavy(info.capabilities), torch.inference_mode():
            x = torch.cat([model.sample(min(BATCH, samples - i), temperature=temperature,
                                        condition=None if requested is None else
                                        requested[i:i + BATCH].to(device),
                                        generator=g, **kw).float().cpu()
                           for i in range(0, samples, BATCH)])
        scores = measure(x, real, self.space(info), self.root, device,
                         None if requested is None else requested.numpy(), model=info.id)
        out = {"temperature": temperature, **kw, **{k: v if isinstance(v, list) else rounded(v)
                                                     for k, v in scores.items()}}
        out["seconds"] = round(time.perf_counter() - start, 2)
        return out

    @torch.no_grad()
    def compute_likelihood(self, model_id) -> dict:
        """The likelihood row on the model's validation split (metrics.likelihood_report)."""
        from playground.data import DATASETS, split
        info = self.backend.info(model_id)
        if info.dataset not in DATASETS:
            raise PlaygroundError(f"{info.id}: its data set {info.dataset!r} is not available")
        x, y = split(info.dataset, "val")
        model = self.backend.model(info.id)
        device = self.backend.device
        g = torch.Generator(device).manual_seed(SEED)
        with torch.inference_mode():
            row = M.likelihood_report(model, x.to(device), y.to(device), generator=g)
        row = {k: rounded(v) if isinstance(v, float) else v for k, v in row.items()}
        return self._likelihoods.put((info.id, self.sha(info.id)), row)

    def check_request(self, model_ids, temperatures, samples, seed) -> tuple[list[ModelInfo], int, int]:
        infos = self.check_models(model_ids)
        samples = check_int(samples, "samples per temperature", MIN_SAMPLES, MAX_SAMPLES)
        seed = check_seed(seed)
        cost = sum(samples * len(temperatures) * (SLOW_SECONDS if i.decodes_slowly else
                                                  STEPWISE_SECONDS if i.has("stepwise") else 0)
                   for i in infos)
        if cost > MAX_SAMPLING_SECONDS:
            raise PlaygroundError(
                f"that asks about {cost:.0f} s of step-by-step or diffusion sampling (the most is "
                f"{MAX_SAMPLING_SECONDS} s): choose fewer temperatures or samples, or one such "
                f"model at a time")
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
                old = self._memo.get(key)  # keep temperatures computed earlier with these knobs
                if old is not None:
                    curve.points = {**old.points, **curve.points}
                curve.points = dict(sorted(curve.points.items())[-4 * MAX_TEMPERATURES:])
                curves.append(self._memo.put(key, curve))
            say(1.0, "done")
            return curves
        finally:
            self._compute_lock.release()

    # ---- shipping ----
    def shipped_samples(self, info: ModelInfo) -> int:
        """Samples per point of a shipped curve: SAMPLES, or SLOW_SAMPLES for slow samplers."""
        return SLOW_SAMPLES if info.decodes_slowly else SAMPLES

    def write_shipped(self, model_id, *, temperatures=TEMPERATURES, samples=None, seed=SEED,
                      progress=None) -> Path:
        """Compute the default curve (or only the likelihood for models without a curve space)
        and write pretrained/<id>/evaluation.json."""
        info = self.backend.info(model_id)
        samples = self.shipped_samples(info) if samples is None else samples
        start = time.perf_counter()
        out = {"format_version": FORMAT_VERSION, "model": info.id, **self._hashes(info),
               "space": self.space(info), "samples": samples, "seed": seed, "k": K}
        if self.space(info):
            curve, = self.compute([info.id], temperatures, samples, seed, progress=progress)
            out.update(reference={k: v if isinstance(v, list) else rounded(v)
                                  for k, v in curve.reference.items()},
                       points=[curve.points[t] for t in sorted(temperatures)],
                       likelihood=curve.likelihood)
            if any(k.name == "guidance" for k in info.knobs):   # against the guidance scale too
                out["guidance"] = []
                for i, w in enumerate(GUIDANCES):
                    if progress:
                        progress(i / len(GUIDANCES), f"{info.id}: {samples:,} samples at w={w:g}")
                    out["guidance"].append({"guidance": w, **self.point(
                        info, 1.0, samples, seed, {"guidance": w})})
        else:
            out.update(samples=0, reference={}, points=[],
                       likelihood=self.compute_likelihood(info.id))
        out["seconds"] = round(time.perf_counter() - start, 1)
        return write_atomic(self.root / info.id / FILE,
                            json.dumps(out, indent=1, ensure_ascii=False) + "\n")

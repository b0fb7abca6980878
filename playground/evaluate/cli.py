"""python -m playground.evaluate: (re)compute the shipped curves, or print the T=1 table."""
from __future__ import annotations

import argparse
import time

import torch

from playground.errors import PlaygroundError
from playground.evaluate.scores import SAMPLES, SEED
from playground.evaluate.service import Evaluator

USAGE = """Quality/diversity curves against temperature and the likelihood table of the shipped models.

    python -m playground.evaluate --all                 # (re)compute pretrained/<id>/evaluation.json
    python -m playground.evaluate --model pixelcnn-mnist
    python -m playground.evaluate --table               # the T=1 table of every shipped file
"""


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


def asked_cell(point: dict) -> str:
    """Mean and worst-class share of samples judged as the asked class (conditional models)."""
    if point.get("cond_accuracy") is None:
        return "—"
    asked = [(a, k) for k, a in enumerate(point.get("class_accuracy") or []) if a is not None]
    worst = ", {:.1%} ({})".format(*min(asked)) if asked else ""
    return f"{point['cond_accuracy']:.1%}{worst}"


def classes_cell(point: dict) -> str:
    """Rarest and commonest judged class (10 % each is even), with the digit in brackets."""
    hist = point.get("class_hist")
    if not hist:
        return "—"
    lo, hi = min(range(len(hist)), key=hist.__getitem__), max(range(len(hist)), key=hist.__getitem__)
    return f"{hist[lo]:.1%} ({lo}), {hist[hi]:.1%} ({hi})"


def table_at(evaluator: Evaluator, temperature: float = 1.0) -> str:
    """A markdown table of every model at one temperature from the shipped files."""
    lines = ["| model | Fréchet distance | IS | precision | recall | as asked: mean, worst class "
             "| classes: rarest, commonest | likelihood | bits/dim |",
             "|---|---|---|---|---|---|---|---|---|"]
    for info in evaluator.backend.models():
        curve = evaluator.shipped(info.id)
        p = curve.points.get(temperature, {}) if curve else {}
        value, bpd = likelihood_cell(curve.likelihood if curve else None)

        def cell(k):
            return f"{p[k]:.3g}" if p.get(k) is not None else "—"
        lines.append(f"| {info.id} | {cell('frechet')} | {cell('inception')} | {cell('precision')} "
                     f"| {cell('recall')} | {asked_cell(p)} | {classes_cell(p)} | {value} | {bpd} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    from playground.backend import Backend
    parser = argparse.ArgumentParser(prog="python -m playground.evaluate", description=USAGE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every shipped generative model")
    which.add_argument("--model", action="append", help="one model id (repeat for more)")
    which.add_argument("--table", action="store_true", help="print the T=1 table and exit")
    parser.add_argument("--samples", type=int, default=None,
                        help=f"samples per temperature (default {SAMPLES}; fewer for slow samplers)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (the timings in the tab assume one, as the server)")
    args = parser.parse_args(argv)
    backend = Backend()       # sets one thread per request, as the server does ...
    torch.set_num_threads(max(1, args.threads))  # ... unless asked otherwise
    evaluator = Evaluator(backend)
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

"""Train live's first look: the final frame of the default run (LiveConfig()), computed once when
the app is shipped and stored as plain JSON, because the run itself (~8 s of CPU) is far too slow
for building the page and loading the file takes milliseconds.

    python -m playground.live.first_look     # again after a change of LiveConfig's defaults

The file records the run's config; `load` refuses a file whose config is not today's defaults
(its frame would show another run than Start trains), and so does a test.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from playground.errors import PlaygroundError
from playground.files import write_atomic
from playground.live.trainer import LiveConfig, LiveTrainer

PATH = Path(__file__).resolve().parents[2] / "assets" / "live-first-look.json"
FRAME_STEPS = 100   # a snapshot every this many steps, as a watched run's frames: the MMD curve's points
DIGITS = 4          # significant digits kept: more than a plot shows, and the file stays ~60 KB


def run(config: LiveConfig | None = None) -> dict:
    """The run to its end, snapshotted at step 0 and every FRAME_STEPS; its last snapshot."""
    trainer = LiveTrainer(config or LiveConfig())
    snap = trainer.snapshot()
    while not trainer.done:
        trainer.step(FRAME_STEPS)
        snap = trainer.snapshot()
    return snap


def _plain(value):
    """A snapshot as JSON values: arrays as nested lists, floats rounded to DIGITS."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(f"{value:.{DIGITS}g}")
    return value.item() if isinstance(value, np.generic) else value


def _arrays(value):
    """Back from JSON: every list is a float32 array again (a snapshot holds no lists of anything
    else; its config holds no lists)."""
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    return np.asarray(value, np.float32) if isinstance(value, list) else value


def write(snap: dict, path: Path = PATH) -> None:
    stored = {**_plain(snap), "config": snap["config"]}  # exact: `load` compares it
    write_atomic(path, json.dumps(stored, allow_nan=False, separators=(",", ":")) + "\n")


def load(path: Path = PATH) -> dict:
    """The stored snapshot, as `LiveTrainer.snapshot()` gives it (arrays as float32)."""
    snap = _arrays(json.loads(path.read_text()))
    if snap["config"] != asdict(LiveConfig()):
        raise PlaygroundError(f"{path.name} holds a run of other knobs than LiveConfig()'s "
                              "defaults: run python -m playground.live.first_look")
    return snap


if __name__ == "__main__":
    snap = run()
    write(snap)
    print(f"wrote {PATH} ({PATH.stat().st_size / 1024:.0f} KB): step {snap['steps_done']}, "
          f"coverage {snap['coverage']:.0%}, MMD² {snap['mmd'][-1, 1]:.3g}")

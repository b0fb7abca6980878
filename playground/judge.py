"""The one judge: the shipped digit classifier (pretrained/classifier-mnist) that scores image
generators (Fréchet distance, class histograms, "judged as asked"), colours decoder-only maps and
finds nearest training neighbours. Loaded once per process and device, whoever asks first."""
from __future__ import annotations

import json
from pathlib import Path

from playground.errors import PlaygroundError
from playground.files import weights_sha256
from playground.lru import LRU

JUDGE = "classifier-mnist"
PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"

_loaded: LRU = LRU(4)
_web: LRU = LRU(2)


def judge_dir(root: str | Path = PRETRAINED) -> Path:
    return Path(root) / JUDGE


def available(root: str | Path = PRETRAINED) -> bool:
    return (judge_dir(root) / "config.json").is_file()


def dataset(root: str | Path = PRETRAINED) -> str | None:
    """The data set the judge reads (its config's data name), or None when it is not shipped."""
    if not available(root):
        return None
    return json.loads((judge_dir(root) / "config.json").read_text()).get("data", {}).get("name")


def sha(root: str | Path = PRETRAINED) -> str:
    return weights_sha256(judge_dir(root) / "model.safetensors")


def load(root: str | Path = PRETRAINED, device: str = "cpu"):
    """The judge in eval mode; a clear error when it is not installed. Reloaded if its weights
    change on disk (the cache key holds their hash)."""
    from playground.base import GenerativeModel
    if not available(root):
        raise PlaygroundError(f"the judge classifier (pretrained/{JUDGE}) is not installed")
    key = (str(judge_dir(root).resolve()), sha(root), str(device))
    return _loaded.get_or_create(key, lambda: GenerativeModel.from_pretrained(judge_dir(root),
                                                                              device=device))


def web_spec(root: str | Path = PRETRAINED) -> bytes | None:
    """The judge as a spec the page runs (playground/webdecoder.export_judge) with its class
    names, as JSON bytes, exported once per weights: the page says what a decoded digit looks
    like. None when the judge is not shipped or its export fails its check against torch."""
    from playground import webdecoder
    if not available(root):
        return None

    def export() -> bytes | None:
        try:
            spec = webdecoder.export_judge(load(root), JUDGE)
        except webdecoder.NotExportable:
            return None
        spec["class_names"] = [str(k) for k in range(spec["classes"])]
        return json.dumps(spec, separators=(",", ":")).encode()
    return _web.get_or_create((str(judge_dir(root).resolve()), sha(root)), export)

"""Security rules that can be checked by reading the code and the launch settings."""
import ast
from pathlib import Path

import pytest

from playground.ui import launch_kwargs

PACKAGE = Path(__file__).resolve().parent.parent / "playground"
ROOT = PACKAGE.parent


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            owner = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
            yield owner, name, node


def test_no_pickle_loading_anywhere_in_the_package():
    offenders = []
    for path in list(PACKAGE.rglob("*.py")) + [ROOT / "app.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(m.split(".")[0] in ("pickle", "dill", "cloudpickle", "joblib") for m in mods):
                    offenders.append(f"{path.name}: imports {mods}")
        for owner, name, node in calls(tree):
            if owner == "torch" and name == "load":
                offenders.append(f"{path.name}:{node.lineno} torch.load")
            if name == "load" and owner in ("pickle", "joblib", "dill"):
                offenders.append(f"{path.name}:{node.lineno} {owner}.load")
            for kw in node.keywords:
                if kw.arg in ("allow_pickle", "weights_only") and isinstance(kw.value, ast.Constant) \
                        and kw.value.value is (kw.arg == "allow_pickle"):
                    offenders.append(f"{path.name}:{node.lineno} {kw.arg}={kw.value.value}")
    assert not offenders, offenders


def test_no_pickle_files_are_shipped():
    bad = [p for p in ROOT.glob("pretrained/**/*") if p.suffix in (".pt", ".pth", ".pkl", ".ckpt", ".bin")]
    assert not bad
    for folder in (ROOT / "pretrained").iterdir():
        assert (folder / "model.safetensors").is_file() and (folder / "README.md").is_file()


def test_hardened_launch_settings(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    kw = launch_kwargs()
    assert kw["server_name"] == "127.0.0.1" and kw["share"] is False
    assert kw["enable_monitoring"] is False and kw["allowed_paths"] == []
    assert kw["max_file_size"] and kw["show_error"] is False
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("PORT", "7999")
    kw = launch_kwargs()
    assert kw["server_name"] == "0.0.0.0" and kw["server_port"] == 7999


def test_gradio_is_recent_enough():
    import gradio
    major, minor = (int(x) for x in gradio.__version__.split(".")[:2])
    assert (major, minor) >= (6, 20)


def test_the_queue_is_bounded(monkeypatch):
    """A class's burst is refused with Gradio's "busy, try again" past PLAYGROUND_QUEUE_SIZE waiting
    events, not queued without bound; a bad setting stops the start-up with a clear message."""
    from playground.ui import queue_kwargs
    assert queue_kwargs() == {"default_concurrency_limit": 4, "max_size": 64}
    monkeypatch.setenv("PLAYGROUND_QUEUE_SIZE", "200")
    assert queue_kwargs()["max_size"] == 200
    for bad in ("0", "-1", "1e9", "lots", ""):
        monkeypatch.setenv("PLAYGROUND_QUEUE_SIZE", bad)
        with pytest.raises(ValueError, match="PLAYGROUND_QUEUE_SIZE"):
            queue_kwargs()

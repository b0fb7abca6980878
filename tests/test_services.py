"""The service layer's shared mechanisms (one LRU, one atomic write and hash, one heavy gate) and
the bugs the split fixed: each of those tests failed on the old backend."""
import threading

import numpy as np
import pytest
import torch

import playground.lru as lru_module
from playground import gate
from playground.backend import Backend
from playground.errors import PlaygroundError, check_int, check_seed
from playground.files import weights_sha256, write_atomic
from playground.lru import LRU
from playground.store import SESSION_MODEL_TTL


@pytest.fixture(scope="module")
def backend():
    return Backend()


class Clock:
    """A monotonic clock the test moves by hand (the LRU's ttl reads time.monotonic)."""
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


# ---- the one LRU ----------------------------------------------------------------------------
def test_lru_is_bounded_and_reports_evictions():
    gone = []
    cache = LRU(2, on_evict=lambda k, v: gone.append(k))
    cache.put("a", 1), cache.put("b", 2)
    assert cache.get("a") == 1            # a is now the most recent
    cache.put("c", 3)
    assert cache.keys() == ["a", "c"] and gone == ["b"]
    assert cache.pop("a") == 1 and gone == ["b", "a"] and "a" not in cache


def test_lru_builds_a_value_once_under_concurrent_requests():
    cache, calls, start = LRU(4), [], threading.Barrier(8)

    def create():
        calls.append(1)
        return object()

    results = []

    def ask():
        start.wait()
        results.append(cache.get_or_create("k", create))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(r is results[0] for r in results)


def test_lru_entries_expire_when_next_used(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(lru_module.time, "monotonic", clock)
    gone = []
    cache = LRU(4, ttl=10, on_evict=lambda k, v: gone.append(k))
    cache.put("a", 1)
    clock.now += 9
    assert cache.get("a") == 1            # a use renews it
    clock.now += 9
    assert cache.get("a") == 1
    clock.now += 11
    assert cache.get("a") is None and gone == ["a"]


# ---- the one atomic write and hash ------------------------------------------------------------
def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path):
    path = write_atomic(tmp_path / "x.txt", "old")

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(path, broken)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_weights_hash_follows_the_file(tmp_path):
    path = write_atomic(tmp_path / "w.safetensors", b"one")
    first = weights_sha256(path)
    assert weights_sha256(path) == first
    write_atomic(path, b"two!")
    assert weights_sha256(path) != first


# ---- validation: once, and the validated value is used ----------------------------------------
@pytest.mark.parametrize("bad", [None, 1e308, float("nan"), True, "abc", -1, 2**31, 2.5, [1]])
def test_seeds_are_refused_clearly(bad):
    with pytest.raises(PlaygroundError, match="seed"):
        check_seed(bad)


def test_a_whole_number_written_as_text_is_used_as_the_number(backend):
    assert check_int("3.0", "n", 0, 5) == 3
    assert np.array_equal(backend.sample("vae-mnist-2d", 4, seed="3.0"), backend.sample("vae-mnist-2d", 4, seed=3))
    z = backend.latent_from_sliders("vae-mnist-16d", [0.0] * 12, rest_seed="3.0")  # was int("3.0")
    assert np.array_equal(z, backend.latent_from_sliders("vae-mnist-16d", [0.0] * 12, rest_seed=3))
    assert backend.rest_noise("vae-mnist-16d", "3.0") == backend.rest_noise("vae-mnist-16d", 3)


@pytest.mark.parametrize("knob, says", [({"seed": None}, "seed"), ({"seed": 1e308}, "seed"),
                                        ({"start_index": None}, "start digit"),
                                        ({"start_index": 1e308}, "start digit"),
                                        ({"steps": float("inf")}, "steps"), ({"start": "../etc"}, "start")])
def test_step_knobs_are_validated_even_when_the_sampler_ignores_them(backend, knob, says):
    for info in backend.models("stepwise"):
        with pytest.raises(PlaygroundError, match=says):
            next(backend.sample_steps(info.id, 1, label=0 if info.has("condition") else None, **knob))


# ---- server-drawn latents are not user input ----------------------------------------------------
def test_hot_prior_draws_decode_though_a_typed_latent_that_large_is_refused(backend):
    model = "vae-mnist-16d"
    z = backend.prior_samples(model, 64, temperature=3.0, seed=0)
    assert np.abs(z).max() > 10              # T = 3 draws often leave ±10
    assert backend.render(model, z).shape == (64, 28, 28)
    with pytest.raises(PlaygroundError, match="±10"):
        backend.decode(model, z)
    with pytest.raises(PlaygroundError):
        backend.render(model, np.full(16, np.nan))


# ---- one heavy gate for every heavy path ------------------------------------------------------
def test_a_step_by_step_stream_holds_the_heavy_gate_until_it_ends(backend):
    info = backend.models("stepwise")[0]
    assert gate.is_heavy(info.capabilities)
    frames = backend.sample_steps(info.id, 1, seed=0, label=0 if info.has("condition") else None)
    next(frames)
    assert not gate._gate.acquire(blocking=False), "a stream ran beside another heavy sampler"
    frames.close()
    assert gate._gate.acquire(blocking=False)
    gate._gate.release()


# ---- session models expire when used, not only when another is added ---------------------------
def test_an_idle_session_model_expires_on_its_next_use(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(lru_module.time, "monotonic", clock)
    b = Backend()
    model = backend_model = b.model("vae-mnist-2d")
    model_id = b.add_session_model(backend_model, family="vae", summary="kept")
    assert b.info(model_id).summary == "kept"
    clock.now += SESSION_MODEL_TTL - 1
    assert b.decode(model_id, [0.0, 0.0]).shape == (28, 28)   # a use renews it
    clock.now += SESSION_MODEL_TTL + 1
    with pytest.raises(PlaygroundError, match="expired"):
        b.decode(model_id, [0.0, 0.0])


def test_model_lists_follow_the_ui_order(backend):
    infos = backend.models()
    assert infos == sorted(infos, key=lambda i: (i.ui.order, i.id))
    assert torch.get_num_threads() == 1

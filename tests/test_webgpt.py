"""The page's character GPT (playground/webgpt.py exports it, assets/webgpt.js runs and samples it):
spec → JSON → the numpy interpreter and the page's own JavaScript (under node, and in Chromium)
give torch's next-token logits; the page's filters are sampling.py's; its seeded sampler repeats
itself, writes what generate() would (greedy names, each letter's probability) and refuses bad
requests with a message."""
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import webdecoder, webgpt
from playground.base import FAMILIES, GenerativeModel
from playground.sampling import token_probs
from playground.webrun import OPS
from tests.factories import PRETRAINED, families, tiny

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "assets" / "webgpt.js"
MODEL_ID = "chargpt-names"
TOLERANCE = 1e-4      # max |logit - torch's| the brief asks of every interpreter
PREFIXES = ["", "a", "mc", "christoph", "abcdefghijklmn"]   # the last is max_prompt long
needs_node = pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")


@pytest.fixture(scope="module")
def shipped():
    """The shipped model and its spec as the page receives it (through JSON)."""
    model = GenerativeModel.from_pretrained(PRETRAINED / MODEL_ID).eval()
    return model, json.loads(json.dumps(webgpt.export(model, MODEL_ID)))


def torch_logits(model, kind: int, prefix: str) -> np.ndarray:
    """The next-letter logits after [kind token, prefix letters], (vocab,)."""
    ids = [model.config.vocab + kind, *model.encode_text(prefix)]
    with torch.inference_mode():
        return model(torch.tensor([ids]))[0, -1].numpy()


NODE_RUNNER = """
const gpt = require(process.argv[2]);
// numbers JSON cannot hold come as {"float": "NaN" | "Infinity" | "-Infinity"}
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'),
                         (k, v) => (v && typeof v === 'object' && 'float' in v ? Number(v.float) : v));
const model = input.spec ? gpt.load(input.spec) : null;
const plain = r => (ArrayBuffer.isView(r) ? Array.from(r) : Array.isArray(r) ? r.map(plain)
  : r && typeof r === 'object' ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))
  : r);
const out = input.calls.map(([fn, ...args]) => {
  try {
    if (fn === 'map') return {ok: args[1].map(x => gpt[args[0]](x))};
    const [target, name] = fn.startsWith('model.') ? [model, fn.slice(6)] : [gpt, fn];
    return {ok: plain(target[name](...args))};
  } catch (e) {
    return {error: e.message};
  }
});
process.stdout.write(JSON.stringify(out));
"""


def special_floats(x):
    """NaN and ±∞ as the node runner reads them (JSON has no literal for them)."""
    if isinstance(x, float) and not math.isfinite(x):
        return {"float": str(x).replace("nan", "NaN").replace("inf", "Infinity")}
    if isinstance(x, (list, tuple)):
        return [special_floats(v) for v in x]
    if isinstance(x, dict):
        return {k: special_floats(v) for k, v in x.items()}
    return x


def node(tmp_path, spec, calls: list) -> list:
    """Run assets/webgpt.js under node: each call [function, *args] ("model.f" for a method of
    load(spec)) → {"ok": result} or {"error": message}."""
    runner = tmp_path / "runner.js"
    runner.write_text(NODE_RUNNER)
    payload = json.dumps({"spec": spec, "calls": special_floats(calls)}, allow_nan=False)
    done = subprocess.run(["node", str(runner), str(SCRIPT)], input=payload,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def ok(results: list) -> list:
    errors = [r["error"] for r in results if "error" in r]
    assert not errors, errors
    return [r["ok"] for r in results]


# ---- the export and the numpy reference ---------------------------------------------------------
def test_shipped_spec_describes_the_model_and_its_limits(shipped):
    model, spec = shipped
    meta = GenerativeModel.read_meta(PRETRAINED / MODEL_ID)
    assert spec["format"] == webgpt.FORMAT and spec["part"] == "text" and spec["model"] == MODEL_ID
    assert spec["tokens"] == ["", *"abcdefghijklmnopqrstuvwxyz"] and spec["end"] == 0
    assert spec["class_names"] == meta["ui"]["class_names"] == ["female", "male", "last"]
    assert spec["class_tokens"] == [27, 28, 29] and spec["block"] == model.config.block
    assert spec["max_prompt"] == meta["ui"]["max_prompt"]   # the page takes what the server takes
    assert spec["limits"] == {"count": 50, "temperature": 5.0, "top_k": 1000, "seed": 2**31 - 1}
    # every weight, and the head's bias the page adds as zeros (nn.Linear(bias=False))
    assert spec["n_params"] == sum(p.numel() for p in model.parameters()) + model.config.vocab
    assert len(json.dumps(spec)) < 2_000_000                 # ~1.83 MB: float32, base64


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_numpy_reference_matches_torch_on_prefixes(shipped, kind):
    model, spec = shipped
    for prefix in PREFIXES:
        ids = np.array([[model.config.vocab + kind, *model.encode_text(prefix)]])
        got = webgpt.run_tokens(spec, ids)[0, -1]
        assert np.abs(got - torch_logits(model, kind, prefix)).max() <= TOLERANCE


def test_numpy_reference_matches_torch_at_every_position(shipped):
    model, spec = shipped
    assert webgpt.check_error(model, spec, n=32, seed=3) <= TOLERANCE


def perturbed_tiny():
    """The recipe's tiny GPT (2 heads of 8 dims, 1 block) with weights far from their init."""
    model = tiny("char_gpt")
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.3)
    return model


def test_tiny_family_export_round_trip():
    model = perturbed_tiny()
    spec = json.loads(json.dumps(webgpt.export(model, "tiny")))
    ids = np.array([[28, 1, 2, 3, 0, 5], [29, 26, 26, 1, 1, 1]])
    with torch.inference_mode():
        want = model(torch.from_numpy(ids)).numpy()
    assert np.abs(webgpt.run_tokens(spec, ids) - want).max() <= 1e-5


def test_a_network_the_spec_does_not_reproduce_is_not_exported(monkeypatch):
    model = perturbed_tiny()
    forward = model.forward
    monkeypatch.setattr(model, "forward", lambda idx: forward(idx) * 1.01)
    with pytest.raises(webgpt.NotExportable, match="differs from torch"):
        webgpt.export(model)


@pytest.mark.parametrize("family", [f for f in sorted(FAMILIES) if f not in families("text")])
def test_no_text_export_without_the_capability(family):
    model = tiny(family)
    with pytest.raises(NotImplementedError, match="text"):
        model.web_modules("text")
    with pytest.raises(webgpt.NotExportable, match="writes no text"):
        webgpt.export(model)


def test_layers_the_page_cannot_run_are_refused():
    model = tiny("char_gpt")
    model.blocks[0].mlp[1] = torch.nn.GELU(approximate="tanh")
    with pytest.raises(webgpt.NotExportable, match="exact"):
        webgpt.export(model)
    model.blocks[0].mlp[1] = torch.nn.SiLU()   # an op the converter knows, but not for text
    with pytest.raises(webgpt.NotExportable, match="cannot run SiLU"):
        webgpt.export(model)


def test_a_decoder_gets_only_the_ops_its_page_script_runs():
    """One converter for both formats: a LayerNorm in a decoder would pass the numpy check and
    then fail in assets/webdecoder.js, so the decoder is not exported."""
    model = tiny("vae")
    model.dec_fc.append(torch.nn.LayerNorm(model.dec_fc[0].out_features))
    with pytest.raises(webdecoder.NotExportable, match="cannot run LayerNorm"):
        webdecoder.export(model)


def test_numpy_ops_match_torch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 12, generator=g) * 3
    gelu = OPS["gelu"]
    assert np.abs(gelu(x.double().numpy(), {}) - torch.nn.functional.gelu(x.double()).numpy()).max() \
        < 1e-12
    ln = torch.nn.LayerNorm(12)
    with torch.no_grad():
        ln.weight.normal_(generator=g)
        ln.bias.normal_(generator=g)
    op = webdecoder.to_ops([ln], webgpt.TEXT_OPS)[0]
    got = OPS["layer_norm"](x.double().numpy(), op)
    with torch.no_grad():
        assert np.abs(got - ln(x).numpy()).max() < 1e-5
    q, k, v = torch.randn(3, 2, 3, 5, 4, generator=g)           # (B, heads, T, head_dim)
    rows = torch.stack([q, k, v], 2).permute(0, 3, 2, 1, 4).reshape(2, 5, 36)  # [q | k | v]
    got = OPS["causal_attention"](rows.double().numpy(),
                                                                   {"n_head": 3})
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert np.abs(got - want.transpose(1, 2).reshape(2, 5, 12).numpy()).max() < 1e-5


def test_the_cli_lists_text_models_with_size_and_error(tmp_path, capsys):
    from tests.factories import save_tiny
    save_tiny("char_gpt", tmp_path / "gpt-tiny")
    save_tiny("vae", tmp_path / "vae-tiny")                      # no text: not listed
    webgpt.main([str(tmp_path)])
    out = capsys.readouterr().out
    assert "gpt-tiny" in out and "in page" in out and "bytes of JSON" in out
    assert "vae-tiny" not in out


# ---- the page's script under node --------------------------------------------------------------
@needs_node
def test_javascript_logits_match_torch(shipped, tmp_path):
    """assets/webgpt.js itself: the next-letter logits after every prefix and kind, and the
    logits at every position of random sequences (ends inside them too)."""
    model, spec = shipped
    calls = [["model.logits", kind, prefix] for kind in spec["class_names"] for prefix in PREFIXES]
    g = torch.Generator().manual_seed(5)
    seqs = torch.cat([torch.randint(27, 30, (6, 1), generator=g),
                      torch.randint(0, 27, (6, spec["block"] - 1), generator=g)], 1)
    calls += [["model.forward", s] for s in seqs.tolist()]
    results = ok(node(tmp_path, spec, calls))
    errors = [np.abs(np.array(got) - torch_logits(model, k, prefix)).max()
              for got, (k, prefix) in zip(results, [(k, p) for k in range(3) for p in PREFIXES])]
    with torch.inference_mode():
        want = model(seqs).numpy()
    errors.append(np.abs(np.array(results[len(errors):]) - want).max())
    assert max(errors) <= TOLERANCE


@needs_node
def test_javascript_erf_and_tiny_model(tmp_path):
    """The exact GELU's erf (Math has none) to 1e-13 across its range, and a model of another
    shape (2 heads of 8 dims)."""
    xs = np.concatenate([np.linspace(-7, 7, 561), [0.0, 1e-9, -2.9999, 3.0, 5.9999, 6.0]])
    model = perturbed_tiny()
    spec = webgpt.export(model, "tiny")
    ids = [29, 26, 1, 0, 5]
    got, rows = ok(node(tmp_path, spec, [["map", "erf", xs.tolist()], ["model.forward", ids]]))
    assert np.abs(np.array(got) - [math.erf(x) for x in xs]).max() < 1e-13
    with torch.inference_mode():
        want = model(torch.tensor([ids]))[0].numpy()
    assert np.abs(np.array(rows) - want).max() <= 1e-5


def logit_rows(n: int = 24) -> list[list[float]]:
    """Logit rows as the sampler meets them: spread out, peaked, a barred end (−∞), ties."""
    g = np.random.default_rng(7)
    rows = [g.normal(0, s, 27) for s in (0.5, 2.0, 6.0) for _ in range(n // 4)]
    barred = g.normal(0, 2, (n // 4, 27))
    barred[:, 0] = -np.inf
    ties = np.round(g.normal(0, 1, (3, 27)))                   # integers: many equal logits
    return [*map(list, rows), *map(list, barred), *map(list, ties)]


@needs_node
def test_javascript_filters_equal_sampling_py(tmp_path):
    """token_probs (temperature, top-k, top-p, greedy) on the same logits. top-p among equal
    logits is left out: torch's order of ties is unspecified, the page keeps the lower id."""
    rows = logit_rows()
    knobs = [(1.0, 0, 1.0), (0.7, 0, 1.0), (2.5, 0, 1.0), (1.0, 5, 1.0), (1.0, 1, 1.0),
             (1.0, 0, 0.9), (0.5, 0, 0.3), (1.3, 8, 0.8), (0.0, 0, 1.0), (0.0, 3, 0.5)]
    cases = [(r, t, k, p) for r in rows for t, k, p in knobs
             if not (p < 1 and len(set(r)) < len(r) and np.isfinite(r).all())]
    calls = [["tokenProbs", r, {"temperature": t, "topK": k, "topP": p}] for r, t, k, p in cases]
    got = ok(node(tmp_path, None, calls))
    for probs, (r, t, k, p) in zip(got, cases):
        want = token_probs(torch.tensor([r], dtype=torch.float32), temperature=t,
                           top_k=k or None, top_p=None if p == 1 else p)[0].numpy()
        assert np.abs(np.array(probs) - want).max() < 1e-6, (r, t, k, p)
        assert (np.array(probs) > 0).tolist() == (want > 0).tolist()   # the same tokens kept


@needs_node
def test_javascript_greedy_names_are_torchs(shipped, tmp_path):
    """At T = 0 nothing is random: the page's sampler writes the names generate() writes, so its
    rules (at least one letter, the end forced at max_letters, the prefix kept) are the same. A
    T of 1e-300 writes them too (logits / T would overflow to ∞ without the shift)."""
    model, spec = shipped
    cases = [(kind, prefix) for kind in spec["class_names"] for prefix in PREFIXES]
    got = ok(node(tmp_path, spec, [["model.generate", {"n": 2, "temperature": 0, "kind": kind,
                                                       "prefix": prefix.upper(), "seed": 1}]
                                   for kind, prefix in cases]))
    tiny_t = ok(node(tmp_path, spec, [["model.generate", {"n": 2, "temperature": 1e-300,
                                                         "kind": kind, "prefix": prefix}]
                                      for kind, prefix in cases]))
    for names, near, (kind, prefix) in zip(got, tiny_t, cases):
        want = model.sample(1, temperature=0, condition=kind, prompt=prefix)[0]
        assert [n["text"] for n in names] == [n["text"] for n in near] == [want, want]
        assert all(n["probs"] == [1] * (len(want) + 1) for n in names)
    assert len(got[-1][0]["text"]) == len(PREFIXES[-1])        # max_prompt letters: ends at once


def torch_probs(model, spec, name: dict, prefix: str, knobs: dict) -> list[float]:
    """The probability generate() gives each letter of `name` and its end under `knobs`, the
    typed prefix letters 1: the same barred and forced end, token_probs on the same logits."""
    kind = spec["class_names"].index(name["kind"])
    ids = [model.config.vocab + kind, *model.encode_text(name["text"])]
    with torch.inference_mode():
        logits = model(torch.tensor([ids]))[0]                           # (T, vocab)
    probs = [1.0] * len(prefix)
    for j in range(len(prefix), len(name["text"]) + 1):
        token = ids[j + 1] if j < len(name["text"]) else 0
        if j == spec["max_letters"]:
            probs.append(1.0)
            continue
        row = logits[j].clone()
        if j < spec["min_letters"]:
            row[0] = float("-inf")
        probs.append(float(token_probs(row[None], temperature=knobs["temperature"],
                                       top_k=knobs["topK"] or None,
                                       top_p=None if knobs["topP"] == 1 else knobs["topP"])[0, token]))
    return probs


@needs_node
def test_javascript_sampler_is_seeded_and_gives_each_letter_its_probability(shipped, tmp_path):
    model, spec = shipped
    knobs = {"temperature": 0.8, "topK": 10, "topP": 0.9}
    runs = [{"n": 12, "seed": 3, "kind": "female", "prefix": "ma", **knobs},
            {"n": 12, "seed": 3, "kind": "female", "prefix": "ma", **knobs},
            {"n": 4, "seed": 3, "kind": "female", "prefix": "ma", **knobs},
            {"n": 12, "seed": 4, "kind": "female", "prefix": "ma", **knobs},
            {"n": 30, "seed": 11, "temperature": 1.5},
            {"n": 30, "seed": 11, "temperature": 1.5}]
    a, again, fewer, other, mixed, mixed_again = ok(
        node(tmp_path, spec, [["model.generate", r] for r in runs]))
    assert a == again and mixed == mixed_again                    # same seed, same names
    assert fewer == a[:4]                                         # n names = the first of more
    assert [n["text"] for n in other] != [n["text"] for n in a]
    assert {n["kind"] for n in mixed} == set(spec["class_names"])  # no kind: each draws one
    for name in a:
        assert name["text"].startswith("ma") and name["kind"] == "female"
        assert len(name["probs"]) == len(name["text"]) + 1
        want = torch_probs(model, spec, name, "ma", knobs)
        assert np.abs(np.array(name["probs"]) - want).max() <= TOLERANCE
    for name in mixed:
        assert 1 <= len(name["text"]) <= spec["max_letters"] and name["text"].isalpha()
        want = torch_probs(model, spec, name, "", {"temperature": 1.5, "topK": 0, "topP": 1})
        assert np.abs(np.array(name["probs"]) - want).max() <= TOLERANCE


BAD = [({"n": 3, "kind": "alien"}, 'unknown kind "alien"; choose one of female, male, last'),
       ({"n": 3, "kind": 1}, "unknown kind 1"),
       ({"n": 3, "prefix": "ab1"}, 'the prefix may only contain the letters a–z, got "1"'),
       ({"n": 3, "prefix": "a" * 15}, "the prefix must be at most 14 letters a–z, got 15"),
       ({"n": 3, "prefix": 7}, "the prefix must be a string"),
       ({"n": 0}, "n (the number of names) must be in [1, 50], got 0"),
       ({"n": 51}, "n (the number of names) must be in [1, 50], got 51"),
       ({"n": 2.5}, "n (the number of names) must be a whole number, got 2.5"),
       ({}, "n (the number of names) must be a finite number, got undefined"),
       ({"n": "3"}, 'n (the number of names) must be a finite number, got "3"'),
       ({"n": 3, "temperature": float("nan")}, "temperature must be a finite number, got NaN"),
       ({"n": 3, "temperature": -0.5}, "temperature must be in [0, 5], got -0.5"),
       ({"n": 3, "temperature": 6}, "temperature must be in [0, 5], got 6"),
       ({"n": 3, "topK": -1}, "topK must be in [0, 1000], got -1"),
       ({"n": 3, "topP": 0}, "topP must be above 0"),
       ({"n": 3, "topP": 1.5}, "topP must be in [0, 1], got 1.5"),
       ({"n": 3, "seed": -1}, "seed must be in [0, 2147483647], got -1"),
       ({"n": 3, "top_k": 5}, "unknown option top_k; known: n, temperature, topK, topP, prefix, kind, seed")]


@needs_node
def test_javascript_refuses_bad_requests_with_a_clear_message(shipped, tmp_path):
    _, spec = shipped
    calls = [["model.generate", options] for options, _ in BAD]
    calls += [["model.generate", None], ["model.logits", "alien", ""],
              ["model.forward", [27, 99]], ["load", {**spec, "format": "webdecoder/1"}]]
    got = node(tmp_path, spec, calls)
    messages = [m for _, m in BAD] + ["generate takes an options object", "unknown kind",
                                      "ids must be 1 to 16 whole numbers in [0, 29]",
                                      "unknown text model format webdecoder/1"]
    for result, message in zip(got, messages):
        assert message in result.get("error", ""), (message, result)


# ---- the page's script in Chromium -------------------------------------------------------------
@pytest.mark.browser
@needs_node
def test_chromium_runs_the_script_alone_and_matches_torch_and_node(shipped, page, tmp_path):
    """A blank page with the script (and webdecoder.js, whose tensor reader it uses) and nothing
    else (no server): the logits are torch's, a
    seeded sampler repeats itself exactly, and it writes the names node writes. Their
    probabilities may differ from node's in the last bit (another V8's Math.exp): a name could
    only differ if a uniform draw fell within ~1e-16 of a boundary."""
    model, spec = shipped
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=(ROOT / "assets" / "webdecoder.js").read_text())
    page.add_script_tag(content=SCRIPT.read_text())
    options = {"n": 20, "seed": 5, "temperature": 1.2, "topP": 0.95}
    logits, names, again = page.evaluate("""([spec, prefixes, options]) => {
        const m = window.latentGPT.load(spec);
        const logits = m.classNames.flatMap(k => prefixes.map(p => Array.from(m.logits(k, p))));
        return [logits, m.generate(options), window.latentGPT.load(spec).generate(options)];
    }""", [spec, PREFIXES, options])
    want = [torch_logits(model, k, p) for k in range(3) for p in PREFIXES]
    assert np.abs(np.array(logits) - np.array(want)).max() <= TOLERANCE
    assert names == again
    in_node = ok(node(tmp_path, spec, [["model.generate", options]]))[0]
    assert [(n["text"], n["kind"]) for n in names] == [(n["text"], n["kind"]) for n in in_node]
    for a, b in zip(names, in_node):
        assert np.abs(np.array(a["probs"]) - b["probs"]).max() < 1e-12

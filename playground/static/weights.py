"""Weights for the static folder: every exported spec made small enough to ship, and checked again.

A tensor of a spec (playground/webdecoder.py's format) is stored either as float32, exactly, or as
int16 steps of one float32 scale per tensor ("dtype": "int16", "scale": s; value = q · s), the
step being `c` times the tensor's root mean square. The build picks, per exported part, the
coarsest `c` of LADDER (by bisection) whose spec still agrees with torch within TOLERANCE
(webdecoder.check_error on random inputs); a part that no step satisfies keeps float32 (a latent
diffusion model's 25-step sampler amplifies any rounding: 8e-2 with float16 weights).

Why not float16: its 10-bit mantissa spends as many bits on tiny weights as on large ones. The
12 exported parts hold 8.3 million distinct weights; as float16 in base64 they alone make ~20 MB,
with plotly.min.js (4.8 MB) and the maps over the 25 MB budget. Uniform steps spend the bits where
the output feels them and deflate well: ~10-11 bits a weight at the same error bound.

Each stored tensor is a blob: its little-endian bytes split into byte planes (all first bytes,
then all second bytes: the high bytes of small integers are nearly constant), deflated (zlib,
level 9: the same bytes every build), in a script file of its own named by a hash of its content,
`weights/<id>.js` (`blob_script`, read back by `read_blob_script`). A tensor two parts share (a
latent diffusion model decodes with another model's decoder) is quantised once, where it first
appears, and ships once. The page decodes a blob's text and inflates it with DecompressionStream,
then hands the bytes to latentWeb's `tensor` (assets/static/core.js)."""
from __future__ import annotations

import base64
import copy
import hashlib
import zlib
from dataclasses import dataclass, field

import numpy as np

from playground import webdecoder
from playground.webrun import unpack

TOLERANCE = 1 / 255   # max |page - torch| / max(1, |torch|): one grey level of an 8-bit picture
SEARCH_SHARE = 0.75   # a step is chosen on one set of random inputs with a quarter of the
                      # tolerance to spare, so other inputs (the tests use others) stay within it
LADDER = tuple(2 ** (-k / 2) for k in range(4, 25))  # step / rms, coarse to fine (1/4 … 1/4096)
MIN_QUANTISED = 256   # smaller tensors (biases, a flow's tiny layers) stay float32: no gain
CHECK_VALUES = 20_000  # output values per error measurement: the max of few values is luck
CHECK_INPUTS = (32, 2048)  # random inputs per measurement, at least / at most (a 2-D latent's
                      # encoder gives 2 values an input: 2,048 inputs; a decoder's 784: 32)
INT16_MAX = 32767


# ---- one tensor -----------------------------------------------------------------------------------
def quantise(a: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """int16 steps q and the float32 scale s with q · s ≈ a, the step c · rms(a) (or finer, so
    that the largest weight fits in int16)."""
    a = np.asarray(a, np.float32)
    rms = float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
    peak = float(np.abs(a).max())
    scale = float(np.float32(max(c * rms, peak / INT16_MAX) or 1.0))
    q = np.clip(np.round(a.astype(np.float64) / scale), -INT16_MAX, INT16_MAX).astype("<i2")
    return q, scale


def blob(raw: bytes, itemsize: int) -> bytes:
    """Byte planes of little-endian items, deflated."""
    planes = np.frombuffer(raw, np.uint8).reshape(-1, itemsize).T.tobytes()
    return zlib.compress(planes, 9)


def unblob(data: bytes, itemsize: int) -> bytes:
    """Inverse of `blob` (what the page does with DecompressionStream)."""
    planes = np.frombuffer(zlib.decompress(data), np.uint8).reshape(itemsize, -1)
    return planes.T.tobytes()


# A blob's text in its script is base85 (RFC 1924's alphabet, base64.b85encode), not base64: 5
# characters per 4 bytes instead of 4 per 3 (1.2 MB less over the folder's ~15 MB of deflated
# weights), and the alphabet has no quote, backslash or slash, so the text sits in a double-quoted
# string of a script file as it is (a file:// page may not fetch() binary files).
def blob_script(blob_id: str, data: bytes) -> bytes:
    """weights/<id>.js of a blob: `latentStatic.blob("<id>","<base85>");`."""
    return f'latentStatic.blob("{blob_id}","{base64.b85encode(data).decode("ascii")}");\n'.encode()


def read_blob_script(text: str) -> tuple[str, bytes]:
    """(id, blob) of a `blob_script`: the Python reader of what the page reads."""
    head, tail = 'latentStatic.blob("', '");\n'
    if not (text.startswith(head) and text.endswith(tail)):
        raise ValueError(f"not a blob script: {text[:40]!r}")
    blob_id, encoded = text[len(head):-len(tail)].split('","')
    return blob_id, base64.b85decode(encoded)


def _packed(q_or_a: np.ndarray, scale: float | None) -> dict:
    """An inline packed tensor (webrun.unpack reads it)."""
    d = {"shape": list(q_or_a.shape), "data": base64.b64encode(q_or_a.tobytes()).decode("ascii")}
    if scale is not None:
        d.update(dtype="int16", scale=scale)
    return d


# ---- the tensors of a spec ------------------------------------------------------------------------
def tensor_slots(spec: dict) -> list[tuple[dict, str]]:
    """(holder, key) of every packed weight tensor in a spec's ops, in a fixed order."""
    slots: list[tuple[dict, str]] = []

    def walk(ops):
        for op in ops:
            for key in ("w", "b", "time_emb", "labels", "tok", "pos"):
                if key in op:
                    slots.append((op, key))
            if "ops" in op:
                walk(op["ops"])
            if op["op"] == "ddim":
                walk([op["inp"], *op["out"], *(o for b in op["blocks"] for o in b)])
    walk(spec["ops"])
    return slots


@dataclass
class Stored:
    """How one source tensor ships: the inline packed form the checks read, and its blob."""
    inline: dict
    blob_id: str
    nbytes: int


@dataclass
class PartReport:
    model: str
    part: str
    params: int
    error: float          # max |page - torch| / max(1, |torch|) on `inputs(spec)` random inputs
    tolerance: float
    step: float | None    # c of the freely chosen tensors (None: float32)
    quantised: int        # weights stored as int16
    shared: int           # weights already shipped with an earlier part
    bytes: int            # deflated bytes of this part's own blobs
    measures: str = ""    # what `error` is when not the output's relative error (a text model:
                          # its letter probabilities)
    also: dict[str, float] = field(default_factory=dict)  # other measured errors, by name

    def as_dict(self) -> dict:
        out = {"params": self.params, "error": float(f"{self.error:.3g}"),
               "tolerance": float(f"{self.tolerance:.6g}"),
               "step": None if self.step is None else float(f"{self.step:.6g}"),
               "quantised": self.quantised, "shared": self.shared, "bytes": self.bytes}
        if self.measures:
            out["measures"] = self.measures
        out.update({k: float(f"{v:.3g}") for k, v in self.also.items()})
        return out


@dataclass
class Pool:
    """Blobs by id, and how each source tensor (by content) was stored."""
    blobs: dict[str, bytes] = field(default_factory=dict)
    stored: dict[str, Stored] = field(default_factory=dict)

    def add(self, raw: bytes, itemsize: int) -> tuple[str, int]:
        data = blob(raw, itemsize)
        blob_id = hashlib.sha256(data).hexdigest()[:20]
        new = blob_id not in self.blobs
        self.blobs.setdefault(blob_id, data)
        return blob_id, len(data) if new else 0

    def float32(self, a: np.ndarray) -> Stored:
        a = np.ascontiguousarray(a, "<f4")
        blob_id, n = self.add(a.tobytes(), 4)
        return Stored(_packed(a, None), blob_id, n)

    def int16(self, q: np.ndarray, scale: float) -> Stored:
        blob_id, n = self.add(q.tobytes(), 2)
        return Stored(_packed(q, scale), blob_id, n)


def reference(st: Stored) -> dict:
    """How a page spec names a stored tensor: its shape (dtype, scale) and blob."""
    return {k: v for k, v in st.inline.items() if k != "data"} | {"blob": st.blob_id}


def inputs(spec: dict) -> int:
    """Random inputs for one error measurement of a spec: enough for CHECK_VALUES outputs."""
    per = int(np.prod(spec["output_shape"]))
    return int(np.clip(-(-CHECK_VALUES // per), *CHECK_INPUTS))


def source_key(t: dict) -> str:
    return hashlib.sha256(f"{t['shape']}".encode() + base64.b64decode(t["data"])).hexdigest()


def shrink(model, spec: dict, pool: Pool, *, tolerance: float = TOLERANCE,
           check_error=None) -> tuple[dict, dict, PartReport]:
    """The spec with its tensors stored as small as `tolerance` allows: (page spec, whose tensors
    name blobs; inline spec, the same values packed inline for the numpy checks; report).
    Tensors already in `pool` keep how they were stored. Raises webdecoder.NotExportable when
    even float32 storage misses the tolerance (cannot happen for a spec export() accepted)."""
    measure = check_error or (lambda s: webdecoder.check_error(model, s, n=inputs(spec), seed=1))
    slots = tensor_slots(spec)
    sources = [(source_key(h[k]), unpack(h[k])) for h, k in slots]
    free = sorted({key for key, a in sources if key not in pool.stored and a.size >= MIN_QUANTISED})
    arrays = dict(sources)
    shared = sum(arrays[key].size for key in {k for k, _ in sources if k in pool.stored})

    def trial(choice: dict[str, dict]) -> dict:
        inline = copy.deepcopy(spec)
        for (holder, key), (src, _) in zip(tensor_slots(inline), sources):
            if src in choice:
                holder[key] = choice[src]
            elif src in pool.stored:
                holder[key] = pool.stored[src].inline
        return inline

    def attempt(c):
        candidate = {key: _packed(*quantise(arrays[key], c)) for key in free}
        e = measure(trial(candidate))
        return (candidate, e) if e <= SEARCH_SHARE * tolerance else None

    # The error grows with the step: bisect the ladder for the coarsest step that passes, after
    # checking that its finest one does (a sampler that amplifies any rounding keeps float32).
    chosen_c, choice, err = None, {}, None
    found = attempt(LADDER[-1]) if free else None
    if found is not None:
        lo, hi = 0, len(LADDER) - 1       # LADDER[hi] passes; find the first index that does
        best = (hi, found)
        while lo < hi:
            mid = (lo + hi) // 2
            trial_mid = attempt(LADDER[mid])
            if trial_mid is not None:
                hi, best = mid, (mid, trial_mid)
            else:
                lo = mid + 1
        chosen_c, (choice, err) = LADDER[best[0]], best[1]
    override: dict[str, Stored] = {}   # this part's own float32 copies of shared tensors
    if chosen_c is None:
        err = measure(trial({}))
        if not err <= tolerance:
            # the tensors it shares were quantised for an earlier part, and do not suit this one
            exact = {key: _packed(arrays[key], None) for key, _ in sources if key in pool.stored}
            err = measure(trial(exact))
            if not err <= tolerance:
                raise webdecoder.NotExportable(
                    f"its spec differs from torch by {err:.2g} even with float32 weights")
            override = {key: pool.float32(arrays[key]) for key in exact}
            shared = 0
    # store: chosen int16 tensors, everything else float32 (shared ones as they were)
    own = sum(st.nbytes for st in override.values())
    for key, a in sources:
        if key in pool.stored or key in override:
            continue
        if key in choice:
            q, scale = quantise(a, chosen_c)
            stored = pool.int16(q, scale)
        else:
            stored = pool.float32(a)
        pool.stored[key] = stored
        own += stored.nbytes
    stored_as = {key: override.get(key) or pool.stored[key] for key, _ in sources}
    page, inline = copy.deepcopy(spec), trial({key: st.inline for key, st in override.items()})
    for (holder, key), (src, a) in zip(tensor_slots(page), sources):
        holder[key] = reference(stored_as[src])
    report = PartReport(spec["model"], spec["part"], spec["n_params"], float(err), tolerance,
                        chosen_c, sum(arrays[k].size for k in choice), shared, own)
    return page, inline, report
